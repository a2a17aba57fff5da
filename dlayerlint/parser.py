"""Dockerfile text → `Dockerfile` model, following BuildKit's parser rules.

Written here rather than taken from dockerfile-parse, which is wrong on
heredocs, blank lines and comments inside continuations, a continuation at the
end of the file, and has no columns (FACTS.md). What BuildKit does and we do:
- parser directives (`# syntax=`, `# escape=`, `# check=`) only at the top;
- a line ending in the escape character (then blanks) continues; blank lines
  and comment lines inside a continuation are skipped; the pieces are joined
  with nothing in between;
- heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`) in RUN, COPY and ADD; bodies follow
  the instruction's last line;
- `--flag[=value]` words lead the arguments of FROM, RUN, COPY, ADD and
  HEALTHCHECK; a JSON array is the exec form.
"""
from __future__ import annotations

import json
import re

from .model import (Comment, Dockerfile, Flag, Heredoc, Instruction, ParseError,
                    Position, Span, Stage, TextMap)

KEYWORDS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
FLAGGED = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
EXEC_FORM_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME", "HEALTHCHECK"})

DIRECTIVE = re.compile(r"#[ \t]*([A-Za-z][A-Za-z0-9]*)[ \t]*=[ \t]*(.*?)[ \t]*$")
KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
KEYWORD_WORD = re.compile(r"(\S+)([ \t]*)")
FLAG_WORD = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=((?:\"[^\"]*\"|'[^']*'|\S)*))?(?:[ \t]+|$)")
# Quoted strings are consumed first so that `echo '<<EOF'` is no heredoc; `<<<` is a here-string.
HEREDOC_MARK = re.compile(
    r"'[^']*'|\"(?:\\.|[^\"\\])*\"|(?<!<)\d*<<(?!<)(-?)[ \t]*(['\"]?)([A-Za-z0-9_.\-]+)\2")


class _Lines:
    """Physical lines with a cursor; CRLF and a BOM are tolerated."""

    def __init__(self, text: str) -> None:
        text = text.removeprefix("\ufeff")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        self.lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        self.index = 0

    def done(self) -> bool:
        return self.index >= len(self.lines)

    def current(self) -> str:
        return self.lines[self.index]


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_comment(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


class _Parser:  # pylint: disable=too-few-public-methods
    def __init__(self, text: str) -> None:
        self.src = _Lines(text)
        self.directives: dict[str, str] = {}
        self.comments: list[Comment] = []
        self.errors: list[ParseError] = []
        self.escape = "\\"
        self.continuation = re.compile(r"\\[ \t]*$")

    def parse(self) -> Dockerfile:
        self._read_directives()
        instructions: list[Instruction] = []
        while not self.src.done():
            line = self.src.current()
            if _is_blank(line):
                self.src.index += 1
            elif _is_comment(line):
                self._add_comment(line)
                self.src.index += 1
            else:
                instruction = self._read_instruction(len(instructions))
                if instruction is not None:
                    instructions.append(instruction)
        return self._build(instructions)

    # -- directives and comments -------------------------------------------------

    def _read_directives(self) -> None:
        seen_other = False
        while not self.src.done():
            line = self.src.current()
            match = DIRECTIVE.match(line.strip())
            if not match or seen_other:
                break
            name = match.group(1).lower()
            if name not in KNOWN_DIRECTIVES:
                seen_other = True  # an unknown directive-like comment ends the directives
                break
            if name in self.directives:
                self.errors.append(ParseError(self.src.index + 1, 1, f"only one '{name}' parser directive can be used"))
            self.directives[name] = match.group(2)
            self._add_comment(line)
            self.src.index += 1
        escape = self.directives.get("escape", "\\")
        if escape not in ("\\", "`"):
            self.errors.append(ParseError(1, 1, f"invalid escape token '{escape}': it must be \\ or `"))
            escape = "\\"
        self.escape = escape
        self.continuation = re.compile(re.escape(escape) + r"[ \t]*$")

    def _add_comment(self, line: str) -> None:
        stripped = line.lstrip(" \t")
        column = len(line) - len(stripped) + 1
        self.comments.append(Comment(self.src.index + 1, column, stripped[1:].strip()))

    # -- instructions --------------------------------------------------------------

    def _read_logical_line(self) -> tuple[str, TextMap, int]:
        """Join one instruction's physical lines; return text, map and last line."""
        pieces: list[str] = []
        segments: list[tuple[int, int, int]] = []
        offset = 0
        line = self.src.current()
        column = len(line) - len(line.lstrip(" \t")) + 1
        text = line[column - 1:]
        last_line = self.src.index + 1
        while True:
            match = self.continuation.search(text)
            piece = text[: match.start()] if match else text
            segments.append((offset, self.src.index + 1, column))
            pieces.append(piece)
            offset += len(piece)
            last_line = self.src.index + 1
            self.src.index += 1
            if not match:
                break
            self._skip_continuation_fillers()
            if self.src.done():
                break  # BuildKit ends the instruction at end of file
            text, column = self.src.current(), 1
        return "".join(pieces), TextMap(tuple(segments), offset), last_line

    def _skip_continuation_fillers(self) -> None:
        while not self.src.done():
            line = self.src.current()
            if _is_comment(line):
                self._add_comment(line)
            elif not _is_blank(line):
                return
            self.src.index += 1

    def _read_instruction(self, index: int) -> Instruction | None:
        joined, text_map, last_line = self._read_logical_line()
        match = KEYWORD_WORD.match(joined)
        if match is None:  # cannot happen for a non-blank line, but never raise
            return None
        keyword = match.group(1).upper()
        keyword_span = text_map.span(0, len(match.group(1)))
        position = match.end()
        if keyword not in KEYWORDS:
            start = text_map.position(0)
            self.errors.append(ParseError(start.line, start.column, f"unknown instruction: {match.group(1)}"))
            return None
        flags: list[Flag] = []
        if keyword in FLAGGED:
            position = _read_flags(joined, position, text_map, flags)
        arguments = joined[position:].rstrip(" \t")
        arguments_map = text_map.shifted(position)
        heredocs: tuple[Heredoc, ...] = ()
        if keyword in HEREDOC_KEYWORDS:
            heredocs = self._read_heredocs(arguments, last_line)
        end_line = heredocs[-1].span.end.line if heredocs else last_line
        end_column = len(self.src.lines[end_line - 1]) + 1
        start = text_map.position(0)
        return Instruction(
            keyword=keyword,
            span=Span(start, Position(end_line, end_column)),
            keyword_span=keyword_span,
            flags=tuple(flags),
            arguments=arguments,
            arguments_map=arguments_map,
            exec_form=_exec_form(keyword, arguments),
            heredocs=heredocs,
            index=index,
        )

    def _read_heredocs(self, arguments: str, last_line: int) -> tuple[Heredoc, ...]:
        marks = [m for m in HEREDOC_MARK.finditer(arguments) if m.group(3)]
        heredocs = []
        for mark in marks:
            heredoc = self._read_heredoc_body(mark.group(3), bool(mark.group(1)), not mark.group(2), last_line)
            if heredoc is None:
                break
            heredocs.append(heredoc)
        return tuple(heredocs)

    def _read_heredoc_body(self, delimiter: str, strip_tabs: bool, expand: bool,
                           last_line: int) -> Heredoc | None:
        first = self.src.index
        body: list[str] = []
        while not self.src.done():
            line = self.src.current()
            self.src.index += 1
            candidate = line.lstrip("\t") if strip_tabs else line
            if candidate == delimiter:
                return _heredoc(delimiter, body, first, self.src.index, expand, strip_tabs, len(line))
            body.append(candidate)
        self.errors.append(ParseError(last_line, 1, f"unterminated heredoc: no line '{delimiter}' ends it"))
        return None

    # -- stages --------------------------------------------------------------------

    def _build(self, instructions: list[Instruction]) -> Dockerfile:
        global_instructions: list[Instruction] = []
        stages: list[Stage] = []
        for instruction in instructions:
            if instruction.keyword == "FROM":
                stages.append(self._stage(instruction, len(stages)))
            elif stages:
                stages[-1].instructions.append(instruction)
            else:
                if instruction.keyword != "ARG":
                    start = instruction.span.start
                    self.errors.append(ParseError(
                        start.line, start.column,
                        f"{instruction.keyword} before the first FROM: only ARG may come before FROM"))
                global_instructions.append(instruction)
        if not stages and not self.errors:
            self.errors.append(ParseError(1, 1, "no FROM instruction: a Dockerfile needs at least one build stage"))
        return Dockerfile(self.directives, self.escape, global_instructions, stages,
                          self.comments, self.errors, self.src.lines)

    def _stage(self, instruction: Instruction, index: int) -> Stage:
        words = instruction.arguments.split()
        name = None
        if len(words) == 3 and words[1].lower() == "as":
            name = words[2].lower()
        elif len(words) != 1:
            start = instruction.span.start
            self.errors.append(ParseError(start.line, start.column,
                                          "FROM takes an image and optionally 'AS name'"))
        base = words[0] if words else ""
        return Stage(index=index, base=base, name=name, from_instruction=instruction)


def _read_flags(joined: str, position: int, text_map: TextMap, flags: list[Flag]) -> int:
    while True:
        match = FLAG_WORD.match(joined, position)
        if match is None:
            return position
        value = match.group(2)
        if value is not None and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        end = match.end(2) if match.group(2) is not None else match.end(1)
        flags.append(Flag(match.group(1).lower(), value, text_map.span(position, end)))
        position = match.end()


def _exec_form(keyword: str, arguments: str) -> tuple[str, ...] | None:
    if keyword not in EXEC_FORM_KEYWORDS or not arguments.startswith("["):
        return None
    try:
        value = json.loads(arguments)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _heredoc(delimiter: str, body: list[str], first: int, after: int, expand: bool,
             strip_tabs: bool, terminator_length: int) -> Heredoc:
    segments = []
    offset = 0
    for number, line in enumerate(body):
        segments.append((offset, first + number + 1, 1))
        offset += len(line) + 1
    text = "\n".join(body) + ("\n" if body else "")
    body_map = TextMap(tuple(segments) or ((0, first + 1, 1),), len(text))
    span = Span(Position(first + 1, 1), Position(after, terminator_length + 1))
    return Heredoc(delimiter, text, expand, strip_tabs, body_map, span)


def parse(text: str) -> Dockerfile:
    """Parse Dockerfile text; problems are collected in `errors`, never raised."""
    return _Parser(text).parse()
