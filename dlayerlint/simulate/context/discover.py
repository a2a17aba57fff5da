"""Which build context a project builds a Dockerfile with, when --context is not given.

A Dockerfile in `docker/` is usually built from the repository root, so taking its own
folder as the context makes every COPY source "not in the build context". The project's
own build files say what the context is; they are read from the Dockerfile's folder up to
the repository root (the first folder with `.git`, at most MAX_LEVELS folders up), nearest
folder first, and in each folder in this order:

* compose files (`compose.yaml`, `docker-compose*.yml` …): `services.*.build`, a string
  (the context) or a mapping with `context` and `dockerfile` (relative to the context);
* `docker-bake.hcl` / `docker-bake.json`: `target` blocks with `context` and `dockerfile`
  (relative to the context), `inherits` followed;
* `.devcontainer/devcontainer.json` (JSON with comments): `build.context` and
  `build.dockerfile`, both relative to the devcontainer.json's folder;
* `.github/workflows/*.yml`: `docker/build-push-action` steps (`with: context, file`; the
  file is relative to the workspace) and `docker build -f FILE CTX` lines in `run` steps;
* Makefiles: `docker build -f FILE CTX` lines, with plain `NAME = value` variables.

The first build whose Dockerfile is this file wins. Failing those, the context is the
nearest folder (the Dockerfile's own first) where every COPY/ADD source exists.

Nothing is executed and nothing is written. Files over MAX_BYTES, files reached through a
symlink that leads out of the repository, and files that do not parse are skipped; the
numbers of files, entries and tokens read are bounded.
"""
from __future__ import annotations

import fnmatch
import json
import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build import has_wildcards
from ...dockerfile.expand import expand_word, split_words
from ...dockerfile.model import Dockerfile

SOURCES = ("flag", "compose", "bake", "devcontainer", "workflow", "makefile", "sources-found", "dockerfile-folder")

MAX_LEVELS = 8            # folders searched above the Dockerfile's when no .git bounds the search
MAX_BYTES = 1 << 20       # a build file larger than this is not a build file worth reading
MAX_FILES = 32            # files of one kind read in one folder
MAX_ITEMS = 256           # services, targets, jobs, steps or lines looked at in one file
MAX_TOKENS = 200_000      # HCL tokens of one bake file
MAX_DEPTH = 32            # nested HCL blocks and brackets
MAX_GLOB_DIRS = 256       # directories listed to see whether a wildcard source matches
# a source with a name in it (not `.`, `./*`): only such sources tell one folder from another
_TELLING = re.compile(r"[^/*?\[\]]")
MAX_LINE = 8192           # characters of one shell line searched for `docker build`

COMPOSE_NAME = re.compile(r"(?:docker-)?compose(?:[.-][^/]*)?\.ya?ml\Z")
BAKE_NAME = re.compile(r"docker-bake(?:\.[^/]*)?\.(hcl|json)\Z")
MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://|^git@|^github\.com/", re.I)


@dataclass(frozen=True, slots=True)
class FoundContext:
    """The chosen build context, which kind of evidence chose it (one of SOURCES) and why."""
    directory: Path
    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class _Build:
    """One build a project file declares: absolute, normalised context and Dockerfile."""
    context: str
    dockerfile: str
    source: str
    file: str      # the project file that says so
    detail: str    # what in it says so


SourceList = Iterable[str] | Callable[[], Iterable[str]]


# ----------------------------------------------------------------------------- the search

class ContextFinder:
    """Finds build contexts for the Dockerfiles of one run; each folder is listed, and each
    project file parsed, once (a new finder sees files that changed)."""

    def __init__(self) -> None:
        self._names: dict[str, frozenset[str]] = {}
        self._chains: dict[str, tuple[str, ...]] = {}
        self._builds: dict[tuple[str, str], tuple[_Build, ...]] = {}
        self._exists: dict[tuple[str, str], bool] = {}   # (folder, COPY source): found there

    def find(self, dockerfile: Path, sources: SourceList = (), flag: Path | None = None) -> FoundContext:
        """The context for `dockerfile`. `sources` are its COPY/ADD context sources (or a
        function giving them, called only when no project file names the Dockerfile)."""
        if flag is not None:
            return FoundContext(flag, "flag", f"set by --context (or the settings' context) to {flag}")
        where = os.path.abspath(dockerfile)
        chain = self._chain(os.path.dirname(where))
        build = self._declared(where, chain)
        if build is not None:
            return FoundContext(_shown(build.context, dockerfile), build.source,
                                f"{_shown(build.file, dockerfile)} {build.detail}")
        return self._by_sources(dockerfile, chain, list(sources() if callable(sources) else sources))

    def _listing(self, folder: str) -> frozenset[str]:
        names = self._names.get(folder)
        if names is None:
            try:
                names = frozenset(os.listdir(folder))
            except OSError:
                names = frozenset()
            self._names[folder] = names
        return names

    def _chain(self, folder: str) -> tuple[str, ...]:
        """folder, then each parent up to the repository root or MAX_LEVELS up."""
        chain = self._chains.get(folder)
        if chain is None:
            found = [folder]
            while ".git" not in self._listing(found[-1]) and len(found) <= MAX_LEVELS:
                parent = os.path.dirname(found[-1])
                if parent == found[-1]:
                    break
                found.append(parent)
            chain = self._chains[folder] = tuple(found)
        return chain

    def _declared(self, dockerfile: str, chain: tuple[str, ...]) -> _Build | None:
        builds = [build for folder in chain for build in self._folder_builds(folder, chain[-1])]
        if not builds:   # most folders: no realpath calls
            return None
        wanted = {dockerfile, os.path.realpath(dockerfile)}
        for build in builds:   # nearest folder first
            if (build.dockerfile in wanted or os.path.realpath(build.dockerfile) in wanted) \
                    and os.path.isdir(build.context):
                return build
        return None

    def _folder_builds(self, folder: str, root: str) -> tuple[_Build, ...]:
        key = (folder, root)
        builds = self._builds.get(key)
        if builds is None:
            reader = _Reader(folder, self._listing(folder), os.path.realpath(root), self._listing)
            builds = self._builds[key] = tuple(reader.builds())
        return builds

    def _source_exists(self, folder: str, source: str) -> bool:
        key = (folder, source)
        known = self._exists.get(key)
        if known is None:
            known = self._exists[key] = _source_exists(folder, source, self._listing)
        return known

    def _by_sources(self, dockerfile: Path, chain: tuple[str, ...], sources: list[str]) -> FoundContext:
        """The nearest folder holding every COPY/ADD source. Only inside a repository (a
        folder with .git): a context above it, or `/` for `COPY etc/`, would be a guess
        whose listing could be the whole disk."""
        named = ", ".join(sources[:3]) + (", …" if len(sources) > 3 else "")
        if not any(_TELLING.search(posixpath.normpath("/" + source)) for source in sources):
            return FoundContext(dockerfile.parent, "dockerfile-folder",
                                "the Dockerfile's folder: no project file builds it, and no COPY/ADD source "
                                f"names a file{f' ({named} match anywhere)' if sources else ''}")
        in_repository = ".git" in self._listing(chain[-1])
        for index, folder in enumerate(chain if in_repository else chain[:1]):
            if all(self._source_exists(folder, source) for source in sources):
                where = dockerfile.parent if index == 0 else _shown(folder, dockerfile)
                said = "the Dockerfile's folder" if index == 0 else f"{where}, not the Dockerfile's folder"
                return FoundContext(where, "sources-found", f"no project file builds it; its COPY/ADD sources "
                                                             f"({named}) are all in {said}")
        where = f"no folder up to {_shown(chain[-1], dockerfile)} holds" if in_repository else \
            "outside a repository (no .git above) only its folder is tried, and it does not hold"
        return FoundContext(dockerfile.parent, "dockerfile-folder",
                            f"the Dockerfile's folder: no project file builds it, and {where} "
                            f"all of its COPY/ADD sources ({named})")


def _shown(path: str, dockerfile: Path) -> Path:
    """path as the user gave the Dockerfile: absolute, or relative to the current folder."""
    if dockerfile.is_absolute():
        return Path(path)
    try:
        return Path(os.path.relpath(path))
    except ValueError:   # another drive
        return Path(path)


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _source_exists(folder: str, source: str, listing: Callable[[str], frozenset[str]]) -> bool:
    """Whether a COPY source resolves in folder as a context (links kept inside it). The
    first part is looked up in the cached listing: most sources are in none of the folders."""
    rel = posixpath.normpath("/" + source).lstrip("/")
    if not rel:
        return True
    parts = rel.split("/")
    if any(char in rel for char in "*?[") and has_wildcards(rel):
        return _glob_matches(folder, parts, listing)
    if parts[0] not in listing(folder):
        return False
    path = os.path.join(folder, rel)
    if not os.path.lexists(path):
        return False
    real = os.path.realpath(path)
    return _inside(real, os.path.realpath(folder)) and \
        (os.path.isdir(real) if source.endswith("/") else os.path.exists(real))


def _glob_matches(folder: str, parts: list[str], listing: Callable[[str], frozenset[str]]) -> bool:
    """Whether a wildcard source matches anything (a bounded walk, component by component;
    links are not followed)."""
    level = [folder]
    listed = 0
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        found = []
        for directory in level:
            listed += 1
            if listed > MAX_GLOB_DIRS:
                return False
            names = [name for name in listing(directory) if fnmatch.fnmatchcase(name, part)]
            found += [path for path in (os.path.join(directory, name) for name in sorted(names))
                      if last or (os.path.isdir(path) and not os.path.islink(path))]
        level = found
    return bool(level)


def context_sources(dockerfile: Dockerfile) -> list[str]:
    """The COPY/ADD sources that come from the build context (not --from, URLs or heredocs),
    quotes removed; a source built from a variable with no default is left out."""
    sources = []
    for instruction in dockerfile.instructions:
        if instruction.keyword not in ("COPY", "ADD") or instruction.flag("from"):
            continue
        words = list(instruction.exec_form) if instruction.exec_form is not None \
            else split_words(instruction.arguments, dockerfile.escape)
        sources += _source_values(words[:-1], dockerfile.escape)
    return list(dict.fromkeys(sources))


_COPY_START = re.compile(r"[ \t]*(copy|add)(?:[ \t]+|\Z)", re.I)
_ANY_COPY = re.compile(r"\n[ \t]*(?:copy|add)[ \t]", re.I)
_ESCAPE_DIRECTIVE = re.compile(r"^#[ \t]*escape[ \t]*=[ \t]*`", re.I | re.M)
_HEREDOC = re.compile(r"(?<!<)<<(?!<)(-?)[ \t]*([\"']?)([A-Za-z0-9_.-]+)\2")


def _copy_lines(lines: list[str], escape: str) -> Iterator[str]:
    """The joined arguments of each COPY/ADD instruction, read as BuildKit's parser does:
    continuations joined (comment and blank lines inside one skipped), heredoc bodies skipped."""
    heredocs: list[tuple[str, bool]] = []   # delimiters whose bodies come next
    parts: list[str] | None = None            # the COPY/ADD being read
    continued = False
    for line in lines:
        if heredocs:
            delimiter, strip_tabs = heredocs[0]
            if (line.lstrip("\t") if strip_tabs else line).rstrip() == delimiter:
                heredocs.pop(0)
            continue
        stripped = line.strip()
        if continued and (not stripped or stripped.startswith("#")):
            continue
        if not continued:
            match = _COPY_START.match(line)
            parts = [line[match.end():]] if match else None
        elif parts is not None:
            parts.append(line)
        continued = line.rstrip().endswith(escape) and not stripped.startswith("#")
        if parts is not None and continued:
            parts[-1] = parts[-1].rstrip()[:-1]
        if not continued:
            heredocs = [(m.group(3), m.group(1) == "-") for m in _HEREDOC.finditer(line)] if "<<" in line else []
            if parts is not None:
                yield " ".join(parts)
            parts = None


_FLAGS = re.compile(r"[ \t]*((?:--\S*[ \t]+)*)(.*)", re.S)


def _copy_words(arguments: str, escape: str) -> tuple[list[str], bool]:
    """An instruction's words after its --flags (the JSON form's items too) and whether one is --from."""
    match = _FLAGS.match(arguments)
    flags, rest = (match.group(1), match.group(2)) if match else ("", arguments)
    from_stage = any(flag.lower().split("=", 1)[0] == "--from" for flag in flags.split())
    if rest.startswith("["):
        try:
            array = json.loads(rest)
        except ValueError:
            array = None
        if isinstance(array, list) and all(isinstance(item, str) for item in array):
            return array, from_stage
    return split_words(rest, escape), from_stage


def text_sources(text: str) -> list[str]:
    """context_sources of a Dockerfile's text, without parsing the whole file: `lint` parses
    it anyway, and a second full parse cost a fifth of a corpus run. Only COPY/ADD lines
    are read (a line continuing another instruction, or in a heredoc, is none)."""
    text = "\n" + text
    escape = "`" if text.startswith("\n#") and _ESCAPE_DIRECTIVE.search(text, 0, 4096) else "\\"
    # most files have no heredoc: then only the lines around each COPY/ADD need reading
    found = _copy_lines(text.splitlines(), escape) if "<<" in text else _around_copies(text, escape)
    sources = []
    for arguments in found:
        words, from_stage = _copy_words(arguments, escape)
        if not from_stage:
            sources += _source_values(words[:-1], escape)
    return list(dict.fromkeys(sources))


def _around_copies(text: str, escape: str) -> Iterator[str]:
    """_copy_lines for a text without heredocs, from each line that starts with COPY or ADD."""
    for match in _ANY_COPY.finditer(text):
        if _continues_another(text, match.start(), escape):
            continue
        yield from _copy_lines(_instruction_lines(text, match.start() + 1, escape), escape)


def _instruction_lines(text: str, start: int, escape: str) -> list[str]:
    """The lines from `start` up to the first that does not end with the escape
    (blank and comment lines inside continue it)."""
    lines = []
    while len(lines) < MAX_ITEMS * 4:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        lines.append(line)
        stripped = line.strip()
        if end < 0 or (stripped and not stripped.startswith("#") and not line.rstrip().endswith(escape)):
            break
        start = end + 1
    return lines


def _continues_another(text: str, position: int, escape: str) -> bool:
    """Whether the line after `position` (a newline) continues the instruction above it."""
    for _ in range(MAX_ITEMS):
        if position <= 0:
            return False
        start = text.rfind("\n", 0, position) + 1
        line = text[start:position].strip()
        if line and not line.startswith("#"):
            return line.endswith(escape)
        position = start - 1
    return False


def _source_values(words: list[str], escape: str) -> list[str]:
    values = [expand_word(word, {}, escape) if not word.startswith("<<") else None for word in words]
    return [value for value in values if value and not REMOTE.match(value)]


# ----------------------------------------------------------------------------- reading files

def _read(path: str, root: str) -> str | None:
    """A project file's text, or None: outside the repository once links are followed,
    not a regular file, over MAX_BYTES, unreadable or not UTF-8."""
    real = os.path.realpath(path)
    if not _inside(real, root):
        return None
    try:
        # O_NONBLOCK: a FIFO put where a build file should be must not hang the linter
        descriptor = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            return None
        data = os.read(descriptor, MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    try:
        return data.decode("utf-8-sig") if len(data) <= MAX_BYTES else None
    except UnicodeDecodeError:
        return None


def _yaml(text: str) -> Any:
    """Parsed with the safe loader (imported only now: most runs read no YAML); None if malformed."""
    from ...core import yamlload  # pylint: disable=import-outside-toplevel
    try:
        return yamlload.parse(text)
    except (yamlload.YAMLError, RecursionError, ValueError):
        return None


_JSONC_COMMENT = re.compile(r'("(?:[^"\\]|\\[\s\S])*\\?(?:"|\Z))|//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/|\Z)')
_JSONC_TRAILING_COMMA = re.compile(r'("(?:[^"\\]|\\[\s\S])*\\?(?:"|\Z))|,(?=\s*[}\]])')


def _jsonc(text: str) -> Any:
    """JSON with // and /* */ comments and trailing commas (devcontainer.json); None if malformed."""
    plain = _JSONC_COMMENT.sub(lambda m: m.group(1) or " ", text)
    plain = _JSONC_TRAILING_COMMA.sub(lambda m: m.group(1) or "", plain)
    try:
        return json.loads(plain)
    except (ValueError, RecursionError):
        return None


def _items(value: Any) -> list[tuple[str, Any]]:
    """A mapping's first MAX_ITEMS (name, value) pairs; [] for anything else."""
    return [(str(k), v) for k, v in list(value.items())[:MAX_ITEMS]] if isinstance(value, dict) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _joined(base: str, path: str) -> str:
    return os.path.normpath(os.path.join(base, path))


class _Reader:
    """The builds the project files of one folder declare."""

    def __init__(self, folder: str, names: frozenset[str], root: str,
                 listing: Callable[[str], frozenset[str]]) -> None:
        self.folder = folder
        self.names = names
        self.root = root          # the repository root, links resolved
        self.listing = listing

    def builds(self) -> Iterator[_Build]:
        for path in self._named(self.folder, self.names, COMPOSE_NAME.match):
            yield from self._parsed(path, _compose)
        for path in self._named(self.folder, self.names, BAKE_NAME.match):
            yield from self._parsed(path, _bake_json if path.endswith(".json") else _bake_hcl)
        for path in self._devcontainers():
            yield from self._parsed(path, _devcontainer)
        for path in self._workflows():
            yield from self._parsed(path, _workflow)
        for name in MAKEFILES:
            if name in self.names:
                yield from self._parsed(os.path.join(self.folder, name), _makefile)

    def _parsed(self, path: str, parse: Callable[[str, str], Iterable[_Build]]) -> Iterator[_Build]:
        text = _read(path, self.root)
        if text is not None:
            yield from parse(path, text)

    @staticmethod
    def _named(folder: str, names: Iterable[str], wanted: Callable[[str], object]) -> list[str]:
        return [os.path.join(folder, name) for name in sorted(names) if wanted(name)][:MAX_FILES]

    def _devcontainers(self) -> list[str]:
        paths = []
        if ".devcontainer" in self.names:
            inner = os.path.join(self.folder, ".devcontainer")
            names = self.listing(inner)
            if "devcontainer.json" in names:
                paths.append(os.path.join(inner, "devcontainer.json"))
            # .devcontainer/NAME/devcontainer.json: one of several configurations
            paths += [os.path.join(inner, name, "devcontainer.json") for name in sorted(names)[:MAX_ITEMS]
                      if "devcontainer.json" in self.listing(os.path.join(inner, name))][:MAX_FILES]
        if ".devcontainer.json" in self.names:
            paths.append(os.path.join(self.folder, ".devcontainer.json"))
        return paths

    def _workflows(self) -> list[str]:
        if ".github" not in self.names:
            return []
        folder = os.path.join(self.folder, ".github", "workflows")
        return self._named(folder, self.listing(folder), _is_yaml)


# ----------------------------------------------------------------------------- compose

_COMPOSE_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}$]*))?\}")


def _interpolated(value: Any) -> str | None:
    """A compose value with ${VAR:-default} taken as its default; None when it needs a variable."""
    text = _text(value)
    if text is None:
        return None
    text = _COMPOSE_VARIABLE.sub(lambda m: m.group(1) if m.group(1) is not None else "$", text.replace("$$", "\0"))
    return None if "$" in text else text.replace("\0", "$")


def _compose(path: str, text: str) -> Iterator[_Build]:
    data = _yaml(text)
    base = os.path.dirname(path)
    for name, service in _items(data.get("services") if isinstance(data, dict) else None):
        build = service.get("build") if isinstance(service, dict) else None
        if isinstance(build, dict):
            if "dockerfile_inline" in build:   # its Dockerfile is in the compose file
                continue
            context = _interpolated(build.get("context", "."))
            dockerfile = _interpolated(build.get("dockerfile", "Dockerfile"))
        else:
            context, dockerfile = _interpolated(build), "Dockerfile"
        if context is None or dockerfile is None or REMOTE.match(context):
            continue
        folder = _joined(base, context)
        yield _Build(folder, _joined(folder, dockerfile), "compose", path,
                     f"service {name}: build.context {context}, build.dockerfile {dockerfile}")


# ----------------------------------------------------------------------------- bake

def _bake_build(path: str, name: str, target: dict[str, Any]) -> _Build | None:
    """A target's build, paths as bake resolves them: the context from the bake file's
    folder, the Dockerfile from the context (or from the folder with `cwd://`)."""
    context, dockerfile = target.get("context", "."), target.get("dockerfile", "Dockerfile")
    if not isinstance(context, str) or not isinstance(dockerfile, str) or "${" in context + dockerfile \
            or REMOTE.match(context.removeprefix("cwd://")):
        return None
    base = os.path.dirname(path)
    folder = _joined(base, context.removeprefix("cwd://"))
    file = _joined(base, dockerfile[6:]) if dockerfile.startswith("cwd://") else _joined(folder, dockerfile)
    return _Build(folder, file, "bake", path, f"target {name}: context {context}, dockerfile {dockerfile}")


def _inherited(name: str, targets: dict[str, dict[str, Any]], done: dict[str, dict[str, Any]],
               visiting: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A target's attributes over those of the targets it inherits (later parents win);
    each target is merged once (`done`), and a cycle is cut where it closes."""
    if name in done:
        return done[name]
    own = targets.get(name, {})
    merged: dict[str, Any] = {}
    parents = own.get("inherits")
    if len(visiting) < MAX_DEPTH and isinstance(parents, list):
        for parent in parents[:MAX_ITEMS]:
            if isinstance(parent, str) and parent not in visiting and parent != name:
                merged.update(_inherited(parent, targets, done, visiting | {name}))
    merged.update(own)
    done[name] = merged
    return merged


def _bake_targets(path: str, targets: dict[str, dict[str, Any]]) -> Iterator[_Build]:
    done: dict[str, dict[str, Any]] = {}
    for name in list(targets)[:MAX_ITEMS]:
        build = _bake_build(path, name, _inherited(name, targets, done))
        if build is not None:
            yield build


def _bake_json(path: str, text: str) -> Iterator[_Build]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return
    targets = {name: value for name, value in _items(data.get("target") if isinstance(data, dict) else None)
               if isinstance(value, dict)}
    yield from _bake_targets(path, targets)


def _bake_hcl(path: str, text: str) -> Iterator[_Build]:
    try:
        targets = _HclTargets(text).read()
    except _Malformed:
        return
    yield from _bake_targets(path, targets)


class _Malformed(Exception):
    """A bake file this small parser does not understand: skipped."""


# HCL's lexical subset bake files use; anything else is _Malformed
_HCL_TOKEN = re.compile(r"""
    (?P<skip>[ \t\r]+|\\\n|\#[^\n]*|//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/|\Z))
  | (?P<newline>\n)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<heredoc><<-?[A-Za-z_][A-Za-z0-9_]*[ \t]*\n)
  | (?P<word>[A-Za-z0-9_][A-Za-z0-9_.:-]*)
  | (?P<punct>[{}\[\]()=,:?!<>+*/%&|.-])
""", re.X)
HCL_EXPRESSION = "${…}"   # a value only evaluating the file would give (bake paths with it are skipped)
_HCL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _hcl_tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _HCL_TOKEN.match(text, position)
        if match is None or len(tokens) > MAX_TOKENS:
            raise _Malformed
        kind, value = match.lastgroup or "", match.group()
        position = match.end()
        if kind == "heredoc":   # the body up to the closing tag is one (unusable) value
            tag = value.strip().lstrip("<-")
            end = re.compile(rf"^[ \t]*{tag}[ \t]*$", re.M).search(text, position)
            if end is None:
                raise _Malformed
            position = end.end()
            tokens.append(("expression", ""))
        elif kind != "skip":
            tokens.append((kind, value))
    return tokens


class _HclTargets:
    """The `target "name" { … }` blocks of a bake file: their string and list-of-string
    attributes (anything else is None); other blocks and attributes are skipped."""

    def __init__(self, text: str) -> None:
        self.tokens = _hcl_tokens(text)
        self.position = 0

    def read(self) -> dict[str, dict[str, Any]]:
        targets: dict[str, dict[str, Any]] = {}
        while self._peek()[0]:
            kind, word = self._take()
            if kind == "newline":
                continue
            if kind != "word":
                raise _Malformed
            if self._peek()[1] == "=":
                self._take()
                self._value()
                continue
            labels = self._labels()
            attributes = self._body(1)
            if word == "target" and len(labels) == 1:
                targets[labels[0]] = {**targets.get(labels[0], {}), **attributes}
        return targets

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("", "")

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        self.position += 1
        return token

    def _labels(self) -> list[str]:
        labels = []
        while self._peek()[0] in ("string", "word"):
            kind, label = self._take()
            labels.append(_hcl_string(label) if kind == "string" else label)
        if self._take()[1] != "{":
            raise _Malformed
        return labels

    def _body(self, depth: int) -> dict[str, Any]:
        """Attributes up to the closing brace; nested blocks are read and dropped."""
        if depth > MAX_DEPTH:
            raise _Malformed
        attributes: dict[str, Any] = {}
        while True:
            kind, word = self._take()
            if kind == "punct" and word == "}":
                return attributes
            if kind == "newline":
                continue
            if kind != "word":
                raise _Malformed
            if self._peek()[1] == "=":
                self._take()
                attributes[word] = self._value()
            else:
                self._labels()
                self._body(depth + 1)

    def _value(self) -> Any:
        """A literal string or list of strings; anything else is skipped and HCL_EXPRESSION."""
        start = self.position
        kind, text = self._take()
        if kind == "string" and self._ends():
            return _hcl_string(text)
        if text == "[":
            items = self._string_list()
            if items is not None and self._ends():
                return items
        self.position = start
        self._skip_expression()
        return HCL_EXPRESSION

    def _string_list(self) -> list[str] | None:
        items: list[str] = []
        while True:
            kind, text = self._take()
            if text == "]":
                return items
            if kind == "string":
                items.append(_hcl_string(text))
            elif kind not in ("newline",) and text != ",":
                return None

    def _ends(self) -> bool:
        kind, text = self._peek()
        return kind in ("newline", "") or text == "}"

    def _skip_expression(self) -> None:
        """To the end of the attribute: a newline or `}` outside brackets."""
        depth = 0
        while True:
            kind, text = self._peek()
            if not kind or (depth == 0 and (kind == "newline" or text == "}")):
                return
            if text in ("(", "[", "{"):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Malformed
            elif text in (")", "]", "}"):
                depth -= 1
            self._take()


def _hcl_string(token: str) -> str:
    """A quoted HCL string's value; HCL_EXPRESSION when it interpolates (`${…}`, `%{…}`)."""
    body = token[1:-1]
    if "${" in body.replace("$${", "") or "%{" in body.replace("%%{", ""):
        return HCL_EXPRESSION
    return re.sub(r"\\(.)", lambda m: _HCL_ESCAPES.get(m.group(1), m.group(1)), body).replace("$${", "${")


# ----------------------------------------------------------------------------- devcontainer

def _devcontainer(path: str, text: str) -> Iterator[_Build]:
    data = _jsonc(text)
    if not isinstance(data, dict):
        return
    build = data.get("build") if isinstance(data.get("build"), dict) else data   # older files: top level
    dockerfile = _text(build.get("dockerfile")) or _text(build.get("dockerFile"))
    context = build.get("context", ".")
    if dockerfile is None or not isinstance(context, str) or "${" in context + dockerfile:
        return
    base = os.path.dirname(path)
    yield _Build(_joined(base, context), _joined(base, dockerfile), "devcontainer", path,
                 f"build.context {context}, build.dockerfile {dockerfile}")


# ----------------------------------------------------------------------------- docker build lines

_BUILD_VERBS = (("build",), ("buildx", "build"), ("buildx", "b"), ("image", "build"))
_BOOLEAN_OPTIONS = frozenset({
    "--push", "--load", "--no-cache", "--pull", "-q", "--quiet", "--rm", "--force-rm", "--squash",
    "--compress", "--disable-content-trust", "--check", "--debug", "-D", "--help",
})
_SEPARATOR = re.compile(r"[;&|()<>]+")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def _commands(line: str) -> Iterator[list[str]]:
    """The simple commands of one shell line, as words (no expansion)."""
    import shlex  # pylint: disable=import-outside-toplevel  # only for build lines: not at every start
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    command: list[str] = []
    try:
        for word in lexer:
            if _SEPARATOR.fullmatch(word):
                yield command
                command = []
            else:
                command.append(word)
    except ValueError:   # an unclosed quote
        return
    yield command


def _build_arguments(words: list[str]) -> list[str] | None:
    """The arguments of `docker build` (buildx, image, podman) in a command, else None."""
    while words and (_ASSIGNMENT.match(words[0]) or words[0] in ("sudo", "exec", "command")):
        words = words[1:]
    if not words or posixpath.basename(words[0].lstrip("@-+")) not in ("docker", "podman"):
        return None
    for verb in _BUILD_VERBS:
        if tuple(words[1:1 + len(verb)]) == verb:
            return words[1 + len(verb):]
    return None


def _file_and_context(arguments: list[str]) -> tuple[str | None, str | None]:
    """-f/--file and the positional context of docker build's arguments."""
    file = context = None
    index = 0
    while index < len(arguments):
        word = arguments[index]
        index += 1
        if word in ("-f", "--file"):
            file = arguments[index] if index < len(arguments) else None
            index += 1
        elif word.startswith("--file="):
            file = word[7:]
        elif word.startswith("-f") and not word.startswith("--"):
            file = word[2:].removeprefix("=")
        elif word.startswith("-"):
            if "=" not in word and word not in _BOOLEAN_OPTIONS and (word.startswith("--") or len(word) == 2):
                index += 1   # the option's value
        elif context is None:
            context = word
    return file, context


def _docker_builds(script: str, cwd: str) -> Iterator[tuple[str, str, str]]:
    """(context, Dockerfile, command) of each literal `docker build` in a shell script run in cwd;
    `cd DIR` earlier on a line moves it."""
    joined = re.sub(r"\\\r?\n", " ", script)
    for line in joined.splitlines()[:MAX_ITEMS * 4]:
        if "build" not in line or len(line) > MAX_LINE:   # shlex is pure Python: bound its input
            continue
        folder = cwd
        for words in _commands(line):
            if len(words) == 2 and words[0] == "cd" and "$" not in words[1]:
                folder = _joined(folder, words[1])
                continue
            arguments = _build_arguments(words)
            if arguments is None:
                continue
            file, context = _file_and_context(arguments)
            if context is None or context == "-" or file == "-" or REMOTE.match(context) \
                    or "$" in context + (file or ""):
                continue
            folder_context = _joined(folder, context)
            dockerfile = _joined(folder, file) if file else os.path.join(folder_context, "Dockerfile")
            yield folder_context, dockerfile, " ".join(words)[:200]


# ----------------------------------------------------------------------------- workflows

_WORKSPACE = re.compile(r"\$\{\{\s*github\.workspace\s*\}\}|\$\{GITHUB_WORKSPACE\}|\$GITHUB_WORKSPACE\b")


def _in_workspace(value: Any, workspace: str) -> str | None:
    """A workflow path with the workspace expression replaced; None when it needs another expression."""
    text = _text(value)
    if text is None:
        return None
    text = _WORKSPACE.sub(workspace.replace("\\", "\\\\"), text)
    return None if "${{" in text else text


def _build_push_action(step: dict[str, Any], workspace: str) -> tuple[str, str] | None:
    """docker/build-push-action's context (default: the repository) and file (from the workspace)."""
    given = step.get("with") if isinstance(step.get("with"), dict) else {}
    context = _in_workspace(given.get("context", "{{defaultContext}}"), workspace)
    if context is None:
        return None
    if context.startswith("{{defaultContext}}"):   # the Git context: the repository at the ref
        context = "." + context.removeprefix("{{defaultContext}}").replace(":", "/", 1)
    if "{{" in context or REMOTE.match(context):
        return None
    folder = _joined(workspace, context)
    file = _in_workspace(given.get("file"), workspace) if "file" in given else os.path.join(folder, "Dockerfile")
    return (folder, _joined(workspace, file)) if file is not None else None


def _uses_build_push_action(step: dict[str, Any]) -> bool:
    uses = step.get("uses")
    return isinstance(uses, str) and uses.split("@", 1)[0].strip().lower() == "docker/build-push-action"


def _working_directory(*holders: Any) -> str:
    """The first `working-directory` of a step, its job's or the workflow's `defaults.run`."""
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        defaults = holder.get("defaults")
        run = defaults.get("run") if isinstance(defaults, dict) else None
        for value in (holder.get("working-directory"), run.get("working-directory") if isinstance(run, dict) else None):
            if _text(value) and "${{" not in value:
                return value
    return "."


def _workflow(path: str, text: str) -> Iterator[_Build]:
    data = _yaml(text)
    if not isinstance(data, dict):
        return
    workspace = os.path.dirname(os.path.dirname(os.path.dirname(path)))   # the folder holding .github
    for job_name, job in _items(data.get("jobs")):
        steps = job.get("steps") if isinstance(job, dict) else None
        for number, step in enumerate(steps[:MAX_ITEMS] if isinstance(steps, list) else [], 1):
            if isinstance(step, dict):
                yield from _step_builds(path, f"job {job_name} step {number}", step, workspace,
                                        _working_directory(step, job, data))


def _step_builds(path: str, where: str, step: dict[str, Any], workspace: str, cwd: str) -> Iterator[_Build]:
    if _uses_build_push_action(step):
        found = _build_push_action(step, workspace)
        if found is not None:
            given = step.get("with") if isinstance(step.get("with"), dict) else {}
            yield _Build(found[0], found[1], "workflow", path,
                         f"{where} (docker/build-push-action): context {given.get('context', '(the repository)')}, "
                         f"file {given.get('file', '(the context Dockerfile)')}")
    script = _text(step.get("run"))
    if script is not None:   # other expressions stay: a build line using one is skipped for its `$`
        script = _WORKSPACE.sub(workspace.replace("\\", "\\\\"), script)
        for context, dockerfile, command in _docker_builds(script, _joined(workspace, cwd)):
            yield _Build(context, dockerfile, "workflow", path, f"{where} runs `{command}`")


# ----------------------------------------------------------------------------- Makefiles

_MAKE_ASSIGNMENT = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?::{1,3}=|\?=|=)\s*(.*)$")
_MAKE_REFERENCE = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]")


def _make_variables(lines: list[str], folder: str) -> dict[str, str]:
    """Plain `NAME = value` assignments (first one wins, as `?=` and command-line defaults go)."""
    variables = {"CURDIR": folder}
    for line in lines:
        match = _MAKE_ASSIGNMENT.match(line)
        if match and not line.startswith("\t"):
            variables.setdefault(match.group(1), match.group(2).split("#", 1)[0].strip())
    return variables


def _make_expanded(text: str, variables: dict[str, str]) -> str:
    """$(NAME) and ${NAME} replaced (a few levels deep), then $$ as the shell sees it."""
    for _ in range(4):
        expanded = _MAKE_REFERENCE.sub(lambda m: variables.get(m.group(1), m.group()), text)
        if expanded == text or len(expanded) > MAX_LINE:   # `A = $(A)$(A)` must not grow without end
            break
        text = expanded
    return text.replace("$$", "$")


def _makefile(path: str, text: str) -> Iterator[_Build]:
    folder = os.path.dirname(path)
    lines = re.sub(r"\\\r?\n", " ", text).splitlines()
    variables = _make_variables(lines, folder)
    for line in lines:
        if "build" not in line or not line.startswith("\t"):
            continue
        recipe = _make_expanded(line.strip().lstrip("@-+ "), variables)
        for context, dockerfile, command in _docker_builds(recipe, folder):
            yield _Build(context, dockerfile, "makefile", path, f"runs `{command}`")


# ----------------------------------------------------------------------------- one-off use

def discover(dockerfile: Path, sources: SourceList = (), flag: Path | None = None) -> FoundContext:
    """ContextFinder().find(…), for a single Dockerfile."""
    return ContextFinder().find(dockerfile, sources, flag)


def _is_yaml(name: str) -> bool:
    """A workflow file's name (a suffix test: a regex here backtracks on long names)."""
    return name.endswith((".yml", ".yaml"))
