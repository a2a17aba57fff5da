"""The rule catalogue: one YAML file per rule in `rules/`, with its id,
symbolic name, severity, message template, rationale and examples."""
from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from ..core.datafiles import catalogue_dir, load_yaml
from ..core.rule import SEVERITIES, RULE_URI, Example, Rule


def _rule(data: dict) -> Rule:
    examples = tuple(
        Example(kind, item["dockerfile"] if isinstance(item, dict) else item,
                dict(item.get("context", {})) if isinstance(item, dict) else {})
        for kind in ("bad", "good", "fixed") for item in data.get("examples", {}).get(kind, []))
    severity = data["severity"]
    if severity not in SEVERITIES:
        raise ValueError(f"rule {data['id']}: severity must be one of {SEVERITIES}")
    return Rule(id=data["id"], name=data["name"], severity=severity, summary=" ".join(data["summary"].split()),
                message=data["message"], rationale=data["rationale"], fix=data.get("fix", ""),
                examples=examples, hadolint=tuple(data.get("hadolint", ())),
                help_uri=RULE_URI.format(id=data["id"]))


@cache
def rules() -> dict[str, Rule]:
    """Every rule by id, in id order."""
    found = []
    for path in sorted(catalogue_dir().glob("DLL*.yaml")):
        found.append(_rule(load_yaml(path)))
    return {rule.id: rule for rule in found}


def find_rule(name_or_id: str, among: Mapping[str, Rule] | None = None) -> Rule | None:
    """The rule of that id or name in `among` (default: the catalogue)."""
    key = name_or_id.strip()
    for rule in (rules() if among is None else among).values():
        if key.upper() == rule.id or key.lower() == rule.name:
            return rule
    return None
