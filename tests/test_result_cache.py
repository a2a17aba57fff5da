"""`check --cache`: an unchanged file is not analysed again, and nothing a result depends on
can change without a miss (analyses are counted through a wrapped `lint`, never timed)."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dlayerlint.app import check, result_cache
from dlayerlint.app.result_cache import ResultCache

from conftest import Ran, RunCli

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = ("FROM busybox\n"
              "COPY app.bin /app.bin\n"
              "RUN chmod +x /app.bin\n"
              "COPY conf/ /conf/\n"
              "COPY extra.txt /extra.txt\n"
              "RUN head -c 10 /dev/zero > /a\n"
              "RUN rm /a\n")

Runs = Callable[..., Ran]


@pytest.fixture(autouse=True)
def fresh_stamps() -> None:
    """The installation stamp is taken once per process: a test that changes it starts anew."""
    result_cache.installation_stamp.cache_clear()
    result_cache.plugins_stamp.cache_clear()


@pytest.fixture()
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts `check` analysed, in order."""
    seen: list[str] = []
    real = check._lint   # pylint: disable=protected-access

    def counting(text: str, *args: object) -> object:
        seen.append(text)
        return real(text, *args)
    monkeypatch.setattr(check, "_lint", counting)
    return seen


def backdate(folder: Path) -> None:
    """Files written a minute ago: one changed within the last seconds is not stamped
    (result_cache.RACY_NS), so the next run would analyse it again."""
    past = time.time_ns() - 60 * 10**9
    for path in folder.rglob("*"):
        os.utime(path, ns=(past, past), follow_symlinks=False)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "conf").mkdir(parents=True)
    (folder / "Dockerfile").write_text(DOCKERFILE)
    (folder / "app.bin").write_bytes(b"\0" * 5000)
    (folder / "conf" / "a.conf").write_text("a = 1\n")
    backdate(folder)
    return folder


@pytest.fixture()
def cached(run_cli: RunCli, project: Path, tmp_path: Path) -> Runs:
    """`dlayerlint check --cache-dir … Dockerfile` (plus args) in the project."""
    def run(*args: str) -> Ran:
        return run_cli("check", "--cache-dir", str(tmp_path / "cache"), *args, "Dockerfile", cwd=project)
    return run


def _again(cached: Runs, analyses: list[str], change: Callable[[], object], *args: str) -> None:
    """A first run analyses, a second one hits; after `change` the third analyses again."""
    first = cached(*args)
    assert cached(*args) == first and len(analyses) == 1
    change()
    result_cache.installation_stamp.cache_clear()
    cached(*args)
    assert len(analyses) == 2


def test_an_unchanged_run_hits_and_says_the_same(cached: Runs, run_cli: RunCli, project: Path,
                                                 analyses: list[str]) -> None:
    first = cached("--format", "json")
    second = cached("--format", "json")
    assert len(analyses) == 1 and second == first
    assert run_cli("check", "--format", "json", "Dockerfile", cwd=project) == first   # as without the cache


@pytest.mark.parametrize("fmt", ["text", "sarif", "gitlab", "junit", "checkstyle", "github"])
def test_every_format_comes_back_as_rendered(cached: Runs, fmt: str, analyses: list[str]) -> None:
    assert cached("--format", fmt, "--layers") == cached("--format", fmt, "--layers")
    assert len(analyses) == 1


def test_a_changed_dockerfile_misses(cached: Runs, project: Path, analyses: list[str]) -> None:
    _again(cached, analyses, lambda: (project / "Dockerfile").write_text(DOCKERFILE + "RUN rm /app.bin\n"))


def test_a_changed_setting_misses(cached: Runs, project: Path, analyses: list[str]) -> None:
    _again(cached, analyses, lambda: (project / ".dlayerlint.yaml").write_text("disable: [DLL101]\n"))


def test_an_environment_setting_misses(cached: Runs, analyses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _again(cached, analyses, lambda: monkeypatch.setenv("DLAYERLINT_FAIL_LEVEL", "error"))


@pytest.mark.parametrize("args", [("--disable", "DLL103"), ("--layers",), ("--format", "json"), ("-q",),
                                  ("--build-arg", "A=1"), ("--severity", "DLL101=error")])
def test_each_output_or_setting_flag_is_its_own_entry(cached: Runs, args: tuple[str, ...],
                                                      analyses: list[str]) -> None:
    cached()
    cached(*args)
    assert len(analyses) == 2


def test_a_changed_dockerignore_misses(cached: Runs, project: Path, analyses: list[str]) -> None:
    _again(cached, analyses, lambda: (project / ".dockerignore").write_text("conf/a.conf\n"))


def test_a_changed_context_file_misses(cached: Runs, project: Path, analyses: list[str]) -> None:
    _again(cached, analyses, lambda: (project / "conf" / "a.conf").write_text("a = 12\n"))


def test_same_size_new_bytes_of_a_copied_file_miss(cached: Runs, project: Path, analyses: list[str]) -> None:
    def rewrite() -> None:
        status = (project / "app.bin").stat()
        (project / "app.bin").write_bytes(b"\1" * 5000)
        os.utime(project / "app.bin", ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
    _again(cached, analyses, rewrite)


def test_a_mode_change_misses(cached: Runs, project: Path, analyses: list[str]) -> None:
    # `chmod +x` becomes `COPY --chmod=` of the mode the file has in the context
    _again(cached, analyses, lambda: (project / "app.bin").chmod(0o600))


def test_an_added_file_misses(cached: Runs, project: Path, analyses: list[str]) -> None:
    _again(cached, analyses, lambda: (project / "conf" / "b.conf").write_text("b = 2\n"))


def test_a_removed_file_misses(cached: Runs, project: Path, analyses: list[str]) -> None:
    _again(cached, analyses, lambda: (project / "conf" / "a.conf").unlink())


def test_a_missing_source_that_appears_misses(cached: Runs, project: Path, analyses: list[str]) -> None:
    # extra.txt is not there: its absence is part of the result too
    _again(cached, analyses, lambda: (project / "extra.txt").write_text("now here\n"))


def test_an_excluded_source_deep_in_an_ignored_folder_misses(cached: Runs, project: Path, analyses: list[str]) -> None:
    (project / "build" / "sub").mkdir(parents=True)
    (project / ".dockerignore").write_text("build\n")
    (project / "Dockerfile").write_text(DOCKERFILE + "COPY build/sub/x /x\n")
    backdate(project)
    _again(cached, analyses, lambda: (project / "build" / "sub" / "x").write_text("x\n"))


def test_an_added_archive_member_misses(cached: Runs, project: Path, analyses: list[str]) -> None:
    def archive(names: list[str]) -> None:
        with tarfile.open(project / "app.tar", "w") as tar:
            for name in names:
                info = tarfile.TarInfo(name)
                info.size = 3
                tar.addfile(info, io.BytesIO(b"abc"))
    archive(["one"])
    (project / "Dockerfile").write_text(DOCKERFILE + "ADD app.tar /opt/\nRUN rm /opt/one\n")
    backdate(project)
    _again(cached, analyses, lambda: archive(["one", "two"]))


def test_changed_rule_data_misses(cached: Runs, analyses: list[str], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "rules"
    data.mkdir()
    (data / "catalogue.yaml").write_text("rules: []\n")
    monkeypatch.setattr(result_cache, "catalogue_dir", lambda: data)
    _again(cached, analyses, lambda: (data / "catalogue.yaml").write_text("rules: [1]\n"))


def test_a_changed_package_file_misses(cached: Runs, analyses: list[str], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # dlayerlint/data/** and the code: every file of the package is in the stamp
    package = tmp_path / "package"
    (package / "data" / "apt").mkdir(parents=True)
    (package / "data" / "apt" / "bookworm.json").write_text("{}")
    monkeypatch.setattr(result_cache, "__file__", str(package / "app" / "result_cache.py"))
    _again(cached, analyses, lambda: (package / "data" / "apt" / "bookworm.json").write_text('{"a": 1}'))


def test_another_version_misses(cached: Runs, analyses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _again(cached, analyses, lambda: monkeypatch.setattr(result_cache, "__version__", "99.0"))


def test_a_file_changed_in_the_last_seconds_is_not_stored(cached: Runs, project: Path,
                                                          analyses: list[str]) -> None:
    # a second change within the clock's granularity could keep its size and mtime
    (project / "app.bin").write_bytes(b"\1" * 5000)
    assert cached() == cached() and len(analyses) == 2
    backdate(project)
    assert cached() == cached() and len(analyses) == 3


def test_a_corrupt_entry_is_a_miss(cached: Runs, tmp_path: Path, analyses: list[str]) -> None:
    first = cached()
    for damage in (b"", b"garbage", None):
        for entry in (tmp_path / "cache").iterdir():
            data = entry.read_bytes()
            entry.write_bytes(damage if damage is not None else data[:-3] + b"xyz")
        assert cached() == first
    assert len(analyses) == 4


def test_an_unreadable_cache_folder_only_costs_time(run_cli: RunCli, project: Path, analyses: list[str]) -> None:
    (project / "plain").write_text("not a folder")
    for _ in range(2):
        ran = run_cli("check", "--cache-dir", str(project / "plain" / "cache"), "Dockerfile", cwd=project)
        assert ran.code == 1 and "DLL101" in ran.out
    assert len(analyses) == 2


def test_fix_and_diff_bypass_the_cache(run_cli: RunCli, project: Path, tmp_path: Path, analyses: list[str]) -> None:
    store = tmp_path / "cache"
    run_cli("check", "--cache-dir", str(store), "--diff", "Dockerfile", cwd=project)
    run_cli("check", "--cache-dir", str(store), "--fix", "Dockerfile", cwd=project)
    assert not store.exists() and analyses


def test_the_environment_turns_it_on_and_no_cache_off(run_cli: RunCli, project: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, analyses: list[str]) -> None:
    monkeypatch.setenv("DLAYERLINT_CACHE_DIR", str(tmp_path / "env-cache"))
    run_cli("check", "Dockerfile", cwd=project)
    run_cli("check", "Dockerfile", cwd=project)
    assert len(analyses) == 1 and any((tmp_path / "env-cache").iterdir())
    run_cli("check", "--no-cache", "Dockerfile", cwd=project)
    assert len(analyses) == 2


def test_the_default_folder_is_the_users_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert result_cache.default_dir() == tmp_path / "dlayerlint" / "results"


def test_pruning_drops_the_least_recently_used(tmp_path: Path) -> None:
    store = ResultCache(tmp_path)
    for number in range(10):
        assert store.store(f"key{number}", None, [], number)
        os.utime(tmp_path / f"key{number}.entry", ns=(number * 10**9, number * 10**9))
    assert store.load("key0", None) == 0   # used now: kept
    store.prune(max_entries=5)
    kept = sorted(path.name for path in tmp_path.iterdir())
    assert "key0.entry" in kept and len(kept) == 4 and "key1.entry" not in kept


def test_pruning_by_size(tmp_path: Path) -> None:
    store = ResultCache(tmp_path)
    for number in range(4):
        store.store(f"key{number}", None, [], "x" * 1000)
    store.prune(max_bytes=2500)
    assert len(list(tmp_path.iterdir())) == 2


def test_two_runs_at_once_with_workers_agree(tmp_path: Path) -> None:
    """Two processes, each with two workers, filling one cache folder at the same time."""
    for number in range(24):
        (tmp_path / f"{number}.Dockerfile").write_text(f"FROM busybox\nRUN head -c {number} /dev/zero > /a\nRUN rm /a\n")
    names = sorted(path.name for path in tmp_path.glob("*.Dockerfile"))
    command = [sys.executable, "-m", "dlayerlint", "check", "--format", "json", "-j2", *names]
    env = dict(os.environ, PYTHONPATH=str(REPO), DLAYERLINT_CACHE_DIR=str(tmp_path / "cache"))
    runs = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    plain = subprocess.run([*command, "--no-cache"], cwd=tmp_path, env=env, capture_output=True, timeout=300,
                           check=False)
    assert all(out == plain.stdout and b"Traceback" not in err for out, err in outputs)
    assert subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=300,
                          check=False).stdout == plain.stdout
    assert len(list((tmp_path / "cache").glob("*.entry"))) == 24
