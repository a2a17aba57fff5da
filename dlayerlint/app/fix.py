"""`check --fix`, `--unsafe-fixes` and `--diff`: flags, diffs and the atomic write."""
from __future__ import annotations

import argparse
import difflib
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..lint import UnknownTarget
from ..config import ConfigError
from ..simulate.context.dockerignore import PatternError
from ..simulate.analysis import Analysis
from .inputs import STDIN, UsageError, read_dockerfile
from ..rules.plugins import PluginError
from ..fixes.fixpoint import FixError, Fixed, fix_text
NOT_LINTED = (UsageError, ConfigError, PluginError, UnknownTarget, PatternError, RecursionError)


def write_atomically(path: Path, data: bytes, expected: os.stat_result) -> None:
    """Replace the file's bytes by a rename; mode (and owner, where allowed) kept.
    Refuses when the file changed since it was read (`expected`)."""
    target = path.resolve()   # a symlink stays a symlink: its target is rewritten
    current = target.stat()
    if (current.st_mtime_ns, current.st_size) != (expected.st_mtime_ns, expected.st_size):
        raise FixError("changed while it was being fixed; not rewritten")
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".dlayerlint")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.S_IMODE(current.st_mode))
        if hasattr(os, "chown"):
            try:
                os.chown(temporary, current.st_uid, current.st_gid)
            except PermissionError:
                pass   # not ours to give away: the rewritten file is owned by who ran the fix
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def diff_text(name: str, before: str, after: str) -> str:
    """A unified diff of the rewrite, as `git apply` and `patch -p1` read it."""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{name}", tofile=f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def fix_file(path: Path, lint: Callable[[str], Analysis], unsafe: bool = False,
             write: bool = True) -> tuple[str, Fixed]:
    """(original text, rewrite) of one file; with `write`, the file is rewritten when it changed."""
    before = path.stat() if path.exists() else None
    text = read_dockerfile(path)
    fixed = fix_text(text, lint, unsafe)
    if write and fixed.text != text and before is not None:
        try:
            write_atomically(path, fixed.text.encode("utf-8"), before)
        except OSError as error:
            raise FixError(f"cannot write: {error.strerror or error}") from error
    return text, fixed


def add_arguments(check: argparse.ArgumentParser) -> None:
    fixing = check.add_argument_group("rewrites")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes in place, then report what is left")
    fixing.add_argument("--unsafe-fixes", action="store_true",
                        help="with --fix or --diff, also apply fixes that may change the image's files")
    fixing.add_argument("--diff", action="store_true",
                        help="print the rewrite as a unified diff and leave the files alone "
                             "(exit 1 when there is one)")


def run(args: argparse.Namespace, lint_text: Callable[[Path, str], Analysis]) -> int | None:
    """Fix or diff the files. Returns the exit code for --diff (0 no rewrite, 1 a
    rewrite, 2 an error); None after --fix, so the check goes on to report what is left."""
    if not (args.fix or args.diff):
        if args.unsafe_fixes:
            print("dlayerlint: --unsafe-fixes goes with --fix or --diff", file=sys.stderr)
            return 2
        return None
    changed = failed = False
    for name in args.files:
        if name == STDIN:
            print("dlayerlint: -: --fix and --diff rewrite files, not stdin", file=sys.stderr)
            failed = True
            continue
        path = Path(name)
        try:
            text, fixed = fix_file(path, lambda t, p=path: lint_text(p, t), args.unsafe_fixes, write=not args.diff)
        except (FixError, *NOT_LINTED) as error:
            if args.diff or isinstance(error, FixError):
                print(f"{name}: error: {error}", file=sys.stderr)
                failed = True
            continue   # with --fix, the check that follows reports why the file cannot be linted
        changed |= fixed.text != text
        if args.diff:
            sys.stdout.write(diff_text(name, text, fixed.text))
        elif fixed.applied:
            print(f"{name}: applied {len(fixed.applied)} fix{'es' if len(fixed.applied) != 1 else ''}",
                  file=sys.stderr)
    if failed:
        return 2
    return (1 if changed else 0) if args.diff else None
