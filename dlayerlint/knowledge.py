"""Loads the command knowledge and the rule catalogue from `rules/`.

In a source checkout the catalogue is the top-level `rules/` folder; an
installed wheel carries the same files in `dlayerlint/ruledata/`.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml


def catalogue_dir() -> Path:
    here = Path(__file__).resolve().parent
    installed = here / "ruledata"
    return installed if (installed / "commands").is_dir() else here.parent / "rules"


# libyaml's safe loader is ~10x faster than the pure-Python one; both are safe_load
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as stream:
        return yaml.load(stream, Loader=SafeLoader)  # nosec: a safe loader


def _load(relative: str) -> dict[str, Any]:
    return load_yaml(catalogue_dir() / relative) or {}


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    verb: str
    options: dict[str, Any]

    def flags(self, key: str) -> frozenset[str]:
        return frozenset(str(flag) for flag in self.options.get(key, ()))

    @property
    def value_options(self) -> frozenset[str]:
        return self.flags("value_options")


@dataclass(frozen=True, slots=True)
class Subcommand:
    installs: bool = False
    uninstalls: bool = False
    fills: tuple[str, ...] = ()
    cleans: tuple[str, ...] = ()
    when_operand: str | None = None   # only with this operand (`npm cache clean`)


@dataclass(frozen=True, slots=True)
class PackageManager:
    name: str
    names: tuple[str, ...]
    value_options: frozenset[str]
    no_cache_options: frozenset[str]
    no_cache_env: tuple[str, ...]
    subcommands: dict[str, Subcommand]
    cache_options: dict[str, tuple[str, ...]]   # cache key → options that relocate it
    virtual_options: frozenset[str]             # options naming a package group (apk --virtual)


@dataclass(frozen=True, slots=True)
class Cache:
    key: str
    path: str          # may hold ${VAR} forms, expanded with the RUN's environment
    what: str
    sizes: dict[str, int | None]
    confidence: str
    source: str
    clean: str

    def size_for(self, family: str) -> int | None:
        return self.sizes.get(family, self.sizes.get("default"))


@dataclass(frozen=True, slots=True)
class Knowledge:  # pylint: disable=too-many-instance-attributes
    commands: dict[str, CommandSpec]
    no_effect: frozenset[str]
    wrappers: dict[str, dict[str, Any]]
    managers: dict[str, PackageManager]   # by every name a manager answers to
    caches: dict[str, Cache]
    secret_patterns: tuple[str, ...]
    secret_paths: tuple[str, ...]
    not_secret_patterns: tuple[str, ...]
    archive_suffixes: tuple[str, ...]
    base_families: tuple[tuple[str, str], ...]

    def is_secret(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.not_secret_patterns):
            return False
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.secret_patterns):
            return True
        return any(fnmatch.fnmatchcase(path, "*/" + pattern) for pattern in self.secret_paths)

    def is_archive(self, path: str) -> bool:
        return path.lower().endswith(self.archive_suffixes)

    def base_family(self, image: str) -> str:
        name = image.rsplit("/", 1)[-1].lower()
        for pattern, family in self.base_families:
            if fnmatch.fnmatchcase(name, pattern):
                return family
        return "unknown"


def _manager(name: str, data: dict[str, Any]) -> PackageManager:
    subcommands = {
        str(sub): Subcommand(
            installs=bool(spec.get("installs")), uninstalls=bool(spec.get("uninstalls")),
            fills=tuple(spec.get("fills", ())), cleans=tuple(spec.get("cleans", ())),
            when_operand=spec.get("when_operand"))
        for sub, spec in (data.get("subcommands") or {}).items()
    }
    return PackageManager(
        name=name, names=tuple(data.get("names", [name])),
        value_options=frozenset(data.get("value_options", ())),
        no_cache_options=frozenset(data.get("no_cache_options", ())),
        no_cache_env=tuple(data.get("no_cache_env", ())), subcommands=subcommands,
        cache_options={key: tuple(options) for key, options in (data.get("cache_options") or {}).items()},
        virtual_options=frozenset(data.get("virtual_options", ())))


def _cache(key: str, data: dict[str, Any]) -> Cache:
    return Cache(key=key, path=data["path"], what=data["what"], sizes=dict(data["size"]),
                 confidence=data["confidence"], source=" ".join(str(data["source"]).split()),
                 clean=data["clean"])


def _names(items, where: str) -> None:
    """YAML 1.1 reads yes/no/true/false as booleans: such a name must be quoted."""
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"rules/commands/{where}: {item!r} is not a string; quote it")


@cache
def knowledge() -> Knowledge:
    files = _load("commands/files.yaml")
    packages = _load("commands/packages.yaml")
    _names(files["commands"], "files.yaml commands")
    _names(files["no_effect"], "files.yaml no_effect")
    _names(files["wrappers"], "files.yaml wrappers")
    managers: dict[str, PackageManager] = {}
    for name, data in packages["package_managers"].items():
        manager = _manager(name, data)
        for alias in manager.names:
            managers[alias] = manager
    return Knowledge(
        commands={name: CommandSpec(name, spec["verb"], spec) for name, spec in files["commands"].items()},
        no_effect=frozenset(files["no_effect"]),
        wrappers={name: spec or {} for name, spec in files["wrappers"].items()},
        managers=managers,
        caches={key: _cache(key, data) for key, data in packages["caches"].items()},
        secret_patterns=tuple(files["secret_patterns"]),
        secret_paths=tuple(files["secret_paths"]),
        not_secret_patterns=tuple(files["not_secret_patterns"]),
        archive_suffixes=tuple(files["archive_suffixes"]),
        base_families=tuple((item["match"], item["family"]) for item in packages["base_families"]),
    )
