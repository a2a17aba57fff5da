"""The shell model's result types: simple commands with their words and redirects."""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from ..core.record import Record
from .words import Word


class Redirect(Record):  # pylint: disable=too-few-public-methods  # a value
    """A redirection; heredocs have op "<<" and no target."""
    __slots__ = ("op", "fd", "target", "start", "end")

    def __init__(self, op: str, fd: str | None, target: Word | None,
                 start: int, end: int) -> None:
        self.op = op
        self.fd = fd
        self.target = target
        self.start = start
        self.end = end


@dataclass(frozen=True, slots=True)
class _CommandWords:
    # Split out of Command only to keep each class within pylint's
    # attribute budget; field order of Command is unchanged.
    argv: tuple[Word, ...]
    assignments: tuple[tuple[str, Word], ...]


@dataclass(frozen=True, slots=True)
class Command(_CommandWords):
    """One simple command with the context it runs in."""

    redirects: tuple[Redirect, ...]
    start: int
    end: int
    conditional: bool
    scope: tuple[int, ...]
    in_substitution: bool
    negated: bool


class Script(Record):  # pylint: disable=too-few-public-methods  # a value
    """All simple commands of a body in execution order, plus parse errors.
    A body beyond the parse limits below has no commands and says why."""
    __slots__ = ("commands", "errors", "sets_errexit", "not_parsed")

    def __init__(self, commands: tuple[Command, ...], errors: tuple[tuple[int, int], ...], sets_errexit: bool,
                 not_parsed: str | None = None) -> None:
        self.commands = commands
        self.errors = errors
        self.sets_errexit = sets_errexit
        self.not_parsed = not_parsed

_ASCII_ONLY = bytes(range(128)) + b":" * 128  # ":" is a plain word character


# --------------------------------------------------------------------------
# Source text and offsets


class _Source:
    """The body plus a byte -> character offset table (non-ASCII only)."""

    __slots__ = ("text", "data", "table", "ascii")

    def __init__(self, text: str) -> None:
        self.text = text
        # surrogatepass: str bodies decoded with surrogateescape must not raise
        self.data = text.encode("utf-8", "surrogatepass")
        if text.isascii():
            self.table, self.ascii = None, self.data
        else:
            self.table = _char_table(text)
            # tree-sitter-bash calls isdigit() on raw code points after "{"
            # (upstream #337): astral characters read outside the ctype table
            # and segfault.  Bash treats non-ASCII bytes as word characters, so
            # tree-sitter gets a same-length ASCII copy; words are cut from text.
            self.ascii = self.data.translate(_ASCII_ONLY)

    def pos(self, byte: int) -> int:
        """Character offset of a tree-sitter byte offset."""
        return byte if self.table is None else self.table[byte]

    def text_of(self, node: Node) -> str:
        """Source text of a node."""
        return self.text[self.pos(node.start_byte):self.pos(node.end_byte)]


def _char_table(text: str) -> list[int]:
    table: list[int] = []
    for index, char in enumerate(text):
        code = ord(char)
        width = 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        table.extend((index,) * width)
    table.append(len(text))
    return table
