"""The rewrites over ../shared/corpus, proven by real builds.

First a survey of every file: how many get at least one fix, how many fixes
are safe, unsafe or manual, and why findings get none. Then the proof: files
that can be built here (every FROM is busybox, debian:bookworm, or an Ubuntu
release or Debian bullseye/trixie that `python benchmarks/bases.py ubuntu:22.04 debian:trixie …`
made) are built as
they are and as `check --fix --unsafe-fixes` rewrites them, with
../shared/tools/realbuild.py, and the table says, over every file whose
original builds: how many rewrites build, the bytes saved, and whether the
final filesystem is the same apart from the knowledge base's cache folders
(the documented removals).

usage: python benchmarks/fix_corpus.py [--build N] [--as-bookworm] [--jobs J]
                                       [--keep-recommends-fix] [--json OUT]

- Each file is linted with a stand-in build context: every COPY/ADD source it
  names, made empty (a folder where the source ends in `/`; `*.sh` files
  executable). A step that needs real content then fails in the original
  build, and the file is left out of the proof as "original failed".
- DLL110's fix (drop recommended packages) is left out unless
  --keep-recommends-fix: it changes what the image holds by design, so it
  cannot be proven by "same final filesystem".
- With --as-bookworm, a FROM of any Debian release but bullseye and trixie is read as
  debian:bookworm before linting, fixing and
  building; both builds use the same base, so the comparison stays fair, but
  packages that bookworm lacks make some originals fail.
- Files the model predicts over 1 GiB of layers (texlive-full, CUDA) are
  counted but not built: here they outlast the 15-minute build timeout.
- Files are built shortest first (the quick, self-contained ones), J at a time
  (default 2). Each build's result is kept in ~/.cache/dlayerlint-fixcorpus,
  keyed by the Dockerfile's and the context's content, so a run after a fixer
  change builds only the rewrites that changed.
- Where the rewrite fails, the original is built a second time: when that
  fails too, the build is flaky (a package script that fails now and then in a
  chroot) and the file counts as "original failed".
- Where the rewrite's final filesystem differs outside the caches, the
  original is built a second time, and paths that differ between its own two
  builds (build-time randomness: font-cache ids, .pyc files, keystores) are
  not held against the rewrite.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import posixpath
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
REALBUILD = REPO.parent / "shared" / "tools" / "realbuild.py"
BUILD_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dlayerlint-fixcorpus"
sys.path.insert(0, str(REPO))

# pylint: disable=wrong-import-position
from dlayerlint.config import Config, Switch  # noqa: E402
from dlayerlint.dockerfile.parser import parse  # noqa: E402
from dlayerlint.lint import lint  # noqa: E402
from dlayerlint.fixes.plan import fix_text  # noqa: E402
from dlayerlint.app.inputs import UsageError, read_dockerfile  # noqa: E402
from dlayerlint.simulate.context.build import BuildContext  # noqa: E402
from dlayerlint.simulate.context.discover import context_sources  # noqa: E402
from dlayerlint.simulate.knowledge import knowledge  # noqa: E402
from dlayerlint.app.verify import RUNTIME_MOUNTS, Image, differences, measure  # noqa: E402

# realbuild.py makes busybox and debian:bookworm; benchmarks/bases.py makes the Ubuntu releases
BUILDABLE_BASE = re.compile(r"(docker\.io/)?(library/)?(busybox(:latest)?|debian:(bullseye|11|bookworm|12|trixie|13)(-slim)?"
                            r"|ubuntu(:(16\.04|18\.04|20\.04|22\.04|24\.04|xenial|bionic|focal|jammy|noble|latest))?)\Z")
REALBUILD_VOLUMES = frozenset({"/etc/pip.conf", "/etc/realbuild-ca.crt"})   # its -v mount points
BUILD_TIMEOUT = 900
# an image the model predicts this big (texlive-full, CUDA) takes longer to build here than the
# timeout allows; such files are counted and left out of the sample
TOO_BIG = 1 << 30
DEFAULTED = re.compile(r"\$\{[A-Za-z_]\w*:-([^${}]*)\}")   # an innermost ${NAME:-default}
OTHER_DEBIAN = re.compile(r"(?im)^(\s*FROM\s+(?:--platform=\S+\s+)?)(?:docker\.io/)?(?:library/)?"
                          r"debian(?!:(?:bullseye|11|trixie|13)(?:-slim)?(?=\s|$))(?::[\w.-]+)?(?=\s|$)")
GLOB = re.compile(r"[*?]|\[[^]]*\]")
RECOMMENDS_OFF = Config(switches=(Switch("DLL110", False, "fix_corpus: changes the image by design"),))


@dataclass
class Candidate:
    path: Path
    text: str
    rewritten: str
    context: Path       # the stand-in build context, shared by both builds


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("MANIFEST.tsv", "README.md"))


def buildable(analysis) -> bool:
    stages = analysis.dockerfile.stages
    names = {stage.name for stage in stages if stage.name}
    return bool(stages) and all(BUILDABLE_BASE.match(s.base) or s.base.lower() in names for s in stages)


def as_bookworm(text: str) -> str:
    return OTHER_DEBIAN.sub(r"\1debian:bookworm", text)


def stand_in_context(text: str, folder: Path) -> Path | None:
    """A build context holding every COPY/ADD source the file names, empty; None when a
    source cannot be made (it leaves the context, or names a variable)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        sources = context_sources(parse(text))
    except ValueError:
        return None
    for source in sources:
        relative = GLOB.sub("x", source).lstrip("/")
        parts = [part for part in relative.split("/") if part not in ("", ".")]
        if "$" in relative or ".." in parts:
            return None
        target = folder.joinpath(*parts) if parts else folder / "stand-in"
        if relative.endswith("/") or not parts:
            target = target / "stand-in" if parts else target
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.parent.is_file():
            return None
        target.touch()
        if target.suffix == ".sh":
            target.chmod(0o755)
    return folder


def survey(files: list[Path], substitute: bool, config: Config, scratch: Path) -> tuple[dict, list[Candidate]]:
    counts: Counter = Counter()
    reasons: Counter = Counter()
    candidates = []
    for number, path in enumerate(files):
        try:
            text = read_dockerfile(path)
            text = as_bookworm(text) if substitute else text
            context_root = stand_in_context(text, scratch / str(number))
            context = BuildContext(context_root) if context_root else None
            analysis = lint(text, config, context)
        except (UsageError, RecursionError, ValueError, OSError):
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
        if context_root and any(not f.manual for f in fixes) and buildable(analysis):
            if sum(layer.added.bytes for layer in analysis.layers) > TOO_BIG:
                counts["buildable, but predicted over 1 GiB: not built"] += 1
                continue
            rewritten = fix_text(text, lambda t, c=context: lint(t, config, c), unsafe=True).text
            if rewritten != text:
                candidates.append(Candidate(path, text, rewritten, context_root))
    counts["buildable files with a rewrite"] = len(candidates)
    return {"counts": dict(counts), "top_no_fix_reasons": reasons.most_common(12)}, candidates


def _context_stamp(context: Path) -> str:
    return "\n".join(f"{p.relative_to(context)} {p.stat().st_mode:o}" for p in sorted(context.rglob("*")))


def build(text: str, context: Path, attempt: int = 1) -> tuple[dict, Image] | str:
    """The realbuild JSON and the measured image, or why the build failed; from the cache
    when this text and context were built before (the `attempt`th time)."""
    salt = f"\0{attempt}" if attempt > 1 else ""
    key = hashlib.sha256(f"{text}\0{_context_stamp(context)}{salt}".encode()).hexdigest()
    cached = BUILD_CACHE / f"{key}.json"
    if cached.is_file():
        kept = json.loads(cached.read_text(encoding="utf-8"))
        return kept["error"] if "error" in kept else (kept["result"], Image(**kept["image"]))
    outcome = _build(text, context)
    if outcome == "timeout":    # the machine's load, not the file's: try again next run
        return outcome
    kept = {"error": outcome} if isinstance(outcome, str) else \
        {"result": outcome[0], "image": {"layer_bytes": outcome[1].layer_bytes, "stranded": outcome[1].stranded,
                                         "files": outcome[1].files}}
    BUILD_CACHE.mkdir(parents=True, exist_ok=True)
    temporary = cached.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(kept), encoding="utf-8")
    os.replace(temporary, cached)
    return outcome


def _build(text: str, context: Path) -> tuple[dict, Image] | str:
    with tempfile.TemporaryDirectory() as tmp:
        dockerfile, archive = Path(tmp) / "Dockerfile", Path(tmp) / "image.tar"
        dockerfile.write_text(text, encoding="utf-8")
        # a session of its own, so a timeout stops buildah and the RUN steps too, not only realbuild.py
        with subprocess.Popen([sys.executable, str(REALBUILD), str(dockerfile), str(context), "--archive",
                               str(archive)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True) as process:
            try:
                stdout, stderr = process.communicate(timeout=BUILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                return "timeout"
        done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
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


def _unstable(path: str, unstable: list[str]) -> bool:
    """Whether `path` is in a folder whose files differ between two builds of the original
    (fontconfig names its caches by random ids, so the names differ too), or is byte-compiled
    Python when some .pyc did (which ones come out different varies from build to build)."""
    folders = {posixpath.dirname(other) for other in unstable}
    return posixpath.dirname(path) in folders or (path.endswith(".pyc") and any(p.endswith(".pyc") for p in unstable))


def prove(candidate: Candidate) -> dict:
    """Build the original, and if it builds the rewrite; compare them."""
    row: dict = {"file": str(candidate.path.relative_to(CORPUS))}
    started = time.monotonic()
    before = build(candidate.text, candidate.context)
    after = build(candidate.rewritten, candidate.context) if not isinstance(before, str) else "not built"
    row["seconds"] = round(time.monotonic() - started)
    if isinstance(after, str) and not isinstance(before, str) \
            and isinstance(build(candidate.text, candidate.context, attempt=2), str):
        # the original fails too when built again (a package's postinst that fails now and then
        # under chroot isolation): the file says nothing of the rewrite either way
        before = f"flaky: built once, then {after}"
    if isinstance(before, str) or isinstance(after, str):
        # which build failed matters: an original that fails here says nothing of the rewrite
        row["failed"] = "original" if isinstance(before, str) else "rewrite"
        row["error"] = before if isinstance(before, str) else after
        return row
    changed = differences(before[1], after[1])
    outside = [path for path in changed if not path.startswith(CACHE_DIRS)]
    if outside:
        # what differs between two builds of the original itself (a font cache's random
        # .uuid, .pyc files, a Java keystore's dates) says nothing of the rewrite
        again = build(candidate.text, candidate.context, attempt=2)
        unstable = differences(before[1], again[1]) if not isinstance(again, str) else []
        row["unstable_paths"] = len(unstable)
        outside = [path for path in outside if not _unstable(path, unstable)]
    row.update(stranded_before=before[0]["stranded_bytes_above_base"],
               stranded_after=after[0]["stranded_bytes_above_base"],
               bytes_saved=before[1].total - after[1].total,
               changed_paths=len(changed), changed_outside_caches=outside[:10],
               same_apart_from_caches=not outside)
    return row


def build_sample(candidates: list[Candidate], limit: int, jobs: int) -> list[dict]:
    chosen = sorted(candidates, key=lambda c: (len(c.text), str(c.path)))[:limit]
    rows = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for row in pool.map(prove, chosen):
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    return rows


def summary(rows: list[dict]) -> dict:
    """The proof table: over the files whose original builds."""
    built = [row for row in rows if row.get("failed") != "original"]
    good = [row for row in built if "failed" not in row]
    return {"attempted": len(rows), "originals built": len(built), "rewrites built": len(good),
            "rewrites built %": round(100 * len(good) / len(built), 2) if built else None,
            "same filesystem apart from caches": sum(row["same_apart_from_caches"] for row in good),
            "bytes saved": sum(row["bytes_saved"] for row in good),
            "stranded before": sum(row["stranded_before"] for row in good),
            "stranded after": sum(row["stranded_after"] for row in good),
            "rewrite failures": [(row["file"], row["error"]) for row in built if "failed" in row]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--build", type=int, default=8, metavar="N", help="build at most N files (0: none)")
    parser.add_argument("--as-bookworm", action="store_true", help="read other Debian releases as debian:bookworm")
    parser.add_argument("--jobs", type=int, default=2, metavar="J", help="files built at once")
    parser.add_argument("--keep-recommends-fix", action="store_true", help="apply DLL110's fix too")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"{CORPUS} is absent", file=sys.stderr)
        return 2
    config = Config() if args.keep_recommends_fix else RECOMMENDS_OFF
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        report, candidates = survey(corpus_files(), args.as_bookworm, config, Path(scratch))
        report["lint_seconds"] = round(time.monotonic() - started)
        rows = build_sample(candidates, args.build, args.jobs) if args.build and REALBUILD.is_file() else []
    report["proof"] = summary(rows)
    report["built"] = rows
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
