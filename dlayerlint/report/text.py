"""Human output, as compilers print it: `path:line:col: ID name: message`,
the related lines, the suggested rewrite, and the file's stranded total."""
from __future__ import annotations

from ..simulate.analysis import Analysis
from ..core.results import Finding
from ..core.sizes import describe
from .result import FileResult

INDENT = "    "


def _finding(path: str, finding: Finding) -> list[str]:
    start = finding.span.start
    lines = [f"{path}:{start.line}:{start.column}: {finding.rule.id} {finding.rule.name} "
             f"[{finding.severity}]: {finding.message}"]
    lines += [f"{INDENT}{path}:{r.span.start.line}:{r.span.start.column}: {r.message}" for r in finding.related]
    if finding.no_fix_reason is not None:
        lines.append(f"{INDENT}no rewrite: {finding.no_fix_reason}")
    return lines


def _fixes(analysis: Analysis) -> list[str]:
    seen = []
    for finding in analysis.findings:
        if finding.fix is not None and finding.fix not in seen:
            seen.append(finding.fix)
    lines = []
    for fix in seen:
        how = "manual" if fix.manual else "--fix" if fix.safe else "--fix --unsafe-fixes"
        lines.append(f"suggested rewrite of lines {fix.start_line}-{fix.end_line} ({fix.description}) [{how}]:")
        lines += [INDENT + line for line in fix.replacement.splitlines()]
    return lines


def _layers(analysis: Analysis) -> list[str]:
    rows = [f"{'LINE':>5}  {'STAGE':<10} {'ADDED':>12} {'STRANDED':>12}  INSTRUCTION"]
    for report in analysis.layers:
        instruction = report.layer.instruction
        rows.append(f"{instruction.line:>5}  {report.layer.stage[:10]:<10} {describe(report.added):>12} "
                    f"{describe(report.stranded):>12}  {instruction.summary(60)}")
    return rows


def _summary(path: str, analysis: Analysis) -> str:
    stranded = analysis.stranded
    if stranded is None:
        return f"{path}: no build stage"
    count = len(analysis.findings)
    return (f"{path}: {count} finding{'s' if count != 1 else ''}, {describe(stranded)} "
            f"({stranded.bytes} B) stranded above the base image")


def render_file(result: FileResult, show_layers: bool) -> str:
    if result.error is not None:
        where = f"{result.path}:{result.error_line}" if result.error_line else result.path
        return f"{where}: error: {result.error}\n"
    analysis = result.analysis
    assert analysis is not None
    out = [f"{result.path}:{e.line}:{e.column}: error: {e.message}" for e in analysis.errors]
    for finding in analysis.findings:
        out += _finding(result.path, finding)
    out += _fixes(analysis)
    if show_layers:
        out += _layers(analysis)
    out.append(_summary(result.path, analysis))
    return "\n".join(out) + "\n"


def combine(pieces: list[str]) -> str:
    return "".join(pieces)
