"""COPY --chmod / --chown instead of COPY then `RUN chmod/chown`.

Offered only when the RUN does exactly that: an `&&` list of `chmod MODE` and
`chown USER:GROUP` commands whose every target is the destination of a
COPY before it in the stage, with no RUN between. The RUN goes and each COPY
gets the flag. A file's mode and owner come out the same, but a real build
shows that COPY --chown also owns the parent directories the COPY creates, so
--chown below / is unsafe; for a directory (`-R`) the builder may set the
directory itself differently, also unsafe; `--chmod` needs BuildKit, so it is
unsafe without a `# syntax=` line. COPY --chmod takes octal modes only (BuildKit
took symbolic ones from Dockerfile syntax 1.14, buildah not at all), so a
symbolic `chmod +x FILE` becomes the octal mode it gives the file's mode in the
build context: unsafe, since a checkout with another mode would differ.
"""
from __future__ import annotations

import posixpath
import re
import stat
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..simulate.context.build import BuildContext
from ..simulate.analysis import Analysis
from ..simulate.layers import Layer
from ..core.results import Finding, Fix
from ..dockerfile.model import Instruction
from .source import PLAIN, NoFix, earlier_in_stage, source_lines, stage_of, uses_buildkit, with_flag

OCTAL = re.compile(r"[0-7]{3,4}\Z")
OWNER = re.compile(r"[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+\Z")
SHELL_SYNTAX = re.compile(r"[;|<>()$`'\"*?\[\]{}\\\n]|&&&|(?<!&)&(?!&)")
COMMANDS = frozenset({"chmod", "chown"})
SYMBOLIC_CLAUSE = re.compile(r"([ugoa]*)([-+=])([rwxX]*)\Z")
WHO = {"u": 0o700, "g": 0o070, "o": 0o007, "a": 0o777}
PERMISSION = {"r": 0o444, "w": 0o222, "x": 0o111}
BUILD_UMASK = 0o022   # what RUN runs with (Docker, BuildKit and buildah)


def symbolic_mode(mode: str, current: int) -> int | None:
    """The mode `chmod MODE` gives a regular file of mode `current`, as GNU chmod
    computes it: without `ugoa` the bits given are all classes' less the umask's,
    and `=` clears all of them; None for what this does not model (s, t, copying
    another class's bits, two operators in a clause)."""
    for clause in mode.split(","):
        match = SYMBOLIC_CLAUSE.match(clause)
        if match is None:
            return None
        who, operator, permissions = match.groups()
        classes = 0
        for letter in who or "a":
            classes |= WHO[letter]
        bits = 0
        for letter in permissions:
            bits |= (0o111 if current & 0o111 else 0) if letter == "X" else PERMISSION[letter]
        bits &= classes if who else ~BUILD_UMASK
        current = current | bits if operator == "+" else current & ~bits if operator == "-" \
            else (current & ~classes) | bits
    return current


@dataclass(slots=True)
class _Copy:
    instruction: Instruction
    is_file: bool
    source_mode: int | None = None   # the copied file's mode in the build context, when known
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
    earlier = earlier_in_stage(stage, run)
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
    unsafe = []
    if name == "chmod" and not OCTAL.match(value):
        value, unsafe = _octal(copy, value, target)
    copy.flags[name] = value
    parent = posixpath.dirname(posixpath.normpath(target))
    if name == "chown" and parent != "/":
        unsafe.append(f"COPY --chown also owns the directories it creates above {target}, which chown left to root")
    if copy.is_file:
        return unsafe
    if not recursive:
        raise NoFix(f"`{name}` without -R changes only the directory {target}, "
                    f"COPY --{name} would change every copied file")
    return unsafe + [f"the builder may give the directory {target} itself another "
                     f"{'mode' if name == 'chmod' else 'owner'} than `{name} -R` does"]


def _octal(copy: _Copy, symbolic: str, target: str) -> tuple[str, list[str]]:
    """The octal mode for `chmod SYMBOLIC target` of a copied file, and why it is unsafe."""
    if not copy.is_file:
        raise NoFix(f"symbolic mode `{symbolic}` on the directory {target}: each copied file would get "
                    "its own mode, COPY --chmod gives them all one")
    if copy.source_mode is None:
        raise NoFix(f"symbolic mode `{symbolic}`: COPY --chmod takes an octal mode, computed from the "
                    f"copied file's mode, which is known only from the build context")
    mode = symbolic_mode(symbolic, copy.source_mode)
    if mode is None:
        raise NoFix(f"symbolic mode `{symbolic}` is beyond what the fix computes (s, t, u=g …)")
    return f"{mode:04o}", [f"`chmod {symbolic}` gives {mode:04o} to the file's mode {copy.source_mode:04o} "
                           "in the build context now; a checkout with another mode would differ"]


def _source_mode(context: BuildContext | None, copy: Instruction, words: list[str]) -> int | None:
    """The mode of the one regular file a plain `COPY SOURCE DEST` reads from the context."""
    sources = [word for word in words[:-1] if not word.startswith("--")]
    if context is None or copy.flag("from") or len(sources) != 1:
        return None
    try:
        status = (context.root / sources[0]).lstat()
    except (OSError, ValueError):
        return None
    return stat.S_IMODE(status.st_mode) if stat.S_ISREG(status.st_mode) else None


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
        if not words or _destination(analysis, instruction, words[-1]) != wanted:
            continue
        if instruction.keyword == "ADD" or instruction.index not in copy_indexes:
            break
        if not all(PLAIN.match(word) for word in words):
            raise NoFix(f"the COPY on line {instruction.line} has a destination the fix cannot read")
        if instruction.index not in copies:
            versions = analysis.target.fs.layer_versions.get(instruction.index, []) if analysis.target else []
            paths = {v.path for v in versions if not v.dropped}
            is_file = paths == {wanted} and not words[-1].endswith("/")
            mode = _source_mode(analysis.context, instruction, words) if is_file else None
            copies[instruction.index] = _Copy(instruction, is_file, mode)
        return copies[instruction.index]
    raise NoFix(f"{target} is not exactly what one COPY brought in")


def _destination(analysis: Analysis, copy: Instruction, written: str) -> str:
    """Where the COPY copies to, as the replay resolved it (`COPY assets/ ./assets/` after
    `WORKDIR /srv` copies to /srv/assets)."""
    layers = analysis.target.layers if analysis.target is not None else []
    found = bisect_left(layers, copy.index, key=_index)   # layers are in instruction order
    resolved = layers[found].destination if found < len(layers) and layers[found].index == copy.index else None
    return resolved or posixpath.normpath(written)


def _index(layer: Layer) -> int:
    return layer.index


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
