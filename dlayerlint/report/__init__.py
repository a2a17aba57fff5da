"""Output formats. Each format module has `render_file(result, show_layers)`,
which turns one `FileResult` into a piece, and `combine(pieces)`, which joins
the pieces into the output; pieces are plain data, so worker processes can
render them (`--jobs`)."""
from __future__ import annotations

from importlib import import_module
from types import ModuleType

from .result import FileResult

FORMATS = {"text": "text", "json": "json_format", "sarif": "sarif", "github": "github", "gitlab": "gitlab",
           "checkstyle": "checkstyle", "junit": "junit"}

__all__ = ["FORMATS", "FileResult", "formatter"]


def formatter(fmt: str) -> ModuleType:
    """The format's module, imported on demand so a run loads only what it prints."""
    return import_module(f"{__name__}.{FORMATS[fmt]}")
