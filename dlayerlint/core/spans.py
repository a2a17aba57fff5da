"""Positions and spans in the Dockerfile's text, and the map from a RUN's script back to them."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Span:
    start: Position
    end: Position  # exclusive column

    @classmethod
    def of(cls, line: int, column: int, end_line: int, end_column: int) -> Span:
        return cls(Position(line, column), Position(end_line, end_column))


@dataclass(frozen=True, slots=True)
class TextMap:
    """Maps offsets in joined text to file positions.

    Each segment is (offset in the joined text, line, column) and covers a run
    of characters that sit contiguously on one physical line.
    """
    segments: tuple[tuple[int, int, int], ...]
    length: int

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, self.length))
        index = bisect_right(self.segments, (offset, 1 << 62, 0)) - 1
        seg_offset, line, column = self.segments[max(index, 0)]
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
        index = max(bisect_right(self.segments, (delta, 1 << 62, 0)) - 1, 0)
        first_offset, line, column = self.segments[index]
        head = (0, line, column + delta - first_offset)
        tail = tuple((o - delta, ln, c) for o, ln, c in self.segments[index + 1:])
        return TextMap((head,) + tail, self.length - delta)
