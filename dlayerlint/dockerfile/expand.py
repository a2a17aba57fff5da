"""Variable expansion as BuildKit's shell lexer does it for ARG/ENV values,
and the parameter forms a RUN shell uses.

A value we cannot know (an ARG with no default and no --build-arg, a variable
nobody declared) is `None`: paths built from it stay symbolic, never guessed.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

Env = Mapping[str, "str | None"]

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# ${NAME}, ${NAME:-word}, ${NAME-word}, ${NAME:+word}, ${NAME+word}, ${NAME:?word}, ${NAME?word};
# the word may nest further expansions, so the closing brace is found by counting.
BRACED_HEAD = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-+?=])?")
SIMPLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
NOTHING_TO_EXPAND = re.compile(r"[^'\"$\\`]*")   # no quote, $, backslash or backtick


class Unknown(Exception):
    """Raised inside expansion when a value cannot be known."""


def _lookup(name: str, env: Env) -> str:
    value = env.get(name)
    if value is None:
        raise Unknown(name)
    return value


def _closing_braces(text: str) -> dict[int, int]:
    """For each `{` that is closed, the index after its `}` (braces counted
    as BuildKit's lexer finds the end of `${...}`, quotes aside): one pass, so
    nested `${A:-${B:-...}}` costs linear time, however deep."""
    closes: dict[int, int] = {}
    opened: list[int] = []
    for index, char in enumerate(text):
        if char == "{":
            opened.append(index)
        elif char == "}" and opened:
            closes[opened.pop()] = index + 1
    return closes


class _Span:  # pylint: disable=too-few-public-methods  # a stack entry
    """A piece of text being expanded: the whole word, or a nested `${X:-word}`'s word."""
    __slots__ = ("position", "end", "out", "quote")

    def __init__(self, position: int, end: int) -> None:
        self.position = position
        self.end = end
        self.out: list[str] = []
        self.quote = ""


class _Expansion:
    """Expands one word; nested default words go on an explicit stack, not
    the Python call stack, so no nesting depth can raise RecursionError."""

    def __init__(self, text: str, env: Env, escape: str) -> None:
        self.text = text
        self.env = env
        self.escape = escape
        self.closes = _closing_braces(text) if "${" in text else {}

    def run(self) -> str:
        spans = [_Span(0, len(self.text))]
        while True:
            span = spans[-1]
            if span.position < span.end:
                nested = self._step(span)
                if nested is not None:
                    spans.append(nested)
                continue
            spans.pop()
            if not spans:
                return "".join(span.out)
            spans[-1].out.append("".join(span.out))

    def _step(self, span: _Span) -> _Span | None:
        """Consume one character or one parameter of span; a `${X:-word}`
        whose word must be expanded comes back as the span to do next."""
        text, index = self.text, span.position
        char = text[index]
        if char == self.escape and span.quote != "'" and index + 1 < span.end:
            span.out.append(text[index + 1])
            span.position += 2
        elif char in "'\"" and span.quote in ("", char):
            span.quote = "" if span.quote else char
            span.position += 1
        elif char == "$" and span.quote != "'":
            return self._dollar(span)
        else:
            span.out.append(char)
            span.position += 1
        return None

    def _dollar(self, span: _Span) -> _Span | None:
        index = span.position
        braced = BRACED_HEAD.match(self.text, index)
        end = self.closes.get(index + 1, -1) if braced else -1
        if braced and end > 0:
            span.position = end
            return self._braced(braced, end, span.out)
        simple = SIMPLE.match(self.text, index)
        if simple:
            span.out.append(_lookup(simple.group(1), self.env))
            span.position = simple.end()
        else:
            span.out.append("$")
            span.position += 1
        return None

    def _braced(self, head: re.Match[str], end: int, out: list[str]) -> _Span | None:
        """`${NAME}` or `${NAME<op>word}` closing at end: its value goes to
        out, or the word to expand comes back as a span."""
        name, operator = head.groups()
        word = _Span(head.end(), end - 1)
        if operator is None:
            if word.end > word.position:
                raise Unknown(name)   # ${X#pattern} and friends: not modelled
            out.append(_lookup(name, self.env))
            return None
        # An ARG declared without a value is unset in a build that does not pass
        # it, so the default form gives its word; a plain `$X` of it stays unknown.
        value = self.env.get(name)
        is_set = value is not None and (value != "" or not operator.startswith(":"))
        if operator.endswith("+"):
            return word if is_set else None
        if is_set and value is not None:
            out.append(value)
            return None
        if operator[-1] in "-=":
            return word
        raise Unknown(name)  # ${X:?msg} with X unset fails the build


def _expand(text: str, env: Env, escape: str = "\\") -> str:
    if NOTHING_TO_EXPAND.fullmatch(text):
        return text   # most words: no quote, escape or $ (either escape character)
    return _Expansion(text, env, escape).run()


def expand_word(text: str, env: Env, escape: str = "\\") -> str | None:
    """Expand a Dockerfile word (quotes removed, escapes applied) or None."""
    try:
        return _expand(text, env, escape)
    except Unknown:
        return None


def split_words(text: str, escape: str = "\\") -> list[str]:
    """Split instruction arguments on unquoted blanks, keeping quotes and
    escapes in each word for `expand_word` to process."""
    if escape not in text and "'" not in text and '"' not in text:   # most ENV and ARG lines: a plain split
        return [word for word in text.replace("\t", " ").split(" ") if word]
    words: list[str] = []
    current: list[str] = []
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == escape and quote != "'" and index + 1 < len(text):
            current.append(text[index:index + 2])
            index += 2
            continue
        if char in "'\"" and quote in ("", char):
            quote = "" if quote else char
        if char in " \t" and not quote:
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(char)
        index += 1
    if current:
        words.append("".join(current))
    return words


def parse_assignments(arguments: str, escape: str, env: Env) -> list[tuple[str, str | None]]:
    """ENV/ARG `k=v k2="v 2"` pairs, or the legacy `ENV k v w` form.

    A bare ARG name comes back with value None (declared, no default)."""
    words = split_words(arguments, escape)
    if words and "=" not in words[0] and len(words) > 1:
        return [(words[0], expand_word(" ".join(words[1:]), env, escape))]
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        name, sep, value = word.partition("=")
        if NAME.fullmatch(name):
            pairs.append((name, expand_word(value, env, escape) if sep else None))
    return pairs
