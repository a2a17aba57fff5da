"""Every example in the rule catalogue, and of DLL001 unused-pragma (defined in
dlayerlint/pragmas.py), runs: bad examples raise their rule, good and fixed
ones do not, and each rule's message fills its template."""
from pathlib import Path

import pytest

from dlayerlint.lint import lint
from dlayerlint.core.rule import SEVERITIES
from dlayerlint.rules.catalogue import find_rule, rules
from dlayerlint.config import Config
from dlayerlint.simulate.context.build import BuildContext
from dlayerlint.rules.plugins import known_rules
from dlayerlint.rules.pragmas import UNUSED_PRAGMA

KNOWN = known_rules([])   # the catalogue and DLL001
EXAMPLES = [(rule.id, index, example) for rule in KNOWN.values()
            for index, example in enumerate(rule.examples)]


def lint_example(example, tmp_path: Path):
    for name, size in example.context.items():
        (tmp_path / name).write_bytes(b"x" * size)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(example.dockerfile)
    # DLL001 is reported only when asked for; no other rule's example holds a pragma
    return lint(example.dockerfile, Config(report_unused_pragmas=True), BuildContext(tmp_path, dockerfile=dockerfile))


@pytest.mark.parametrize("rule_id,index,example", EXAMPLES,
                         ids=[f"{r}-{e.kind}-{i}" for r, i, e in EXAMPLES])
def test_example(rule_id, index, example, tmp_path):
    del index
    analysis = lint_example(example, tmp_path)
    assert not analysis.errors
    fired = [f for f in analysis.findings if f.rule.id == rule_id]
    if example.kind == "bad":
        assert fired, f"{rule_id} did not fire on its bad example"
        assert all("{" not in f.message for f in fired)
    else:
        assert not fired, [f.message for f in fired]


def test_every_rule_has_bad_and_good_examples_and_valid_metadata():
    assert list(rules()) == sorted(rules())
    assert "DLL001" in KNOWN and "DLL001" not in rules()
    for rule in KNOWN.values():
        kinds = {example.kind for example in rule.examples}
        assert {"bad", "good"} <= kinds, rule.id
        assert rule.severity in SEVERITIES
        assert rule.name == rule.name.lower() and " " not in rule.name


def test_rules_are_found_by_id_or_name():
    assert find_rule("dll101") is find_rule("removed-in-later-layer") is rules()["DLL101"]
    assert find_rule("nope") is None
    assert "Bad:" in rules()["DLL103"].explain()
    assert find_rule("unused-pragma") is None and find_rule("unused-pragma", KNOWN) is UNUSED_PRAGMA


def test_no_catalogue_example_holds_a_pragma():
    """Their examples run with pragmas applied: one would change what they test."""
    for rule in rules().values():
        assert not any("dlayerlint:" in e.dockerfile or "hadolint" in e.dockerfile for e in rule.examples), rule.id
