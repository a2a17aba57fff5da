"""The symbolic filesystem: per path, which layer wrote which bytes, and which
later operation left those bytes behind in an older layer.

Overlay semantics, as Docker's storage gives them:
- writing, appending to, editing, chmod-ing, chown-ing or touching a file
  that lives in an earlier layer puts a whole new copy in the current layer;
- removing or moving it leaves a whiteout; the bytes stay in the old layer;
- the same operations inside the layer that made the file cost nothing.

Each `Version` (bytes a layer holds for a path) ends either visible in the
final filesystem or stranded by exactly one `Event`, so per-layer stranded
bytes add up to the image total with nothing counted twice.

A directory may hold BLOBs: contents whose file names we do not know (the
apt lists, a git checkout, an extracted archive), one per layer that added
some, since a later layer adding more (another `apt-get update`, more wheels
in the pip cache) need not replace what an earlier one left. Recursive
operations and a `*` glob reach them; a named path does not.
"""
from __future__ import annotations

import fnmatch
import posixpath
import re
from functools import lru_cache

from ..core.sizes import UNKNOWN, ZERO, Confidence, Size
from .sweeps import LAZY_AFTER, SweepGroup
from .versions import BLOB, Event, Node, Origin, Version

__all__ = ["BLOB", "Event", "Node", "Origin", "SymbolicFS", "Version", "has_glob", "is_blob"]


@lru_cache(maxsize=1024)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


def has_glob(text: str) -> bool:
    """Whether a path (or one of its parts) holds a shell/fnmatch wildcard."""
    return any(char in text for char in "*?[")


def is_blob(name: str) -> bool:
    return name.startswith(BLOB)


UNNAMED_CONTENTS = frozenset({"copied", "clone", "likely"})   # blob tags of files whose names we lack


def _stands_for_any(node: Node) -> bool:
    if not is_blob(node.name):   # first: a lazily swept file keeps its copy lazy
        return False
    version = node.version
    return version is not None and not UNNAMED_CONTENTS.isdisjoint(version.tags)


def _matches(name: str, pattern: str) -> bool:
    if is_blob(name):
        return pattern == "*"
    if name.startswith(".") and not pattern.startswith("."):
        return False  # the shell's * does not match dot files
    return _glob_regex(pattern).match(name) is not None


class SymbolicFS:
    """One stage's filesystem, replayed layer by layer."""

    def __init__(self) -> None:
        self.root = Node("", None, {}, from_base=True)
        self.events: list[Event] = []
        self.layer_versions: dict[int, list[Version]] = {}
        self.base_touched: dict[int, list[str]] = {}   # layer → base paths it copied up
        self.blobs_in: dict[str, list[Version]] = {}   # directory → its BLOBs, newest last
        # recursive sweeps (sweeps.py): per folder its sweep count and latest layer, the
        # folders swept lazily, and the bytes their lazy copies add and strand per layer
        self.sweep_counts: dict[str, tuple[int, int]] = {}
        self.groups: dict[str, SweepGroup] = {}
        self.swept_added: dict[int, Size] = {}
        self.swept_stranded: dict[int, Size] = {}

    # -- lookup --------------------------------------------------------------------

    def lookup(self, path: str) -> Node | None:
        node = self.root
        for part in _parts(path):
            if not node.children or part not in node.children:
                return None
            node = node.children[part]
        return node

    def glob(self, pattern: str) -> list[Node]:
        """Nodes matching a path that may hold *, ? or [..] components. The unnamed contents
        of an unseen COPY, a clone or a likely path (`_stands_for_any`) may hold any name, so a
        glob component matches them, and they stand for whatever lies beneath."""
        nodes = [self.root]
        for part in _parts(pattern):
            following: list[Node] = []
            for node in nodes:
                if not node.children:
                    if _stands_for_any(node):
                        following.append(node)
                    continue
                if has_glob(part):
                    following.extend(child for name, child in node.children.items()
                                     if _matches(name, part) or (is_blob(name) and _stands_for_any(child)))
                elif part in node.children:
                    following.append(node.children[part])
            nodes = following
        return nodes

    def is_dir(self, path: str) -> bool:
        node = self.lookup(path)
        return node is not None and node.is_dir

    def blob_over(self, path: str, before: int) -> Version | None:
        """The newest BLOB an earlier layer left in path's nearest ancestor that still holds
        one: contents of unknown names, among which path may well be."""
        parts = _parts(path)
        for depth in range(len(parts) - 1, -1, -1):
            directory = "/" + "/".join(parts[:depth])
            live = [v for v in self.blobs_in.get(directory, ()) if v.layer < before and self._is_live(v)]
            if live:
                return live[-1]
        return None

    def _is_live(self, version: Version) -> bool:
        node = self.lookup(version.path)
        return node is not None and node.version is version

    def materialize(self, path: str, maker: Version | Origin, as_dir: bool) -> Node:
        """A path no command named, that an earlier layer's unnamed write (maker) most likely
        made: it gets that layer's version, of unknown size, tagged `likely`, so a later
        chmod, sed -i, mv or rm of it strands what it strands for a named file."""
        origin = maker if isinstance(maker, Origin) else maker.origin
        tags = (maker.tags if isinstance(maker, Version) else frozenset()) | {"likely"}
        if as_dir:
            self.ensure_dir(path, created=True)
            blob = self.record(Version(posixpath.join(path, f"{BLOB}{origin.layer}"), UNKNOWN, origin, tags))
            self._file_node(blob.path).version = blob
            self.blobs_in.setdefault(posixpath.normpath(path), []).append(blob)
            node = self.lookup(path)
        else:
            node = self._file_node(path)
            node.version = self.record(Version(path, UNKNOWN, origin, tags))
        assert node is not None
        return node

    # -- building the tree -----------------------------------------------------------

    def ensure_dir(self, path: str, created: bool = False) -> Node:
        node = self.root
        for part in _parts(path):
            assert node.children is not None
            child = node.children.get(part)
            if child is None or child.children is None:
                if child is not None and child.group is not None:
                    child.group.detach(child)   # a file replaced by a folder: its group lets it go
                child = Node(part, node, {}, from_base=not created)
                node.children[part] = child
            node = child
        return node

    def _file_node(self, path: str) -> Node:
        folder, _, name = path.rpartition("/")   # dirname and basename, as ensure_dir normalises
        parent = self.ensure_dir(folder)
        assert parent.children is not None
        node = parent.children.get(name)
        if node is None:
            node = Node(name, parent)
            parent.children[name] = node
        return node

    def record(self, version: Version) -> Version:
        self.layer_versions.setdefault(version.layer, []).append(version)
        if self.groups:
            self._arrived(version.path)
        return version

    def _arrived(self, path: str) -> None:
        """A version written under lazily swept folders: their next sweep takes it in."""
        parts = _parts(path)
        for depth in range(len(parts)):
            group = self.groups.get("/" + "/".join(parts[:depth]))
            if group is not None:
                group.arrivals[path] = None

    # -- operations -------------------------------------------------------------------

    def write(self, path: str, size: Size, origin: Origin, tags: frozenset[str] = frozenset(),
              action: str = "overwrite") -> Version:
        """Create or replace a file (or a directory's BLOB) in this layer."""
        node = self._file_node(path)
        if node.is_dir:  # writing a file over a directory replaces it all
            self.remove(node, origin, action)
            node = self._file_node(path)
        self._retire(node, origin, action)
        node.version = self.record(Version(path, size, origin, tags))
        return node.version

    def add_blob(self, directory: str, size: Size, origin: Origin, tags: frozenset[str] = frozenset()) -> None:
        """Contents of unknown names under a directory; a layer's sizes add up."""
        self.ensure_dir(directory, created=True)
        path = posixpath.join(directory, f"{BLOB}{origin.layer}")
        node = self.lookup(path)
        if node is not None and node.version is not None:
            node.version.size = node.version.size + size
            node.version.tags |= tags
            return
        self.blobs_in.setdefault(posixpath.normpath(directory), []).append(self.write(path, size, origin, tags))

    def append(self, path: str, extra: Size, origin: Origin) -> Version:
        node = self.lookup(path)
        if node is None or node.version is None or node.is_dir:
            if self._maybe_in_base(path, node):   # the base image's copy comes up too
                self.base_touched.setdefault(origin.layer, []).append(path)
                extra = Size(extra.bytes, Confidence.UNKNOWN)
            return self.write(path, extra, origin)
        old = node.version
        if old.layer == origin.layer:
            old.size = old.size + extra
            return old
        return self.copy_up(node, origin, "modify", old.size + extra)

    def modify(self, node: Node, origin: Origin, recursive: bool) -> None:
        """chmod/chown/touch/sed -i: copy up every file version reached (lazily for a folder
        swept LAZY_AFTER times already: sweeps.py)."""
        if recursive and node.is_dir:
            self._sweep(node, origin)
            return
        self._modify_eagerly(node, origin, recursive)

    def _sweep(self, node: Node, origin: Origin) -> None:
        path = node.path
        group = self.groups.get(path)
        if group is not None and group.node is node:
            group.sweep(origin)
            return
        layer, count = self.sweep_counts.get(path, (-1, 0))
        if group is not None:   # the folder was removed and made again since
            del self.groups[path]
            count = 0
        self._modify_eagerly(node, origin, True)
        count += layer != origin.layer
        self.sweep_counts[path] = (origin.layer, count)
        if count >= LAZY_AFTER:
            self.groups[path] = SweepGroup(self, node, origin.layer)

    def swept_live(self) -> dict[int, Size]:
        """Per layer, the bytes of lazy copies still live: the latest copies of each group."""
        live: dict[int, Size] = {}
        for group in self.groups.values():
            layer = group.copies_layer
            if layer is not None:
                live[layer] = live.get(layer, ZERO) + group.size()
        return live

    def _modify_eagerly(self, node: Node, origin: Origin, recursive: bool) -> None:
        targets = node.walk() if recursive else iter([node])
        for target in targets:
            if target.version is not None and target.version.layer < origin.layer:
                self.copy_up(target, origin, "modify", target.version.size)
            elif target.version is None and (target.from_base and (recursive or not target.is_dir)):
                self.base_touched.setdefault(origin.layer, []).append(target.path)

    def remove(self, node: Node, origin: Origin, action: str = "remove") -> None:
        for target in node.walk():
            self._retire(target, origin, action)
        if node.parent is not None and node.parent.children is not None:
            node.parent.children.pop(node.name, None)

    def move(self, node: Node, destination: str, origin: Origin) -> None:
        """mv: bytes from older layers are copied into this one, then whited out."""
        base = node.path
        moved = [(n.path, n.version) for n in node.walk() if n.version is not None]
        was_dir = node.is_dir
        self.remove(node, origin, "move")
        if was_dir:
            self.ensure_dir(destination, created=True)
        for path, version in moved:
            target = destination + path[len(base):]
            self.write(target, version.size, origin, version.tags, "move")
            new = self.lookup(target)
            if new is not None and new.version is not None:
                new.version.follows(version if version.layer < origin.layer else version.previous)

    def copy(self, node: Node, destination: str, origin: Origin) -> None:
        base = node.path
        if node.is_dir:
            self.ensure_dir(destination, created=True)
        for source in list(node.walk()):
            target = destination + source.path[len(base):]
            if source.is_dir:
                self.ensure_dir(target, created=True)
            elif source.version is not None:
                self.write(target, source.version.size, origin, source.version.tags)

    def promote_to_file(self, node: Node) -> Node:
        """What we took for a folder of unknown contents (its one BLOB) was a file: the
        BLOB's bytes are that file's (`COPY tool /usr/local/bin/tool`, then `chmod +x`)."""
        assert node.children is not None
        (blob,) = node.children.values()
        node.children, node.version = None, blob.version
        if node.version is not None:
            node.version.path = node.path
            if self.groups:
                self._arrived(node.path)
        return node

    def demote_to_dir(self, path: str, child: str) -> None:
        """What we took for a file at `path` was a directory: its bytes sit in `child`."""
        node = self.lookup(path)
        if node is None or node.is_dir:
            return
        inner = Node(child, node, version=node.version)
        if inner.version is not None:
            inner.version.path = posixpath.join(path, child)
            if self.groups:
                self._arrived(inner.version.path)
        node.version, node.children = None, {child: inner}

    # -- bookkeeping ---------------------------------------------------------------

    def copy_up(self, node: Node, origin: Origin, action: str, size: Size) -> Version:
        old = node.version
        assert old is not None
        self.strand(old, origin, action)
        node.version = self.record(Version(old.path, size, origin, old.tags).follows(old))
        return node.version

    def _retire(self, node: Node, origin: Origin, action: str) -> None:
        old = node.version
        if old is None:
            return
        node.version = None
        if old.layer == origin.layer:
            old.dropped = True
        else:
            self.strand(old, origin, action)

    def strand(self, version: Version, origin: Origin, action: str) -> None:
        if self.events and self.events[-1].origin == origin and self.events[-1].action == action:
            event = self.events[-1]
        else:
            event = Event(action, origin)
            self.events.append(event)
        version.stranded_by = event
        event.stranded.append(version)

    def _maybe_in_base(self, path: str, node: Node | None) -> bool:
        if node is not None:
            return False
        parent = self.lookup(posixpath.dirname(path))
        return parent is None or parent.from_base


@lru_cache(maxsize=8192)
def _parts(path: str) -> tuple[str, ...]:
    """A path's components (memoised: every write and lookup walks from the root)."""
    return tuple(part for part in posixpath.normpath(path).split("/") if part and part != ".")
