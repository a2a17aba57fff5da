"""The pygls server: lints each open Dockerfile on open, change and save,
answers code actions and hover from the last analysis of the document."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..config import Config
from ..simulate.context.build import ContextCache
from .convert import FIX_ALL, Lines, code_actions, diagnostics, hover
from .linting import Lint, lint_document
from .settings import SECTION, client_config


@dataclass(slots=True)
class Linted:
    version: int | None
    lines: Lines
    result: Lint


class DlayerlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("dlayerlint", __version__)
        self.initial = Config()   # initializationOptions
        self.editor = Config()    # with workspace/configuration on top
        self.contexts = ContextCache()
        self.linted: dict[str, Linted] = {}

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
        ls.relint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DlayerlintServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.contexts = ContextCache()   # the context's files may have changed with it
        ls.relint(params.text_document.uri)

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


def serve() -> None:
    build().start_io()
