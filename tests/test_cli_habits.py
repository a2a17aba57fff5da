"""What users of hadolint and ruff expect of a terminal linter (issue 15): usage errors
from the subcommand, exit codes in --help, -q, colour, shell completion, a summary on
stderr when the output goes to files, user and environment settings."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlayerlint.app import terminal
from dlayerlint.config import env_config, settings_for

REPO = Path(__file__).resolve().parents[1]
BLOATED = "FROM busybox\nRUN head -c 10 /dev/zero > /a\nRUN rm /a\n"
CLEAN = "FROM busybox\nRUN echo hi\n"


@pytest.fixture(name="project")
def _project(tmp_path: Path) -> Path:
    (tmp_path / "bad.Dockerfile").write_text(BLOATED)
    (tmp_path / "clean.Dockerfile").write_text(CLEAN)
    (tmp_path / "parse.Dockerfile").write_text("FROM busybox\nFROBNICATE x\n")
    return tmp_path


def test_usage_errors_show_the_subcommands_usage(run_cli, project):
    ran = run_cli("check", "--bogus", "bad.Dockerfile", cwd=project)
    assert ran.code == 2 and ran.err.startswith("usage: dlayerlint check")
    assert "unrecognized arguments: --bogus" in ran.err


@pytest.mark.parametrize(("args", "message"), [
    (["--max-stranded", "lots"], "argument --max-stranded: 'lots' is not a size"),
    (["--jobs", "0"], "argument --jobs/-j: takes a number of processes, 1 or more, not '0'"),
    (["--jobs", "-3"], "argument --jobs/-j: takes a number of processes, 1 or more, not '-3'"),
])
def test_bad_flag_values_say_it_once(run_cli, project, args, message):
    ran = run_cli("check", *args, "bad.Dockerfile", cwd=project)
    assert ran.code == 2 and message in ran.err, ran.err
    assert "--max-stranded: --max-stranded" not in ran.err


def test_exit_codes_are_in_the_help(run_cli):
    for args in ([], ["check"]):
        ran = run_cli(*args, "--help")
        assert ran.code == 0 and "exit codes:" in ran.out and "2  a usage error" in ran.out


def test_a_yaml_error_names_the_file(run_cli, project):
    (project / ".dlayerlint.yaml").write_text("disable: [a\nfail-level: : x\n")
    ran = run_cli("check", "bad.Dockerfile", cwd=project)
    assert ran.code == 2
    assert f"{project / '.dlayerlint.yaml'}: (file): not valid YAML:" in ran.out
    assert "<unicode string>" not in ran.out + ran.err


def test_a_one_line_rewrite_says_line_not_lines_4_4(run_cli, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM debian\nRUN apt-get update && apt-get install -y curl\n")
    out = run_cli("check", "Dockerfile", cwd=tmp_path).out
    assert "suggested rewrite of line 2 (" in out and "lines 2-2" not in out


def test_an_unknown_total_is_never_printed_as_zero(run_cli, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\nARG N\nRUN head -c $N /dev/zero > /a\nRUN rm /a\n")
    summary = run_cli("check", "Dockerfile", cwd=tmp_path).out.splitlines()[-1]
    assert "(0 B)" not in summary and "unknown stranded" in summary, summary


def test_output_to_files_only_still_says_what_happened_on_stderr(run_cli, project):
    ran = run_cli("check", "--format", "sarif:out.sarif", "bad.Dockerfile", "parse.Dockerfile", "nope", cwd=project)
    assert ran.code == 2 and ran.out == ""
    lines = ran.err.splitlines()
    assert "parse.Dockerfile:2:1: error: unknown instruction: FROBNICATE" in lines
    assert "nope: error: no such file" in lines
    assert lines[-1] == "dlayerlint: 3 files, 1 finding, 2 with errors (exit 2)"
    assert json.loads((project / "out.sarif").read_text())["runs"][0]["results"]
    # text on stdout already says it all: nothing is repeated on stderr
    assert run_cli("check", "bad.Dockerfile", cwd=project).err == ""


def test_quiet_prints_no_line_for_clean_files(run_cli, project):
    ran = run_cli("check", "-q", "clean.Dockerfile", "bad.Dockerfile", cwd=project)
    assert ran.code == 1 and "clean.Dockerfile" not in ran.out and "bad.Dockerfile:3:5: DLL101" in ran.out
    assert run_cli("check", "--quiet", "clean.Dockerfile", cwd=project).out == ""
    assert run_cli("check", "-q", "--format", "json:x.json", "clean.Dockerfile", cwd=project).err == ""


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("choice", "environ", "tty", "expected"), [
    ("auto", {}, True, True), ("auto", {}, False, False), ("auto", {"TERM": "dumb"}, True, False),
    ("auto", {"NO_COLOR": "1"}, True, False), ("auto", {"FORCE_COLOR": "1"}, False, True),
    ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False), ("auto", {"NO_COLOR": ""}, True, True),
    ("always", {"NO_COLOR": "1"}, False, True), ("never", {"FORCE_COLOR": "1"}, True, False),
])
def test_colour_choice(choice, environ, tty, expected):
    assert terminal.use_colour(choice, _Tty() if tty else io.StringIO(), environ) is expected


def test_colour_marks_severity_rule_and_place_only(run_cli, project):
    plain = run_cli("check", "bad.Dockerfile", "parse.Dockerfile", cwd=project).out
    coloured = run_cli("check", "--color", "always", "bad.Dockerfile", "parse.Dockerfile", cwd=project).out
    assert "\x1b[33mwarning\x1b[0m" in coloured and "\x1b[31merror\x1b[0m" in coloured
    assert "\x1b" not in plain   # not a terminal
    assert re.sub("\x1b\\[[0-9;]*m", "", coloured) == plain   # the same text, only coloured


def test_bash_completion_completes_subcommands_and_flags():
    script = subprocess.run([sys.executable, "-m", "dlayerlint", "completion", "bash"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout
    probe = script + ('COMP_WORDS=(dlayerlint check --fail); COMP_CWORD=2; _dlayerlint; echo "${COMPREPLY[@]}"\n'
                      'COMP_WORDS=(dlayerlint ex); COMP_CWORD=1; _dlayerlint; echo "${COMPREPLY[@]}"\n')
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["--fail-level", "explain"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion_scripts_parse(shell):
    script = subprocess.run([sys.executable, "-m", "dlayerlint", "completion", shell], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout
    assert "check" in script and "fail-level" in script
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed: only generated")
    checked = subprocess.run([shell, "-n"] if shell == "zsh" else [shell, "--no-execute"], input=script,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_environment_variables_are_settings(tmp_path):
    config = env_config({"DLAYERLINT_FAIL_LEVEL": "warning", "DLAYERLINT_DISABLE": "DLL105,copy-then-chmod",
                         "DLAYERLINT_BUILD_ARGS": "A=1,B=2", "DLAYERLINT_REPORT_UNUSED_PRAGMAS": "yes",
                         "DLAYERLINT_MAX_STRANDED": "10MiB", "DLAYERLINT_FUZZ_EXAMPLES": "5"}, tmp_path)
    assert config.fail_level == "warning" and config.max_stranded == 10 << 20
    assert dict(config.build_args) == {"A": "1", "B": "2"} and config.report_unused_pragmas is True
    assert [s.rule for s in config.switches] == ["DLL105", "copy-then-chmod"]
    assert config.switches[0].source == "environment variable DLAYERLINT_DISABLE"
    with pytest.raises(ValueError, match="environment variable DLAYERLINT_FAIL_LEVEL: fail-level: 'loud'"):
        env_config({"DLAYERLINT_FAIL_LEVEL": "loud"}, tmp_path)


def test_precedence_user_file_then_project_file_then_environment(tmp_path, monkeypatch):
    user = tmp_path / "xdg" / "dlayerlint"
    user.mkdir(parents=True)
    (user / "config.yaml").write_text("fail-level: error\ntarget: from-user\n")
    lone, project = tmp_path / "lone", tmp_path / "project"
    lone.mkdir()
    project.mkdir()
    (project / ".dlayerlint.yaml").write_text("target: from-project\n")
    monkeypatch.chdir(tmp_path)
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert settings_for(lone / "Dockerfile", environ=environ).target == "from-user"
    found = settings_for(project / "Dockerfile", environ=environ)
    assert found.target == "from-project" and found.fail_level is None   # the project file replaces the user's
    environ["DLAYERLINT_TARGET"] = "from-env"
    assert settings_for(project / "Dockerfile", environ=environ).target == "from-env"


def test_environment_applies_to_check_and_flags_win(run_cli, project, monkeypatch):
    monkeypatch.setenv("DLAYERLINT_DISABLE", "removed-in-later-layer")
    assert run_cli("check", "bad.Dockerfile", cwd=project).code == 0
    assert run_cli("check", "--enable", "DLL101", "bad.Dockerfile", cwd=project).code == 1


def test_hadolint_yaml_ignored_and_failure_threshold(run_cli, tmp_path):
    """`.hadolint.yaml`: `ignored` for the rules mapped onto hadolint's ids, `failure-threshold`
    as the fail level; a .dlayerlint.yaml beside it wins key by key."""
    (tmp_path / "Dockerfile").write_text("FROM debian\nRUN apt-get update && apt-get install -y "
                                         "--no-install-recommends curl\n")
    assert run_cli("check", "Dockerfile", cwd=tmp_path).code == 1   # DLL105 (hadolint DL3009)
    (tmp_path / ".hadolint.yaml").write_text("ignored: [DL3009, DL3059]\ntrustedRegistries: [docker.io]\n")
    assert run_cli("check", "Dockerfile", cwd=tmp_path).code == 0
    (tmp_path / ".hadolint.yaml").write_text("failure-threshold: error\n")
    assert run_cli("check", "Dockerfile", cwd=tmp_path).code == 0   # DLL105 is a warning
    (tmp_path / ".dlayerlint.yaml").write_text("fail-level: warning\n")
    assert run_cli("check", "Dockerfile", cwd=tmp_path).code == 1
    (tmp_path / ".hadolint.yaml").write_text("failure-threshold: loud\n")
    ran = run_cli("check", "Dockerfile", cwd=tmp_path)
    assert ran.code == 2 and "(hadolint's): failure-threshold: 'loud' is not one of" in ran.out
