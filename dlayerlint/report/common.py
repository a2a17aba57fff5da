"""What several output formats share: a finding's source snippet and stable
fingerprint, XML-safe and terminal-safe text."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..simulate.analysis import Analysis
from ..core.results import Finding

# characters XML 1.0 forbids even as references; lone surrogates (from a
# non-UTF-8 file name) have no UTF-8 form, so they cannot be written either
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# C0 controls but tab and newline, DEL and C1 (\x9b is a CSI on some terminals):
# a Dockerfile's ESC [ 2 J or a lone CR must not rewrite the reader's screen
_NOT_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def xml_text(text: str) -> str:
    """`text` with the characters XML cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def terminal_text(text: str) -> str:
    """`text` with the control characters a terminal would act on replaced by U+FFFD."""
    return _NOT_TERMINAL.sub("\ufffd", text)


def utf8(text: str) -> bytes:
    """UTF-8 that cannot fail: a path from a non-UTF-8 file name holds lone
    surrogates (Python's surrogateescape), kept as their original bytes."""
    return text.encode("utf-8", "surrogateescape" if _ESCAPED.search(text) else "surrogatepass")


_ESCAPED = re.compile("[\udc80-\udcff]")


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
    import hashlib  # pylint: disable=import-outside-toplevel  # ~4 ms that text and JSON runs need not pay
    seen: dict[str, int] = {}
    for finding in analysis.findings:
        key = "\0".join([path, finding.rule.id, snippet(analysis, finding), *sorted(finding.paths)])
        seen[key] = seen.get(key, 0) + 1
        yield finding, hashlib.sha256(utf8(f"{key}\0{seen[key]}")).hexdigest()[:32]
