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


class Unknown(Exception):
    """Raised inside expansion when a value cannot be known."""


def expand_param(raw: str, env: Env) -> str | None:
    """Expand one parameter expansion written as `$X` or `${X...}`."""
    try:
        return _param(raw, env)
    except Unknown:
        return None


def _param(raw: str, env: Env) -> str:
    match = SIMPLE.fullmatch(raw)
    if match:
        return _lookup(match.group(1), env)
    match = BRACED_HEAD.match(raw)
    if not match or _braced_end(raw, 0) != len(raw):
        raise Unknown(raw)
    name, operator = match.groups()
    word = raw[match.end():-1]
    if operator is None and word:
        raise Unknown(raw)   # ${X#pattern} and friends: not modelled
    if operator is None:
        return _lookup(name, env)
    # An ARG declared without a value is unset in a build that does not pass
    # it, so the default form gives its word; a plain `$X` of it stays unknown.
    value = env.get(name)
    is_set = value is not None and (value != "" or not operator.startswith(":"))
    if operator.endswith("-") or operator.endswith("="):
        return value if is_set and value is not None else _expand(word or "", env)
    if operator.endswith("+"):
        return _expand(word or "", env) if is_set else ""
    if is_set and value is not None:
        return value
    raise Unknown(name)  # ${X:?msg} with X unset fails the build


def _lookup(name: str, env: Env) -> str:
    value = env.get(name)
    if value is None:
        raise Unknown(name)
    return value


def _expand(text: str, env: Env, escape: str = "\\") -> str:
    out: list[str] = []
    index = 0
    quote = ""
    while index < len(text):
        char = text[index]
        if char == escape and quote != "'" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
        elif char in "'\"" and quote in ("", char):
            quote = "" if quote else char
            index += 1
        elif char == "$" and quote != "'":
            raw = _param_at(text, index)
            if raw is None:
                out.append(char)
                index += 1
            else:
                out.append(_param(raw, env))
                index += len(raw)
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _braced_end(text: str, index: int) -> int:
    """Index after the brace that closes the `${` at index, or -1."""
    depth = 0
    position = index + 1
    while position < len(text):
        char = text[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    return -1


def _param_at(text: str, index: int) -> str | None:
    if text.startswith("${", index) and BRACED_HEAD.match(text, index):
        end = _braced_end(text, index)
        return text[index:end] if end > 0 else None
    match = SIMPLE.match(text, index)
    return match.group(0) if match else None


def expand_word(text: str, env: Env, escape: str = "\\") -> str | None:
    """Expand a Dockerfile word (quotes removed, escapes applied) or None."""
    try:
        return _expand(text, env, escape)
    except Unknown:
        return None


def split_words(text: str, escape: str = "\\") -> list[str]:
    """Split instruction arguments on unquoted blanks, keeping quotes and
    escapes in each word for `expand_word` to process."""
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
