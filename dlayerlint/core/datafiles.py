"""The data files shipped in the wheel (rule catalogue, command knowledge) and their
marshal cache: YAML is parsed once per version and then loaded in a millisecond."""
from __future__ import annotations

import binascii
import contextlib
import marshal
import os
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
    stat = path.stat()
    stamp = (stat.st_size, stat.st_mtime_ns)
    copy = _cache_dir() / f"{path.stem}-{binascii.crc32(os.fsencode(path.resolve())):08x}.marshal"
    try:
        cached_stamp, data = marshal.loads(copy.read_bytes())
        if cached_stamp == stamp:
            return data
    except (OSError, EOFError, ValueError, TypeError):
        pass   # no copy yet, or an unreadable one: build it from the file
    data = build(path.read_bytes())
    _store(copy, marshal.dumps((stamp, data)))
    return data


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
