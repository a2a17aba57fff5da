"""`check --fix --unsafe-fixes` twice over a copy of ../shared/corpus (issue 16, probe 4).

The corpus is copied to a temporary folder (the shared one is read-only); the
first run rewrites what it can, the second must change nothing, and every
rewritten file must still parse with BuildKit's own parser (the `dockerfile`
package, as tests/buildkit_reference.py calls it) when the original did.
Prints the counts of each kind of failure (the goal is 0 for each) and the
time of each run.

usage: python benchmarks/fix_roundtrip.py [--limit N] [--keep]
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
NOT_DOCKERFILES = ("MANIFEST.tsv", "README.md")

try:
    import dockerfile as buildkit
except ImportError:
    buildkit = None


def digests(files: list[Path]) -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def fix_run(files: list[Path]) -> tuple[float, str]:
    """One `check --fix --unsafe-fixes` over every file: (seconds, stderr)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dlayerlint", "check", "--fix", "--unsafe-fixes",
                           "--fail-level", "none", *map(str, files)],
                          cwd=REPO, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.stderr


def parses(path: Path) -> bool | None:
    """Whether BuildKit's parser takes the file; None without the parser or for non-UTF-8 bytes."""
    if buildkit is None:
        return None
    try:
        buildkit.parse_string(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return None
    except (buildkit.GoParseError, buildkit.GoIOError):
        return False
    return True


def report(work: Path, failures: dict[str, list[Path]]) -> None:
    for what, paths in failures.items():
        print(f"FAIL {what}: {len(paths)}")
        for path in paths[:20]:
            print(f"    {path.relative_to(work)}")


def round_trip(files: list[Path]) -> dict[str, list[Path]]:
    """Both runs over the files; prints the times and returns the failures by kind."""
    before_parse = {path: parses(path) for path in files}
    original = digests(files)
    first_seconds, first_err = fix_run(files)
    fixed = digests(files)
    second_seconds, second_err = fix_run(files)
    again = digests(files)
    rewritten = [path for path in files if fixed[path] != original[path]]
    print(f"files {len(files)}, rewritten by the first run {len(rewritten)}")
    print(f"first run {first_seconds:.1f} s, second run {second_seconds:.1f} s")
    print(f"FAIL tracebacks: {first_err.count('Traceback') + second_err.count('Traceback')}")
    print(f"files --fix could not rewrite: {first_err.count(': error: ')} in the first run, "
          f"{second_err.count(': error: ')} in the second")
    unchecked = "" if buildkit else " (no BuildKit parser here: not checked)"
    return {"second run changed a file": [path for path in files if again[path] != fixed[path]],
            "rewritten file BuildKit no longer parses" + unchecked:
                [path for path in rewritten if before_parse[path] and parses(path) is False],
            "traceback": [Path("stderr")] if "Traceback" in first_err + second_err else []}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N files (0: all)")
    parser.add_argument("--keep", action="store_true", help="keep the copy (its path is printed)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dlayerlint-roundtrip-")) / "corpus"
    shutil.copytree(CORPUS, work, symlinks=True)
    files = sorted(p for p in work.rglob("*") if p.is_file() and p.name not in NOT_DOCKERFILES)
    for path in files:   # the shared corpus is read-only, and --fix leaves read-only files alone
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    failures = round_trip(files[: args.limit] if args.limit else files)
    report(work, {what: paths for what, paths in failures.items() if what != "traceback"})
    if args.keep:
        print(f"copy kept in {work}")
    else:
        shutil.rmtree(work.parent)
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
