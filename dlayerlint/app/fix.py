"""`check --fix`, `--unsafe-fixes` and `--diff`: flags, diffs and the atomic write."""
from __future__ import annotations

import argparse
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
from ..report.common import terminal_text
from .inputs import STDIN, UsageError, decode, read_regular
from ..rules.plugins import PluginError
from ..core.sizes import describe
from ..fixes.plan import FixError, Plan, fix_text
NOT_LINTED = (UsageError, ConfigError, PluginError, UnknownTarget, PatternError, RecursionError)


def write_atomically(path: Path, data: bytes, read: tuple[bytes, os.stat_result]) -> None:
    """Replace the file's bytes by a rename, so a crash leaves the old or the new file.

    `read` is what fix_file read (bytes and the stat of that open file). A
    symlink is written through (its target is replaced, the link stays); mode,
    owner where allowed, and extended attributes (ACLs) are copied. Refused: a
    file with other hard links (a rename would split them), a read-only file,
    and a file that changed since it was read (an editor saved it): compared
    before the new file is made and again just before the rename."""
    target = Path(os.path.realpath(path))
    _check_unchanged(target, read)
    current = read[1]
    if current.st_nlink > 1:
        raise FixError(f"has {current.st_nlink} hard links, which a rewrite by rename would split; not rewritten")
    if not current.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise FixError("is read-only; not rewritten")
    # beside the target: a rename within one file system is atomic
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".dlayerlint")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            _copy_metadata(out.fileno(), target, current)
            out.flush()
            os.fsync(out.fileno())
        _check_unchanged(target, read)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _check_unchanged(target: Path, read: tuple[bytes, os.stat_result]) -> None:
    """Compare-and-swap guard: same inode, size, mtime and bytes as when read."""
    data, status = read
    try:
        now_data, now = read_regular(target)
    except UsageError as error:
        raise FixError(f"changed while it was being fixed ({error}); not rewritten") from error
    same = (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == \
        (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
    if not same or now_data != data:
        raise FixError("changed while it was being fixed; not rewritten")


def _copy_metadata(handle: int, target: Path, current: os.stat_result) -> None:
    """Owner, then mode, then the extended attributes: a POSIX ACL is one of them,
    and setting it after the mode leaves the mode and the ACL as they were."""
    try:
        os.fchown(handle, current.st_uid, current.st_gid)
    except PermissionError:
        pass   # not ours to give away: the rewritten file is owned by who ran the fix
    os.fchmod(handle, stat.S_IMODE(current.st_mode))
    try:
        names = os.listxattr(target)
    except OSError:
        return   # no extended attributes on this file system
    for name in names:
        try:
            os.setxattr(handle, name, os.getxattr(target, name))
        except OSError:
            pass   # e.g. security.* we may not set: the file is still rewritten


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut, not only a kill)."""
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def diff_text(name: str, before: str, after: str) -> str:
    """A unified diff of the rewrite, as `git apply` and `patch -p1` read it."""
    import difflib  # pylint: disable=import-outside-toplevel  # only --diff needs it
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{name}", tofile=f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def fix_file(path: Path, lint: Callable[[str], Analysis], unsafe: bool = False,
             write: bool = True) -> tuple[str, Plan]:
    """(original text, its plan) of one file; with `write`, the file is rewritten when it
    changed, and without, the plan also says what --unsafe-fixes would add."""
    read = read_regular(path)
    text = decode(read[0])
    fixed = fix_text(text, lint, unsafe, preview_unsafe=not write and not unsafe)
    if write and fixed.text != text:
        try:
            write_atomically(path, fixed.text.encode("utf-8"), read)
        except OSError as error:
            raise FixError(f"cannot write: {error.strerror or error}") from error
    return text, fixed


def _count(fixes: list, what: str) -> str:
    return f"{len(fixes)} {what}fix{'es' if len(fixes) != 1 else ''}"


def plan_lines(plan: Plan, changed: bool) -> list[str]:
    """What --diff says of the plan: its fixes and the stranded bytes before and after,
    and what --unsafe-fixes would add."""
    lines = []
    if changed and plan.before is not None and plan.after is not None:
        lines.append(f"plan of {_count(plan.applied, '')}: stranded bytes predicted {describe(plan.before)} "
                     f"before the rewrite, {describe(plan.after)} after")
    if plan.unsafe_rest and plan.after_unsafe is not None:
        lines.append(f"--unsafe-fixes would add {_count(plan.unsafe_rest, 'unsafe ')}, "
                     f"leaving {describe(plan.after_unsafe)}")
    return lines


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
                print(terminal_text(f"{name}: error: {error}"), file=sys.stderr)
                failed = True
            continue   # with --fix, the check that follows reports why the file cannot be linted
        changed |= fixed.text != text
        if args.diff:
            sys.stdout.write(diff_text(name, text, fixed.text))
            for line in plan_lines(fixed, fixed.text != text):
                print(terminal_text(f"{name}: {line}"), file=sys.stderr)
        elif fixed.applied:
            count = len(fixed.applied)
            print(terminal_text(f"{name}: applied {count} fix{'es' if count != 1 else ''}"), file=sys.stderr)
    if failed:
        return 2
    return (1 if changed else 0) if args.diff else None
