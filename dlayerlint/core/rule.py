"""A rule's catalogue entry: id, name, severity, message template and examples."""
from __future__ import annotations

from dataclasses import dataclass

from .record import Record

SEVERITIES = ("error", "warning", "info")
# where each built-in rule's full description lives (a stable URI: the rule's file on the main branch)
RULE_URI = "https://github.com/dlayerlint/dlayerlint/blob/main/rules/{id}.yaml"


class Example(Record):  # pylint: disable=too-few-public-methods  # a value
    __slots__ = ("kind", "dockerfile", "context")

    def __init__(self, kind: str, dockerfile: str, context: dict[str, int]) -> None:
        self.kind = kind                # "bad", "good" or "fixed"
        self.dockerfile = dockerfile
        self.context = context          # file name → size, for COPY examples


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
