"""The pipeline: text → model → replayed layers → per-layer bytes → findings → fixes.

`lint` applies the settings (plugins, pragmas, rule selection, severities)
before fixes are built, so no rewrite is made for a suppressed finding; the
CLI and the LSP server call it. `analyze` is the same without settings (tests,
benchmarks); both differ from their callers only in how results are shown.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace

from .rules import Check, run_checks
from .config import Config, RuleSelection, configured
from .simulate.context.build import BuildContext
from .simulate.analysis import Analysis, layer_reports
from .fixes import attach_fixes
from .simulate.knowledge import knowledge
from .dockerfile.model import Dockerfile
from .dockerfile.parser import parse
from .rules.plugins import guarded
from .rules.pragmas import apply_pragmas
from .simulate.stages import Replayer


def target_index(dockerfile: Dockerfile, target: str | None) -> int | None:
    if not dockerfile.stages:
        return None
    if target is None:
        return len(dockerfile.stages) - 1
    stage = dockerfile.stage_named(target)
    return stage.index if stage is not None else None


MAX_NAMED = 5   # sources a note names before "and N more"


class UnknownTarget(ValueError):
    pass


@contextmanager
def collector_paused() -> Iterator[None]:
    """An analysis allocates many small acyclic objects; the cyclic collector's
    repeated scans of them made huge files superlinear (10 MiB: over 30 s, 13 s
    without). Its garbage is freed by reference counting; the collector resumes after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def analyze(text: str, context: BuildContext | None = None,
            build_args: Mapping[str, str] | None = None, target: str | None = None,
            extra_checks: Sequence[Check] = ()) -> Analysis:
    """Lint one Dockerfile's text; without a context, COPY sizes are unknown."""
    with collector_paused():
        analysis = _checked(text, context, build_args, target, extra_checks)
        attach_fixes(analysis)
    return analysis


def _checked(text: str, context: BuildContext | None, build_args: Mapping[str, str] | None,
             target: str | None, extra_checks: Sequence[Check]) -> Analysis:
    """Parse, replay the target stage, run the checks; no fixes yet."""
    dockerfile = parse(text)
    index = target_index(dockerfile, target)
    if target is not None and index is None and dockerfile.stages:
        raise UnknownTarget(f"no build stage named '{target}'")
    known = knowledge()
    if index is None:
        return Analysis(dockerfile, list(dockerfile.errors), None, [], [], known, context)
    replayer = Replayer(dockerfile, known, context, build_args or {})
    run = replayer.run(index)
    analysis = Analysis(dockerfile, list(dockerfile.errors), run, layer_reports(run), [], known, context)
    analysis.notes.extend(_missing_sources_note(replayer.missing_sources, context))
    analysis.findings = run_checks(analysis, extra_checks)
    return analysis


def _missing_sources_note(missing: list[str], context: BuildContext | None) -> list[str]:
    """Once per file: which COPY/ADD sources we could not see, and how to let us see them."""
    if not missing:
        return []
    names = list(dict.fromkeys(missing))
    shown = ", ".join(names[:MAX_NAMED]) + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")
    where = f"in the build context {context.root.resolve()}" if context is not None else "(no build context)"
    return [f"COPY/ADD sources not found {where}: {shown}; they are linted as files and folders of unknown "
            f"size. Pass --context DIR (the folder the image is built from) for exact bytes."]


def _select(analysis: Analysis, selection: RuleSelection) -> None:
    """Keep the enabled rules' findings, at their configured severities."""
    kept = [finding for finding in analysis.findings if finding.rule.id in selection.enabled]
    for finding in kept:
        severity = selection.severity.get(finding.rule.id)
        if severity is not None and severity != finding.rule.severity:
            finding.rule = replace(finding.rule, severity=severity)
    analysis.findings = kept


def lint(text: str, config: Config, context: BuildContext | None = None) -> Analysis:
    """`analyze` with the settings applied: plugins' checks, pragmas, rule selection
    and severities. Raises ConfigError (naming the setting's source) for a bad
    rule name or plugin, UnknownTarget for a missing stage."""
    plugins, known = configured(config.plugins)
    selection = config.selection(known)
    with collector_paused():
        analysis = _checked(text, context, config.build_args, config.target, [guarded(p) for p in plugins])
        apply_pragmas(analysis, known, bool(config.report_unused_pragmas))
        _select(analysis, selection)
        attach_fixes(analysis)
    return analysis
