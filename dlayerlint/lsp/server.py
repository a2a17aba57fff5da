"""The pygls server: lints each open Dockerfile on open, change and save,
answers code actions and hover from the last analysis of the document.

Hardened against a misbehaving client (tests/test_lsp_abuse.py): every request
gets an answer (an InvalidParams error when its params do not fit, where pygls
only logs), and stdin is read through `BoundedInput`, so garbage, a huge
Content-Length or invalid UTF-8 cost bounded memory and never stop the server."""
from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from .. import __version__
from ..config import Config
from ..simulate.context.build import ContextCache
from .convert import FIX_ALL, Lines, code_actions, diagnostics, hover
from .linting import Lint, lint_document
from .settings import SECTION, client_config


MAX_HEADER_LINE = 8 << 10   # bytes; a longer "line" of garbage is read in pieces, each ignored
MAX_MESSAGE = 64 << 20      # bytes; a Dockerfile is far smaller, and a client that claims more is broken
HEADER = b"Content-Length: "
# what a refused body becomes: a `$/` notification, which pygls drops silently
DROPPED = b'{"jsonrpc": "2.0", "method": "$/dlayerlint/dropped", "params": {}}'


class BoundedInput:
    """stdin as pygls' message loop reads it, with bounded reads. A Content-Length
    over MAX_MESSAGE is refused without reading the body: the bytes that follow are
    read as headers again, so the stream picks up at the next real message. Bodies
    are decoded leniently (invalid UTF-8 becomes U+FFFD), so the request is still
    parsed and answered."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def readline(self) -> bytes:
        # a header glued to the tail of garbage (or of a refused body) still starts a message
        line = self.stream.readline(MAX_HEADER_LINE)
        start = line.find(HEADER)
        return line[start:] if start > 0 else line

    def read(self, size: int) -> bytes:
        if size > MAX_MESSAGE:
            logging.getLogger(__name__).warning("refused a message of %d bytes (limit %d)", size, MAX_MESSAGE)
            return DROPPED
        return self.stream.read(size).decode("utf-8", "replace").encode("utf-8")


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """A request whose params do not fit its method: answered with `error`."""
    id: int | str
    error: JsonRpcException
    jsonrpc: str = "2.0"


class AnsweringProtocol(LanguageServerProtocol):
    """pygls' protocol, except that a request with malformed params gets an error
    response (pygls logs it, shows a message and leaves the client waiting)."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "method" in data and isinstance(data.get("id"), (int, str)):
                return _Unreadable(data["id"], error)
            raise

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Unreadable):
            self._send_response(message.id, None, message.error.to_response_error())
        else:
            super().handle_message(message)


@dataclass(slots=True)
class Linted:
    version: int | None
    lines: Lines
    result: Lint


EDIT_PAUSE = 0.15   # seconds without an edit before a relint (typing speed: ~0.1-0.2 s a key)


class DlayerlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("dlayerlint", __version__, protocol_cls=AnsweringProtocol)
        self.initial = Config()   # initializationOptions
        self.editor = Config()    # with workspace/configuration on top
        self.contexts = ContextCache()
        self.linted: dict[str, Linted] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}   # relints waiting for the edits to pause

    def read(self, data: object, base: Config) -> Config:
        """The client's settings over `base`; each bad one is shown and skipped."""
        root = Path(self.workspace.root_path or Path.cwd())
        settings, problems = client_config(data, root)
        for message in problems:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, message))
        return base.merged(settings)

    def relint(self, uri: str) -> Linted:
        document = self.workspace.get_text_document(uri)
        text = document.source
        path = to_fs_path(uri)   # None for unsaved (untitled:) documents
        linted = Linted(document.version, Lines(text, self.workspace.position_encoding),
                        lint_document(text, Path(path) if path else None, self.editor, self.contexts))
        self.linted[uri] = linted
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=diagnostics(uri, linted.lines, linted.result)))
        return linted

    def current(self, uri: str) -> Linted:
        """The analysis of the document as it is now."""
        linted = self.linted.get(uri)
        version = self.workspace.get_text_document(uri).version
        return linted if linted is not None and linted.version == version else self.relint(uri)

    async def pull_settings(self) -> None:
        """Ask the client for the `dlayerlint` section, over the initial options."""
        workspace = self.client_capabilities.workspace
        if workspace is None or not workspace.configuration:
            return
        try:
            answer = await self.workspace_configuration_async(
                types.ConfigurationParams([types.ConfigurationItem(section=SECTION)]))
        except Exception as error:  # pylint: disable=broad-exception-caught  # the client may refuse
            logging.getLogger(__name__).warning("workspace/configuration failed: %s", error)
            return
        self.editor = self.read(answer[0] if answer else None, self.initial)

    def relint_open(self, uri: str) -> None:
        """Relint an open document; a change or save of one never opened is a client's
        mistake: ignored, so it cannot grow the server's state."""
        self.pending.pop(uri, None)
        if uri in self.workspace.text_documents:
            self.relint(uri)

    def relint_soon(self, uri: str) -> None:
        """Relint after the edits stop for EDIT_PAUSE seconds: a burst of keystrokes costs one
        lint of the final text, not one per intermediate version (a request that needs the
        analysis before then lints the current text itself, see `current`)."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self.pending[uri] = asyncio.get_running_loop().call_later(EDIT_PAUSE, self.relint_open, uri)

    def relint_all(self) -> None:
        for uri in list(self.linted):
            if uri in self.workspace.text_documents:
                self.relint(uri)


def build() -> DlayerlintServer:
    server = DlayerlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: DlayerlintServer, params: types.InitializeParams) -> None:
        ls.initial = ls.editor = ls.read(params.initialization_options, Config())

    @server.feature(types.INITIALIZED)
    async def initialized(ls: DlayerlintServer, _params: types.InitializedParams) -> None:
        await ls.pull_settings()
        ls.relint_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: DlayerlintServer, params: types.DidChangeConfigurationParams) -> None:
        workspace = ls.client_capabilities.workspace
        if workspace is not None and workspace.configuration:
            await ls.pull_settings()
        else:
            ls.editor = ls.read(params.settings, ls.initial)
        ls.relint_all()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DlayerlintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.contexts = ContextCache()
        ls.relint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DlayerlintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.relint_soon(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DlayerlintServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.contexts = ContextCache()   # the context's files may have changed with it
        ls.relint_open(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DlayerlintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.linted.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(params.text_document.uri, []))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]))
    def actions(ls: DlayerlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        linted = ls.current(params.text_document.uri)
        return code_actions(params.text_document.uri, linted.lines, linted.result, params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def layer_hover(ls: DlayerlintServer, params: types.HoverParams) -> types.Hover | None:
        linted = ls.current(params.text_document.uri)
        return hover(linted.lines, linted.result, params.position)

    return server


def serve(port: int | None = None, host: str = "127.0.0.1") -> None:
    """On stdio, or listening on host:port when a port is given."""
    if port is None:
        build().start_io(BoundedInput(sys.stdin.buffer))
    else:
        build().start_tcp(host, port)
