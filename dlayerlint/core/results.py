"""What the analysis produces: per-layer bytes and findings. Types only, so
checks, fixes and reporters share them without importing the pipeline."""
from __future__ import annotations

from dataclasses import dataclass, field

from .rule import Rule
from .spans import Span
from .sizes import Size


@dataclass(frozen=True, slots=True)
class Related:
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Fix:
    """Replace lines start_line..end_line (whole lines) with `replacement`."""
    start_line: int
    end_line: int
    replacement: str
    safe: bool          # the final filesystem is unchanged, as the model proves it
    description: str
    manual: bool = False   # shown only, never applied: the build needs a change outside the file


@dataclass(slots=True)
class Finding:
    rule: Rule
    span: Span
    message: str
    paths: list[str]
    wasted: Size | None
    related: list[Related] = field(default_factory=list)
    fix: Fix | None = None
    no_fix_reason: str | None = None   # why no rewrite is offered, when none is
    # the instruction indexes whose layers the finding ties together (for rewrites)
    layers: tuple[int, ...] = ()
    # what the rule saw (simulate's versions, cache or events), so a fix reads it instead of re-deriving it;
    # typed loosely because core sits below simulate
    evidence: object = None
    # "likely" when a path the rule is about was never named: it lies in what an earlier layer
    # wrote unnamed (an archive, a clone, a package), so that layer most likely made it
    certainty: str = "certain"
    # where an estimated size comes from (a real build, the package data): shown by JSON and
    # `explain`, not under every finding in the text
    size_source: str | None = None

    @property
    def severity(self) -> str:
        return self.rule.severity
