"""The pygls server: lints each open Dockerfile on open, change and save,
answers code actions and hover from the last analysis of the document. The linting
side (session.py) is imported when the client says `initialized`: the answer to
`initialize` waits for pygls alone (server start, benchmarks/lsp_relint.py).

Hardened against a misbehaving client (tests/test_lsp_abuse.py): every request
gets an answer (an InvalidParams error when its params do not fit, where pygls
only logs), and stdin is read through `BoundedInput`, so garbage, a huge
Content-Length or invalid UTF-8 cost bounded memory and never stop the server."""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from .. import __version__
from .names import FIX_ALL

if TYPE_CHECKING:
    from .session import Session


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


class DlayerlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("dlayerlint", __version__, protocol_cls=AnsweringProtocol)
        self.options: Any = None   # initializationOptions, read when the session starts
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The linting side, imported and started at its first use."""
        if self._session is None:
            from .session import Session  # pylint: disable=import-outside-toplevel,redefined-outer-name
            self._session = Session(self, self.options)
        return self._session


def build() -> DlayerlintServer:
    server = DlayerlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: DlayerlintServer, params: types.InitializeParams) -> None:
        ls.options = params.initialization_options

    @server.feature(types.INITIALIZED)
    async def initialized(ls: DlayerlintServer, _params: types.InitializedParams) -> None:
        await ls.session.pull_settings()
        ls.session.relint_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: DlayerlintServer, params: types.DidChangeConfigurationParams) -> None:
        workspace = ls.client_capabilities.workspace
        if workspace is not None and workspace.configuration:
            await ls.session.pull_settings()
        else:
            ls.session.editor = ls.session.read(params.settings, ls.session.initial)
        ls.session.relint_all()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DlayerlintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.session.files_changed()
        ls.session.relint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DlayerlintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.session.relint_soon(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DlayerlintServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.session.files_changed()   # the context's files may have changed with it
        ls.session.relint_open(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DlayerlintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.session.closed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]))
    def actions(ls: DlayerlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.session.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def layer_hover(ls: DlayerlintServer, params: types.HoverParams) -> types.Hover | None:
        return ls.session.hover(params)

    return server


def serve(port: int | None = None, host: str = "127.0.0.1") -> None:
    """On stdio, or listening on host:port when a port is given."""
    if port is None:
        build().start_io(BoundedInput(sys.stdin.buffer))
    else:
        build().start_tcp(host, port)
