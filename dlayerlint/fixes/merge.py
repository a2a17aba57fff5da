"""Merge RUNs: fold the RUN that removes or rewrites a path into the RUN that
made it, with every instruction between them, so the bytes never reach a layer.

The merged RUN takes the first RUN's place. What lies between the RUNs moves
and what it changes for the later RUNs is carried into their part:
- ENV: stays below, carried as `export NAME=value`: the value BuildKit sets,
  quoted, when it reads no variable; else as written for the shell to
  expand (unsafe: the shell may read it differently);
- WORKDIR: stays below, carried as `mkdir -p DIR && cd DIR` (plain paths only;
  unsafe after a USER, since mkdir then runs as that user);
- ARG: moves above the merged RUN (unsafe: the earlier commands now see it);
- metadata (LABEL, EXPOSE, CMD ...): moves below;
- COPY, ADD: moves above the merged RUN (unsafe: the earlier commands then see
  what it brings in, and a change to those files re-runs them), unless it
  reads a variable an ENV before it sets, a WORKDIR before it changes its
  relative destination, it gives files to a user by name, its destination is
  not plain or lies where packages put files (/etc, /usr, /var, /opt …), or a
  RUN before it names that destination or a folder above it;
- USER, SHELL, VOLUME or a new stage: no merge.
Parts are joined with `&&`, so the build still stops at the first failure; a
part that could leak state into the next ones (`cd`, `export`, `;`, `||`,
`&` ...) runs in a subshell, whose status is that of the RUN it was.
"""
from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

from ..core.results import Finding, Fix
from ..dockerfile.expand import parse_assignments, split_words
from ..dockerfile.model import Dockerfile, Instruction, Stage
from .source import (PLAIN, SHELL_COMMENT, NoFix, body_text, comment_lines, continuation_indent, earlier_in_stage,
                     flags_text, joiner, named_places, parsed_cleanly, posix_shell_stage, source_lines)

MERGEABLE = frozenset({"DLL101", "DLL102", "DLL104", "DLL106", "DLL107", "DLL111"})
METADATA = frozenset({"LABEL", "EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL", "MAINTAINER",
                      "ONBUILD"})
BLOCKERS = {"USER": "runs the later RUN as another user", "SHELL": "changes the shell of the later RUN",
            "VOLUME": "makes what later RUNs write there depend on the builder",
            "FROM": "starts another stage"}
LEAKS_STATE = re.compile(r";|\|\||(?<![&>])&(?![&>])|\n|(?:^|[\s;&|(])(?:cd|export|set|unset|umask|source|\.|"
                         r"pushd|popd|shopt|alias|exit|[A-Za-z_][A-Za-z0-9_]*=)(?:\s|$)")
# an ENV value read with no variable known: None when it reads one
NO_VARIABLES: dict[str, str | None] = {}
# the rest of a legacy `ENV PATH $PATH:/opt/bin` that reads the same inside double quotes
LEGACY_CARRIED = re.compile(r'[^"\\`\n]+')
# where package managers put files; a COPY there does not move above a RUN
SYSTEM_FOLDERS = tuple(f"/{name}/" for name in ("etc", "usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin",
                                                 "var", "opt", "boot"))
# each later part replays what ENV and WORKDIR carried: beyond this many, the merged RUN grows
# with the square of its parts (a 10 MiB file of RUN/ENV pairs would be one vast RUN)
MAX_CARRIED = 64
SH_C = (("sh", "-c"), ("/bin/sh", "-c"))


def merged_ranges(findings: list[Finding]) -> list[tuple[int, int, list[Finding]]]:
    """Findings whose instruction ranges overlap, grouped: (first, last, findings)."""
    spans = sorted(((min(f.layers), max(f.layers), f) for f in findings), key=lambda item: item[:2])
    merged: list[tuple[int, int, list[Finding]]] = []
    for first, last, finding in spans:
        if merged and first <= merged[-1][1]:
            start, end, group = merged[-1]
            group.append(finding)
            merged[-1] = (start, max(end, last), group)
        else:
            merged.append((first, last, [finding]))
    return merged


@dataclass(slots=True)
class _Merge:
    """The merged RUN being built, instruction by instruction."""
    dockerfile: Dockerfile
    user_line: int | None            # the last USER before the merged RUN, if any
    workdir: str                     # the last WORKDIR's path before the merged RUN ("/": none)
    flags: str | None = None
    parts: list[str] = field(default_factory=list)
    above: list[str] = field(default_factory=list)    # comments and moved ARGs
    below: list[str] = field(default_factory=list)    # moved instructions with their comments
    carried: list[str] = field(default_factory=list)  # commands that replay state for later parts
    carried_what: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)
    # absolute paths the RUNs taken so far name, and the folders above them: path -> line
    named: dict[str, int] = field(default_factory=dict)
    stays_below: dict[str, Instruction] = field(default_factory=dict)   # the first ENV and WORKDIR taken

    def add(self, instruction: Instruction, comments: list[str]) -> None:
        keyword = instruction.keyword
        if keyword == "RUN":
            self.above += comments
            self._run(instruction)
            self._note_places(instruction)
        elif keyword == "ARG":
            self.above += comments + source_lines(self.dockerfile, instruction)
            self.unsafe.append(f"ARG of line {instruction.line} moves above the merged RUN, "
                               "whose earlier commands then see it")
        elif keyword in ("COPY", "ADD"):
            self._copy_above(instruction, comments)
        elif keyword in ("ENV", "WORKDIR") or keyword in METADATA:
            self.below += comments + source_lines(self.dockerfile, instruction)
            if keyword in ("ENV", "WORKDIR"):
                self.stays_below.setdefault(keyword, instruction)
            if keyword == "ENV":
                self._env(instruction)
            elif keyword == "WORKDIR":
                self._workdir(instruction)
        else:
            reason = BLOCKERS.get(keyword, "is not moved by a merge")
            raise NoFix(f"{keyword} on line {instruction.line} between the RUNs {reason}")

    def _run(self, run: Instruction) -> None:
        if run.heredocs:
            raise NoFix(f"the RUN on line {run.line} has a heredoc: merge it by hand")
        flags = flags_text(self.dockerfile, run)
        if self.flags is None:
            self.flags = flags
        elif flags != self.flags:
            raise NoFix(f"the RUN on line {run.line} has other flags ({flags.strip() or 'none'}) "
                        f"than the RUN it would merge into ({self.flags.strip() or 'none'})")
        body = _exec_body(run) if run.exec_form is not None else body_text(self.dockerfile, run)
        command = body if run.exec_form is not None else run.arguments
        if run.exec_form is None:
            parsed_cleanly(run)
        if SHELL_COMMENT.search(command):
            raise NoFix(f"a `#` comment in the RUN on line {run.line} would swallow the commands merged after it")
        part = f"( {body} )" if LEAKS_STATE.search(command) else body
        if len(self.carried) > MAX_CARRIED:
            raise NoFix(f"the merge would carry over {MAX_CARRIED} ENV and WORKDIR commands into the RUN "
                        f"on line {run.line}: merge by hand")
        self.parts.append(f"( {' && '.join(self.carried)} && {part} )" if self.carried else part)

    def _note_places(self, run: Instruction) -> None:
        for place in named_places(run.arguments):
            self.named.setdefault(place, run.line)

    def _copy_above(self, copy: Instruction, comments: list[str]) -> None:
        """A COPY or ADD between the RUNs moves above the merged RUN, when what it copies
        to is known and no RUN before it names that place (`mkdir /app` would fail)."""
        why = f"{copy.keyword} on line {copy.line} between the RUNs"
        # the ENV and WORKDIR taken stay below: the COPY must not read what they change
        moved_over = self.stays_below.get("ENV") if "$" in copy.arguments else None
        if moved_over is None and not _last_word(copy).startswith("/"):
            moved_over = self.stays_below.get("WORKDIR")
        if moved_over is not None:
            raise NoFix(f"{why} would move above the {moved_over.keyword} of line {moved_over.line}")
        if any(value and not value.replace(":", "").isdigit() for value in copy.flag_values("chown")):
            raise NoFix(f"{why} gives its files to a user by name, whom an earlier RUN may create")
        destination = self._destination(copy)
        if destination is None:
            raise NoFix(f"{why} copies to a place that is not known")
        if destination == "/" or f"{destination}/".startswith(SYSTEM_FOLDERS):
            # a package an earlier RUN installs may own files there: dpkg then stops at the conffile
            # the COPY put in its way (a real build of the corpus failed so)
            raise NoFix(f"{why} copies into {destination}, where a package an earlier RUN installs may have files")
        place = destination
        while place not in ("/", "") and place not in self.named:
            place = posixpath.dirname(place)
        if place in self.named:
            raise NoFix(f"{why} would move above the RUN on line {self.named[place]}, which uses {destination}")
        self.above += comments + source_lines(self.dockerfile, copy)
        self.unsafe.append(f"{copy.keyword} of line {copy.line} moves above the merged RUN, whose earlier "
                           "commands then see what it brings in (and a change to those files re-runs them)")

    def _destination(self, copy: Instruction) -> str | None:
        """The COPY's absolute destination as written, relative ones joined to the stage's
        last plain WORKDIR before it (one before the merged RUN: a WORKDIR inside it keeps a
        relative COPY below); None when it reads a variable or the WORKDIR is not plain."""
        destination = _last_word(copy)
        if copy.heredocs or not PLAIN.match(destination):
            return None
        if not destination.startswith("/"):
            base = self.workdir
            if not (base.startswith("/") and PLAIN.match(base)):
                return None
            destination = posixpath.join(base, destination)
        return posixpath.normpath(destination)

    def _env(self, env: Instruction) -> None:
        """Carry an ENV as `export`s: a value with no variable in it is exactly what BuildKit
        sets, quoted for the shell (safe); one that reads variables is left for the shell to
        expand, which may read it differently (unsafe)."""
        escape = self.dockerfile.escape
        values = parse_assignments(env.arguments, escape, NO_VARIABLES)
        words = split_words(env.arguments, escape)
        legacy = bool(words) and "=" not in words[0]     # `ENV NAME the rest of the line`
        rest = env.arguments.strip()[len(words[0]):].strip() if legacy else ""
        if not values or (legacy and values[0][1] is None and not LEGACY_CARRIED.fullmatch(rest)):
            raise NoFix(f"ENV on line {env.line} cannot be carried into the merged RUN as written")
        raw = [f'"{rest}"'] if legacy else [word.partition("=")[2] for word in words]
        for position, (name, value) in enumerate(values):
            if value is not None:
                self.carried.append(f"export {name}={shlex.quote(value)}")
                continue
            self.carried.append(f"export {name}={raw[position]}")
            self.unsafe.append(f"the shell may read {name}={raw[position]} (ENV of line {env.line}) "
                               "differently from the builder")
        self.carried_what.append(f"ENV of line {env.line} as `export`")

    def _workdir(self, workdir: Instruction) -> None:
        path = workdir.arguments.strip()
        if not PLAIN.match(path):
            raise NoFix(f"WORKDIR on line {workdir.line} cannot be carried into the merged RUN as written")
        self.carried += [f"mkdir -p {path}", f"cd {path}"]
        self.carried_what.append(f"WORKDIR of line {workdir.line} as `cd`")
        if self.user_line is not None:
            self.unsafe.append(f"the WORKDIR of line {workdir.line} is made by `mkdir -p` as the USER of "
                               f"line {self.user_line}, which may not be allowed to")


def _state_before(stage: Stage, first: Instruction) -> tuple[int | None, str]:
    """The line of the stage's last USER before `first` (None: none) and its last WORKDIR's
    path ("/": none), walking back from `first` only as far as needed."""
    user_line, workdir = None, None
    for instruction in reversed(earlier_in_stage(stage, first)):
        if instruction.keyword == "USER" and user_line is None:
            user_line = instruction.line
        elif instruction.keyword == "WORKDIR" and workdir is None:
            workdir = instruction.arguments.strip()
        if user_line is not None and workdir is not None:
            break
    return user_line, workdir or "/"


def _last_word(copy: Instruction) -> str:
    """A COPY's destination as written ("" when it has no source)."""
    words = list(copy.exec_form) if copy.exec_form is not None else copy.arguments.split()
    return words[-1] if len(words) >= 2 else ""


def _exec_body(run: Instruction) -> str:
    """An exec-form RUN as the same command for /bin/sh -c (quoted, so nothing expands)."""
    argv = run.exec_form or ()
    body = argv[2] if len(argv) == 3 and argv[:2] in SH_C else shlex.join(argv)
    if "\n" in body or not argv:
        raise NoFix(f"the exec-form RUN on line {run.line} does not fit on one shell line")
    return body


def _comments_before(dockerfile: Dockerfile, instructions: list[Instruction]) -> list[list[str]]:
    """Per instruction, the whole-line comments between it and the one before."""
    lines = comment_lines(dockerfile, instructions[0].line, instructions[-1].end_line)
    out, position = [], 0
    for instruction in instructions:
        mine = []
        while position < len(lines) and lines[position] < instruction.line:
            mine.append(dockerfile.lines[lines[position] - 1])
            position += 1
        while position < len(lines) and lines[position] <= instruction.end_line:
            position += 1   # comments inside the instruction stay in its text
        out.append(mine)
    return out


def merge_runs(dockerfile: Dockerfile, instructions: list[Instruction], then: str | None = None) -> Fix:
    """The merged RUN for instructions[0]..instructions[-1], with `then` as its last command
    when given (a clean-up that must follow every step that reads what it removes); NoFix
    says why not."""
    first, last = instructions[0], instructions[-1]
    if first.keyword != "RUN":
        raise NoFix(f"made by {first.keyword} on line {first.line}, not by a RUN: leave it out of "
                    "the build context (.dockerignore) or of the COPY, or change it before copying")
    if last.keyword != "RUN":
        raise NoFix(f"changed by {last.keyword} on line {last.line}: only RUN instructions are merged")
    stage = posix_shell_stage(dockerfile, first)
    merge = _Merge(dockerfile, *_state_before(stage, first))
    comments = _comments_before(dockerfile, instructions)
    for instruction, before in zip(instructions, comments):
        merge.add(instruction, before if instruction is not first else [])
    if then is not None:
        merge.parts.append(then)
    if len(merge.parts) < 2:
        raise NoFix("nothing to merge")
    keyword = dockerfile.lines[first.line - 1][first.keyword_span.start.column - 1:
                                               first.keyword_span.end.column - 1]
    indent = continuation_indent(dockerfile, [i for i in instructions if i.keyword == "RUN"])
    text = f"{keyword} {merge.flags}" + joiner(dockerfile, indent).join(merge.parts)
    description = f"merge the RUN instructions of lines {first.line}-{last.line} into one layer"
    if merge.carried_what:
        description += "; carries " + ", ".join(merge.carried_what)
    if merge.unsafe:
        description += "; unsafe: " + "; ".join(merge.unsafe)
    return Fix(first.line, last.end_line, "\n".join(merge.above + [text] + merge.below),
               safe=not merge.unsafe, description=description)
