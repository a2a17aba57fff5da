"""`--format checkstyle`: Checkstyle XML (one <file> per Dockerfile, one
<error> per finding or problem), as Jenkins, reviewdog and SonarQube read it."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .common import xml_text
from .result import FileResult


def _error(parent: ET.Element, line: int | None, column: int | None, severity: str, message: str,
           source: str) -> None:
    attributes = {"line": str(line or 1), "severity": severity, "message": xml_text(message), "source": source}
    if column:
        attributes["column"] = str(column)
    ET.SubElement(parent, "error", attributes)


def render_file(result: FileResult, _show_layers: bool = False) -> str:
    element = ET.Element("file", {"name": xml_text(result.path)})
    if result.error is not None:
        _error(element, result.error_line, None, "error", result.error, "dlayerlint.error")
    if result.analysis is not None:
        for problem in result.analysis.errors:
            _error(element, problem.line, problem.column, "error", problem.message, "dlayerlint.parse")
        for finding in result.analysis.findings:
            _error(element, finding.span.start.line, finding.span.start.column, finding.severity, finding.message,
                   f"dlayerlint.{finding.rule.id}.{finding.rule.name}")
    return ET.tostring(element, encoding="unicode")


def combine(pieces: list[str]) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<checkstyle version="4.3">\n' + \
        "".join(f"  {piece}\n" for piece in pieces) + "</checkstyle>\n"
