"""One linted file's outcome, as every output format receives it."""
from __future__ import annotations

from dataclasses import dataclass

from ..simulate.analysis import Analysis


@dataclass(slots=True)
class FileResult:
    path: str
    analysis: Analysis | None = None
    error: str | None = None          # why the file could not be read
    error_line: int | None = None   # the line of a read error, when it has one

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(self.analysis and self.analysis.errors)
