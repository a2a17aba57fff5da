"""DLL109: an archive unpacked by a RUN and never removed: it ships next to its contents."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..core.results import Finding, Related
from ..simulate.analysis import Analysis
from ..simulate.fs import Origin, Version
from .catalogue import rules
from .common import amount, display_path


@dataclass(frozen=True, slots=True)
class LeftArchive:
    """A DLL109 finding's evidence: the archive that ships, and the command that unpacked it."""
    version: Version
    unpacked_by: Origin


def check(analysis: Analysis) -> Iterator[Finding]:
    if analysis.target is None:
        return
    fs = analysis.target.fs
    rule = rules()["DLL109"]
    seen: set[str] = set()
    for archive, origin in analysis.target.facts.extractions:
        node = fs.lookup(archive)
        version = node.version if node is not None else None
        if archive in seen or version is None or version.layer > origin.layer:
            continue
        seen.add(archive)
        made = version.first
        fields = {"command": origin.text, "archive": display_path(archive),
                  "made_on": f"line {made.origin.span.start.line}", "bytes": amount(version.size)}
        yield Finding(rule=rule, span=origin.span, message=rule.message.format(**fields),
                      paths=[display_path(archive)], wasted=version.size,
                      related=[Related(made.origin.span, f"{display_path(archive)} made here")],
                      layers=tuple(sorted({made.layer, origin.layer})), evidence=LeftArchive(version, origin))
