"""Inline suppressions in Dockerfile comments.

    # dlayerlint: disable=DLL101,copy-then-chmod   the next instruction
    # dlayerlint: disable-file=cache-left-in-image  the whole file
    # dlayerlint: ignore=DLL105                     = disable (hadolint's verb)
    # hadolint ignore=DL3009                        the next instruction, for the
    # hadolint global ignore=DL3009                 rules that map onto hadolint's

A finding is matched by the line it is on: a pragma covers the lines of the
instruction that follows it. `disable=all` covers every rule. Pragmas are read
without regard to case (`# DLAYERLINT: DISABLE=dll101`), as hadolint reads its own;
a comment that starts with `dlayerlint` but is not a pragma is returned as
unreadable, never dropped in silence.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from ..core.record import Record

from ..core.rule import Rule
from ..core.results import Finding
from .model import Comment, Dockerfile

_NAMES = r"(?P<names>[\w.-]+(?:[ \t]*,[ \t]*[\w.-]+)*)"
OWN = re.compile(r"dlayerlint:[ \t]*(?P<kind>disable-file|disable|ignore)[ \t]*=[ \t]*" + _NAMES + r"(?:\s|$)",
                 re.IGNORECASE)
HADOLINT = re.compile(r"hadolint[ \t]+(?P<kind>global[ \t]+)?ignore[ \t]*=[ \t]*" + _NAMES, re.IGNORECASE)
# meant for dlayerlint, colon or not (`# dlayerlint ignore=X`): unreadable unless OWN reads it
MEANT_FOR_US = re.compile(r"dlayerlint\b", re.IGNORECASE)


class Pragma(Record):
    __slots__ = ("comment", "names", "targets", "lines", "hadolint")

    def __init__(self, comment: Comment, names: tuple[str, ...],
                 targets: tuple[frozenset[str], ...], lines: tuple[int, int] | None, hadolint: bool) -> None:
        self.comment = comment
        self.names = names
        self.targets = targets      # the rule ids each name stands for (empty: unknown name)
        self.lines = lines          # covered lines; None: the whole file
        self.hadolint = hadolint    # hadolint's: its other ids are hadolint's business

    def covers(self, finding: Finding) -> bool:
        return self.lines is None or self.lines[0] <= finding.span.start.line <= self.lines[1]


def _targets(names: tuple[str, ...], known: Mapping[str, Rule], hadolint: bool) -> tuple[frozenset[str], ...]:
    if hadolint:
        return tuple(frozenset(rule.id for rule in known.values() if name.upper() in rule.hadolint)
                     for name in names)
    by_key = {key: rule.id for rule in known.values() for key in (rule.id, rule.name)}
    return tuple(frozenset(known) if name.lower() == "all" else
                 frozenset({by_key[k] for k in (name.upper(), name.lower()) if k in by_key})
                 for name in names)


def _next_instruction_lines(dockerfile: Dockerfile, line: int) -> tuple[int, int]:
    instructions = sorted(dockerfile.instructions, key=lambda i: i.line)
    following = bisect_right([i.line for i in instructions], line)
    if following == len(instructions):
        return (0, -1)   # nothing follows: covers no line
    return (instructions[following].line, instructions[following].end_line)


def parse_pragmas(dockerfile: Dockerfile, known: Mapping[str, Rule]) -> tuple[list[Pragma], list[Comment]]:
    """The pragmas, and the `dlayerlint:` comments that could not be read."""
    pragmas, unreadable = [], []
    for comment in dockerfile.comments:
        own, other = OWN.match(comment.text), HADOLINT.match(comment.text)
        match = own or other
        if match is None:
            if MEANT_FOR_US.match(comment.text):
                unreadable.append(comment)
            continue
        names = tuple(name.strip(" \t") for name in match.group("names").split(","))
        whole_file = bool(match.group("kind")) and match.group("kind").strip().lower() in ("disable-file", "global")
        lines = None if whole_file else _next_instruction_lines(dockerfile, comment.line)
        pragmas.append(Pragma(comment, names, _targets(names, known, own is None), lines, own is None))
    return pragmas, unreadable
