"""From dlayerlint's results to LSP objects: diagnostics, code actions, hover.

The model counts 1-based lines and 1-based columns in code points, after a
leading BOM; LSP counts 0-based lines and columns in the negotiated unit
(UTF-16 code units unless the client offered otherwise) on the raw text.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from lsprotocol import types

from ..core.results import Finding, Fix
from ..simulate.analysis import LayerReport
from ..fixes.edit import applicable
from ..core.spans import Position, Span
from ..core.sizes import describe
from .linting import Lint
from .names import FIX_ALL, SOURCE

LAYER_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "info": types.DiagnosticSeverity.Information}

_UNITS: dict[str, Callable[[str], int]] = {
    types.PositionEncodingKind.Utf8.value: lambda s: len(s.encode("utf-8", "surrogatepass")),
    types.PositionEncodingKind.Utf16.value: lambda s: len(s.encode("utf-16-le", "surrogatepass")) // 2,
    types.PositionEncodingKind.Utf32.value: len,
}


class Lines:
    """The document's lines, to turn model positions into client ones."""

    def __init__(self, text: str, encoding: str | types.PositionEncodingKind | None = None) -> None:
        self.text = text
        self.lines = text.split("\n")   # as the parser splits: a \r stays on its line
        self.bom = 1 if text.startswith("\ufeff") else 0
        name = getattr(encoding, "value", encoding) or types.PositionEncodingKind.Utf16.value
        self.units = _UNITS.get(name, _UNITS[types.PositionEncodingKind.Utf16.value])

    def _line(self, index: int) -> str:
        return self.lines[index] if 0 <= index < len(self.lines) else ""

    def position(self, position: Position) -> types.Position:
        index = max(position.line - 1, 0)
        prefix = self._line(index)[:max(position.column - 1 + (self.bom if index == 0 else 0), 0)]
        # ASCII counts the same in every unit: most lines need no encoding
        return types.Position(index, len(prefix) if prefix.isascii() else self.units(prefix))

    def range(self, span: Span) -> types.Range:
        return types.Range(self.position(span.start), self.position(span.end))

    def whole_lines(self, first: int, last: int) -> types.Range:
        """Lines first..last (1-based), their line endings excluded."""
        end = self._line(last - 1).removesuffix("\r")
        start = self.units("\ufeff") if first == 1 and self.bom else 0
        return types.Range(types.Position(first - 1, start), types.Position(last - 1, self.units(end)))

    def edit(self, fix: Fix) -> types.TextEdit:
        """The fix as `apply_fixes` makes it: new lines end as the first replaced one."""
        first = self._line(fix.start_line - 1)
        crlf = first.endswith("\r") if fix.start_line < len(self.lines) else "\r\n" in self.text
        return types.TextEdit(self.whole_lines(fix.start_line, fix.end_line),
                              fix.replacement.replace("\n", "\r\n" if crlf else "\n"))


def _finding_diagnostic(uri: str, lines: Lines, finding: Finding) -> types.Diagnostic:
    related = [types.DiagnosticRelatedInformation(types.Location(uri, lines.range(r.span)), r.message)
               for r in finding.related]
    return types.Diagnostic(
        range=lines.range(finding.span),
        message=finding.message,
        severity=SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.rule.id,
        # the tool goes in `source` and the rule in `code`, as editors show them ("dlayerlint(DLL101)")
        code_description=types.CodeDescription(finding.rule.help_uri) if finding.rule.help_uri else None,
        source=SOURCE,
        related_information=related or None,
    )


def diagnostics(uri: str, lines: Lines, result: Lint) -> list[types.Diagnostic]:
    out = [types.Diagnostic(range=lines.whole_lines(p.line, p.line), message=p.message,
                            severity=types.DiagnosticSeverity.Error, source=SOURCE)
           for p in result.problems]
    if result.analysis is None:
        return out
    for error in result.analysis.errors:
        start = Position(error.line, error.column)
        out.append(types.Diagnostic(range=types.Range(lines.position(start), lines.position(start)),
                                    message=error.message, severity=types.DiagnosticSeverity.Error,
                                    source=SOURCE))
    out += [_finding_diagnostic(uri, lines, finding) for finding in result.analysis.findings]
    return out


def _distinct_fixes(findings: Iterable[Finding]) -> dict[Fix, list[Finding]]:
    by_fix: dict[Fix, list[Finding]] = {}
    for finding in findings:
        if finding.fix is not None and not finding.fix.manual:   # manual ones need changes outside the file
            by_fix.setdefault(finding.fix, []).append(finding)
    return by_fix


def _wanted(kind: str, only: list[str] | None) -> bool:
    """Whether the client asked for `kind` (kinds are dot-separated hierarchies)."""
    return only is None or any(kind == want or kind.startswith(want + ".") for want in only)


def code_actions(uri: str, lines: Lines, result: Lint, params: types.CodeActionParams) -> list[types.CodeAction]:
    """A quick fix per rewrite touching the requested lines (preferred when
    safe), and a fix-all source action applying every safe rewrite."""
    if result.analysis is None:
        return []
    only = [str(kind) for kind in params.context.only] if params.context.only else None
    first, last = params.range.start.line + 1, params.range.end.line + 1
    by_fix = _distinct_fixes(result.analysis.findings)
    actions = []
    if _wanted(types.CodeActionKind.QuickFix.value, only):
        for fix, findings in by_fix.items():
            if not any(f.span.start.line <= last and f.span.end.line >= first for f in findings):
                continue
            actions.append(types.CodeAction(
                title=fix.description, kind=types.CodeActionKind.QuickFix,
                diagnostics=[_finding_diagnostic(uri, lines, f) for f in findings],
                is_preferred=fix.safe,
                edit=types.WorkspaceEdit(changes={uri: [lines.edit(fix)]})))
    safe = applicable([fix for fix in by_fix if fix.safe], lines.text)
    if safe and _wanted(FIX_ALL, only):
        actions.append(types.CodeAction(
            title="dlayerlint: apply every safe rewrite", kind=FIX_ALL,
            edit=types.WorkspaceEdit(changes={uri: [lines.edit(fix) for fix in safe]})))
    return actions


def _layer_at(result: Lint, line: int) -> LayerReport | None:
    if result.analysis is None:
        return None
    for report in result.analysis.layers:
        instruction = report.layer.instruction
        if instruction.keyword in LAYER_KEYWORDS and instruction.line <= line <= instruction.end_line:
            return report
    return None


def hover(lines: Lines, result: Lint, position: types.Position) -> types.Hover | None:
    """The layer's added and stranded bytes, on any line of its RUN/COPY/ADD."""
    report = _layer_at(result, position.line + 1)
    if report is None:
        return None
    instruction = report.layer.instruction
    text = [f"**dlayerlint**: layer of line {instruction.line} (stage `{report.layer.stage}`)", "",
            f"- adds **{describe(report.added)}**",
            f"- stranded **{describe(report.stranded)}** (shipped but deleted or replaced later)"]
    if report.layer.unknown:
        text.append(f"- a lower bound: unknown size of {', '.join(report.layer.unknown)}")
    text += [f"- sized from {report.estimate}"] if report.estimate else []
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, "\n".join(text)),
                       lines.whole_lines(instruction.line, instruction.end_line))
