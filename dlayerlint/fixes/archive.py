"""An archive left in the image (DLL109): remove it in the RUN that unpacks it.

Offered when the archive was downloaded or copied in that same RUN: then the removal
saves its bytes. When an earlier layer made it, removing it later saves nothing (DLL106),
so the reason says to download, unpack and remove in one RUN instead. Unsafe: a later
step that reads the archive would fail.
"""
from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator

from ..core.results import Finding, Fix
from ..rules.archive_left import LeftArchive
from ..simulate.analysis import Analysis
from .source import NoFix, appended, editable_run


def offers(analysis: Analysis, findings: list[Finding]) -> Iterator[tuple[list[Finding], Callable[[], Fix]]]:
    for finding in findings:
        left = finding.evidence
        if isinstance(left, LeftArchive):
            yield [finding], lambda l=left: removal(analysis, l)


def removal(analysis: Analysis, left: LeftArchive) -> Fix:
    dockerfile = analysis.dockerfile
    run = dockerfile.instructions[left.unpacked_by.layer]
    made = dockerfile.instructions[left.version.first.layer]
    if made.index != run.index:
        raise NoFix(f"the archive is made on line {made.line}, in an earlier layer: removing it later saves "
                    f"nothing; download, unpack and remove it in one RUN")
    editable_run(dockerfile, run.index, "the archive is unpacked by")
    _not_read_later(analysis, run.index, left.version.path)
    command = f"rm -f {shlex.quote(left.version.path)}"
    return Fix(run.line, run.end_line, "\n".join(appended(dockerfile, run, command)), safe=False,
               description=f"remove the archive in the RUN that unpacks it (`{command}`); unsafe: a later step "
                           f"that reads it would fail")


def _not_read_later(analysis: Analysis, index: int, path: str) -> None:
    """NoFix when a later instruction names the archive: it would read what we removed."""
    name = path.rsplit("/", 1)[-1]
    for later in analysis.dockerfile.instructions[index + 1:]:
        if name in later.arguments:
            raise NoFix(f"line {later.line} names {name}: it reads the archive after it is unpacked")
