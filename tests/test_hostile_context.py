"""Hostile build contexts and bad input files (issue 16, probes 1 and 2).

The build context is whatever a pull request commits, and the Dockerfile may
be anything a glob matched. Nothing here may block, read outside the context,
open what is not a regular file or end in a traceback. Every file-opening
call is wrapped to fail at once on a FIFO, socket or device (so a regression
fails instead of hanging), and growth is asserted on operation counts.
`python benchmarks/hostile.py` prints the time and memory of each probe.
"""
from __future__ import annotations

import builtins
import json
import os
import socket
import stat
import subprocess
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from dlayerlint.app.cli import main
from dlayerlint.app.inputs import MAX_DOCKERFILE_BYTES
from dlayerlint.lint import analyze
from dlayerlint.simulate.context import dockerignore
from dlayerlint.simulate.context.build import BuildContext
from dlayerlint.simulate.context.dockerignore import PatternError, PatternMatcher

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="makes device files and switches user: needs root")


@pytest.fixture(name="opened")
def _opened(monkeypatch) -> list[str]:
    """Every path opened; opening anything but a regular file or folder fails the test."""
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def guard(path) -> None:
        if isinstance(path, int):
            return
        seen.append(os.fspath(path))
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return
        assert stat.S_ISREG(mode) or stat.S_ISDIR(mode), f"opened {path}, not a regular file"

    def checked_open(path, *args, **kwargs):
        guard(path)
        return real_open(path, *args, **kwargs)

    def checked_os_open(path, *args, **kwargs):
        guard(path)
        return real_os_open(path, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", checked_open)
    monkeypatch.setattr(os, "open", checked_os_open)
    return seen


def special_context(root: Path) -> None:
    os.symlink("loop", root / "loop")
    os.symlink("a/b", root / "a")
    os.symlink("/", root / "root")
    os.symlink("/proc", root / "proc")
    os.symlink("/dev/zero", root / "zero")
    os.mkfifo(root / "fifo")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(root / "sock"))
    (root / "real.txt").write_bytes(b"x" * 10)


def test_special_files_are_listed_never_opened(tmp_path, opened):
    special_context(tmp_path)
    context = BuildContext(tmp_path, [])
    [everything] = context.match(".")
    assert {entry.rel: entry.size for entry in everything.entries} == {
        "a": 0, "fifo": 0, "loop": 0, "proc": 0, "real.txt": 10, "root": 0, "sock": 0, "zero": 0}
    for name in ("loop", "a", "loop/x", "a/b/c"):   # loops resolve to nothing
        assert not context.match(name)
    for name in ("fifo", "sock", "zero", "root/etc/passwd", "proc/self/environ"):
        assert context.archive_entries(name) is None
    for name in ("root/etc/passwd", "proc/self/environ"):   # and nothing is said about the host's files
        assert not context.match(name) and not context.excludes(name)
    assert all(path.startswith(str(tmp_path)) for path in opened)


@ROOT_ONLY
def test_a_device_and_a_sparse_10_gib_file_are_only_stat_ed(tmp_path, opened):
    os.mknod(tmp_path / "dev", 0o600 | stat.S_IFCHR, os.makedev(1, 5))   # a /dev/zero
    with open(tmp_path / "big", "wb") as out:
        out.truncate(10 * 1024 ** 3)
    opened.clear()
    context = BuildContext(tmp_path, [])
    assert [m.entries[0].size for m in context.match("big")] == [10 * 1024 ** 3]
    assert context.archive_entries("dev") is None and context.archive_entries("big") is None
    analysis = analyze("FROM busybox\nCOPY dev big /x/\nADD dev big /y/\n", context)
    assert analysis.stranded is not None and not analysis.errors
    assert set(opened) == {str(tmp_path / "big")}   # ADD's archive check reads its first block only


def test_sources_outside_the_context_are_the_build_error_they_are(tmp_path, monkeypatch):
    """BuildKit joins a source to the context root: `../../etc/passwd` is <context>/etc/passwd."""
    context_root = tmp_path / "a" / "b"
    context_root.mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("outside")
    looked_at: list[str] = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: looked_at.append(os.fspath(path)) or real_scandir(path))
    text = "FROM busybox\nCOPY ../../etc/passwd /x\nCOPY /etc/shadow /y\nCOPY ../*/passwd /z/\nRUN rm /x\n"
    analysis = analyze(text, BuildContext(context_root, []))
    notes = [reason for report in analysis.layers for reason in report.layer.unknown]
    assert [note for note in notes if "not in the build context" in note] == [
        "../../etc/passwd: not in the build context we can see", "/etc/shadow: not in the build context we can see"]
    assert all(path.startswith(str(context_root)) for path in looked_at), looked_at


def test_hostile_ignore_files_are_errors_not_hangs(tmp_path, opened):
    cases = {"fifo": os.mkfifo, "zero": lambda p: os.symlink("/dev/zero", p),
             "outside": lambda p: os.symlink("/etc/passwd", p),
             "huge": lambda p: p.write_bytes(b"a\n" * (3 * 1024 * 1024))}
    for name, make in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        make(folder / ".dockerignore")
        with pytest.raises(PatternError, match="not a regular file|outside its folder|larger than"):
            BuildContext(folder)
    (tmp_path / "dir" / ".dockerignore").mkdir(parents=True)   # a folder of that name: no ignore file
    assert not BuildContext(tmp_path / "dir").ignore
    assert all(not path.startswith("/etc") for path in opened)


def test_ten_thousand_patterns_cost_linear_pattern_matches(tmp_path, monkeypatch):
    for index in range(50):
        (tmp_path / f"{'a' * 20}{index}").write_bytes(b"x")
    calls = {"match": 0}
    real_match = dockerignore._Pattern.match  # pylint: disable=protected-access

    def counted(self, path):
        calls["match"] += 1
        return real_match(self, path)
    monkeypatch.setattr(dockerignore._Pattern, "match", counted)  # pylint: disable=protected-access
    counts = []
    for patterns in (5_000, 10_000):
        calls["match"] = 0
        BuildContext(tmp_path, [f"*a*a*a*{index}*b" for index in range(patterns)]).match(".")
        counts.append(calls["match"])
    assert counts[1] <= 2 * counts[0] + 50, counts   # each path meets each pattern once


def _steps(name_length: int) -> int:
    """Python-level steps of one match of the worst pattern (the regex inside is atomic)."""
    matcher = PatternMatcher(["**/**/**/*a*a*a*a*b"])
    path = "/".join(["a" * name_length] * 8)
    steps = 0

    def tracer(_frame, event, _arg):
        nonlocal steps
        steps += event == "line"
        return tracer
    sys.settrace(tracer)
    try:
        assert not matcher.matches(path)
    finally:
        sys.settrace(None)
    return steps


def test_globstar_pattern_steps_do_not_grow_with_the_name():
    assert _steps(4000) <= _steps(1000) * 1.1 + 20


AS_NOBODY = ("import os, sys, yaml, locale, gettext, hashlib, mmap; from dlayerlint.app.cli import main; "
             "import dlayerlint.lint, dlayerlint.shell.parse, dlayerlint.app.check; "
             "os.setgroups([]); os.setgid(65534); os.setuid(65534); sys.exit(main(sys.argv[1:]))")
"""Imports as root (the packages live under /root), then lints as nobody. The CLI imports a
subcommand's modules only when it runs (and argparse's gettext its locale), so those go first."""


def unreadable_context(root: Path) -> None:
    """Two files no one may read, a folder no one may list and a readable file."""
    (root / "Dockerfile").write_text("FROM busybox\nCOPY secret /s\nADD secret.tar /t\nCOPY closed/ /c\n"
                                     "COPY . /all\nCOPY ok /ok\n")
    for name in ("secret", "secret.tar"):
        (root / name).write_bytes(b"x" * 100)
        os.chmod(root / name, 0)
    (root / "closed").mkdir()
    (root / "closed" / "f").write_bytes(b"x")
    os.chmod(root / "closed", 0)
    (root / "ok").write_bytes(b"y" * 7)
    os.chmod(root, 0o755)


def nobody_environment(root: Path) -> dict[str, str]:
    """HOME and the XDG folders in root: nobody may not look into /root."""
    return {**os.environ, "HOME": str(root), "XDG_CACHE_HOME": str(root / ".cache"),
            "XDG_CONFIG_HOME": str(root / ".config")}


@ROOT_ONLY
def test_unreadable_files_as_an_unprivileged_user_are_a_note(tmp_path):
    root = Path(tempfile.mkdtemp(dir=tmp_path.parents[1].parent))   # nobody may not enter pytest's folders
    unreadable_context(root)
    done = subprocess.run([sys.executable, "-c", AS_NOBODY, "check", "--format", "json", "--context", str(root),
                           str(root / "Dockerfile")], capture_output=True, text=True, check=False,
                          env=nobody_environment(root))
    assert "Traceback" not in done.stderr and done.returncode in (0, 1), done.stderr
    layers = json.loads(done.stdout)["files"][0]["layers"]
    notes = {layer["instruction"]: layer["unknown"] for layer in layers}
    for source in ("secret", "secret.tar", "closed/", "."):
        assert any("(the build would fail)" in note or "not in the build context" in note
                   for instruction, found in notes.items() if f" {source} " in instruction for note in found)
    assert [layer["added_bytes"] for layer in layers if "COPY ok" in layer["instruction"]] == [7]
    shutil.rmtree(root, onerror=lambda *_: None)


# -- probe 2: bad input files ----------------------------------------------

def _bad_inputs(root: Path) -> dict[str, Path]:
    made = {"FIFO": root / "fifo", "directory": root / "folder", "link to /dev/zero": root / "zero-link",
            "UTF-16 with BOM": root / "utf16", "NUL bytes": root / "nul", "too large": root / "big"}
    os.mkfifo(made["FIFO"])
    made["directory"].mkdir()
    os.symlink("/dev/zero", made["link to /dev/zero"])
    made["UTF-16 with BOM"].write_bytes("FROM busybox\nRUN true\n".encode("utf-16"))
    made["NUL bytes"].write_bytes(b"FROM busybox\nRUN true\0\n")
    with open(made["too large"], "wb") as out:   # sparse: the size alone refuses it
        out.truncate(50 * 1024 * 1024)
    if os.geteuid() == 0:
        made["character device"] = root / "dev"
        os.mknod(made["character device"], 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    return made


def test_bad_input_files_are_one_error_line_each(tmp_path, capsys):
    made = _bad_inputs(tmp_path)
    good = tmp_path / "Dockerfile"
    good.write_text("FROM busybox\nRUN dd if=/dev/zero of=/a bs=1k count=1\nRUN rm /a\n")
    assert main(["check", *map(str, made.values()), str(good)]) == 2
    captured = capsys.readouterr()
    out = captured.out + captured.err   # the errors may go to either
    for kind, path in made.items():
        lines = {line for line in out.splitlines() if line.startswith((f"{path}:", f"{path} "))}
        assert len(lines) == 1 and ": error: " in lines.pop(), (kind, out)
    assert "DLL101" in out and "Traceback" not in out
    assert f"{MAX_DOCKERFILE_BYTES:,}" in out


def test_lone_cr_and_a_one_mib_line_are_linted(tmp_path, capsys):
    (tmp_path / "cr").write_bytes(b"FROM busybox\rRUN touch /a\rRUN rm /a\r")
    long_comment = b"#" * (1 << 20) + b"\n"
    (tmp_path / "line").write_bytes(b"FROM busybox\nRUN echo " + b"x" * 999_000 + b" > /a\nRUN rm /a\n" + long_comment)
    assert main(["check", str(tmp_path / "cr"), str(tmp_path / "line")]) in (0, 1, 2)
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert f"{tmp_path / 'line'}:3:5: DLL101" in out and "Traceback" not in out


DEPTH = 1_900   # far over Python's recursion limit, within PATH_MAX for the whole path


def _nest(root: Path, depth: int) -> None:
    """depth nested folders d/d/…/d with one file at the bottom (relative steps: no long paths)."""
    here = os.getcwd()
    os.chdir(root)
    try:
        for _ in range(depth):
            os.mkdir("d")
            os.chdir("d")
        Path("f").write_bytes(b"x" * 10)
    finally:
        os.chdir(here)


def _unnest(root: Path, depth: int) -> None:
    """Removed bottom up: shutil.rmtree recurses, and pytest's clean-up with it."""
    here = os.getcwd()
    os.chdir(root / "/".join(["d"] * (depth - 1)))
    try:
        os.unlink("d/f")
        for _ in range(depth):
            os.rmdir("d")
            os.chdir("..")
    finally:
        os.chdir(here)


def test_folders_nested_deeper_than_the_recursion_limit(tmp_path):
    _nest(tmp_path, DEPTH)
    try:
        context = BuildContext(tmp_path, ["d/d", "!d/d/" + "/".join(["d"] * (DEPTH - 2)) + "/f"])
        [match] = context.match(".")
        assert len(match.entries) == DEPTH + 1 and match.entries[-1].size == 10
        analysis = analyze("FROM busybox\nCOPY . /app\nRUN rm -rf /app\n", context)
        assert [finding.rule.id for finding in analysis.findings] == ["DLL101"]
    finally:
        _unnest(tmp_path, DEPTH)
