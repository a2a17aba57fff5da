"""Real-build proof of the rewrites (marker `realbuild`).

For every case of the accuracy suite (tests/accuracy/), the original and the
rewrites of `--fix` and of `--fix --unsafe-fixes` are built with
../shared/tools/realbuild.py (buildah, overlay storage). Every rewrite must
strand exactly what dlayerlint estimates for it (the residual: 0 for the
classic example). A safe rewrite must keep the final filesystem: the same
final_fs_digest, or, where the rewrite drops the stage's last RUN, no
difference but the stand-ins buildah leaves for runtime mounts (/proc,
/etc/hosts ...; see dlayerlint.verify.RUNTIME_MOUNTS). An unsafe rewrite may
change it (that is what unsafe means); the paths it changes are printed.
Cases are loaded and built as tests/test_accuracy.py does
(benchmarks/accuracy.py), with buildah's layer cache and the cached base
images, so a rerun takes well under a minute.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlayerlint.lint import analyze
from dlayerlint.simulate.context.build import BuildContext
from dlayerlint.fixes.plan import fix_text
from dlayerlint.app.verify import RUNTIME_MOUNTS, Image, differences, measure

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("_dlayerlint_accuracy", REPO / "benchmarks" / "accuracy.py")
acc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(acc)


# realbuild.py mounts these (-v) into every RUN; buildah leaves empty stand-ins
REALBUILD_VOLUMES = frozenset({"/etc/pip.conf", "/etc/realbuild-ca.crt"})


def lint_case(case: dict):
    context = BuildContext(case["dir"], dockerfile=case["dockerfile"])
    return lambda text: analyze(text, context, case["build_args"])


def build(case: dict, dockerfile: Path, scratch: Path) -> tuple[dict, Image]:
    """realbuild.py's measurement of the file, and the image read by dlayerlint.verify."""
    scratch.mkdir()
    source = acc.build_dockerfile({**case, "dockerfile": dockerfile}, scratch, nonce=None)
    archive = scratch / "image.tar"
    done = subprocess.run([sys.executable, str(acc.REALBUILD), str(source), str(case["dir"]), "--archive",
                           str(archive)], capture_output=True, text=True, check=False,
                          timeout=acc.BUILD_TIMEOUT[case["base"]])
    assert done.returncode == 0, f"realbuild.py failed on {dockerfile}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    return json.loads(done.stdout), measure(archive, RUNTIME_MOUNTS | REALBUILD_VOLUMES)


@pytest.mark.realbuild
@pytest.mark.parametrize("unsafe", [False, True], ids=["fix", "unsafe-fixes"])
@pytest.mark.parametrize("name", acc.case_names())
def test_rewrite_strands_only_the_residual_and_keeps_the_files(name, unsafe, tmp_path):
    case = acc.load_case(name)
    why = acc.realbuild_missing_for(case)
    if why:
        pytest.skip(why)
    lint = lint_case(case)
    text = case["dockerfile"].read_text(encoding="utf-8")
    rewrite = fix_text(text, lint, unsafe=unsafe)
    if rewrite.text == text:
        assert all(f.fix or f.no_fix_reason for f in lint(text).findings), "a finding with neither fix nor reason"
        pytest.skip("no fix applies (each finding says why)")
    fixed_file = tmp_path / "Dockerfile.fixed"
    fixed_file.write_text(rewrite.text, encoding="utf-8")
    original, original_image = build(case, case["dockerfile"], tmp_path / "original")
    fixed, fixed_image = build(case, fixed_file, tmp_path / "fixed")
    residual = lint(rewrite.text).stranded.bytes
    before, after = original["stranded_bytes_above_base"], fixed["stranded_bytes_above_base"]
    assert acc.within(residual, after, case["tolerance"]), f"the rewrite strands {after} B, estimated {residual} B"
    assert after < before
    if name == "classic":
        assert (before, after) == (4 << 20, 0)
    same_digest = fixed["final_fs_digest"] == original["final_fs_digest"]
    changed = differences(original_image, fixed_image)
    print(f"{name} ({'unsafe' if unsafe else 'safe'}): stranded {before:,} -> {after:,} B (estimate {residual:,}), "
          f"digest {'identical' if same_digest else 'differs'}, changed paths {changed}")
    if all(fix.safe for fix in rewrite.applied):
        assert same_digest or not changed, f"a safe rewrite changed {changed}:\n{rewrite.text}"
