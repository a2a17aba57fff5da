"""The real `pre-commit try-repo` runs this repository's hooks on a scratch
git repository: it fails on bloated Dockerfiles (under every name the
`files` pattern covers) and passes on a clean one.

try-repo installs the hook from git: HEAD plus staged and modified tracked
files, but not untracked ones. So the hooks are tried from a snapshot commit
of the work tree as it is (tracked and untracked, .gitignore honoured), which
is HEAD itself on a clean clone. Installing needs PyPI (the build backend and
dlayerlint's dependencies), as pre-commit itself does for users.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BLOATED = "FROM busybox\nRUN head -c 4096 /dev/zero > /blob\nRUN rm /blob\n"
CLEAN = "FROM busybox\nRUN head -c 4096 /dev/zero > /blob && rm /blob\n"

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
    pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None, reason="needs pre-commit"),
]


def git(*args: str, cwd: Path) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-commit copy of the work tree, as a user's `rev:` would pin it."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: try-repo needs the project as a git repository")
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    git("init", "-q", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "snapshot", cwd=snapshot)
    return snapshot


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def scratch_repo(work: Path, files: dict[str, str]) -> Path:
    """A new git repository in `work` with `files` staged."""
    work.mkdir()
    git("init", "-q", cwd=work)
    for name, text in files.items():
        (work / name).write_text(text, encoding="utf-8")
    git("add", "-A", cwd=work)
    return work


def try_repo(hook_repo: Path, home: Path, hook: str, work: Path) -> subprocess.CompletedProcess:
    """Run `hook` from hook_repo on every file of the repository `work`."""
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook, "--all-files",
                           "--verbose"], cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_hook_fails_on_bloat_under_every_dockerfile_name(hook_repo, pre_commit_home, tmp_path):
    names = ["Dockerfile", "dockerfile", "x.dockerfile", "Dockerfile-dev", "api.Containerfile"]
    work = scratch_repo(tmp_path / "w", dict.fromkeys(names, BLOATED))
    result = try_repo(hook_repo, pre_commit_home, "dlayerlint", work)
    assert result.returncode == 1, result.stdout + result.stderr
    for name in names:
        assert f"{name}:3:5: DLL101 removed-in-later-layer" in result.stdout, result.stdout


def test_hook_passes_on_clean_dockerfile_and_skips_lookalikes(hook_repo, pre_commit_home, tmp_path):
    files = {"Dockerfile": CLEAN,
             # would fail to parse if linted: an ignore file and a template named after the Dockerfile
             "Dockerfile.dockerignore": "*.log\n!keep.log\n",
             "Dockerfile.template": BLOATED,
             "build_dockerfile.py": "print('not a Dockerfile')\n"}
    result = try_repo(hook_repo, pre_commit_home, "dlayerlint", scratch_repo(tmp_path / "w", files))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_fix_hook_rewrites_the_file_then_passes(hook_repo, pre_commit_home, tmp_path):
    work = scratch_repo(tmp_path / "w", {"Dockerfile": BLOATED})
    first = try_repo(hook_repo, pre_commit_home, "dlayerlint-fix", work)
    assert first.returncode == 1 and "files were modified by this hook" in first.stdout, first.stdout
    fixed = (work / "Dockerfile").read_text(encoding="utf-8")
    assert fixed.count("RUN ") == 1 and "rm /blob" in fixed
    second = try_repo(hook_repo, pre_commit_home, "dlayerlint-fix", work)
    assert second.returncode == 0, second.stdout


def test_autoupdate_pins_the_release_tag(hook_repo, pre_commit_home, tmp_path):
    """Releases are tagged `vX.Y.Z` (annotated), so `pre-commit autoupdate` writes a version
    into the user's config, not a commit sha."""
    upstream = tmp_path / "upstream"
    git("clone", "-q", str(hook_repo), str(upstream), cwd=tmp_path)
    sha = git("rev-parse", "HEAD", cwd=upstream).strip()
    git("tag", "-a", "v0.2.0", "-m", "dlayerlint 0.2.0", cwd=upstream)   # as the release is tagged
    config = f"repos:\n  - repo: {upstream}\n    rev: {sha}\n    hooks:\n      - id: dlayerlint\n"
    work = scratch_repo(tmp_path / "w", {".pre-commit-config.yaml": config})
    env = dict(os.environ, PRE_COMMIT_HOME=str(pre_commit_home), PRE_COMMIT_COLOR="never")
    result = subprocess.run([sys.executable, "-m", "pre_commit", "autoupdate"], cwd=work, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rev: v0.2.0" in (work / ".pre-commit-config.yaml").read_text(encoding="utf-8")
