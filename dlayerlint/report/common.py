"""What several output formats share: a finding's source snippet and stable
fingerprint, and XML-safe text."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from ..simulate.analysis import Analysis
from ..core.results import Finding

# characters XML 1.0 forbids even as references
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` with the characters XML cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def snippet(analysis: Analysis, finding: Finding) -> str:
    """The source text a finding points at, whitespace folded."""
    start, end = finding.span.start, finding.span.end
    lines = analysis.dockerfile.lines[start.line - 1:end.line]
    if not lines:
        return ""
    if len(lines) == 1:
        return " ".join(lines[0][start.column - 1:end.column - 1].split())
    return " ".join(" ".join([lines[0][start.column - 1:], *lines[1:-1], lines[-1][:end.column - 1]]).split())


def fingerprints(path: str, analysis: Analysis) -> Iterator[tuple[Finding, str]]:
    """Each finding with a fingerprint that survives line moves and reruns: the
    file, the rule, the paths and the text pointed at (and a count for repeats)."""
    seen: dict[str, int] = {}
    for finding in analysis.findings:
        key = "\0".join([path, finding.rule.id, snippet(analysis, finding), *sorted(finding.paths)])
        seen[key] = seen.get(key, 0) + 1
        yield finding, hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32]
