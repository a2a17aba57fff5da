"""Settings files (.dlayerlint.yaml, pyproject.toml [tool.dlayerlint]): discovery,
every key, clear errors naming the file and key, and flags over settings."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlayerlint.rules.catalogue import rules
from dlayerlint.config import (Config, ConfigError, ExcludePattern, PluginRef, SeverityOverride, Switch, find_config,
                               from_mapping, load_config, size_limit)

BAD = "FROM busybox\nRUN head -c 10 /dev/zero > /a\nRUN rm /a\n"
CACHE = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n"   # DLL105
MULTI = "FROM busybox AS builder\nARG OUT=/a\nRUN head -c 10 /dev/zero > $OUT\nRUN rm /b\nFROM busybox\n"


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """tmp/.dlayerlint.yaml, tmp/app/sub/Dockerfile, tmp/other/ with a pyproject.toml."""
    (tmp_path / "app" / "sub").mkdir(parents=True)
    (tmp_path / "app" / "sub" / "Dockerfile").write_text(BAD)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "Dockerfile").write_text(BAD)
    return tmp_path


def findings(run_cli, *args: str, cwd: Path | None = None) -> list[tuple[str, str]]:
    ran = run_cli("check", "--format", "json", *args, cwd=cwd)
    return [(f["rule"], f["severity"]) for entry in json.loads(ran.out)["files"] for f in entry["findings"]]


# ----------------------------------------------------------------------------- discovery

def test_nearest_config_upward_wins(tree):
    (tree / ".dlayerlint.yaml").write_text("fail-level: error\n")
    (tree / "app" / "pyproject.toml").write_text("[tool.dlayerlint]\nfail-level = 'warning'\n")
    assert find_config(tree / "app" / "sub" / "Dockerfile") == tree / "app" / "pyproject.toml"
    assert load_config(tree / "app" / "sub" / "Dockerfile").fail_level == "warning"
    assert load_config(tree / "other" / "Dockerfile").fail_level == "error"


def test_pyproject_without_the_section_is_passed_over(tree):
    (tree / ".dlayerlint.yml").write_text("fail-level: none\n")
    (tree / "app" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_config(tree / "app" / "sub" / "Dockerfile").fail_level == "none"


def test_yaml_beats_pyproject_in_one_folder(tree):
    (tree / "pyproject.toml").write_text("[tool.dlayerlint]\nfail-level = 'warning'\n")
    (tree / ".dlayerlint.yaml").write_text("fail-level: error\n")
    assert load_config(tree / "other" / "Dockerfile").fail_level == "error"


def test_no_config_gives_defaults(tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)
    config = load_config(tmp_path / "Dockerfile")
    assert config == Config() and config.effective_fail_level == "info"


def test_an_empty_file_is_the_defaults(tree):
    (tree / ".dlayerlint.yaml").write_text("# nothing yet\n")
    assert load_config(tree / "other" / "Dockerfile").switches == ()


def test_edits_to_the_file_are_seen(tree):
    config = tree / ".dlayerlint.yaml"
    config.write_text("fail-level: error\n")
    assert load_config(tree / "other" / "Dockerfile").fail_level == "error"
    config.write_text("fail-level: warning   # changed\n")
    assert load_config(tree / "other" / "Dockerfile").fail_level == "warning"


# ----------------------------------------------------------------------------- every key

def test_every_key_in_yaml(tree):
    (tree / "ctx").mkdir()
    (tree / ".dlayerlint.yaml").write_text(
        "disable: [DLL105, copy-then-chmod]\nenable: DLL105\nseverity: {removed-in-later-layer: error}\n"
        "fail-level: warning\nmax-stranded: 10MiB\nbuild-args: {VERSION: '1.2', N: 3}\ncontext: ctx\n"
        "target: runtime\nplugins: [demo]\nreport-unused-pragmas: true\nexclude: [vendor, 'build/*']\n")
    config = load_config(tree / "other" / "Dockerfile")
    source = str(tree / ".dlayerlint.yaml")
    assert config.switches == (Switch("DLL105", False, source), Switch("copy-then-chmod", False, source),
                               Switch("DLL105", True, source))
    assert config.severity == (SeverityOverride("removed-in-later-layer", "error", source),)
    assert (config.fail_level, config.max_stranded, config.target) == ("warning", 10 * 1024 ** 2, "runtime")
    assert dict(config.build_args) == {"VERSION": "1.2", "N": "3"}
    assert config.context == tree / "ctx"
    assert (config.plugins, config.report_unused_pragmas) == ((PluginRef("demo", source),), True)
    assert config.exclude == (ExcludePattern("vendor", tree, source), ExcludePattern("build/*", tree, source))
    selection = config.selection(rules())
    assert "DLL105" in selection.enabled and "DLL103" not in selection.enabled
    assert dict(selection.severity) == {"DLL101": "error"}


def test_pyproject_keys(tree):
    (tree / "pyproject.toml").write_text(
        "[tool.dlayerlint]\ndisable = ['all']\nenable = ['DLL101']\nmax-stranded = 1048576\nexclude = ['app']\n")
    config = load_config(tree / "other" / "Dockerfile")
    assert config.selection(rules()).enabled == frozenset({"DLL101"})
    assert config.exclude == (ExcludePattern("app", tree, f"{tree / 'pyproject.toml'} [tool.dlayerlint]"),)
    assert config.max_stranded == 1048576
    (tree / "pyproject.toml").write_text("[tool.dlayerlint]\nenable = ['nope']\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml \[tool.dlayerlint\]: enable: no rule named 'nope'"):
        load_config(tree / "other" / "Dockerfile").selection(rules())


@pytest.mark.parametrize("text, key, problem", [
    ("fail-levl: error\n", "fail-levl", "unknown key (known: build-args, context"),
    ("fail-level: loud\n", "fail-level", "'loud' is not one of error, warning, info, none"),
    ("max-stranded: ten\n", "max-stranded", "'ten' is not a size"),
    ("max-stranded: -3\n", "max-stranded", "'-3' is not a size"),
    ("severity: {DLL101: fatal}\n", "severity.DLL101", "'fatal' is not one of error, warning, info"),
    ("severity: [DLL101]\n", "severity", "must map rule names"),
    ("disable: {DLL101: true}\n", "disable", "must be a list of rule names"),
    ("build-args: {V: 1.10}\n", "build-args.V", "1.1 must be a string (quote it)"),
    ("build-args: [V=1]\n", "build-args", "must map argument names"),
    ("context: ''\n", "context", "must be a non-empty string"),
    ("report-unused-pragmas: yes please\n", "report-unused-pragmas", "must be true or false"),
    ("exclude: vendor\n", "exclude", "must be a list of path patterns"),
    ("exclude: [vendor, 3]\n", "exclude", "must be a list of path patterns"),
    ("exclude: ['']\n", "exclude", "must be a list of path patterns"),
    ("exclude: {vendor: true}\n", "exclude", "must be a list of path patterns"),
    ("- a list\n", "(top level)", "must be a mapping"),
    ("fail-level: [unclosed\n", "(file)", "not valid YAML"),
])
def test_bad_settings_name_the_file_and_key(tree, text, key, problem):
    config = tree / ".dlayerlint.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(tree / "other" / "Dockerfile")
    assert str(raised.value).startswith(f"{config}: {key}: {problem}")


def test_bad_toml_is_a_clear_error(tree):
    (tree / "pyproject.toml").write_text("[tool.dlayerlint]\nfail-level = \n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: \(file\): not valid TOML"):
        load_config(tree / "other" / "Dockerfile")


def test_unknown_rule_names_are_reported_with_their_source():
    config = from_mapping({"severity": {"DLL999": "info"}}, "x.yaml", Path("."))
    with pytest.raises(ConfigError, match=r"x.yaml: severity: no rule named 'DLL999'"):
        config.selection(rules())


def test_cli_reports_a_bad_config_and_exits_2(run_cli, tree):
    (tree / ".dlayerlint.yaml").write_text("disable: [no-such-rule]\n")
    ran = run_cli("check", "other/Dockerfile", cwd=tree)
    assert ran.code == 2
    assert f"other/Dockerfile: error: {tree / '.dlayerlint.yaml'}: disable: no rule named 'no-such-rule'" in ran.out
    (tree / ".dlayerlint.yaml").write_text("disable: [DLL102]\n")
    flag = run_cli("check", "--severity", "nope=info", "other/Dockerfile", cwd=tree)
    assert "other/Dockerfile: error: command line: severity: no rule named 'nope'" in flag.out


# ----------------------------------------------------------------------------- layering

def test_merged_puts_overrides_on_top():
    base = Config(switches=(Switch("DLL101", False, "file"),), severity=(SeverityOverride("DLL102", "info", "file"),),
                  fail_level="error", build_args={"A": "1", "B": "1"}, plugins=(PluginRef("x", "file"),))
    top = Config(switches=(Switch("DLL101", True, "cli"),), severity=(SeverityOverride("DLL102", "error", "cli"),),
                 build_args={"B": "2"}, plugins=(PluginRef("x", "cli"), PluginRef("y", "cli")), max_stranded=5)
    merged = base.merged(top)
    selection = merged.selection(rules())
    assert "DLL101" in selection.enabled
    assert dict(selection.severity) == {"DLL102": "error"} and merged.fail_level == "error"
    assert dict(merged.build_args) == {"A": "1", "B": "2"}
    assert merged.plugins == (PluginRef("x", "file"), PluginRef("y", "cli")) and merged.max_stranded == 5


def test_flags_override_the_config(run_cli, tree):
    (tree / ".dlayerlint.yaml").write_text("disable: [DLL101]\nfail-level: none\n")
    assert findings(run_cli, "other/Dockerfile", cwd=tree) == []
    assert run_cli("check", "other/Dockerfile", cwd=tree).code == 0
    assert findings(run_cli, "--enable", "removed-in-later-layer", "other/Dockerfile", cwd=tree) == [
        ("DLL101", "warning")]
    assert run_cli("check", "--enable", "DLL101", "--fail-level", "warning", "other/Dockerfile", cwd=tree).code == 1


def test_config_severity_and_cli_disable(run_cli, tree):
    (tree / ".dlayerlint.yaml").write_text("severity:\n  DLL101: error\n")
    assert findings(run_cli, "other/Dockerfile", cwd=tree) == [("DLL101", "error")]
    assert findings(run_cli, "--disable", "DLL101,DLL102", "other/Dockerfile", cwd=tree) == []


def test_build_args_and_target_from_config(run_cli, tmp_path):
    (tmp_path / "Dockerfile").write_text(MULTI)
    (tmp_path / ".dlayerlint.yaml").write_text("target: builder\nbuild-args: {OUT: /b}\n")
    assert findings(run_cli, "Dockerfile") == [("DLL101", "warning")]
    assert findings(run_cli, "--build-arg", "OUT=/a", "Dockerfile") == []


def test_context_from_config_is_relative_to_the_config_file(run_cli, tmp_path):
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "app.bin").write_bytes(b"\0" * 99)
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text("FROM busybox\nCOPY app.bin /app\nRUN rm /app\n")
    (tmp_path / ".dlayerlint.yaml").write_text("context: ctx\n")
    ran = run_cli("check", "--format", "json", "Dockerfile", cwd=tmp_path / "docker")
    assert json.loads(ran.out)["files"][0]["stranded_bytes"] == 99


def test_explicit_config_file(run_cli, tree):
    (tree / "ci.yaml").write_text("disable: [DLL101]\n")
    assert findings(run_cli, "--config", "ci.yaml", "other/Dockerfile", cwd=tree) == []
    missing = run_cli("check", "--config", "nope.yaml", "other/Dockerfile", cwd=tree)
    assert missing.code == 2 and "--config nope.yaml: no such file" in missing.err


@pytest.mark.parametrize("text, count", [
    ("10MiB", 10 * 1024 ** 2), ("10 MiB", 10 * 1024 ** 2), ("500kB", 500_000), ("10B", 10), ("1M", 1024 ** 2),
    ("2GB", 2_000_000_000), (42, 42),
])
def test_size_limits(text, count):
    assert size_limit(text, "x.yaml", "max-stranded") == count


def test_many_files_in_worker_processes_use_their_settings(run_cli, tmp_path):
    for index in range(20):
        folder = tmp_path / f"p{index}"
        folder.mkdir()
        (folder / "Dockerfile").write_text(BAD)
        if index % 2:
            (folder / ".dlayerlint.yaml").write_text("disable: [DLL101]\n")
    ran = run_cli("check", "--jobs", "2", "--format", "json", "--format", "sarif:out.sarif", "*/Dockerfile")
    counts = {entry["path"]: len(entry["findings"]) for entry in json.loads(ran.out)["files"]}
    assert counts == {f"p{index}/Dockerfile": 1 - index % 2 for index in sorted(range(20), key=str)}
    assert len(json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["results"]) == 10


# ----------------------------------------------------------------------------- exclude

@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A config at the top that excludes `vendor` (any part) and `app/legacy` (a path from there)."""
    for name in ("app/Dockerfile", "app/legacy/Dockerfile", "vendor/x/Dockerfile", "other/vendor/Dockerfile"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(BAD)
    (tmp_path / ".dlayerlint.yaml").write_text("exclude: [vendor, app/legacy]\n")
    return tmp_path


def linted(run_cli, *args: str, cwd: Path) -> list[str]:
    ran = run_cli("check", "--format", "json", *args, cwd=cwd)
    return [entry["path"] for entry in json.loads(ran.out)["files"]]


def test_exclude_patterns_are_relative_to_the_config_folder(run_cli, project):
    assert linted(run_cli, "**/Dockerfile", cwd=project) == ["app/Dockerfile"]
    # from app/, legacy/Dockerfile is still app/legacy/Dockerfile to the config
    assert linted(run_cli, "**/Dockerfile", cwd=project / "app") == ["Dockerfile"]
    assert linted(run_cli, "../vendor/x/Dockerfile", "../app/Dockerfile", cwd=project / "app") == [
        "../app/Dockerfile"]


def test_exclude_comes_from_the_nearest_config_only(run_cli, project):
    (project / "other" / ".dlayerlint.yaml").write_text("fail-level: error\n")
    assert linted(run_cli, "**/Dockerfile", cwd=project) == ["app/Dockerfile", "other/vendor/Dockerfile"]


def test_cli_exclude_adds_to_the_config_s(run_cli, project):
    (project / "other" / ".dlayerlint.yaml").write_text("fail-level: error\n")
    assert linted(run_cli, "--exclude", "app", "**/Dockerfile", cwd=project) == ["other/vendor/Dockerfile"]


def test_files_named_on_the_command_line_are_excluded_too(run_cli, project):
    """pre-commit names the changed files: those the config skips are neither linted nor fixed."""
    ran = run_cli("check", "--fix", "vendor/x/Dockerfile", "app/legacy/Dockerfile", cwd=project)
    assert (ran.code, ran.out) == (0, "")
    assert "every file is excluded by its config file's `exclude`" in ran.err
    assert (project / "vendor" / "x" / "Dockerfile").read_text() == BAD
    assert linted(run_cli, "vendor/x/Dockerfile", cwd=project) == []
    # --exclude leaving nothing stays a usage error
    assert run_cli("check", "--exclude", "app", "app/Dockerfile", cwd=project).code == 2


def test_stdin_is_never_excluded(run_cli, project):
    ran = run_cli("check", "--stdin-filename", "vendor/x/Dockerfile", "-", cwd=project, stdin=BAD.encode())
    assert ran.code == 1 and ran.out.startswith("vendor/x/Dockerfile:3:5: DLL101")


def test_exclude_in_an_explicit_config_file(run_cli, project):
    (project / "ci").mkdir()
    (project / "ci" / "lint.yaml").write_text("exclude: [app/*]\n")
    # app/ is not below ci/: the pattern matches the path as given
    assert linted(run_cli, "--config", "ci/lint.yaml", "**/Dockerfile", cwd=project) == [
        "other/vendor/Dockerfile", "vendor/x/Dockerfile"]


def test_a_bad_exclude_is_reported_for_each_file_it_applies_to(run_cli, project):
    (project / ".dlayerlint.yaml").write_text("exclude: vendor\n")
    ran = run_cli("check", "app/Dockerfile", cwd=project)
    assert ran.code == 2
    assert f"app/Dockerfile: error: {project / '.dlayerlint.yaml'}: exclude: must be a list of path patterns" in ran.out


def test_merged_adds_excludes():
    mine, theirs = ExcludePattern("a/*", Path("/x"), "x.yaml"), ExcludePattern("b", Path("/y"), "y.yaml")
    assert Config(exclude=(mine,)).merged(Config(exclude=(theirs,))).exclude == (mine, theirs)
    assert Config(exclude=(mine,)).excludes("/x/a/Dockerfile")
    assert not Config(exclude=(mine,)).excludes("/y/a/Dockerfile")   # a/* is /x/a/*


def test_a_bare_name_matches_no_folder_above_the_config(tmp_path):
    """A project checked out below a folder named `vendor` is still linted."""
    project = tmp_path / "vendor" / "proj"
    project.mkdir(parents=True)
    config = from_mapping({"exclude": ["vendor"]}, "x.yaml", project)
    assert not config.excludes(str(project / "Dockerfile"))
    assert config.excludes(str(project / "third" / "vendor" / "Dockerfile"))
