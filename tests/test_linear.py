"""Output grows linearly with the Dockerfile (issue 14): measured as sizes and counts, never time.

The inputs are the ones that were quadratic: a `chmod -R` over every earlier layer's files
(each finding listed every path and line), an append to one file in every layer (each
finding repeated the same whole-file merge fix), and both interleaved.
"""
from __future__ import annotations

import json

import pytest

from dlayerlint.lint import analyze
from dlayerlint.report import FileResult
from dlayerlint.report.json_format import render_file
from dlayerlint.rules.common import MAX_LINES, lines_phrase
from dlayerlint.rules.stranded import MAX_LISTED


def _chmod(i: int) -> str:
    return f"RUN dd if=/dev/zero of=/opt/t/f{i} bs=1K count=4 && chmod -R 0755 /opt/t"


def _append(i: int) -> str:
    return f"RUN echo 'export PATH=/opt/p{i}/bin:$PATH' >> /etc/profile"


def _both(i: int) -> str:
    return _chmod(i) if i % 2 else _append(i)


def _dockerfile(block, runs: int) -> str:
    return "FROM debian:bookworm\n" + "\n".join(block(i) for i in range(runs)) + "\n"


def _json(block, runs: int) -> dict:
    text = _dockerfile(block, runs)
    return json.loads(render_file(FileResult("Dockerfile", analyze(text))))


@pytest.mark.parametrize("block", [_chmod, _append, _both])
def test_output_grows_linearly(block) -> None:
    small, large = (len(json.dumps(_json(block, runs))) for runs in (60, 120))
    assert large / small < 2.4, (small, large)   # 2.0 is linear; quadratic output gave ~4


@pytest.mark.parametrize("block", [_chmod, _both])
def test_a_finding_lists_a_bounded_number_of_things(block) -> None:
    findings = _json(block, 120)["findings"]
    assert findings
    for finding in findings:
        assert len(finding["paths"]) <= MAX_LISTED
        assert len(finding["related"]) <= MAX_LISTED + 1   # the last one counts the rest
        assert len(finding["message"]) < 600
    widest = max(findings, key=lambda finding: len(finding["related"]))
    assert widest["related"][-1]["message"].endswith("more places not listed")


def test_a_shared_fix_is_written_once() -> None:
    data = _json(_append, 80)
    with_fix = [index for index, finding in enumerate(data["findings"]) if "fix" in finding]
    pointing = [finding["same_fix_as"] for finding in data["findings"] if "same_fix_as" in finding]
    assert len(with_fix) == 1 and pointing and set(pointing) == set(with_fix)
    assert all("no_fix_reason" not in finding for finding in data["findings"] if "same_fix_as" in finding)


def test_distinct_fixes_are_each_written() -> None:
    data = _json(lambda i: f"RUN head -c 10 /dev/zero > /a{i}\nRUN rm /a{i}", 3)
    assert sum("fix" in finding for finding in data["findings"]) == len(data["findings"]) == 3
    assert all("same_fix_as" not in finding for finding in data["findings"])


def test_lines_phrase_is_capped() -> None:
    assert lines_phrase([3, 5, 7]) == "lines 3, 5 and 7"
    assert lines_phrase(range(1, MAX_LINES + 1)).endswith(f"and {MAX_LINES}")
    phrase = lines_phrase(range(1, 1001))
    assert phrase.startswith("lines 1, 2,") and phrase.endswith("… and 1000 (1000 lines)")
    assert phrase.count(",") == MAX_LINES - 1
