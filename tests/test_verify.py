"""`dlayerlint verify`: reading built images (docker archives made here by
hand), choosing a builder, and (marker `realbuild`) a real buildah build."""
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from dlayerlint.app.verify import Buildah, Image, differences, find_builder, measure

REPO = Path(__file__).resolve().parents[1]
REALBUILD = REPO.parent / "shared" / "tools" / "realbuild.py"
CLASSIC = REPO / "examples" / "classic" / "Dockerfile"


def layer_tar(entries: list[tuple[str, bytes | None, int]]) -> bytes:
    """A layer: (name, content or None for a directory, mode)."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as layer:
        for name, content, mode in entries:
            info = tarfile.TarInfo(name)
            info.mode = mode
            if content is None:
                info.type = tarfile.DIRTYPE
                layer.addfile(info)
            else:
                info.size = len(content)
                layer.addfile(info, io.BytesIO(content))
    return data.getvalue()


def archive(path: Path, layers: list[bytes]) -> Path:
    with tarfile.open(path, "w") as out:
        names = []
        for index, layer in enumerate(layers):
            info = tarfile.TarInfo(f"{index}/layer.tar")
            info.size = len(layer)
            out.addfile(info, io.BytesIO(layer))
            names.append(info.name)
        manifest = json.dumps([{"Config": "config.json", "Layers": names}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        out.addfile(info, io.BytesIO(manifest))
    return path


def test_measure_applies_whiteouts_and_counts_stranded_bytes(tmp_path):
    base = layer_tar([("bin", None, 0o755), ("bin/sh", b"s" * 10, 0o755), ("data", None, 0o755),
                      ("data/a", b"a" * 100, 0o644), ("data/b", b"b" * 50, 0o644), ("var/log/x", b"l" * 7, 0o644)])
    later = layer_tar([("./data/.wh.a", b"", 0o644), ("data/b", b"b" * 50, 0o600), ("etc", None, 0o755),
                       ("etc/hosts", b"", 0o644), ("proc", None, 0o755)])
    opaque = layer_tar([("data/.wh..wh..opq", b"", 0o644), ("data/c", b"c" * 5, 0o644)])
    image = measure(archive(tmp_path / "i.tar", [base, later, opaque]))
    assert image.layer_bytes == [167, 50, 5]
    assert image.stranded == [150, 50, 0]      # /data/a removed; both copies of /data/b hidden by the opaque dir
    # /var/log is volatile; /proc and /etc/hosts stand in for runtime mounts, /etc only holds them
    assert sorted(image.files) == ["/bin", "/bin/sh", "/data", "/data/c"]


def test_differences_name_each_path():
    before = Image([1], [0], {"/a": "1", "/b": "2"})
    after = Image([1], [0], {"/a": "1", "/b": "3", "/c": "4"})
    assert differences(before, after) == ["/b", "/c"]
    assert differences(before, before) == []


def verify(*args: str, path: str = os.environ.get("PATH", "")) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path}
    return subprocess.run([sys.executable, "-m", "dlayerlint", "verify", *args], capture_output=True, text=True,
                          check=False, env=env)


def test_without_a_builder_it_says_so(tmp_path):
    done = verify(str(CLASSIC), path=str(tmp_path))
    assert done.returncode == 2
    assert "no builder found: verify needs buildah or docker buildx on PATH" in done.stderr


def test_a_named_builder_that_is_missing(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_builder("docker") == ("no builder found: verify needs docker buildx on PATH (e.g. `apt-get "
                                      "install buildah`, run as root, or Docker with buildx and a running daemon)")
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    assert find_builder("buildah", "/r", "/rr") == Buildah("/r", "/rr")


def test_nothing_to_verify(tmp_path):
    clean = tmp_path / "Dockerfile"
    clean.write_text("FROM busybox\nRUN true\n")
    done = verify(str(clean), path=str(tmp_path))
    assert done.returncode == 0 and "no fix applies (try --unsafe-fixes); nothing to verify" in done.stdout


def test_unreadable_file_is_an_error(tmp_path):
    done = verify(str(tmp_path / "nope"))
    assert done.returncode == 2 and "nope: error: no such file" in done.stderr


def realbuild_bases() -> tuple[str, str]:
    """buildah storage with the local busybox and debian bases that realbuild.py makes."""
    if not REALBUILD.is_file():
        pytest.skip(f"{REALBUILD} is absent (no ../shared beside the repo)")
    if os.geteuid() != 0 or shutil.which("buildah") is None:
        pytest.skip("real builds need root and buildah")
    spec = importlib.util.spec_from_file_location("realbuild", REALBUILD)
    realbuild = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(realbuild)
    realbuild.ensure_bases()
    return f"{realbuild.ROOT}/root", f"{realbuild.ROOT}/run"


@pytest.mark.realbuild
def test_verify_classic_with_buildah(tmp_path):
    root, runroot = realbuild_bases()
    shutil.copy(CLASSIC, tmp_path / "Dockerfile")
    done = verify(str(tmp_path / "Dockerfile"), "--builder", "buildah", "--root", root, "--runroot", runroot)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line[:18].strip(): line[18:].split() for line in done.stdout.splitlines()}
    assert rows["stranded bytes"] == ["4,194,304", "0", "-4,194,304"]
    assert rows["image bytes"][2] == "-4,194,304"
    assert "final filesystem: the same" in done.stdout
    assert (tmp_path / "Dockerfile").read_text() == CLASSIC.read_text()   # verify never rewrites the file
