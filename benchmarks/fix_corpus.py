"""The rewrites over ../shared/corpus: how many files get at least one fix, how
many fixes are safe, unsafe or manual, why findings get none, and, for a sample
that can be built here (every FROM is busybox, debian:bookworm or an Ubuntu
release that `python benchmarks/bases.py ubuntu:22.04 …` made; no COPY or ADD
from a context we do not have), the original and the `--fix --unsafe-fixes`
rewrite built with ../shared/tools/realbuild.py: bytes saved and whether the
final filesystem matched.

usage: python benchmarks/fix_corpus.py [--build N] [--as-bookworm] [--json OUT]
Each file is linted without a build context (COPY sizes unknown), as
corpus_findings.py does. With --as-bookworm, a FROM of any other Debian
release is read as debian:bookworm (the only Debian base made here) before
linting, fixing and building, so more of the corpus can be built; both builds
use the same base, so the comparison stays fair, but packages that bookworm
lacks make some builds fail.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
REALBUILD = REPO.parent / "shared" / "tools" / "realbuild.py"
sys.path.insert(0, str(REPO))

# pylint: disable=wrong-import-position
from dlayerlint.lint import analyze  # noqa: E402
from dlayerlint.fixes.fixpoint import fix_text  # noqa: E402
from dlayerlint.app.inputs import UsageError, read_dockerfile  # noqa: E402
from dlayerlint.simulate.knowledge import knowledge  # noqa: E402
from dlayerlint.app.verify import RUNTIME_MOUNTS, differences, measure  # noqa: E402

# realbuild.py makes busybox and debian:bookworm; benchmarks/bases.py makes the Ubuntu releases
BUILDABLE_BASE = re.compile(r"(docker\.io/)?(library/)?(busybox(:latest)?|debian:(bookworm|12)(-slim)?"
                            r"|ubuntu:(16\.04|18\.04|20\.04|22\.04|xenial|bionic|focal|jammy))\Z")
REALBUILD_VOLUMES = frozenset({"/etc/pip.conf", "/etc/realbuild-ca.crt"})   # its -v mount points
BUILD_TIMEOUT = 900
DEFAULTED = re.compile(r"\$\{[A-Za-z_]\w*:-([^${}]*)\}")   # an innermost ${NAME:-default}
OTHER_DEBIAN = re.compile(r"(?im)^(\s*FROM\s+(?:--platform=\S+\s+)?)(?:docker\.io/)?(?:library/)?"
                          r"debian(?::[\w.-]+)?(?=\s|$)")


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("MANIFEST.tsv", "README.md"))


def buildable(analysis, text: str) -> bool:
    stages = analysis.dockerfile.stages
    names = {stage.name for stage in stages if stage.name}
    return bool(stages) and all(BUILDABLE_BASE.match(s.base) or s.base.lower() in names for s in stages) \
        and not re.search(r"(?im)^\s*(COPY|ADD)\s+(?!--from)", text)


def as_bookworm(text: str) -> str:
    return OTHER_DEBIAN.sub(r"\1debian:bookworm", text)


def survey(files: list[Path], substitute: bool) -> tuple[dict, list[tuple[Path, str, str]]]:
    counts: Counter = Counter()
    reasons: Counter = Counter()
    candidates = []
    for path in files:
        try:
            text = read_dockerfile(path)
            text = as_bookworm(text) if substitute else text
            analysis = analyze(text)
        except (UsageError, RecursionError, ValueError):
            counts["unreadable"] += 1
            continue
        counts["files"] += 1
        fixes = {f.fix for f in analysis.findings if f.fix is not None}
        counts["findings"] += len(analysis.findings)
        counts["findings with a fix"] += sum(f.fix is not None for f in analysis.findings)
        for finding in analysis.findings:
            if finding.no_fix_reason:
                reasons[re.sub(r"\d+|`[^`]*`|/\S*", "_", finding.no_fix_reason)[:90]] += 1
        counts["files with a fix"] += bool(fixes)
        counts["safe fixes"] += sum(f.safe for f in fixes)
        counts["unsafe fixes"] += sum(not f.safe and not f.manual for f in fixes)
        counts["manual fixes"] += sum(f.manual for f in fixes)
        if any(not f.manual for f in fixes) and buildable(analysis, text):
            rewritten = fix_text(text, analyze, unsafe=True).text
            if rewritten != text:
                candidates.append((path, text, rewritten))
    counts["buildable files with a rewrite"] = len(candidates)
    return {"counts": dict(counts), "top_no_fix_reasons": reasons.most_common(12)}, candidates


def build(dockerfile: Path, scratch: Path) -> tuple[dict, object] | str:
    archive = scratch / f"{dockerfile.name}.tar"
    try:
        done = subprocess.run([sys.executable, str(REALBUILD), str(dockerfile), str(scratch), "--archive",
                               str(archive)], capture_output=True, text=True, check=False, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timeout"
    if done.returncode:
        return "build failed: " + _build_error(done.stdout + done.stderr)
    return json.loads(done.stdout), measure(archive, RUNTIME_MOUNTS | REALBUILD_VOLUMES)


def cache_dirs() -> tuple[str, ...]:
    """The knowledge base's cache folders at their default places (`${HOME:-/root}/.npm` is
    /root/.npm): an unsafe clean-up fix removes what is in them, and nothing else."""
    found = []
    for cache in knowledge().caches.values():
        path = cache.path
        while (inner := DEFAULTED.sub(r"\1", path)) != path:
            path = inner
        found += [path.replace("${PM_NAME}", manager) for manager in ("yum", "dnf")] if "${" in path else [path]
    return tuple(path.rstrip("/") + "/" for path in found)


CACHE_DIRS = cache_dirs()


def _build_error(output: str) -> str:
    """The builder's own error line (`E: Unable to locate package …`) from realbuild's JSON log."""
    try:
        log = json.loads(output.strip().splitlines()[-1]).get("log", output)
    except (ValueError, IndexError, AttributeError):
        log = output
    lines = [line for line in log.splitlines() if line.startswith(("E: ", "Error: "))] or log.strip().splitlines()
    return lines[0][:160] if lines else "no output"


def build_sample(candidates: list[tuple[Path, str, str]], limit: int) -> list[dict]:
    rows = []
    for path, text, rewritten in candidates[:limit]:
        row = {"file": str(path.relative_to(CORPUS))}
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp)
            (scratch / "original").write_text(text, encoding="utf-8")
            (scratch / "rewritten").write_text(rewritten, encoding="utf-8")
            started = time.monotonic()
            before = build(scratch / "original", scratch)
            after = build(scratch / "rewritten", scratch) if not isinstance(before, str) else "not built"
            row["seconds"] = round(time.monotonic() - started)
        if isinstance(before, str) or isinstance(after, str):
            # which build failed matters: an original that fails here says nothing of the rewrite
            row["failed"] = "original" if isinstance(before, str) else "rewrite"
            row["error"] = before if isinstance(before, str) else after
        else:
            row.update(stranded_before=before[0]["stranded_bytes_above_base"],
                       stranded_after=after[0]["stranded_bytes_above_base"],
                       bytes_saved=before[1].total - after[1].total,
                       digest_identical=before[0]["final_fs_digest"] == after[0]["final_fs_digest"])
            changed = differences(before[1], after[1])
            outside = [path for path in changed if not path.startswith(CACHE_DIRS)]
            row.update(changed_paths=len(changed), changed_outside_caches=outside[:10])
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--build", type=int, default=8, metavar="N", help="build at most N files (0: none)")
    parser.add_argument("--as-bookworm", action="store_true", help="read other Debian releases as debian:bookworm")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"{CORPUS} is absent", file=sys.stderr)
        return 2
    started = time.monotonic()
    report, candidates = survey(corpus_files(), args.as_bookworm)
    report["lint_seconds"] = round(time.monotonic() - started)
    report["built"] = build_sample(candidates, args.build) if args.build and REALBUILD.is_file() else []
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
