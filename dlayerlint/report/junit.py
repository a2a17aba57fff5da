"""`--format junit`: JUnit XML for CI test reports. One <testcase> per
Dockerfile, with a <failure> per finding and an <error> per problem that
stopped or disturbed its linting."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from .common import xml_text
from .result import FileResult
from .text import _finding as finding_lines


def _child(parent: ET.Element, tag: str, kind: str, message: str, body: str) -> None:
    child = ET.SubElement(parent, tag, {"type": kind, "message": xml_text(message)})
    child.text = xml_text(body)


def render_file(result: FileResult, _show_layers: bool = False) -> dict[str, Any]:
    case = ET.Element("testcase", {"name": xml_text(result.path), "classname": "dlayerlint",
                                   "file": xml_text(result.path)})
    if result.error is not None:
        _child(case, "error", "dlayerlint.error", result.error, f"{result.path}: {result.error}")
    analysis = result.analysis
    if analysis is not None:
        for problem in analysis.errors:
            _child(case, "error", "dlayerlint.parse", problem.message,
                   f"{result.path}:{problem.line}:{problem.column}: {problem.message}")
        for finding in analysis.findings:
            _child(case, "failure", f"{finding.rule.id} {finding.rule.name}", finding.message,
                   "\n".join(finding_lines(result.path, finding)))
    return {"xml": ET.tostring(case, encoding="unicode"),
            "failures": len(case.findall("failure")), "errors": len(case.findall("error"))}


def combine(pieces: list[dict[str, Any]]) -> str:
    counts = {"tests": str(len(pieces)), "failures": str(sum(p["failures"] for p in pieces)),
              "errors": str(sum(p["errors"] for p in pieces))}
    attributes = " ".join(f'{key}="{value}"' for key, value in counts.items())
    cases = "".join(f"    {piece['xml']}\n" for piece in pieces)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="dlayerlint" {attributes}>\n'
            f'  <testsuite name="dlayerlint" {attributes}>\n{cases}  </testsuite>\n</testsuites>\n')
