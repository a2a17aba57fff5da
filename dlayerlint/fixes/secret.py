"""A secret copied in and removed later (DLL108): mount it instead.

The rewrite drops the COPY and mounts the secret (`RUN --mount=type=secret`)
into each RUN that ran while it was there. It is shown, never applied: the
build must pass the secret (`--secret id=...,src=...`), and the leaked one
must be rotated whatever the Dockerfile says now.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator

from ..simulate.analysis import Analysis
from ..core.results import Finding, Fix
from ..dockerfile.model import Instruction
from .source import PLAIN, NoFix, source_lines, with_flag

ONLY_RM = re.compile(r"\s*rm(?:\s+-[frv]+)*\s+(\S+)\s*\Z")


def offers(analysis: Analysis, findings: list[Finding]) -> Iterator[tuple[list[Finding], Callable[[], Fix]]]:
    for finding in findings:
        yield [finding], lambda f=finding: secret_fix(analysis, f)


def secret_fix(analysis: Analysis, finding: Finding) -> Fix:
    instructions = analysis.dockerfile.instructions
    made, removed = instructions[min(finding.layers)], instructions[max(finding.layers)]
    words = list(made.exec_form or made.arguments.split())
    if made.keyword != "COPY" or len(finding.paths) != 1 or len(words) != 2 or made.flag("from"):
        raise NoFix(f"mount the secret with RUN --mount=type=secret in the step that needs it instead of "
                    f"{made.keyword} on line {made.line}, and rotate it: it has leaked")
    path = finding.paths[0]
    secret_id = re.sub(r"[^A-Za-z0-9_-]", "", posixpath.basename(path).lstrip(".")) or "secret"
    if not PLAIN.match(path):
        raise NoFix(f"the secret's path {path} cannot be written into a mount as it is")
    mount = f"--mount=type=secret,id={secret_id},target={path}"
    lines, cursor, note = [], made.end_line + 1, ""
    for instruction in instructions[made.index + 1:removed.index + 1]:
        lines += analysis.dockerfile.lines[cursor - 1:instruction.line - 1]
        cursor = instruction.end_line + 1
        only_rm = ONLY_RM.match(instruction.arguments) if instruction is removed else None
        if only_rm and posixpath.normpath(only_rm.group(1)) == path:
            continue
        if instruction is removed:
            note = f"; drop the `rm` of {path} from line {removed.line}"
        lines += _mounted(analysis, instruction, mount)
    description = (f"do not copy the secret in: mount it where it is used (build with "
                   f"--secret id={secret_id},src=FILE){note}; rotate it, it has leaked")
    return Fix(made.line, removed.end_line, "\n".join(lines), safe=False, description=description, manual=True)


def _mounted(analysis: Analysis, instruction: Instruction, mount: str) -> list[str]:
    if instruction.keyword == "RUN" and instruction.exec_form is None:
        return with_flag(analysis.dockerfile, instruction, mount)
    return source_lines(analysis.dockerfile, instruction)
