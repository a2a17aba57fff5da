"""Recommends an install does not need (DLL110): `--no-install-recommends` after `install`.

Unsafe: the image loses the recommended packages, and the software may use some of them
(git's ssh client, a locale, a CA bundle); the finding names what they are.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from ..simulate.analysis import Analysis
from ..simulate.effects.apt_layer import RecommendsCost
from ..simulate.fs import Origin
from ..core.results import Finding, Fix
from .source import NoFix, editable_run, source_lines

OPTION = "--no-install-recommends"
_INSTALL = re.compile(r"\sinstall(?=\s|$)")
UNSAFE = "unsafe: the image no longer gets the recommended packages, which the software may use"


def offers(analysis: Analysis, findings: list[Finding]) -> Iterator[tuple[list[Finding], Callable[[], Fix]]]:
    for finding in findings:
        if isinstance(finding.evidence, RecommendsCost):
            yield [finding], lambda o=finding.evidence.origin: without_recommends(analysis, o)


def without_recommends(analysis: Analysis, origin: Origin) -> Fix:
    """The RUN with `--no-install-recommends` right after the command's `install`."""
    dockerfile = analysis.dockerfile
    run = editable_run(dockerfile, origin.layer, "the install is made by")
    start, end = origin.span.start, origin.span.end
    lines = source_lines(dockerfile, run)
    line = lines[start.line - run.line]
    match = _INSTALL.search(line, start.column - 1)
    if match is None or (end.line == start.line and match.end() > end.column):
        raise NoFix(f"`install` is not on the line where `{origin.text}` starts")
    lines[start.line - run.line] = f"{line[:match.end()]} {OPTION}{line[match.end():]}"
    return Fix(run.line, run.end_line, "\n".join(lines), safe=False,
               description=f"`{OPTION}` leaves the recommended packages out; {UNSAFE}")
