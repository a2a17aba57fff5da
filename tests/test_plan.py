"""The file's one plan: safe part first, then the unsafe rest; fixes most bytes first;
no round that strands more."""
from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

from dlayerlint.core.results import Fix
from dlayerlint.core.sizes import exact
from dlayerlint.fixes.edit import applicable
from dlayerlint.fixes.plan import fix_text
from dlayerlint.lint import analyze

# merging lines 2-4 is safe (a LABEL moves below); merging lines 5-7 is unsafe (an ARG moves above)
MIXED = ("FROM busybox\nRUN dd if=/dev/zero of=/x bs=1k count=64\nLABEL a=b\nRUN rm /x\n"
         "RUN dd if=/dev/zero of=/y bs=1k count=8\nARG N=1\nRUN rm /y\n")


def test_the_safe_part_is_a_prefix_of_the_unsafe_plan():
    safe = fix_text(MIXED, analyze)
    full = fix_text(MIXED, analyze, unsafe=True)
    assert safe.text != MIXED and full.text != safe.text
    assert fix_text(safe.text, analyze, unsafe=True).text == full.text
    assert full.applied[:len(safe.applied)] == safe.applied


def test_a_preview_says_what_the_unsafe_rest_adds_without_applying_it():
    plan = fix_text(MIXED, analyze, preview_unsafe=True)
    assert plan.text == fix_text(MIXED, analyze).text
    assert plan.unsafe_rest and all(not fix.safe for fix in plan.unsafe_rest)
    assert plan.after_unsafe.bytes < plan.after.bytes


def test_of_two_overlapping_fixes_the_one_removing_more_bytes_is_taken():
    small = Fix(2, 3, "RUN a", True, "small")
    big = Fix(3, 5, "RUN b", True, "big")
    apart = Fix(7, 7, "RUN c", True, "apart")
    text = "".join(f"line {n}\n" for n in range(1, 9))
    assert applicable({small: 10, big: 1000, apart: 1}, text) == [big, apart]
    assert applicable([small, big, apart], text) == [small, apart]     # no values: line order


def _fake(stranded: int, fixes: list[Fix]) -> SimpleNamespace:
    findings = [SimpleNamespace(fix=fix, wasted=exact(100)) for fix in fixes]
    return SimpleNamespace(findings=findings, errors=[], stranded=exact(stranded))


def test_a_round_that_would_strand_more_is_refused():
    worse = Fix(2, 2, "RUN worse", True, "worse")
    lints = {"FROM x\nRUN a\n": _fake(10, [worse]), "FROM x\nRUN worse\n": _fake(50, [])}
    plan = fix_text("FROM x\nRUN a\n", lints.__getitem__)
    assert plan.text == "FROM x\nRUN a\n" and not plan.applied


def test_diff_shows_the_plan_and_the_unsafe_rest(tmp_path):
    (tmp_path / "Dockerfile").write_text(MIXED)
    ran = subprocess.run([sys.executable, "-m", "dlayerlint", "check", "--diff", "Dockerfile"], cwd=tmp_path,
                         capture_output=True, text=True, check=False)
    assert ran.returncode == 1 and ran.stdout.startswith("--- a/Dockerfile")
    assert "Dockerfile: plan of 1 fix: stranded bytes predicted" in ran.stderr
    assert "Dockerfile: --unsafe-fixes would add 1 unsafe fix, leaving" in ran.stderr
