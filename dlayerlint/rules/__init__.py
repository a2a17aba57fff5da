"""The checks: each turns the replayed history into findings of its rules.

A check is a module with a `check(analysis)` function yielding findings;
rule metadata and message templates come from the catalogue (`rules/`).
Plugins add checks of the same shape (dlayerlint/plugins.py).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..simulate.analysis import Analysis
from ..core.results import Finding
from . import archive_left, cache_left, purged_later, recommends, stranded

Check = Callable[[Analysis], Iterable[Finding]]
CHECKS: tuple[Check, ...] = (stranded.check, cache_left.check, purged_later.check, archive_left.check,
                             recommends.check)
# what `explain` adds for rules whose sizes come from the knowledge base: the figures' sources,
# which the findings' text leaves out (JSON gives each finding's own as `size_source`)
SIZE_SOURCES: dict[str, Callable[[], str]] = {"DLL104": cache_left.size_sources, "DLL105": cache_left.size_sources,
                                              "DLL110": recommends.size_sources}


def run_checks(analysis: Analysis, extra: Sequence[Check] = ()) -> list[Finding]:
    findings = [finding for check in (*CHECKS, *extra) for finding in check(analysis)]
    findings.sort(key=lambda f: (f.span.start, f.rule.id))
    return findings
