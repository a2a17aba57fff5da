"""The checks: each turns the replayed history into findings of its rules.

A check is a module with a `check(analysis)` function yielding findings;
rule metadata and message templates come from the catalogue (`rules/`).
"""
from __future__ import annotations

from ..findings import Analysis, Finding
from . import cache_left, purged_later, stranded

CHECKS = (stranded.check, cache_left.check, purged_later.check)


def run_checks(analysis: Analysis) -> list[Finding]:
    findings = [finding for check in CHECKS for finding in check(analysis)]
    findings.sort(key=lambda f: (f.span.start, f.rule.id))
    return findings
