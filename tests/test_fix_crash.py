"""`--fix` under SIGKILL, over links and against a concurrent save (issue 16, probe 3).

A forked child runs `fix_file` on a large Dockerfile and is killed at a
random moment (KILLS times, spread over the whole run, write included) and
then at each step of the write itself: the file must always hold either the
original bytes or the whole fixed text, with its mode, owner and extended
attributes (a POSIX ACL is one). The kill moments are random but the counts
are fixed, and no assertion reads a clock.
"""
from __future__ import annotations

import os
import random
import signal
import stat
import struct
import time
from pathlib import Path

import pytest

from dlayerlint.app.fix import fix_file
from dlayerlint.fixes.plan import FixError, fix_text
from dlayerlint.lint import analyze

KILLS = 200
BLOCK = ("RUN dd if=/dev/zero bs=1024 count=64 of=/data/f{0}\nENV STEP={0}\n"
         "RUN chmod 0600 /data/f{0}\nLABEL step={0}\nRUN rm /data/f{0}\n")
ORIGINAL = "FROM busybox\n" + "".join(BLOCK.format(index) for index in range(60))
# user ::rw-, user 4321: r--, group ::r--, mask ::r--, other ::---: the xattr setfacl writes
ACL = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", tag, perm, ident) for tag, perm, ident in
                                     [(1, 6, 0xFFFFFFFF), (2, 4, 4321), (4, 4, 0xFFFFFFFF),
                                      (0x10, 4, 0xFFFFFFFF), (0x20, 0, 0xFFFFFFFF)])
FIXED = fix_text(ORIGINAL, analyze, True).text


def prepare(path: Path) -> None:
    """The original file, with a mode, an owner, a user xattr and an ACL to keep."""
    path.write_text(ORIGINAL)
    os.chmod(path, 0o640)
    if os.geteuid() == 0:
        os.chown(path, 1234, 2345)
    os.setxattr(path, "user.dlayerlint-test", b"kept")
    os.setxattr(path, "system.posix_acl_access", ACL)


def check_outcome(path: Path) -> bool:
    """Whether the file is whole; True when it is the fixed text."""
    data = path.read_text()
    assert data in (ORIGINAL, FIXED), "a torn or partial write"
    status = path.stat()
    assert stat.S_IMODE(status.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (status.st_uid, status.st_gid) == (1234, 2345)
    assert os.getxattr(path, "user.dlayerlint-test") == b"kept"
    assert os.getxattr(path, "system.posix_acl_access") == ACL
    return data == FIXED


def run_killed(path: Path, delay: float) -> None:
    """fix_file in a forked child, SIGKILLed after `delay` seconds."""
    pid = os.fork()
    if pid == 0:   # the child: never returns into pytest
        try:
            fix_file(path, analyze, unsafe=True)
        finally:
            os._exit(0)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.dlayerlint"))


@pytest.fixture(name="target")
def _target(tmp_path):
    path = tmp_path / "Dockerfile"
    try:
        prepare(path)
    except OSError as error:
        pytest.skip(f"no extended attributes or ACLs here: {error}")
    return path


def test_random_sigkills_leave_the_original_or_the_whole_fix(target):
    start = time.perf_counter()
    _run_to_death(target, lambda: None)    # a whole fix in a forked child, as the killed ones run
    duration = time.perf_counter() - start   # spreads the kills; never asserted on
    assert check_outcome(target)
    chooser = random.Random(16)
    outcomes = {True: 0, False: 0}
    stray = 0
    for _ in range(KILLS):
        prepare(target)
        run_killed(target, chooser.uniform(0, duration * 1.3))
        outcomes[check_outcome(target)] += 1
        stray += len(leftovers(target.parent))
        for path in leftovers(target.parent):   # a kill between mkstemp and rename leaves one
            path.unlink()
    print(f"KILLS {KILLS}: {outcomes[False]} original, {outcomes[True]} fixed, {stray} temporary files left")
    assert sum(outcomes.values()) == KILLS


WRITE_STEPS = [("fchown", os, "fchown"), ("fchmod", os, "fchmod"), ("setxattr", os, "setxattr"),
               ("fsync", os, "fsync"), ("replace", os, "replace")]


@pytest.mark.parametrize("name,module,attribute", WRITE_STEPS, ids=[step[0] for step in WRITE_STEPS])
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_kill_at_each_write_step(target, name, module, attribute, when):
    """The child kills itself just before or just after one system call of the write."""
    real = getattr(module, attribute)

    def install():
        def dying(*args, **kwargs):
            if when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
            return result
        setattr(module, attribute, dying)

    _run_to_death(target, install)
    assert check_outcome(target) == (name == "replace" and when == "after")


def _run_to_death(path: Path, install) -> None:
    """fix_file in a forked child that `install` arranges to kill itself."""
    pid = os.fork()
    if pid == 0:
        try:
            install()
            fix_file(path, analyze, unsafe=True)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def test_symlinked_dockerfile_is_written_through(target):
    link = target.with_name("Dockerfile.link")
    link.symlink_to(target.name)
    fix_file(link, analyze, unsafe=True)
    assert link.is_symlink() and check_outcome(target)


def test_hard_linked_file_is_refused(target):
    other = target.with_name("Dockerfile.other")
    os.link(target, other)
    with pytest.raises(FixError, match="2 hard links"):
        fix_file(target, analyze, unsafe=True)
    assert other.read_text() == target.read_text() == ORIGINAL


def test_read_only_file_is_refused(target):
    os.chmod(target, 0o440)
    with pytest.raises(FixError, match="read-only"):
        fix_file(target, analyze, unsafe=True)
    assert target.read_text() == ORIGINAL and not leftovers(target.parent)


SAVED = ORIGINAL + "# the editor's save\n"


def test_a_save_while_fixing_is_not_lost(target):
    """The editor saves while the fix is computed (a new inode, as editors save)."""
    def lint_and_save(text):
        if not target.read_text().endswith("save\n"):
            target.with_name("saved").write_text(SAVED)
            os.replace(target.with_name("saved"), target)
        return analyze(text)
    with pytest.raises(FixError, match="changed while"):
        fix_file(target, lint_and_save, unsafe=True)
    assert target.read_text() == SAVED


def test_a_save_in_place_during_the_write_is_not_lost(target, monkeypatch):
    """The editor writes the same file in place, same size, between our two checks."""
    real_fsync = os.fsync
    same_size = ORIGINAL.replace("f0", "g0", 1)
    read = target.stat()

    def fsync_and_save(handle):
        real_fsync(handle)
        if target.read_text() == ORIGINAL:
            with open(target, "r+", encoding="utf-8") as editor:
                editor.write(same_size)
            os.utime(target, ns=(read.st_atime_ns, read.st_mtime_ns))   # an mtime-only check misses it
    monkeypatch.setattr(os, "fsync", fsync_and_save)
    with pytest.raises(FixError, match="changed while"):
        fix_file(target, analyze, unsafe=True)
    assert target.read_text() == same_size and not leftovers(target.parent)
