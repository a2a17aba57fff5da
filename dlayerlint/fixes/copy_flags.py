"""COPY --chmod / --chown instead of COPY then `RUN chmod/chown`.

Offered only when the RUN does exactly that: an `&&` list of `chmod MODE` (octal)
and `chown USER:GROUP` commands whose every target is the destination of a
COPY before it in the stage, with no RUN between. The RUN goes and each COPY
gets the flag. A file's mode and owner come out the same, but a real build
shows that COPY --chown also owns the parent directories the COPY creates, so
--chown below / is unsafe; for a directory (`-R`) the builder may set the
directory itself differently, also unsafe; `--chmod` needs BuildKit, so it is
unsafe without a `# syntax=` line.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..findings import Analysis, Finding, Fix
from ..model import Instruction
from .source import PLAIN, NoFix, source_lines, stage_of, uses_buildkit, with_flag

OCTAL = re.compile(r"[0-7]{3,4}\Z")
OWNER = re.compile(r"[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+\Z")
SHELL_SYNTAX = re.compile(r"[;|<>()$`'\"*?\[\]{}\\\n]|&&&|(?<!&)&(?!&)")
COMMANDS = frozenset({"chmod", "chown"})


@dataclass(slots=True)
class _Copy:
    instruction: Instruction
    is_file: bool
    flags: dict[str, str] = field(default_factory=dict)   # flag name → value to add


def offers(analysis: Analysis, findings: list[Finding]) -> Iterator[tuple[list[Finding], Callable[[], Fix]]]:
    by_run: dict[int, list[Finding]] = {}
    for finding in findings:
        by_run.setdefault(max(finding.layers), []).append(finding)
    instructions = analysis.dockerfile.instructions
    for run_index, group in by_run.items():
        copies = {index for finding in group for index in finding.layers} - {run_index}
        yield group, lambda r=run_index, c=frozenset(copies): copy_flags_fix(analysis, instructions, r, c)


def copy_flags_fix(analysis: Analysis, instructions: list[Instruction], run_index: int,
                   copy_indexes: frozenset[int]) -> Fix:
    run = instructions[run_index]
    if run.keyword != "RUN" or run.flags or run.heredocs or run.exec_form is not None:
        raise NoFix(f"the change on line {run.line} is not a plain shell-form RUN")
    copies, unsafe = _flagged_copies(analysis, run, copy_indexes)
    if "chmod" in {n for c in copies.values() for n in c.flags} and not uses_buildkit(analysis.dockerfile):
        unsafe.append("COPY --chmod needs BuildKit (Dockerfile syntax 1.2 or later) and the file "
                      "has no `# syntax=` line")
    first = instructions[min(copies)]
    _check_between(instructions[first.index + 1:run_index], copies)
    return _rewrite(analysis, first, run, copies, unsafe)


def _flagged_copies(analysis: Analysis, run: Instruction,
                    copy_indexes: frozenset[int]) -> tuple[dict[int, _Copy], list[str]]:
    """The COPYs the RUN's commands change, with their new flags, and why that is unsafe."""
    stage = stage_of(analysis.dockerfile, run)
    earlier = [i for i in stage.instructions if i.index < run.index] if stage else []
    copies: dict[int, _Copy] = {}
    unsafe = []
    for name, recursive, value, targets in _commands(run):
        for target in targets:
            copy = _copy_for(analysis, earlier, copies, target, copy_indexes)
            unsafe += _add_flag(copy, name, value, recursive, target)
    return copies, unsafe


def _add_flag(copy: _Copy, name: str, value: str, recursive: bool, target: str) -> list[str]:
    """Give the COPY `--name=value`; returns why that is unsafe, if it is."""
    if copy.instruction.flag(name) or name in copy.flags:
        raise NoFix(f"the COPY on line {copy.instruction.line} already has --{name}")
    copy.flags[name] = value
    parent = posixpath.dirname(posixpath.normpath(target))
    unsafe = [f"COPY --chown also owns the directories it creates above {target}, which chown left to root"
              ] if name == "chown" and parent != "/" else []
    if copy.is_file:
        return unsafe
    if not recursive:
        raise NoFix(f"`{name}` without -R changes only the directory {target}, "
                    f"COPY --{name} would change every copied file")
    return unsafe + [f"the builder may give the directory {target} itself another "
                     f"{'mode' if name == 'chmod' else 'owner'} than `{name} -R` does"]


def _commands(run: Instruction) -> Iterator[tuple[str, bool, str, list[str]]]:
    """(chmod|chown, -R, mode or owner, targets) for each command of the RUN."""
    if SHELL_SYNTAX.search(run.arguments):
        raise NoFix(f"the RUN on line {run.line} does more than chmod/chown the copied files")
    for command in run.arguments.split("&&"):
        words = command.split()
        if not words or words[0] not in COMMANDS:
            raise NoFix(f"the RUN on line {run.line} does more than chmod/chown the copied files")
        options = [w for w in words[1:] if w.startswith("-")]
        operands = [w for w in words[1:] if not w.startswith("-")]
        if set(options) - {"-R"} or len(operands) < 2:
            raise NoFix(f"`{' '.join(words)}` on line {run.line} has options COPY cannot express")
        value, targets = operands[0], operands[1:]
        if words[0] == "chmod" and not OCTAL.match(value):
            raise NoFix(f"symbolic mode `{value}` on line {run.line}: COPY --chmod takes an octal mode")
        if words[0] == "chown" and not OWNER.match(value):
            raise NoFix(f"`chown {value}` on line {run.line}: COPY --chown=USER would also set the group")
        yield words[0], bool(options), value, targets


def _copy_for(analysis: Analysis, earlier: list[Instruction], copies: dict[int, _Copy], target: str,
              copy_indexes: frozenset[int]) -> _Copy:
    """The COPY whose destination is `target`, the last one before the RUN."""
    wanted = posixpath.normpath(target)
    for instruction in reversed(earlier):
        if instruction.keyword not in ("COPY", "ADD"):
            continue
        words = list(instruction.exec_form or instruction.arguments.split())
        if not words or posixpath.normpath(words[-1]) != wanted:
            continue
        if instruction.keyword == "ADD" or instruction.index not in copy_indexes:
            break
        if not all(PLAIN.match(word) for word in words) or not wanted.startswith("/"):
            raise NoFix(f"the COPY on line {instruction.line} has a destination the fix cannot read")
        if instruction.index not in copies:
            versions = analysis.target.fs.layer_versions.get(instruction.index, []) if analysis.target else []
            paths = {v.path for v in versions if not v.dropped}
            copies[instruction.index] = _Copy(instruction, paths == {wanted} and not words[-1].endswith("/"))
        return copies[instruction.index]
    raise NoFix(f"{target} is not exactly what one COPY brought in")


def _check_between(between: list[Instruction], copies: dict[int, _Copy]) -> None:
    targets = {posixpath.normpath(list(c.instruction.exec_form or c.instruction.arguments.split())[-1])
               for c in copies.values()}
    for instruction in between:
        if instruction.keyword == "RUN":
            raise NoFix(f"the RUN on line {instruction.line} runs between the COPY and the chmod/chown")
        if instruction.keyword in ("COPY", "ADD") and instruction.index not in copies:
            dest = posixpath.normpath((instruction.exec_form or instruction.arguments.split() or ["?"])[-1])
            if any(dest == t or dest.startswith(t + "/") or t.startswith(dest + "/") for t in targets):
                raise NoFix(f"the {instruction.keyword} on line {instruction.line} also writes there")


def _rewrite(analysis: Analysis, first: Instruction, run: Instruction, copies: dict[int, _Copy],
             unsafe: list[str]) -> Fix:
    dockerfile = analysis.dockerfile
    lines = dockerfile.lines[first.line - 1:run.line - 1]
    for copy in copies.values():
        flags = " ".join(f"--{name}={value}" for name, value in sorted(copy.flags.items()))
        offset = copy.instruction.line - first.line
        new = with_flag(dockerfile, copy.instruction, flags)
        lines[offset:offset + len(source_lines(dockerfile, copy.instruction))] = new
    copy_lines = ", ".join(str(c.instruction.line) for c in sorted(copies.values(), key=lambda c: c.instruction.line))
    description = f"set mode/owner in the COPY of line {copy_lines} and drop the RUN of line {run.line}"
    if unsafe:
        description += "; unsafe: " + "; ".join(unsafe)
    return Fix(first.line, run.end_line, "\n".join(lines), safe=not unsafe, description=description)
