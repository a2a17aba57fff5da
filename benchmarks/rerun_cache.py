"""Re-runs with `check --cache`: every corpus file linted without the cache, then with an
empty cache (cold: each result analysed and stored), then again (warm: each result read
back), one process per run as CI or a pre-commit hook runs it. Prints wall and CPU time of
each, the cold/warm ratio, and the read floor: a Python process that only reads and
decodes the same files (what no linter can skip), with warm as a multiple of it. The
outputs of the three runs must be the same bytes (checked). Then the same for one file,
one process per run (what a pre-commit hook pays on an unchanged file).

usage: python benchmarks/rerun_cache.py [--limit N] [--jobs N] [--repeat K]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from corpus_speed import CORPUS, REPO, manifest

READ_ONLY = "import sys\nfor name in sys.argv[1:]:\n    open(name, 'rb').read().decode('utf-8', 'replace')\n"


def timed(command: Sequence[str]) -> tuple[float, float, str]:
    """Wall s, CPU s (the process and its workers, from wait4) and a digest of stdout."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=CORPUS, stdout=out,  # pylint: disable=consider-using-with
                                   stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, hashlib.md5(out.read()).hexdigest()


def best(command: Sequence[str], repeat: int) -> tuple[float, float, str]:
    """The median wall and CPU of `repeat` runs (the machine is shared)."""
    runs = [timed(command) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), runs[-1][2])


def row(name: str, wall: float, cpu: float, floor: float, count: int) -> None:
    print(f"{name:<34} {wall:8.3f} {cpu:8.3f} {1000 * wall / count:9.3f} {wall / floor:8.2f}x")


def compare(files: list[str], jobs: list[str], repeat: int) -> None:
    lint = [sys.executable, "-m", "dlayerlint", "check", "--format", "json", *jobs]
    with tempfile.TemporaryDirectory() as scratch:
        cache = ["--cache-dir", str(Path(scratch) / "cache")]
        floor = best([sys.executable, "-c", READ_ONLY, *files], repeat)
        plain = best([*lint, "--no-cache", *files], repeat)
        cold = timed([*lint, *cache, *files])   # once: a second run would be warm
        warm = best([*lint, *cache, *files], repeat)
    assert plain[2] == cold[2] == warm[2], "the cached output differs from the uncached one"
    print(f"{'run':<34} {'wall s':>8} {'cpu s':>8} {'ms/file':>9} {'x floor':>9}")
    row("read floor (python reads + decodes)", *floor[:2], floor[0], len(files))
    row("no cache", *plain[:2], floor[0], len(files))
    row("cold cache (analyse + store)", *cold[:2], floor[0], len(files))
    row("warm cache (every file a hit)", *warm[:2], floor[0], len(files))
    print(f"cold / warm: {cold[0] / warm[0]:.1f}x wall, {cold[1] / warm[1]:.1f}x CPU; "
          f"no cache / warm: {plain[0] / warm[0]:.1f}x wall; warm = {warm[0] / floor[0]:.2f}x the read floor")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="the first N corpus files (default: all)")
    parser.add_argument("--jobs", type=int, help="--jobs for dlayerlint (default: its own, one per core)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timed command (median)")
    options = parser.parse_args()
    os.environ["PYTHONPATH"] = str(REPO)    # dlayerlint from this working tree, whatever is installed
    files = manifest(options.limit)
    jobs = ["--jobs", str(options.jobs)] if options.jobs else []
    print(f"{len(files)} corpus files, one process per run")
    compare(files, jobs, options.repeat)
    one = files[len(files) // 2]
    print(f"\none file ({one}), one process per run, median of {max(options.repeat, 5)}")
    compare([one], jobs, max(options.repeat, 5))
    return 0


if __name__ == "__main__":
    sys.exit(main())
