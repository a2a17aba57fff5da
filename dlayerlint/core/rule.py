"""A rule's catalogue entry: id, name, severity, message template and examples."""
from __future__ import annotations

from dataclasses import dataclass


SEVERITIES = ("error", "warning", "info")
# where each built-in rule's full description lives (a stable URI: the rule's file on the main branch)
RULE_URI = "https://github.com/dlayerlint/dlayerlint/blob/main/rules/{id}.yaml"


@dataclass(frozen=True, slots=True)
class Example:
    kind: str          # "bad", "good" or "fixed"
    dockerfile: str
    context: dict[str, int]   # file name → size, for COPY examples


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: str
    summary: str
    message: str       # str.format template; fields documented in the rule file
    rationale: str
    fix: str
    examples: tuple[Example, ...]
    hadolint: tuple[str, ...] = ()
    help_uri: str = ""

    def explain(self) -> str:
        lines = [f"{self.id} {self.name} ({self.severity})", "", self.summary, "", self.rationale.strip()]
        if self.fix:
            lines += ["", "How to fix:", self.fix.strip()]
        for example in self.examples:
            body = ["    " + line for line in example.dockerfile.rstrip().splitlines()]
            lines += ["", f"{example.kind.capitalize()}:", *body]
        return "\n".join(lines) + "\n"
