"""The speed-ups keep results the same: shared build contexts, the rule-file
cache, memoised secret and path matching, lazy origins, O(1) copy chains,
the capped copy list (a file rewritten in every layer stays linear) and the
worker pool's output order."""
from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dlayerlint.core import datafiles
from dlayerlint.lint import analyze
from dlayerlint.app.check import _ranges
from dlayerlint.rules.stranded import MAX_COPIES
from dlayerlint.simulate.context.build import BuildContext, ContextCache
from dlayerlint.simulate.fs import Origin, SymbolicFS
from dlayerlint.simulate.knowledge import knowledge
from dlayerlint.core.datafiles import load_yaml
from dlayerlint.core.spans import Position, Span, TextMap
from dlayerlint.shell.parse import parse_script
from dlayerlint.core.sizes import exact

REPO = Path(__file__).resolve().parents[1]


def _files(analysis) -> list[tuple[str, int]]:
    return sorted((v.path, v.size.bytes) for n in analysis.target.fs.root.walk() if (v := n.version))


def test_context_cache_shares_a_folder_and_matches_a_fresh_context(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_bytes(b"x" * 300)
    (tmp_path / "notes.md").write_bytes(b"y" * 20)
    (tmp_path / "Dockerfile.dockerignore").write_text("*.md\n")
    contexts = ContextCache()
    first = contexts.get(tmp_path, tmp_path / "Dockerfile")
    assert contexts.get(tmp_path, tmp_path / "Dockerfile") is first
    assert contexts.get(tmp_path, tmp_path / "Other") is not first   # other ignore patterns: its own
    text = "FROM alpine\nCOPY . /src/\n"
    fresh = BuildContext(tmp_path, dockerfile=tmp_path / "Dockerfile")
    assert _files(analyze(text, first)) == _files(analyze(text, fresh)) == [
        ("/src/Dockerfile.dockerignore", 5), ("/src/app/main.py", 300)]
    assert first.match(".") == first.match(".") == fresh.match(".")


def test_rule_files_come_from_the_cache_until_they_change(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rule_file = tmp_path / "rule.yaml"
    rule_file.write_text("names: [a, 'yes', yes]\n")
    assert load_yaml(rule_file) == {"names": ["a", "yes", True]}

    def no_parsing(_source):
        raise AssertionError("parsed again")
    monkeypatch.setattr("dlayerlint.core.yamlload.parse", no_parsing)
    assert load_yaml(rule_file) == {"names": ["a", "yes", True]}   # types kept, parser not called
    rule_file.write_text("names: [b]\n")
    os.utime(rule_file, ns=(time.time_ns(), time.time_ns() + 10**9))
    with pytest.raises(AssertionError, match="parsed again"):
        load_yaml(rule_file)


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))   # a file: no folder can be made under it
    rule_file = tmp_path / "rule.yaml"
    rule_file.write_text("a: 1\n")
    assert load_yaml(rule_file) == load_yaml(rule_file) == {"a": 1}


def test_a_run_with_one_file_imports_neither_yaml_nor_the_pool(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine\nRUN echo hi > /a && rm /a\n")
    code = ("import sys; from dlayerlint.app.cli import main; main(['check', sys.argv[1]]); "
            "print(sorted(m for m in sys.modules if m in ('yaml', 'concurrent.futures', 'pygls', "
            "'importlib.metadata')))")
    warm = subprocess.run([sys.executable, "-c", code, str(dockerfile)], capture_output=True, text=True,
                          check=False, cwd=REPO)   # fills the rule-file cache
    again = subprocess.run([sys.executable, "-c", code, str(dockerfile)], capture_output=True, text=True,
                           check=False, cwd=REPO)
    assert warm.returncode == again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("path", [
    "/app/.env", "/app/.env.example", "/root/.ssh/id_rsa", "/root/.ssh/id_rsa.pub", "/home/u/.aws/credentials",
    "/app/.npmrc", "/etc/ssl/private/server.key", "/app/main.py", "/app/secrets.json", "/x/.git-credentials",
])
def test_secret_regex_agrees_with_fnmatch(path):
    files = load_yaml(datafiles.catalogue_dir() / "commands" / "files.yaml")
    name = path.rsplit("/", 1)[-1]
    expected = not any(fnmatch.fnmatchcase(name, p) for p in files["not_secret_patterns"]) and (
        any(fnmatch.fnmatchcase(name, p) for p in files["secret_patterns"])
        or any(fnmatch.fnmatchcase(path, "*/" + p) for p in files["secret_paths"]))
    assert knowledge().is_secret(path) is expected
    assert ("secret" in knowledge().file_tags(path)) is expected


def test_lazy_origin_equals_the_eager_one():
    text_map = TextMap(((0, 3, 5),), 20)
    source = "rm   -f /a && true"
    lazy = Origin.later(2, lambda: (text_map.span(0, 10), " ".join(source[0:10].split())))
    eager = Origin(2, Span(Position(3, 5), Position(3, 15)), "rm -f /a")
    assert lazy == eager and hash(lazy) == hash(eager)
    assert (lazy.span, lazy.text) == (eager.span, eager.text)


def test_copy_chains_know_their_first_version_and_length():
    fs = SymbolicFS()
    origins = [Origin(layer, Span(Position(layer, 1), Position(layer, 2)), "x") for layer in range(4)]
    version = fs.write("/f", exact(1), origins[0])
    for origin in origins[1:]:
        version = fs.append("/f", exact(1), origin)
    assert version.first.layer == 0 and version.copies == 3
    node = fs.lookup("/f")
    assert node is not None
    fs.move(node, "/g", Origin(4, origins[0].span, "mv"))
    moved = fs.lookup("/g").version
    assert moved.first.layer == 0 and moved.copies == 4


def test_a_file_appended_in_every_layer_lists_the_latest_copies_only():
    layers = MAX_COPIES + 4
    text = "FROM alpine\n" + "".join(f"RUN echo {i} >> /log\n" for i in range(layers)) + "RUN rm /log\n"
    analysis = analyze(text)
    [last] = [f for f in analysis.findings if f.span.start.line == layers + 2]
    assert f"(and {layers - 1 - MAX_COPIES} earlier copies)" in last.message
    assert len([r for r in last.related if r.message == "copied again here"]) == MAX_COPIES
    short = analyze("FROM alpine\nRUN echo 1 > /log\nRUN echo 2 >> /log\nRUN rm /log\n")
    assert "earlier copies" not in " ".join(f.message for f in short.findings)


def test_the_pool_keeps_input_order_and_the_json_document_shape(tmp_path, run_cli):
    names = []
    for index in range(20):
        name = f"D{index:02}.Dockerfile"
        (tmp_path / name).write_text(f"FROM alpine\nRUN head -c {index + 1} /dev/zero > /a\nRUN rm /a\n")
        names.append(name)
    serial = run_cli("check", "--format", "json", "--jobs", "1", *names)
    pooled = run_cli("check", "--format", "json", "--jobs", "2", *names)
    assert serial.out == pooled.out
    document = json.loads(pooled.out)
    assert pooled.out == json.dumps(document) + "\n"
    assert [f["path"] for f in document["files"]] == names
    assert [f["stranded_bytes"] for f in document["files"]] == list(range(1, 21))


def test_long_dockerfiles_stay_linear():
    """500 RUNs appending to one file took 40x the time of 50 before the copy
    lists were capped; allow 2.5x the per-RUN time of the small file."""
    def seconds(runs: int) -> float:
        text = "FROM alpine\n" + "".join(
            textwrap.dedent(f"""\
                RUN mkdir -p /d/{i} && echo {i} > /d/{i}/f && echo {i} >> /log
                RUN rm -f /d/{i}/f && chmod 600 /log
                """) for i in range(runs))
        best = float("inf")
        for _ in range(3):
            parse_script.cache_clear()   # both sizes parse every RUN body
            started = time.process_time()   # this process's CPU: other processes' load barely moves it
            analyze(text)
            best = min(best, time.process_time() - started)
        return best
    seconds(10)   # warm
    assert seconds(500) / 500 < 2.5 * seconds(50) / 50


def test_pool_ranges_keep_folders_together_and_cover_every_file_once():
    names = [f"a/{i}" for i in range(40)] + ["b/0", "b/1"] + [f"c/{i}" for i in range(7)] + ["d"]
    ranges = _ranges(names, jobs=2)
    assert sorted(index for part in ranges for index in part) == list(range(len(names)))
    assert [len(part) for part in ranges] == sorted((len(part) for part in ranges), reverse=True)
    limit = len(names) // 16
    for part in ranges:
        assert len(part) <= limit
        assert len({os.path.dirname(names[index]) for index in part}) == 1


def test_the_pool_keeps_input_order_across_folders(tmp_path, run_cli):
    names = []
    for index in range(24):
        folder = tmp_path / f"f{index % 3}"
        folder.mkdir(exist_ok=True)
        (folder / f"D{index:02}").write_text(f"FROM alpine\nRUN head -c {index + 1} /dev/zero > /a\nRUN rm /a\n")
        names.append(f"f{index % 3}/D{index:02}")
    pooled = json.loads(run_cli("check", "--format", "json", "--jobs", "2", *names).out)
    assert [(f["path"], f["stranded_bytes"]) for f in pooled["files"]] == [(n, i + 1) for i, n in enumerate(names)]
