"""Which files a run lints and their text: glob patterns the shell left
unexpanded, `--exclude`, `-` for stdin, and readable errors for bad files."""
from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path
from ..config import _MAGIC, excluded

STDIN = "-"


class UsageError(Exception):
    """A file we cannot lint; `line` when the problem has one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def decode(data: bytes) -> str:
    """The text of a Dockerfile's bytes; raises UsageError for binary or non-UTF-8 data."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise UsageError(f"binary file (NUL byte at offset {nul})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UsageError(f"not UTF-8 text: byte 0x{data[error.start]:02x} on line {line}", line) from error


def read_dockerfile(path: Path) -> str:
    """The file's text; raises UsageError with what is wrong with it."""
    if path.is_dir():
        raise UsageError(f"is a directory, not a Dockerfile (to lint the files below it: '{path}/**/Dockerfile*')")
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise UsageError("no such file") from error
    except OSError as error:
        raise UsageError(f"cannot read: {error.strerror}") from error
    return decode(data)


def expand(names: Sequence[str], exclude: Sequence[str]) -> list[str]:
    """The files to lint, in the order given. A name that is not a file but holds
    `*`, `?` or `[` is a glob (`**` crosses folders); one that matches nothing
    stays, so the run reports it."""
    files: list[str] = []
    for name in names:
        matches = []
        if name != STDIN and _MAGIC & set(name) and not Path(name).exists():
            matches = sorted(match for match in glob.glob(name, recursive=True) if Path(match).is_file())
        files += [match for match in matches or [name] if name == STDIN or not excluded(match, exclude)]
    return list(dict.fromkeys(files))
