"""Positions and spans in the Dockerfile's text, and the map from a RUN's script back to them."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from .record import Record


# The frozen dataclasses built by the million (positions, spans, words) define their own
# __init__, storing through the slot descriptors: the generated one calls object.__setattr__
# per field, twice as slow. Everything else (eq, hash, order, repr, frozen) stays generated.


@dataclass(frozen=True, slots=True, order=True)
class Position:
    line: int
    column: int

    def __init__(self, line: int, column: int) -> None:
        _SET_LINE(self, line)
        _SET_COLUMN(self, column)


_SET_LINE, _SET_COLUMN = Position.line.__set__, Position.column.__set__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Span:
    start: Position
    end: Position  # exclusive column

    def __init__(self, start: Position, end: Position) -> None:
        _SET_START(self, start)
        _SET_END(self, end)

    @classmethod
    def of(cls, line: int, column: int, end_line: int, end_column: int) -> Span:
        return cls(Position(line, column), Position(end_line, end_column))


_SET_START, _SET_END = Span.start.__set__, Span.end.__set__  # type: ignore[attr-defined]


class TextMap(Record):
    """Maps offsets in joined text to file positions.

    Each segment is (offset in the joined text, line, column) and covers a run
    of characters that sit contiguously on one physical line.
    """
    __slots__ = ("segments", "length")

    def __init__(self, segments: tuple[tuple[int, int, int], ...], length: int) -> None:
        self.segments = segments
        self.length = length

    def position(self, offset: int) -> Position:
        offset = 0 if offset < 0 else self.length if offset > self.length else offset
        segments = self.segments
        if len(segments) == 1 or offset < segments[1][0]:   # most text sits on its first line: no search
            seg_offset, line, column = segments[0]
        else:
            seg_offset, line, column = segments[bisect_right(segments, (offset, 1 << 62, 0)) - 1]
        return Position(line, column + offset - seg_offset)

    def span(self, start: int, end: int) -> Span:
        """Span of text[start:end]; the end maps from the last character so
        a word that ends a physical line does not jump to the next one."""
        if end <= start:
            first = self.position(start)
            return Span(first, first)
        last = self.position(end - 1)
        return Span(self.position(start), Position(last.line, last.column + 1))

    def shifted(self, delta: int) -> TextMap:
        """The map of text[delta:]."""
        segments = self.segments
        index = max(bisect_right(segments, (delta, 1 << 62, 0)) - 1, 0)
        first_offset, line, column = segments[index]
        head = (0, line, column + delta - first_offset)
        if index + 1 == len(segments):   # a one-line instruction: nothing after the head
            return TextMap((head,), self.length - delta)
        tail = tuple((o - delta, ln, c) for o, ln, c in segments[index + 1:])
        return TextMap((head,) + tail, self.length - delta)
