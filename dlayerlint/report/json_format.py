"""`--format json`: the contract in the README (version 1)."""
from __future__ import annotations

import json
from typing import Any

from ..simulate.analysis import Analysis, LayerReport
from ..core.results import Finding, Fix
from .result import FileResult


def _layer(report: LayerReport) -> dict[str, Any]:
    instruction = report.layer.instruction
    return {"line": instruction.line, "end_line": instruction.end_line,
            "instruction": instruction.summary(80), "stage": report.layer.stage,
            "added_bytes": report.added.as_json(), "stranded_bytes": report.stranded.as_json(),
            "confidence": max(report.added.confidence, report.stranded.confidence).label,
            "unknown": list(report.layer.unknown), **({"estimated_from": report.estimate} if report.estimate else {})}


def _finding(finding: Finding, index: int, written: dict[Fix, int]) -> dict[str, Any]:
    """One finding; `written` maps each fix already written to the finding holding it."""
    span = finding.span
    data: dict[str, Any] = {
        "rule": finding.rule.id, "name": finding.rule.name, "severity": finding.severity,
        "line": span.start.line, "column": span.start.column,
        "end_line": span.end.line, "end_column": span.end.column,
        "message": finding.message, "paths": finding.paths,
        "wasted_bytes": finding.wasted.as_json() if finding.wasted is not None else None,
        "wasted_confidence": finding.wasted.confidence.label if finding.wasted is not None else "unknown",
        "certainty": finding.certainty,
        "size_source": finding.size_source,
        "related": [{"line": r.span.start.line, "column": r.span.start.column, "message": r.message}
                    for r in finding.related],
    }
    first = written.setdefault(finding.fix, index) if finding.fix is not None else index
    if first != index:
        # one merge fix serves every finding of a file-wide pattern; written in full each time,
        # the output would grow with findings × file size
        data["same_fix_as"] = first
    elif finding.fix is not None:
        fix = finding.fix
        data["fix"] = {"line": fix.start_line, "end_line": fix.end_line, "replacement": fix.replacement,
                       "safe": fix.safe, "manual": fix.manual, "description": fix.description}
    if finding.no_fix_reason is not None:
        data["no_fix_reason"] = finding.no_fix_reason
    return data


def render_file(result: FileResult, show_layers: bool = False) -> str:
    """The file's entry of the "files" list as JSON text, encoded where a worker
    process renders it so the parent only joins text; compact, as the C
    encoder writes it (indenting is pure Python: it was a tenth of a run)."""
    return json.dumps(file_data(result, show_layers))


def file_data(result: FileResult, _show_layers: bool = False) -> dict[str, Any]:
    analysis: Analysis | None = result.analysis
    data: dict[str, Any] = {"path": result.path, "stranded_bytes": None, "stranded_confidence": "unknown",
                            "layers": [], "findings": [], "errors": []}
    found = getattr(result, "found", None)   # the build context `check` chose (app.check.CheckedFile)
    data["context"] = str(found.directory) if found is not None else None
    data["context_source"] = found.source if found is not None else None
    if result.error is not None:
        data["errors"].append({"line": result.error_line, "column": None, "message": result.error})
    if analysis is None:
        return data
    stranded = analysis.stranded
    if stranded is not None:
        data["stranded_bytes"] = stranded.as_json()
        data["stranded_confidence"] = stranded.confidence.label
    data["layers"] = [_layer(report) for report in analysis.layers]
    written: dict[Fix, int] = {}
    data["findings"] = [_finding(finding, index, written) for index, finding in enumerate(analysis.findings)]
    data["errors"] += [{"line": e.line, "column": e.column, "message": e.message} for e in analysis.errors]
    data["notes"] = list(analysis.notes)
    return data


def combine(pieces: list[str]) -> str:
    """The document json.dumps({"version": 1, "files": [...]}) would make."""
    return '{"version": 1, "files": [' + ", ".join(pieces) + "]}\n"
