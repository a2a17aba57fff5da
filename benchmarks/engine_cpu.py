"""CPU seconds the engine spends on every corpus file, in one process: the lint of each text
(parse, replay, rules, fixes), without start-up, reading or output. It imports dlayerlint from
sys.path, so two trees (a release and the working tree) compare in one run, alternating:

    git worktree add /tmp/old 9d79015   # the last commit before the package layout
    for tree in /tmp/old . /tmp/old .; do
        PYTHONPATH=$tree python -P benchmarks/engine_cpu.py --label $tree
    done

`-P` keeps the working directory off sys.path, so PYTHONPATH decides which tree runs. Older
trees have `dlayerlint.analysis.analyze` where newer ones have `dlayerlint.lint.analyze`.
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

try:
    from dlayerlint.lint import analyze
except ImportError:   # trees before the package layout
    from dlayerlint.analysis import analyze  # type: ignore[no-redef]

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def texts() -> list[str]:
    found = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and "ockerfile" in path.name:
            try:
                found.append(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
    return found


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="dlayerlint")
    args = parser.parse_args()
    corpus = texts()
    started, wall = cpu(), time.perf_counter()
    linted = 0
    for text in corpus:
        try:
            analyze(text)
            linted += 1
        except Exception:  # pylint: disable=broad-exception-caught  # parse errors of templates count as work done
            continue
    print(f"{args.label}: {len(corpus)} files ({linted} linted), engine CPU {cpu() - started:.2f} s, "
          f"wall {time.perf_counter() - wall:.2f} s")


if __name__ == "__main__":
    main()
