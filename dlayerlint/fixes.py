"""Rewrites that remove stranded bytes: merging the RUN that made a path with
the RUN that removes or rewrites it (and every RUN between them).

A merge is offered only when the model can vouch for it: every instruction in
the range is a shell-form RUN with the same flags and no heredoc. Each RUN's
body runs in a subshell when it could leak state (`cd`, `export`, `set`,
`;`, `||`) into the bodies after it, so the merged RUN fails when any part
fails, exactly as the separate RUNs would.
"""
from __future__ import annotations

import re

from .findings import Analysis, Finding, Fix
from .model import Dockerfile, Instruction

MERGEABLE = frozenset({"DLL101", "DLL102", "DLL104", "DLL106", "DLL107"})
LEAKS_STATE = re.compile(r";|\|\||(?<![&>])&(?![&>])|\n|(?:^|[\s;&|(])(?:cd|export|set|unset|umask|source|\.|"
                         r"pushd|popd|shopt|alias|exit|[A-Za-z_][A-Za-z0-9_]*=)(?:\s|$)")


def attach_fixes(analysis: Analysis) -> None:
    """Give each finding whose layers can be merged the merged RUN."""
    ranges = _merged_ranges([f for f in analysis.findings if f.rule.id in MERGEABLE and len(f.layers) > 1])
    instructions = analysis.dockerfile.instructions
    for first, last, findings in ranges:
        fix = merge_runs(analysis.dockerfile, instructions[first:last + 1])
        for finding in findings:
            finding.fix = fix


def _merged_ranges(findings: list[Finding]) -> list[tuple[int, int, list[Finding]]]:
    spans = sorted(((min(f.layers), max(f.layers), f) for f in findings), key=lambda item: item[:2])
    merged: list[tuple[int, int, list[Finding]]] = []
    for first, last, finding in spans:
        if merged and first <= merged[-1][1]:
            start, end, group = merged[-1]
            merged[-1] = (start, max(end, last), group + [finding])
        else:
            merged.append((first, last, [finding]))
    return merged


def merge_runs(dockerfile: Dockerfile, instructions: list[Instruction]) -> Fix | None:
    runs = [i for i in instructions if i.keyword == "RUN"]
    if len(runs) != len(instructions) or len(runs) < 2:
        return None
    flags = {_flags_text(dockerfile, run) for run in runs}
    if len(flags) != 1 or "\0" in flags or any(run.exec_form is not None or run.heredocs for run in runs):
        return None
    escape = dockerfile.escape
    bodies = [_body_text(dockerfile, run) for run in runs]
    parts = [f"( {body} )" if index and LEAKS_STATE.search(run.arguments) else body
             for index, (run, body) in enumerate(zip(runs, bodies))]
    if LEAKS_STATE.search(runs[0].arguments):
        parts[0] = f"( {bodies[0]} )"
    comments = _comments_between(dockerfile, runs[0].line, runs[-1].end_line)
    text = "RUN " + flags.pop() + f" {escape}\n    && ".join(parts)
    replacement = "".join(comment + "\n" for comment in comments) + text
    first_line, last_line = runs[0].line, runs[-1].end_line
    return Fix(first_line, last_line, replacement, safe=True,
               description=f"merge the RUN instructions of lines {first_line}-{last_line} into one layer")


def _flags_text(dockerfile: Dockerfile, run: Instruction) -> str:
    """The RUN's flags as written (quotes kept), each followed by a blank."""
    texts = []
    for flag in run.flags:
        start, end = flag.span.start, flag.span.end
        if start.line != end.line:
            return "\0"   # a flag split across lines: not merged
        texts.append(dockerfile.lines[start.line - 1][start.column - 1:end.column - 1] + " ")
    return "".join(texts)


def _body_text(dockerfile: Dockerfile, run: Instruction) -> str:
    """The RUN's command as written, continuations and inner comments kept."""
    start = run.arguments_map.position(0)
    lines = dockerfile.lines[start.line - 1:run.end_line]
    lines[0] = lines[0][start.column - 1:]
    lines[-1] = lines[-1].rstrip()
    return "\n".join(lines).rstrip()


def _comments_between(dockerfile: Dockerfile, first: int, last: int) -> list[str]:
    """Whole-line comments between the merged RUNs (not inside one)."""
    inside = set()
    for instruction in dockerfile.instructions:
        if first <= instruction.line <= last:
            inside.update(range(instruction.line, instruction.end_line + 1))
    return [dockerfile.lines[c.line - 1] for c in dockerfile.comments
            if first <= c.line <= last and c.line not in inside]


def apply_fixes(text: str, fixes: list[Fix]) -> str:
    """The text with each fix's whole-line range replaced; overlapping fixes
    after the first are skipped. Line endings (LF or CRLF), a BOM and the
    final newline are kept."""
    newline = "\r\n" if "\r\n" in text else "\n"
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    ends_with_newline = body.endswith("\n")
    # split as the parser does: only \n ends a line, a \r before it is part of the ending
    lines = [line.removesuffix("\r") for line in body.split("\n")]
    if ends_with_newline:
        lines.pop()
    output: list[str] = []
    line = 1
    for fix in sorted(set(fixes), key=lambda f: f.start_line):
        if fix.start_line < line or fix.end_line > len(lines):
            continue
        output += lines[line - 1:fix.start_line - 1] + fix.replacement.split("\n")
        line = fix.end_line + 1
    output += lines[line - 1:]
    return bom + newline.join(output) + (newline if ends_with_newline else "")
