"""Shell words: quote removal and expansion boundaries for one word of a RUN
body. tree-sitter-bash finds the words; this module reads each one's source
text, so every word is split the same way whatever tree-sitter made of it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.record import Record


class Part(Record):  # pylint: disable=too-few-public-methods  # a value
    """One piece of a word: literal text or the raw source of an expansion.

    kind is "text", "param", "command", "arith", "glob" or "tilde".  quoted is
    True when the piece sat inside quotes (expansions in double quotes do not
    split or glob).
    """
    __slots__ = ("kind", "value", "quoted")

    def __init__(self, kind: str, value: str, quoted: bool) -> None:
        self.kind = kind
        self.value = value
        self.quoted = quoted


@dataclass(frozen=True, slots=True)
class Word:
    """A shell word; start/end are character offsets into the body."""

    parts: tuple[Part, ...]
    start: int
    end: int

    @property
    def text(self) -> str:
        """What a reader sees after quote removal, expansions left raw."""
        return "".join(part.value for part in self.parts)

    @property
    def is_literal(self) -> bool:
        """True when the word contains no expansion, glob or tilde."""
        return all(part.kind == "text" for part in self.parts)

    @property
    def has_glob(self) -> bool:
        """True when an unquoted pattern character survives quote removal."""
        return any(part.kind == "glob" for part in self.parts)


_PLAIN = re.compile(r"[^\\'\"$`*?\[~<>:=]+")
_DQ_PLAIN = re.compile(r'[^"\\$`]+')
# what ends a bracket expression's scan: its `]`, or a character it may not hold
_BRACKET_STOP = re.compile(r"[\]'\"\\$`/\s]")
_TILDE = re.compile(r"~[\w.+-]*")
_HEX = re.compile(r"[0-9a-fA-F]{1,8}")
_OCTAL = re.compile(r"[0-7]{1,3}")
_ANSI_SIMPLE = {
    "n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f",
    "v": "\v", "e": "\x1b", "E": "\x1b", "\\": "\\", "'": "'", '"': '"',
    "?": "?",
}
_ANSI_HEX_WIDTH = {"x": 2, "u": 4, "U": 8}
_UNQUOTED_METHODS = {
    "'": "_single", '"': "_open_dquote", "\\": "_escape", "$": "_dollar",
    "*": "_glob", "?": "_glob", "[": "_glob", "~": "_tilde",
}


# --------------------------------------------------------------------------
# Words

_BARE_NAME = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])")


def _param_end(raw: str, i: int) -> int:
    """End of the `$NAME` or balanced `${...}` at i; i + 1 when there is none."""
    if raw.startswith("${", i):
        depth = 0
        for end in range(i + 1, len(raw)):
            depth += {"{": 1, "}": -1}.get(raw[end], 0)
            if depth == 0:
                return end + 1
        return i + 1
    match = _BARE_NAME.match(raw, i)
    return match.end() if match else i + 1


class WordLexer:
    """Quote removal for one word; expansions arrive as opaque ranges."""
    __slots__ = ("raw", "opaque", "assign", "parts", "buf", "buf_quoted", "dquote", "scanned")

    def __init__(self, raw: str, opaque: dict[int, tuple[int, str]], assign: bool) -> None:
        self.raw = raw
        self.opaque = opaque    # offset in raw -> (end, kind)
        self.assign = assign    # tilde also expands after "=" and ":"
        self.parts: list[Part] = []
        self.buf: list[str] = []    # text not yet made a Part
        self.buf_quoted = False
        self.dquote = False
        # the last bracket scan: from `scanned[0]`, the first stop is at `scanned[1]`
        self.scanned = (1, 0)

    def run(self) -> tuple[Part, ...]:
        """Split the word into parts."""
        i, size = 0, len(self.raw)
        while i < size:
            if i in self.opaque:
                i = self._expansion(i)
            elif self.dquote:
                i = self._in_dquote(i)
            else:
                i = self._unquoted(i)
        self._flush()
        # a word made only of quotes, like "" or '', is still an (empty) word
        return tuple(self.parts) or (Part("text", "", True),)

    def _add(self, text: str, quoted: bool) -> None:
        if not text:
            return
        if self.buf and self.buf_quoted != quoted:
            self._flush()
        self.buf.append(text)
        self.buf_quoted = quoted

    def _flush(self) -> None:
        if self.buf:
            self.parts.append(Part("text", "".join(self.buf), self.buf_quoted))
            self.buf = []

    def _emit(self, kind: str, start: int, end: int, quoted: bool) -> int:
        self._flush()
        self.parts.append(Part(kind, self.raw[start:end], quoted))
        return end

    def _expansion(self, i: int) -> int:
        end, kind = self.opaque[i]
        return self._emit(kind, i, end, self.dquote)

    def _in_dquote(self, i: int) -> int:
        raw = self.raw
        match = _DQ_PLAIN.match(raw, i)
        if match:
            self._add(match.group(), True)
            return match.end()
        char = raw[i]
        if char == "$":
            end = _param_end(raw, i)
            if end > i + 1:
                return self._emit("param", i, end, True)
            self._add(char, True)
        elif char == '"':
            self.dquote = False
        elif char == "\\" and raw[i + 1:i + 2] in ("$", "`", '"', "\\", "\n"):
            if raw[i + 1] != "\n":  # backslash-newline is a line continuation
                self._add(raw[i + 1], True)
            return i + 2
        else:
            self._add(char, True)
        return i + 1

    def _unquoted(self, i: int) -> int:
        match = _PLAIN.match(self.raw, i)
        if match:
            self._add(match.group(), False)
            return match.end()
        method = _UNQUOTED_METHODS.get(self.raw[i])
        return self._literal(i) if method is None else getattr(self, method)(i)

    def _literal(self, i: int) -> int:
        self._add(self.raw[i], False)
        return i + 1

    def _open_dquote(self, i: int) -> int:
        self.dquote = True
        return i + 1

    def _single(self, i: int) -> int:
        end = self.raw.find("'", i + 1)
        if end < 0:
            end = len(self.raw)
        self._add(self.raw[i + 1:end], True)
        return end + 1

    def _escape(self, i: int) -> int:
        nxt = self.raw[i + 1:i + 2]
        if nxt != "\n":  # backslash-newline is a line continuation
            self._add(nxt or "\\", False)
        return i + 2

    def _dollar(self, i: int) -> int:
        nxt = self.raw[i + 1:i + 2]
        if nxt == "'":
            return self._ansi_c(i + 2)
        if nxt == '"':  # $"..." (locale translation) reads as "..."
            return self._open_dquote(i + 1)
        return self._bare_param(i, False)

    def _bare_param(self, i: int, quoted: bool) -> int:
        """`$X` / `${X}` that tree-sitter left inside a plain word (it does
        after a concatenation: `v$A/x-$A.tgz` ends in the word `/x-$A.tgz`)."""
        end = _param_end(self.raw, i)
        return self._emit("param", i, end, quoted) if end > i + 1 else self._literal(i)

    def _ansi_c(self, i: int) -> int:
        raw, out = self.raw, []
        while i < len(raw) and raw[i] != "'":
            if raw[i] == "\\" and i + 1 < len(raw):
                text, i = _ansi_escape(raw, i + 1)
            else:
                text, i = raw[i], i + 1
            out.append(text)
        self._add("".join(out), True)
        return i + 1

    def _glob(self, i: int) -> int:
        raw, end = self.raw, i
        while end < len(raw):
            if raw[end] in "*?":
                end += 1
                continue
            bracket_end = self._bracket_end(end) if raw[end] == "[" else None
            if bracket_end is None:
                break
            end = bracket_end
        if end == i:  # a lone "[" (for example the test command) is text
            self._add("[", False)
            return i + 1
        return self._emit("glob", i, end, False)

    def _bracket_end(self, i: int) -> int | None:
        """End of the bracket expression `[...]` at i (`[!]x]` holds `]`), or None.

        The scan for its `]` is kept: a run of `[` shares one scan instead of
        each rescanning to the end of the word (quadratic)."""
        raw = self.raw
        start = i + 1
        if raw[start:start + 1] in ("!", "^"):
            start += 1
        closing = None
        if raw[start:start + 1] == "]":   # a literal `]`, or the end of `[]` when no other follows
            start += 1
            closing = start
        if not self.scanned[0] <= start <= self.scanned[1]:
            stop = _BRACKET_STOP.search(raw, start)
            self.scanned = (start, stop.start() if stop else len(raw))
        stop_at = self.scanned[1]
        return stop_at + 1 if raw[stop_at:stop_at + 1] == "]" else closing

    def _tilde(self, i: int) -> int:
        raw = self.raw
        if i and not (self.assign and raw[i - 1] in ":="):
            return self._literal(i)
        match = _TILDE.match(raw, i)
        end = match.end() if match else i + 1
        follow = raw[end:end + 1]
        if follow in ("", "/") or (self.assign and follow == ":"):
            return self._emit("tilde", i, end, False)
        return self._literal(i)


def _ansi_escape(raw: str, i: int) -> tuple[str, int]:
    """Decode the escape whose letter is at raw[i]; return (text, next index)."""
    char = raw[i]
    if char in _ANSI_SIMPLE:
        return _ANSI_SIMPLE[char], i + 1
    width = _ANSI_HEX_WIDTH.get(char)
    match = (_HEX.match(raw, i + 1, i + 1 + width) if width
             else _OCTAL.match(raw, i) if char in "01234567" else None)
    if match is None:
        return "\\" + char, i + 1
    code = int(match.group(), 16 if width else 8)
    return (chr(code) if code <= 0x10FFFF else "\ufffd"), match.end()
