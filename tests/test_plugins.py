"""Rule packs through the `dlayerlint.rules` entry point group: a tiny plugin
installed as a dist-info on the path runs when configured, never otherwise,
and a broken one gives a clear error."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlayerlint.rules.plugins import PluginError, load_plugin

REPO = Path(__file__).resolve().parents[1]

DEMO = '''
from dlayerlint.core.rule import Rule
from dlayerlint.core.results import Finding

RULES = [Rule(id="DLX900", name="latest-base", severity="info", summary="FROM uses the :latest tag.",
              message="{image} moves under you", rationale="A moving base image changes every layer above it.",
              fix="Pin a version.", examples=(), help_uri="https://example.org/rules/DLX900")]


def check(analysis):
    for stage in analysis.dockerfile.stages:
        if stage.base.endswith(":latest"):
            yield Finding(RULES[0], stage.from_instruction.span, f"{stage.base} moves under you", [], None)
'''
DOCKERFILE = "FROM busybox:latest\nRUN echo hi\n"


def install(root: Path, name: str, module: str, source: str) -> None:
    """What `pip install` leaves behind: the module and a dist-info with the entry point."""
    (root / f"{module}.py").write_text(source)
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[dlayerlint.rules]\n{name} = {module}\n")


@pytest.fixture()
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    install(root, "demo", "dlx_demo", DEMO)
    monkeypatch.syspath_prepend(str(root))
    load_plugin.cache_clear()
    yield root
    load_plugin.cache_clear()
    sys.modules.pop("dlx_demo", None)


def dlayerlint(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(REPO)]))
    return subprocess.run([sys.executable, "-m", "dlayerlint", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_an_installed_plugin_runs_only_when_configured(site, tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    assert dlayerlint(site, tmp_path, "check", "Dockerfile").returncode == 0
    ran = dlayerlint(site, tmp_path, "check", "--plugin", "demo", "Dockerfile")
    assert ran.returncode == 1
    assert ran.stdout.startswith("Dockerfile:1:1: DLX900 latest-base [info]: busybox:latest moves under you")
    (tmp_path / ".dlayerlint.yaml").write_text("plugins: [demo]\nseverity: {latest-base: error}\n")
    document = json.loads(dlayerlint(site, tmp_path, "check", "--format", "json", "Dockerfile").stdout)
    assert [(f["rule"], f["severity"]) for f in document["files"][0]["findings"]] == [("DLX900", "error")]


def test_plugin_rules_reach_sarif_and_obey_pragmas(run_cli, site, tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    sarif = json.loads(run_cli("check", "--plugin", "demo", "--format", "sarif", "Dockerfile").out)
    driver = sarif["runs"][0]["tool"]["driver"]
    [result] = sarif["runs"][0]["results"]
    rule = driver["rules"][result["ruleIndex"]]
    assert (rule["id"], rule["helpUri"], result["level"]) == ("DLX900", "https://example.org/rules/DLX900", "note")
    (tmp_path / "Dockerfile").write_text("# dlayerlint: disable=latest-base\n" + DOCKERFILE)
    assert run_cli("check", "--plugin", "demo", "Dockerfile").code == 0


@pytest.mark.parametrize("source, problem", [
    ("raise ImportError('needs numpy')\n", "plugin 'broken': cannot load dlx_broken: needs numpy"),
    ("RULES = []\n", "plugin 'broken': dlx_broken has no check(analysis) function"),
    ("RULES = ['DLX1']\ndef check(analysis):\n    return []\n", "RULES must be a list of dlayerlint.core.rule.Rule"),
    (DEMO.replace('"DLX900"', '"DLL101"'), "plugin 'broken': rule id DLL101 is already taken"),
    (DEMO.replace('"info"', '"fatal"'), "rule DLX900: severity must be one of error, warning, info"),
    (DEMO.replace("for stage in", "1 / 0\n    for stage in"), "plugin 'broken' failed: ZeroDivisionError"),
])
def test_a_broken_plugin_is_a_clear_error(run_cli, site, tmp_path, source, problem):
    install(site, "broken", "dlx_broken", source)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    ran = run_cli("check", "--plugin", "broken", "Dockerfile")
    sys.modules.pop("dlx_broken", None)
    assert ran.code == 2
    assert ran.out.startswith("Dockerfile: error: ") and problem in ran.out


def test_rules_and_explain_show_a_plugin_s_rules_when_named(run_cli, site):
    assert "DLX900" not in run_cli("rules").out
    listed = run_cli("rules", "--plugin", "demo", "--plugin", "demo")
    assert listed.code == 0
    assert [line.split()[0] for line in listed.out.splitlines()] == [
        "DLL001", "DLL002", *(f"DLL10{n}" for n in range(1, 10)), "DLL110", "DLL111", "DLX900"]
    assert listed.out.splitlines()[-1].split()[:3] == ["DLX900", "latest-base", "info"]
    assert run_cli("explain", "latest-base").code == 2
    explained = run_cli("explain", "--plugin", "demo", "latest-base")
    assert explained.code == 0
    assert explained.out == ("DLX900 latest-base (info)\n\nFROM uses the :latest tag.\n\n"
                             "A moving base image changes every layer above it.\n\nHow to fix:\nPin a version.\n")
    assert run_cli("explain", "dlx900", "--plugin", "demo").out == explained.out


@pytest.mark.parametrize("command", [("rules",), ("explain", "DLL101")])
def test_rules_and_explain_with_a_missing_plugin_exit_2(run_cli, site, command):
    ran = run_cli(*command, "--plugin", "nope")
    assert (ran.code, ran.out) == (2, "")
    assert ran.err.startswith("dlayerlint: plugin 'nope' is not installed (entry point group dlayerlint.rules: demo")


def test_a_missing_plugin_names_the_installed_ones(run_cli, site, tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / ".dlayerlint.yaml").write_text("plugins: [nope]\n")
    ran = run_cli("check", "Dockerfile")
    assert ran.code == 2
    assert f"{tmp_path / '.dlayerlint.yaml'}: plugins: plugin 'nope' is not installed" in ran.out
    assert "dlayerlint.rules: demo" in ran.out


def test_a_plugin_committed_in_the_working_directory_is_never_loaded(tmp_path, monkeypatch):
    """Under `python -m dlayerlint` the working directory is first on sys.path: a pull request
    that commits a dist-info and a module there must not get them loaded by naming them."""
    (tmp_path / "evil-1.0.dist-info").mkdir()
    (tmp_path / "evil-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    (tmp_path / "evil-1.0.dist-info" / "entry_points.txt").write_text("[dlayerlint.rules]\nevil = evilmod\n")
    (tmp_path / "evilmod.py").write_text("raise SystemExit('evil code ran')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("")
    load_plugin.cache_clear()
    with pytest.raises(PluginError, match="not installed"):
        load_plugin("evil")
