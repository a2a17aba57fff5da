"""Human output, as compilers print it: `path:line:col: ID name: message`,
the related lines, the suggested rewrite, and the file's stranded total."""
from __future__ import annotations

from ..simulate.analysis import Analysis
from ..core.results import Finding
from ..core.sizes import describe
from .common import terminal_text
from .result import FileResult

INDENT = "    "


def _finding(path: str, finding: Finding) -> list[str]:
    start = finding.span.start
    lines = [f"{path}:{start.line}:{start.column}: {finding.rule.id} {finding.rule.name} "
             f"[{finding.severity}]: {finding.message}"]
    # no `path:line:` prefix: a quickfix list (Vim, Emacs compile mode) gets one entry per finding
    lines += [f"{INDENT}line {r.span.start.line}, column {r.span.start.column}: {r.message}" for r in finding.related]
    if finding.no_fix_reason is not None:
        lines.append(f"{INDENT}no rewrite: {finding.no_fix_reason}")
    return lines


def _fixes(analysis: Analysis) -> list[str]:
    # each distinct fix once, in finding order; a dict, as a list's `in` compared every pair (quadratic)
    seen = dict.fromkeys(finding.fix for finding in analysis.findings if finding.fix is not None)
    lines = []
    for fix in seen:
        how = "manual" if fix.manual else "--fix" if fix.safe else "--fix --unsafe-fixes"
        where = f"line {fix.start_line}" if fix.start_line == fix.end_line else \
            f"lines {fix.start_line}-{fix.end_line}"
        lines.append(f"suggested rewrite of {where} ({fix.description}) [{how}]:")
        lines += [INDENT + line for line in fix.replacement.splitlines()]
    return lines


def _layers(analysis: Analysis) -> list[str]:
    rows = [f"{'LINE':>5}  {'STAGE':<10} {'ADDED':>12} {'STRANDED':>12}  INSTRUCTION"]
    for report in analysis.layers:
        instruction = report.layer.instruction
        rows.append(f"{instruction.line:>5}  {report.layer.stage[:10]:<10} {describe(report.added):>12} "
                    f"{describe(report.stranded):>12}  {instruction.summary(60)}")
    rows += [f"  ~ apt layers sized from {e}" for e in dict.fromkeys(r.estimate for r in analysis.layers if r.estimate)]
    return rows


def _summary(path: str, analysis: Analysis) -> str:
    stranded = analysis.stranded
    if stranded is None:
        return f"{path}: no build stage"
    count = len(analysis.findings)
    exact = f" ({stranded.bytes} B)" if stranded.as_json() is not None else ""   # never a 0 for an unknown
    return (f"{path}: {count} finding{'s' if count != 1 else ''}, {describe(stranded)}{exact} "
            f"stranded above the base image")


def error_lines(result: FileResult) -> list[str]:
    """The file's read or parse errors, one line each (the CLI also puts them on stderr)."""
    if result.error is not None:
        where = f"{result.path}:{result.error_line}" if result.error_line else result.path
        return [terminal_text(f"{where}: error: {result.error}")]
    analysis = result.analysis
    lines = [f"{result.path}:{e.line}:{e.column}: error: {e.message}" for e in analysis.errors] if analysis else []
    return [terminal_text(line) for line in lines]


def render_file(result: FileResult, show_layers: bool) -> str:
    if result.error is not None:
        return error_lines(result)[0] + "\n"
    analysis = result.analysis
    assert analysis is not None
    out = error_lines(result)
    for finding in analysis.findings:
        out += _finding(result.path, finding)
    out += _fixes(analysis)
    if show_layers:
        found = getattr(result, "found", None)   # the build context `check` chose (app.check.CheckedFile)
        if found is not None:
            out.append(f"build context: {found.directory} ({found.source}: {found.reason})")
        out += _layers(analysis)
    out += [f"{result.path}: note: {note}" for note in analysis.notes]
    out.append(_summary(result.path, analysis))
    return terminal_text("\n".join(out)) + "\n"


def combine(pieces: list[str]) -> str:
    return "".join(pieces)
