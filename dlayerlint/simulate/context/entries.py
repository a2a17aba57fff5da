"""What the build context holds: files with their sizes and modes."""
from __future__ import annotations

from dataclasses import dataclass


# -- the context ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ContextFile:
    """One entry a COPY/ADD source brings in.

    Symlinks are not followed inside a directory source: they are listed
    with size 0 (the layer stores only the link).
    """
    rel: str        # relative to the matched source; "" when the source is a file
    size: int       # bytes
    is_dir: bool


@dataclass(frozen=True, slots=True)
class SourceMatch:
    """A context path one COPY/ADD source resolved to."""
    source: str                         # context-relative, posix; "." for the root
    is_dir: bool
    entries: tuple[ContextFile, ...]    # a file: one entry rel=""; a dir: all below
