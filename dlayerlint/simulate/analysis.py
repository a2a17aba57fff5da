"""What the simulation hands the rules: the parsed file, the replayed stage, per-layer
bytes, and (after the rules) the findings."""
from __future__ import annotations

from dataclasses import dataclass, field

from .context.build import BuildContext
from ..dockerfile.model import Dockerfile, ParseError
from .layers import Layer, StageRun
from ..core.sizes import UNKNOWN, ZERO, Confidence, Size, total
from .knowledge import Knowledge
from ..core.results import Finding


@dataclass(slots=True)
class LayerReport:
    layer: Layer
    added: Size
    stranded: Size
    estimate: str = ""   # where an estimate of its bytes comes from (the apt package data), when it has one


@dataclass(slots=True)
class Analysis:
    dockerfile: Dockerfile
    errors: list[ParseError]
    target: StageRun | None
    layers: list[LayerReport]
    findings: list[Finding]
    knowledge: Knowledge    # the command knowledge the replay used: rules and fixes read caches from it
    context: BuildContext | None = None   # what COPY read: fixes look at a copied file's mode
    notes: list[str] = field(default_factory=list)   # once-per-file remarks (sources we could not see)

    @property
    def stranded(self) -> Size | None:
        """The file's stranded bytes: exact only when every layer a later one could have
        changed has known contents; otherwise what we count is a lower bound."""
        if self.target is None:
            return None
        counted = total(layer.stranded for layer in self.layers)
        if any(not report.added.known for report in self.layers[:-1]):
            return Size(counted.bytes, Confidence.UNKNOWN)
        return counted


def layer_reports(run: StageRun) -> list[LayerReport]:
    reports = []
    estimates = run.facts.apt.estimates if run.facts.apt is not None else {}
    fs = run.fs
    live = fs.swept_live() if fs.groups else {}
    for layer in run.layers:
        versions = [v for v in fs.layer_versions.get(layer.index, []) if not v.dropped]
        added = total(v.size for v in versions)
        if fs.groups:   # lazy copies of swept folders (sweeps.py)
            added = total([added, fs.swept_added.get(layer.index, ZERO), live.get(layer.index, ZERO)])
        if layer.unknown or fs.base_touched.get(layer.index):
            added = added + UNKNOWN
        stranded = total(v.size for v in versions if v.stranded_by is not None)
        stranded = stranded + fs.swept_stranded.get(layer.index, ZERO)
        reports.append(LayerReport(layer, added, stranded, estimates.get(layer.index, "")))
    return reports
