"""The speed-ups of the lexer and the shared types answer exactly as the code they replaced."""
from __future__ import annotations

import dataclasses
import pickle
import re

import pytest
from hypothesis import given, strategies as st

from dlayerlint.core.sizes import Confidence, Size, total
from dlayerlint.core.spans import Position, Span, TextMap
from dlayerlint.dockerfile.parser import _continued, _Parser

LINE = st.text(st.sampled_from(["\\", "`", " ", "\t", "a", "#", "\r", "é"]), max_size=12)


@given(LINE, st.sampled_from(["\\", "`"]))
def test_the_continuation_check_is_the_regex(text: str, escape: str) -> None:
    regex = _Parser(f"# escape={escape}\nFROM busybox\n" if escape == "`" else "FROM busybox\n")
    regex.parse()
    match = regex.continuation.search(text)
    assert _continued(text, escape) == (text[:match.start()] if match else None)


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 9), st.integers(1, 9)), min_size=1, max_size=5),
       st.integers(-3, 40))
def test_text_map_positions_are_the_bisect(raw: list[tuple[int, int, int]], offset: int) -> None:
    segments, at = [], 0
    for width, line, column in raw:   # offsets start at 0 and never decrease, as every map's do
        segments.append((at, line, column))
        at += width
    text_map = TextMap(tuple(segments), at)
    clamped = max(0, min(offset, at))
    index = max(sum(1 for segment in segments if segment[0] <= clamped) - 1, 0)
    seg_offset, line, column = segments[index]
    assert text_map.position(offset) == Position(line, column + clamped - seg_offset)
    delta = min(max(offset, 0), at)
    shifted = text_map.shifted(delta)
    assert [shifted.position(k) for k in range(at - delta + 1)] == [text_map.position(delta + k)
                                                                    for k in range(at - delta + 1)]


def test_positions_and_spans_keep_their_dataclass_behaviour() -> None:
    position = Position(3, 4)
    assert position == Position(line=3, column=4) and hash(position) == hash(Position(3, 4))
    assert Position(3, 4) < Position(3, 5) < Position(4, 1)
    assert repr(position) == "Position(line=3, column=4)"
    assert dataclasses.replace(position, column=9) == Position(3, 9)
    span = Span.of(1, 2, 3, 4)
    assert span == Span(Position(1, 2), Position(3, 4)) and pickle.loads(pickle.dumps(span)) == span
    assert [field.name for field in dataclasses.fields(Span)] == ["start", "end"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        position.line = 5  # type: ignore[misc]


@given(st.lists(st.tuples(st.integers(0, 1 << 40), st.sampled_from(list(Confidence))), max_size=6))
def test_total_is_adding_one_by_one(sizes: list[tuple[int, Confidence]]) -> None:
    values = [Size(count, confidence) for count, confidence in sizes]
    expected = Size(0, Confidence.EXACT)
    for value in values:
        expected = expected + value
    assert total(values) == expected and total(iter(values)) == expected


def test_the_continuation_regex_is_still_what_the_lexer_documents() -> None:
    parser = _Parser("FROM busybox\n")
    parser.parse()
    assert parser.continuation.pattern == re.compile(r"(?<!\\)\\[ \t]*$").pattern
