"""Which files a run lints and their text: glob patterns the shell left
unexpanded, `--exclude`, `-` for stdin, and readable errors for bad files."""
from __future__ import annotations

import glob
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from ..config import _MAGIC, excluded

STDIN = "-"
# Far above any real Dockerfile (the corpus's largest is ~100 KB) and above the
# 10 MiB files the limit tests lint in full; a 50 MB file would take a minute
# and over a GiB, so it is refused up front.
MAX_DOCKERFILE_BYTES = 16 * 1024 * 1024


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
    return decode(read_regular(path)[0])


def read_regular(path: Path) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file and the stat of the very file read.

    A FIFO, a socket, a device or a link to one is refused rather than waited
    on or read forever, and a file over MAX_DOCKERFILE_BYTES is not read; the
    stat comes from the open file, so --fix compares against exactly what it read."""
    handle = _open_regular(path)
    status = os.fstat(handle)
    with os.fdopen(handle, "rb") as stream:
        data = stream.read(MAX_DOCKERFILE_BYTES + 1)   # it may have grown since the fstat
        if max(len(data), status.st_size) > MAX_DOCKERFILE_BYTES:
            raise UsageError(f"too large: {max(len(data), status.st_size):,} bytes (a Dockerfile may "
                             f"have at most {MAX_DOCKERFILE_BYTES:,})")
        return data, status


def _open_regular(path: Path) -> int:
    """A read-only descriptor of a regular file. stat first, so a FIFO or a device
    is never opened at all; fstat after, in case one was swapped in meanwhile."""
    try:
        kind = _not_regular(path, os.stat(path).st_mode)
        if kind:
            raise UsageError(kind)
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError as error:
        raise UsageError("no such file") from error
    except OSError as error:
        raise UsageError(_unreadable(path, error)) from error
    kind = _not_regular(path, os.fstat(handle).st_mode)
    if kind:
        os.close(handle)
        raise UsageError(kind)
    return handle


def _directory(path: Path) -> str:
    return f"is a directory, not a Dockerfile (to lint the files below it: '{path}/**/Dockerfile*')"


def _unreadable(path: Path, error: OSError) -> str:
    if isinstance(error, PermissionError) and path.is_dir():
        return _directory(path)
    return f"cannot read: {error.strerror or error}"


def _not_regular(path: Path, mode: int) -> str | None:
    """Why a file of this mode is no Dockerfile; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return _directory(path)
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"))
    name = next((name for test, name in kinds if test(mode)), "not a regular file")
    # a FIFO may never get a writer, and a device may never end: opening either could hang
    hint = "; to lint a generated file, pipe it: `generate | dlayerlint check -`" if stat.S_ISFIFO(mode) else ""
    return f"not a regular file ({name}): not read{hint}"


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
