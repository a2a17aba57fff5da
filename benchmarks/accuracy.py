#!/usr/bin/env python3
"""Accuracy of dlayerlint's stranded-byte estimates against real builds.

Every case under tests/accuracy/<case>/ (a Dockerfile, its context and a case.yaml) is
built with ../shared/tools/realbuild.py (buildah, overlay storage) and compared with
`dlayerlint check --format json`.

usage:
  python benchmarks/accuracy.py                  build every case, compare, print a table
  python benchmarks/accuracy.py --cached         compare against tests/accuracy/truth.json
  python benchmarks/accuracy.py --record         build every case and rewrite truth.json
  python benchmarks/accuracy.py --case classic --case multistage ...

Exits 1 when a case is out of tolerance (or dlayerlint fails on it), 2 on a usage or
build error. tests/test_accuracy.py loads this file for its loading and comparison code,
so the benchmark and the tests judge a case the same way.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from dlayerlint.app.verify import measure

REPO = Path(__file__).resolve().parents[1]
CASES_DIR = REPO / "tests" / "accuracy"
TRUTH_FILE = CASES_DIR / "truth.json"
SHARED = Path(__file__).resolve().parents[2] / "shared"
REALBUILD = SHARED / "tools" / "realbuild.py"

# generous: a busybox case takes ~30 s cold; a debian case may first debootstrap the base
BUILD_TIMEOUT = {"busybox": 900, "debian": 2700}
LINT_TIMEOUT = 120
# exact: bytes within 1%; cache: a knowledge-base size within 25%; unseen: linted with no build
# context (the usual case for a Dockerfile opened alone), so the findings (expect_rules) must be
# there and the bytes must say unknown, never a number the build contradicts
KINDS = ("exact", "cache", "unseen")


# ---------------------------------------------------------------- cases

def case_names() -> list[str]:
    return sorted(p.parent.name for p in CASES_DIR.glob("*/case.yaml"))


def load_case(name: str) -> dict:
    directory = CASES_DIR / name
    spec = yaml.safe_load((directory / "case.yaml").read_text(encoding="utf-8")) or {}
    for key in ("description", "tolerance", "kind"):
        if key not in spec:
            raise ValueError(f"{name}/case.yaml: missing {key!r}")
    if spec["kind"] not in KINDS:
        raise ValueError(f"{name}/case.yaml: kind must be one of {', '.join(KINDS)}")
    spec["name"] = name
    spec["dir"] = directory
    spec["dockerfile"] = directory / "Dockerfile"
    spec["tolerance"] = float(spec["tolerance"])
    spec["build_args"] = {str(k): str(v) for k, v in (spec.get("build_args") or {}).items()}
    text = spec["dockerfile"].read_text(encoding="utf-8")
    spec["base"] = "debian" if re.search(r"(?im)^\s*FROM\s+(\S+/)?debian", text) else "busybox"
    return spec


def load_truth() -> dict:
    return json.loads(TRUTH_FILE.read_text(encoding="utf-8")) if TRUTH_FILE.exists() else {}


# ---------------------------------------------------------------- real builds

def realbuild_missing() -> str | None:
    """Why real builds cannot run here, or None."""
    if not REALBUILD.is_file():
        return f"{REALBUILD} is absent (a clone outside the workplace has no ../shared)"
    if os.geteuid() != 0:
        return "real builds need root (buildah with overlay storage)"
    if shutil.which("buildah") is None:
        return "buildah is not installed (apt-get install buildah)"
    return None


def realbuild_missing_for(case: dict) -> str | None:
    why = realbuild_missing()
    if why:
        return why
    if case["base"] == "busybox" and not os.path.exists("/bin/busybox"):
        return "the busybox base image is made from /bin/busybox (apt-get install busybox-static)"
    if case["base"] == "debian" and shutil.which("debootstrap") is None:
        return "the debian base image is made with debootstrap (apt-get install debootstrap)"
    return None


def build_dockerfile(case: dict, tmp: Path, nonce: str | None) -> Path:
    """The Dockerfile that realbuild.py builds: the case's own, with
    - each ARG named in build_args given that value as its default (realbuild.py takes no
      --build-arg; this builds the same image), and
    - with a nonce, `LABEL dlayerlint.accuracy.nonce=...` after each FROM, so buildah's
      layer cache (realbuild.py builds with --layers) cannot answer and every step really
      runs again. A LABEL changes only the config: it adds no layer."""
    path = case["dockerfile"]
    if not case["build_args"] and not nonce:
        return path
    out = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        m = re.match(r"(\s*ARG\s+)([A-Za-z_][A-Za-z0-9_]*)(=\S*)?(\s*)$", line, re.I)
        if m and m.group(2) in case["build_args"]:
            value = case["build_args"][m.group(2)]
            line = f"{m.group(1)}{m.group(2)}={value}{m.group(4) or chr(10)}"
        out.append(line)
        if nonce and re.match(r"\s*FROM\s", line, re.I) and not line.rstrip().endswith("\\"):
            out.append(f"LABEL dlayerlint.accuracy.nonce={nonce}\n")
    target = tmp / "Dockerfile"
    target.write_text("".join(out), encoding="utf-8")
    return target


def realbuild(case: dict, fresh: bool = True) -> dict:
    """Build the case with realbuild.py; return its JSON plus build_seconds.
    fresh: bypass buildah's layer cache (see build_dockerfile). The result is checked
    against an independent reading of the image's layers (crosscheck)."""
    with tempfile.TemporaryDirectory() as tmp:
        nonce = f"{os.getpid()}-{time.time_ns()}" if fresh else None
        dockerfile = build_dockerfile(case, Path(tmp), nonce)
        archive = Path(tmp) / "image.tar"
        start = time.monotonic()
        r = subprocess.run([sys.executable, str(REALBUILD), str(dockerfile), str(case["dir"]),
                            "--archive", str(archive)],
                           capture_output=True, text=True, check=False,
                           timeout=BUILD_TIMEOUT[case["base"]])
        seconds = time.monotonic() - start
        try:
            result = json.loads(r.stdout)
        except json.JSONDecodeError:
            raise RuntimeError(f"realbuild.py failed on {case['name']} (exit {r.returncode}):\n"
                               f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}") from None
        if r.returncode or "error" in result:
            raise RuntimeError(f"realbuild.py failed on {case['name']}: {result.get('error')}\n"
                               f"{result.get('log', r.stderr)[-3000:]}")
        own = crosscheck(archive)
    if own != [l["stranded_bytes"] for l in result["layers"]]:
        raise RuntimeError(
            f"{case['name']}: realbuild.py says stranded per layer "
            f"{[l['stranded_bytes'] for l in result['layers']]}, a direct reading of the layers "
            f"says {own}. (realbuild.py's path normalisation, lstrip('./'), turns a whiteout at "
            "the filesystem root such as '.wh.build' into '/wh.build', so deleting a top-level "
            "path is not seen; keep case paths below a directory until it is fixed.)")
    result["build_seconds"] = round(seconds, 1)
    return result


def crosscheck(archive: Path) -> list[int]:
    """Stranded bytes per layer, read from a docker-archive independently of realbuild.py
    (by `dlayerlint verify`'s reader): same definition, regular-file bytes in a layer minus
    those the final filesystem shows, whiteouts and opaque directories handled separately."""
    return measure(archive).stranded


def buildah_version() -> str:
    try:
        out = subprocess.run(["buildah", "--version"], capture_output=True, text=True,
                             check=False).stdout
    except OSError:
        return "unknown"
    m = re.search(r"version\s+(\S+)", out)
    return m.group(1) if m else out.strip()


def truth_record(result: dict) -> dict:
    above = result["layers"][1:]
    return {
        "stranded_bytes_above_base": result["stranded_bytes_above_base"],
        "layers_stranded": [l["stranded_bytes"] for l in above],
        "layers_file_bytes": [l["file_bytes"] for l in above],
        "layers_created_by": [l["created_by"][:160] for l in above],
        "final_fs_digest": result["final_fs_digest"],
        "measured_with": f"realbuild.py, buildah {buildah_version()}",
        "date": datetime.date.today().isoformat(),
        "build_seconds": result.get("build_seconds"),
    }


def dump_truth(truth: dict) -> str:
    """truth.json text: one case per block, one key per line, lists on one line."""
    blocks = []
    for name in sorted(truth):
        keys = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in truth[name].items())
        blocks.append(f" {json.dumps(name)}: {{\n{keys}\n }}")
    return "{\n" + ",\n".join(blocks) + "\n}\n"


def truth_drift(case: dict, stored: dict, fresh: dict) -> tuple[list[str], list[str]]:
    """(problems, notes): how a fresh measurement differs from the stored truth.
    Only exact cases must reproduce; the final-fs digest also covers the base image
    (made from the host's busybox/debootstrap), so a changed digest is only a note."""
    problems, notes = [], []
    if case["kind"] != "exact":
        return problems, notes
    for key in ("stranded_bytes_above_base", "layers_stranded", "layers_file_bytes"):
        if stored.get(key) != fresh.get(key):
            problems.append(f"stored truth no longer holds: {key} was {stored.get(key)}, "
                            f"a fresh build gives {fresh.get(key)}")
    if stored.get("final_fs_digest") != fresh.get("final_fs_digest"):
        notes.append("final_fs_digest differs from truth.json (a different base image?)")
    return problems, notes


# ---------------------------------------------------------------- dlayerlint

def run_dlayerlint(case: dict) -> tuple[int, dict | None, str]:
    """(exit code, parsed JSON or None, stderr/stdout text for messages)."""
    context = case["dir"] if case["kind"] != "unseen" else Path(tempfile.mkdtemp(prefix="dlayerlint-unseen-"))
    cmd = [sys.executable, "-m", "dlayerlint", "check", "--format", "json", "--context", str(context)]
    for k, v in case["build_args"].items():
        cmd += ["--build-arg", f"{k}={v}"]
    cmd.append(str(case["dockerfile"]))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env,
                       timeout=LINT_TIMEOUT, check=False)
    try:
        data = json.loads(r.stdout)
    except json.JSONDecodeError:
        data = None
    return r.returncode, data, (r.stderr or r.stdout)[-2000:]


def within(estimate, truth: int, tolerance: float) -> bool:
    if estimate is None:
        return False
    if truth == 0:
        return estimate == 0
    return abs(estimate - truth) <= tolerance * truth


def rel_error(estimate, truth: int):
    if estimate is None:
        return None
    if truth == 0:
        return 0.0 if estimate == 0 else float("inf")
    return (estimate - truth) / truth


def _rules(findings) -> list:
    return [f.get("rule", f) if isinstance(f, dict) else f for f in (findings or [])][:5]


def compare_layers(layers: list, true_layers: list[int], tol: float) -> tuple[list[str], list[str]]:
    """(problems, notes) of per-layer stranded bytes, compared where the counts match."""
    if len(layers) != len(true_layers):
        return [], [f"layer count differs ({len(layers)} estimated, "
                    f"{len(true_layers)} built): per-layer check skipped"]
    problems = []
    for i, (layer, true) in enumerate(zip(layers, true_layers)):
        est = layer.get("stranded_bytes")
        if not within(est, true, tol):
            problems.append(f"layer {i + 1} (line {layer.get('line')}, {layer.get('instruction')}): "
                            f"stranded {est} vs true {true}")
    return problems, []


def compare(case: dict, truth: dict, code: int, data: dict | None, text: str = "") -> dict:
    """Judge one dlayerlint run against one truth. Returns a row:
    {case, kind, true, estimated, error, ok, problems, notes}."""
    row = {"case": case["name"], "kind": case["kind"], "true": truth["stranded_bytes_above_base"],
           "estimated": None, "error": None, "ok": False, "problems": [], "notes": []}
    problems, notes = row["problems"], row["notes"]
    if code not in (0, 1) or data is None:
        problems.append(f"dlayerlint check failed (exit {code}): {text.strip()[-800:]}")
        return row
    try:
        (entry,) = data["files"]
        layers = entry["layers"]
        estimate = entry["stranded_bytes"]
    except (KeyError, TypeError, ValueError) as e:
        problems.append(f"unexpected JSON shape ({e!r}): {json.dumps(data)[:500]}")
        return row
    tol = case["tolerance"]
    row["estimated"], row["error"] = estimate, rel_error(estimate, row["true"])
    if case["kind"] == "unseen":
        problems += _unseen_problems(case, entry, row["true"])
        row["ok"] = not problems
        return row
    if estimate is None:
        problems.append("no estimate (stranded_bytes is null)")
    elif not within(estimate, row["true"], tol):
        problems.append(f"stranded_bytes {estimate} vs true {row['true']} "
                        f"(error {row['error']:+.1%}, tolerance {tol:.0%})")
    if "expect_exit" in case and code != case["expect_exit"]:
        problems.append(f"exit code {code}, expected {case['expect_exit']} "
                        f"(findings: {_rules(entry.get('findings'))})")
    if case["kind"] == "exact":
        layer_problems, layer_notes = compare_layers(layers, truth["layers_stranded"], tol)
        problems += layer_problems
        notes += layer_notes
    row["ok"] = not problems
    return row


def _unseen_problems(case: dict, entry: dict, true: int) -> list[str]:
    """A case linted with no context: its rules fire, and what they cannot count says unknown
    (a lower bound at most the real bytes), never a wrong exact number."""
    problems = []
    fired = {f["rule"] for f in entry.get("findings", [])}
    missing = sorted(set(case.get("expect_rules", [])) - fired)
    if missing:
        problems.append(f"expected findings missing: {missing} (found {sorted(fired)})")
    if entry.get("stranded_confidence") != "unknown":
        problems.append(f"stranded_confidence {entry.get('stranded_confidence')!r}, expected 'unknown'")
    estimate = entry.get("stranded_bytes")
    if estimate is not None and estimate > true:
        problems.append(f"lower bound {estimate} exceeds the real {true}")
    return problems


# ---------------------------------------------------------------- main

def _fmt(n) -> str:
    return "-" if n is None else f"{n:,}"


def _fmt_err(e) -> str:
    if e is None:
        return "-"
    return "inf" if e == float("inf") else f"{e:+.2%}"


def print_table(rows: list[dict], out=sys.stdout) -> None:
    head = ["case", "kind", "true stranded", "estimated", "error %", "within tolerance"]
    body = [[r["case"], r["kind"], _fmt(r["true"]), _fmt(r["estimated"]), _fmt_err(r["error"]),
             "yes" if r["ok"] else "no"] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    right = {2, 3, 4}
    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(head).rstrip(), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for cells in body:
        print(line(cells).rstrip(), file=out)
    for r in rows:
        for p in r["problems"]:
            print(f"  {r['case']}: {p}", file=out)
        for n in r["notes"]:
            print(f"  {r['case']}: note: {n}", file=out)
    ok = sum(r["ok"] for r in rows)
    errs = [abs(r["error"]) for r in rows if r["error"] not in (None, float("inf"))]
    mean = f"{sum(errs) / len(errs):.2%}" if errs else "-"
    print(f"\n{ok}/{len(rows)} cases within tolerance; "
          f"mean |error| {mean} over {len(errs)} estimated cases", file=out)


def _parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--cached", action="store_true",
                    help="use tests/accuracy/truth.json instead of building")
    ap.add_argument("--record", action="store_true",
                    help="build and write the measurements to truth.json")
    ap.add_argument("--case", action="append", default=[], help="only this case (repeatable)")
    ap.add_argument("--no-lint", action="store_true",
                    help="only measure (with --record: refresh truth.json); do not run dlayerlint")
    ap.add_argument("--reuse-cache", action="store_true",
                    help="let buildah reuse cached layers (faster; not a fresh measurement)")
    ap.add_argument("--json", metavar="OUT", help="also write the rows as JSON")
    args = ap.parse_args(argv)
    if args.cached and args.record:
        ap.error("--cached and --record exclude each other")
    args.case = args.case or case_names()
    unknown = set(args.case) - set(case_names())
    if unknown:
        ap.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    return args


def _measure(case: dict, reuse_cache: bool) -> dict:
    print(f"building {case['name']} ...", file=sys.stderr, flush=True)
    t = truth_record(realbuild(case, fresh=not reuse_cache))
    print(f"  {case['name']}: stranded {t['stranded_bytes_above_base']:,} B "
          f"in {t['build_seconds']} s", file=sys.stderr, flush=True)
    return t


def main(argv=None) -> int:
    args = _parse_args(argv)
    truth = load_truth()
    why = None if args.cached else realbuild_missing()
    missing = [n for n in args.case if n not in truth] if args.cached else []
    if why or missing:
        print(f"cannot build: {why}; use --cached to compare against truth.json" if why
              else f"no stored truth in {TRUTH_FILE} for: {', '.join(missing)}", file=sys.stderr)
        return 2
    rows, fresh, started = [], {}, time.monotonic()
    for name in args.case:
        case, notes = load_case(name), []
        if args.cached:
            t = truth[name]
        else:
            try:
                t = fresh[name] = _measure(case, args.reuse_cache)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                print(str(e), file=sys.stderr)
                return 2
            if name in truth and not args.record:
                problems, notes = truth_drift(case, truth[name], t)
                notes = problems + notes
        if not args.no_lint:
            rows.append(compare(case, t, *run_dlayerlint(case)))
            rows[-1]["notes"] += notes
    if args.record:
        TRUTH_FILE.write_text(dump_truth({**truth, **fresh}), encoding="utf-8")
        print(f"wrote {TRUTH_FILE} ({len(fresh)} case(s) measured in "
              f"{time.monotonic() - started:.0f} s)", file=sys.stderr)
    if not rows:
        return 0
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
