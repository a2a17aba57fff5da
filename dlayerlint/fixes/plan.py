"""One rewrite plan per file, for `check --fix`, `--unsafe-fixes` and `--diff`.

The plan is built in two parts. The safe part comes first: safe fixes only,
lint-then-fix until none is left. The unsafe part goes on from the safe text
with the unsafe fixes too. So `--fix` applies a prefix of what
`--unsafe-fixes` applies, and the two never disagree.

Each round takes the fixes of the current text by the stranded bytes they
remove, most first, and skips any that overlaps one taken. Fixes that only
become possible once another is applied (a merge into a merge) come in a
later round. A round is refused when it would add a parse error, or when it
would strand more bytes than before. A second run of the plan's output
changes nothing.

Writing the file (atomically, mode kept) is app/fix.py's job: here is only text.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..core.results import Fix
from ..core.sizes import Size
from ..simulate.analysis import Analysis
from .edit import apply_fixes, applicable

# fixes that touch the same lines go one per round: a merged RUN with twenty `pip install`s each
# getting `--no-cache-dir` needs twenty (the corpus round-trip found one that ten left unfinished)
MAX_ROUNDS = 64


class FixError(Exception):
    """The file could not be rewritten; it is untouched."""


@dataclass(slots=True)
class Plan:
    text: str                      # the rewritten text (the original when no fix applies)
    applied: list[Fix] = field(default_factory=list)
    # the stranded bytes predicted for the original and for the rewrite (None: no build stage)
    before: Size | None = None
    after: Size | None = None
    # with `preview_unsafe`, on a safe plan: what --unsafe-fixes would apply on top, and its bytes
    unsafe_rest: list[Fix] = field(default_factory=list)
    after_unsafe: Size | None = None


def _chosen(analysis: Analysis, unsafe: bool) -> dict[Fix, int]:
    """The fixes a round may apply (safe ones, and with `unsafe` the unsafe ones; never manual
    ones), each with the stranded bytes its findings name."""
    value: dict[Fix, int] = {}
    for finding in analysis.findings:
        fix = finding.fix
        if fix is not None and not fix.manual and (fix.safe or unsafe):
            value[fix] = value.get(fix, 0) + (finding.wasted.bytes if finding.wasted is not None else 0)
    return value


def _worse(before: Size | None, after: Size | None) -> bool:
    return before is not None and after is not None and after.known and before.known and after.bytes > before.bytes


def _converge(plan: Plan, analysis: Analysis, lint: Callable[[str], Analysis], unsafe: bool) -> Analysis:
    """Apply rounds of fixes to `plan` until none is left; returns the analysis of its text."""
    errors = len(analysis.errors)
    for _ in range(MAX_ROUNDS):
        fixes = applicable(_chosen(analysis, unsafe), plan.text)
        if not fixes:
            break
        new = apply_fixes(plan.text, fixes)
        after = lint(new)
        if new == plan.text or len(after.errors) > errors or _worse(analysis.stranded, after.stranded):
            break
        plan.text, analysis = new, after
        plan.applied += fixes
        plan.after = after.stranded
    return analysis


def fix_text(text: str, lint: Callable[[str], Analysis], unsafe: bool = False,
             preview_unsafe: bool = False) -> Plan:
    """The file's plan: its safe part, and with `unsafe` the rest; with `preview_unsafe`
    (and not `unsafe`) what the rest would add is in `unsafe_rest` and `after_unsafe`."""
    analysis = lint(text)
    plan = Plan(text, before=analysis.stranded, after=analysis.stranded)
    analysis = _converge(plan, analysis, lint, unsafe=False)
    if unsafe or preview_unsafe:
        rest = Plan(plan.text, after=plan.after)
        _converge(rest, analysis, lint, unsafe=True)
        if unsafe:
            plan.text, plan.after = rest.text, rest.after
            plan.applied += rest.applied
        else:
            plan.unsafe_rest, plan.after_unsafe = rest.applied, rest.after
    return plan
