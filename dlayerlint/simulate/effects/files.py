"""Files named on the command line: rm, chmod/chown, touch, mkdir, ln, mv, cp."""
from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from ...core.sizes import UNKNOWN, ZERO, Size
from .registry import verb

if TYPE_CHECKING:   # annotations only: the runner imports this module
    from ..knowledge import CommandSpec
    from .runner import CommandRunner, Invocation

CHMOD_MODE = re.compile(r"-[rwxXst]+(,.*)?")


@verb("remove")
def remove(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call)
    if spec.flags("requires") and not args.has(*spec.flags("requires")):
        return ZERO
    recursive = args.has(*spec.flags("recursive"))
    for text, index in args.operands:
        for node in runner.nodes(text, call.is_glob(index), call.origin, recursive, removing=True):
            runner.fs.remove(node, call.origin)
    return ZERO


@verb("modify")
def modify(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call, CHMOD_MODE.fullmatch if call.name == "chmod" else None)
    recursive = args.has(*spec.flags("recursive"))
    leading = 0 if args.has("--reference") else int(spec.options.get("leading", 0))
    for text, index in args.operands[leading:]:
        runner.copy_up(text, call.is_glob(index), call.origin, recursive)
    return ZERO


@verb("touch")
def touch(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call)
    for text, index in args.operands:
        if runner.nodes(text, call.is_glob(index), call.origin):
            runner.copy_up(text, call.is_glob(index), call.origin, False)
        elif not args.has("-c", "--no-create") and not call.is_glob(index):
            runner.create(text, ZERO, call.origin)
    return ZERO


@verb("mkdir")
def mkdir(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    for text, _ in runner.arguments(spec, call).operands:
        path = runner.absolute(text)
        if runner.writable(path):
            assert path is not None
            runner.fs.ensure_dir(path, created=True)
    return ZERO


@verb("link")
def link(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    args = runner.arguments(spec, call)
    operands = [text for text, _ in args.operands]
    target_dir = args.value("-t", "--target-directory")
    if target_dir is not None:
        for text in operands:
            runner.create(posixpath.join(target_dir, posixpath.basename(text or "")), ZERO, call.origin)
    elif len(operands) >= 2:
        runner.create(runner.into_directory(operands[-1], operands[0], len(operands) > 2), ZERO, call.origin)
        if not args.has("-s", "--symbolic"):   # overlay copies a hard link's source up first
            for source in operands[:-1]:
                runner.copy_up(source, False, call.origin, False)
    return ZERO


@verb("move")
def move(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    return _transfer(runner, spec, call, moving=True)


@verb("copy")
def copy(runner: CommandRunner, spec: CommandSpec, call: Invocation) -> Size:
    if call.name == "install" and runner.arguments(spec, call).has(*spec.flags("directory_flag")):
        return mkdir(runner, spec, call)
    return _transfer(runner, spec, call, moving=False)


def _transfer(runner: CommandRunner, spec: CommandSpec, call: Invocation, moving: bool) -> Size:
    args = runner.arguments(spec, call)
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
        found = runner.nodes(text, call.is_glob(index), call.origin if moving else None)
        if not found:
            runner.note_unknown(f"{call.name} of {text or 'an unknown path'}")
            if not moving and not many and text is not None:   # the copy exists now, whatever its size
                _unseen_copy(runner, runner.into_directory(destination, runner.absolute(text), False),
                             args.has(*spec.flags("recursive")), call)
        for node in found:
            target = runner.absolute(runner.into_directory(destination, node.path, many))
            if not runner.writable(target) or target == node.path:
                continue
            assert target is not None
            if moving:
                runner.fs.move(node, target, call.origin)
            else:
                runner.fs.copy(node, target, call.origin)
    return ZERO


def _unseen_copy(runner: CommandRunner, target: str | None, recursive: bool, call: Invocation) -> None:
    """`cp` of something we do not track (the base's, or unknown) still makes its copy: a file
    of unknown size, or with -r a folder of unknown contents."""
    if recursive:
        runner.fill(target, call.origin)
    else:
        runner.create(target, UNKNOWN, call.origin)
