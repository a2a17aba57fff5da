"""Lint every Dockerfile of ../shared/corpus in one process and report:
tracebacks (must be 0), files with parse errors, files with findings per
rule, and (with --official) every cross-layer finding in the official
images, for a precision review.

usage: python benchmarks/corpus_findings.py [--official] [--json OUT]
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
sys.path.insert(0, str(REPO))

from dlayerlint.lint import analyze  # noqa: E402  pylint: disable=wrong-import-position
from dlayerlint.app.inputs import UsageError, read_dockerfile as _read  # noqa: E402  pylint: disable=wrong-import-position

OFFICIAL = "official"


def manifest() -> list[dict[str, str]]:
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


def lint(path: Path) -> tuple[str, object]:
    """('ok', analysis) | ('unreadable', message) | ('traceback', text)."""
    try:
        text = _read(path)
    except UsageError as error:
        return "unreadable", str(error)
    try:
        # no build context: corpus files are lone Dockerfiles
        return "ok", analyze(text)
    except Exception:  # pylint: disable=broad-exception-caught  # counting crashes is the point
        return "traceback", traceback.format_exc()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--official", action="store_true", help="list every finding in official images")
    parser.add_argument("--json", metavar="OUT")
    options = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}")
        return 2
    rows = manifest()
    per_rule: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    official: list[str] = []
    crashes: list[str] = []
    started = time.perf_counter()
    for row in rows:
        path = CORPUS / row["local_file"]
        outcome, result = lint(path)
        if outcome == "ok" and result.errors:  # type: ignore[attr-defined]
            outcome = "parse errors"
        outcomes[outcome] += 1
        if outcome == "traceback":
            crashes.append(f"{row['local_file']}\n{result}")
            continue
        if outcome == "unreadable":
            continue
        findings = result.findings  # type: ignore[attr-defined]
        if findings:
            outcomes["with findings"] += 1
        for rule in sorted({f.rule.id for f in findings}):
            per_rule[rule] += 1
        if row["category"] == OFFICIAL:
            official += [f"{row['local_file']}:{f.span.start.line}: {f.rule.id} {f.message}"
                         for f in findings if f.rule.id != "DLL105"]
    elapsed = time.perf_counter() - started
    print(f"{len(rows)} files in {elapsed:.1f} s ({1000 * elapsed / len(rows):.2f} ms/file)")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {outcome:<14} {count}")
    print("files with findings, per rule:")
    for rule, count in sorted(per_rule.items()):
        print(f"  {rule} {count}")
    print(f"cross-layer findings in official images: {len(official)}")
    if options.official:
        for line in official:
            print("  " + line)
    for crash in crashes[:5]:
        print(crash)
    if options.json:
        Path(options.json).write_text(json.dumps({"outcomes": outcomes, "per_rule": per_rule,
                                                  "official": official}, indent=1))
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
