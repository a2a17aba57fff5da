"""A folder chmod-ed (chown-ed, touched) recursively layer after layer, without a copy of
each file in each layer.

Eagerly, `chmod -R D` in layer k copies every file under D up into layer k: a Dockerfile that
adds a file to D and sweeps D in each of N layers makes N²/2 versions. Once D has been swept
LAZY_AFTER times, its files join D's SweepGroup. A later sweep of D strands the group's copies
as one SweepEvent whose Summary (count, bytes, the first paths and lines, the copy count) the
group keeps as running totals while files join and leave, and the bytes go into running
per-layer totals. A file gets its own Version again (`detach`) only when something reads its
version: its latest copy, with the copies a finding lists before it. The bytes are those the
eager copies give; a finding lists at most LISTED paths and lines, as the eager ones do.

A file joins by the eager path first: in the sweep after it appears, its own version is
stranded one by one (it may be a COPY's, which is DLL103), and from the next sweep on its
copies are the group's. Blobs, caches, likely paths and dpkg's database stay eager (`eager`):
their copies belong to other rules or carry other wording.
"""
from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.sizes import ZERO, Confidence, Size
from .versions import BLOB, DATABASES, Event, Node, Origin, Version

if TYPE_CHECKING:   # annotations only: fs.py imports this module
    from .fs import SymbolicFS

LAZY_AFTER = 4   # sweeps of one folder done eagerly; later ones are lazy
LISTED = 20      # paths and lines a summary keeps: what a finding lists
CHAIN = 8        # copies before a file's latest one that a detached file keeps (stranded.MAX_COPIES)
SWEEP = "sweep"  # the action of a SweepEvent


@dataclass(slots=True)
class Summary:
    """What one lazy sweep stranded: the group's copies from its previous sweep."""
    count: int
    size: Size
    paths: list[str]                          # the first LISTED, sorted
    made: list[tuple[int, Origin, str]]       # the first LISTED lines the files were made on: line, origin, a path
    last_made_line: int
    made_line_count: int
    made_layers: tuple[int, int]              # the first and the last layer that made one of them
    copied: list[Origin]                      # the latest sweeps (≤ CHAIN) that copied them, oldest first
    max_copies: int                           # the most copy-ups one of them went through
    layer: int                                # the layer the stranded copies are in


@dataclass(eq=False, slots=True)
class SweepEvent(Event):
    summary: Summary | None = None


@dataclass(slots=True)
class _Member:
    base: Version      # its last own version: its lazy copies follow it
    joined: int        # the index in SweepGroup.steps of its first lazy copy
    path: str
    made_line: int
    made: Origin       # the origin of the version that first made its bytes


class _Tally:
    """A multiset with its distinct keys in order: add, remove, first and last in O(log n)
    (plus a list shift, done in C)."""
    __slots__ = ("counts", "order")

    def __init__(self) -> None:
        self.counts: dict[Any, int] = {}
        self.order: list[Any] = []

    def add(self, key: Any) -> None:
        count = self.counts.get(key, 0)
        if not count:
            insort(self.order, key)
        self.counts[key] = count + 1

    def remove(self, key: Any) -> None:
        count = self.counts[key] - 1
        if count:
            self.counts[key] = count
        else:
            del self.counts[key]
            del self.order[bisect_left(self.order, key)]


class _MaxTally:
    """The largest of a multiset of ints under removals (a heap with lazy deletion)."""
    __slots__ = ("counts", "heap")

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()
        self.heap: list[int] = []

    def add(self, key: int) -> None:
        if not self.counts[key]:
            heapq.heappush(self.heap, -key)
        self.counts[key] += 1

    def remove(self, key: int) -> None:
        self.counts[key] -= 1

    def largest(self) -> int:
        while not self.counts[-self.heap[0]]:
            heapq.heappop(self.heap)
        return -self.heap[0]


class _Totals:
    """Running totals over a group's members: what a Summary reads."""
    __slots__ = ("bytes", "confidences", "paths", "lines", "layers", "copies", "by_line")

    def __init__(self) -> None:
        self.bytes, self.confidences = 0, Counter[Confidence]()
        self.paths, self.lines, self.layers, self.copies = _Tally(), _Tally(), _Tally(), _MaxTally()
        self.by_line: dict[int, dict[Node, _Member]] = {}   # made line → the members made there

    def add(self, node: Node, member: _Member) -> None:
        self.bytes += member.base.size.bytes
        self.confidences[member.base.size.confidence] += 1
        self.paths.add(member.path)
        self.lines.add(member.made_line)
        self.layers.add(member.made.layer)
        self.copies.add(member.base.copies - member.joined)
        self.by_line.setdefault(member.made_line, {})[node] = member

    def forget(self, node: Node, member: _Member) -> None:
        self.bytes -= member.base.size.bytes
        self.confidences[member.base.size.confidence] -= 1
        self.paths.remove(member.path)
        self.lines.remove(member.made_line)
        self.layers.remove(member.made.layer)
        self.copies.remove(member.base.copies - member.joined)
        same_line = self.by_line[member.made_line]
        del same_line[node]
        if not same_line:
            del self.by_line[member.made_line]

    def size(self) -> Size:
        levels = [level for level, count in self.confidences.items() if count]
        return Size(self.bytes, max(levels, default=Confidence.EXACT))


def _own_copies(version: Version) -> bool:
    """Whether the rules read each copy-up of this version on its own: a blob, a cache, a
    path no command named, dpkg's database."""
    tags = version.tags | version.first.tags
    return (version.path.rpartition("/")[2].startswith(BLOB) or version.path == DATABASES or "likely" in tags
            or any(tag.startswith("cache:") for tag in tags))


class SweepGroup:
    """The files of one folder that its recursive sweeps copy up lazily."""

    def __init__(self, fs: SymbolicFS, node: Node, layer: int) -> None:
        self.fs, self.node, self.layer = fs, node, layer   # layer: of its latest sweep
        self.steps: list[Origin] = []                # its lazy sweeps, oldest first
        self.members: dict[Node, _Member] = {}       # files whose latest copy is lazy, in joining order
        self.fresh: dict[Node, Version] = {}         # joined at the latest sweep: their version is its layer's
        self.eager: dict[Node, None] = {}            # files a sweep still copies one by one (`_own_copies`)
        self.arrivals: dict[str, None] = {}          # paths written beneath since the latest sweep
        self.base_path: str | None = None            # a path beneath that may hold base-image content
        self.totals = _Totals()                      # over the members
        for target in node.walk():
            if target.children is None and target.version is not None:
                self._admit(target, target.version)
            elif target.version is None and target.from_base and self.base_path is None:
                self.base_path = target.path

    # -- a sweep ------------------------------------------------------------------------

    def sweep(self, origin: Origin) -> None:
        """`chmod -R` of the folder again: strand the members' copies as one event, the
        fresh members' and eager files' versions one by one, and take in the arrivals."""
        if self.base_path is not None:
            self.fs.base_touched.setdefault(origin.layer, []).append(self.base_path)
        event = None
        if origin.layer != self.layer:
            event = self._strand_members(origin)
            self._start_fresh(origin)
            self.steps.append(origin)
            self.layer = origin.layer
        self._take_arrivals(origin)
        for node in list(self.eager):
            self._copy_eagerly(node, origin)
        if event is not None:
            self.fs.events.append(event)

    def _strand_members(self, origin: Origin) -> SweepEvent | None:
        if not self.members:
            return None
        steps, previous, totals = len(self.steps), self.steps[-1], self.totals
        oldest = next(iter(self.members.values())).joined
        size = totals.size()
        lines = totals.lines.order
        summary = Summary(
            count=len(self.members), size=size, paths=totals.paths.order[:LISTED],
            made=[(line, member.made, member.path) for line in lines[:LISTED]
                  for member in [next(iter(totals.by_line[line].values()))]],
            last_made_line=lines[-1], made_line_count=len(lines),
            made_layers=(totals.layers.order[0], totals.layers.order[-1]),
            copied=self.steps[max(oldest, steps - CHAIN):], max_copies=steps + totals.copies.largest(),
            layer=previous.layer)
        for totals in (self.fs.swept_added, self.fs.swept_stranded):
            totals[previous.layer] = totals.get(previous.layer, ZERO) + size
        return SweepEvent(SWEEP, origin, summary=summary)

    def _start_fresh(self, origin: Origin) -> None:
        """The files that joined at the latest sweep: this sweep strands their own version,
        their copies from now on are the group's."""
        joined, fresh, self.fresh = len(self.steps), self.fresh, {}
        for node, version in fresh.items():
            self.fs.strand(version, origin, "modify")
            member = _Member(version, joined, version.path, version.first.origin.span.start.line,
                             version.first.origin)
            self.members[node] = member
            self.totals.add(node, member)

    def _take_arrivals(self, origin: Origin) -> None:
        arrivals, self.arrivals = self.arrivals, {}
        for path in arrivals:
            node = self.fs.lookup(path)
            if node is None or node.children is not None or node.group is self or not self._beneath(node):
                continue
            version = node.version   # a member of another group gets its own version first
            if version is None:
                continue
            if version.layer < origin.layer:
                version = self.fs.copy_up(node, origin, "modify", version.size)
            self._admit(node, version)

    def _copy_eagerly(self, node: Node, origin: Origin) -> None:
        if node.children is not None or not self._beneath(node):
            del self.eager[node]
            return
        version = node.version
        if version is not None and version.layer < origin.layer:
            self.fs.copy_up(node, origin, "modify", version.size)

    def _admit(self, node: Node, version: Version) -> None:
        if _own_copies(version):
            self.eager[node] = None
        else:
            self.fresh[node] = version
            node.group = self

    def _beneath(self, node: Node | None) -> bool:
        while node is not None:
            if node is self.node:
                return True
            node = node.parent
        return False

    # -- a file leaves --------------------------------------------------------------------

    def detach(self, node: Node) -> None:
        """Something reads node's version: it gets its latest copy as its own (recorded in
        that copy's layer), and the next sweep takes it in again as an arrival."""
        node.group = None
        if node in self.fresh:
            del self.fresh[node]
            self.arrivals[node.path] = None
            return
        member = self.members.pop(node)
        self.totals.forget(node, member)
        node._version = self.fs.record(self._latest_copy(member))   # pylint: disable=protected-access

    def _latest_copy(self, member: _Member) -> Version:
        """The member's copy in the latest sweep, after the CHAIN copies before it (the copies
        before those are left out: `resumes`)."""
        base, last = member.base, len(self.steps) - 1
        start = max(member.joined, last - CHAIN)
        version = base
        for index in range(start, last + 1):
            copy = Version(member.path, base.size, self.steps[index], base.tags)
            version = (copy.follows(version) if index > start or start == member.joined
                       else copy.resumes(base.first, base.copies + index - member.joined + 1))
        return version

    @property
    def copies_layer(self) -> int | None:
        """The layer the members' latest copies are in."""
        return self.steps[-1].layer if self.steps and self.members else None

    def size(self) -> Size:
        """The members' bytes: what their latest copies hold."""
        return self.totals.size()
