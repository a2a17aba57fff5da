"""What each command of a RUN does to the symbolic filesystem.

`verb` handlers read a command's operands (as `rules/commands/*.yaml`
describes them) and apply creates, writes, copy-ups and removals to the
stage's `SymbolicFS`. A handler returns the size of what the command prints,
so `echo hi > f`, `head -c 1M /dev/zero > f` and `dd ... > f` are exact.

A command the model does not know adds bytes it cannot count: the layer's
size becomes a lower bound. It never removes or changes what we track, so it
can never cause a finding.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass

from ...shell.argv import Arguments, split_arguments
from ..fs import Node, Origin, SymbolicFS, has_glob, is_blob
from ..knowledge import CommandSpec, Knowledge
from ...core.sizes import UNKNOWN, ZERO, Size
from .packages import StageFacts, package_manager
from .provenance import likely_maker, package_maker
from .registry import VERBS
from .writes import ZERO_SOURCES

Operand = tuple[str | None, object]   # resolved text (None: unknown) and the word it came from

SILENT = frozenset({":", "true", "false"})   # print nothing: `: > f` makes an empty file
DEVICE_PREFIXES = ("/dev/", "/proc/", "/sys/")


@dataclass(slots=True)
class Invocation:
    name: str
    words: list[Operand]          # arguments after the command name
    origin: Origin
    stdin: Size | None = UNKNOWN   # None: endless (`yes |`, `< /dev/zero`)
    glob_words: frozenset[int] = frozenset()   # indexes into words that hold unquoted globs

    def is_glob(self, index: int) -> bool:
        return index in self.glob_words


class CommandRunner:
    """Applies one RUN layer's commands; `cwd` and `env` are the caller's."""

    def __init__(self, fs: SymbolicFS, facts: StageFacts, knowledge: Knowledge,
                 masked: tuple[str, ...], unknown: list[str]) -> None:
        self.fs = fs
        self.facts = facts
        self.knowledge = knowledge
        self.masked = masked
        self.unknown = unknown     # reasons this layer's size is only a lower bound
        self.cwd: str | None = "/"
        self.env: dict[str, str | None] = {}

    # -- paths -----------------------------------------------------------------------

    def absolute(self, text: str | None) -> str | None:
        """The absolute path; None when unknown (or relative to an unknown cwd)."""
        if text is None or text == "" or (self.cwd is None and not text.startswith("/")):
            return None
        path = posixpath.normpath(posixpath.join(self.cwd or "/", text))
        return "/" + path.lstrip("/")

    def writable(self, path: str | None) -> bool:
        """False for unknown paths, devices and paths under RUN --mount targets."""
        if path is None or path.startswith(DEVICE_PREFIXES) or path == "/dev/null":
            return False
        return not any(path == m or path.startswith(m.rstrip("/") + "/") for m in self.masked)

    def nodes(self, text: str | None, glob: bool, origin: Origin | None = None, recursive: bool = False,
              removing: bool = False) -> list[Node]:
        """The nodes a path operand names. With the operation's origin, a path no command named
        that an earlier layer most likely wrote unnamed is materialised (see provenance.py);
        a removal claims less: `rm -rf /etc/x.d/*` after `COPY root /` usually clears the
        base's or a package's defaults, not what the COPY brought."""
        path = self.absolute(text)
        if not self.writable(path):
            return []
        assert path is not None
        if glob:
            found = self.fs.glob(path)
            if not found and origin is not None and not removing:   # `chmod +x /usr/local/bin/*` after `COPY rootfs /`
                prefix = _fixed_prefix(path)
                if self.fs.lookup(prefix) is None and self._likely(prefix, origin, True) is not None:
                    found = self.fs.glob(path)
            return found
        node = self.fs.lookup(path)
        if node is None and origin is not None:
            node = self._likely(path, origin, recursive, removing)
        return [node] if node is not None else []

    def _package_files_in(self, node: Node, origin: Origin) -> None:
        """`chown -R /etc/privoxy` after `apk add privoxy` and a COPY into /etc/privoxy: the folder
        also holds the package's files, which no command named; they are copied up too."""
        if not node.is_dir:
            return
        maker = package_maker(self.facts, node.path, origin.layer)
        if maker is not None and not any(is_blob(name) and child.version is not None
                                         and child.version.origin is maker for name, child in node.children.items()):
            self.fs.materialize(node.path, maker, True)

    def _likely(self, path: str, origin: Origin, recursive: bool, removing: bool = False) -> Node | None:
        maker = likely_maker(self.fs, self.facts, path, origin.layer, removing)
        return self.fs.materialize(path, maker, recursive) if maker is not None else None

    def note_unknown(self, reason: str) -> None:
        if reason not in self.unknown:
            self.unknown.append(reason)

    # -- dispatch ------------------------------------------------------------------------

    def run(self, call: Invocation) -> Size | None:
        """Apply the command; return the size of its standard output (None: endless)."""
        spec = self.knowledge.commands.get(call.name)
        manager = self.knowledge.managers.get(call.name)
        if manager is not None:
            return package_manager(self, manager, call)
        if spec is not None:
            return VERBS[spec.verb](self, spec, call)
        if call.name in SILENT:
            return ZERO
        first_operand = call.words[0][0] if call.words else None
        if call.name in self.knowledge.no_effect or f"{call.name} {first_operand}" in self.knowledge.no_effect:
            return UNKNOWN
        self.note_unknown(f"`{call.name}`")
        return UNKNOWN

    def arguments(self, spec: CommandSpec, call: Invocation, operand_like=None) -> Arguments:
        indexed = [(text, index) for index, (text, _) in enumerate(call.words)]
        return split_arguments(indexed, spec.value_options, operand_like)

    # -- removal and metadata --------------------------------------------------------------

    def copy_up(self, text: str | None, glob: bool, origin: Origin, recursive: bool) -> None:
        found = [self.fs.promote_to_file(node) if not recursive and _unseen_file(node) else node
                 for node in self.nodes(text, glob, origin, recursive)]
        if recursive:
            for node in found:
                self._package_files_in(node, origin)
        path = self.absolute(text)
        if not found and self.writable(path) and not glob:
            self.note_unknown(f"copy-up of {path} from the base image")
        for node in found:
            self.fs.modify(node, origin, recursive)
        if any(n.from_base and n.is_dir and recursive for n in found):
            self.note_unknown(f"copy-up of base-image files under {path}")

    # -- creating files ----------------------------------------------------------------------

    def fill(self, text: str | None, origin: Origin, tags: frozenset[str] = frozenset()) -> None:
        """A folder of unknown contents, written by a command that names none of its files
        (an unpacked archive, a clone, node_modules, a `cp -r` of what we do not track)."""
        path = self.absolute(text)
        if self.writable(path):
            assert path is not None
            self.fs.add_blob(path, UNKNOWN, origin, tags)

    def create(self, text: str | None, size: Size, origin: Origin, append: bool = False) -> None:
        path = self.absolute(text)
        if not self.writable(path):
            return
        assert path is not None
        tags = self.tags_for(path)
        if self.fs.lookup(path) is None:   # `>> /etc/nginx/nginx.conf` after installing nginx
            # `>>` to a file in a drop-in folder (/etc/sudoers.d/x) creates it: only a write
            maker = likely_maker(self.fs, self.facts, path, origin.layer,
                                 writing=not append or ".d/" in path)
            if maker is not None:
                self.fs.materialize(path, maker, False)
        if append:
            self.fs.append(path, size, origin)
        else:
            self.fs.write(path, size, origin, tags)

    def tags_for(self, path: str) -> frozenset[str]:
        tags = set()
        if self.knowledge.is_secret(path):
            tags.add("secret")
        if self.knowledge.is_archive(path):
            tags.add("archive")
        return frozenset(tags)

    def into_directory(self, destination: str | None, source: str | None, many: bool) -> str | None:
        """Where `mv/cp/ln SOURCE DESTINATION` puts SOURCE."""
        if destination is None or source is None:
            return None
        path = self.absolute(destination)
        if many or destination.endswith("/") or (path is not None and self.fs.is_dir(path)):
            return posixpath.join(destination, posixpath.basename(source.rstrip("/")))
        return destination

    # -- sized writes ----------------------------------------------------------------------------

    def is_new(self, text: str | None) -> bool:
        """The path does not exist and its folder was made by a tracked command."""
        path = self.absolute(text)
        if path is None or self.fs.lookup(path) is not None:
            return False
        parent = self.fs.lookup(posixpath.dirname(path))
        return parent is not None and parent.is_dir and not parent.from_base

    def file_size(self, text: str | None) -> Size | None:
        """Size of a tracked file; None for an endless device."""
        if text in ZERO_SOURCES:
            return None
        found = self.nodes(text, False)
        if found and found[0].version is not None and not found[0].is_dir:
            return found[0].version.size
        return UNKNOWN

    # -- text to stdout ---------------------------------------------------------------------------

    # -- downloads, archives, checkouts ----------------------------------------------------------

    # -- package managers ------------------------------------------------------------------------


def _fixed_prefix(pattern: str) -> str:
    """The folder a glob path starts in: /usr/local/bin for /usr/local/bin/*.sh."""
    parts = pattern.split("/")
    fixed = next((i for i, part in enumerate(parts) if has_glob(part)), len(parts))
    return "/".join(parts[:fixed]) or "/"


def _unseen_file(node: Node) -> bool:
    """`COPY tool /opt/bin/tool` from a source we cannot see lands as a folder of unknown
    contents (it may be one); a plain chmod of it shows it was a file."""
    if not node.children or len(node.children) != 1:
        return False
    (only,) = node.children.values()
    return only.version is not None and is_blob(only.name) and "copied" in only.version.tags
