"""Recall and precision per rule on the hand-labelled development set.

The set (benchmarks/devset/*.jsonl, made as GUIDE.md says: by reading each
file, never by running the tool) names files of ../shared/corpus/. Each file is
linted as users lint a lone Dockerfile: with no build context.

A finding matches a label of its file when the rule is the same, the finding
sits on the label's wasted instruction (for DLL105, on the filling one) and,
when the finding names where the path was made, one of those places is the
label's made line. Labels marked "certain": false never count as misses, and
a finding that matches one is not a false positive.

usage: python benchmarks/devset.py [--show-misses] [--show-false] [--rule DLLxxx]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
DEVSET = REPO / "benchmarks" / "devset"
sys.path.insert(0, str(REPO))

from dlayerlint.app.inputs import read_dockerfile  # noqa: E402  pylint: disable=wrong-import-position
from dlayerlint.lint import analyze  # noqa: E402  pylint: disable=wrong-import-position

CROSS_LAYER = ("DLL101", "DLL102", "DLL103", "DLL104", "DLL106", "DLL107", "DLL108")
SAME_LINE_RULES = ("DLL105",)   # no later layer: the finding sits on the layer that leaves the waste


@dataclass(frozen=True)
class Label:
    file: str
    rule: str
    made_line: int | None
    wasted_line: int | None
    certain: bool


@dataclass(frozen=True)
class Found:
    file: str
    rule: str
    line: int
    end_line: int
    made_lines: frozenset[int]
    message: str


def labels() -> tuple[list[str], list[Label]]:
    files, found = [], []
    for path in sorted(DEVSET.glob("labels_*.jsonl")):
        for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
            files.append(row["file"])
            for label in row["labels"]:
                found.append(Label(row["file"], label["rule"], label.get("made_line"), label.get("wasted_line"),
                                   bool(label.get("certain", True))))
    return files, found


def findings(name: str) -> list[Found]:
    """The file's findings, each placed on the instruction that holds it (labels name
    instructions by their first line; a finding points at the command inside)."""
    analysis = analyze(read_dockerfile(CORPUS / name))
    spans = [(i.line, i.end_line) for i in analysis.dockerfile.instructions]

    def instruction_line(line: int) -> int:
        return next((start for start, end in spans if start <= line <= end), line)
    return [Found(name, f.rule.id, instruction_line(f.span.start.line), instruction_line(f.span.start.line),
                  frozenset(instruction_line(r.span.start.line) for r in f.related), f.message)
            for f in analysis.findings]


def matches(found: Found, label: Label) -> bool:
    if found.file != label.file or found.rule != label.rule:
        return False
    anchor = label.made_line if label.rule in SAME_LINE_RULES or label.wasted_line is None else label.wasted_line
    if anchor is None or not found.line <= anchor <= found.end_line:
        return False
    if label.rule in SAME_LINE_RULES or not found.made_lines or label.made_line is None:
        return True
    return label.made_line in found.made_lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--show-false", action="store_true")
    parser.add_argument("--rule")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent")
        return 0
    files, wanted = labels()
    got = [found for name in dict.fromkeys(files) for found in findings(name)]
    rules = sorted({label.rule for label in wanted} | {found.rule for found in got})
    table = {rule: Counter() for rule in rules}
    for label in wanted:
        hit = any(matches(found, label) for found in got)
        key = ("hit" if hit else "miss") if label.certain else "doubtful"
        table[label.rule][key] += 1
        if not hit and label.certain and args.show_misses and args.rule in (None, label.rule):
            print(f"MISS {label.rule} {label.file} made {label.made_line} wasted {label.wasted_line}")
    for found in got:
        ok = any(matches(found, label) for label in wanted)
        table[found.rule]["tp" if ok else "fp"] += 1
        if not ok and args.show_false and args.rule in (None, found.rule):
            print(f"FALSE {found.rule} {found.file}:{found.line} {found.message[:140]}")
    print(f"{len(dict.fromkeys(files))} files, {sum(1 for w in wanted if w.certain)} certain labels "
          f"(+{sum(1 for w in wanted if not w.certain)} doubtful), {len(got)} findings; no build context")
    print(f"{'rule':8} {'labels':>6} {'found':>6} {'recall':>7} {'findings':>8} {'precision':>9}")
    for rule in rules:
        print(_row(rule, table[rule]))
    cross = sum((table[rule] for rule in rules if rule in CROSS_LAYER), Counter())
    print(_row("cross", cross))
    return 0


def _row(name: str, counts: Counter) -> str:
    labelled = counts["hit"] + counts["miss"]
    flagged = counts["tp"] + counts["fp"]
    recall = f"{counts['hit'] / labelled:.2f}" if labelled else "-"
    precision = f"{counts['tp'] / flagged:.2f}" if flagged else "-"
    return f"{name:8} {labelled:>6} {counts['hit']:>6} {recall:>7} {flagged:>8} {precision:>9}"


if __name__ == "__main__":
    sys.exit(main())
