"""Wording shared by the checks: paths, line lists and byte counts."""
from __future__ import annotations

from collections.abc import Iterable

from ..simulate.fs import is_blob
from ..core.sizes import Size, describe

MAX_PATHS = 3
MAX_LINES = 12   # line numbers a message lists before `… and LAST (N lines)`


def display_path(path: str) -> str:
    """A directory's unnamed contents show as `dir/*`."""
    directory, _, name = path.rpartition("/")
    return f"{directory}/*" if is_blob(name) else path


def list_paths(paths: Iterable[str]) -> str:
    unique = sorted({display_path(p) for p in paths})
    return counted_paths(unique, len(unique))


def counted_paths(first: list[str], count: int) -> str:
    """The first MAX_PATHS of `count` sorted distinct paths, and how many more."""
    shown = ", ".join(first[:MAX_PATHS])
    more = count - MAX_PATHS
    return f"{shown} and {more} more" if more > 0 else shown


def lines_phrase(lines: Iterable[int]) -> str:
    """[3] → 'line 3'; [3, 5, 7] → 'lines 3, 5 and 7'; past MAX_LINES lines,
    'lines 3, 5, … and 900 (120 lines)': a message naming every line of a
    file-wide chmod -R grows with the file, and there is one per layer."""
    unique = sorted(set(lines))
    return counted_lines(unique[:MAX_LINES - 1], unique[-1], len(unique))


def counted_lines(first: list[int], last: int, count: int) -> str:
    """lines_phrase from the first MAX_LINES - 1 of `count` sorted distinct lines and the last."""
    if count == 1:
        return f"line {last}"
    if count > MAX_LINES:
        shown = ", ".join(map(str, first[:MAX_LINES - 1]))
        return f"lines {shown}, … and {last} ({count} lines)"
    return "lines " + ", ".join(map(str, first[:count - 1])) + f" and {last}"


def layers_phrase(lines: Iterable[int]) -> str:
    unique = sorted(set(lines))
    return ("the layer of " if len(unique) == 1 else "the layers of ") + lines_phrase(unique)


def amount(size: Size) -> str:
    """A size as a message says it: '4.0 MiB', '~18.1 MiB', '≥ 12 B', 'bytes of unknown size'."""
    text = describe(size)
    return "bytes of unknown size" if text == "unknown" else text
