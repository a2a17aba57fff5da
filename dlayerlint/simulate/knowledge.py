"""Loads the command knowledge and the rule catalogue from `rules/`.

In a source checkout the catalogue is the top-level `rules/` folder; an
installed wheel carries the same files in `dlayerlint/ruledata/`.
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from ..core.datafiles import load_data
from .bases import BaseLayout, layout_for
from .effects import VERBS

MAX_REMEMBERED_PATHS = 50_000
_TAG_SETS = {(secret, archive): frozenset(("secret",) * secret + ("archive",) * archive)
             for secret in (False, True) for archive in (False, True)}
Matcher = Callable[[str], "re.Match[str] | None"]   # a compiled regex's match


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    verb: str
    options: dict[str, Any]
    _flags: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def flags(self, key: str) -> frozenset[str]:
        """The options listed under key (memoised: asked for each command run)."""
        found = self._flags.get(key)
        if found is None:
            found = self._flags[key] = frozenset(str(flag) for flag in self.options.get(key, ()))
        return found

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
    reads: tuple[str, ...] = ()        # caches it needs: apt-get install fails without the lists
    writes: tuple[str, ...] = ()       # folders it fills under the working directory (node_modules)
    unpacks: bool = False              # its operands are archives it unpacks (dpkg -i x.deb)
    cleans_when: dict[str, tuple[str, ...]] = field(default_factory=dict)   # `go clean -modcache`


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


@dataclass(slots=True)
class _Memo:
    """What Knowledge's answers remember, per path and per FROM image."""
    tags: dict[str, frozenset[str]] = field(default_factory=dict)
    images: dict[str, tuple[str, BaseLayout]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Knowledge:
    commands: dict[str, CommandSpec]
    no_effect: frozenset[str]
    wrappers: dict[str, dict[str, Any]]
    managers: dict[str, PackageManager]   # by every name a manager answers to
    caches: dict[str, Cache]
    secret_names: Matcher       # file names that hold secrets …
    not_secret_names: Matcher   # … unless they match this
    secret_paths: Matcher       # paths that hold secrets, whatever their name
    archive_suffixes: tuple[str, ...]
    base_families: tuple[tuple[str, str], ...]
    bases: dict[str, Any]       # rules/bases.yaml: what each base image holds (see bases.py)
    _memo: _Memo = field(default_factory=_Memo, compare=False, repr=False)

    def file_tags(self, path: str) -> frozenset[str]:
        """"secret" and "archive", as a file at path is one; memoised, as the
        Dockerfiles of a folder COPY the same context to the same paths."""
        tags = self._memo.tags.get(path)
        if tags is None:
            tags = _remember(self._memo.tags, path, _TAG_SETS[self.is_secret(path), self.is_archive(path)])
        return tags

    def is_secret(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        if self.not_secret_names(name):
            return False
        return self.secret_names(name) is not None or self.secret_paths(path) is not None

    def is_archive(self, path: str) -> bool:
        return path.lower().endswith(self.archive_suffixes)

    def base_layout(self, image: str) -> BaseLayout:
        return self._image(image)[1]

    def base_family(self, image: str) -> str:
        return self._image(image)[0]

    def _image(self, image: str) -> tuple[str, BaseLayout]:
        """The family and layout of a FROM image, memoised (a BaseLayout is frozen): every
        stage asks, and matching the image against the data's patterns was 2% of a corpus run."""
        found = self._memo.images.get(image)
        if found is None:
            name = image.rsplit("/", 1)[-1].lower()
            family = next((family for pattern, family in self.base_families if fnmatch.fnmatchcase(name, pattern)),
                          "unknown")
            found = _remember(self._memo.images, image, (family, layout_for(self.bases, image, family)))
        return found


def _remember(memo: dict, key: str, value: Any) -> Any:
    """memo[key] = value, forgetting everything first when memo is full (bounded memory)."""
    if len(memo) >= MAX_REMEMBERED_PATHS:
        memo.clear()
    memo[key] = value
    return value


def _manager(name: str, data: dict[str, Any]) -> PackageManager:
    subcommands = {
        str(sub): Subcommand(
            installs=bool(spec.get("installs")), uninstalls=bool(spec.get("uninstalls")),
            fills=tuple(spec.get("fills", ())), cleans=tuple(spec.get("cleans", ())),
            when_operand=spec.get("when_operand"), reads=tuple(spec.get("reads", ())),
            writes=tuple(spec.get("writes", ())), unpacks=bool(spec.get("unpacks")),
            cleans_when={str(word): tuple(keys) for word, keys in (spec.get("cleans_when") or {}).items()})
        for sub, spec in (data.get("subcommands") or {}).items()
    }
    return PackageManager(
        name=name, names=tuple(data.get("names", [name])),
        value_options=frozenset(data.get("value_options", ())),
        no_cache_options=frozenset(data.get("no_cache_options", ())),
        no_cache_env=tuple(data.get("no_cache_env", ())), subcommands=subcommands,
        cache_options={key: tuple(options) for key, options in (data.get("cache_options") or {}).items()},
        virtual_options=frozenset(data.get("virtual_options", ())))


def _command(name: str, spec: dict[str, Any]) -> CommandSpec:
    verb = spec.get("verb")
    if verb not in VERBS:
        raise ValueError(f"rules/commands/files.yaml: command {name!r} has verb {verb!r}, which no handler in "
                         f"dlayerlint/simulate/effects implements (known: {', '.join(sorted(VERBS))})")
    return CommandSpec(name, verb, spec)


def _cache(key: str, data: dict[str, Any]) -> Cache:
    return Cache(key=key, path=data["path"], what=data["what"], sizes=dict(data["size"]),
                 confidence=data["confidence"], source=" ".join(str(data["source"]).split()),
                 clean=data["clean"])


def _any_of(patterns: list[str]) -> Matcher:
    """fnmatchcase(text, pattern) for every pattern at once, as one regex."""
    return re.compile("|".join(fnmatch.translate(pattern) for pattern in patterns) or "(?!)").match


def _any_of_below(patterns: list[str]) -> Matcher:
    """fnmatchcase(path, "*/" + pattern) for every pattern at once: a search for a `/` the
    rest of the path matches one from (9x faster than `.*/` backtracking per pattern)."""
    return re.compile("/(?:" + "|".join(fnmatch.translate(pattern) for pattern in patterns) + ")"
                      if patterns else "(?!)").search


def _names(items, where: str) -> None:
    """YAML 1.1 reads yes/no/true/false as booleans: such a name must be quoted."""
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"rules/commands/{where}: {item!r} is not a string; quote it")


@cache
def knowledge() -> Knowledge:
    files = load_data("commands/files.yaml")
    packages = load_data("commands/packages.yaml")
    _names(files["commands"], "files.yaml commands")
    _names(files["no_effect"], "files.yaml no_effect")
    _names(files["wrappers"], "files.yaml wrappers")
    managers: dict[str, PackageManager] = {}
    for name, data in packages["package_managers"].items():
        manager = _manager(name, data)
        for alias in manager.names:
            managers[alias] = manager
    return Knowledge(
        commands={name: _command(name, spec) for name, spec in files["commands"].items()},
        no_effect=frozenset(files["no_effect"]),
        wrappers={name: spec or {} for name, spec in files["wrappers"].items()},
        managers=managers,
        caches={key: _cache(key, data) for key, data in packages["caches"].items()},
        secret_names=_any_of(files["secret_patterns"]),
        not_secret_names=_any_of(files["not_secret_patterns"]),
        secret_paths=_any_of_below(files["secret_paths"]),
        archive_suffixes=tuple(files["archive_suffixes"]),
        base_families=tuple((item["match"], item["family"]) for item in packages["base_families"]),
        bases=load_data("bases.yaml"),
    )
