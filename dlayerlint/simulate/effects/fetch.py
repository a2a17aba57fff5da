"""Commands that bring in files the text does not name: downloads, archives, clones."""
from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from ...shell.argv import Arguments
from ...core.sizes import UNKNOWN, ZERO, Size, exact
from .registry import verb

if TYPE_CHECKING:   # annotations only: the runner imports this module
    from ..knowledge import CommandSpec
    from .runner import CommandRunner, Invocation

CLONE = frozenset({"clone"})   # a clone's target was empty: all beneath it is the clone's


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


@verb("download")
def download(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call)
    output = args.value(*spec.flags("output_option"))
    urls = [text for text, _ in args.operands if text is None or "://" in text or "." in text]
    if output == "-":
        return UNKNOWN
    if output is None and (args.has(*spec.flags("remote_name")) or spec.options.get("default_remote_name")):
        if not urls or urls[0] is None:
            runner.note_unknown(f"{call.name} to an unknown file")
            return ZERO
        directory = args.value(*spec.flags("directory_option")) or "."
        output = posixpath.join(directory, _remote_name(urls[0]))
    if output is None:
        return UNKNOWN
    runner.create(output, UNKNOWN, call.origin)
    runner.note_unknown(f"{call.name} download")
    return ZERO


@verb("extract")
def extract(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call)
    if call.name == "unzip":
        archive = runner.absolute(args.operands[0][0]) if args.operands else None
        if archive is not None:
            runner.facts.extractions.append((archive, call.origin))
        _fill(runner, args.value("-d") or ".", call, "files unpacked by unzip")
        return ZERO
    mode = _tar_mode(call, args)
    if mode == "x":
        archive = runner.absolute(args.value("-f", "--file") or _old_style_file(call))
        directory = args.value("-C", "--directory") or "."
        if archive is not None:
            runner.facts.extractions.append((archive, call.origin))
        if not _unpack_known(runner, archive, directory, _strip_count(args), call):
            _fill(runner, directory, call, "files unpacked by tar")
    elif mode == "c":
        archive = args.value("-f", "--file") or _old_style_file(call)
        if archive not in (None, "-"):
            runner.create(archive, UNKNOWN, call.origin)
            runner.note_unknown("tar archive")
    return ZERO if mode != "c" else UNKNOWN


def _strip_count(args: Arguments) -> int:
    value = args.value("--strip-components") or args.value("--strip")
    return int(value) if value is not None and value.isdigit() else 0


def _unpack_known(runner: CommandRunner, archive: str | None, directory: str | None, strip: int,
                  call: Invocation) -> bool:
    """Unpack an archive COPY brought from the build context: its members' names and sizes
    are exact, as for ADD. False when the archive is not one we can read."""
    copied = runner.facts.copied_archives.get(archive or "")
    node = runner.fs.lookup(archive) if archive is not None else None
    target = runner.absolute(directory)
    if copied is None or node is None or node.version is not copied[0] or not runner.writable(target):
        return False
    members = copied[1]()
    if members is None:
        return False
    assert target is not None
    for member in members:
        parts = member.rel.split("/")[strip:]
        if not parts or not parts[0]:
            continue
        path = posixpath.join(target, *parts)
        if member.is_dir:
            runner.fs.ensure_dir(path, created=True)
        else:
            runner.create(path, exact(member.size), call.origin)
    return True


def _fill(runner: CommandRunner, directory: str | None, call: Invocation, reason: str,
          tags: frozenset[str] = frozenset()) -> None:
    runner.note_unknown(reason)
    runner.fill(directory, call.origin, tags)


@verb("compress")
def compress(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call)
    decompress = call.name.startswith(("gun", "bun", "un")) or args.has(*spec.flags("decompress_flag"))
    if args.has("-c", "--stdout", "-k", "--keep"):
        return UNKNOWN
    suffixes = tuple(spec.options.get("suffixes", ()))
    for text, index in args.operands:
        for node in runner.nodes(text, call.is_glob(index)):
            path = node.path
            if decompress and not path.endswith(suffixes):
                continue
            target = _strip_suffix(path, suffixes) if decompress else path + suffixes[0]
            runner.fs.remove(node, call.origin)
            runner.create(target, UNKNOWN, call.origin)
    runner.note_unknown(f"{call.name} output")
    return ZERO


@verb("clone")
def clone(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call)
    operands = [text for text, _ in args.operands]
    if not operands or operands[0] != "clone":
        if operands and operands[0] not in ("config", "checkout", "fetch", "submodule", "apply", "reset", "pull"):
            return UNKNOWN
        runner.note_unknown(f"git {operands[0] if operands else ''}".strip())
        return UNKNOWN
    if len(operands) < 2:
        return UNKNOWN
    directory = operands[2] if len(operands) > 2 else _remote_name(operands[1] or "").removesuffix(".git")
    _fill(runner, directory or None, call, "files unpacked by git clone", CLONE)
    return ZERO


BUILT = frozenset({"built"})   # what a build tool wrote: objects, binaries, generated files


@verb("build")
def build(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    """make, cmake, ninja, ./configure: unknown files in the folder they build in, and with
    `install` the prefix (/usr/local unless --prefix/DESTDIR say otherwise)."""
    args = runner.arguments(spec, call)
    folder = args.value(*spec.flags("directory_option")) or "."
    installing = spec.options.get("install_operand") in [text for text, _ in args.operands] \
        or args.has(*spec.flags("install_flag"))
    _fill(runner, folder if not installing else args.value("--prefix") or "/usr/local", call,
          f"files `{call.name}` writes", BUILT)
    return UNKNOWN
