"""The linting side of the language server: settings, each open document's last analysis,
relints (coalesced while edits come in) and what they publish. Imported when the client
says `initialized`, so the answer to `initialize` waits for pygls alone, not for the
analysis code (server.py)."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from ..config import Config
from ..simulate.context.build import ContextCache
from .convert import Lines, code_actions, diagnostics, hover
from .linting import Lint, lint_document
from .settings import SECTION, client_config

if TYPE_CHECKING:
    from .server import DlayerlintServer

EDIT_PAUSE = 0.15   # seconds without an edit before a relint (typing speed: ~0.1-0.2 s a key)


@dataclass(slots=True)
class Linted:
    version: int | None
    lines: Lines
    result: Lint


class Session:
    def __init__(self, server: DlayerlintServer, options: Any) -> None:
        self.server = server
        self.contexts = ContextCache()
        self.linted: dict[str, Linted] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}   # relints waiting for the edits to pause
        # initializationOptions; workspace/configuration goes on top
        self.initial = self.editor = self.read(options, Config())

    def read(self, data: object, base: Config) -> Config:
        """The client's settings over `base`; each bad one is shown and skipped."""
        root = Path(self.server.workspace.root_path or Path.cwd())
        settings, problems = client_config(data, root)
        for message in problems:
            self.server.window_show_message(types.ShowMessageParams(types.MessageType.Warning, message))
        return base.merged(settings)

    def files_changed(self) -> None:
        """A document was opened or saved: the build contexts are listed again."""
        self.contexts = ContextCache()

    def relint(self, uri: str) -> Linted:
        workspace = self.server.workspace
        document = workspace.get_text_document(uri)
        text = document.source
        path = to_fs_path(uri)   # None for unsaved (untitled:) documents
        linted = Linted(document.version, Lines(text, workspace.position_encoding),
                        lint_document(text, Path(path) if path else None, self.editor, self.contexts))
        self.linted[uri] = linted
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=diagnostics(uri, linted.lines, linted.result)))
        return linted

    def current(self, uri: str) -> Linted:
        """The analysis of the document as it is now."""
        linted = self.linted.get(uri)
        version = self.server.workspace.get_text_document(uri).version
        return linted if linted is not None and linted.version == version else self.relint(uri)

    async def pull_settings(self) -> None:
        """Ask the client for the `dlayerlint` section, over the initial options."""
        workspace = self.server.client_capabilities.workspace
        if workspace is None or not workspace.configuration:
            return
        try:
            answer = await self.server.workspace_configuration_async(
                types.ConfigurationParams([types.ConfigurationItem(section=SECTION)]))
        except Exception as error:  # pylint: disable=broad-exception-caught  # the client may refuse
            logging.getLogger(__name__).warning("workspace/configuration failed: %s", error)
            return
        self.editor = self.read(answer[0] if answer else None, self.initial)

    def relint_open(self, uri: str) -> None:
        """Relint an open document; a change or save of one never opened is a client's
        mistake: ignored, so it cannot grow the server's state."""
        self.pending.pop(uri, None)
        if uri in self.server.workspace.text_documents:
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
            if uri in self.server.workspace.text_documents:
                self.relint(uri)

    def closed(self, uri: str) -> None:
        self.linted.pop(uri, None)
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        linted = self.current(params.text_document.uri)
        return code_actions(params.text_document.uri, linted.lines, linted.result, params)

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        linted = self.current(params.text_document.uri)
        return hover(linted.lines, linted.result, params.position)
