"""Reading instructions back out of the source as written, for rewrites that
keep the file's style: flags, bodies, continuation indent, comments."""
from __future__ import annotations

import posixpath
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from ..dockerfile.model import Dockerfile, Instruction, Stage
from ..shell.parse import parse_script

# a word that BuildKit and /bin/sh read the same way: no quotes, variables or globs
PLAIN = re.compile(r"[A-Za-z0-9_./:@%+,~=-]+\Z")
# a shell comment: in a merged RUN it would swallow the commands joined after it
SHELL_COMMENT = re.compile(r"(?:^|\s)#")
# base images whose RUN does not go through a POSIX shell
WINDOWS_BASE = re.compile(r"windows|nanoserver|servercore", re.IGNORECASE)
DEFAULT_INDENT = "    "


class NoFix(Exception):
    """Why a finding gets no rewrite; the message is shown to the user."""


def flags_text(dockerfile: Dockerfile, run: Instruction) -> str:
    """The instruction's flags as written (quotes kept), each followed by a blank."""
    texts = []
    for flag in run.flags:
        start, end = flag.span.start, flag.span.end
        if start.line != end.line:
            raise NoFix(f"a flag of line {run.line} is split across lines")
        texts.append(dockerfile.lines[start.line - 1][start.column - 1:end.column - 1] + " ")
    return "".join(texts)


def body_text(dockerfile: Dockerfile, run: Instruction) -> str:
    """The RUN's command as written, continuations and inner comments kept."""
    start = run.arguments_map.position(0)
    lines = dockerfile.lines[start.line - 1:run.end_line]
    lines[0] = lines[0][start.column - 1:]
    return without_dangling_escape(dockerfile, "\n".join(lines))


def without_dangling_escape(dockerfile: Dockerfile, text: str) -> str:
    """The text without trailing blanks and a final escape character. An
    instruction's last line ends in one only at the end of the file; text
    appended after it would start with an escaped blank (`apt-get update \\ &&`)."""
    text = text.rstrip()
    return text[:-1].rstrip() if text.endswith(dockerfile.escape) else text


def parsed_cleanly(run: Instruction) -> None:
    """NoFix unless the shell-form RUN's script parses without errors: text
    appended to an unclosed quote or a broken command would not run as meant."""
    script = parse_script(run.arguments)
    if script.errors or script.not_parsed is not None:
        raise NoFix(f"the shell script of the RUN on line {run.line} does not parse cleanly")


def source_lines(dockerfile: Dockerfile, instruction: Instruction) -> list[str]:
    return dockerfile.lines[instruction.line - 1:instruction.end_line]


def with_flag(dockerfile: Dockerfile, instruction: Instruction, flag: str) -> list[str]:
    """The instruction's lines with `flag` inserted right after its keyword."""
    lines = source_lines(dockerfile, instruction)
    column = instruction.keyword_span.end.column - 1
    first = lines[0]
    lines[0] = f"{first[:column]} {flag}{first[column:]}"
    return lines


def continuation_indent(dockerfile: Dockerfile, instructions: list[Instruction]) -> str:
    """The indent of the first continuation line among the instructions, so a
    rewrite looks like the rest of the file."""
    for instruction in instructions:
        for line in dockerfile.lines[instruction.line:instruction.end_line]:
            if line.strip() and not line.lstrip().startswith("#"):
                return line[:len(line) - len(line.lstrip())] or " "
    return DEFAULT_INDENT


def joiner(dockerfile: Dockerfile, indent: str) -> str:
    """What goes between two commands of one RUN: `&&` on a continuation line."""
    return f" {dockerfile.escape}\n{indent}&& "


def uses_buildkit(dockerfile: Dockerfile) -> bool:
    """A `# syntax=` directive: the file asks for a BuildKit Dockerfile frontend."""
    return "syntax" in dockerfile.directives


def comment_lines(dockerfile: Dockerfile, first: int, last: int) -> list[int]:
    """Lines first..last that are whole-line comments (comments are in line order)."""
    lines = [comment.line for comment in dockerfile.comments]
    return lines[bisect_left(lines, first):bisect_right(lines, last)]


def stage_of(dockerfile: Dockerfile, instruction: Instruction) -> Stage | None:
    for stage in dockerfile.stages:
        if stage.from_instruction.index <= instruction.index and (
                not stage.instructions or instruction.index <= stage.instructions[-1].index):
            return stage
    return None


def earlier_in_stage(stage: Stage | None, instruction: Instruction) -> list[Instruction]:
    """The stage's instructions before `instruction`, by bisection: fixes that each look back
    must not scan the whole stage (a 3,000-line file has hundreds of offers)."""
    if stage is None:
        return []
    return stage.instructions[:bisect_left(stage.instructions, instruction.index, key=_index)]


def _index(instruction: Instruction) -> int:
    return instruction.index


def posix_shell_stage(dockerfile: Dockerfile, instruction: Instruction) -> Stage:
    """The instruction's stage, when its RUNs go through /bin/sh -c; else NoFix."""
    stage = stage_of(dockerfile, instruction)
    if stage is None:
        raise NoFix("the instruction is outside any build stage")
    if WINDOWS_BASE.search(stage.base):
        raise NoFix(f"the stage's base image {stage.base} does not run RUN with a POSIX shell")
    shells = [i for i in stage.instructions if i.keyword == "SHELL" and i.index < instruction.index]
    if shells:
        raise NoFix(f"SHELL on line {shells[-1].line} changes the shell that runs RUN")
    return stage


def appended(dockerfile: Dockerfile, run: Instruction, clean: str) -> list[str]:
    """The RUN with `&& clean` as its last command (after `a; b` it runs when b
    succeeds, and the RUN fails when b fails either way)."""
    if SHELL_COMMENT.search(run.arguments):
        raise NoFix(f"a `#` comment in the RUN on line {run.line} would swallow the clean-up")
    lines = source_lines(dockerfile, run)
    indent = continuation_indent(dockerfile, [run])
    lines[-1] = without_dangling_escape(dockerfile, lines[-1]) + joiner(dockerfile, indent) + clean
    return lines


def editable_run(dockerfile: Dockerfile, index: int, what: str) -> Instruction:
    """The shell-form RUN at index, whose text a fix may edit (POSIX shell, a script that
    parses cleanly); NoFix says why not, after `what` ("the cache is made by")."""
    run = dockerfile.instructions[index]
    if run.keyword != "RUN" or run.heredocs or run.exec_form is not None:
        raise NoFix(f"{what} {run.keyword} on line {run.line}, not by a shell-form RUN")
    posix_shell_stage(dockerfile, run)
    parsed_cleanly(run)
    return run


ABSOLUTE_PATH = re.compile(r"(?<![\w.-])/[\w.@%+,~/-]*")


def named_places(command: str) -> Iterator[str]:
    """The absolute paths a RUN's text names, and the folders above them (not /): the places
    a later step reads or writes, which a fix must not clean up or move a COPY over."""
    for token in ABSOLUTE_PATH.findall(command):
        path = token.rstrip("/")
        while path.strip("/"):      # `//host/x` of a URL ends at `//`, whose dirname is itself
            yield path
            path = posixpath.dirname(path)
