"""Hostile build contexts and bad input files (issue 16, probes 1 and 2).

Each probe runs `dlayerlint check` in a new process under a timeout and
prints its exit code, wall time, peak memory (the child's max RSS) and
whether stderr holds a traceback. Run as root (it makes a device file and
runs the unreadable-file probe as `nobody`); the figures go to stdout.

usage: python benchmarks/hostile.py [--only NAME] [--files N]
"""
from __future__ import annotations

import argparse
import importlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
CASES = importlib.import_module("test_hostile_context")   # the contexts the tests build
TIMEOUT = 60
COPY_ALL = "FROM busybox\nCOPY . /app\nRUN rm -rf /app\n"
@dataclass
class Outcome:
    code: int | None          # None: killed by the timeout (it blocked)
    seconds: float
    peak_mib: float
    traceback: bool
    stderr: str


def run_check(args: list[str], as_nobody: bool = False) -> Outcome:
    """`dlayerlint check ARGS` in a child, under /usr/bin/time for its peak memory."""
    script = CASES.AS_NOBODY if as_nobody else "import sys; from dlayerlint.app.cli import main; " \
        "sys.exit(main(sys.argv[1:]))"
    command = ["/usr/bin/time", "-f", "PEAK_KB %M", sys.executable, "-c", script, "check", *args]
    start = time.perf_counter()
    environment = CASES.nobody_environment(Path(args[-1]).parent) if as_nobody else None
    with tempfile.TemporaryFile() as err, subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err,
                                                           stdin=subprocess.DEVNULL, env=environment) as child:
        code, usage = _wait(child.pid, start + TIMEOUT)
        child.returncode = code if code is not None else -9   # reaped here: Popen must not wait again
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    # /usr/bin/time's figure: a child forked from this big process inherits its RSS high-water mark
    peak = re.search(r"^PEAK_KB (\d+)$", text, re.M)
    text = re.sub(r"^(PEAK_KB \d+|Command (exited with non-zero status|terminated by signal) \d+)\n?", "", text,
                  flags=re.M)
    return Outcome(code, time.perf_counter() - start, int(peak[1]) / 1024 if peak else usage.ru_maxrss / 1024,
                   "Traceback" in text, text)


def _wait(pid: int, deadline: float) -> tuple[int | None, os.struct_rusage]:
    """(exit code or None when it had to be killed, its rusage)."""
    while time.perf_counter() < deadline:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), usage
        time.sleep(0.02)
    os.kill(pid, 9)
    _, _, usage = os.wait4(pid, 0)
    return None, usage


def context(root: Path, dockerfile: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(dockerfile)
    return root / "Dockerfile"


# -- probe 1: hostile build contexts ----------------------------------------

def special_files(root: Path) -> list[str]:
    path = context(root, COPY_ALL + "COPY fifo sock zero /s/\nADD fifo /f\nADD zero /z\nADD dev /d\n")
    CASES.special_context(root)
    os.mknod(root / "dev", 0o600 | 0o020000, os.makedev(1, 5))   # a char device: /dev/zero
    return ["--context", str(root), str(path)]


def sparse(root: Path) -> list[str]:
    path = context(root, "FROM busybox\nCOPY big /big\nADD big /b\nRUN rm /big\n")
    with open(root / "big", "wb") as out:
        out.truncate(10 * 1024 ** 3)
    return [str(path)]


def many_files(root: Path, count: int) -> list[str]:
    path = context(root, COPY_ALL)
    for index in range(count):
        folder = root / f"d{index // 1000}"
        if index % 1000 == 0:
            folder.mkdir()
        (folder / f"f{index}").write_bytes(b"x")
    return [str(path)]


def deep(root: Path) -> list[str]:
    path = context(root, COPY_ALL)
    os.chdir(root)
    try:
        for _ in range(1900):   # below PATH_MAX for the full path, above Python's recursion limit
            os.mkdir("d")
            os.chdir("d")
        Path("f").write_bytes(b"x" * 10)
    finally:
        os.chdir(REPO)
    return ["--context", str(root), str(path)]


def escaping(root: Path) -> list[str]:
    text = "FROM busybox\nCOPY ../../etc/passwd /x\nCOPY /etc/shadow /y\nCOPY ../ /z\nRUN rm /x /y\n"
    return ["--context", str(root), str(context(root, text))]


def ignore_file(root: Path, lines: list[str]) -> list[str]:
    path = context(root, COPY_ALL)
    (root / ".dockerignore").write_text("\n".join(lines))
    for index in range(200):
        (root / ("a" * 30 + f"{index}")).write_bytes(b"x")
    return [str(path)]


def ignore_special(root: Path) -> list[str]:
    first = context(root / "fifo", COPY_ALL)
    os.mkfifo(root / "fifo" / ".dockerignore")
    second = context(root / "zero", COPY_ALL)
    os.symlink("/dev/zero", root / "zero" / ".dockerignore")
    third = context(root / "outside", COPY_ALL)
    os.symlink("/etc/shadow", root / "outside" / ".dockerignore")
    return [str(first), str(second), str(third)]


def unreadable(root: Path) -> list[str]:
    root.mkdir()
    CASES.unreadable_context(root)
    os.chmod(root.parent, 0o755)
    return ["--context", str(root), str(root / "Dockerfile")]


# -- probe 2: bad input files -----------------------------------------------

def bad_inputs(root: Path) -> dict[str, Callable[[], list[str]]]:
    root.mkdir()

    def made(name: str, data: bytes) -> list[str]:
        (root / name).write_bytes(data)
        return [str(root / name)]

    def fifo() -> list[str]:
        os.mkfifo(root / "fifo")
        return [str(root / "fifo")]

    def device() -> list[str]:
        os.mknod(root / "zero", 0o600 | 0o020000, os.makedev(1, 5))
        return [str(root / "zero")]

    def zero_link() -> list[str]:
        os.symlink("/dev/zero", root / "zero-link")
        return [str(root / "zero-link")]

    huge_line = b"FROM busybox\nRUN echo " + b"x" * (1 << 20) + b"\n"
    run_block = b"RUN echo hello > /tmp/f && rm /tmp/f\n"
    return {
        "input: FIFO": fifo,
        "input: directory": lambda: [str(root)],
        "input: char device": device,
        "input: symlink to /dev/zero": zero_link,
        "input: UTF-16 with BOM": lambda: made("utf16", "FROM busybox\nRUN true\n".encode("utf-16")),
        "input: NUL bytes": lambda: made("nul", b"FROM busybox\nRUN true\0\n"),
        "input: lone CR": lambda: made("cr", b"FROM busybox\rRUN touch /a\rRUN rm /a\r"),
        "input: 50 MB file": lambda: made("big", b"FROM busybox\n" + run_block * (50 * 2 ** 20 // len(run_block))),
        "input: 1 MB line": lambda: made("line", huge_line),
    }


def probes(base: Path, files: int) -> dict[str, Callable[[], list[str]]]:
    found: dict[str, Callable[[], list[str]]] = {
        "context: loops, links to / /proc /dev/zero, FIFO, socket, device": lambda: special_files(base / "special"),
        "context: 10 GB sparse file": lambda: sparse(base / "sparse"),
        f"context: {files:,} small files": lambda: many_files(base / "many", files),
        "context: 1,900 nested folders": lambda: deep(base / "deep"),
        "context: ../ and absolute sources": lambda: escaping(base / "escape" / "a" / "b"),
        "context: .dockerignore of 10k patterns": lambda: ignore_file(
            base / "ignore10k", [f"*a*a*a*{i}*b" for i in range(10_000)]),
        "context: .dockerignore **/**/**/*a*a*a*a*b": lambda: ignore_file(
            base / "ignorestar", ["**/**/**/*a*a*a*a*b", "!**/**/*a*a*a*a*a*a*c"] * 50),
        "context: .dockerignore FIFO, /dev/zero, outside link": lambda: ignore_special(base / "ignorespecial"),
    }
    found.update(bad_inputs(base / "inputs"))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the probes whose name contains this")
    parser.add_argument("--files", type=int, default=200_000, help="files in the many-files context")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="dlayerlint-hostile-"))
    os.chmod(base, 0o755)
    print(f"{'probe':58} {'exit':>5} {'time s':>8} {'peak MiB':>9}  traceback")
    try:
        for name, make in probes(base, args.files).items():
            if args.only and args.only not in name:
                continue
            outcome = run_check(make())
            _print(name, outcome)
        if not args.only or "unreadable" in args.only:
            _print("context: unreadable files, as nobody", run_check(unreadable(base / "unreadable"), as_nobody=True))
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)   # rmtree recurses: too deep for it
    return 0


def _print(name: str, outcome: Outcome) -> None:
    code = "BLOCK" if outcome.code is None else str(outcome.code)
    print(f"{name:58} {code:>5} {outcome.seconds:8.2f} {outcome.peak_mib:9.1f}  "
          f"{'YES' if outcome.traceback else 'no'}")
    last = outcome.stderr.strip().splitlines()[-3:]
    for line in last:
        print(f"    {line[:150]}")


if __name__ == "__main__":
    sys.exit(main())
