"""Inline pragmas: `# dlayerlint: disable=…` (next instruction), `disable-file=…`,
hadolint's `# hadolint ignore=…` for the mapped rules, and --report-unused-pragmas."""
from __future__ import annotations

import pytest

from dlayerlint.lint import lint
from dlayerlint.config import Config

TWICE = ("FROM busybox\n"
         "RUN head -c 10 /dev/zero > /a && head -c 10 /dev/zero > /b\n"
         "{pragma}"
         "RUN rm /a\n"
         "RUN rm /b\n")
APT_LATER = ("FROM debian:bookworm\n"
             "RUN apt-get update && apt-get install -y --no-install-recommends curl\n"
             "{pragma}"
             "RUN rm -rf /var/lib/apt/lists/*\n")


def found(text: str, **settings) -> list[tuple[str, int]]:
    return [(f.rule.id, f.span.start.line) for f in lint(text, Config(**settings)).findings]


def test_no_pragma_two_findings():
    assert found(TWICE.format(pragma="")) == [("DLL101", 3), ("DLL101", 4)]


@pytest.mark.parametrize("pragma", [
    "# dlayerlint: disable=DLL101\n",
    "# dlayerlint: disable=removed-in-later-layer\n",
    "#dlayerlint:disable = DLL103 , dll101   -- the build cache needs /a\n",
    "# dlayerlint: disable=all\n",
    "# dlayerlint: ignore=DLL101\n",                 # hadolint's verb
    "# DLAYERLINT: DISABLE=dll101\n",                # any case, as hadolint reads its own
    "# Dlayerlint: Ignore=Removed-In-Later-Layer\n",
])
def test_disable_covers_the_next_instruction_only(pragma):
    assert found(TWICE.format(pragma=pragma)) == [("DLL101", 5)]


def test_disable_of_another_rule_keeps_the_finding():
    assert found(TWICE.format(pragma="# dlayerlint: disable=DLL102\n")) == [("DLL101", 4), ("DLL101", 5)]


def test_disable_file_covers_every_line():
    text = "# dlayerlint: disable-file=DLL101\n" + TWICE.format(pragma="")
    assert found(text) == []


def test_a_finding_on_a_continuation_line_is_matched_by_its_instruction():
    text = ("FROM busybox\nRUN head -c 10 /dev/zero > /a\n"
            "# dlayerlint: disable=DLL101\n"
            "RUN echo start \\\n    && rm /a\n")
    assert found(text.replace("# dlayerlint: disable=DLL101\n", "# another comment\n")) == [("DLL101", 5)]
    assert found(text) == []


@pytest.mark.parametrize("pragma, expected", [
    ("# hadolint ignore=DL3009\n", []),                          # DL3009 maps onto DLL104
    ("# hadolint ignore=DL3059,DL3009,SC2086\n", []),
    ("# hadolint ignore=DL3042\n", [("DLL104", 4)]),             # maps onto DLL105 only
    ("# hadolint ignore=DL3059\n", [("DLL104", 4)]),             # maps onto no rule
])
def test_hadolint_ignore_for_mapped_rules(pragma, expected):
    assert found(APT_LATER.format(pragma=pragma)) == expected


def test_hadolint_global_ignore():
    text = "# hadolint global ignore=DL3009\n" + APT_LATER.format(pragma="# a comment\n")
    assert found(text) == []


def unused(text: str) -> list[tuple[int, str]]:
    return [(f.span.start.line, f.message) for f in lint(text, Config(report_unused_pragmas=True)).findings
            if f.rule.id == "DLL001"]


def test_unused_pragmas_are_reported_on_request():
    text = TWICE.format(pragma="# dlayerlint: disable=DLL101,DLL103,nonsense\n")
    assert found(text) == [("DLL101", 5)]
    assert unused(text) == [(3, "pragma `disable=DLL103` suppresses nothing"),
                            (3, "pragma names no rule 'nonsense' (see `dlayerlint rules`)")]


def test_unreadable_and_dangling_pragmas_are_reported():
    text = "FROM busybox\n# dlayerlint: disabel=DLL101\nRUN echo hi\n# dlayerlint: disable=DLL101\n"
    assert unused(text) == [(4, "pragma `disable=DLL101` suppresses nothing")]
    malformed = [f for f in lint(text, Config()).findings if f.rule.id == "DLL002"]
    assert [(f.span.start.line, f.severity, f.message) for f in malformed] == [
        (2, "error", "unrecognised pragma `# dlayerlint: disabel=DLL101` (expected `# dlayerlint: disable=RULE`, "
                     "`ignore=RULE` or `disable-file=RULE`)")]


def test_unused_hadolint_ids_are_hadolints_business():
    assert unused(APT_LATER.format(pragma="# hadolint ignore=DL3008\n")) == []


def test_a_used_pragma_is_not_reported():
    assert unused(TWICE.format(pragma="# dlayerlint: disable=DLL101\n")) == []


def test_report_unused_pragmas_flag_and_exit_code(run_cli, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\n# dlayerlint: disable=DLL101\nRUN echo hi\n")
    assert run_cli("check", "Dockerfile").code == 0
    ran = run_cli("check", "--report-unused-pragmas", "Dockerfile")
    assert ran.code == 1
    assert ran.out.startswith("Dockerfile:2:1: DLL001 unused-pragma [warning]: pragma `disable=DLL101` "
                              "suppresses nothing")
    assert run_cli("check", "--report-unused-pragmas", "--disable", "unused-pragma", "Dockerfile").code == 0


@pytest.mark.parametrize("pragma", ["# dlayerlint ignore=DLL101\n", "# DLAYERLINT: disabled=DLL101\n",
                                    "# dlayerlint: off\n"])
def test_a_malformed_dlayerlint_pragma_is_reported_not_dropped(pragma):
    """It suppresses nothing, and DLL002 (an error, always reported) names it."""
    text = TWICE.format(pragma=pragma)
    assert found(text) == [("DLL002", 3), ("DLL101", 4), ("DLL101", 5)]


def test_a_dlayerlint_pragma_in_any_case_covers_the_whole_file():
    assert found(TWICE.format(pragma="# DLAYERLINT: DISABLE-FILE=DLL101\n")) == []
