"""`--format gitlab`: GitLab Code Quality JSON (a list of issues with a
fingerprint that stays the same across runs and line moves)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from .common import fingerprints, utf8
from .result import FileResult

SEVERITY = {"error": "critical", "warning": "major", "info": "info"}


def _issue(check: str, description: str, fingerprint: str, severity: str, path: str,
           lines: tuple[int, int]) -> dict[str, Any]:
    return {"type": "issue", "check_name": check, "description": description, "fingerprint": fingerprint,
            "severity": severity, "location": {"path": path, "lines": {"begin": lines[0], "end": lines[1]}}}


def _error(path: str, message: str, line: int | None) -> dict[str, Any]:
    fingerprint = hashlib.sha256(utf8(f"{path}\0error\0{message}")).hexdigest()[:32]
    return _issue("dlayerlint-error", message, fingerprint, "blocker", path, (line or 1, line or 1))


def render_file(result: FileResult, _show_layers: bool = False) -> list[dict[str, Any]]:
    issues = []
    if result.error is not None:
        issues.append(_error(result.path, result.error, result.error_line))
    analysis = result.analysis
    if analysis is None:
        return issues
    issues += [_error(result.path, e.message, e.line) for e in analysis.errors]
    for finding, fingerprint in fingerprints(result.path, analysis):
        issues.append(_issue(finding.rule.id, f"{finding.rule.id} {finding.rule.name}: {finding.message}",
                             fingerprint, SEVERITY[finding.severity], result.path,
                             (finding.span.start.line, finding.span.end.line)))
    return issues


def combine(pieces: list[list[dict[str, Any]]]) -> str:
    return json.dumps([issue for piece in pieces for issue in piece], indent=2) + "\n"
