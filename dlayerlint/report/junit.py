"""`--format junit`: JUnit XML for CI test reports, one result per test case, as ruff and
ESLint write it: a <testcase> per finding (with its <failure>), one per file that could not
be read or parsed (with one <error> listing every problem), and one passing <testcase> per
clean file. Each case holds at most one result, so every way consumers count agrees: the
suite's `failures` and `errors` are failing cases, junitparser's recount of elements gives
the same, and passed = tests - failures - errors is the clean files."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from .common import xml_text
from .result import FileResult
from .text import _finding as finding_lines, error_lines


def _case(path: str, name: str, line: int | None = None) -> ET.Element:
    attributes = {"name": xml_text(name), "classname": xml_text(path), "file": xml_text(path)}
    if line is not None:
        attributes["line"] = str(line)
    return ET.Element("testcase", attributes)


def _result(case: ET.Element, tag: str, kind: str, message: str, body: str) -> ET.Element:
    child = ET.SubElement(case, tag, {"type": kind, "message": xml_text(message)})
    child.text = xml_text(body)
    return case


def render_file(result: FileResult, _show_layers: bool = False) -> dict[str, Any]:
    cases, problems = [], error_lines(result)
    if problems:
        first = result.error or (result.analysis.errors[0].message if result.analysis else "")
        cases.append(_result(_case(result.path, f"{result.path}: read and parse"), "error",
                             "dlayerlint.error" if result.error else "dlayerlint.parse", first, "\n".join(problems)))
    findings = result.analysis.findings if result.analysis is not None else []
    for finding in findings:
        start = finding.span.start
        case = _case(result.path, f"{finding.rule.id} {finding.rule.name} at {start.line}:{start.column}", start.line)
        cases.append(_result(case, "failure", f"{finding.rule.id} {finding.rule.name}", finding.message,
                             "\n".join(finding_lines(result.path, finding))))
    if not cases:
        cases.append(_case(result.path, result.path))   # a clean file: a passing case
    return {"xml": "".join(f"    {ET.tostring(case, encoding='unicode')}\n" for case in cases),
            "tests": len(cases), "failures": len(findings), "errors": int(bool(problems))}


def combine(pieces: list[dict[str, Any]]) -> str:
    counts = {key: str(sum(piece[key] for piece in pieces)) for key in ("tests", "failures", "errors")}
    attributes = " ".join(f'{key}="{value}"' for key, value in counts.items())
    cases = "".join(piece["xml"] for piece in pieces)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="dlayerlint" {attributes}>\n'
            f'  <testsuite name="dlayerlint" {attributes}>\n{cases}  </testsuite>\n</testsuites>\n')
