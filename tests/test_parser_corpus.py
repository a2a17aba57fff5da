"""Our parser against BuildKit's own, over the real Dockerfiles in ../shared/corpus.

For every file BuildKit's parser accepts, the instructions must agree (see
buildkit_reference.py for what is compared and for the known differences,
each recognised instruction by instruction). For every file it refuses, ours
must still not raise. The whole corpus takes about 5 s.
"""
from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

from buildkit_reference import KNOWN_DIFFERENCES, SKIP_REASON, buildkit, compare
from dlayerlint.dockerfile.parser import parse

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

if buildkit is None:
    pytest.skip(SKIP_REASON, allow_module_level=True)
if not (CORPUS / "MANIFEST.tsv").is_file():
    pytest.skip(f"no corpus at {CORPUS} (shared/corpus sits beside the repository)", allow_module_level=True)


def _files() -> list[str]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as manifest:
        return [row["local_file"] for row in csv.DictReader(manifest, delimiter="\t")]


FILES = _files()


def _text(name: str) -> str:
    # The CLI refuses text that is not UTF-8; here such a file is only read to see that we do not raise.
    return (CORPUS / name).read_bytes().decode("utf-8", "replace")


@cache
def _comparison(name: str):
    return compare(_text(name))


@pytest.mark.parametrize("name", FILES)
def test_parser_agrees_with_buildkit(name):
    comparison = _comparison(name)
    if comparison is None:   # BuildKit refuses the file: we must report, not raise
        parse(_text(name))
        return
    assert not comparison.disagreements, "\n".join(comparison.disagreements)


def test_the_corpus_is_mostly_accepted_and_known_differences_stay_rare():
    """Guards the comparison itself: if BuildKit refused most files, or known
    differences explained away much of the corpus, agreement would mean little."""
    accepted = met = 0
    for name in FILES:
        comparison = _comparison(name)
        if comparison is not None:
            accepted += 1
            met += bool(comparison.known)
    assert accepted >= 0.99 * len(FILES)
    assert met <= 10, f"{met} files meet a known difference: {[k.name for k in KNOWN_DIFFERENCES]}"
