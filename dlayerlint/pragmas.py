"""Inline suppressions in Dockerfile comments.

    # dlayerlint: disable=DLL101,copy-then-chmod   the next instruction
    # dlayerlint: disable-file=cache-left-in-image  the whole file
    # hadolint ignore=DL3009                        the next instruction, for the
    # hadolint global ignore=DL3009                 rules that map onto hadolint's

A finding is matched by the line it is on: a pragma covers the lines of the
instruction that follows it. `disable=all` covers every rule.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .catalogue import Example, Rule
from .findings import Analysis, Finding
from .model import Comment, Dockerfile, Span

_NAMES = r"(?P<names>[\w.-]+(?:[ \t]*,[ \t]*[\w.-]+)*)"
OWN = re.compile(r"dlayerlint:[ \t]*(?P<kind>disable-file|disable)[ \t]*=[ \t]*" + _NAMES + r"(?:\s|$)")
HADOLINT = re.compile(r"hadolint[ \t]+(?P<kind>global[ \t]+)?ignore[ \t]*=[ \t]*" + _NAMES)

# defined here, not in rules/: it judges pragmas, not layers, and is reported only when asked for
UNUSED_PRAGMA = Rule(
    id="DLL001", name="unused-pragma", severity="warning",
    summary="A `# dlayerlint:` pragma that suppresses nothing, names no rule, or cannot be read.",
    message="{message}",
    rationale=(
        "A pragma left behind after the instruction it excused was fixed keeps that rule\n"
        "silenced there, so the next real finding on that instruction goes unseen; a\n"
        "misspelt rule name or a malformed pragma looks like a suppression but\n"
        "suppresses nothing. DLL001 is reported only when asked for, with\n"
        "`--report-unused-pragmas` or `report-unused-pragmas: true` in the config\n"
        "file; `# hadolint` pragmas are not checked (their other ids are hadolint's).\n"),
    fix="Remove the pragma, or correct the rule name (see `dlayerlint rules`).",
    examples=(
        Example("bad", "FROM debian:bookworm\n"
                       "# dlayerlint: disable=cache-left-in-image\n"
                       "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", {}),
        Example("bad", "FROM busybox\n"
                       "# dlayerlint: disable=removed-in-later-layr\n"
                       "RUN head -c 10 /dev/zero > /a\n"
                       "RUN rm /a\n", {}),
        Example("good", "FROM debian:bookworm\n"
                        "# dlayerlint: disable=cache-left-in-image  -- the dev image installs more at run time\n"
                        "RUN apt-get update && apt-get install -y curl\n", {}),
        Example("fixed", "FROM debian:bookworm\n"
                         "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", {}),
    ),
    help_uri="https://github.com/dlayerlint/dlayerlint#pragmas")


@dataclass(frozen=True, slots=True)
class Pragma:
    comment: Comment
    names: tuple[str, ...]
    targets: tuple[frozenset[str], ...]   # the rule ids each name stands for (empty: unknown name)
    lines: tuple[int, int] | None          # covered lines; None: the whole file
    hadolint: bool                         # hadolint's: its other ids are hadolint's business

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
            if comment.text.lower().startswith("dlayerlint:"):
                unreadable.append(comment)
            continue
        names = tuple(name.strip(" \t") for name in match.group("names").split(","))
        whole_file = bool(match.group("kind")) and match.group("kind").strip() in ("disable-file", "global")
        lines = None if whole_file else _next_instruction_lines(dockerfile, comment.line)
        pragmas.append(Pragma(comment, names, _targets(names, known, own is None), lines, own is None))
    return pragmas, unreadable


def _pragma_finding(dockerfile: Dockerfile, comment: Comment, message: str) -> Finding:
    end = len(dockerfile.lines[comment.line - 1]) + 1 if comment.line <= len(dockerfile.lines) else comment.column
    return Finding(UNUSED_PRAGMA, Span.of(comment.line, comment.column, comment.line, end), message, [], None)


def _unused(dockerfile: Dockerfile, pragmas: list[Pragma], used: set[tuple[int, int]],
            unreadable: list[Comment]) -> Iterator[Finding]:
    for comment in unreadable:
        yield _pragma_finding(dockerfile, comment, f"unrecognised pragma `# {comment.text}` "
                                                   "(expected `# dlayerlint: disable=RULE` or `disable-file=RULE`)")
    for index, pragma in enumerate(pragmas):
        if pragma.hadolint:
            continue
        for position, (name, ids) in enumerate(zip(pragma.names, pragma.targets)):
            if not ids:
                message = f"pragma names no rule '{name}' (see `dlayerlint rules`)"
            elif (index, position) not in used:
                message = f"pragma `disable={name}` suppresses nothing"
            else:
                continue
            yield _pragma_finding(dockerfile, pragma.comment, message)


def apply_pragmas(analysis: Analysis, known: Mapping[str, Rule], report_unused: bool) -> None:
    """Drop the findings a pragma covers; with report_unused, add findings for idle pragmas."""
    pragmas, unreadable = parse_pragmas(analysis.dockerfile, known)
    if not pragmas and not (report_unused and unreadable):
        return
    used: set[tuple[int, int]] = set()
    kept = []
    for finding in analysis.findings:
        hits = {(index, position) for index, pragma in enumerate(pragmas) if pragma.covers(finding)
                for position, ids in enumerate(pragma.targets) if finding.rule.id in ids}
        used |= hits
        if not hits:
            kept.append(finding)
    if report_unused:
        kept += _unused(analysis.dockerfile, pragmas, used, unreadable)
        kept.sort(key=lambda f: (f.span.start, f.rule.id))
    analysis.findings = kept
