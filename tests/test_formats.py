"""Output formats: SARIF 2.1.0 (validated against the official schema), GitHub
workflow commands, GitLab Code Quality, Checkstyle and JUnit XML, and several
formats in one run."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from dlayerlint.report.github import annotation, escape_data, escape_property

SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json"

BAD = "FROM busybox\nRUN head -c 10 /dev/zero > /a\nRUN rm /a\n"
# two findings: the cache cleaned later (warning) and a COPY then chmod
TWO = ("FROM debian:bookworm\n"
       "COPY app.bin /app\n"
       "RUN apt-get update && apt-get install -y --no-install-recommends curl\n"
       "RUN chmod +x /app && rm -rf /var/lib/apt/lists/*\n")
PARSE_ERROR = "FROM busybox\nFROBNICATE x\n"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "bad.Dockerfile").write_text(BAD)
    (tmp_path / "two.Dockerfile").write_text(TWO)
    (tmp_path / "app.bin").write_bytes(b"\0" * 300)
    (tmp_path / "parse.Dockerfile").write_text(PARSE_ERROR)
    return tmp_path


def sarif(run_cli, *args: str) -> tuple[int, dict]:
    ran = run_cli("check", "--format", "sarif", *args)
    return ran.code, json.loads(ran.out)


def replace_region(text: str, region: dict, inserted: str) -> str:
    """Apply one SARIF replacement (1-based lines, code-point columns, end exclusive)."""
    lines = text.split("\n")
    def offset(line: int, column: int) -> int:
        return sum(len(item) + 1 for item in lines[:line - 1]) + column - 1
    start = offset(region["startLine"], region["startColumn"])
    return text[:start] + inserted + text[offset(region["endLine"], region["endColumn"]):]


# ----------------------------------------------------------------------------- SARIF

@pytest.mark.skipif(not SCHEMA.is_file(), reason=f"no SARIF schema at {SCHEMA} (../shared is absent)")
def test_sarif_is_valid_against_the_official_schema(run_cli, project):
    code, document = sarif(run_cli, "bad.Dockerfile", "two.Dockerfile", "parse.Dockerfile", "nope.Dockerfile")
    assert code == 2
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(document)
    # the validator has teeth: a result without a message is rejected
    broken = json.loads(json.dumps(document))
    del broken["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(broken)


def test_sarif_rules_carry_help_and_results_point_at_them(run_cli, project):
    _, document = sarif(run_cli, "bad.Dockerfile", "two.Dockerfile")
    run = document["runs"][0]
    assert document["version"] == "2.1.0" and run["columnKind"] == "unicodeCodePoints"
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules][:8] == [f"DLL10{n}" for n in range(1, 9)]
    removed = rules[0]
    assert removed["name"] == "removed-in-later-layer"
    assert removed["helpUri"] == "https://github.com/dlayerlint/dlayerlint/blob/main/rules/DLL101.yaml"
    assert removed["help"]["text"].startswith("DLL101 removed-in-later-layer (warning)")
    assert "whiteout" in removed["fullDescription"]["text"]
    assert removed["defaultConfiguration"]["level"] == "warning"
    assert rules[7]["defaultConfiguration"]["level"] == "error"     # DLL108 secret-removed-later
    assert {rule["id"]: rule.get("properties", {}).get("hadolint") for rule in rules}["DLL104"] == ["DL3009"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert sorted(r["ruleId"] for r in run["results"]) == ["DLL101", "DLL103", "DLL104"]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_result_locations_related_locations_fix_and_bytes(run_cli, project):
    _, document = sarif(run_cli, "bad.Dockerfile")
    [result] = document["runs"][0]["results"]
    assert result["level"] == "warning"
    assert result["message"]["text"].startswith("`rm /a` removes /a, made on line 2")
    [location] = result["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "bad.Dockerfile"
    assert location["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 10}
    [related] = result["relatedLocations"]
    assert related["physicalLocation"]["region"]["startLine"] == 2
    assert related["message"]["text"] == "/a made here"
    assert result["properties"] == {"wastedBytes": 10, "wastedConfidence": "exact", "paths": ["/a"]}
    [fix] = result["fixes"]
    [change] = fix["artifactChanges"]
    [replacement] = change["replacements"]
    assert replacement["insertedContent"]["text"] == "RUN head -c 10 /dev/zero > /a \\\n    && rm /a"
    assert replacement["deletedRegion"] == {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 10}
    # applying the fix as a SARIF consumer would leaves a clean Dockerfile
    fixed = replace_region(BAD, replacement["deletedRegion"], replacement["insertedContent"]["text"])
    assert fixed == "FROM busybox\nRUN head -c 10 /dev/zero > /a \\\n    && rm /a\n"
    (project / "fixed.Dockerfile").write_text(fixed)
    assert run_cli("check", "fixed.Dockerfile").code == 0


def test_sarif_levels_follow_severity_overrides(run_cli, project):
    _, document = sarif(run_cli, "--severity", "DLL101=info", "bad.Dockerfile")
    assert [r["level"] for r in document["runs"][0]["results"]] == ["note"]


def test_sarif_reports_unlintable_files_as_notifications(run_cli, project):
    code, document = sarif(run_cli, "parse.Dockerfile", "nope.Dockerfile")
    assert code == 2
    invocation = document["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    parse, nope = invocation["toolExecutionNotifications"]
    assert "FROBNICATE" in parse["message"]["text"]
    assert parse["locations"][0]["physicalLocation"]["region"] == {"startLine": 2, "startColumn": 1}
    assert nope["message"]["text"] == "no such file"
    assert nope["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "nope.Dockerfile"


def test_sarif_uris_are_encoded(run_cli, tmp_path):
    (tmp_path / "my dir").mkdir()
    (tmp_path / "my dir" / "Dockerfile").write_text(BAD)
    _, document = sarif(run_cli, "my dir/Dockerfile", str(tmp_path / "my dir" / "Dockerfile"))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]]
    assert uris == ["my%20dir/Dockerfile", (tmp_path / "my dir" / "Dockerfile").as_uri()]


# ----------------------------------------------------------------------------- GitHub

def test_github_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert annotation("warning", {"file": "x,y:z", "line": 3}, "m: 1, 2") == "::warning file=x%2Cy%3Az,line=3::m: 1, 2\n"


def test_github_annotations(run_cli, project):
    ran = run_cli("check", "--format", "github", "bad.Dockerfile", "parse.Dockerfile")
    assert ran.code == 2
    lines = ran.out.splitlines()
    assert lines[0] == ("::warning file=bad.Dockerfile,line=3,col=5,endLine=3,endColumn=10,"
                        "title=DLL101 removed-in-later-layer::`rm /a` removes /a, made on line 2: "
                        "10 B still ship in the layer of line 2%0Abad.Dockerfile:2:5: /a made here")
    assert lines[1] == ("::error file=parse.Dockerfile,line=2,col=1,title=dlayerlint parse error::"
                        "unknown instruction: FROBNICATE")


def test_github_info_findings_are_notices(run_cli, project):
    ran = run_cli("check", "--format", "github", "--severity", "removed-in-later-layer=info", "bad.Dockerfile")
    assert ran.out.startswith("::notice file=bad.Dockerfile,")


# ----------------------------------------------------------------------------- GitLab

def gitlab(run_cli, *args: str) -> list[dict]:
    return json.loads(run_cli("check", "--format", "gitlab", *args).out)


def test_gitlab_code_quality(run_cli, project):
    issues = gitlab(run_cli, "two.Dockerfile", "nope.Dockerfile")
    assert [(i["check_name"], i["severity"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("DLL103", "major", 4), ("DLL104", "major", 4), ("dlayerlint-error", "blocker", 1)]
    first = issues[0]
    assert first["location"]["path"] == "two.Dockerfile"
    assert first["description"].startswith("DLL103 copy-then-chmod: `chmod +x /app`")
    assert len({issue["fingerprint"] for issue in issues}) == 3


def test_gitlab_fingerprints_are_stable_across_runs_and_line_moves(run_cli, project):
    before = gitlab(run_cli, "two.Dockerfile")
    assert gitlab(run_cli, "two.Dockerfile") == before
    (project / "two.Dockerfile").write_text("# moved down\n\n" + TWO)
    after = gitlab(run_cli, "two.Dockerfile")
    assert [i["location"]["lines"]["begin"] for i in after] == [6, 6]
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in before]


def test_gitlab_severity_mapping(run_cli, project):
    issues = gitlab(run_cli, "--severity", "DLL101=error", "bad.Dockerfile")
    assert [i["severity"] for i in issues] == ["critical"]
    assert [i["severity"] for i in gitlab(run_cli, "--severity", "DLL101=info", "bad.Dockerfile")] == ["info"]


# ----------------------------------------------------------------------------- XML

NASTY = "FROM busybox\nRUN head -c 10 /dev/zero > '/a&<b>\"\x07'\nRUN rm '/a&<b>\"\x07'\n"


def test_checkstyle_is_escaped_xml(run_cli, project):
    (project / "nasty.Dockerfile").write_text(NASTY)
    ran = run_cli("check", "--format", "checkstyle", "nasty.Dockerfile", "nope.Dockerfile")
    root = ET.fromstring(ran.out)
    assert root.tag == "checkstyle"
    nasty, nope = root.findall("file")
    [error] = nasty.findall("error")
    assert (error.get("line"), error.get("column"), error.get("severity")) == ("3", "5", "warning")
    assert error.get("source") == "dlayerlint.DLL101.removed-in-later-layer"
    assert "/a&<b>\"\ufffd" in error.get("message")
    assert nope.get("name") == "nope.Dockerfile" and nope.find("error").get("message") == "no such file"


def test_junit_testcase_per_finding_and_per_file_problem(run_cli, project):
    ran = run_cli("check", "--format", "junit", "two.Dockerfile", "bad.Dockerfile", "parse.Dockerfile")
    root = ET.fromstring(ran.out)
    assert root.tag == "testsuites"
    # one result per case: failures and errors count failing cases, and never exceed tests
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "3", "1")
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert all(len(case) == 1 for case in cases)
    copy, cache, bad, parse = cases
    assert (copy.get("classname"), copy.get("file")) == ("two.Dockerfile", "two.Dockerfile")
    assert [c.find("failure").get("type") for c in (copy, cache)] == ["DLL103 copy-then-chmod",
                                                                       "DLL104 cache-cleaned-later"]
    assert bad.get("name") == "DLL101 removed-in-later-layer at 3:5" and bad.get("line") == "3"
    failure = bad.find("failure")
    assert failure.text.startswith("bad.Dockerfile:3:5: DLL101 removed-in-later-layer [warning]")
    assert "line 2, column 5: /a made here" in failure.text
    assert parse.find("error").get("message") == "unknown instruction: FROBNICATE"
    assert parse.find("error").text == "parse.Dockerfile:2:1: error: unknown instruction: FROBNICATE"


# ----------------------------------------------------------------------------- several formats, --output

def test_several_formats_in_one_run(run_cli, project):
    ran = run_cli("check", "--format", "text", "--format", "sarif:out.sarif", "--format", "junit:reports/j.xml",
                  "bad.Dockerfile")
    assert ran.code == 1
    assert ran.out.startswith("bad.Dockerfile:3:5: DLL101")
    assert json.loads((project / "out.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "DLL101"
    assert ET.parse(project / "reports" / "j.xml").getroot().get("failures") == "1"


def test_output_writes_the_format_without_a_file(run_cli, project):
    ran = run_cli("check", "--format", "json", "--output", "out.json", "--format", "github:-", "bad.Dockerfile")
    assert ran.code == 1
    assert ran.out.startswith("::warning file=bad.Dockerfile")
    assert json.loads((project / "out.json").read_text())["files"][0]["stranded_bytes"] == 10
    alone = run_cli("check", "-o", "alone.txt", "bad.Dockerfile")
    assert alone.out == "" and (project / "alone.txt").read_text().startswith("bad.Dockerfile:3:5: DLL101")


@pytest.mark.parametrize("args, message", [
    (["--format", "text", "--format", "json"], "only one format can go to stdout"),
    (["--format", "text", "--format", "json", "--output", "x"], "--output names one file but several"),
    (["--format", "sarif:x", "--format", "json:x"], "two formats would write the same file"),
    (["--format", "yaml"], "--format takes FORMAT or FORMAT:FILE"),
    (["--format", "sarif:"], "--format takes FORMAT or FORMAT:FILE"),
    (["--format", "sarif:bad.Dockerfile/x.sarif"], "cannot write bad.Dockerfile/x.sarif"),
])
def test_bad_output_choices_exit_2(run_cli, project, args, message):
    ran = run_cli("check", *args, "bad.Dockerfile")
    assert ran.code == 2
    assert message in ran.err


def test_junit_counts_agree_with_junitparser(run_cli, project):
    """junitparser (a real consumer) recounts the results: its totals are the document's, and
    passed = tests - failures - errors is the clean file."""
    junitparser = pytest.importorskip("junitparser")
    (project / "clean.Dockerfile").write_text("FROM busybox\nRUN echo hi\n")
    ran = run_cli("check", "--format", "junit:j.xml", "two.Dockerfile", "bad.Dockerfile", "parse.Dockerfile",
                  "clean.Dockerfile")
    assert ran.code == 2
    declared = junitparser.JUnitXml.fromfile(str(project / "j.xml"))
    [suite] = list(declared)
    stated = (suite.tests, suite.failures, suite.errors)
    suite.update_statistics()   # junitparser's own count, from the test cases
    assert stated == (suite.tests, suite.failures, suite.errors) == (5, 3, 1)
    passed = [case.name for case in suite if not case.result]
    assert passed == ["clean.Dockerfile"] and len(passed) == suite.tests - suite.failures - suite.errors
