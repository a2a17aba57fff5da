"""The wheel carries the rule catalogue, and an installed tool finds it."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(out), str(REPO)], capture_output=True, text=True, check=False)
    if build.returncode:
        pytest.skip(f"cannot build a wheel here: {build.stderr[-300:]}")
    return next(out.glob("dlayerlint-*.whl"))


def test_wheel_holds_every_catalogue_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"dlayerlint/ruledata/{p.relative_to(REPO / 'rules').as_posix()}"
                for p in (REPO / "rules").rglob("*.yaml")}
    assert expected and expected <= names


def test_wheel_holds_the_apt_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"dlayerlint/data/apt/{p.name}" for p in (REPO / "dlayerlint" / "data" / "apt").iterdir()}
    assert {"dlayerlint/data/apt/bases.json", "dlayerlint/data/apt/bookworm.json.xz"} <= expected <= names


def test_installed_wheel_lints(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM busybox\nRUN dd if=/dev/zero of=/x bs=1k count=4\nRUN rm /x\n")
    run = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                          "from dlayerlint.app.cli import main; sys.exit(main(['check', sys.argv[2]]))",
                          str(target), str(dockerfile)], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert run.returncode == 1, run.stderr
    assert "DLL101" in run.stdout and "4096 B" in run.stdout
    assert str(target) in subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import dlayerlint.core.datafiles as k; "
         "print(k.catalogue_dir())", str(target)], capture_output=True, text=True, check=True).stdout


def test_installed_wheel_sizes_apt_layers(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian:bookworm\nRUN apt-get install -y --no-install-recommends curl\n")
    run = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                          "from dlayerlint.app.cli import main; sys.exit(main(['check', '--layers', sys.argv[2]]))",
                          str(target), str(dockerfile)], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert run.returncode == 0, run.stderr
    assert "~12.7 MiB" in run.stdout, run.stdout   # curl's closure, from the wheel's data
