"""Third-party rule packs, loaded pylint-style through the entry point group
`dlayerlint.rules`, and only when configured (`plugins:` or `--plugin NAME`):
installing a package never changes what a run reports by itself.

The entry point names an object (usually a module) with

    RULES: a sequence of dlayerlint.core.rule.Rule (ids must not clash)
    check(analysis): yields dlayerlint.core.results.Finding for those rules; it gets
                     the same Analysis the built-in checks read (dlayerlint/checks)
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from ..core.rule import SEVERITIES, Rule
from .catalogue import rules
from ..simulate.analysis import Analysis
from ..core.results import Finding
from .pragmas import MALFORMED_PRAGMA, UNUSED_PRAGMA

GROUP = "dlayerlint.rules"


class PluginError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Plugin:
    name: str
    rules: tuple[Rule, ...]
    check: Callable[[Analysis], Iterable[Finding]]


def _rules_of(name: str, provided: object) -> tuple[Rule, ...]:
    declared = getattr(provided, "RULES", None)
    if not isinstance(declared, (list, tuple)) or not all(isinstance(rule, Rule) for rule in declared):
        raise PluginError(f"plugin '{name}': RULES must be a list of dlayerlint.core.rule.Rule")
    for rule in declared:
        if rule.severity not in SEVERITIES:
            raise PluginError(f"plugin '{name}': rule {rule.id}: severity must be one of {', '.join(SEVERITIES)}")
    return tuple(declared)


@contextmanager
def _installed_only() -> Iterator[None]:
    """sys.path without the working directory while plugins are found and imported: under
    `python -m dlayerlint` it comes first, and a pull request could otherwise commit an
    `x.dist-info/entry_points.txt` and a module beside it and name `x` in its config."""
    saved = list(sys.path)
    here = os.getcwd()
    sys.path[:] = [entry for entry in saved if entry not in ("", ".") and os.path.abspath(entry) != here]
    try:
        yield
    finally:
        sys.path[:] = saved


@cache
def load_plugin(name: str) -> Plugin:
    # imported here: importlib.metadata is ~10 ms of a run that loads no plugin
    from importlib.metadata import entry_points  # pylint: disable=import-outside-toplevel
    with _installed_only():
        found = entry_points(group=GROUP, name=name)
        if not found:
            installed = sorted(point.name for point in entry_points(group=GROUP)) or ["none"]
            raise PluginError(f"plugin '{name}' is not installed (entry point group {GROUP}: "
                              f"{', '.join(installed)})")
        point = next(iter(found))
        try:
            provided = point.load()
        except Exception as error:  # pylint: disable=broad-exception-caught  # a plugin's import can raise anything
            raise PluginError(f"plugin '{name}': cannot load {point.value}: {error}") from error
    check = getattr(provided, "check", None)
    if not callable(check):
        raise PluginError(f"plugin '{name}': {point.value} has no check(analysis) function")
    return Plugin(name, _rules_of(name, provided), check)


def known_rules(plugins: Sequence[Plugin]) -> dict[str, Rule]:
    """Every rule a run can report: built-in, pragma and plugin rules, by id."""
    known = dict(rules())
    known[UNUSED_PRAGMA.id] = UNUSED_PRAGMA
    known[MALFORMED_PRAGMA.id] = MALFORMED_PRAGMA
    for plugin in plugins:
        for rule in plugin.rules:
            if rule.id in known:
                raise PluginError(f"plugin '{plugin.name}': rule id {rule.id} is already taken")
            known[rule.id] = rule
    return known


def guarded(plugin: Plugin) -> Callable[[Analysis], Iterator[Finding]]:
    """The plugin's check, with its failures reported as a PluginError naming it."""
    def check(analysis: Analysis) -> Iterator[Finding]:
        try:
            yield from plugin.check(analysis)
        except Exception as error:  # pylint: disable=broad-exception-caught  # a plugin bug must not crash the run
            raise PluginError(f"plugin '{plugin.name}' failed: {error!r}") from error
    return check
