"""`python -m dlayerlint` as a user runs it: exit codes, messages, the JSON
contract (validated against a JSON Schema written here), --layers,
--build-arg, --target, `rules` and `explain`.

Tests marked xfail(strict=True) document bugs in dlayerlint (reason starts with BUG).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[1]

CLEAN = "FROM busybox\nRUN echo hi\n"
BAD = "FROM busybox\nRUN head -c 10 /dev/zero > /a\nRUN rm /a\n"
PARSE_ERROR = "FROM busybox\nFROBNICATE x\nRUN head -c 10 /dev/zero > /a\nRUN rm /a\n"
MULTI = ("FROM busybox AS builder\n"
         "ARG OUT=/a\n"
         "RUN head -c 10 /dev/zero > $OUT\n"
         "RUN rm /b\n"
         "FROM busybox\n"
         "RUN echo hi\n")


def dlayerlint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "dlayerlint", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "clean.Dockerfile").write_text(CLEAN)
    (tmp_path / "bad.Dockerfile").write_text(BAD)
    (tmp_path / "parse.Dockerfile").write_text(PARSE_ERROR)
    (tmp_path / "multi.Dockerfile").write_text(MULTI)
    (tmp_path / "bin.Dockerfile").write_bytes(b"FROM busybox\nRUN echo \0\n")
    (tmp_path / "latin.Dockerfile").write_bytes(b"FROM busybox\nRUN echo caf\xe9\n")
    (tmp_path / "adir").mkdir()
    return tmp_path


# ----------------------------------------------------------------------------- the JSON contract

LAYER = {
    "type": "object",
    "required": ["line", "end_line", "instruction", "stage", "added_bytes", "stranded_bytes", "confidence"],
    "properties": {
        "line": {"type": "integer", "minimum": 1},
        "end_line": {"type": "integer", "minimum": 1},
        "instruction": {"type": "string"},
        "stage": {"type": "string"},
        "added_bytes": {"type": ["integer", "null"], "minimum": 0},
        "stranded_bytes": {"type": ["integer", "null"], "minimum": 0},
        "confidence": {"type": "string", "enum": ["exact", "estimated", "unknown"]},
    },
}
FINDING = {
    "type": "object",
    "required": ["rule", "name", "severity", "line", "column", "end_line", "end_column", "message",
                 "paths", "wasted_bytes", "related"],
    "properties": {
        "rule": {"type": "string", "pattern": "^DLL1[0-9]{2}$"},
        "name": {"type": "string"},
        "severity": {"enum": ["error", "warning", "info"]},
        "line": {"type": "integer", "minimum": 1},
        "column": {"type": "integer", "minimum": 1},
        "end_line": {"type": "integer", "minimum": 1},
        "end_column": {"type": "integer", "minimum": 1},
        "message": {"type": "string"},
        "paths": {"type": "array", "items": {"type": "string"}},
        "wasted_bytes": {"type": ["integer", "null"], "minimum": 0},
        "related": {"type": "array", "items": {
            "type": "object", "required": ["line", "message"],
            "properties": {"line": {"type": "integer"}, "message": {"type": "string"}}}},
    },
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "files"],
    "properties": {
        "version": {"const": 1},
        "files": {"type": "array", "items": {
            "type": "object",
            "required": ["path", "stranded_bytes", "layers", "findings"],
            "properties": {
                "path": {"type": "string"},
                "stranded_bytes": {"type": ["integer", "null"], "minimum": 0},
                "layers": {"type": "array", "items": LAYER},
                "findings": {"type": "array", "items": FINDING},
            },
        }},
    },
}


def json_run(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, dict]:
    result = dlayerlint("check", "--format", "json", *args, cwd=cwd)
    no_traceback(result)
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    return result, document


def test_schema_rejects_what_the_contract_forbids():
    """The schema itself has teeth (a wrong severity or a string byte count fails)."""
    good = {"version": 1, "files": [{"path": "D", "stranded_bytes": None, "layers": [], "findings": []}]}
    jsonschema.validate(good, SCHEMA)
    bad_layer = {"line": 1, "end_line": 1, "instruction": "RUN x", "stage": "0",
                 "added_bytes": "10", "stranded_bytes": 0, "confidence": "exact"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": 1, "files": [dict(good["files"][0], layers=[bad_layer])]}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": 2, "files": []}, SCHEMA)


def test_json_output_matches_the_contract(files):
    result, document = json_run("bad.Dockerfile", "clean.Dockerfile", "parse.Dockerfile",
                                "nope.Dockerfile", cwd=files)
    assert result.returncode == 2
    bad, clean, parse, nope = document["files"]
    assert [f["path"] for f in document["files"]] == [
        "bad.Dockerfile", "clean.Dockerfile", "parse.Dockerfile", "nope.Dockerfile"]

    assert bad["stranded_bytes"] == 10
    assert bad["layers"] == [
        {"line": 2, "end_line": 2, "instruction": "RUN head -c 10 /dev/zero > /a", "stage": "0",
         "added_bytes": 10, "stranded_bytes": 10, "confidence": "exact", "unknown": []},
        {"line": 3, "end_line": 3, "instruction": "RUN rm /a", "stage": "0",
         "added_bytes": 0, "stranded_bytes": 0, "confidence": "exact", "unknown": []},
    ]
    [finding] = bad["findings"]
    assert {k: finding[k] for k in ("rule", "name", "severity", "line", "column", "end_line", "end_column",
                                    "paths", "wasted_bytes")} == {
        "rule": "DLL101", "name": "removed-in-later-layer", "severity": "warning",
        "line": 3, "column": 5, "end_line": 3, "end_column": 10, "paths": ["/a"], "wasted_bytes": 10}
    assert finding["related"][0]["line"] == 2
    assert finding["fix"]["line"] == 2 and finding["fix"]["end_line"] == 3
    assert finding["fix"]["replacement"] == "RUN head -c 10 /dev/zero > /a \\\n    && rm /a"

    assert clean["stranded_bytes"] == 0 and clean["findings"] == []
    # a parse error is reported and the rest of that file is still linted
    assert parse["errors"][0]["line"] == 2 and parse["errors"][0]["column"] == 1
    assert "FROBNICATE" in parse["errors"][0]["message"]
    assert [(f["rule"], f["line"]) for f in parse["findings"]] == [("DLL101", 4)]
    assert nope["stranded_bytes"] is None and nope["layers"] == [] and nope["findings"] == []
    assert "no such file" in nope["errors"][0]["message"]


def test_json_unknown_is_null_or_a_lower_bound_never_zero(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN make\nRUN head -c 10 /dev/zero > /a && make\n")
    result, document = json_run("Dockerfile", cwd=tmp_path)
    assert result.returncode == 0
    first, second = document["files"][0]["layers"]
    assert (first["added_bytes"], first["confidence"]) == (None, "unknown")
    assert (second["added_bytes"], second["confidence"]) == (10, "unknown")
    assert any("`make`" in reason for reason in second["unknown"])


def test_json_estimated_cache_bytes(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nRUN rm -rf /var/lib/apt/lists/*\n")
    result, document = json_run("Dockerfile", cwd=tmp_path)
    assert result.returncode == 1
    entry = document["files"][0]
    assert entry["stranded_bytes"] == 19_000_000
    [finding] = entry["findings"]
    assert (finding["rule"], finding["line"], finding["column"]) == ("DLL104", 3, 5)
    assert finding["wasted_bytes"] == 19_000_000
    assert finding["wasted_confidence"] == "estimated"


def test_json_paths_have_no_internal_names(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nRUN rm -rf /var/lib/apt/lists/*\n")
    _, document = json_run("Dockerfile", cwd=tmp_path)
    assert document["files"][0]["findings"][0]["paths"] == ["/var/lib/apt/lists/*"]


# ----------------------------------------------------------------------------- exit codes and messages

def test_exit_0_when_clean(files):
    result = dlayerlint("check", "clean.Dockerfile", cwd=files)
    assert result.returncode == 0
    assert result.stdout == "clean.Dockerfile: 0 findings, 0 B (0 B) stranded above the base image\n"


def test_exit_1_with_findings(files):
    result = dlayerlint("check", "bad.Dockerfile", cwd=files)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == ("bad.Dockerfile:3:5: DLL101 removed-in-later-layer [warning]: `rm /a` removes /a, "
                        "made on line 2: 10 B still ship in the layer of line 2")
    assert "    line 2, column 5: /a made here" in lines   # no path: one quickfix entry per finding
    assert "suggested rewrite of lines 2-3 (merge the RUN instructions of lines 2-3 into one layer) [--fix]:" in lines
    assert lines[-1] == "bad.Dockerfile: 1 finding, 10 B (10 B) stranded above the base image"


@pytest.mark.parametrize("name, message", [
    ("nope.Dockerfile", "no such file"),
    ("adir", "is a directory"),
    ("bin.Dockerfile", "binary file"),
    ("latin.Dockerfile", "not UTF-8"),
])
def test_unreadable_files_exit_2_with_a_message(files, name, message):
    result = dlayerlint("check", name, cwd=files)
    no_traceback(result)
    assert result.returncode == 2
    output = result.stdout + result.stderr
    [line] = [text for text in output.splitlines() if text.startswith(name + ":")]
    assert message in line and "error" in line


def test_non_utf8_message_names_the_file_and_line(files):
    result = dlayerlint("check", "latin.Dockerfile", cwd=files)
    no_traceback(result)
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert "latin.Dockerfile" in output
    assert "byte 0xe9 on line 2" in output


def test_non_utf8_error_location_is_the_line(files):
    text = dlayerlint("check", "latin.Dockerfile", cwd=files)
    assert text.stdout.startswith("latin.Dockerfile:2:")
    _, document = json_run("latin.Dockerfile", cwd=files)
    assert document["files"][0]["errors"][0]["line"] == 2


def test_parse_error_exits_2_and_still_lints_the_file(files):
    result = dlayerlint("check", "parse.Dockerfile", cwd=files)
    no_traceback(result)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0] == "parse.Dockerfile:2:1: error: unknown instruction: FROBNICATE"
    assert any(line.startswith("parse.Dockerfile:4:5: DLL101") for line in lines)


def test_bad_files_do_not_stop_the_others(files):
    result = dlayerlint("check", "nope.Dockerfile", "latin.Dockerfile", "bad.Dockerfile", "adir",
                        "bin.Dockerfile", "clean.Dockerfile", cwd=files)
    no_traceback(result)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith("latin.Dockerfile:2:") and "not UTF-8" in lines[0]   # an error with a place
    # files that cannot be read at all are said on stderr, not as quickfix entries
    assert [line.split(": error: ")[0] for line in result.stderr.splitlines()] == ["nope.Dockerfile", "adir"]
    assert "no such file" in result.stderr and "is a directory" in result.stderr
    assert any(line.startswith("bad.Dockerfile:3:5: DLL101") for line in lines)
    assert lines[-1] == "clean.Dockerfile: 0 findings, 0 B (0 B) stranded above the base image"


# ----------------------------------------------------------------------------- options

def test_layers_table(files):
    result = dlayerlint("check", "--layers", "bad.Dockerfile", cwd=files)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    header = lines.index(" LINE  STAGE             ADDED     STRANDED  INSTRUCTION")
    assert lines[header + 1].split() == ["2", "0", "10", "B", "10", "B", "RUN", "head", "-c", "10", "/dev/zero", ">",
                                         "/a"]
    assert lines[header + 2].split() == ["3", "0", "0", "B", "0", "B", "RUN", "rm", "/a"]
    assert lines[-1] == "bad.Dockerfile: 1 finding, 10 B (10 B) stranded above the base image"


def test_layers_table_shows_lower_bounds(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN head -c 10 /dev/zero > /a && make\nRUN make\n")
    result = dlayerlint("check", "--layers", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()}
    assert "≥ 10 B" in rows["2"]
    assert "unknown" in rows["3"]


def test_build_arg_and_target(files):
    without = dlayerlint("check", "--target", "builder", "multi.Dockerfile", cwd=files)
    assert without.returncode == 0          # /a is made, /b removed: nothing stranded
    assert without.stdout.splitlines()[-1] == "multi.Dockerfile: 0 findings, 0 B (0 B) stranded above the base image"
    given = dlayerlint("check", "--target", "builder", "--build-arg", "OUT=/b", "multi.Dockerfile", cwd=files)
    assert given.returncode == 1
    assert given.stdout.startswith("multi.Dockerfile:4:5: DLL101 removed-in-later-layer")
    assert given.stdout.splitlines()[-1] == "multi.Dockerfile: 1 finding, 10 B (10 B) stranded above the base image"


def test_default_target_is_the_last_stage(files):
    result = dlayerlint("check", "--build-arg", "OUT=/b", "multi.Dockerfile", cwd=files)
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "multi.Dockerfile: 0 findings, 0 B (0 B) stranded above the base image"


def test_unknown_target_exits_2_with_a_clear_message(files):
    result = dlayerlint("check", "--target", "nope", "multi.Dockerfile", cwd=files)
    no_traceback(result)
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert "multi.Dockerfile" in output and "no build stage named 'nope'" in output


def test_malformed_build_arg_is_a_usage_error(files):
    result = dlayerlint("check", "--build-arg", "NOEQUALS", "bad.Dockerfile", cwd=files)
    no_traceback(result)
    assert result.returncode == 2
    assert "--build-arg takes NAME=VALUE" in result.stderr


def test_context_defaults_to_the_dockerfile_folder(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.bin").write_bytes(b"\0" * 4321)
    (project / "Dockerfile").write_text("FROM busybox\nCOPY app.bin /app\nRUN chmod +x /app\n")
    _, document = json_run("project/Dockerfile", cwd=tmp_path)
    entry = document["files"][0]
    assert entry["stranded_bytes"] == 4321
    assert [(f["rule"], f["line"], f["column"], f["wasted_bytes"]) for f in entry["findings"]] == [
        ("DLL103", 3, 5, 4321)]
    assert entry["layers"][0]["added_bytes"] == 4321 and entry["layers"][0]["confidence"] == "exact"


def test_context_option_and_missing_context(tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "app.bin").write_bytes(b"\0" * 99)
    (tmp_path / "Dockerfile").write_text("FROM busybox\nCOPY app.bin /app\nRUN rm /app\n")
    _, document = json_run("--context", "ctx", "Dockerfile", cwd=tmp_path)
    assert document["files"][0]["stranded_bytes"] == 99
    missing = dlayerlint("check", "--context", "nowhere", "Dockerfile", cwd=tmp_path)
    assert missing.returncode == 2 and "not a directory" in missing.stderr


# ----------------------------------------------------------------------------- rules and explain

def test_rules_lists_every_rule(tmp_path):
    result = dlayerlint("rules", cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["DLL001", "DLL002", *(f"DLL10{n}" for n in range(1, 10)),
                                                   "DLL110", "DLL111"]
    assert lines[0].split()[:3] == ["DLL001", "unused-pragma", "warning"]
    assert lines[1].split()[:3] == ["DLL002", "malformed-pragma", "error"]
    assert lines[4].split()[:3] == ["DLL103", "copy-then-chmod", "warning"]
    assert lines[9].split()[:3] == ["DLL108", "secret-removed-later", "error"]


@pytest.mark.parametrize("name", ["DLL103", "copy-then-chmod", "dll103"])
def test_explain(tmp_path, name):
    result = dlayerlint("explain", name, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("DLL103 copy-then-chmod (warning)\n")
    assert "COPY --chmod=0755 app.bin /usr/local/bin/app" in result.stdout
    assert "Bad:" in result.stdout and "Good:" in result.stdout


def test_explain_the_pragma_rule(run_cli):
    ran = run_cli("explain", "unused-pragma")
    assert ran.code == 0
    assert ran.out.startswith("DLL001 unused-pragma (warning)\n")
    assert "--report-unused-pragmas" in ran.out and "Bad:" in ran.out and "Good:" in ran.out
    assert "    # dlayerlint: disable=removed-in-later-layr\n" in ran.out
    assert run_cli("explain", "dll001").out == ran.out


SIZED = "FROM debian:bookworm\nRUN apt-get update\nRUN apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n"


def test_size_sources_are_in_explain_and_json_not_under_each_finding(run_cli, tmp_path):
    """A knowledge-base figure's source (Debian's Packages, the apt-lists real build) is said
    by `explain` and by JSON's `size_source`; repeated in the text under every finding it drowned
    the findings (one file printed it seven times)."""
    (tmp_path / "Dockerfile").write_text(SIZED)
    text = run_cli("check", "Dockerfile").out
    assert "DLL110" in text and "DLL104" in text
    assert "Installed-Size" not in text and "real build of debian:bookworm" not in text
    findings = {f["rule"]: f for f in json.loads(run_cli("check", "--format", "json", "Dockerfile").out)
                ["files"][0]["findings"]}
    assert findings["DLL110"]["size_source"].startswith("Debian bookworm Packages Installed-Size")
    assert findings["DLL104"]["size_source"].startswith("real build of debian:bookworm")
    assert "Installed-Size from the Packages of bookworm" in run_cli("explain", "DLL110").out
    assert "real build of debian:bookworm" in run_cli("explain", "DLL104").out
    assert "sources" not in run_cli("explain", "DLL103").out


def test_explain_by_id_and_by_name_agree(tmp_path):
    assert dlayerlint("explain", "DLL103", cwd=tmp_path).stdout == \
        dlayerlint("explain", "copy-then-chmod", cwd=tmp_path).stdout


def test_explain_unknown_rule_exits_2(tmp_path):
    result = dlayerlint("explain", "nope", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "no rule named 'nope'" in result.stderr


# ----------------------------------------------------------------------------- the CI gate: thresholds

@pytest.mark.parametrize("args, code", [
    ([], 1),                                                  # default fail level: info
    (["--fail-level", "warning"], 1),
    (["--fail-level", "error"], 0),                           # DLL101 is a warning
    (["--fail-level", "none"], 0),
    (["--fail-level", "error", "--severity", "DLL101=error"], 1),
    (["--fail-level", "warning", "--severity", "removed-in-later-layer=info"], 0),
])
def test_fail_level(run_cli, files, args, code):
    ran = run_cli("check", *args, "bad.Dockerfile", cwd=files)
    assert ran.code == code
    assert ran.out.startswith("bad.Dockerfile:3:5: DLL101")   # shown whatever the fail level


def test_errors_exit_2_whatever_the_fail_level(run_cli, files):
    assert run_cli("check", "--fail-level", "none", "parse.Dockerfile", cwd=files).code == 2


def test_max_stranded(run_cli, files):
    over = run_cli("check", "--fail-level", "none", "--max-stranded", "9", "bad.Dockerfile", cwd=files)
    assert over.code == 1
    assert over.err == ("dlayerlint: bad.Dockerfile: 10 B (10 B) stranded, over the max-stranded limit "
                        "of 9 B (9 B)\n")
    assert run_cli("check", "--fail-level", "none", "--max-stranded", "10", "bad.Dockerfile", cwd=files).code == 0
    assert run_cli("check", "--fail-level", "none", "--max-stranded", "1KiB", "bad.Dockerfile", cwd=files).code == 0


def test_max_stranded_with_a_lower_bound(run_cli, tmp_path):
    """A lower bound over the limit fails (the real total is larger still); under it, the run passes."""
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nRUN mkdir /d && head -c 100 /dev/zero > /d/a && wget -O /d/b http://x/b\nRUN rm -rf /d\n")
    over = run_cli("check", "--fail-level", "none", "--max-stranded", "50", "Dockerfile")
    assert over.code == 1 and "≥ 100 B (100 B) stranded, over the max-stranded limit" in over.err
    assert run_cli("check", "--fail-level", "none", "--max-stranded", "1MiB", "Dockerfile").code == 0


def test_max_stranded_from_config_and_bad_sizes(run_cli, files):
    (files / ".dlayerlint.yaml").write_text("max-stranded: 5B\nfail-level: none\n")
    assert run_cli("check", "bad.Dockerfile", cwd=files).code == 1
    assert run_cli("check", "--max-stranded", "1MB", "bad.Dockerfile", cwd=files).code == 0
    bad = run_cli("check", "--max-stranded", "lots", "bad.Dockerfile", cwd=files)
    assert bad.code == 2 and "'lots' is not a size" in bad.err


# ----------------------------------------------------------------------------- many files, globs, stdin

@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    for name in ("a/Dockerfile", "a/b/Dockerfile.dev", "vendor/x/Dockerfile", "c/notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(BAD)
    return tmp_path


def linted(ran) -> list[str]:
    return [line.split(":")[0] for line in ran.out.splitlines() if "stranded above the base image" in line]


def test_glob_patterns_the_shell_left_alone(run_cli, tree):
    ran = run_cli("check", "**/Dockerfile*", cwd=tree)
    assert ran.code == 1
    assert linted(ran) == ["a/Dockerfile", "a/b/Dockerfile.dev", "vendor/x/Dockerfile"]


def test_a_pattern_that_matches_nothing_is_reported(run_cli, tree):
    ran = run_cli("check", "nowhere/*.Dockerfile", cwd=tree)
    assert ran.code == 2
    assert ran.err.startswith("nowhere/*.Dockerfile: error: no such file") and ran.out == ""   # stderr: no place


@pytest.mark.parametrize("pattern, kept", [
    ("vendor", ["a/Dockerfile", "a/b/Dockerfile.dev"]),
    ("vendor/*", ["a/Dockerfile", "a/b/Dockerfile.dev"]),
    ("*.dev", ["a/Dockerfile", "vendor/x/Dockerfile"]),
    ("a/b/", ["a/Dockerfile", "vendor/x/Dockerfile"]),
])
def test_exclude(run_cli, tree, pattern, kept):
    assert linted(run_cli("check", "--exclude", pattern, "**/Dockerfile*", cwd=tree)) == kept


def test_exclude_applies_to_named_files_and_everything_excluded_is_an_error(run_cli, tree):
    ran = run_cli("check", "--exclude", "vendor", "vendor/x/Dockerfile", cwd=tree)
    assert ran.code == 2 and "every file is excluded" in ran.err


def test_stdin_with_a_filename(run_cli, tree):
    (tree / "a" / ".dlayerlint.yaml").write_text("severity: {DLL101: error}\n")
    ran = run_cli("check", "--stdin-filename", "a/Dockerfile", "-", cwd=tree, stdin=BAD.encode())
    assert ran.code == 1
    assert ran.out.startswith("a/Dockerfile:3:5: DLL101 removed-in-later-layer [error]")
    plain = run_cli("check", "-", cwd=tree, stdin=CLEAN.encode())
    assert plain.code == 0 and plain.out.startswith("-: 0 findings")


def test_stdin_errors(run_cli, tree):
    latin = run_cli("check", "-", cwd=tree, stdin=b"FROM busybox\nRUN echo caf\xe9\n")
    assert latin.code == 2 and latin.out.startswith("-:2: error: not UTF-8")
    assert "can be given once" in run_cli("check", "-", "-", cwd=tree, stdin=b"").err
    alone = run_cli("check", "--stdin-filename", "x", "a/Dockerfile", cwd=tree)
    assert alone.code == 2 and "give - too" in alone.err
