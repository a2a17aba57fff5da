"""The Dockerfile model: instructions with exact source positions.

Positions are 1-based lines and 1-based columns counted in code points; the
edges (LSP, SARIF) convert them. Text that BuildKit joins across line
continuations keeps a `TextMap` so any offset in it maps back to the file.
"""
from __future__ import annotations

from ..core.record import Record
from ..core.spans import Span, TextMap


class Flag(Record):  # pylint: disable=too-few-public-methods  # a value
    __slots__ = ("name", "value", "span")

    def __init__(self, name: str, value: str | None, span: Span) -> None:
        self.name = name
        self.value = value
        self.span = span


class Heredoc(Record):  # pylint: disable=too-few-public-methods  # a value
    __slots__ = ("delimiter", "body", "expand", "strip_tabs", "body_map", "span")

    def __init__(self, delimiter: str, body: str, expand: bool,
                 strip_tabs: bool, body_map: TextMap, span: Span) -> None:
        self.delimiter = delimiter
        self.body = body
        self.expand = expand            # unquoted delimiter: variables in the body expand
        self.strip_tabs = strip_tabs    # <<- form
        self.body_map = body_map
        self.span = span                # from the first body line to the end of the terminator


class Comment(Record):  # pylint: disable=too-few-public-methods  # a value
    __slots__ = ("line", "column", "text")

    def __init__(self, line: int, column: int, text: str) -> None:
        self.line = line
        self.column = column
        self.text = text    # without the leading '#', stripped


class Instruction(Record):
    __slots__ = ("keyword", "span", "keyword_span", "flags", "arguments", "arguments_map", "exec_form",
                 "heredocs", "index")

    def __init__(self, keyword: str, span: Span, keyword_span: Span,   # pylint: disable=too-many-arguments,too-many-positional-arguments
                 flags: tuple[Flag, ...], arguments: str, arguments_map: TextMap,
                 exec_form: tuple[str, ...] | None = None, heredocs: tuple[Heredoc, ...] = (),
                 index: int = 0) -> None:
        self.keyword = keyword            # upper case
        self.span = span                  # first line (BuildKit's start) to the end of the last (heredocs included)
        self.keyword_span = keyword_span
        self.flags = flags
        self.arguments = arguments        # after flags; continuations joined, inner comments removed
        self.arguments_map = arguments_map
        self.exec_form = exec_form        # JSON form
        self.heredocs = heredocs
        self.index = index                # position among all instructions of the file

    @property
    def line(self) -> int:
        return self.span.start.line

    @property
    def end_line(self) -> int:
        return self.span.end.line

    def flag(self, name: str) -> Flag | None:
        for candidate in self.flags:
            if candidate.name == name:
                return candidate
        return None

    def flag_values(self, name: str) -> list[str]:
        return [f.value or "" for f in self.flags if f.name == name]

    def summary(self, limit: int = 60) -> str:
        text = " ".join(self.arguments.split())
        text = f"{self.keyword} {text}"
        return text if len(text) <= limit else text[: limit - 1] + "…"


class Stage(Record):
    __slots__ = ("index", "base", "name", "from_instruction", "instructions")
    __hash__ = None   # type: ignore[assignment]  # mutable

    def __init__(self, index: int, base: str, name: str | None, from_instruction: Instruction,
                 instructions: list[Instruction] | None = None) -> None:
        self.index = index
        self.base = base                  # image reference as written (variables unexpanded)
        self.name = name
        self.from_instruction = from_instruction
        self.instructions = [] if instructions is None else instructions

    @property
    def label(self) -> str:
        return self.name or str(self.index)


class ParseError(Record):  # pylint: disable=too-few-public-methods  # a value
    __slots__ = ("line", "column", "message")

    def __init__(self, line: int, column: int, message: str) -> None:
        self.line = line
        self.column = column
        self.message = message


class Dockerfile(Record):
    __slots__ = ("directives", "escape", "global_instructions", "stages", "comments", "errors", "lines",
                 "_stages_by_reference")
    __hash__ = None   # type: ignore[assignment]  # mutable

    def __init__(self, directives: dict[str, str], escape: str,   # pylint: disable=too-many-arguments,too-many-positional-arguments
                 global_instructions: list[Instruction], stages: list[Stage], comments: list[Comment],
                 errors: list[ParseError], lines: list[str]) -> None:
        self.directives = directives
        self.escape = escape
        self.global_instructions = global_instructions   # ARGs (and errors) before the first FROM
        self.stages = stages
        self.comments = comments
        self.errors = errors
        self.lines = lines
        self._stages_by_reference: dict[str, Stage] = {}

    def stage_named(self, reference: str | None) -> Stage | None:
        """The stage a `--target`, `FROM x` or `COPY --from=x` names: its name (any case,
        as BuildKit matches) or its index. A table, built once: a 200-stage chain asks ~40,000 times."""
        if reference is None:
            return None
        if not self._stages_by_reference and self.stages:
            for stage in reversed(self.stages):   # the first stage of a name wins, as in the scan it replaces
                self._stages_by_reference[str(stage.index)] = stage
                if stage.name:
                    self._stages_by_reference[stage.name] = stage
        found = self._stages_by_reference.get(reference.lower())
        return found if found is not None else self._stages_by_reference.get(reference)

    @property
    def instructions(self) -> list[Instruction]:
        out = list(self.global_instructions)
        for stage in self.stages:
            out.append(stage.from_instruction)
            out.extend(stage.instructions)
        return out
