"""Applying fixes to the text: whole-line replacements that keep every
untouched byte, each line's own ending (LF, CRLF, or none at the end), the BOM
and the final newline."""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping

from ..core.results import Fix

BOM = "\ufeff"


def _split(body: str) -> list[tuple[str, str]]:
    """(content, ending) per line, as the parser counts lines: only LF ends a
    line and a CR right before it belongs to the ending; a last line without
    LF keeps everything (a bare CR included) as content."""
    pieces = body.split("\n")
    lines = []
    for piece in pieces[:-1]:
        lines.append((piece[:-1], "\r\n") if piece.endswith("\r") else (piece, "\n"))
    if pieces[-1]:
        lines.append((pieces[-1], ""))
    return lines


def applicable(fixes: Mapping[Fix, int] | list[Fix], text: str) -> list[Fix]:
    """The fixes one round applies to `text`, in line order: each within the text and
    overlapping none taken before it. With a mapping of fix to the bytes it removes, the
    fixes are taken most bytes first, so of two that overlap the better one goes in."""
    count = len(_split(text[len(BOM):] if text.startswith(BOM) else text))
    value = fixes if isinstance(fixes, Mapping) else {}
    starts: list[int] = []      # of the fixes taken, in line order (they never overlap)
    taken: list[Fix] = []
    for fix in sorted(set(fixes), key=lambda f: (-value.get(f, 0), f.start_line, f.end_line, f.description)):
        if not 1 <= fix.start_line <= fix.end_line <= count:
            continue
        place = bisect_right(starts, fix.end_line)
        if place and taken[place - 1].end_line >= fix.start_line:
            continue     # the taken fix that starts last at or before this one's end overlaps it
        starts.insert(place, fix.start_line)
        taken.insert(place, fix)
    return taken


def apply_fixes(text: str, fixes: list[Fix]) -> str:
    """The text with each fix's line range replaced; a fix that overlaps one
    already applied is skipped (a second round applies it to the new text).
    The replacement takes the ending of the first line it replaces, its last
    line the ending of the last replaced line."""
    bom = BOM if text.startswith(BOM) else ""
    lines = _split(text[len(bom):])
    output: list[str] = []
    line = 1
    for fix in applicable(fixes, text):
        output += [content + ending for content, ending in lines[line - 1:fix.start_line - 1]]
        # a last line without LF: new lines end as the file's other lines do
        newline = lines[fix.start_line - 1][1] or ("\r\n" if "\r\n" in text else "\n")
        last_ending = lines[fix.end_line - 1][1]
        replaced = fix.replacement.split("\n")
        output += [content + newline for content in replaced[:-1]] + [replaced[-1] + last_ending]
        line = fix.end_line + 1
    output += [content + ending for content, ending in lines[line - 1:]]
    return bom + "".join(output)
