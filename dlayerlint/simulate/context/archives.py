"""Read the members of a tar archive in the build context (ADD's auto-extraction)."""
from __future__ import annotations

import os
import stat
import tarfile
from .dockerignore import _go_clean
from .entries import ContextFile
_ARCHIVE_ERRORS = (tarfile.TarError, OSError, EOFError)   # decompressors raise these


def _member_name(name: str) -> str | None:
    """An archive member's path as Docker's untar places it; None to skip."""
    cleaned = _go_clean(name)
    if cleaned == ".." or cleaned.startswith("../"):
        return None                         # a breakout: the build fails
    cleaned = cleaned.lstrip("/")
    return cleaned if cleaned not in ("", ".") else None


def _add_member(found: dict[str, ContextFile], member: tarfile.TarInfo) -> None:
    name = _member_name(member.name)
    if name is None:
        return
    parts = name.split("/")
    for end in range(1, len(parts)):        # untar creates missing parents
        found.setdefault("/".join(parts[:end]), ContextFile("/".join(parts[:end]), 0, True))
    size = member.size if member.isreg() else 0
    found[name] = ContextFile(name, size, member.isdir())


def _members(tar: tarfile.TarFile) -> list[ContextFile] | None:
    member = tar.next()
    if member is None:          # Go's tar.Reader.Next gives io.EOF: no archive
        return None
    found: dict[str, ContextFile] = {}
    try:
        while member is not None:
            _add_member(found, member)
            member = tar.next()
    except _ARCHIVE_ERRORS:
        pass                    # a damaged tail fails the build; keep what was read
    return list(found.values())


def _read_archive(path: str) -> list[ContextFile] | None:
    """Members of a tar (plain, gzip, bzip2, xz), read as a stream, never
    extracted; None when the first header does not parse."""
    try:
        # the listing said "regular file", but the context may change under us:
        # no blocking open, no following a link swapped in, and fstat to be sure
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(handle, "rb") as raw:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                return None
            with tarfile.open(fileobj=raw, mode="r|*") as tar:
                return _members(tar)
    except _ARCHIVE_ERRORS:
        return None
