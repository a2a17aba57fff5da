"""Settings: `.dlayerlint.yaml` or `[tool.dlayerlint]` in pyproject.toml,
found upward from the linted file (the nearest one wins, files are not
merged), then the command line's flags on top (`Config.merged`).

Precedence, lowest first (`settings_for`): the user's file
`$XDG_CONFIG_HOME/dlayerlint/config.yaml` (only when no project file is found),
the nearest project file (or `--config FILE`), `DLAYERLINT_*` environment
variables, then flags (or the editor's settings). A `.hadolint.yaml` found on the
same upward search goes beneath the project file: its `ignored:` disables the
dlayerlint rules mapped onto those hadolint ids and its `failure-threshold:`
sets the fail level (its other keys are hadolint's).

Rule names are kept as written and resolved when the rules are known
(plugins add rules), so a typo is reported with the file and key it came from.

`exclude` patterns match like --exclude, on the linted file's path relative to
the folder of the config file that holds them (`Config.excludes`).
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Any, NamedTuple

from .core.rule import SEVERITIES, Rule
from .core.sizes import parse_size
from .rules.catalogue import rules
from .rules.plugins import Plugin, PluginError, known_rules, load_plugin

YAML_NAMES = (".dlayerlint.yaml", ".dlayerlint.yml")
HADOLINT_NAMES = (".hadolint.yaml", ".hadolint.yml")
# hadolint's failure-threshold → fail-level (dlayerlint has no `style`: its lowest is info)
HADOLINT_THRESHOLDS = {"error": "error", "warning": "warning", "info": "info", "style": "info",
                       "ignore": "none", "none": "none"}
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
        self.problem = problem   # alone, for a flag's message (argparse names the flag)


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


def _parse_yaml(text: str, source: str) -> Any:
    from .core import yamlload  # pylint: disable=import-outside-toplevel  # yaml only when a file needs it
    try:
        return yamlload.parse(text)
    except yamlload.YAMLError as error:
        raise ConfigError(source, "(file)", f"not valid YAML: {_yaml_problem(error)}") from error


def _yaml_problem(error: Exception) -> str:
    """PyYAML's message without its `in "<unicode string>"` (the file is named by the caller)."""
    problem = getattr(error, "problem", None) or str(error)
    mark = getattr(error, "problem_mark", None)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else problem


@lru_cache(maxsize=64)
def _read_file(path: Path, _mtime_ns: int) -> Config:
    """Parsed once per version of the file (the LSP server sees edits)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(source, "(file)", f"cannot read: {error}") from error
    if path.name == PYPROJECT:
        import tomllib  # pylint: disable=import-outside-toplevel  # ~6 ms that a project without pyproject.toml need not pay
        try:
            data = tomllib.loads(text).get("tool", {}).get("dlayerlint")
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(source, "(file)", f"not valid TOML: {error}") from error
        return from_mapping(data, f"{source} [tool.dlayerlint]", path.parent)
    if path.name in HADOLINT_NAMES:
        return _from_hadolint(_parse_yaml(text, source), f"{source} (hadolint's)")
    return from_mapping(_parse_yaml(text, source), source, path.parent)


def _from_hadolint(data: Any, source: str) -> Config:
    """`ignored` and `failure-threshold` of a .hadolint.yaml, for the rules mapped onto hadolint's."""
    if not isinstance(data, dict):
        return Config()
    ignored = {name.upper() for name in _names(data.get("ignored") or [], source, "ignored")}
    switches = tuple(Switch(rule.id, False, source) for rule in rules().values() if ignored & set(rule.hadolint))
    threshold = data.get("failure-threshold")
    if threshold is not None and threshold not in HADOLINT_THRESHOLDS:
        raise ConfigError(source, "failure-threshold", f"'{threshold}' is not one of {', '.join(HADOLINT_THRESHOLDS)}")
    return Config(switches=switches, fail_level=HADOLINT_THRESHOLDS.get(threshold))


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


def _folders(start: Path) -> tuple[Path, ...]:
    folder = start.resolve()
    folder = folder if folder.is_dir() else folder.parent
    return (folder, *folder.parents)


def find_hadolint(start: Path) -> Path | None:
    """The nearest .hadolint.yaml in `start`'s folder or above it."""
    return next((folder / name for folder in _folders(start) for name in HADOLINT_NAMES
                 if (folder / name).is_file()), None)


def find_config(start: Path) -> Path | None:
    """The nearest config file in `start`'s folder or above it."""
    for candidate in _folders(start):
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


ENV_PREFIX = "DLAYERLINT_"


def env_var(key: str) -> str:
    """fail-level → DLAYERLINT_FAIL_LEVEL"""
    return ENV_PREFIX + key.upper().replace("-", "_")


def _env_pairs(text: str) -> dict[str, str] | str:
    """A=1,B=2 → {"A": "1", "B": "2"} (kept as text when malformed, for the reader's message)."""
    pairs = [item.partition("=") for item in text.split(",") if item.strip()]
    return {name.strip(): value for name, equals, value in pairs if equals} if all(p[1] for p in pairs) else text


def _env_flag(text: str) -> bool | str:
    return {"1": True, "true": True, "yes": True, "on": True,
            "0": False, "false": False, "no": False, "off": False}.get(text.strip().lower(), text)


# how a variable's text becomes the value a file would hold (the rest are strings; rule lists take "a,b")
_ENV_SHAPES: dict[str, Callable[[str], Any]] = {
    "build-args": _env_pairs, "severity": _env_pairs, "report-unused-pragmas": _env_flag,
    "exclude": lambda text: [item for item in text.split(",") if item.strip()],
}


def env_config(environ: Mapping[str, str], folder: Path) -> Config:
    """Settings from DLAYERLINT_* variables, one per key (DLAYERLINT_FAIL_LEVEL=warning,
    DLAYERLINT_DISABLE=DLL105,copy-then-chmod, DLAYERLINT_BUILD_ARGS=A=1,B=2); a
    relative context is from `folder`. Other DLAYERLINT_ variables are not settings."""
    config = Config()
    for key in (*_KEYS, *SWITCH_KEYS):
        text = environ.get(env_var(key))
        if text is not None:
            value = _ENV_SHAPES.get(key, str)(text)
            config = config.merged(from_mapping({key: value}, f"environment variable {env_var(key)}", folder))
    return config


def user_config_file(environ: Mapping[str, str]) -> Path | None:
    """$XDG_CONFIG_HOME/dlayerlint/config.yaml (~/.config/… by default), when it exists."""
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    path = Path(base) / "dlayerlint" / "config.yaml"
    try:
        return path if path.is_file() else None
    except OSError:   # a home we may not enter (run as nobody with HOME=/root): no user file
        return None


def settings_for(dockerfile: Path, config_file: Path | None = None,
                 environ: Mapping[str, str] | None = None) -> Config:
    """Every setting below the flags for `dockerfile`: `config_file` or the nearest project
    file (else the user's file) over the nearest .hadolint.yaml, with the DLAYERLINT_*
    variables on top."""
    environ = os.environ if environ is None else environ
    found = config_file or find_config(dockerfile) or user_config_file(environ)
    base = read_config(found) if found is not None else Config()
    hadolint = find_hadolint(dockerfile) if config_file is None else None
    if hadolint is not None:
        base = read_config(hadolint).merged(base)
    return base.merged(env_config(environ, Path.cwd()))
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
