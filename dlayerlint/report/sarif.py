"""`--format sarif`: SARIF 2.1.0 for code scanning (GitHub, GitLab, IDEs).

One run; the driver lists every built-in rule (help text and URI: the rule's
file on the main branch) and any other rule a result uses (plugins, DLL001).
Columns are code points (`columnKind`), ranges end-exclusive as in SARIF.
Files that could not be linted become tool execution notifications.
"""
from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..core.rule import Rule
from ..rules.catalogue import rules
from ..simulate.analysis import Analysis
from ..core.results import Finding, Fix
from ..core.spans import Span
from .common import fingerprints, utf8
from .result import FileResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT = "dlayerlint/v1"


def uri(path: str) -> str:
    """A relative path stays relative (to the repository root, for code scanning)."""
    pure = PurePath(path)
    return pure.as_uri() if pure.is_absolute() else quote(utf8(pure.as_posix()))


def _descriptor(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rule.id, "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(rule.rationale.split()) or rule.summary},
        "help": {"text": rule.explain()},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
    }
    if rule.help_uri:
        data["helpUri"] = rule.help_uri
    if rule.hadolint:
        data["properties"] = {"hadolint": list(rule.hadolint)}
    return data


def _location(artifact: str, span: Span) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": artifact}, "region": {
        "startLine": span.start.line, "startColumn": span.start.column,
        "endLine": span.end.line, "endColumn": span.end.column}}}


def _fix(artifact: str, fix: Fix, analysis: Analysis) -> dict[str, Any]:
    """Whole lines start..end replaced, their line breaks kept."""
    last = analysis.dockerfile.lines[fix.end_line - 1]
    region = {"startLine": fix.start_line, "startColumn": 1, "endLine": fix.end_line, "endColumn": len(last) + 1}
    return {"description": {"text": fix.description}, "properties": {"safe": fix.safe},
            "artifactChanges": [{"artifactLocation": {"uri": artifact}, "replacements": [
                {"deletedRegion": region, "insertedContent": {"text": fix.replacement}}]}]}


def _result(artifact: str, finding: Finding, fingerprint: str, analysis: Analysis) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ruleId": finding.rule.id, "level": LEVEL[finding.severity], "message": {"text": finding.message},
        "locations": [_location(artifact, finding.span)],
        "partialFingerprints": {FINGERPRINT: fingerprint},
        "properties": {"wastedBytes": finding.wasted.as_json() if finding.wasted is not None else None,
                       "wastedConfidence": finding.wasted.confidence.label if finding.wasted else "unknown",
                       "paths": finding.paths},
    }
    if finding.related:
        data["relatedLocations"] = [dict(_location(artifact, r.span), id=index, message={"text": r.message})
                                    for index, r in enumerate(finding.related)]
    if finding.fix is not None and not finding.fix.manual:
        data["fixes"] = [_fix(artifact, finding.fix, analysis)]
    return data


def _notification(artifact: str, message: str, line: int | None, column: int | None) -> dict[str, Any]:
    region = {"startLine": line, "startColumn": column or 1} if line else None
    location: dict[str, Any] = {"artifactLocation": {"uri": artifact}}
    if region:
        location["region"] = region
    return {"level": "error", "message": {"text": message}, "locations": [{"physicalLocation": location}]}


def render_file(result: FileResult, _show_layers: bool = False) -> dict[str, Any]:
    artifact = uri(result.path)
    piece: dict[str, Any] = {"results": [], "rules": {}, "notifications": []}
    if result.error is not None:
        piece["notifications"].append(_notification(artifact, result.error, result.error_line, None))
    analysis = result.analysis
    if analysis is None:
        return piece
    piece["notifications"] += [_notification(artifact, e.message, e.line, e.column) for e in analysis.errors]
    for finding, fingerprint in fingerprints(result.path, analysis):
        piece["results"].append(_result(artifact, finding, fingerprint, analysis))
        piece["rules"].setdefault(finding.rule.id, _descriptor(finding.rule))
    return piece


def combine(pieces: list[dict[str, Any]]) -> str:
    descriptors = {rule.id: _descriptor(rule) for rule in rules().values()}
    for piece in pieces:
        for rule_id, descriptor in piece["rules"].items():
            descriptors.setdefault(rule_id, descriptor)
    index = {rule_id: position for position, rule_id in enumerate(descriptors)}
    results = [dict(result, ruleIndex=index[result["ruleId"]]) for piece in pieces for result in piece["results"]]
    notifications = [note for piece in pieces for note in piece["notifications"]]
    run = {
        "tool": {"driver": {"name": "dlayerlint", "version": __version__,
                            "informationUri": "https://github.com/dlayerlint/dlayerlint",
                            "rules": list(descriptors.values())}},
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        "results": results,
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"
