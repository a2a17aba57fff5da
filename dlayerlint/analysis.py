"""The pipeline: text → model → replayed layers → per-layer bytes → findings.

The CLI, the tests and (later) the LSP server all call `analyze`; they differ
only in how they present the result.
"""
from __future__ import annotations

from collections.abc import Mapping

from .checks import run_checks
from .context import BuildContext
from .findings import Analysis, LayerReport
from .fixes import attach_fixes
from .knowledge import knowledge
from .model import Dockerfile
from .parser import parse
from .replay import Replayer, StageRun
from .sizes import UNKNOWN, total


def layer_reports(run: StageRun) -> list[LayerReport]:
    reports = []
    for layer in run.layers:
        versions = [v for v in run.fs.layer_versions.get(layer.index, []) if not v.dropped]
        added = total(v.size for v in versions)
        if layer.unknown or run.fs.base_touched.get(layer.index):
            added = added + UNKNOWN
        stranded = total(v.size for v in versions if v.stranded_by is not None)
        reports.append(LayerReport(layer, added, stranded))
    return reports


def target_index(dockerfile: Dockerfile, target: str | None) -> int | None:
    if not dockerfile.stages:
        return None
    if target is None:
        return len(dockerfile.stages) - 1
    for stage in dockerfile.stages:
        if stage.name == target.lower() or str(stage.index) == target:
            return stage.index
    return None


class UnknownTarget(ValueError):
    pass


def analyze(text: str, context: BuildContext | None = None,
            build_args: Mapping[str, str] | None = None, target: str | None = None) -> Analysis:
    """Lint one Dockerfile's text; without a context, COPY sizes are unknown."""
    dockerfile = parse(text)
    index = target_index(dockerfile, target)
    if target is not None and index is None and dockerfile.stages:
        raise UnknownTarget(f"no build stage named '{target}'")
    if index is None:
        return Analysis(dockerfile, list(dockerfile.errors), None, [], [])
    replayer = Replayer(dockerfile, knowledge(), context, build_args or {})
    run = replayer.run(index)
    analysis = Analysis(dockerfile, list(dockerfile.errors), run, layer_reports(run), [])
    analysis.findings = run_checks(analysis)
    attach_fixes(analysis)
    return analysis
