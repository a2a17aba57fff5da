"""action.yml, the composite GitHub Action: its shape (install from the pinned checkout,
lint with annotations and SARIF, upload, fail on findings) and its lint step's script
run here by bash, as the runner runs it, on a bloated Dockerfile in a nested folder."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS = {step.get("name", step.get("uses", "")): step for step in ACTION["runs"]["steps"]}


def test_the_action_is_composite_and_uploads_sarif():
    assert ACTION["runs"]["using"] == "composite"
    assert '"$GITHUB_ACTION_PATH"' in STEPS["Install dlayerlint"]["run"]   # the tag the workflow pinned
    upload = STEPS["Upload SARIF"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}" and "always()" in upload["if"]
    assert ACTION["outputs"]["exit-code"]["value"] == "${{ steps.lint.outputs.exit-code }}"
    assert all("shell" in step for step in STEPS.values() if "run" in step)   # composite steps must name it


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_lint_step_runs_as_the_runner_runs_it(tmp_path):
    (tmp_path / "services" / "api").mkdir(parents=True)
    (tmp_path / "services" / "api" / "Dockerfile").write_text("FROM busybox\nRUN head -c 10 /dev/zero > /a\n"
                                                              "RUN rm /a\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hi\n", encoding="utf-8")
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    output = tmp_path / "github_output"
    scripts = tmp_path / "bin"
    scripts.mkdir()   # `dlayerlint` as the install step puts it on PATH: this checkout's
    (scripts / "dlayerlint").write_text(f"#!/bin/sh\nexec {sys.executable} -m dlayerlint \"$@\"\n")
    (scripts / "dlayerlint").chmod(0o755)
    env = dict(os.environ, FILES=inputs["files"], ARGS="--max-stranded 1MiB", FAIL_LEVEL=inputs["fail-level"],
               SARIF=inputs["sarif-file"], GITHUB_OUTPUT=str(output),
               PATH=f"{scripts}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    # the runner's `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`
    ran = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", STEPS["Lint"]["run"]],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr   # the step records the code; the last step fails the job
    assert output.read_text() == "exit-code=1\n"
    assert ran.stdout.startswith("::warning file=services/api/Dockerfile,line=3"), ran.stdout   # ** crossed folders
    sarif = json.loads((tmp_path / "dlayerlint.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["DLL101"]
