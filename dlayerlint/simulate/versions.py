"""What the symbolic filesystem (fs.py) is made of: where an operation comes from (Origin),
the bytes a layer holds for a path (Version), what stranded them (Event), and the tree (Node)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.spans import Span
from ..core.sizes import Size

BLOB = "\0contents"
DATABASES = "/var/lib/dpkg/status"   # dpkg's status: every apt layer rewrites it (its own rule, DLL111)


class Origin:
    """Where an operation comes from: its layer and the words that did it.

    `Origin.later` defers the span and text until a check asks for them:
    most commands strand nothing, and mapping every command's offsets to
    lines and columns was a tenth of the replay.
    """
    __slots__ = ("layer", "_span", "_text", "_resolve")

    def __init__(self, layer: int, span: Span, text: str) -> None:
        self.layer = layer
        self._span: Span | None = span
        self._text: str | None = text   # the command as written, e.g. "rm /data/one"
        self._resolve: Callable[[], tuple[Span, str]] | None = None

    @classmethod
    def later(cls, layer: int, resolve: Callable[[], tuple[Span, str]]) -> Origin:
        """An origin whose span and text `resolve` gives when first needed."""
        origin = cls.__new__(cls)
        origin.layer, origin._span, origin._text, origin._resolve = layer, None, None, resolve
        return origin

    def _resolved(self) -> tuple[Span, str]:
        if self._resolve is not None:
            self._span, self._text = self._resolve()
            self._resolve = None
        return self._span, self._text  # type: ignore[return-value]

    @property
    def span(self) -> Span:
        return self._resolved()[0]

    @property
    def text(self) -> str:
        return self._resolved()[1]

    def _key(self) -> tuple[int, Span, str]:
        return self.layer, self.span, self.text

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, Origin) and self._key() == other._key())

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Origin(layer={self.layer!r}, span={self.span!r}, text={self.text!r})"


@dataclass(eq=False, slots=True)
class Version:
    path: str
    size: Size
    origin: Origin
    tags: frozenset[str] = frozenset()
    stranded_by: Event | None = None
    dropped: bool = False               # removed within its own layer: never shipped
    # set by `follows`, so a file rewritten in every layer costs O(1) per copy
    previous: Version | None = field(default=None, init=False)   # the version this one copied up
    copies: int = field(default=0, init=False)                   # copy-ups since the bytes were made
    _first: Version | None = field(default=None, init=False, repr=False)

    @property
    def layer(self) -> int:
        return self.origin.layer

    @property
    def first(self) -> Version:
        """The version that first created these bytes (through copy-ups)."""
        return self if self._first is None else self._first

    def follows(self, previous: Version | None) -> Version:
        """This version is a copy-up of previous (None: new bytes)."""
        self.previous = previous
        self.copies = 0 if previous is None else previous.copies + 1
        self._first = None if previous is None else previous.first
        return self

    def resumes(self, first: Version, copies: int) -> Version:
        """This version is the `copies`-th copy-up of `first`'s bytes, the copies between
        left out (a lazily swept file's history keeps only the copies a finding lists)."""
        self.previous, self.copies, self._first = None, copies, first
        return self


@dataclass(eq=False, slots=True)
class Event:
    """An operation that stranded bytes of earlier layers."""
    action: str        # "remove", "move", "modify", "overwrite"
    origin: Origin
    stranded: list[Version] = field(default_factory=list)


class Node:
    """A file or directory. A file whose folder is swept lazily (sweeps.py) belongs to that
    folder's SweepGroup: reading or setting its version first gives it its own Version."""
    __slots__ = ("name", "parent", "children", "_version", "from_base", "group")

    def __init__(self, name: str, parent: Node | None, children: dict[str, Node] | None = None,
                 version: Version | None = None, from_base: bool = False) -> None:
        self.name = name
        self.parent = parent
        self.children = children   # None for files
        self._version = version
        self.from_base = from_base   # may hold base-image content we cannot see
        self.group: Any = None       # the SweepGroup holding its latest copies, if any

    @property
    def version(self) -> Version | None:
        if self.group is not None:
            self.group.detach(self)
        return self._version

    @version.setter
    def version(self, version: Version | None) -> None:
        if self.group is not None:
            self.group.detach(self)
        self._version = version

    @property
    def is_dir(self) -> bool:
        return self.children is not None

    @property
    def path(self) -> str:
        parts = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            parts.append(node.name)
            node = node.parent
        return "/" + "/".join(reversed(parts))

    def walk(self):
        """This node and everything beneath, iteratively (deep trees are fine)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            if node.children:
                stack.extend(node.children.values())
