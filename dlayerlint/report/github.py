"""`--format github`: GitHub Actions workflow commands, one annotation per
finding (`::warning file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`)
and per error. Info findings are notices."""
from __future__ import annotations

from ..core.results import Finding
from ..core.spans import Span
from .result import FileResult

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(command: str, properties: dict[str, object], message: str) -> str:
    listed = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{command} {listed}::{escape_data(message)}\n"


def _where(path: str, span: Span) -> dict[str, object]:
    """Columns only on one line: GitHub ignores them on a multi-line range."""
    where: dict[str, object] = {"file": path, "line": span.start.line}
    if span.start.line == span.end.line:
        where |= {"col": span.start.column, "endLine": span.end.line, "endColumn": span.end.column}
    else:
        where["endLine"] = span.end.line
    return where


def _finding(path: str, finding: Finding) -> str:
    related = [f"\n{path}:{r.span.start.line}:{r.span.start.column}: {r.message}" for r in finding.related]
    title = f"{finding.rule.id} {finding.rule.name}"
    return annotation(COMMAND[finding.severity], _where(path, finding.span) | {"title": title},
                      finding.message + "".join(related))


def render_file(result: FileResult, _show_layers: bool = False) -> str:
    out = []
    if result.error is not None:
        where: dict[str, object] = {"file": result.path}
        if result.error_line:
            where["line"] = result.error_line
        out.append(annotation("error", where | {"title": "dlayerlint error"}, result.error))
    if result.analysis is not None:
        out += [annotation("error", {"file": result.path, "line": e.line, "col": e.column,
                                     "title": "dlayerlint parse error"}, e.message) for e in result.analysis.errors]
        out += [_finding(result.path, finding) for finding in result.analysis.findings]
    return "".join(out)


def combine(pieces: list[str]) -> str:
    return "".join(pieces)
