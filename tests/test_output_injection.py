"""Hostile text in paths and RUN lines cannot forge output (issue 16, probe 6).

Property tests over arbitrary text (newlines, `::`, `%`, `,`, ANSI escapes,
`<`, `&`, `]]>`, lone surrogates from non-UTF-8 file names, ...) put in the
file's path and in the paths a RUN makes and removes, so it reaches every
message. Each format must stay what it claims to be: GitHub workflow commands
one per line with properties that unescape to the path, XML that parses,
JSON that parses to the same path, and text with no control character a
terminal would act on.
"""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings, strategies as st

from dlayerlint.lint import analyze
from dlayerlint.report import FORMATS, FileResult, formatter
from dlayerlint.report.common import xml_text

EXAMPLES = int(os.environ.get("DLAYERLINT_FUZZ_EXAMPLES", "120"))
NASTY = ["\n", "\r", "\r\n", "::", "%", "%0A", ",", ":", "=", "\x1b[2J", "\x1b]8;;x\x07", "\x9b31m", "<", ">",
         "&", "&amp;", "]]>", "<![CDATA[", '"', "'", "\x00", "\x7f", "\u2028", "\udcff", "\ufeff", "\ufffe",
         "::error file=x::forged", "\\", "`", "$(curl x)"]
hostile = st.lists(st.one_of(st.sampled_from(NASTY), st.text(st.characters(), max_size=6)), max_size=6).map("".join)
TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def dockerfile(word: str) -> str:
    """A file whose finding names `word` (as a path) in its message, related line and fix."""
    name = "".join(char if char not in "\r\n\0" else "_" for char in word) or "x"
    quoted = "'" + name.replace("'", "'\\''") + "'"
    return (f"FROM busybox\nRUN dd if=/dev/zero of=/data/{quoted} bs=1k count=4\n"
            f"RUN rm /data/{quoted}\n# {word.replace(chr(10), ' ')}\n")


def results(path: str, text: str) -> list[FileResult]:
    return [FileResult(path, analyze(text)), FileResult(path, error=f"cannot read: {path}"),
            FileResult(path + "2", analyze(text + "RUN \"[\n"))]


def render(fmt: str, files: list[FileResult]) -> str:
    module = formatter(fmt)
    return module.combine([module.render_file(result, True) for result in files])


def unescape(value: str) -> str:
    return value.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r") \
        .replace("%25", "%")


def check_github(output: str, paths: set[str]) -> None:
    for line in output.split("\n")[:-1]:
        assert line.startswith(("::error ", "::warning ", "::notice ")), repr(line)
        head, _, _message = line[2:].partition("::")
        _command, _, listed = head.partition(" ")
        properties = dict(item.split("=", 1) for item in listed.split(","))
        assert set(properties) <= {"file", "line", "col", "endLine", "endColumn", "title"}
        assert unescape(properties["file"]) in paths
        assert "\r" not in line


def check_xml(output: str, paths: set[str]) -> None:
    root = ET.fromstring(output.encode("utf-8", "surrogateescape"))
    # checkstyle: <file name=PATH>; JUnit: <testcase file=PATH classname=PATH>
    names = {element.get("name") for element in root.iter("file")} | \
        {element.get("file") for element in root.iter("testcase")}
    assert names == {xml_text(path) for path in paths}


def check_json(output: str, paths: set[str]) -> None:
    document = json.loads(output)
    assert {entry["path"] for entry in document["files"]} == paths


def check_json_list(output: str, paths: set[str]) -> None:
    assert {issue["location"]["path"] for issue in json.loads(output)} == paths


def check_sarif(output: str, paths: set[str]) -> None:
    document = json.loads(output)
    uris = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for result in document["runs"][0]["results"]}
    assert all(not re.search(r"[\s\x00-\x1f\x7f<>\"`{}|\\^]", uri) for uri in uris), uris
    assert paths


def check_text(output: str, _paths: set[str]) -> None:
    assert not TERMINAL_CONTROL.search(output), repr(TERMINAL_CONTROL.search(output))


CHECKS = {"github": check_github, "checkstyle": check_xml, "junit": check_xml, "json": check_json,
          "gitlab": check_json_list, "sarif": check_sarif, "text": check_text}


def test_every_format_is_checked():
    assert set(CHECKS) == set(FORMATS)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile, hostile)
def test_hostile_paths_and_run_text_stay_escaped(path_text, run_text):
    path = f"dir/{path_text}/Dockerfile"
    files = results(path, dockerfile(run_text + path_text))
    assert files[0].analysis is not None and files[0].analysis.findings
    for fmt, check in CHECKS.items():
        check(render(fmt, files), {path, path + "2"})


def test_a_forged_github_command_stays_data():
    path = "a\n::error file=forged.py,line=1::owned"
    output = render("github", results(path, dockerfile("x\n::error::owned")))
    check_github(output, {path, path + "2"})   # each command's file is ours, whole
    assert not any(line.startswith("::error file=forged.py") for line in output.split("\n"))


def test_ansi_and_lone_cr_never_reach_the_terminal():
    output = render("text", results("\x1b[2J\rDockerfile", dockerfile("\x1b]0;title\x07\r")))
    assert "\x1b" not in output and "\r" not in output and "\ufffd[2J" in output
