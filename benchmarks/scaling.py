"""Scaling: is dlayerlint linear in the size of a Dockerfile?

Generates Dockerfiles of 50, 100, 250, 500 and 1000 RUNs (about 4 lines each: dd/head into
files, chmod and rm of files from earlier layers, mkdir, apt-get, curl | tar, cd, COPY from a
small temp build context) and times each in-process (parse + replay + checks + fixes + JSON,
median of --repeat runs) and as one `dlayerlint check --format json` process. Prints the time
per file and per RUN and the growth exponent k in time ~ RUNs^k (1: linear, 2: quadratic).
Then one RUN of 10,000 `&&` commands and a 10 MB Dockerfile, each as one process with a
timeout.

usage: python benchmarks/scaling.py [--repeat N] [--timeout S] [--profile RUNS]
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
    from dlayerlint.app.check import _context
    from dlayerlint.simulate.context.build import ContextCache
    from dlayerlint.report import FileResult
    from dlayerlint.report.json_format import render_file
    from dlayerlint.shell.parse import parse_script
    text, times, findings = path.read_text(encoding="utf-8"), [], 0
    for _ in range(repeat):
        parse_script.cache_clear()   # a repeat must not find its RUN bodies parsed already
        started = time.perf_counter()
        analysis = analyze(text, _context(path, None, ContextCache()))
        render_file(FileResult(str(path), analysis))   # JSON text
        times.append((time.perf_counter() - started) * 1000)
        findings = len(analysis.findings)
    return statistics.median(times), findings


def one_process(path: Path, timeout: float) -> str:
    """Wall, peak RSS and exit code of one `dlayerlint check --format json` run, or the timeout."""
    command = [sys.executable, "-m", "dlayerlint", "check", "--format", "json", str(path)]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                   env={**os.environ, "PYTHONPATH": str(REPO)})
        while not (waited := os.wait4(process.pid, os.WNOHANG))[0]:
            if time.perf_counter() - started > timeout:
                process.kill()
                process.wait()
                return f"TIMEOUT after {timeout:.0f} s"
            time.sleep(0.002)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(waited[1])
        out.seek(0)
        output = out.read()
    lines = output.decode(errors="replace").strip().splitlines()
    error = f" ({lines[-1][:120] if lines else ''})" if process.returncode not in (0, 1) else ""
    return (f"{wall * 1000:7.0f} ms wall, peak RSS {waited[2].ru_maxrss / 1024:4.0f} MiB, output"
            f" {len(output) / 1024:6.0f} KB, exit {process.returncode}{error}")


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
    options = parser.parse_args()
    sys.path.insert(0, str(REPO))
    if os.getloadavg()[0] > 0.5:
        print(f"WARNING: load average {os.getloadavg()[0]:.2f}: other work competes, times are noisy")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        make_context(folder)
        size_table(folder, options.repeat, options.timeout)
        large_cases(folder, options.timeout)
        if options.profile:
            from corpus_speed import profile  # pylint: disable=import-outside-toplevel
            path = folder / "Dockerfile.profile"
            path.write_text(dockerfile(options.profile), encoding="utf-8")
            profile([str(path)] * 10, f"the {options.profile}-RUN file, 10 runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
