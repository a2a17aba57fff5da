"""What the simulation hands the rules: the parsed file, the replayed stage, per-layer
bytes, and (after the rules) the findings."""
from __future__ import annotations

from dataclasses import dataclass

from .context.build import BuildContext
from ..dockerfile.model import Dockerfile, ParseError
from .layers import Layer, StageRun
from ..core.sizes import Size, total
from ..core.results import Finding


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
