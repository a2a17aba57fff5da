"""Rewrites that remove stranded bytes, each attached to the findings it removes.

One module per kind of fix; each has `offers(analysis, findings)`, yielding a
group of findings and a function that makes their fix or raises `NoFix` with
the reason shown instead. A fix is `safe` when the model proves the final
filesystem stays the same; `manual` fixes are shown, never applied.

- merge.py: merge the RUN that made a path with the one that removes or
  rewrites it (DLL101, DLL102, DLL104, DLL106, DLL107)
- copy_flags.py: COPY --chmod/--chown instead of a later RUN chmod/chown (DLL103)
- cache.py: clean a cache in the RUN that made it, or a cache mount (DLL105)
- secret.py: RUN --mount=type=secret instead of COPY then rm (DLL108, manual)
- recommends.py: --no-install-recommends after `apt-get install` (DLL110, unsafe)
- archive.py: remove an unpacked archive in the RUN that unpacks it (DLL109)
- edit.py: applying fixes to the text; plan.py: the file's one plan (safe part, then the
  unsafe rest), lint-then-fix until nothing is left
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from ..simulate.analysis import Analysis
from ..core.results import Finding, Fix
from . import archive, cache, copy_flags, recommends, secret
from .edit import apply_fixes
from .merge import MERGEABLE, merge_runs, merged_ranges
from .source import NoFix

__all__ = ["apply_fixes", "attach_fixes", "merge_runs"]

Offers = Callable[[Analysis, list[Finding]], Iterator[tuple[list[Finding], Callable[[], Fix]]]]
KINDS: dict[str, Offers] = {"DLL103": copy_flags.offers, "DLL105": cache.offers, "DLL108": secret.offers,
                            "DLL109": archive.offers, "DLL110": recommends.offers}


def _merge_offers(analysis: Analysis, findings: list[Finding]) -> Iterator[tuple[list[Finding], Callable[[], Fix]]]:
    instructions = analysis.dockerfile.instructions
    for first, last, group in merged_ranges([f for f in findings if len(f.layers) > 1]):
        yield group, lambda a=first, b=last: merge_runs(analysis.dockerfile, instructions[a:b + 1])


def attach_fixes(analysis: Analysis) -> None:
    """Give each finding its fix, or the reason it has none."""
    by_kind: dict[Offers, list[Finding]] = {}
    for finding in analysis.findings:
        kind = _merge_offers if finding.rule.id in MERGEABLE else KINDS.get(finding.rule.id)
        if kind is not None:
            by_kind.setdefault(kind, []).append(finding)
    for kind, findings in by_kind.items():
        for group, make in kind(analysis, findings):
            try:
                fix = make()
            except NoFix as why:
                for finding in group:
                    finding.no_fix_reason = str(why)
                continue
            for finding in group:
                finding.fix = fix
