"""DLL107: packages installed in one layer and purged in a later one."""
from __future__ import annotations

from collections.abc import Iterator

from ..simulate.analysis import Analysis
from ..core.results import Finding, Related
from .catalogue import rules
from .common import lines_phrase


def check(analysis: Analysis) -> Iterator[Finding]:
    if analysis.target is None:
        return
    rule = rules()["DLL107"]
    by_removal: dict[object, list] = {}
    for event in analysis.target.facts.package_events:
        by_removal.setdefault(event.removed, []).append(event)
    for removed, events in by_removal.items():
        packages = ", ".join(sorted({e.package for e in events}))
        fields = {"command": removed.text, "packages": packages,
                  "installed_on": lines_phrase(e.installed.span.start.line for e in events)}
        related = [Related(e.installed.span, f"{e.package} installed here") for e in events]
        yield Finding(rule=rule, span=removed.span, message=rule.message.format(**fields),
                      paths=[], wasted=None, related=related,
                      layers=tuple(sorted({e.installed.layer for e in events} | {removed.layer})))
