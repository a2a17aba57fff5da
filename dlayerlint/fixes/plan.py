"""`check --fix`, `--unsafe-fixes` and `--diff`: rewrite files with their fixes.

Fixing repeats lint-then-fix until nothing changes (fixes that overlap one
applied in a round go in the next), so a second run changes nothing. A round
that would add a parse error is not taken. The file is replaced atomically
(a temporary file in the same folder, then os.replace) with its mode kept;
on any error the original stays as it was. Line endings, BOM and the final
newline are kept by `apply_fixes`; the text is written back as UTF-8, which is
what it was read as.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..simulate.analysis import Analysis
from ..core.results import Fix
from ..core.sizes import Size
from .edit import apply_fixes, applicable

# fixes that touch the same lines go one per round: a merged RUN with twenty `pip install`s each
# getting `--no-cache-dir` needs twenty (the corpus round-trip found one that ten left unfinished)
MAX_ROUNDS = 64


class FixError(Exception):
    """The file could not be rewritten; it is untouched."""


@dataclass(slots=True)
class Fixed:
    text: str                      # the rewritten text (the original when no fix applies)
    applied: list[Fix] = field(default_factory=list)
    # the stranded bytes predicted for the original and for the rewrite (None: no build stage)
    before: Size | None = None
    after: Size | None = None


def chosen(analysis: Analysis, unsafe: bool) -> list[Fix]:
    """The fixes a run applies: safe ones, and with --unsafe-fixes the unsafe ones; never manual ones."""
    fixes = {f.fix for f in analysis.findings if f.fix is not None}
    return [fix for fix in fixes if not fix.manual and (fix.safe or unsafe)]


def fix_text(text: str, lint: Callable[[str], Analysis], unsafe: bool = False) -> Fixed:
    """The text with its fixes applied to a fixed point (at most MAX_ROUNDS rounds)."""
    fixed = Fixed(text)
    analysis = lint(text)
    fixed.before = fixed.after = analysis.stranded
    errors = len(analysis.errors)
    for _ in range(MAX_ROUNDS):
        fixes = applicable(chosen(analysis, unsafe), fixed.text)
        if not fixes:
            break
        new = apply_fixes(fixed.text, fixes)
        after = lint(new)
        if new == fixed.text or len(after.errors) > errors:
            break
        fixed.text, analysis = new, after
        fixed.applied += fixes
        fixed.after = after.stranded
    return fixed
