"""`check --cache`: each file's rendered result kept on disk, so a re-run over unchanged
files (CI, a pre-commit hook) costs reading them, not analysing them.

A result is stored under a key over everything it depends on: the Dockerfile's text and
shown name, its resolved settings, the chosen build context (folder, how it was chosen),
the output options, and the installation (dlayerlint's
version, a stamp of every file of the package: code, rule data and `dlayerlint/data`, the
shell parser's files, the plugins named). The build context is not listed up front: the
analysis sees it only through the questions it asks a `BuildContext` (which files a COPY
source matches, whether a missing source is one .dockerignore leaves out, an archive's
members), so a miss records those questions and a stamp of their answers (with the mode,
size and mtime of each single file matched), and a hit asks them again: an added, removed
or changed context file, or one no longer missing, gives another stamp and a miss.

Entries are written whole (a temporary file, then os.replace), carry a checksum, and an
entry that cannot be read, fails its checksum or does not unpack is a miss, never an
error. The folder is bounded (MAX_ENTRIES, MAX_BYTES): after a run that stored entries,
the least recently used go. Imported only when the cache is on.
"""
from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import time
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Config
from ..core.datafiles import catalogue_dir
from ..simulate.context.build import BuildContext
from ..simulate.context.discover import FoundContext
from ..simulate.context.entries import ContextFile, SourceMatch

CACHE_FORMAT = 1                   # bump when an entry's layout or a key part changes
MAX_ENTRIES = 20_000
MAX_BYTES = 256 << 20
MAX_ENTRY_BYTES = 16 << 20         # a bigger result is not worth a second copy on disk
RACY_NS = 2_000_000_000            # a file changed this recently is not stamped (coarse file system clocks)
STALE_TEMPORARY = 3600             # seconds: a temporary file older than this was left by a crash
SUFFIX = ".entry"
_CHECKSUM = 16                     # bytes of blake2b over the rest of an entry

# a question asked of the build context: ("match", source, --exclude patterns),
# ("excludes", source) or ("archive", source)
Query = tuple[str, ...]


def default_dir() -> Path:
    """$XDG_CACHE_HOME/dlayerlint/results (~/.cache/dlayerlint/results by default)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root, "dlayerlint", "results")


class RecordingContext:
    """A BuildContext as the analysis uses it (`root`, `match`, `excludes`,
    `archive_entries`), recording each question so a later run can ask it again."""

    __slots__ = ("context", "root", "queries")

    def __init__(self, context: BuildContext) -> None:
        self.context = context
        self.root = context.root
        self.queries: dict[Query, None] = {}   # in the order asked, once each

    def match(self, source: str, excludes: Sequence[str] = ()) -> list[SourceMatch]:
        self.queries[("match", source, *excludes)] = None
        return self.context.match(source, excludes)

    def excludes(self, source: str) -> bool:
        self.queries[("excludes", source)] = None
        return self.context.excludes(source)

    def archive_entries(self, source: str) -> list[ContextFile] | None:
        self.queries[("archive", source)] = None
        return self.context.archive_entries(source)


def _file_status(path: str) -> tuple[int, ...] | None:
    """What a file's bytes and mode may change without changing its size: a COPY's
    --chmod fix reads the mode, ADD reads an archive's members."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    return status.st_mode, status.st_size, status.st_mtime_ns, status.st_uid, status.st_gid


def _answer(context: BuildContext, query: Query) -> tuple[object, int]:
    """The context's answer to the query, and the newest mtime_ns of a file it stats (else 0)."""
    kind, source, *excludes = query
    if kind == "excludes":
        return context.excludes(source), 0
    if kind == "archive":
        return context.archive_entries(source), 0
    root = os.fspath(context.root)
    answer = [(match, None if match.is_dir else _file_status(os.path.join(root, match.source)))
              for match in context.match(source, excludes)]
    return answer, max((status[2] for _, status in answer if status is not None), default=0)


def context_stamp(context: BuildContext | None, queries: Iterable[Query]) -> tuple[bytes, int]:
    """A digest of the context's answers to the queries (and of where the context is), and
    the newest mtime_ns among the files it stats."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(None if context is None else os.fspath(context.root)).encode())
    newest = 0
    for query in queries:
        answer, changed = _answer(context, query) if context is not None else (None, 0)
        digest.update(repr((query, answer)).encode())
        newest = max(newest, changed)
    return digest.digest(), newest


def _tree_stamp(folder: Path) -> list[tuple[str, int, int]]:
    """(path, size, mtime_ns) of every file below folder but compiled bytecode."""
    found = []
    for parent, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(files):
            with contextlib.suppress(OSError):
                status = os.stat(os.path.join(parent, name))
                found.append((os.path.join(parent, name), status.st_size, status.st_mtime_ns))
    return found


def _module_folder(name: str) -> Path | None:
    """Where an installed module's files are, without importing it."""
    spec = find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


@cache
def installation_stamp() -> bytes:
    """dlayerlint's version and the files of its package, rule data and shell parser
    (once per process: an editable install's edited code or data is a new stamp)."""
    package = Path(__file__).resolve().parents[1]
    parts: list[object] = [CACHE_FORMAT, __version__, sys.version, _tree_stamp(package)]
    if not catalogue_dir().is_relative_to(package):
        parts.append(_tree_stamp(catalogue_dir()))
    for module in ("tree_sitter", "tree_sitter_bash"):
        folder = _module_folder(module)
        parts.append(_tree_stamp(folder) if folder is not None else module)
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()


@cache
def plugins_stamp(names: tuple[str, ...]) -> str:
    """What each named plugin is: its entry point, distribution version and module files."""
    if not names:
        return ""
    from importlib.metadata import entry_points  # pylint: disable=import-outside-toplevel  # only with plugins
    from ..rules.plugins import GROUP  # pylint: disable=import-outside-toplevel
    parts = []
    for name in names:
        for point in entry_points(group=GROUP, name=name):
            folder = _module_folder(point.module.partition(".")[0])
            parts.append((point.value, point.dist and point.dist.version,
                          _tree_stamp(folder) if folder is not None else None))
    return repr(parts)


def file_key(shown: str, text: str, config: Config, found: FoundContext, options: object) -> str:
    """The key of one file's result: its name as shown, its text, resolved settings, chosen
    context, the output options, and the installation. The working folder is in it too:
    messages name the context's absolute path. (The `.dockerignore` patterns are not: the
    analysis sees them only in the context's answers, which the entry's stamp checks.)"""
    parts = (shown, os.getcwd(), config, found, options, plugins_stamp(tuple(plugin.name for plugin in config.plugins)))
    digest = hashlib.blake2b(installation_stamp(), digest_size=20)
    digest.update(repr(parts).encode())
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class ResultCache:
    """The entries of one cache folder (shared by concurrent runs)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def load(self, key: str, context: BuildContext | None) -> Any | None:
        """The stored value when the context still answers as it did, else None."""
        path = self._path(key)
        try:
            data = path.read_bytes()
            if hashlib.blake2b(data[_CHECKSUM:], digest_size=_CHECKSUM).digest() != data[:_CHECKSUM]:
                return None
            version, stored_key, queries, stamp, value = marshal.loads(data[_CHECKSUM:])
            if version != CACHE_FORMAT or stored_key != key or context_stamp(context, queries)[0] != stamp:
                return None
            os.utime(path)   # recently used: the last to be evicted
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return value

    def store(self, key: str, context: BuildContext | None, queries: Iterable[Query], value: Any) -> bool:
        """Write the entry whole; False when it is too big, when a file it stamps changed
        too recently (within the clock's granularity it could change again with the same
        mtime and size, as git's racy entries) or when it cannot be written (a cache that
        cannot be written only makes runs slower)."""
        queries = list(queries)
        stamp, newest = context_stamp(context, queries)
        if newest > time.time_ns() - RACY_NS:
            return False
        payload = marshal.dumps((CACHE_FORMAT, key, queries, stamp, value))
        if len(payload) > MAX_ENTRY_BYTES:
            return False
        path = self._path(key)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(hashlib.blake2b(payload, digest_size=_CHECKSUM).digest() + payload)
            os.replace(partial, path)
        except OSError:
            with contextlib.suppress(OSError):
                partial.unlink()
            return False
        return True

    def prune(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        """Remove the least recently used entries while the folder is over either bound
        (down to 90% of it, so the next runs do not prune again at once), and temporary
        files a crashed run left."""
        entries = []
        try:
            with os.scandir(self.folder) as found:
                for entry in found:
                    with contextlib.suppress(OSError):
                        status = entry.stat(follow_symlinks=False)
                        if entry.name.endswith(SUFFIX):
                            entries.append((status.st_mtime_ns, status.st_size, entry.path))
                        elif entry.name.endswith(".tmp") and status.st_mtime < time.time() - STALE_TEMPORARY:
                            os.unlink(entry.path)
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        if len(entries) <= max_entries and total <= max_bytes:
            return
        entries.sort()
        count = len(entries)
        for _, size, path in entries:
            if count <= max_entries * 9 // 10 and total <= max_bytes * 9 // 10:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)   # another run may have removed it first
            count, total = count - 1, total - size
