"""Colour for the text format on stdout.

`--color auto` (the default) colours a terminal only; `always` and `never` decide
alone. Under `auto`, NO_COLOR (any non-empty value, https://no-color.org) turns
colour off and FORCE_COLOR (https://force-color.org) turns it on for a pipe, NO_COLOR
winning when both are set; TERM=dumb is no colour. Only the severity, the rule and
the location are coloured, so a line still reads the same without the escapes.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TextIO

CHOICES = ("auto", "always", "never")
BOLD, RESET = "\x1b[1m", "\x1b[0m"
SEVERITY_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m"}

# `path:line:col: ID name [severity]:` and `path[:line[:col]]: error:`
_FINDING = re.compile(r"^(?P<where>[^\n]+?:\d+:\d+:) (?P<rule>[A-Z]+\d+ [\w-]+) \[(?P<severity>error|warning|info)\]:",
                      re.MULTILINE)
_ERROR = re.compile(r"^(?P<where>[^\n]+?): error:", re.MULTILINE)


def use_colour(choice: str, stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    if choice != "auto":
        return choice == "always"
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and environ.get("TERM") != "dumb"


def _finding(match: re.Match) -> str:
    colour = SEVERITY_COLOURS[match["severity"]]
    return f"{BOLD}{match['where']}{RESET} {BOLD}{match['rule']}{RESET} [{colour}{match['severity']}{RESET}]:"


def colourise(text: str) -> str:
    """The text format with ANSI colours on its finding and error lines."""
    text = _FINDING.sub(_finding, text)
    return _ERROR.sub(lambda m: f"{BOLD}{m['where']}{RESET}: {SEVERITY_COLOURS['error']}error{RESET}:", text)
