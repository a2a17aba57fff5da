"""Package managers: installs, removals, and the caches and indexes they fill or clean."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...shell.argv import Arguments, split_arguments
from ..bases import BaseLayout
from . import apt_layer
from ..context.entries import ContextFile
from ..fs import Origin, Version
from ...dockerfile.expand import expand_word
from ...core.sizes import UNKNOWN, Confidence, Size

if TYPE_CHECKING:   # annotations only: the runner imports this module
    from ..knowledge import PackageManager, Subcommand
    from .runner import CommandRunner, Invocation

@dataclass(slots=True)
class PackageEvent:
    package: str
    installed: Origin
    removed: Origin


@dataclass(slots=True)
class StageFacts:
    """What a stage's RUNs learn beyond files: packages and their managers."""
    family: str
    packages: dict[str, Origin] = field(default_factory=dict)
    package_events: list[PackageEvent] = field(default_factory=list)
    layout: BaseLayout | None = None   # what the base image holds (None: a stage we did not replay)
    # (cache key, the command that needs it): `apt-get install` reads the apt lists, so a fix
    # must not clean them before it
    reads: list[tuple[str, Origin]] = field(default_factory=list)
    # archives a RUN unpacked: (archive path, the extraction's origin), for DLL109
    extractions: list[tuple[str, Origin]] = field(default_factory=list)
    apt: apt_layer.AptState | None = None   # the packages apt installed, when the base has data
    # archives COPY brought from the context: path → (its version, a reader of its members),
    # so a RUN that unpacks one knows every member's name and size
    copied_archives: dict[str, tuple[Version, Callable[[], list[ContextFile] | None]]] = \
        field(default_factory=dict)


APT_VERBS = ("install", "remove", "purge", "autoremove")   # what the package data sizes
INSTALLED = frozenset({"installed"})   # what an install wrote under the working directory
_PACKAGE_NAME = re.compile(r"@?[^=<>!~\[;:@\s]+")


def package_name(spec: str) -> str:
    """`gcc=4:12.2.0-3`, `libc6:amd64`, `requests[socks]>=2`, `@scope/pkg@1` → the name."""
    match = _PACKAGE_NAME.match(spec)
    return match.group(0) if match else spec


def package_manager(runner: CommandRunner, manager: PackageManager, call: Invocation) -> Size:
    args = split_arguments([(text, index) for index, (text, _) in enumerate(call.words)], manager.value_options)
    subcommand_name, operands = _subcommand(manager, args)
    sub = manager.subcommands.get(subcommand_name or "")
    if sub is None:
        runner.note_unknown(f"`{call.name} {subcommand_name}`".replace(" `", "`"))
        return UNKNOWN
    rest = operands[1:]
    written = {text for text, _ in call.words}   # `go clean -modcache`: one word, not clustered flags
    if sub.when_operand is not None and sub.when_operand not in written:
        return UNKNOWN
    _unnamed_effects(runner, sub, args, rest, call)
    sized = _apt_effects(runner, manager.name, subcommand_name, args, rest, call)
    if sub.installs:
        if not sized:
            runner.note_unknown(f"packages installed by {call.name}")
        virtual = [args.value(option) for option in manager.virtual_options if args.value(option)]
        for package in [p for p in rest if p] + virtual:
            runner.facts.packages.setdefault(package_name(package), call.origin)
    if sub.uninstalls:
        _uninstall(runner, [package_name(p) for p in rest if p], call.origin)
    _cache_effects(runner, manager, sub, args, written, call)
    return UNKNOWN


def _subcommand(manager: PackageManager, args: Arguments) -> tuple[str, list[str | None]]:
    """The subcommand and its operands (the subcommand first); dpkg's -i / -P are subcommands
    spelled as flags."""
    operands = [text for text, _ in args.operands]
    name = operands[0] if operands else ""
    for flag in args.flags:
        if flag in manager.subcommands and name not in manager.subcommands:
            name, operands = flag, [flag] + operands
    return name or "", operands


def _cache_effects(runner: CommandRunner, manager: PackageManager, sub: Subcommand, args: Arguments,
                   written: set[str | None], call: Invocation) -> None:
    """The caches the subcommand fills (unless told not to), cleans, and needs."""
    if not (args.has(*manager.no_cache_options) or _no_cache_env(runner, manager)):
        for key in sub.fills:
            moved = [args.value(option) for option in manager.cache_options.get(key, ())]
            _fill_cache(runner, key, call, next((m for m in moved if m), None))
    for key in sub.cleans + tuple(k for word, keys in sub.cleans_when.items() if word in written for k in keys):
        _clean_cache(runner, key, call)
    runner.facts.reads.extend((key, call.origin) for key in sub.reads)


def _unnamed_effects(runner: CommandRunner, sub: Subcommand, args: Arguments, rest: list[str | None],
                     call: Invocation) -> None:
    """What the install writes without naming it: the .debs `dpkg -i` unpacks (for DLL109) and
    the folders it fills under the working directory (npm's node_modules)."""
    if sub.unpacks:
        runner.facts.extractions.extend((node.path, call.origin) for index, (text, _) in enumerate(call.words)
                                        if text and text in rest
                                        for node in runner.nodes(text, call.is_glob(index)))
    for folder in sub.writes:
        _fill_unnamed(runner, args, folder, call)


def _fill_unnamed(runner: CommandRunner, args: Arguments, folder: str, call: Invocation) -> None:
    """The folder of unknown contents an install writes under the working directory (not with
    -g/--global, which writes under the manager's prefix)."""
    if not args.has("-g", "--global"):
        runner.fill(folder, call.origin, INSTALLED)


def _apt_effects(runner: CommandRunner, manager_name: str, subcommand: str, args: Arguments,
                 operands: list[str | None], call: Invocation) -> bool:
    """apt-get install/purge/remove/autoremove sized from the package data (apt_layer.py);
    False when the command's bytes stay unknown: another manager or verb, or a base without data."""
    known = apt_layer.state(runner) if manager_name == "apt-get" and subcommand in APT_VERBS else None
    if known is None:
        return False
    names = _named(runner, operands, manager_name)
    if subcommand == "install":
        apt_layer.install(runner, known, args, names, call.origin)
    else:
        autoremove = subcommand == "autoremove" or args.has("--auto-remove", "--autoremove")
        apt_layer.remove(runner, known, names, call.origin, autoremove=autoremove)
    return True


def _named(runner: CommandRunner, operands: list[str | None], manager_name: str) -> list[str]:
    """The package names of an apt command; one an unknown variable holds makes the layer a lower bound."""
    if None in operands:
        runner.note_unknown(f"packages {manager_name} gets from an unknown value")
    return [package_name(p) for p in operands if p]


def _no_cache_env(runner: CommandRunner, manager: PackageManager) -> bool:
    return any(runner.env.get(name) not in (None, "", "0", "false", "off") for name in manager.no_cache_env)


def cache_path(runner: CommandRunner, key: str, manager_name: str) -> str | None:
    cache = runner.knowledge.caches[key]
    env = dict(runner.env, PM_NAME="yum" if manager_name in ("yum", "microdnf") else manager_name)
    return runner.absolute(expand_word(cache.path, env))


def _fill_cache(runner: CommandRunner, key: str, call: Invocation, moved_to: str | None) -> None:
    path = runner.absolute(moved_to) if moved_to else cache_path(runner, key, call.name)
    if not runner.writable(path):
        return
    assert path is not None
    cache = runner.knowledge.caches[key]
    count = cache.size_for(runner.facts.family)
    if count == 0:
        return
    size = Size(count, Confidence.ESTIMATED) if count is not None else UNKNOWN
    runner.fs.add_blob(path, size, call.origin, frozenset({"cache:" + key}))


def _clean_cache(runner: CommandRunner, key: str, call: Invocation) -> None:
    path = cache_path(runner, key, call.name)
    node = runner.fs.lookup(path) if runner.writable(path) and path is not None else None
    if node is not None and node.children:
        for child in list(node.children.values()):
            runner.fs.remove(child, call.origin)


def _uninstall(runner: CommandRunner, packages: list[str], origin: Origin) -> None:
    for package in packages:
        installed = runner.facts.packages.pop(package, None)
        if installed is not None and installed.layer < origin.layer:
            runner.facts.package_events.append(PackageEvent(package, installed, origin))
