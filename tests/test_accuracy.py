"""dlayerlint's byte estimates against real builds.

Cases live in tests/accuracy/<case>/ (Dockerfile, context, case.yaml); the bytes measured by
building them with ../shared/tools/realbuild.py are stored in tests/accuracy/truth.json
(rewrite it with `python benchmarks/accuracy.py --record`).

- test_estimate_matches_recorded_truth: fast; `dlayerlint check --format json` vs truth.json.
- test_estimate_matches_real_build (marker `realbuild`): builds each case again with buildah,
  checks the stored truth still holds (exact cases) and compares dlayerlint with the fresh
  build. Skips without ../shared/tools/realbuild.py, root or buildah.

Loading cases and judging an estimate is shared with benchmarks/accuracy.py, so the tests
and the benchmark agree on what "within tolerance" means.
"""
from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"

_spec = importlib.util.spec_from_file_location("_dlayerlint_accuracy",
                                               REPO / "benchmarks" / "accuracy.py")
acc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(acc)

CASES = acc.case_names()
TRUTH = acc.load_truth()

REQUIRED = {
    "classic", "copy_then_chmod", "copy_then_chown", "workdir_relative", "arg_env_expanded",
    "dockerignore", "mv_touch", "rm_tmp_glob", "rm_dir_recursive", "fallocate_truncate_headc",
    "apt_lists_later", "clean_single_run", "multistage", "sed_append",
    "tar_context_chown", "mv_extracted_dir", "unseen_context",
}


# ------------------------------------------------------------------ the suite itself

def test_every_case_is_complete():
    assert REQUIRED <= set(CASES), f"missing cases: {sorted(REQUIRED - set(CASES))}"
    for name in CASES:
        case = acc.load_case(name)
        assert case["dockerfile"].is_file(), name
        assert case["kind"] in acc.KINDS, name
        assert case["tolerance"] == (0.25 if case["kind"] == "cache" else 0.01), name
        assert name in TRUTH, f"{name}: no truth; run benchmarks/accuracy.py --record --case {name}"
        t = TRUTH[name]
        assert len(t["layers_stranded"]) == len(t["layers_file_bytes"]), name
        assert sum(t["layers_stranded"]) == t["stranded_bytes_above_base"], name
        assert t["final_fs_digest"] and t["measured_with"].startswith("realbuild.py"), name
    orphans = sorted(set(TRUTH) - set(CASES))
    assert not orphans, f"truth.json has cases without a directory: {orphans}"


def test_classic_truth_is_four_mebibytes():
    assert TRUTH["classic"]["stranded_bytes_above_base"] == 4 * 1024 * 1024


def test_judging():
    case = {"name": "x", "kind": "exact", "tolerance": 0.01}
    truth = {"stranded_bytes_above_base": 1000, "layers_stranded": [1000, 0]}
    def doc(total, layers):
        entry = {"path": "Dockerfile", "stranded_bytes": total, "findings": [],
                 "layers": [{"line": i + 2, "stranded_bytes": s} for i, s in enumerate(layers)]}
        return {"version": 1, "files": [entry]}
    assert acc.compare(case, truth, 1, doc(1005, [1005, 0]))["ok"]
    assert not acc.compare(case, truth, 1, doc(1020, [1020, 0]))["ok"]   # 2% off
    assert not acc.compare(case, truth, 1, doc(1000, [990, 10]))["ok"]  # a truth of 0 needs 0
    assert not acc.compare(case, truth, 1, doc(None, [None, 0]))["ok"]  # unknown is not 0
    assert not acc.compare(case, truth, 2, None, "Traceback")["ok"]
    row = acc.compare(case, truth, 1, doc(1000, [1000]))                 # layer count differs:
    assert row["ok"] and row["notes"]                                    # total only, noted
    assert not acc.compare({**case, "expect_exit": 0}, truth, 1, doc(1000, [1000, 0]))["ok"]


def test_build_args_become_arg_defaults(tmp_path):
    case = acc.load_case("arg_env_expanded")
    text = acc.build_dockerfile(case, tmp_path, nonce="n1").read_text()
    assert "ARG SIZE_KB=1024\n" in text and "ARG SIZE_KB=768" not in text
    assert "ARG DATA_DIR=/opt/data\n" in text
    assert text.splitlines()[1] == "LABEL dlayerlint.accuracy.nonce=n1"   # right after the one FROM
    multi = acc.build_dockerfile(acc.load_case("multistage"), tmp_path, nonce="n2").read_text()
    assert multi.count("LABEL dlayerlint.accuracy.nonce=n2") == 2


# ------------------------------------------------------------------ dlayerlint vs truth

def _judge(case: dict, truth: dict) -> dict:
    row = acc.compare(case, truth, *acc.run_dlayerlint(case))
    for note in row["notes"]:
        warnings.warn(f"{case['name']}: {note}")
    return row


@pytest.mark.parametrize("name", CASES)
def test_estimate_matches_recorded_truth(name):
    case = acc.load_case(name)
    if name not in TRUTH:
        pytest.fail(f"no stored truth for {name}: run benchmarks/accuracy.py --record --case {name}")
    row = _judge(case, TRUTH[name])
    assert row["ok"], f"{name}: " + "\n".join(row["problems"])


@pytest.mark.realbuild
@pytest.mark.parametrize("name", CASES)
def test_estimate_matches_real_build(name):
    if not (SHARED / "tools" / "realbuild.py").is_file():
        pytest.skip(f"{SHARED / 'tools' / 'realbuild.py'} is absent "
                    "(no ../shared beside the repo)")
    case = acc.load_case(name)
    why = acc.realbuild_missing_for(case)
    if why:
        pytest.skip(why)
    fresh = acc.truth_record(acc.realbuild(case))   # subprocess timeouts: 15 min busybox, 45 min debian
    problems = []
    if name in TRUTH:
        drift, notes = acc.truth_drift(case, TRUTH[name], fresh)
        problems += drift
        for note in notes:
            warnings.warn(f"{name}: {note}")
    row = _judge(case, fresh)
    problems += row["problems"]
    assert not problems, f"{name}: " + "\n".join(problems)
