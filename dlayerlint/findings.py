"""What the analysis produces: per-layer bytes and findings. Types only, so
checks, fixes and reporters share them without importing the pipeline."""
from __future__ import annotations

from dataclasses import dataclass, field

from .catalogue import Rule
from .context import BuildContext
from .model import Dockerfile, ParseError, Span
from .replay import Layer, StageRun
from .sizes import Size, total


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

    @property
    def severity(self) -> str:
        return self.rule.severity


@dataclass(slots=True)
class LayerReport:
    layer: Layer
    added: Size
    stranded: Size


@dataclass(slots=True)
class Analysis:
    dockerfile: Dockerfile
    errors: list[ParseError]
    target: StageRun | None
    layers: list[LayerReport]
    findings: list[Finding]
    context: BuildContext | None = None   # what COPY read: fixes look at a copied file's mode

    @property
    def stranded(self) -> Size | None:
        return total(layer.stranded for layer in self.layers) if self.target is not None else None
