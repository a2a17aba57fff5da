"""The build context: what COPY/ADD sources reach, and how many bytes.

Everything mirrors BuildKit so the sizes are the ones a build would see:

* `.dockerignore` lines are read like moby/patternmatcher's ignorefile and
  matched like its PatternMatcher, path by path with the parent directory's
  results (MatchesUsingParentResults, which the fsutil walker that sends the
  context uses), including fsutil's rule for skipping excluded directories.
* Sources resolve like fsutil's copy: the path is cleaned against "/", a
  wildcard part is matched with Go's filepath.Match one component at a
  time, symlinks are followed inside the context root, never out of it.
* `COPY --exclude` patterns match paths relative to each matched source.
* ADD detects archives by content, as BuildKit's isArchivePath does.

Nothing from a Dockerfile is executed; files are only listed, never read,
except the first bytes of a would-be archive.
"""
from __future__ import annotations

import os
import re
import stat
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from .dockerignore import (_MAX_LINKS, MatchInfo, PatternError, _simple_token, _component_regex, _go_clean,
                           PatternMatcher, read_dockerignore)
from .entries import ContextFile, SourceMatch
from .archives import _read_archive



# _DENIED: a file we may not read or a folder we may not list. The build's
# sender would fail on it ("permission denied"), so a source that takes it in
# resolves to nothing and the COPY is noted as one the build fails on.
_DIR, _FILE, _LINK, _OTHER, _DENIED = range(5)


class _Unreadable(Exception):
    """A directory source holds an entry we may not read."""


@dataclass(slots=True)
class _Walk:
    """A folder being walked: where its entry goes in the list, what is left of it."""
    node: _Node
    rel: str                    # relative to the copied source
    info: MatchInfo | None      # --exclude results, for the entries below
    excluded: bool
    at: int
    children: Iterator[tuple[str, _Node]]


@dataclass(frozen=True, slots=True)
class _Node:
    rel: str                    # from the context root
    kind: int
    size: int
    ignored: bool               # an excluded dir, there only if something below is
    info: MatchInfo | None      # .dockerignore results, for the entries below


_ROOT = _Node("", _DIR, 0, False, None)


def _permitted(status: os.stat_result, is_dir: bool) -> bool:
    """Whether we may read a file (list a folder), from the mode bits alone:
    no extra system call per file. Root may read anything."""
    user = os.geteuid()
    if user == 0:
        return True
    need = 0o5 if is_dir else 0o4       # r-x for a folder, r for a file
    if status.st_uid == user:
        shift = 6
    elif status.st_gid == os.getegid() or status.st_gid in os.getgroups():
        shift = 3
    else:
        shift = 0
    return (status.st_mode >> shift) & need == need


def _describe(entry: os.DirEntry[str]) -> tuple[str, int, int]:
    """(name, kind, size) from the directory entry and, for files and folders,
    an lstat: nothing is opened, so a FIFO or a device never blocks."""
    try:
        if entry.is_symlink():
            return entry.name, _LINK, 0
        is_dir = entry.is_dir(follow_symlinks=False)
        if is_dir or entry.is_file(follow_symlinks=False):
            status = entry.stat(follow_symlinks=False)
            if not _permitted(status, is_dir):
                return entry.name, _DENIED, 0
            return entry.name, _DIR if is_dir else _FILE, 0 if is_dir else status.st_size
    except OSError:
        pass
    return entry.name, _OTHER, 0


def _scan_dir(path: str) -> list[tuple[str, int, int]]:
    """(name, kind, size) of a directory's entries, sorted like Go's walks."""
    try:
        with os.scandir(path) as entries:
            return sorted(_describe(entry) for entry in entries)
    except OSError:
        return []


def _has_wildcard(part: str) -> bool:
    """fsutil's containsWildcards: *, ? or [ not escaped by a backslash."""
    pos = 0
    while pos < len(part):
        if part[pos] == "\\":
            pos += 1
        elif part[pos] in "*?[":
            return True
        pos += 1
    return False


def has_wildcards(source: str) -> bool:
    """Whether a COPY/ADD source is a wildcard (BuildKit allows it to match nothing)."""
    return any(_has_wildcard(part) for part in source.split("/"))


def _glob_regex(component: str) -> re.Pattern[str] | None:
    """filepath.Match for one component; None for a malformed one (no match)."""
    tokens = []
    pos = 0
    try:
        while pos < len(component):
            token, pos, _ = _simple_token(component, pos)
            tokens.append(token)
    except PatternError:
        return None
    return _component_regex(tokens)


def _clean_source(source: str) -> tuple[str, bool]:
    """Context-relative path ("" is the root) and whether it must be a dir.

    BuildKit joins the source to "/", so "..", "./" and a leading "/" all
    stay inside the context; it keeps a trailing "/" which then fails on a
    file.
    """
    return _go_clean("/" + source).lstrip("/"), source.endswith(("/", "/."))


def _split(rel: str) -> list[str]:
    return rel.split("/") if rel else []


class BuildContext:
    """A local build context filtered like the one BuildKit receives.

    Directory listings, .dockerignore results and "is anything below kept"
    answers are cached, so many COPY lines over one context walk it once.
    """

    __slots__ = ("root", "ignore", "_root", "_listing", "_present", "_matches")

    def __init__(self, root: Path, ignore_patterns: Iterable[str] | None = None,
                 dockerfile: Path | None = None) -> None:
        """ignore_patterns None reads the ignore file (see read_dockerignore)."""
        self.root = Path(root)
        if ignore_patterns is None:
            ignore_patterns = read_dockerignore(self.root, dockerfile)
        self.ignore = PatternMatcher(ignore_patterns)
        self._root = os.fspath(self.root)
        self._listing: dict[str, dict[str, _Node]] = {}
        self._present: dict[str, bool] = {}
        self._matches: dict[tuple[str, tuple[str, ...]], tuple[SourceMatch, ...]] = {}

    def match(self, source: str, excludes: Sequence[str] = ()) -> list[SourceMatch]:
        """What one COPY/ADD source (variables already expanded) resolves to.

        [] when nothing matches. `excludes` are the --exclude patterns; as in
        BuildKit they apply below each matched directory, relative to it, and
        never to a source that is itself a file (moby/buildkit#5489).
        """
        key = (source, tuple(excludes))
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = tuple(self._resolve(source, excludes))
        return list(found)

    def _resolve(self, source: str, excludes: Sequence[str]) -> Iterator[SourceMatch]:
        rel, want_dir = _clean_source(source)
        copy_excludes = PatternMatcher(excludes, ignore_file=False) if excludes else None
        wildcard = has_wildcards(rel)
        paths = self._glob(rel) if wildcard else [rel]
        found = (self._match_path(path, copy_excludes, want_dir and not wildcard)
                 for path in paths)
        return (match for match in found if match is not None)

    def excludes(self, source: str) -> bool:
        """Whether a source that matched nothing is on disk but left out by .dockerignore:
        then the build would fail, rather than the context being one we cannot see."""
        rel, _ = _clean_source(source)
        return bool(rel) and self._on_disk(rel)

    def _on_disk(self, rel: str) -> bool:
        """Whether rel exists, without following a link on the way: a link to "/"
        must not make the context answer questions about the host's files."""
        path = self._root
        for part in _split(rel):
            path = os.path.join(path, part)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                return False
            if stat.S_ISLNK(mode) and path != os.path.join(self._root, rel):
                return False
        return True

    def archive_entries(self, source: str) -> list[ContextFile] | None:
        """Members ADD would extract from source, or None if it is no archive.

        Pass one concrete path (e.g. a SourceMatch.source). Links among the
        members count 0 bytes; parents the archive only implies are listed.
        """
        rel, _ = _clean_source(source)
        node = self._lookup(_split(rel), follow_last=True)
        if node is None or node.kind != _FILE:
            return None
        return _read_archive(os.path.join(self._root, node.rel))

    # -- the filtered tree --

    def _children(self, node: _Node) -> dict[str, _Node]:
        """Entries of a directory that may exist in the sent context."""
        listing = self._listing.get(node.rel)
        if listing is None:
            listing = {}
            for name, kind, size in _scan_dir(os.path.join(self._root, node.rel)):
                child = self._child_node(node, name, kind, size)
                if child is not None:
                    listing[name] = child
            self._listing[node.rel] = listing
        return listing

    def _child_node(self, parent: _Node, name: str, kind: int, size: int) -> _Node | None:
        rel = f"{parent.rel}/{name}" if parent.rel else name
        excluded, info = self.ignore.matches_using_parent(rel, parent.info)
        if excluded and (kind != _DIR or not self.ignore.may_match_below(rel)):
            return None
        return _Node(rel, kind, size, excluded, info)

    def _is_present(self, node: _Node) -> bool:
        """An excluded directory is sent only to hold entries kept below it.

        Depth first on an explicit stack: a context can nest folders deeper
        than Python's recursion limit."""
        if not node.ignored:
            return True
        stack = [(node, iter(self._children(node).values()))]
        while stack and self._present.get(node.rel) is None:
            current, children = stack[-1]
            child = next(children, None)
            if child is None:
                self._present[current.rel] = False
                stack.pop()
            elif not child.ignored or self._present.get(child.rel):
                for folder, _ in stack:   # kept below: each folder on the way is sent
                    self._present[folder.rel] = True
            elif child.rel not in self._present:   # ignored children are folders (see _child_node)
                stack.append((child, iter(self._children(child).values())))
        return self._present[node.rel]

    def _readlink(self, node: _Node) -> str | None:
        try:
            return os.readlink(os.path.join(self._root, node.rel))
        except OSError:
            return None

    def _lookup(self, parts: list[str], follow_last: bool) -> _Node | None:
        """Resolve parts like continuity's RootPath: links followed, clamped
        to the root ("/" in a target is the context root)."""
        pending = deque(parts)
        trail = [_ROOT]
        hops = 0
        while pending:
            name = pending.popleft()
            if name in ("", ".", ".."):
                if name == ".." and len(trail) > 1:
                    trail.pop()
                continue
            node = self._children(trail[-1]).get(name) if trail[-1].kind == _DIR else None
            if node is None:
                return None
            if node.kind == _LINK and (pending or follow_last):
                target = self._readlink(node)
                hops += 1
                if target is None or hops > _MAX_LINKS:
                    return None
                if target.startswith("/"):
                    del trail[1:]
                pending.extendleft(reversed(target.split("/")))
                continue
            trail.append(node)
        return trail[-1] if self._is_present(trail[-1]) else None

    # -- sources --

    def _glob(self, rel: str) -> list[str]:
        """fsutil's ResolveWildcards: a fixed prefix, then Match per component."""
        parts = _split(rel)
        split = next(index for index, part in enumerate(parts) if _has_wildcard(part))
        base = self._lookup(parts[:split], follow_last=True)
        matchers = [_glob_regex(part) for part in parts[split:]]
        if base is None or base.kind != _DIR or any(m is None for m in matchers):
            return []
        level = [base]
        for depth, matcher in enumerate(matchers):
            last = depth == len(matchers) - 1
            level = [child for node in level for name, child in self._children(node).items()
                     if matcher is not None and matcher.fullmatch(name)
                     and (self._is_present(child) if last else child.kind == _DIR)]
        return [node.rel for node in level]

    def _match_path(self, rel: str, excludes: PatternMatcher | None,
                    want_dir: bool) -> SourceMatch | None:
        node = self._lookup(_split(rel), follow_last=True)
        if node is None or node.kind == _DENIED or (want_dir and node.kind != _DIR):
            return None
        if node.kind == _DIR:
            try:
                return SourceMatch(rel or ".", True, tuple(self._walk(node, excludes)))
            except _Unreadable:
                return None
        size = node.size if node.kind == _FILE else 0
        return SourceMatch(rel, False, (ContextFile("", size, False),))

    def _walk(self, node: _Node, excludes: PatternMatcher | None) -> list[ContextFile]:
        """Entries below node that a copy keeps, relative to the source, in
        pre-order; on an explicit stack, as deep as the context nests."""
        found: list[ContextFile | None] = []
        stack = [_Walk(node, "", None, False, 0, iter(self._children(node).items()))]
        while stack:
            frame = stack[-1]
            entry = next(frame.children, None)
            if entry is None:
                stack.pop()
                self._close(frame, found)
                continue
            name, child = entry
            rel = f"{frame.rel}/{name}" if frame.rel else name
            excluded, info = excludes.matches_using_parent(rel, frame.info) if excludes else (False, None)
            if child.kind == _DIR:
                if not (excluded and excludes is not None and not excludes.may_match_below(rel)):
                    found.append(None)   # the folder's place, filled in when it closes
                    stack.append(_Walk(child, rel, info, excluded, len(found) - 1,
                                       iter(self._children(child).items())))
            elif child.kind == _DENIED and not excluded:
                raise _Unreadable(child.rel)
            elif not excluded:
                found.append(ContextFile(rel, child.size if child.kind == _FILE else 0, False))
        return [entry for entry in found if entry is not None]

    def _close(self, frame: _Walk, found: list[ContextFile | None]) -> None:
        """A folder is listed when it holds kept entries, or it is itself kept
        and sent (the copier creates an excluded dir only to hold entries)."""
        if frame.rel == "":
            return
        if len(found) > frame.at + 1 or (not frame.excluded and self._is_present(frame.node)):
            found[frame.at] = ContextFile(frame.rel, 0, True)
        else:
            found.pop()   # nothing was added after its place


class ContextCache:
    """The build contexts of one run over files that do not change meanwhile.

    Dockerfiles of one folder with the same ignore patterns share a context,
    so the folder is listed, and each COPY source resolved, once per run.
    """

    __slots__ = ("_contexts", "_names")

    def __init__(self) -> None:
        self._contexts: dict[tuple[str, tuple[str, ...]], BuildContext] = {}
        self._names: dict[Path, frozenset[str]] = {}   # folder → its entries' names

    def get(self, root: Path, dockerfile: Path | None = None) -> BuildContext:
        """The context at root, as BuildContext(root, dockerfile=dockerfile) would be."""
        patterns = tuple(read_dockerignore(root, dockerfile, self._listed))
        key = (os.fspath(root), patterns)
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = BuildContext(root, patterns)
        return context

    def _listed(self, path: Path) -> bool:
        """Whether path's folder has an entry of its name (each folder listed once):
        most Dockerfiles have no ignore file, and a failed open per file adds up."""
        names = self._names.get(path.parent)
        if names is None:
            try:
                names = frozenset(os.listdir(path.parent))
            except OSError:
                names = frozenset()
            names = self._names[path.parent] = names
        return path.name in names
