"""`apt-get install`, `purge`/`remove` and `autoremove` over the symbolic filesystem, sized
with Debian's package data (simulate/apt.py).

Each package an install adds is one version of its own, `/usr/<BLOB><layer>:<package>`
(its files' names are not known, and most of them live under /usr), tagged `package:<name>`, so a
later purge strands exactly the packages apt would remove. The dpkg status, debconf and log
files every apt run rewrites are one version at /var/lib/dpkg/status: the next apt layer
copies them up and the earlier layer strands its copy. All of it is `estimated`. A base
without package data (alpine, fedora, an unknown image) gets no state: its apt layers stay
unknown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import apt
from ..fs import BLOB, Origin
from ..versions import DATABASES
from ...core.sizes import Size, estimated

if TYPE_CHECKING:   # annotations only: the runner imports this module
    from ...shell.argv import Arguments
    from .runner import CommandRunner

PACKAGE_TAG = "package"
"""A package's bytes carry the tag `package:<name>`."""
PURGE = "purge"
"""The action of the events apt's removals make: DLL107 (rules/purged_later.py) charges the
bytes they strand; a chmod -R or chown -R that copies package files up stays DLL102's."""
APT_CONF = ("/etc/apt/apt.conf", "/etc/apt/apt.conf.d")
DEBIAN_FAMILIES = ("debian", "ubuntu")
_OFF = ("0", "false", "no", "off")
_SHOWN_BY = ("echo ", "printf ")   # commands whose text holds what they write
# the apt.conf line `APT::Install-Recommends "0";` (or false) in the command that wrote the file
_CONF_OFF = re.compile(r'APT::Install-Recommends\s+\\?"?(?:0|false|no|off)\b', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Recommended:
    """What the recommends of one named package cost: the packages they add and their bytes."""
    package: str
    packages: tuple[str, ...]
    size: Size


@dataclass(frozen=True, slots=True)
class RecommendsCost:
    """An install with recommends on, and what they cost (DLL110 reports it)."""
    origin: Origin
    costs: tuple[Recommended, ...]
    packages: tuple[str, ...]   # all of them, each once
    size: Size
    source: str


@dataclass(slots=True)
class AptState:
    """A stage's packages so far: the base's, then each apt layer's."""
    index: apt.PackageIndex
    installed: set[str]
    auto: set[str]
    source: str                                               # how the bytes are estimated
    layer_of: dict[str, int] = field(default_factory=dict)     # package → the layer that installed it
    estimates: dict[int, str] = field(default_factory=dict)    # layer → source of its estimate
    recommends: list[RecommendsCost] = field(default_factory=list)


def state(runner: CommandRunner) -> AptState | None:
    """The stage's apt state, started from its base's package set on the first apt command;
    None when the base has no data (its apt layers stay unknown)."""
    facts = runner.facts
    if facts.apt is None and facts.layout is not None and facts.layout.family in DEBIAN_FAMILIES:
        base = apt.base_set(facts.layout.image)
        if base is not None:
            source = f"Debian {base.release} Packages Installed-Size; base set from {base.image}: {base.note}"
            facts.apt = AptState(apt.index(base.release), set(base.packages), set(base.auto_installed), source)
    return facts.apt


def install(runner: CommandRunner, known: AptState, args: Arguments, names: list[str], origin: Origin) -> None:
    """`apt-get install NAMES`: each new package of the closure becomes a version of this layer."""
    names = [name.split("/", 1)[0] for name in names]   # `pkg/bookworm-backports`: the release is no part of the name
    recommends = _recommends_on(runner, args)
    if recommends is None:   # sized without them: a lower bound
        runner.note_unknown("recommended packages (an apt.conf whose text is not known may turn them off)")
    if recommends:
        _note_recommends(known, names, origin)
    plan = apt.install(known.index, names, known.installed, recommends=bool(recommends))
    if plan.unknown or plan.unsized:
        runner.note_unknown(f"apt packages without data in Debian {known.index.release}: "
                            + ", ".join(plan.unknown + plan.unsized))
    known.installed |= set(plan.packages)
    known.auto = (known.auto | set(plan.auto)) - set(plan.manual)
    for package in plan.packages:
        path = _package_path(origin.layer, package)
        if runner.writable(path):
            known.layer_of[package] = origin.layer
            runner.fs.write(path, estimated(apt.package_bytes(known.index, package)), origin,
                            frozenset({f"{PACKAGE_TAG}:{package}"}))
    _rewrite_databases(runner, known, origin)


def remove(runner: CommandRunner, known: AptState, names: list[str], origin: Origin, *, autoremove: bool) -> None:
    """`apt-get purge NAMES` (`--auto-remove`), `apt-get autoremove`: what apt removes leaves the
    layers that installed it, stranding their bytes there."""
    plan = apt.remove(known.index, known.installed, known.auto, names, autoremove=autoremove)
    for package in plan.packages:
        layer = known.layer_of.pop(package, None)
        node = runner.fs.lookup(_package_path(layer, package)) if layer is not None else None
        if node is not None:
            runner.fs.remove(node, origin, PURGE)
    known.installed -= set(plan.packages)
    known.auto -= set(plan.packages)
    _rewrite_databases(runner, known, origin)


def _package_path(layer: int, package: str) -> str:
    return f"/usr/{BLOB}{layer}:{package}"


def _rewrite_databases(runner: CommandRunner, known: AptState, origin: Origin) -> None:
    """Every apt run rewrites the dpkg and debconf databases, sized by the installed count."""
    if runner.writable(DATABASES):
        runner.fs.write(DATABASES, estimated(apt.database_bytes(len(known.installed))), origin)
        known.estimates[origin.layer] = known.source


def _recommends_on(runner: CommandRunner, args: Arguments) -> bool | None:
    """apt's Install-Recommends: the command's options, else an apt.conf the Dockerfile wrote
    (None: one whose text is not known may set it)."""
    if args.has("--no-install-recommends"):
        return False
    if args.has("--install-recommends"):
        return True
    for value in args.values.get("-o", []) + args.values.get("--option", []):
        key, _, setting = (value or "").partition("=")
        if key.lower() == "apt::install-recommends":
            return setting.strip("\"'").lower() not in _OFF
    return _conf_recommends(runner)


def _conf_recommends(runner: CommandRunner) -> bool | None:
    """What the files of /etc/apt/apt.conf(.d) the Dockerfile wrote say. A file's text is not
    modelled, only the command that wrote it: an echo/printf shows it, a heredoc, a pipe to
    tee or a COPY does not (None, unless another file turns Recommends off)."""
    nodes = [runner.fs.lookup(path) for path in APT_CONF]
    texts = [n.version.origin.text for node in nodes if node is not None for n in node.walk() if n.version is not None]
    if any(_CONF_OFF.search(text) for text in texts):
        return False
    return True if all(text.startswith(_SHOWN_BY) for text in texts) else None


def _note_recommends(known: AptState, names: list[str], origin: Origin) -> None:
    """What each named package's recommends add on top of what is installed (before this install)."""
    costs = []
    for name in dict.fromkeys(names):
        lean = set(apt.install(known.index, [name], known.installed, recommends=False).packages)
        extra = tuple(p for p in apt.install(known.index, [name], known.installed, recommends=True).packages
                      if p not in lean)
        if extra:
            costs.append(Recommended(name, extra, _bytes(known, extra)))
    if costs:
        every = tuple(dict.fromkeys(p for cost in costs for p in cost.packages))
        known.recommends.append(RecommendsCost(origin, tuple(costs), every, _bytes(known, every), known.source))


def _bytes(known: AptState, packages: tuple[str, ...]) -> Size:
    return estimated(sum(apt.package_bytes(known.index, p) for p in packages))
