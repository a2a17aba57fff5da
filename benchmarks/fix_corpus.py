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

usage: python benchmarks/fix_corpus.py [--build N] [--as-bookworm] [--stand-ins] [--jobs J]
                                       [--keep-recommends-fix] [--json OUT]

- Each file is linted with a stand-in build context: every COPY/ADD source it
  names, made empty (a folder where the source ends in `/`; `*.sh` files
  executable; `*.json` files hold `{}`, so `npm install` reads a package.json). A step that needs real content then fails in the original
  build, and the file is left out of the proof as "original failed".
- DLL110's fix (drop recommended packages) is left out unless
  --keep-recommends-fix: it changes what the image holds by design, so it
  cannot be proven by "same final filesystem".
- With --as-bookworm, a FROM of any Debian release but bullseye and trixie is read as
  debian:bookworm before linting, fixing and
  building; both builds use the same base, so the comparison stays fair, but
  packages that bookworm lacks make some originals fail.
- With --stand-ins, files FROM python:TAG or node:TAG are built too, on a stand-in
  made from Debian bookworm's packages (benchmarks/stand_ins.py says what it holds
  and which tags get none); the table counts them apart from files on real bases.
- The bases a chosen file needs are made first (bases.py, stand_ins.py); a file
  whose base cannot be made counts as "original failed".
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
sys.path.insert(0, str(REPO / "benchmarks"))

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
import bases  # noqa: E402
import stand_ins  # noqa: E402

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
    bases: frozenset[str]   # the images its stages start from (not its own stages)


def stand_in(base: str) -> bool:
    """Whether `base` is a python/node image that stand_ins.py makes a stand-in for."""
    try:
        stand_ins.parse(base)
    except bases.BaseError:
        return False
    return True


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("MANIFEST.tsv", "README.md"))


def external_bases(analysis) -> frozenset[str]:
    names = {stage.name for stage in analysis.dockerfile.stages if stage.name}
    return frozenset(s.base for s in analysis.dockerfile.stages if s.base.lower() not in names)


def buildable(analysis, stand_ins_too: bool) -> bool:
    found = external_bases(analysis)
    return bool(found) and all(BUILDABLE_BASE.match(base) or stand_ins_too and stand_in(base) for base in found)


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
        target.write_text("{}\n" if target.suffix == ".json" else "", encoding="utf-8")
        if target.suffix == ".sh":
            target.chmod(0o755)
    return folder


def survey(files: list[Path], substitute: bool, stand_ins_too: bool, config: Config,
           scratch: Path) -> tuple[dict, list[Candidate]]:
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
        if context_root and any(not f.manual for f in fixes) and buildable(analysis, stand_ins_too):
            if sum(layer.added.bytes for layer in analysis.layers) > TOO_BIG:
                counts["buildable, but predicted over 1 GiB: not built"] += 1
                continue
            rewritten = fix_text(text, lambda t, c=context: lint(t, config, c), unsafe=True).text
            if rewritten != text:
                candidates.append(Candidate(path, text, rewritten, context_root, external_bases(analysis)))
    counts["buildable files with a rewrite"] = len(candidates)
    return {"counts": dict(counts), "top_no_fix_reasons": reasons.most_common(12)}, candidates


def _context_stamp(context: Path) -> str:
    """Names, modes, and the content of files that have any (empty ones keep older stamps valid)."""
    return "\n".join(f"{p.relative_to(context)} {p.stat().st_mode:o}"
                     + (f" {hashlib.sha256(p.read_bytes()).hexdigest()}" if p.is_file() and p.stat().st_size else "")
                     for p in sorted(context.rglob("*")))


def build(text: str, context: Path, attempt: int = 1, base_stamp: str = "") -> tuple[dict, Image] | str:
    """The realbuild JSON and the measured image, or why the build failed; from the cache
    when this text and context were built before (the `attempt`th time) on the same stand-ins."""
    salt = (f"\0{attempt}" if attempt > 1 else "") + (f"\0{base_stamp}" if base_stamp else "")
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


def _cache_or_above(path: str) -> bool:
    """A path in a cache folder, the folder itself, or a folder above one (/root/.cache)."""
    return (path + "/").startswith(CACHE_DIRS) or any(cache.startswith(path + "/") for cache in CACHE_DIRS)


def in_caches(path: str, before: Image, after: Image) -> bool:
    """Whether a path that differs is the documented removal: inside a cache folder, or a folder
    above one that the rewrite no longer has and that held nothing but caches (pip's
    /root/.cache/pip made /root/.cache; with --no-cache-dir neither exists)."""
    if (path + "/").startswith(CACHE_DIRS):
        return True
    if not _cache_or_above(path) or path in after.files:
        return False
    return all(_cache_or_above(inner) for inner in before.files if inner.startswith(path + "/"))


def _unstable(path: str, unstable: list[str]) -> bool:
    """Whether `path` is in a folder whose files differ between two builds of the original
    (fontconfig names its caches by random ids, so the names differ too), or is byte-compiled
    Python when some .pyc did (which ones come out different varies from build to build)."""
    folders = {posixpath.dirname(other) for other in unstable}
    return posixpath.dirname(path) in folders or (path.endswith(".pyc") and any(p.endswith(".pyc") for p in unstable))


def make_base(base: str) -> str | None:
    """Make one base a file starts from unless it is present; None, or why it could not be made."""
    plain = re.sub(r"^(docker\.io/)?(library/)?", "", base.lower())
    try:
        if stand_in(base):
            stand_ins.ensure(base)
        elif plain in ("ubuntu", "ubuntu:latest"):
            bases.ensure(f"ubuntu:{bases.LATEST_UBUNTU}")
        elif bases.NAME.match(plain) and not re.match(r"debian:(bookworm|12)(-slim)?\Z", plain):
            bases.ensure(plain)      # busybox and bookworm are realbuild.py's own
    except (bases.BaseError, OSError, subprocess.SubprocessError) as error:
        return f"base {base} not made: {str(error).splitlines()[0]}"
    return None


def make_bases(chosen: list[Candidate]) -> dict[str, str]:
    """Every base the chosen files need, made once; the ones that failed, with why."""
    failed = {}
    for base in sorted({base for candidate in chosen for base in candidate.bases}):
        if (error := make_base(base)) is not None:
            print(error, file=sys.stderr, flush=True)
            failed[base] = error
    return failed


def prove(candidate: Candidate, unmade: dict[str, str]) -> dict:
    """Build the original, and if it builds the rewrite; compare them."""
    row: dict = {"file": str(candidate.path.relative_to(CORPUS)),
                 "stand_in": any(stand_in(base) for base in candidate.bases)}
    if missing := [unmade[base] for base in candidate.bases if base in unmade]:
        return row | {"failed": "original", "error": missing[0]}
    started = time.monotonic()
    stamp = "".join(stand_ins.stamp(base) for base in sorted(candidate.bases) if stand_in(base))

    def built(text: str, attempt: int = 1) -> tuple[dict, Image] | str:
        return build(text, candidate.context, attempt, stamp)

    before = built(candidate.text)
    after = built(candidate.rewritten) if not isinstance(before, str) else "not built"
    row["seconds"] = round(time.monotonic() - started)
    if isinstance(after, str) and not isinstance(before, str) \
            and isinstance(built(candidate.text, attempt=2), str):
        # the original fails too when built again (a package's postinst that fails now and then
        # under chroot isolation): the file says nothing of the rewrite either way
        before = f"flaky: built once, then {after}"
    if isinstance(before, str) or isinstance(after, str):
        # which build failed matters: an original that fails here says nothing of the rewrite
        row["failed"] = "original" if isinstance(before, str) else "rewrite"
        row["error"] = before if isinstance(before, str) else after
        return row
    changed = differences(before[1], after[1])
    outside = [path for path in changed if not in_caches(path, before[1], after[1])]
    if outside:
        # what differs between two builds of the original itself (a font cache's random
        # .uuid, .pyc files, a Java keystore's dates) says nothing of the rewrite
        again = built(candidate.text, attempt=2)
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
    unmade = make_bases(chosen)
    rows = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for row in pool.map(lambda candidate: prove(candidate, unmade), chosen):
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    return rows


def summary(rows: list[dict]) -> dict:
    """The proof table: over the files whose original builds, all of them, then those on real
    bases and those on stand-ins apart."""
    table = tally(rows)
    table["on real bases"] = tally([row for row in rows if not row.get("stand_in")], brief=True)
    table["on stand-in bases"] = tally([row for row in rows if row.get("stand_in")], brief=True)
    return table


def tally(rows: list[dict], brief: bool = False) -> dict:
    built = [row for row in rows if row.get("failed") != "original"]
    good = [row for row in built if "failed" not in row]
    return {"attempted": len(rows), "originals built": len(built), "rewrites built": len(good),
            "rewrites built %": round(100 * len(good) / len(built), 2) if built else None,
            "same filesystem apart from caches": sum(row["same_apart_from_caches"] for row in good),
            "bytes saved": sum(row["bytes_saved"] for row in good),
            "stranded before": sum(row["stranded_before"] for row in good),
            "stranded after": sum(row["stranded_after"] for row in good),
            **({} if brief else {
                "rewrite failures": [(row["file"], row["error"]) for row in built if "failed" in row],
                "why originals failed": Counter(re.sub(r"\d+|'[^']*'|\S+/\S+", "_", row["error"])[:80]
                                                for row in rows if row.get("failed") == "original").most_common(10)})}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--build", type=int, default=8, metavar="N", help="build at most N files (0: none)")
    parser.add_argument("--as-bookworm", action="store_true", help="read other Debian releases as debian:bookworm")
    parser.add_argument("--stand-ins", action="store_true",
                        help="build files FROM python:TAG or node:TAG on stand_ins.py's stand-ins")
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
        report, candidates = survey(corpus_files(), args.as_bookworm, args.stand_ins, config, Path(scratch))
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
