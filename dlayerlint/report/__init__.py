"""Output formats. Each module renders a list of `FileResult`s."""
from __future__ import annotations

from .result import FileResult


FORMATS = ("text", "json")


def render(results: list[FileResult], fmt: str, show_layers: bool = False) -> str:
    # imported here so `dlayerlint check` loads only the format it prints
    if fmt == "json":
        from .json_format import render_json  # pylint: disable=import-outside-toplevel
        return render_json(results)
    from .text import render_text  # pylint: disable=import-outside-toplevel
    return render_text(results, show_layers)
