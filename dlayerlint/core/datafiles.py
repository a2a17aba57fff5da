"""The data files shipped in the wheel (rule catalogue, command knowledge, package data) and
their copies in the user's cache: YAML is parsed once per version and then loaded in a
millisecond; a large file is laid out once so that a run maps it and reads only what it needs."""
from __future__ import annotations

import binascii
import contextlib
import marshal
import os
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def catalogue_dir() -> Path:
    package = Path(__file__).resolve().parents[1]
    installed = package / "ruledata"
    return installed if (installed / "commands").is_dir() else package.parent / "rules"


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root, "dlayerlint", sys.implementation.cache_tag or "python")


def load_yaml(path: Path) -> Any:
    """A YAML file's data, through the marshal cache: it spares later runs importing and
    running the YAML parser (~25 ms of a one-file run)."""
    return cached(path, _parse_yaml)


def _parse_yaml(raw: bytes) -> Any:
    from .yamlload import parse  # pylint: disable=import-outside-toplevel  # yaml only when a copy is stale
    return parse(raw.decode("utf-8"))


def cached(path: Path, build: Callable[[bytes], Any]) -> Any:
    """build(the file's bytes), kept as a marshal copy in the user's cache (one per file,
    checked against its size and mtime), so later runs only unmarshal it. `build` must
    return what marshal stores: dicts, lists, tuples, strings and numbers."""
    stamp = _stamp(path)
    copy = _copy_path(path, "marshal")
    try:
        cached_stamp, data = marshal.loads(copy.read_bytes())
        if cached_stamp == stamp:
            return data
    except (OSError, EOFError, ValueError, TypeError):
        pass   # no copy yet, or an unreadable one: build it from the file
    data = build(path.read_bytes())
    _store(copy, marshal.dumps((stamp, data)))
    return data


def cached_buffer(path: Path, build: Callable[[bytes], bytes], kind: str) -> memoryview:
    """build(the file's bytes), kept as a file in the user's cache named by ``kind`` (change it
    when the layout changes) and checked against the shipped file's size and mtime, so later
    runs map it into memory and only the pages they read cost anything."""
    import mmap  # pylint: disable=import-outside-toplevel  # only a run that reads package data maps a file
    header = _BUFFER_STAMP.pack(*_stamp(path))
    copy = _copy_path(path, f"{kind}.marshal")
    try:
        with copy.open("rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        if mapped[:len(header)] == header:
            return memoryview(mapped)[len(header):]
        mapped.close()
    except (OSError, ValueError):
        pass   # no copy yet (an empty file cannot be mapped): build it from the file
    data = build(path.read_bytes())
    _store(copy, header + data)
    return memoryview(data)


_BUFFER_STAMP = struct.Struct("<qq")
"""The shipped file's size and mtime_ns at the start of a cached_buffer copy."""


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _copy_path(path: Path, suffix: str) -> Path:
    """One copy per shipped file: two installs (or checkouts) of dlayerlint do not share it."""
    return _cache_dir() / f"{path.stem}-{binascii.crc32(os.fsencode(path.resolve())):08x}.{suffix}"


def _store(path: Path, data: bytes) -> None:
    """Write atomically; a cache that cannot be written is only slower."""
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()


def load_data(relative: str) -> dict[str, Any]:
    return load_yaml(catalogue_dir() / relative) or {}
