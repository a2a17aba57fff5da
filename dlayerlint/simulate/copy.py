"""COPY and ADD: what lands at the destination, from the build context or another stage."""
from __future__ import annotations

from typing import TYPE_CHECKING

import posixpath
import re
from collections.abc import Callable
from functools import partial

from .context.build import has_wildcards
from .context.entries import ContextFile
from ..dockerfile.expand import expand_word
from .effects.provenance import likely_maker
from .fs import Origin, has_glob
from ..dockerfile.model import Instruction
from ..core.sizes import UNKNOWN, Size, exact
from .layers import Layer, StageRun
from .script import _heredoc_size

if TYPE_CHECKING:   # for annotations only: the importer imports this module
    from .stages import Replayer
UNSEEN = frozenset({"copied"})   # a folder COPY brought from a context we cannot see
URL = re.compile(r"^(?:https?|git|ssh)://|^git@")


class _Copier:
    """One COPY/ADD: where each source's bytes land and how many there are."""

    def __init__(self, replayer: Replayer, instruction: Instruction, run: StageRun, layer: Layer,
                 origin: Origin) -> None:
        self.replayer = replayer
        self.instruction = instruction
        self.run = run
        self.layer = layer
        self.origin = origin
        self.knowledge = replayer.knowledge
        self.from_stage = instruction.flag_values("from")[-1] if instruction.flag("from") else None

    def _write(self, path: str, size: Size, source_name: str = "") -> None:
        fs = self.run.fs
        if fs.lookup(path) is None:   # COPY nginx.conf over the file an earlier install made
            maker = likely_maker(fs, self.run.facts, path, self.origin.layer, writing=True)
            if maker is not None:
                fs.materialize(path, maker, False)
        tags = self.knowledge.file_tags(path)
        if source_name and "secret" not in tags and self.knowledge.is_secret(source_name):
            tags |= {"secret"}
        self.run.fs.write(path, size, self.origin, tags)

    def _unknown(self, reason: str, target: str) -> None:
        self.layer.unknown.append(reason)
        self.run.fs.add_blob(target, UNKNOWN, self.origin)

    def copy(self, source: str | None, target: str, into_dir: bool) -> None:
        if source is None:
            self._unknown("a source depends on an unknown variable", target if into_dir else posixpath.dirname(target))
        elif source.startswith("<<"):
            self._heredoc(source, target, into_dir)
        elif self.from_stage is not None:
            self._from_stage(source, target, into_dir)
        elif URL.match(source):
            self._download(source, target, into_dir)
        else:
            self._from_context(source, target, into_dir)

    def _heredoc(self, marker: str, target: str, into_dir: bool) -> None:
        name = marker.lstrip("<-").strip("\"'")
        heredoc = next((h for h in self.instruction.heredocs if h.delimiter == name), None)
        if heredoc is None:
            return
        self._write(posixpath.join(target, name) if into_dir else target, _heredoc_size(heredoc))

    def _download(self, url: str, target: str, into_dir: bool) -> None:
        if self.instruction.keyword != "ADD":
            return
        if url.startswith("git") or url.endswith(".git"):
            self._unknown(f"ADD of the git repository {url}", target)
            return
        self.layer.unknown.append(f"ADD {url}")
        name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        self._write(posixpath.join(target, name) if into_dir else target, UNKNOWN)

    def _from_stage(self, source: str, target: str, into_dir: bool) -> None:
        index = self.replayer.stage_index(expand_word(self.from_stage or "", self.run.state.env))
        if index is None or index >= self.run.stage.index:
            self._unknown(f"COPY --from={self.from_stage}: an image we cannot see", target)
            return
        other = self.replayer.run(index).fs
        path = posixpath.normpath(posixpath.join("/", source))
        nodes = other.glob(path) if has_glob(path) else [n for n in [other.lookup(path)] if n is not None]
        if not nodes:
            self._unknown(f"COPY --from={self.from_stage} {source}: not made by a tracked command", target)
            return
        for node in nodes:
            if node.is_dir:
                self.run.fs.ensure_dir(target, created=True)
                if node.from_base:
                    self.layer.unknown.append(f"{node.path} in stage {self.from_stage} may hold base-image files")
            for item in node.walk():
                relative = item.path[len(node.path):].lstrip("/")
                if node.is_dir:
                    destination = posixpath.join(target, relative) if relative else target
                else:
                    destination = posixpath.join(target, node.name) if into_dir else target
                if item.is_dir:
                    self.run.fs.ensure_dir(destination, created=True)
                elif item.version is not None:
                    self._write(destination, item.version.size, item.name)

    def _from_context(self, source: str, target: str, into_dir: bool) -> None:
        context = self.replayer.context
        if context is None:
            self._without_context(source, target, into_dir)
            return
        matches = context.match(source, self.instruction.flag_values("exclude"))
        if not matches and not has_wildcards(source):   # a wildcard may match nothing
            if context.excludes(source):
                self.layer.unknown.append(f"{source} is excluded from the build context (the build would fail)")
            else:
                self._without_context(source, target, into_dir)
            return
        for match in matches:
            members = context.archive_entries(match.source) \
                if self.instruction.keyword == "ADD" and not match.is_dir else None
            if members is not None:   # ADD unpacks local archives
                self.run.fs.ensure_dir(target, created=True)
                for member in members:
                    self._place(posixpath.join(target, member.rel), member.size, member.is_dir)
            elif match.is_dir:
                self.run.fs.ensure_dir(target, created=True)
                folder = target.rstrip("/") + "/"   # the target is normalised, entry.rel relative
                for entry in match.entries:
                    self._place(folder + entry.rel if entry.rel else target, entry.size, entry.is_dir)
            else:
                name = posixpath.basename(match.source)
                destination = posixpath.join(target, name) if into_dir else target
                self._place(destination, match.entries[0].size, False)
                self._note_archive(destination, partial(context.archive_entries, match.source))

    def _without_context(self, source: str, target: str, into_dir: bool) -> None:
        """A source the context does not hold (or with no context) still lands at its
        destination, of unknown size: a file when it is named like one, else a folder of
        unknown contents, so rules see a later chmod or mv of what it brought."""
        self.layer.unknown.append(f"{source}: not in the build context we can see")
        self.replayer.missing_sources.append(source)
        name = posixpath.basename(posixpath.normpath(source))
        if _names_a_folder(source, name, target, into_dir):
            self.run.fs.add_blob(target, UNKNOWN, self.origin, UNSEEN)
        else:
            self._write(posixpath.join(target, name) if into_dir else target, UNKNOWN, name)

    def _note_archive(self, path: str, members: Callable[[], list[ContextFile] | None]) -> None:
        """Remember an archive copied from the context, for the RUN that may unpack it."""
        node = self.run.fs.lookup(path)
        if node is not None and node.version is not None and self.knowledge.is_archive(path):
            self.run.facts.copied_archives[path] = (node.version, members)

    def _place(self, path: str, size: int, is_dir: bool) -> None:
        if is_dir:
            self.run.fs.ensure_dir(path, created=True)
        else:
            self._write(path, exact(size))


def _names_a_folder(source: str, name: str, target: str, into_dir: bool) -> bool:
    """What an unseen source most likely is: `conf/`, `.`, a glob and a name with no
    extension are folders (`COPY src /app/src`), unless it is copied to a file name
    (`COPY entrypoint /entrypoint.sh`); `run.sh`, `app.jar` or `.npmrc` are files."""
    if has_glob(source) or source.endswith("/") or name in (".", "", ".."):
        return True
    if "." in name:   # app.jar, run.sh, .npmrc
        return False
    return into_dir or "." not in posixpath.basename(target).lstrip(".")


def _single_source_name(sources: list[str | None]) -> str | None:
    if len(sources) != 1 or sources[0] is None:
        return None
    return posixpath.basename(posixpath.normpath(sources[0])) or None
