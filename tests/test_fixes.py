"""The merged-RUN rewrite: it parses, it strands nothing, applying it twice
changes nothing, and the file's layout (CRLF, BOM, final newline) is kept."""
from pathlib import Path

import pytest

from dlayerlint.analysis import analyze
from dlayerlint.fixes import apply_fixes

# the README's example: the classic layer-bloat Dockerfile
CLASSIC = (Path(__file__).resolve().parents[1] / "examples" / "classic" / "Dockerfile").read_text()


def fixed(text: str) -> str:
    return apply_fixes(text, [f.fix for f in analyze(text).findings if f.fix is not None])


def test_classic_merge_strands_nothing_and_is_idempotent():
    once = fixed(CLASSIC)
    assert "RUN mkdir /data\nRUN dd if=/dev/zero bs=1024 count=1024 of=/data/one \\\n    && chmod -R 0777 /data" in once
    assert once.endswith("    && rm /data/one\nCMD ls -alh /data\n")
    after = analyze(once)
    assert not after.errors and not after.findings
    assert after.stranded.bytes == 0
    assert fixed(once) == once


@pytest.mark.parametrize("variant", [CLASSIC.replace("\n", "\r\n"), "\ufeff" + CLASSIC, CLASSIC.rstrip("\n")])
def test_layout_is_kept(variant):
    once = fixed(variant)
    assert once.startswith("\ufeff") == variant.startswith("\ufeff")
    assert once.endswith("\n") == variant.endswith("\n")
    assert ("\r\n" in once) == ("\r\n" in variant)
    assert not analyze(once).findings


def test_state_leaking_bodies_run_in_a_subshell():
    text = "FROM busybox\nRUN cd /tmp && dd if=/dev/zero of=x bs=1k count=8\nRUN cd /tmp; rm x\n"
    once = fixed(text)
    assert "( cd /tmp; rm x )" in once
    assert not analyze(once).findings


def test_no_merge_across_other_instructions_or_differing_flags():
    across = "FROM busybox\nRUN dd if=/dev/zero of=/x bs=1k count=8\nENV A=1\nRUN rm /x\n"
    flags = "FROM busybox\nRUN dd if=/dev/zero of=/x bs=1k count=8\nRUN --network=none rm /x\n"
    for text in (across, flags):
        findings = analyze(text).findings
        assert [f.rule.id for f in findings] == ["DLL101"]
        assert findings[0].fix is None


def test_comments_between_merged_runs_are_kept_above():
    text = "FROM busybox\nRUN dd if=/dev/zero of=/x bs=1k count=8\n# drop it\nRUN rm /x\n"
    assert fixed(text) == ("FROM busybox\n# drop it\nRUN dd if=/dev/zero of=/x bs=1k count=8 \\\n"
                           "    && rm /x\n")
