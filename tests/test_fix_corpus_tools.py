"""The proof-at-scale benchmark's own logic, without builds: which bases get a stand-in and
what it holds, the stand-in build context, and which differences count as the documented
cache removal (benchmarks/fix_corpus.py, benchmarks/stand_ins.py)."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from dlayerlint.app.verify import Image

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    """A benchmark module, imported as the benchmarks import each other (by their folder)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


stand_ins = _load("stand_ins")
fix_corpus = _load("fix_corpus")


@pytest.mark.parametrize("name, parsed", [("python:3.8-slim", ("python", "3.8-slim")), ("node", ("node", "latest")),
                                          ("docker.io/library/node:argon", ("node", "argon")),
                                          ("python:3.11-bookworm", ("python", "3.11-bookworm"))])
def test_stand_in_names(name, parsed):
    assert stand_ins.parse(name) == parsed
    assert fix_corpus.stand_in(name)


@pytest.mark.parametrize("name", ["python:2.7", "python:2", "python:3-alpine", "node:8-alpine",
                                  "node:lts-windowsservercore", "ruby:3", "debian:bookworm"])
def test_no_stand_in_for_what_bookworm_is_not(name):
    with pytest.raises(stand_ins.BaseError):
        stand_ins.parse(name)
    assert not fix_corpus.stand_in(name)


def test_recipes_follow_the_official_images():
    slim, full = stand_ins.recipe("node", slim=True), stand_ins.recipe("node", slim=False)
    assert slim.startswith("FROM docker.io/library/debian:bookworm\n")
    assert "useradd --uid 1000 --gid node" in slim and "nodejs npm yarnpkg" in slim
    assert "gcc" not in slim and "libssl-dev" in full and "git" in full
    python = stand_ins.recipe("python", slim=True)
    assert "EXTERNALLY-MANAGED" in python and "python-is-python3" in python
    assert python.rstrip().endswith("rm -rf /var/lib/apt/lists/*")
    # builds are cached per recipe: a slim and a full tag are different images
    assert stand_ins.stamp("node:14") == stand_ins.stamp("node:lts") != stand_ins.stamp("node:14-slim")


def test_stand_in_context_gives_json_sources_a_value(tmp_path):
    text = "FROM node\nCOPY package.json run.sh conf/ /app/\n"
    context = fix_corpus.stand_in_context(text, tmp_path / "ctx")
    assert (context / "package.json").read_text() == "{}\n"
    assert (context / "run.sh").read_text() == "" and (context / "run.sh").stat().st_mode & 0o111
    assert (context / "conf" / "stand-in").is_file()
    assert fix_corpus.stand_in_context("FROM node\nCOPY ../x /x\n", tmp_path / "out") is None


def test_the_cache_folders_and_the_folders_made_only_for_them_are_the_documented_removal():
    before = Image([], [], {"/root/.cache": "d", "/root/.cache/pip": "d", "/root/.cache/pip/http/x": "f",
                            "/usr/bin/app": "f", "/root": "d"})
    after = Image([], [], {"/usr/bin/app": "g", "/root": "d"})
    assert [p for p in fix_corpus.differences(before, after) if not fix_corpus.in_caches(p, before, after)] \
        == ["/usr/bin/app"]
    before.files["/root/.cache/own-tool"] = "f"   # /root/.cache held more than the cache: not explained
    assert not fix_corpus.in_caches("/root/.cache", before, after)
