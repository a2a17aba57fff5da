"""The engine's apt predictions (`dlayerlint.lint.analyze`) against real builds (tests/accuracy_apt/truth.json).

usage: python3 benchmarks/apt_engine.py [--json]

benchmarks/apt_accuracy.py checks the package module alone, reading the cases' RUN lines with
shlex; this one lints each case's Dockerfile as `dlayerlint check --layers` does, so it also
checks the wiring: the shell model, the base image's package set, Install-Recommends, the
purge and autoremove strands and the databases each later apt layer copies up.  Per apt layer
it prints the bytes the layer adds, per case the bytes stranded above the base.
Target: within +-25% of the real build (a real 0 needs a predicted 0).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlayerlint.lint import analyze  # noqa: E402  pylint: disable=wrong-import-position

CASES = ROOT / "tests" / "accuracy_apt"
TARGET = 0.25
APT_WORDS = ("apt-get install", "apt-get purge", "apt-get remove", "apt-get autoremove")


def rows(truth: dict):
    """(case, what, predicted, real, confidence) per apt layer and per case's stranded total."""
    for case, real in sorted(truth["cases"].items()):
        analysis = analyze((CASES / case / "Dockerfile").read_text())
        # truth's layer 0 is the base image; the Dockerfile's layers follow it
        for number, report in enumerate(analysis.layers, start=1):
            if any(word in report.layer.instruction.arguments for word in APT_WORDS):
                yield (case, f"line {report.layer.instruction.line} added", report.added.bytes,
                       real["layers"][number]["file_bytes"], report.added.confidence.label)
        stranded = analysis.stranded
        yield case, "stranded above base", stranded.bytes, real["stranded_bytes_above_base"], stranded.confidence.label


def within(predicted: int, real: int) -> bool:
    return predicted == real if real == 0 else abs(predicted - real) <= TARGET * real


def main() -> int:
    truth = json.loads((CASES / "truth.json").read_text())
    table = list(rows(truth))
    if "--json" in sys.argv:
        print(json.dumps([dict(zip(("case", "what", "predicted", "real", "confidence"), r)) for r in table], indent=1))
        return 0
    print(f"{'case':24} {'what':22} {'predicted':>12} {'real':>12} {'ratio':>6}  confidence  in ±25%")
    for case, what, predicted, real, confidence in table:
        ratio = f"{predicted / real:.2f}" if real else "-"
        print(f"{case:24} {what:22} {predicted:>12} {real:>12} {ratio:>6}  {confidence:10}  "
              f"{'yes' if within(predicted, real) else 'NO'}")
    inside = sum(within(r[2], r[3]) for r in table)
    print(f"{inside}/{len(table)} within ±25% (truth: {truth['tool']}, {truth['date']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
