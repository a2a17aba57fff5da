"""What the analysis produces: per-layer bytes and findings. Types only, so
checks, fixes and reporters share them without importing the pipeline."""
from __future__ import annotations

from dataclasses import dataclass

from .record import Record
from .rule import Rule
from .spans import Span
from .sizes import Size


class Related(Record):  # pylint: disable=too-few-public-methods  # a value
    __slots__ = ("span", "message")

    def __init__(self, span: Span, message: str) -> None:
        self.span = span
        self.message = message


@dataclass(frozen=True, slots=True)
class Fix:
    """Replace lines start_line..end_line (whole lines) with `replacement`."""
    start_line: int
    end_line: int
    replacement: str
    safe: bool          # the final filesystem is unchanged, as the model proves it
    description: str
    manual: bool = False   # shown only, never applied: the build needs a change outside the file


class Finding(Record):
    __slots__ = ("rule", "span", "message", "paths", "wasted", "related", "fix", "no_fix_reason", "layers",
                 "evidence", "certainty", "size_source")
    __hash__ = None   # type: ignore[assignment]  # mutable

    def __init__(self, rule: Rule, span: Span, message: str,   # pylint: disable=too-many-arguments,too-many-positional-arguments
                 paths: list[str], wasted: Size | None, related: list[Related] | None = None,
                 fix: Fix | None = None, no_fix_reason: str | None = None, layers: tuple[int, ...] = (),
                 evidence: object = None, certainty: str = "certain", size_source: str | None = None) -> None:
        self.rule = rule
        self.span = span
        self.message = message
        self.paths = paths
        self.wasted = wasted
        self.related = [] if related is None else related
        self.fix = fix
        self.no_fix_reason = no_fix_reason   # why no rewrite is offered, when none is
        # the instruction indexes whose layers the finding ties together (for rewrites)
        self.layers = layers
        # what the rule saw (simulate's versions, cache or events), so a fix reads it instead of
        # re-deriving it; typed loosely because core sits below simulate
        self.evidence = evidence
        # "likely" when a path the rule is about was never named: it lies in what an earlier layer
        # wrote unnamed (an archive, a clone, a package), so that layer most likely made it
        self.certainty = certainty
        # where an estimated size comes from (a real build, the package data): shown by JSON and
        # `explain`, not under every finding in the text
        self.size_source = size_source

    @property
    def severity(self) -> str:
        return self.rule.severity
