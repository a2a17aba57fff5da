"""`dlayerlint lsp` driven end to end by pytest-lsp's client over stdio:
diagnostics with UTF-16 ranges and related lines, quick fixes applied back
through didChange, the fix-all action, hover bytes, client settings and bad
input."""
from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from dlayerlint.lint import analyze
from dlayerlint.fixes import apply_fixes
from dlayerlint.lsp.convert import Lines
from dlayerlint.core.spans import Position

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 120   # a hang guard, not a speed bound: a loaded CI machine is slow, never stuck that long
# line 3 has non-ASCII text before the `rm`: one UTF-16 unit for é, two for 😀
BLOATED = ("FROM busybox\n"
           "RUN dd if=/dev/zero bs=1024 count=1024 of=/big\n"
           "RUN echo \"café 😀\" > /note && rm /big\n"
           "CMD [\"sh\"]\n")
SIZED_BY_ARG = ("FROM busybox\n"
                "ARG KIB=1024\n"
                "RUN dd if=/dev/zero bs=1024 count=${KIB} of=/big\n"
                "RUN rm /big\n")
TWO_STAGES = ("FROM busybox AS build\n"
              "RUN head -c 100 /dev/zero > /a\n"
              "RUN rm /a\n"
              "FROM busybox\n"
              "RUN echo hi\n")


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "dlayerlint", "lsp", "--stdio"],   # as vscode-languageclient passes it
    server_env=dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))))
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def start(client: LanguageClient, options: object = None, pull_configuration: bool = False) -> None:
    capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(configuration=pull_configuration))
    await client.initialize_session(types.InitializeParams(capabilities=capabilities,
                                                           initialization_options=options))


async def published(client: LanguageClient, uri: str, send: Callable[[], None],
                    ready: Callable[[Sequence[types.Diagnostic]], bool] = lambda _: True) -> list[types.Diagnostic]:
    """The diagnostics for uri that the server publishes after `send`, the
    first that satisfy `ready` (read from the client's latest, so a publish
    for another document in between is never missed)."""
    before = client.diagnostics.get(uri)
    send()

    async def wait() -> list[types.Diagnostic]:
        while (latest := client.diagnostics.get(uri)) is before or latest is None or not ready(latest):
            await asyncio.sleep(0.01)
        return list(latest)
    return await asyncio.wait_for(wait(), TIMEOUT)


async def open_document(client: LanguageClient, uri: str, text: str, **wait) -> list[types.Diagnostic]:
    return await published(client, uri, lambda: client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="dockerfile", version=1, text=text))), **wait)


def write(folder: Path, text: str, name: str = "Dockerfile") -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path.as_uri()


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def offset(text: str, position: types.Position) -> int:
    """Index into text of an LSP position counted in UTF-16 units."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[:position.line])
    line, units = lines[position.line], 0
    for index, char in enumerate(line):
        if units >= position.character:
            return start + index
        units += utf16(char)
    return start + len(line)


def apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(text, edit.range.start)] + edit.new_text + text[offset(text, edit.range.end):]
    return text


def by_code(diagnostics: Sequence[types.Diagnostic], code: str) -> types.Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, diagnostics
    return found[0]


@pytest.mark.asyncio
async def test_diagnostic_range_counts_utf16_units_and_names_the_creating_line(client, tmp_path):
    await start(client)
    diagnostics = await open_document(client, write(tmp_path, BLOATED), BLOATED)
    removed = by_code(diagnostics, "DLL101")
    line = BLOATED.split("\n")[2]
    assert removed.range.start == types.Position(2, utf16(line[:line.index("rm /big")]))
    assert removed.range.end.line == 2 and removed.range.end.character > removed.range.start.character
    assert removed.severity == types.DiagnosticSeverity.Warning
    assert "1.0 MiB" in removed.message
    assert removed.source == "dlayerlint"   # the rule is the code, its documentation the href
    assert removed.code_description.href.endswith("/DLL101.yaml")
    (related,) = removed.related_information
    assert related.location.uri == (tmp_path / "Dockerfile").as_uri()
    assert related.location.range.start == types.Position(1, 4)   # `dd`, where /big was made
    assert "/big" in related.message


@pytest.mark.asyncio
async def test_columns_follow_the_negotiated_position_encoding(client, tmp_path):
    capabilities = types.ClientCapabilities(general=types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind.Utf8]))
    result = await client.initialize_session(types.InitializeParams(capabilities=capabilities))
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    removed = by_code(await open_document(client, write(tmp_path, BLOATED), BLOATED), "DLL101")
    line = BLOATED.split("\n")[2]
    assert removed.range.start.character == len(line[:line.index("rm /big")].encode("utf-8"))


@pytest.mark.asyncio
async def test_quick_fix_applied_through_did_change_clears_the_diagnostic(client, tmp_path):
    await start(client)
    uri = write(tmp_path, BLOATED)
    diagnostics = await open_document(client, uri, BLOATED)
    removed = by_code(diagnostics, "DLL101")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), removed.range,
        types.CodeActionContext([removed], only=[types.CodeActionKind.QuickFix])))
    (action,) = actions
    assert action.kind == types.CodeActionKind.QuickFix and action.is_preferred
    assert [d.code for d in action.diagnostics] == ["DLL101"]
    (edit,) = action.edit.changes[uri]
    fixed = apply(BLOATED, [edit])
    # the same rewrite the CLI proposes, placed on the same lines
    assert fixed == apply_fixes(BLOATED, [analyze(BLOATED).findings[0].fix])
    assert await published(client, uri, lambda: client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(version=2, uri=uri),
        [types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)]))) == []
    # the server applied the UTF-16 range to the same text the client has
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(1, 0)))
    assert "stranded **0 B**" in hover.contents.value


@pytest.mark.asyncio
async def test_unsafe_rewrite_is_offered_but_not_preferred_nor_in_fix_all(client, tmp_path):
    text = "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    await start(client)
    uri = write(tmp_path, text)
    cache = by_code(await open_document(client, uri, text), "DLL105")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), cache.range, types.CodeActionContext([cache])))
    (action,) = actions   # a quick fix, and no fix-all: there is no safe rewrite
    assert action.kind == types.CodeActionKind.QuickFix and not action.is_preferred
    assert "unsafe" in action.title
    assert "rm -rf /var/lib/apt/lists/*" in apply(text, action.edit.changes[uri])


@pytest.mark.asyncio
async def test_fix_all_source_action_applies_every_safe_rewrite(client, tmp_path):
    twice = BLOATED + "RUN head -c 2048 /dev/zero > /tmp/x\nRUN rm /tmp/x\n"
    await start(client)
    uri = write(tmp_path, twice)
    diagnostics = await open_document(client, uri, twice)
    assert [d.code for d in diagnostics] == ["DLL101", "DLL101"]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), types.Range(types.Position(0, 0), types.Position(0, 0)),
        types.CodeActionContext([], only=[types.CodeActionKind.SourceFixAll])))
    (fix_all,) = actions
    assert fix_all.kind == "source.fixAll.dlayerlint"
    fixed = apply(twice, fix_all.edit.changes[uri])
    assert analyze(fixed).findings == []
    assert fixed.count("RUN ") == 2   # each pair merged into one layer


@pytest.mark.asyncio
async def test_edits_keep_crlf_line_endings_as_the_cli_rewrite_does(client, tmp_path):
    text = BLOATED.replace("\n", "\r\n")
    await start(client)
    uri = write(tmp_path, "x")
    await open_document(client, uri, text)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), types.Range(types.Position(0, 0), types.Position(0, 0)),
        types.CodeActionContext([], only=[types.CodeActionKind.SourceFixAll])))
    fixed = apply(text, actions[0].edit.changes[uri])
    assert fixed == apply_fixes(text, [f.fix for f in analyze(text).findings])
    assert "\r\n    && " in fixed and "\n" not in fixed.replace("\r\n", "")


@pytest.mark.asyncio
async def test_hover_shows_the_layers_added_and_stranded_bytes(client, tmp_path):
    await start(client)
    uri = write(tmp_path, BLOATED)
    await open_document(client, uri, BLOATED)
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(1, 10)))
    assert "adds **1.0 MiB**" in hover.contents.value
    assert "stranded **1.0 MiB**" in hover.contents.value
    assert hover.range.start.line == 1
    nothing = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(0, 2)))   # FROM makes no layer of ours
    assert nothing is None


@pytest.mark.asyncio
async def test_copy_sizes_come_from_the_documents_folder(client, tmp_path):
    (tmp_path / "app.bin").write_bytes(b"\0" * 3000)
    text = "FROM busybox\nCOPY app.bin /app.bin\nRUN chmod 0755 /app.bin\n"
    await start(client)
    uri = write(tmp_path, text)
    diagnostics = await open_document(client, uri, text)
    assert "2.9 KiB" in by_code(diagnostics, "DLL103").message
    # the context is listed again on save, not on every keystroke
    (tmp_path / "app.bin").write_bytes(b"\0" * 6000)
    saved = await published(client, uri, lambda: client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))))
    assert "5.9 KiB" in by_code(saved, "DLL103").message
    # never saved: no folder, so the size is unknown, and nothing crashes
    unsaved = await open_document(client, "untitled:Untitled-1", text)
    assert "2.9 KiB" not in by_code(unsaved, "DLL103").message


@pytest.mark.asyncio
async def test_initialization_options_set_build_args_and_disable_rules(client, tmp_path):
    await start(client, {"buildArgs": {"KIB": "3072"}, "disable": ["modified-in-later-layer"]})
    uri = write(tmp_path, SIZED_BY_ARG)
    diagnostics = await open_document(client, uri, SIZED_BY_ARG)
    assert "3.0 MiB" in by_code(diagnostics, "DLL101").message
    second = write(tmp_path, BLOATED.replace("rm /big", "chmod 600 /big"), "other.Dockerfile")
    assert await open_document(client, second, BLOATED.replace("rm /big", "chmod 600 /big")) == []


@pytest.mark.asyncio
async def test_workspace_configuration_is_pulled_again_when_it_changes(client, tmp_path):
    client.set_configuration({"target": "build"}, section="dlayerlint")
    await start(client, pull_configuration=True)
    uri = write(tmp_path, TWO_STAGES)
    diagnostics = await open_document(client, uri, TWO_STAGES, ready=lambda d: bool(d))
    assert [d.code for d in diagnostics] == ["DLL101"]
    client.set_configuration({}, section="dlayerlint")
    # the last stage is the image again (stage build is discarded): the finding goes away
    await published(client, uri, lambda: client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)), ready=lambda d: not d)


@pytest.mark.asyncio
async def test_did_change_configuration_carries_the_settings_without_workspace_configuration(client, tmp_path):
    """Neovim <= 0.10 without lspconfig: no `workspace/configuration`, settings pushed in the notification."""
    await start(client)
    uri = write(tmp_path, TWO_STAGES)
    assert await open_document(client, uri, TWO_STAGES) == []
    pushed = await published(client, uri, lambda: client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dlayerlint": {"target": "build"}})), ready=bool)
    assert [d.code for d in pushed] == ["DLL101"]


@pytest.mark.asyncio
async def test_config_file_applies_and_editor_settings_go_on_top(client, tmp_path):
    (tmp_path / "quiet").mkdir()
    (tmp_path / "quiet" / ".dlayerlint.yaml").write_text("disable: [removed-in-later-layer]\n", encoding="utf-8")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / ".dlayerlint.yaml").write_text("disable: 5\n", encoding="utf-8")
    await start(client, pull_configuration=True)
    quiet = write(tmp_path / "quiet", BLOATED)
    assert await open_document(client, quiet, BLOATED) == []
    broken = await open_document(client, write(tmp_path / "broken", BLOATED), BLOATED)
    assert [d.code for d in broken] == [None, "DLL101"]   # the file's settings are ignored, the linting goes on
    assert broken[0].message.startswith(f"{tmp_path / 'broken' / '.dlayerlint.yaml'}: disable:")
    client.set_configuration({"enable": ["DLL101"]}, section="dlayerlint")
    enabled = await published(client, quiet, lambda: client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)), ready=bool)
    assert [d.code for d in enabled] == ["DLL101"]


@pytest.mark.asyncio
async def test_files_the_config_excludes_get_no_diagnostics(client, tmp_path):
    (tmp_path / ".dlayerlint.yaml").write_text("exclude: [vendor]\n", encoding="utf-8")
    (tmp_path / "vendor").mkdir()
    await start(client)
    assert await open_document(client, write(tmp_path / "vendor", BLOATED), BLOATED) == []
    assert [d.code for d in await open_document(client, write(tmp_path, BLOATED), BLOATED)] == ["DLL101"]


@pytest.mark.asyncio
async def test_bad_input_becomes_diagnostics_and_messages_not_a_crash(client, tmp_path):
    await start(client, {"target": "nope", "disable": ["DLL999"], "colour": "red"})
    text = "FROM busybox\nRUN echo hi\n"
    diagnostics = await open_document(client, write(tmp_path, text), text)
    assert "no build stage named 'nope'" in diagnostics[0].message
    assert diagnostics[0].severity == types.DiagnosticSeverity.Error
    messages = " ".join(m.message for m in client.messages)
    assert "editor setting dlayerlint.disable: disable: no rule named 'DLL999'" in messages
    assert "editor setting dlayerlint.colour: colour: unknown key" in messages
    garbage = "FROM\n\x00\ud800 RUN \\\n<<EOF\n" + "(" * 5000
    uri = write(tmp_path, "x", "junk.Dockerfile")
    diagnostics = await open_document(client, uri, garbage)
    assert all(d.severity == types.DiagnosticSeverity.Error for d in diagnostics)
    assert await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(3, 0))) is None


@pytest.mark.asyncio
async def test_parse_errors_point_at_their_line(client, tmp_path):
    text = "FROM busybox\nFROBNICATE x\nRUN echo hi\n"
    await start(client)
    diagnostics = await open_document(client, write(tmp_path, text), text)
    (error,) = diagnostics
    assert error.range.start.line == 1 and error.severity == types.DiagnosticSeverity.Error


@pytest.mark.parametrize(("encoding", "bom_units"), [("utf-16", 1), ("utf-8", 3), ("utf-32", 1)])
def test_a_bom_shifts_the_first_line_by_its_units(encoding, bom_units):
    lines = Lines("\ufeffFROM x\nRUN é y\n", encoding)
    assert lines.position(Position(1, 6)) == types.Position(0, bom_units + 5)   # the `x`
    assert lines.whole_lines(1, 1).start == types.Position(0, bom_units)
    assert lines.position(Position(2, 7)) == types.Position(1, 6 + (encoding == "utf-8"))   # the `y`
