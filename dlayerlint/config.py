"""Settings: `.dlayerlint.yaml` or `[tool.dlayerlint]` in pyproject.toml,
found upward from the linted file (the nearest one wins, files are not
merged), then the command line's flags on top (`Config.merged`).

Rule names are kept as written and resolved when the rules are known
(plugins add rules), so a typo is reported with the file and key it came from.

`exclude` patterns match like --exclude, on the linted file's path relative to
the folder of the config file that holds them (`Config.excludes`).
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Any, NamedTuple

from .core.rule import SEVERITIES, Rule
from .core.sizes import parse_size
from .rules.plugins import Plugin, PluginError, known_rules, load_plugin

YAML_NAMES = (".dlayerlint.yaml", ".dlayerlint.yml")
PYPROJECT = "pyproject.toml"
FAIL_LEVELS = (*SEVERITIES, "none")
ALL = "all"  # in enable/disable: every rule


class Switch(NamedTuple):
    """A rule (name, id or "all") turned on or off, and where that was said."""
    rule: str
    on: bool
    source: str


class SeverityOverride(NamedTuple):
    rule: str
    level: str
    source: str


class PluginRef(NamedTuple):
    name: str     # the entry point's name in group dlayerlint.rules
    source: str


class ExcludePattern(NamedTuple):
    pattern: str
    folder: Path   # the config file's folder: the pattern matches paths relative to it
    source: str


class ConfigError(ValueError):
    """A bad setting; the message names the file (or flag) and the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")


@dataclass(frozen=True, slots=True)
class Config:
    """None (or empty) means "not set here", so `merged` can layer configs."""
    switches: tuple[Switch, ...] = ()             # in order: a later one wins
    severity: tuple[SeverityOverride, ...] = ()   # in order: a later one wins
    fail_level: str | None = None
    max_stranded: int | None = None
    build_args: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    context: Path | None = None
    target: str | None = None
    plugins: tuple[PluginRef, ...] = ()
    report_unused_pragmas: bool | None = None
    exclude: tuple[ExcludePattern, ...] = ()

    def merged(self, overrides: Config) -> Config:
        """This config with `overrides` on top (what the command line does)."""
        def pick(mine: Any, theirs: Any) -> Any:
            return mine if theirs is None else theirs
        return Config(
            switches=self.switches + overrides.switches,
            severity=self.severity + overrides.severity,
            fail_level=pick(self.fail_level, overrides.fail_level),
            max_stranded=pick(self.max_stranded, overrides.max_stranded),
            build_args=MappingProxyType({**self.build_args, **overrides.build_args}),
            context=pick(self.context, overrides.context),
            target=pick(self.target, overrides.target),
            plugins=self.plugins + tuple(ref for ref in overrides.plugins
                                         if ref.name not in {mine.name for mine in self.plugins}),
            report_unused_pragmas=pick(self.report_unused_pragmas, overrides.report_unused_pragmas),
            exclude=self.exclude + overrides.exclude)

    def excludes(self, name: str) -> bool:
        """Whether an `exclude` pattern skips the file `name` (a path as given on the command line)."""
        return any(excluded(_relative_to(name, ref.folder), (ref.pattern,)) for ref in self.exclude)

    @property
    def effective_fail_level(self) -> str:
        return self.fail_level or "info"

    def selection(self, known: Mapping[str, Rule]) -> RuleSelection:
        """Which rules run and at what severity; raises ConfigError on an unknown rule."""
        find = _finder(known)
        enabled = set(known)
        for switch in self.switches:
            ids = set(known) if switch.rule.lower() == ALL else \
                {find(switch.rule, switch.source, "enable" if switch.on else "disable")}
            enabled = enabled | ids if switch.on else enabled - ids
        severity = {find(o.rule, o.source, "severity"): o.level for o in self.severity}
        return RuleSelection(frozenset(enabled), MappingProxyType(severity))


@dataclass(frozen=True, slots=True)
class RuleSelection:
    enabled: frozenset[str]
    severity: Mapping[str, str]   # rule id → severity that replaces the rule's own


def _relative_to(name: str, folder: Path) -> str:
    """`name` relative to `folder` when it is below it, else as given (a --config
    file elsewhere). Links in its folders are resolved, as find_config does; a
    linked Dockerfile keeps its own name."""
    path = Path(name)
    try:
        return (path.parent.resolve() / path.name).relative_to(folder).as_posix()
    except ValueError:
        return name


def _finder(known: Mapping[str, Rule]) -> Callable[[str, str, str], str]:
    by_name = {key: rule.id for rule in known.values() for key in (rule.id.upper(), rule.name.lower())}

    def find(name: str, source: str, key: str) -> str:
        rule_id = by_name.get(name.strip().upper()) or by_name.get(name.strip().lower())
        if rule_id is None:
            raise ConfigError(source, key, f"no rule named '{name}' (see `dlayerlint rules`)")
        return rule_id
    return find


# --------------------------------------------------------------------------- reading a file

def _names(value: Any, source: str, key: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
        raise ConfigError(source, key, "must be a list of rule names or ids")
    return [name.strip() for item in items for name in item.split(",") if name.strip()]


def _patterns(value: Any, source: str, key: str) -> list[str]:
    # a list only: a comma may be part of a file name, so no "a,b" shorthand
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(source, key, "must be a list of path patterns (e.g. [vendor, 'build/*'])")
    return [item.strip() for item in value]


def _plugins(value: Any, source: str, key: str) -> tuple[PluginRef, ...]:
    return tuple(PluginRef(name, source) for name in _names(value, source, key))


def _severities(value: Any, source: str, key: str) -> tuple[SeverityOverride, ...]:
    if not isinstance(value, dict):
        raise ConfigError(source, key, "must map rule names or ids to error, warning or info")
    for name, level in value.items():
        if level not in SEVERITIES:
            raise ConfigError(source, f"{key}.{name}", f"'{level}' is not one of {', '.join(SEVERITIES)}")
    return tuple(SeverityOverride(str(name), level, source) for name, level in value.items())


def _choice(choices: Iterable[str]) -> Callable[[Any, str, str], str]:
    options = tuple(choices)

    def check(value: Any, source: str, key: str) -> str:
        if value not in options:
            raise ConfigError(source, key, f"'{value}' is not one of {', '.join(options)}")
        return value
    return check


def size_limit(value: Any, source: str, key: str) -> int:
    """'10MiB', '500kB', '10B' or a byte count → bytes (`B` alone is bytes, not
    coreutils' 512-byte blocks)."""
    count = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
    if isinstance(value, str):
        text = re.sub(r"\s+", "", value)
        count = parse_size(text.removesuffix("B").removesuffix("b") if re.fullmatch(r"[0-9]+[bB]", text) else text)
    if count is None:
        raise ConfigError(source, key, f"'{value}' is not a size (e.g. 10MiB, 500MB, 1048576)")
    return count


def _build_args(value: Any, source: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(source, key, "must map argument names to values")
    for name, arg in value.items():
        if isinstance(arg, bool) or not isinstance(arg, (str, int)):
            raise ConfigError(source, f"{key}.{name}", f"{arg!r} must be a string (quote it)")
    return {str(name): str(arg) for name, arg in value.items()}


def _string(value: Any, source: str, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(source, key, "must be a non-empty string")
    return value


def _flag(value: Any, source: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(source, key, "must be true or false")
    return value


# key → (Config field, reader)
_KEYS: dict[str, tuple[str, Callable[[Any, str, str], Any]]] = {
    "severity": ("severity", _severities),
    "fail-level": ("fail_level", _choice(FAIL_LEVELS)),
    "max-stranded": ("max_stranded", size_limit),
    "build-args": ("build_args", _build_args),
    "context": ("context", _string),
    "target": ("target", _string),
    "plugins": ("plugins", _plugins),
    "report-unused-pragmas": ("report_unused_pragmas", _flag),
    "exclude": ("exclude", _patterns),
}
SWITCH_KEYS = ("disable", "enable")   # applied in this order: enable wins within one file


def from_mapping(data: Any, source: str, folder: Path) -> Config:
    """A Config from a parsed file; `folder` anchors a relative `context` and the `exclude` patterns."""
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise ConfigError(source, "(top level)", "must be a mapping of settings")
    unknown = sorted(set(data) - set(_KEYS) - set(SWITCH_KEYS))
    if unknown:
        raise ConfigError(source, str(unknown[0]),
                          f"unknown key (known: {', '.join(sorted((*_KEYS, *SWITCH_KEYS)))})")
    values: dict[str, Any] = {}
    for key, (name, read) in _KEYS.items():
        if key in data:
            values[name] = read(data[key], source, key)
    if "context" in values:
        values["context"] = folder / values["context"]
    if "build_args" in values:
        values["build_args"] = MappingProxyType(values["build_args"])
    if "exclude" in values:
        values["exclude"] = tuple(ExcludePattern(pattern, folder.resolve(), source)
                                  for pattern in values["exclude"])
    switches = tuple(Switch(name, key == "enable", source) for key in SWITCH_KEYS if key in data
                     for name in _names(data[key], source, key))
    return Config(switches=switches, **values)


@lru_cache(maxsize=64)
def _read_file(path: Path, _mtime_ns: int) -> Config:
    """Parsed once per version of the file (the LSP server sees edits)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(source, "(file)", f"cannot read: {error}") from error
    if path.name == PYPROJECT:
        try:
            data = tomllib.loads(text).get("tool", {}).get("dlayerlint")
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(source, "(file)", f"not valid TOML: {error}") from error
        return from_mapping(data, f"{source} [tool.dlayerlint]", path.parent)
    from .core import yamlload  # pylint: disable=import-outside-toplevel  # yaml only when a file needs it
    try:
        data = yamlload.parse(text)
    except yamlload.YAMLError as error:
        raise ConfigError(source, "(file)", f"not valid YAML: {error}") from error
    return from_mapping(data, source, path.parent)


def read_config(path: Path) -> Config:
    """One config file (.dlayerlint.yaml or pyproject.toml)."""
    path = path.resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as error:
        raise ConfigError(str(path), "(file)", f"cannot read: {error.strerror}") from error
    return _read_file(path, mtime)


def _has_section(pyproject: Path) -> bool:
    try:
        return "[tool.dlayerlint" in pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def find_config(start: Path) -> Path | None:
    """The nearest config file in `start`'s folder or above it."""
    folder = start.resolve()
    folder = folder if folder.is_dir() else folder.parent
    for candidate in (folder, *folder.parents):
        for name in YAML_NAMES:
            if (candidate / name).is_file():
                return candidate / name
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and _has_section(pyproject):
            return pyproject
    return None


def load_config(dockerfile: Path) -> Config:
    """The settings that apply to `dockerfile` (defaults when no file is found)."""
    found = find_config(dockerfile)
    return read_config(found) if found is not None else Config()
_MAGIC = frozenset("*?[")


def excluded(name: str, patterns: Iterable[str]) -> bool:
    """PATTERN matches the path as given (`*` also crosses `/`), a folder it is in
    (`a/b` for a/b/c/Dockerfile), or any one of its parts (`vendor`)."""
    parts = PurePath(name).parts
    candidates = (*("/".join(parts[:end]) for end in range(1, len(parts) + 1)), *parts)
    return any(fnmatchcase(candidate, pattern.rstrip("/")) for pattern in patterns for candidate in candidates)


def configured(refs: Sequence[PluginRef]) -> tuple[list[Plugin], dict[str, Rule]]:
    """The configured plugins, and every rule a run with them can report.
    Raises ConfigError naming the file (or flag) that named a bad plugin."""
    plugins: list[Plugin] = []
    known = known_rules(plugins)
    for ref in refs:
        try:
            plugins.append(load_plugin(ref.name))
            known = known_rules(plugins)
        except PluginError as error:
            raise ConfigError(ref.source, "plugins", str(error)) from error
    return plugins, known
