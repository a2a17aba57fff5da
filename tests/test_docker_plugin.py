"""`docker layerlint` through the real docker client (no daemon needed for CLI
plugins), with DOCKER_CONFIG in a temporary folder, and the plugin's
argument handling and `install-docker-plugin` directly."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlayerlint import __version__
from dlayerlint.app.docker_install import EXECUTABLE, installed_executable
from dlayerlint.app.docker_plugin import dlayerlint_argv

REPO = Path(__file__).resolve().parents[1]
BLOATED = "FROM busybox\nRUN head -c 4096 /dev/zero > /blob\nRUN rm /blob\n"
DOCKER = shutil.which("docker")


def run(*args: str, cwd: Path, docker_config: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DOCKER_CONFIG=str(docker_config),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture()
def docker_config(tmp_path: Path) -> Path:
    if installed_executable() is None:
        pytest.skip(f"{EXECUTABLE} is not installed (pip install -e . puts it beside python)")
    folder = tmp_path / "docker-config"
    result = run(sys.executable, "-m", "dlayerlint", "install-docker-plugin", cwd=tmp_path, docker_config=folder)
    assert result.returncode == 0, result.stderr
    return folder


def test_metadata_follows_the_cli_plugin_protocol():
    result = subprocess.run([sys.executable, "-m", "dlayerlint.app.docker_plugin", "docker-cli-plugin-metadata"],
                            capture_output=True, text=True, check=True, cwd=REPO)
    metadata = json.loads(result.stdout)
    assert metadata["SchemaVersion"] == "0.1.0"
    assert metadata["Version"] == __version__
    assert metadata["Vendor"] and metadata["ShortDescription"]


@pytest.mark.parametrize(("plugin_args", "expected"), [
    (["layerlint", "Dockerfile"], ["check", "Dockerfile"]),               # as docker runs it
    (["--debug", "layerlint", "-"], ["check", "-"]),                      # docker's global options first
    (["layerlint"], ["check", "Dockerfile"]),                             # `docker layerlint`: ./Dockerfile
    (["layerlint", "rules"], ["rules"]),
    (["layerlint", "explain", "DLL101"], ["explain", "DLL101"]),
    (["layerlint", "--format", "json", "a/Dockerfile"], ["check", "--format", "json", "a/Dockerfile"]),
    (["Dockerfile.dev"], ["check", "Dockerfile.dev"]),                    # docker-layerlint run directly
])
def test_plugin_arguments_become_dlayerlint_check(plugin_args, expected):
    assert dlayerlint_argv(plugin_args) == expected


def test_docker_build_idioms(tmp_path, monkeypatch):
    """What docker users type: a context directory, -f/--file, --build-arg NAME from the environment."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ctx").mkdir()
    (tmp_path / "vendor").mkdir()
    env = {"VERSION": "1.2"}
    assert dlayerlint_argv(["layerlint", "."], env) == ["check", "--context", ".", "./Dockerfile"]
    assert dlayerlint_argv(["layerlint", "-f", "Dockerfile.prod", "ctx"], env) == [
        "check", "--context", "ctx", "Dockerfile.prod"]
    assert dlayerlint_argv(["layerlint", "--file=a/Dockerfile", "-fb/Dockerfile"], env) == [
        "check", "a/Dockerfile", "b/Dockerfile"]
    assert dlayerlint_argv(["layerlint", "--build-arg", "VERSION", "--build-arg", "UNSET", "--build-arg=X=1",
                            "--exclude", "vendor", "."], env) == [
        "check", "--build-arg", "VERSION=1.2", "--build-arg", "X=1", "--exclude", "vendor", "--context", ".",
        "./Dockerfile"]   # an unset NAME is dropped, as docker does; `vendor` is --exclude's value, not a context
    assert dlayerlint_argv(["layerlint", "verify", "-f", "Dockerfile", "."], env) == [
        "verify", "--context", ".", "Dockerfile"]
    assert dlayerlint_argv(["layerlint", "--format", "json"], env) == ["check", "--format", "json", "Dockerfile"]
    assert dlayerlint_argv(["layerlint", "verify", "--help"], env) == ["verify", "--help"]


def test_install_is_idempotent_and_refuses_to_replace_something_else(docker_config, tmp_path):
    link = docker_config / "cli-plugins" / EXECUTABLE
    assert link.is_symlink() and link.resolve() == installed_executable().resolve()
    again = run(sys.executable, "-m", "dlayerlint", "install-docker-plugin", cwd=tmp_path, docker_config=docker_config)
    assert again.returncode == 0 and "already links" in again.stdout
    link.unlink()
    link.write_text("#!/bin/sh\n", encoding="utf-8")
    taken = run(sys.executable, "-m", "dlayerlint", "install-docker-plugin", cwd=tmp_path, docker_config=docker_config)
    assert taken.returncode == 2
    assert f"{link} exists and is not a link to" in taken.stderr and "Traceback" not in taken.stderr
    assert link.read_text(encoding="utf-8") == "#!/bin/sh\n"   # left alone


@pytest.mark.skipif(DOCKER is None, reason="needs the docker client binary (no daemon needed)")
def test_docker_layerlint_lints_and_docker_help_lists_it(docker_config, tmp_path):
    (tmp_path / "Dockerfile").write_text(BLOATED, encoding="utf-8")
    result = run(DOCKER, "layerlint", "Dockerfile", cwd=tmp_path, docker_config=docker_config)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Dockerfile:3:5: DLL101 removed-in-later-layer" in result.stdout
    default = run(DOCKER, "layerlint", cwd=tmp_path, docker_config=docker_config)
    assert default.stdout == result.stdout
    rules = run(DOCKER, "layerlint", "rules", cwd=tmp_path, docker_config=docker_config)
    assert rules.returncode == 0 and "DLL101" in rules.stdout
    listing = run(DOCKER, "--help", cwd=tmp_path, docker_config=docker_config)
    assert any(line.split()[:1] == ["layerlint*"] or line.split()[:1] == ["layerlint"]
               for line in listing.stdout.splitlines()), listing.stdout


@pytest.mark.skipif(DOCKER is None, reason="needs the docker client binary (no daemon needed)")
def test_docker_layerlint_takes_docker_build_arguments(docker_config, tmp_path):
    (tmp_path / "Dockerfile").write_text(BLOATED, encoding="utf-8")
    for args in (["."], ["-f", "Dockerfile", "."], ["--file=Dockerfile"], ["check", "."]):
        result = run(DOCKER, "layerlint", *args, cwd=tmp_path, docker_config=docker_config)
        assert result.returncode == 1 and "DLL101 removed-in-later-layer" in result.stdout, (args, result.stderr)
    usage = run(DOCKER, "layerlint", "verify", "--help", cwd=tmp_path, docker_config=docker_config)
    assert usage.returncode == 0 and "usage: dlayerlint verify" in usage.stdout
