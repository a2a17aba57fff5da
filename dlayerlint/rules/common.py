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
    shown = ", ".join(unique[:MAX_PATHS])
    more = len(unique) - MAX_PATHS
    return f"{shown} and {more} more" if more > 0 else shown


def lines_phrase(lines: Iterable[int]) -> str:
    """[3] → 'line 3'; [3, 5, 7] → 'lines 3, 5 and 7'; past MAX_LINES lines,
    'lines 3, 5, … and 900 (120 lines)': a message naming every line of a
    file-wide chmod -R grows with the file, and there is one per layer."""
    unique = sorted(set(lines))
    if len(unique) == 1:
        return f"line {unique[0]}"
    if len(unique) > MAX_LINES:
        shown = ", ".join(map(str, unique[:MAX_LINES - 1]))
        return f"lines {shown}, … and {unique[-1]} ({len(unique)} lines)"
    return "lines " + ", ".join(map(str, unique[:-1])) + f" and {unique[-1]}"


def layers_phrase(lines: Iterable[int]) -> str:
    unique = sorted(set(lines))
    return ("the layer of " if len(unique) == 1 else "the layers of ") + lines_phrase(unique)


def amount(size: Size) -> str:
    """A size as a message says it: '4.0 MiB', '~18.1 MiB', '≥ 12 B', 'bytes of unknown size'."""
    text = describe(size)
    return "bytes of unknown size" if text == "unknown" else text
