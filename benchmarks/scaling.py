"""Scaling: is dlayerlint linear in the size of a Dockerfile?

Generates Dockerfiles of 50, 100, 250, 500 and 1000 RUNs (about 4 lines each: dd/head into
files, chmod and rm of files from earlier layers, mkdir, apt-get, curl | tar, cd, COPY from a
small temp build context) and times each in-process (parse + replay + checks + fixes + JSON,
median of --repeat runs) and as one `dlayerlint check --format json` process. Prints the time
per file and per RUN and the growth exponent k in time ~ RUNs^k (1: linear, 2: quadratic).
Then one RUN of 10,000 `&&` commands and a 10 MB Dockerfile, each as one process with a
timeout.

Last, the issue-14 cases (a chmod -R over every earlier layer's files, an append to one file
in every layer, both) at 1,000 and 10,000 RUNs, with the growth exponent of CPU time, peak
memory and output size.

usage: python benchmarks/scaling.py [--repeat N] [--timeout S] [--profile RUNS]
                                    [--cases SMALL LARGE] [--cases-only] [--case-timeout S]
       (--profile 500 prints pyinstrument's top functions for the 500-RUN file)
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZES = (50, 100, 250, 500, 1000)


def run_block(i: int) -> str:
    """One RUN of about four lines; every fifth kind touches files of earlier layers."""
    kinds = (
        f"RUN mkdir -p /opt/s{i} \\\n    && dd if=/dev/zero of=/opt/s{i}/blob bs=1K count={i % 64 + 1} \\\n"
        f"    && head -c {1024 * (i % 7 + 1)} /dev/urandom > /opt/s{i}/rand.bin \\\n    && echo step {i} >> /opt/log",
        f"RUN chmod 0600 /opt/s{i - 1}/blob \\\n    && rm -f /opt/s{max(i - 3, 0)}/rand.bin \\\n"
        f"    && cd /opt/s{i - 1} && printf 'x%.0s' 1 2 3 > note.txt \\\n    && cp note.txt /tmp/n{i}",
        f"RUN apt-get update \\\n    && apt-get install -y --no-install-recommends pkg{i % 13} \\\n"
        f"    && curl -fsSL https://example.com/a{i}.tgz | tar -xz -C /opt \\\n    && rm -rf /var/lib/apt/lists/*",
        f"RUN cd /tmp && truncate -s {i}K t{i}.img \\\n    && ls -la /opt | grep s{i} | wc -l > /tmp/count{i} \\\n"
        f"    && mv /tmp/t{i}.img /opt/s{i - 3}/ \\\n    && rm -rf /tmp/n{i - 2}",
        f"RUN set -eux; \\\n    for f in a b; do touch /opt/$f{i}; done; \\\n"
        f"    chown -R nobody /opt/s{i - 4} \\\n    && fallocate -l 1M /opt/big{i}",
    )
    block = kinds[i % len(kinds)]
    return block + (f"\nCOPY files/f{i % 8}.txt /opt/copied/{i}.txt" if i % 10 == 9 else "")


def dockerfile(runs: int) -> str:
    body = "\n".join(run_block(i) for i in range(runs))
    return f"FROM debian:bookworm\nWORKDIR /opt\n{body}\nCMD [\"/bin/sh\"]\n"


def make_context(folder: Path) -> None:
    (folder / "files").mkdir()
    for i in range(8):
        (folder / "files" / f"f{i}.txt").write_bytes(b"x" * 1000 * (i + 1))


def in_process(path: Path, repeat: int) -> tuple[float, int]:
    """Median ms of analyze + JSON rendering, as `dlayerlint check --format json`, and the findings."""
    # pylint: disable=import-outside-toplevel
    from dlayerlint.lint import analyze
    from dlayerlint.simulate.context.build import ContextCache
    from dlayerlint.report import FileResult
    from dlayerlint.report.json_format import render_file
    from dlayerlint.shell.parse import parse_script
    text, times, findings = path.read_text(encoding="utf-8"), [], 0
    for _ in range(repeat):
        parse_script.cache_clear()   # a repeat must not find its RUN bodies parsed already
        started = time.perf_counter()
        analysis = analyze(text, ContextCache().get(path.parent, dockerfile=path))
        render_file(FileResult(str(path), analysis))   # JSON text
        times.append((time.perf_counter() - started) * 1000)
        findings = len(analysis.findings)
    return statistics.median(times), findings


@dataclass
class Measured:
    """One `dlayerlint check --format json` process: wall s, peak RSS MiB, stdout bytes, CPU s."""
    wall: float
    rss_mib: float
    output: bytes
    exit_code: int
    cpu: float = 0.0     # user + system: what growth is read from on a loaded machine


def measure(path: Path, timeout: float) -> Measured | None:
    """One process's wall time, peak RSS (wait4) and output; None at the timeout."""
    command = [sys.executable, "-m", "dlayerlint", "check", "--format", "json", str(path)]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                   env={**os.environ, "PYTHONPATH": str(REPO)})
        while not (waited := os.wait4(process.pid, os.WNOHANG))[0]:
            if time.perf_counter() - started > timeout:
                process.kill()
                process.wait()
                return None
            time.sleep(0.002)
        wall = time.perf_counter() - started
        out.seek(0)
        usage = waited[2]
        return Measured(wall, usage.ru_maxrss / 1024, out.read(), os.waitstatus_to_exitcode(waited[1]),
                        usage.ru_utime + usage.ru_stime)


def one_process(path: Path, timeout: float) -> str:
    """Wall, peak RSS and exit code of one `dlayerlint check --format json` run, or the timeout."""
    result = measure(path, timeout)
    if result is None:
        return f"TIMEOUT after {timeout:.0f} s"
    lines = result.output.decode(errors="replace").strip().splitlines()
    error = f" ({lines[-1][:120] if lines else ''})" if result.exit_code not in (0, 1) else ""
    return (f"{result.wall * 1000:7.0f} ms wall, peak RSS {result.rss_mib:4.0f} MiB, output"
            f" {len(result.output) / 1024:6.0f} KB, exit {result.exit_code}{error}")


# The issue-14 inputs that were quadratic: a recursive chmod over every earlier layer's files
# (each finding listed every path and line), an append to one file in every layer (each finding
# repeated the same whole-file merge fix), and both interleaved.
def _chmod_run(i: int) -> str:
    return f"RUN dd if=/dev/zero of=/opt/t/f{i} bs=1K count=4 && chmod -R 0755 /opt/t"


def _profile_run(i: int) -> str:
    return f"RUN echo 'export PATH=/opt/p{i}/bin:$PATH' >> /etc/profile"


CASE_BASE = "FROM debian:bookworm\n"
CASES: dict[str, Callable[[int], str]] = {
    "chmod -R": _chmod_run,
    "append": _profile_run,
    "both": lambda i: _chmod_run(i) if i % 2 else _profile_run(i),
}


def growth(small: float, large: float, ratio: float) -> float:
    """k in cost ~ RUNs^k from two sizes `ratio` apart (1: linear, 2: quadratic)."""
    return math.log(max(large, 1e-9) / max(small, 1e-9)) / math.log(ratio)


def case_table(folder: Path, sizes: tuple[int, int], timeout: float) -> None:
    """Each case at the two sizes as one process, and the growth exponent of time, memory and
    output; time and memory above an empty file's run (start-up is not growth)."""
    empty = folder / "Dockerfile.empty"
    empty.write_text(CASE_BASE, encoding="utf-8")   # the cases' own fixed cost: their base's data
    floors = [measure(empty, timeout) or Measured(0.0, 0.0, b"", 0) for _ in range(3)]
    floor = min(floors, key=lambda run: run.cpu)   # the least disturbed of three start-ups
    print(f"\nissue-14 cases at {sizes[0]:,} and {sizes[1]:,} RUNs, one process each; k: exponent in"
          f" cost ~ RUNs^k (1 linear, 2 quadratic) of CPU time and RSS above a RUN-less file's run"
          f" ({floor.cpu:.2f} s, {floor.rss_mib:.0f} MiB) and of output bytes (wall is shown, but a"
          f" loaded machine stretches it unevenly)")
    print(f"{'case':<9} {'RUNs':>6} {'wall s':>7} {'CPU s':>7} {'RSS MiB':>8} {'out KB':>8}")
    for name, block in CASES.items():
        runs = []
        for count in sizes:
            path = folder / f"Dockerfile.case{count}"
            path.write_text(CASE_BASE + "\n".join(block(i) for i in range(count)) + "\n",
                            encoding="utf-8")
            result = measure(path, timeout)
            runs.append(result)
            shown = (f"{result.wall:7.2f} {result.cpu:7.2f} {result.rss_mib:8.0f} {len(result.output) / 1024:8.0f}"
                     if result
                     else f"TIMEOUT after {timeout:.0f} s")
            print(f"{name:<9} {count:>6} {shown}", flush=True)
        _print_exponents(name, runs, floor, sizes[1] / sizes[0], timeout)


def _print_exponents(name: str, runs: list[Measured | None], floor: Measured, ratio: float,
                     timeout: float) -> None:
    small, large = runs
    if small is None:
        return
    if large is None:   # the bound the timeout gives
        print(f"{name:<9} {'k':>6} > {growth(small.wall - floor.wall, timeout, ratio):.2f} in time (timed out)")
        return
    print(f"{name:<9} {'k':>6} {'':>7} {growth(small.cpu - floor.cpu, large.cpu - floor.cpu, ratio):7.2f}"
          f" {growth(small.rss_mib - floor.rss_mib, large.rss_mib - floor.rss_mib, ratio):8.2f}"
          f" {growth(len(small.output), len(large.output), ratio):8.2f}")


def size_table(folder: Path, repeat: int, timeout: float) -> None:
    per_run = {}
    print(f"{'RUNs':>5} {'lines':>6} {'KB':>5} {'findings':>8} {'ms/file':>8} {'µs/RUN':>7}   one process")
    for runs in SIZES:
        path = folder / f"Dockerfile.{runs}"
        text = dockerfile(runs)
        path.write_text(text, encoding="utf-8")
        in_process(path, 1)   # warm: knowledge and parser loading are not per-RUN costs
        ms, findings = in_process(path, repeat)
        per_run[runs] = 1000 * ms / runs
        print(f"{runs:>5} {text.count(chr(10)):>6} {len(text) / 1024:>5.0f} {findings:>8} {ms:>8.1f}"
              f" {per_run[runs]:>7.0f}   {one_process(path, timeout)}")
    ratio = per_run[SIZES[-1]] / per_run[SIZES[0]]
    exponent = 1 + math.log(ratio) / math.log(SIZES[-1] / SIZES[0])
    verdict = "linear" if ratio < 1.5 else "superlinear" if ratio < 4 else "QUADRATIC or worse"
    print(f"time per RUN at {SIZES[-1]} / at {SIZES[0]}: {ratio:.2f} (time ~ RUNs^{exponent:.2f}): {verdict}")


def large_cases(folder: Path, timeout: float) -> None:
    chain = folder / "Dockerfile.chain"
    steps = " \\\n".join(f"    && mkdir -p /d/{i} && echo {i} > /d/{i}/f" if i % 2 else
                         f"    && rm -f /d/{i - 1}/f && ls /d" for i in range(1, 5001))
    chain.write_text(f"FROM alpine\nRUN true \\\n{steps}\n", encoding="utf-8")
    print(f"\none RUN of 10,000 `&&` ({chain.stat().st_size / 1024:.0f} KB): {one_process(chain, timeout)}")
    big = folder / "Dockerfile.10mb"
    block = "\n".join(run_block(i) for i in range(1000))
    copies = math.ceil(10 * 1024 * 1024 / len(block))
    big.write_text("FROM debian:bookworm\n" + "\n".join([block] * copies) + "\n", encoding="utf-8")
    print(f"10 MB Dockerfile ({big.stat().st_size / 1e6:.1f} MB, {1000 * copies} RUNs): {one_process(big, timeout)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for each of the two large cases")
    parser.add_argument("--profile", type=int, metavar="RUNS", help="profile the file of this many RUNs")
    parser.add_argument("--cases", type=int, nargs=2, default=(1000, 10000), metavar=("SMALL", "LARGE"),
                        help="RUN counts of the issue-14 cases (default 1000 10000)")
    parser.add_argument("--cases-only", action="store_true", help="only the issue-14 cases")
    parser.add_argument("--case-timeout", type=float, default=300.0, help="seconds for each case process")
    options = parser.parse_args()
    sys.path.insert(0, str(REPO))
    if os.getloadavg()[0] > 0.5:
        print(f"WARNING: load average {os.getloadavg()[0]:.2f}: other work competes, times are noisy")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        make_context(folder)
        if not options.cases_only:
            size_table(folder, options.repeat, options.timeout)
            large_cases(folder, options.timeout)
        case_table(folder, tuple(options.cases), options.case_timeout)
        if options.profile:
            from corpus_speed import profile  # pylint: disable=import-outside-toplevel
            path = folder / "Dockerfile.profile"
            path.write_text(dockerfile(options.profile), encoding="utf-8")
            profile([str(path)] * 10, f"the {options.profile}-RUN file, 10 runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
