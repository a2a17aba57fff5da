"""The Dockerfile model: instructions with exact source positions.

Positions are 1-based lines and 1-based columns counted in code points; the
edges (LSP, SARIF) convert them. Text that BuildKit joins across line
continuations keeps a `TextMap` so any offset in it maps back to the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from ..core.spans import Span, TextMap


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    value: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Heredoc:
    delimiter: str
    body: str
    expand: bool        # unquoted delimiter: variables in the body expand
    strip_tabs: bool    # <<- form
    body_map: TextMap
    span: Span          # from the first body line to the end of the terminator


@dataclass(frozen=True, slots=True)
class Comment:
    line: int
    column: int
    text: str  # without the leading '#', stripped


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str                 # upper case
    span: Span                   # first line (BuildKit's start) to the end of the last (heredocs included)
    keyword_span: Span
    flags: tuple[Flag, ...]
    arguments: str               # after flags; continuations joined, inner comments removed
    arguments_map: TextMap
    exec_form: tuple[str, ...] | None = None   # JSON form
    heredocs: tuple[Heredoc, ...] = ()
    index: int = 0               # position among all instructions of the file

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


@dataclass(slots=True)
class Stage:
    index: int
    base: str                    # image reference as written (variables unexpanded)
    name: str | None
    from_instruction: Instruction
    instructions: list[Instruction] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or str(self.index)


@dataclass(frozen=True, slots=True)
class ParseError:
    line: int
    column: int
    message: str


@dataclass(slots=True)
class Dockerfile:
    directives: dict[str, str]
    escape: str
    global_instructions: list[Instruction]   # ARGs (and errors) before the first FROM
    stages: list[Stage]
    comments: list[Comment]
    errors: list[ParseError]
    lines: list[str]
    _stages_by_reference: dict[str, Stage] = field(default_factory=dict, init=False, repr=False, compare=False)

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
