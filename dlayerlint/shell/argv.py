"""Command-line splitting: options, their values and operands, the way
coreutils-style programs read them, so an option's value is never taken for
a path."""
from __future__ import annotations

from typing import Generic, TypeVar

W = TypeVar("W")


class Arguments(Generic[W]):
    __slots__ = ("flags", "values", "operands")

    def __init__(self) -> None:
        self.flags: set[str] = set()
        self.values: dict[str, list[str | None]] = {}
        self.operands: list[tuple[str | None, W]] = []

    def value(self, *names: str) -> str | None:
        for name in names:
            if self.values.get(name):
                return self.values[name][-1]
        return None

    def has(self, *names: str) -> bool:
        return any(name in self.flags for name in names)


def split_arguments(words: list[tuple[str | None, W]], value_options: frozenset[str],
                    operand_like=None) -> Arguments[W]:
    """Split (text, token) pairs; `operand_like(text)` may claim a dash word
    as an operand (chmod's `-x` mode)."""
    result: Arguments[W] = Arguments()
    index = 0
    options_done = False
    while index < len(words):
        text, token = words[index]
        index += 1
        if options_done or _is_operand(text, operand_like):
            result.operands.append((text, token))
        elif text == "--":
            options_done = True
        elif text.startswith("--"):
            name, equals, value = text.partition("=")
            if not equals and name in value_options and index < len(words):
                value, index = words[index][0] or "", index + 1
            _add(result, name, value if equals or name in value_options else None)
        else:
            index = _short_cluster(result, text, words, index, value_options)
    return result


def _is_operand(text: str | None, operand_like) -> bool:
    if text is None or not text.startswith("-") or text == "-":
        return True
    return operand_like is not None and bool(operand_like(text))


def _short_cluster(result: Arguments, text: str, words: list, index: int,
                   value_options: frozenset[str]) -> int:
    if text in value_options:
        value = words[index][0] if index < len(words) else None
        _add(result, text, value)
        return index + 1
    for position, char in enumerate(text[1:], start=1):
        name = "-" + char
        if name in value_options:
            rest = text[position + 1:]
            if rest:
                _add(result, name, rest)
                return index
            value = words[index][0] if index < len(words) else None
            _add(result, name, value)
            return index + 1
        _add(result, name, None)
    return index


def _add(result: Arguments, name: str, value: str | None) -> None:
    result.flags.add(name)
    result.values.setdefault(name, []).append(value)
