"""DLL110: an `apt-get install` with Recommends on, and what the recommended packages cost.

The replay (simulate/effects/apt_layer.py) records, per install with Recommends on, the
packages each named package's Recommends add on top of what is installed and their bytes,
from Debian's package data; a base without data records nothing, so nothing is guessed.
"""
from __future__ import annotations

from collections.abc import Iterator

from ..simulate import apt
from ..simulate.analysis import Analysis
from ..simulate.effects.apt_layer import Recommended, RecommendsCost
from ..core.results import Finding
from ..core.sizes import describe
from .catalogue import rules


def check(analysis: Analysis) -> Iterator[Finding]:
    known = analysis.target.facts.apt if analysis.target is not None else None
    for cost in known.recommends if known is not None else ():
        yield _finding(cost)


def _finding(cost: RecommendsCost) -> Finding:
    rule = rules()["DLL110"]
    fields = {"command": cost.origin.text, "costs": "; ".join(map(_phrase, cost.costs)), "source": cost.source,
              "total": f"; {len(cost.packages)} packages, {describe(cost.size)} in all" if len(cost.costs) > 1 else ""}
    return Finding(rule=rule, span=cost.origin.span, message=rule.message.format(**fields), paths=[],
                   wasted=cost.size, size_source=cost.source, layers=(cost.origin.layer,), evidence=cost)


def _phrase(cost: Recommended) -> str:
    """'git: 38 recommended packages, ~50.2 MiB'."""
    plural = "s" * (len(cost.packages) != 1)
    return f"{cost.package}: {len(cost.packages)} recommended package{plural}, {describe(cost.size)}"


def size_sources() -> str:
    """For `explain DLL110`: where the package sizes and base package sets come from (a finding
    gives its own in JSON `size_source`; the text output leaves it out, as for the caches)."""
    lines = ["", "Package sizes and their sources:"]
    for release in apt.RELEASES:
        indices = ", ".join(f"{suite} of {date}" for suite, date in apt.index(release).info["indices"].items())
        lines.append(f"  Debian {release}: Installed-Size from the Packages of {indices}")
    notes: dict[str, list[str]] = {}
    for release in apt.RELEASES:
        notes.setdefault(apt.base_set(f"debian:{release}").note, []).append(release)
    lines += [f"  base package set of {', '.join(releases)}: {note}" for note, releases in notes.items()]
    lines.append("  other bases: the official images' own install steps over their Debian base; "
                 "a base with no data (alpine, fedora, an unknown image) gets no finding")
    return "\n".join(lines) + "\n"
