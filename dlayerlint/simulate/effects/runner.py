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
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ...shell.argv import Arguments, split_arguments
from ..fs import Node, Origin, SymbolicFS
from ..knowledge import CommandSpec, Knowledge, PackageManager
from ...dockerfile.expand import expand_word
from ...core.sizes import UNKNOWN, ZERO, Confidence, Size, exact, parse_size

Operand = tuple[str | None, object]   # resolved text (None: unknown) and the word it came from

CHMOD_MODE = re.compile(r"-[rwxXst]+(,.*)?")
ZERO_SOURCES = ("/dev/zero", "/dev/urandom", "/dev/random")
SILENT = frozenset({":", "true", "false"})   # print nothing: `: > f` makes an empty file
DEVICE_PREFIXES = ("/dev/", "/proc/", "/sys/")


@dataclass(slots=True)
class PackageEvent:
    package: str
    installed: Origin
    removed: Origin


@dataclass(slots=True)
class StageFacts:
    """What a stage's RUNs learn beyond files: packages and their managers."""
    family: str
    packages: dict[str, Origin] = field(default_factory=dict)
    package_events: list[PackageEvent] = field(default_factory=list)


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

    def nodes(self, text: str | None, glob: bool) -> list[Node]:
        path = self.absolute(text)
        if not self.writable(path):
            return []
        assert path is not None
        if glob:
            return self.fs.glob(path)
        node = self.fs.lookup(path)
        return [node] if node is not None else []

    def note_unknown(self, reason: str) -> None:
        if reason not in self.unknown:
            self.unknown.append(reason)

    # -- dispatch ------------------------------------------------------------------------

    def run(self, call: Invocation) -> Size | None:
        """Apply the command; return the size of its standard output (None: endless)."""
        spec = self.knowledge.commands.get(call.name)
        manager = self.knowledge.managers.get(call.name)
        if manager is not None:
            return self.package_manager(manager, call)
        if spec is not None:
            handler: Callable[[CommandSpec, Invocation], Size | None] = getattr(self, "_verb_" + spec.verb)
            return handler(spec, call)
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

    def _verb_remove(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call)
        if spec.flags("requires") and not args.has(*spec.flags("requires")):
            return ZERO
        for text, index in args.operands:
            for node in self.nodes(text, call.is_glob(index)):
                self.fs.remove(node, call.origin)
        return ZERO

    def _verb_modify(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call, CHMOD_MODE.fullmatch if call.name == "chmod" else None)
        recursive = args.has(*spec.flags("recursive"))
        leading = 0 if args.has("--reference") else int(spec.options.get("leading", 0))
        for text, index in args.operands[leading:]:
            self.copy_up(text, call.is_glob(index), call.origin, recursive)
        return ZERO

    def copy_up(self, text: str | None, glob: bool, origin: Origin, recursive: bool) -> None:
        found = self.nodes(text, glob)
        path = self.absolute(text)
        if not found and self.writable(path) and not glob:
            self.note_unknown(f"copy-up of {path} from the base image")
        for node in found:
            self.fs.modify(node, origin, recursive)
        if any(n.from_base and n.is_dir and recursive for n in found):
            self.note_unknown(f"copy-up of base-image files under {path}")

    def _verb_touch(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call)
        for text, index in args.operands:
            if self.nodes(text, call.is_glob(index)):
                self.copy_up(text, call.is_glob(index), call.origin, False)
            elif not args.has("-c", "--no-create") and not call.is_glob(index):
                self.create(text, ZERO, call.origin)
        return ZERO

    def _verb_edit(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call)
        suffix = _in_place_suffix(call.name, [text for text, _ in call.words])
        if suffix is None and not args.has(*spec.flags("requires")):
            return UNKNOWN
        operands = args.operands
        if not args.has(*spec.flags("script_unless")):
            operands = operands[1:]   # the first operand is the script
        for text, index in operands:
            if suffix:   # `sed -i.bak` keeps the old file beside the new one
                for node in self.nodes(text, call.is_glob(index)):
                    if node.version is not None:
                        self.create(node.path + suffix, node.version.size, call.origin)
            self.copy_up(text, call.is_glob(index), call.origin, False)
        return ZERO

    # -- creating files ----------------------------------------------------------------------

    def create(self, text: str | None, size: Size, origin: Origin, append: bool = False) -> None:
        path = self.absolute(text)
        if not self.writable(path):
            return
        assert path is not None
        tags = self.tags_for(path)
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

    def _verb_mkdir(self, spec: CommandSpec, call: Invocation) -> Size:
        for text, _ in self.arguments(spec, call).operands:
            path = self.absolute(text)
            if self.writable(path):
                assert path is not None
                self.fs.ensure_dir(path, created=True)
        return ZERO

    def _verb_link(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call)
        operands = [text for text, _ in args.operands]
        target_dir = args.value("-t", "--target-directory")
        if target_dir is not None:
            for text in operands:
                self.create(posixpath.join(target_dir, posixpath.basename(text or "")), ZERO, call.origin)
        elif len(operands) >= 2:
            self.create(self.into_directory(operands[-1], operands[0], len(operands) > 2), ZERO, call.origin)
            if not args.has("-s", "--symbolic"):   # overlay copies a hard link's source up first
                for source in operands[:-1]:
                    self.copy_up(source, False, call.origin, False)
        return ZERO

    def into_directory(self, destination: str | None, source: str | None, many: bool) -> str | None:
        """Where `mv/cp/ln SOURCE DESTINATION` puts SOURCE."""
        if destination is None or source is None:
            return None
        path = self.absolute(destination)
        if many or destination.endswith("/") or (path is not None and self.fs.is_dir(path)):
            return posixpath.join(destination, posixpath.basename(source.rstrip("/")))
        return destination

    def _verb_move(self, spec: CommandSpec, call: Invocation) -> Size:
        return self._transfer(spec, call, move=True)

    def _verb_copy(self, spec: CommandSpec, call: Invocation) -> Size:
        if call.name == "install" and self.arguments(spec, call).has(*spec.flags("directory_flag")):
            return self._verb_mkdir(spec, call)
        return self._transfer(spec, call, move=False)

    def _transfer(self, spec: CommandSpec, call: Invocation, move: bool) -> Size:
        args = self.arguments(spec, call)
        operands = list(args.operands)
        target_dir = args.value("-t", "--target-directory")
        if target_dir is None:
            if len(operands) < 2:
                return ZERO
            destination, _ = operands.pop()
        else:
            destination = target_dir + "/"
        many = len(operands) > 1 or any(call.is_glob(index) for _, index in operands)
        for text, index in operands:
            found = self.nodes(text, call.is_glob(index))
            if not found:
                self.note_unknown(f"{call.name} of {text or 'an unknown path'}")
            for node in found:
                target = self.absolute(self.into_directory(destination, node.path, many))
                if not self.writable(target) or target == node.path:
                    continue
                assert target is not None
                if move:
                    self.fs.move(node, target, call.origin)
                else:
                    self.fs.copy(node, target, call.origin)
        return ZERO

    # -- sized writes ----------------------------------------------------------------------------

    def _verb_dd(self, _spec: CommandSpec, call: Invocation) -> Size:
        operands = dict(text.split("=", 1) for text, _ in call.words if text and "=" in text)
        size = self._dd_size(operands)
        output = operands.get("of")
        if output is None:
            return size
        notrunc = "notrunc" in operands.get("conv", "")
        existing = self.nodes(output, False)
        if notrunc and existing and existing[0].version is not None:
            old = existing[0].version.size
            size = Size(max(old.bytes, size.bytes), max(old.confidence, size.confidence))
        self.create(output, size, call.origin)
        return ZERO

    def _dd_size(self, operands: dict[str, str]) -> Size:
        copied = self._dd_copied(operands)
        seek = parse_size(operands.get("seek", "0"), dd=True)
        obs = 1 if "seek_bytes" in operands.get("oflag", "") else \
            parse_size(operands.get("obs") or operands.get("bs") or "512", dd=True)
        if seek and obs and "of" in operands:   # the skipped part counts (a sparse hole)
            return Size(copied.bytes + seek * obs, copied.confidence)
        return copied

    def _dd_copied(self, operands: dict[str, str]) -> Size:
        """Bytes dd copies: count blocks, or what the input holds."""
        block = parse_size(operands.get("ibs") or operands.get("bs") or "512", dd=True)
        source = operands.get("if")
        available = self.file_size(source) if source is not None else UNKNOWN
        count = parse_size(operands["count"], dd=True) if "count" in operands else None
        if count is None or block is None:
            return available or UNKNOWN
        wanted = count if "count_bytes" in operands.get("iflag", "") else count * block
        if available is None:
            return exact(wanted)
        return Size(min(wanted, available.bytes), available.confidence) if available.known else UNKNOWN

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

    def _verb_sized(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call)
        size_text = args.value(*spec.flags("size_option"))
        for text, _ in args.operands:
            size = self._new_size(size_text, text)
            self.create(text, size, call.origin)
        return ZERO

    def _new_size(self, size_text: str | None, path: str | None) -> Size:
        if size_text is None:
            return UNKNOWN
        if size_text[:1] in "+-<>/%":
            current = self.file_size(path) or UNKNOWN
            if not current.known and self.is_new(path):
                current = ZERO
            delta = parse_size(size_text[1:])
            if size_text[0] == "+" and delta is not None and current.known:
                return Size(current.bytes + delta, current.confidence)
            return UNKNOWN
        count = parse_size(size_text)
        return exact(count) if count is not None else UNKNOWN

    def _verb_head(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call)
        count_text = args.value("-c", "--bytes")
        if count_text is None or count_text.startswith("-"):
            return UNKNOWN
        count = parse_size(count_text.lstrip("+"))
        if count is None:
            return UNKNOWN
        sources = [text for text, _ in args.operands]
        available = call.stdin if not sources else self.file_size(sources[0])
        if available is None:
            return exact(count)
        return Size(min(count, available.bytes), available.confidence) if available.known else UNKNOWN

    # -- text to stdout ---------------------------------------------------------------------------

    def _verb_print(self, _spec: CommandSpec, call: Invocation) -> Size:
        texts = [text for text, _ in call.words]
        if any(text is None for text in texts):
            return UNKNOWN
        if call.name == "printf":
            return _printf_size(texts)  # type: ignore[arg-type]
        return _echo_size(texts)  # type: ignore[arg-type]

    def _verb_cat(self, _spec: CommandSpec, call: Invocation) -> Size | None:
        sources = [text for text, _ in call.words if text is None or not text.startswith("-") or text == "-"]
        if not sources:
            return call.stdin
        result = ZERO
        for text in sources:
            size = call.stdin if text == "-" else self.file_size(text)
            if size is None:
                return None
            result = result + size
        return result

    def _verb_endless(self, _spec: CommandSpec, _call: Invocation) -> Size | None:
        return None

    def _verb_tee(self, _spec: CommandSpec, call: Invocation) -> Size | None:
        append = any(text in ("-a", "--append") for text, _ in call.words)
        for text, _ in call.words:
            if text is None or not text.startswith("-"):
                self.create(text, call.stdin or UNKNOWN, call.origin, append=append)
        return call.stdin

    # -- downloads, archives, checkouts ----------------------------------------------------------

    def _verb_download(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call)
        output = args.value(*spec.flags("output_option"))
        urls = [text for text, _ in args.operands if text is None or "://" in text or "." in text]
        if output == "-":
            return UNKNOWN
        if output is None and (args.has(*spec.flags("remote_name")) or spec.options.get("default_remote_name")):
            if not urls or urls[0] is None:
                self.note_unknown(f"{call.name} to an unknown file")
                return ZERO
            directory = args.value(*spec.flags("directory_option")) or "."
            output = posixpath.join(directory, _remote_name(urls[0]))
        if output is None:
            return UNKNOWN
        self.create(output, UNKNOWN, call.origin)
        self.note_unknown(f"{call.name} download")
        return ZERO

    def _verb_extract(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call)
        if call.name == "unzip":
            target = args.value("-d") or "."
            self._fill(target, call, "unzip")
            return ZERO
        mode = _tar_mode(call, args)
        if mode == "x":
            self._fill(args.value("-C", "--directory") or ".", call, "tar")
        elif mode == "c":
            archive = args.value("-f", "--file") or _old_style_file(call)
            if archive not in (None, "-"):
                self.create(archive, UNKNOWN, call.origin)
                self.note_unknown("tar archive")
        return ZERO if mode != "c" else UNKNOWN

    def _fill(self, directory: str | None, call: Invocation, what: str) -> None:
        path = self.absolute(directory)
        self.note_unknown(f"files unpacked by {what}")
        if self.writable(path):
            assert path is not None
            self.fs.add_blob(path, UNKNOWN, call.origin)

    def _verb_compress(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call)
        decompress = call.name.startswith(("gun", "bun", "un")) or args.has(*spec.flags("decompress_flag"))
        if args.has("-c", "--stdout", "-k", "--keep"):
            return UNKNOWN
        suffixes = tuple(spec.options.get("suffixes", ()))
        for text, index in args.operands:
            for node in self.nodes(text, call.is_glob(index)):
                path = node.path
                if decompress and not path.endswith(suffixes):
                    continue
                target = _strip_suffix(path, suffixes) if decompress else path + suffixes[0]
                self.fs.remove(node, call.origin)
                self.create(target, UNKNOWN, call.origin)
        self.note_unknown(f"{call.name} output")
        return ZERO

    def _verb_clone(self, spec: CommandSpec, call: Invocation) -> Size:
        args = self.arguments(spec, call)
        operands = [text for text, _ in args.operands]
        if not operands or operands[0] != "clone":
            if operands and operands[0] not in ("config", "checkout", "fetch", "submodule", "apply", "reset", "pull"):
                return UNKNOWN
            self.note_unknown(f"git {operands[0] if operands else ''}".strip())
            return UNKNOWN
        if len(operands) < 2:
            return UNKNOWN
        directory = operands[2] if len(operands) > 2 else _remote_name(operands[1] or "").removesuffix(".git")
        self._fill(directory or None, call, "git clone")
        return ZERO

    # -- package managers ------------------------------------------------------------------------

    def package_manager(self, manager: PackageManager, call: Invocation) -> Size:
        indexed = [(text, index) for index, (text, _) in enumerate(call.words)]
        args = split_arguments(indexed, manager.value_options)
        operands = [text for text, _ in args.operands]
        subcommand_name = operands[0] if operands else ""
        for flag in args.flags:   # dpkg -i / -P are subcommands spelled as flags
            if flag in manager.subcommands and subcommand_name not in manager.subcommands:
                subcommand_name = flag
                operands = [flag] + operands
        sub = manager.subcommands.get(subcommand_name or "")
        if sub is None:
            self.note_unknown(f"`{call.name} {subcommand_name}`".replace(" `", "`"))
            return UNKNOWN
        rest = operands[1:]
        if sub.when_operand is not None and sub.when_operand not in rest and sub.when_operand not in args.flags:
            return UNKNOWN
        if sub.installs:
            self.note_unknown(f"packages installed by {call.name}")
            virtual = [args.value(option) for option in manager.virtual_options if args.value(option)]
            for package in [p for p in rest if p] + virtual:
                self.facts.packages.setdefault(package_name(package), call.origin)
        if sub.uninstalls:
            self._uninstall([package_name(p) for p in rest if p], call.origin)
        if not (args.has(*manager.no_cache_options) or self._no_cache_env(manager)):
            for key in sub.fills:
                moved = [args.value(option) for option in manager.cache_options.get(key, ())]
                self._fill_cache(key, call, next((m for m in moved if m), None))
        for key in sub.cleans:
            self._clean_cache(key, call)
        return UNKNOWN

    def _no_cache_env(self, manager: PackageManager) -> bool:
        return any(self.env.get(name) not in (None, "", "0", "false", "off") for name in manager.no_cache_env)

    def cache_path(self, key: str, manager_name: str) -> str | None:
        cache = self.knowledge.caches[key]
        env = dict(self.env, PM_NAME="yum" if manager_name in ("yum", "microdnf") else manager_name)
        return self.absolute(expand_word(cache.path, env))

    def _fill_cache(self, key: str, call: Invocation, moved_to: str | None) -> None:
        path = self.absolute(moved_to) if moved_to else self.cache_path(key, call.name)
        if not self.writable(path):
            return
        assert path is not None
        cache = self.knowledge.caches[key]
        count = cache.size_for(self.facts.family)
        if count == 0:
            return
        size = Size(count, Confidence.ESTIMATED) if count is not None else UNKNOWN
        self.fs.add_blob(path, size, call.origin, frozenset({"cache:" + key}))

    def _clean_cache(self, key: str, call: Invocation) -> None:
        path = self.cache_path(key, call.name)
        node = self.fs.lookup(path) if self.writable(path) and path is not None else None
        if node is not None and node.children:
            for child in list(node.children.values()):
                self.fs.remove(child, call.origin)

    def _uninstall(self, packages: list[str], origin: Origin) -> None:
        for package in packages:
            installed = self.facts.packages.pop(package, None)
            if installed is not None and installed.layer < origin.layer:
                self.facts.package_events.append(PackageEvent(package, installed, origin))


def _in_place_suffix(name: str, texts: list[str | None]) -> str | None:
    """'' for `sed -i`, '.bak' for `sed -i.bak` / `--in-place=.bak`, None without -i."""
    for text in texts:
        if text is None:
            continue
        if text.startswith("--in-place"):
            return text.partition("=")[2]
        if name == "sed" and text.startswith("-i"):
            return text[2:]
    return None


_PACKAGE_NAME = re.compile(r"@?[^=<>!~\[;:@\s]+")


def package_name(spec: str) -> str:
    """`gcc=4:12.2.0-3`, `libc6:amd64`, `requests[socks]>=2`, `@scope/pkg@1` → the name."""
    match = _PACKAGE_NAME.match(spec)
    return match.group(0) if match else spec


def _remote_name(url: str) -> str:
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return posixpath.basename(path) or "index.html"


def _strip_suffix(path: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if path.endswith(suffix):
            stem = path[: -len(suffix)]
            return stem + ".tar" if suffix == ".tgz" else stem
    return path


def _tar_mode(call: Invocation, args: Arguments) -> str | None:
    for flag, mode in (("-x", "x"), ("--extract", "x"), ("--get", "x"), ("-c", "c"), ("--create", "c")):
        if flag in args.flags:
            return mode
    first = call.words[0][0] if call.words else None
    if first and not first.startswith("-"):   # old style: `tar xzf file`
        return "x" if "x" in first else "c" if "c" in first else None
    return None


def _old_style_file(call: Invocation) -> str | None:
    first = call.words[0][0] if call.words else None
    if first and "f" in first and not first.startswith("-") and len(call.words) > 1:
        return call.words[1][0]
    return None


def _echo_size(texts: list[str]) -> Size:
    newline = 1
    while texts and texts[0] in ("-n", "-e", "-E", "-ne", "-en"):
        if "n" in texts[0]:
            newline = 0
        texts = texts[1:]
    text = " ".join(texts)
    if "\\" in text:   # dash's echo reads escapes, bash's does not: either may be right
        return Size(len(_decode(text).encode()) + newline, Confidence.ESTIMATED)
    return exact(len(text.encode()) + newline)


def _printf_size(texts: list[str]) -> Size:
    if not texts:
        return ZERO
    template, values = texts[0], texts[1:]
    # \\x is bash's; dash's printf prints it as written
    confidence = Confidence.ESTIMATED if "\\x" in template else Confidence.EXACT
    if "%" not in template.replace("%%", ""):
        return Size(len(_decode(template.replace("%%", "%"), printf=True).encode()), confidence)
    if re.fullmatch(r"(?:[^%]|%%|%s)*", template) and values:
        count = template.replace("%%", "").count("%s")
        rounds = max(1, -(-len(values) // count))
        body = len(_decode(template.replace("%%", "%").replace("%s", ""), printf=True).encode())
        return Size(body * rounds + sum(len(v.encode()) for v in values), confidence)
    return UNKNOWN


_ECHO_ESCAPE = re.compile(r"\\(0[0-7]{0,3}|x[0-9A-Fa-f]{1,2}|.)", re.DOTALL)
_PRINTF_ESCAPE = re.compile(r"\\([0-7]{1,3}|x[0-9A-Fa-f]{1,2}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
                   "e": "\x1b", "\\": "\\"}


def _decode(text: str, printf: bool = False) -> str:
    """echo's (dash: `\\0NNN`) or printf's (`\\NNN`) escapes; an unknown escape stays as written."""
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "01234567" and (printf or code[0] == "0"):
            return chr(int(code[0 if printf else 1:] or "0", 8))
        if code[0] == "x" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, "\\" + code)
    return (_PRINTF_ESCAPE if printf else _ECHO_ESCAPE).sub(one, text)
