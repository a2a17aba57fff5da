"""DLL107: packages installed in one layer and purged in a later one.

With Debian's package data (simulate/effects/apt_layer.py) each package apt removes is a
version the purge strands, so the finding says the bytes and counts what `--auto-remove`
and `autoremove` take with the named packages; without it (apk, yum, a base with no data)
the bytes stay unknown.
"""
from __future__ import annotations

from collections.abc import Iterator

from ..simulate.analysis import Analysis
from ..simulate.effects.apt_layer import PACKAGE_TAG, PURGE
from ..simulate.effects.packages import PackageEvent
from ..simulate.fs import Origin, SymbolicFS, Version
from ..core.results import Finding, Related
from ..core.sizes import UNKNOWN, total
from .catalogue import rules
from .common import MAX_PATHS, amount, lines_phrase

_PREFIX = PACKAGE_TAG + ":"


def check(analysis: Analysis) -> Iterator[Finding]:
    if analysis.target is None:
        return
    named: dict[Origin, list[PackageEvent]] = {}
    for event in analysis.target.facts.package_events:
        named.setdefault(event.removed, []).append(event)
    stranded = _stranded_packages(analysis.target.fs)
    for removed in sorted(named.keys() | stranded.keys(), key=lambda o: (o.layer, o.span.start)):
        yield _finding(removed, named.get(removed, []), stranded.get(removed, []))


def _stranded_packages(fs: SymbolicFS) -> dict[Origin, list[Version]]:
    """The packages' bytes each apt removal stranded in earlier layers."""
    found: dict[Origin, list[Version]] = {}
    for event in fs.events:
        versions = [v for v in event.stranded if not v.dropped] if event.action == PURGE else []
        if versions:
            found.setdefault(event.origin, []).extend(versions)
    return found


def _package(version: Version) -> str:
    return next(tag[len(_PREFIX):] for tag in version.tags if tag.startswith(_PREFIX))


def _finding(removed: Origin, events: list[PackageEvent], versions: list[Version]) -> Finding:
    rule = rules()["DLL107"]
    names = sorted({e.package for e in events})
    others = sorted({_package(v) for v in versions} - set(names))
    installs = [e.installed for e in events] + [v.origin for v in versions]
    fields = {"command": removed.text, "packages": _packages_phrase(names, others),
              "installed_on": lines_phrase(o.span.start.line for o in installs),
              "bytes": amount(total(v.size for v in versions) if versions else UNKNOWN)}
    related = [Related(e.installed.span, f"{e.package} installed here") for e in events]
    shown = {e.installed.layer for e in events}
    related += [Related(v.origin.span, "purged packages installed here")
                for v in _one_per_layer(versions) if v.layer not in shown]
    return Finding(rule=rule, span=removed.span, message=rule.message.format(**fields), paths=[],
                   wasted=total(v.size for v in versions) if versions else UNKNOWN, related=related,
                   layers=tuple(sorted({o.layer for o in installs} | {removed.layer})))


def _packages_phrase(names: list[str], others: list[str]) -> str:
    """'gcc, libc6-dev and the 12 packages apt removes with them', or for `autoremove` alone
    'libpsl5, publicsuffix, wget and 2 more'."""
    if not names:
        more = len(others) - MAX_PATHS
        return ", ".join(others[:MAX_PATHS]) + (f" and {more} more" if more > 0 else "")
    if not others:
        return ", ".join(names)
    return f"{', '.join(names)} and the {len(others)} package{'s' * (len(others) > 1)} apt removes with them"


def _one_per_layer(versions: list[Version]) -> list[Version]:
    return list({v.layer: v for v in versions}.values())
