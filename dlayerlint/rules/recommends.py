"""DLL110: an `apt-get install` with Recommends on, and what the recommended packages cost.

The replay (simulate/effects/apt_layer.py) records, per install with Recommends on, the
packages each named package's Recommends add on top of what is installed and their bytes,
from Debian's package data; a base without data records nothing, so nothing is guessed.
"""
from __future__ import annotations

from collections.abc import Iterator

from ..simulate.analysis import Analysis
from ..simulate.effects.apt_layer import Recommended, RecommendsCost
from ..core.results import Finding, Related
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
                   wasted=cost.size, related=[Related(cost.origin.span, f"sizes: {cost.source}")],
                   layers=(cost.origin.layer,), evidence=cost)


def _phrase(cost: Recommended) -> str:
    """'git: 38 recommended packages, ~50.2 MiB'."""
    plural = "s" * (len(cost.packages) != 1)
    return f"{cost.package}: {len(cost.packages)} recommended package{plural}, {describe(cost.size)}"
