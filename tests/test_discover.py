"""Build-context discovery (dlayerlint/simulate/context/discover.py): each kind of project
file that says how a Dockerfile is built, the COPY-source fallback, the bounds (size,
symlinks, .git, malformed files), and `check` / the LSP using it.

The real-build case tests/accuracy_discover/compose_root/ (a Dockerfile in docker/ built
from the root by compose.yaml) is compared with its stored truth.json, measured once with
../shared/tools/realbuild.py.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlayerlint.config import Config
from dlayerlint.dockerfile.parser import parse
from dlayerlint.lsp.linting import lint_document
from dlayerlint.simulate.context.build import ContextCache
from dlayerlint.simulate.context.discover import (MAX_BYTES, SOURCES, ContextFinder, FoundContext,
                                                  context_sources, discover, text_sources)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CASE = REPO / "tests" / "accuracy_discover" / "compose_root"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A repository root (it has .git) with a Dockerfile in docker/."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root, {"docker/Dockerfile": "FROM busybox\nCOPY app.bin /app\n", "app.bin": "x" * 10})
    return root


def found_for(root: Path, name: str = "docker/Dockerfile", sources: tuple[str, ...] = ()) -> FoundContext:
    found = discover(root / name, sources)
    assert found.source in SOURCES
    return found


# ----------------------------------------------------------------------------- compose

def test_compose_mapping_form(repo):
    write(repo, {"docker-compose.yml": "services:\n  web:\n    image: x\n    build:\n      context: .\n"
                                       "      dockerfile: docker/Dockerfile\n  db:\n    image: postgres\n"})
    found = found_for(repo)
    assert (found.directory, found.source) == (repo, "compose")
    assert "docker-compose.yml service web: build.context ., build.dockerfile docker/Dockerfile" in found.reason


def test_compose_string_form_and_variable_default(repo):
    write(repo, {"api/Dockerfile": "FROM busybox\n",
                 "compose.yaml": "services:\n  api:\n    build: ${API_DIR:-./api}\n"
                                 "  other:\n    build: ${UNSET}\n"})
    found = found_for(repo, "api/Dockerfile")
    assert (found.directory, found.source) == (repo / "api", "compose")


def test_compose_in_the_dockerfile_folder_relative_to_it(repo):
    write(repo, {"docker/docker-compose.prod.yaml": "services:\n  web:\n    build:\n      context: ..\n"
                                                    "      dockerfile: docker/Dockerfile\n"})
    found = found_for(repo)
    assert (found.directory, found.source) == (repo, "compose")


def test_compose_naming_another_dockerfile_is_not_used(repo):
    write(repo, {"compose.yml": "services:\n  web:\n    build:\n      context: .\n      dockerfile: other/Dockerfile\n"})
    assert found_for(repo).source != "compose"


# ----------------------------------------------------------------------------- bake

BAKE_HCL = '''# the project's bake file
variable "TAG" {
  default = "latest"
}
group "default" {
  targets = ["app"]
}
target "base" {
  context = "."   // from the root
  args = {
    A = "b"
  }
}
target "app" {
  inherits = ["base"]
  dockerfile = "docker/Dockerfile"
  tags = ["x:${TAG}"]
  labels = {
    note = <<EOT
a } heredoc {
EOT
  }
}
target "templated" {
  context = "${TAG}"
  dockerfile = "docker/Dockerfile"
}
'''


def test_bake_hcl_target_with_inherits(repo):
    write(repo, {"docker-bake.hcl": BAKE_HCL})
    found = found_for(repo)
    assert (found.directory, found.source) == (repo, "bake")
    assert "target app: context ., dockerfile docker/Dockerfile" in found.reason


def test_bake_hcl_interpolated_context_is_skipped(repo):
    write(repo, {"docker-bake.hcl": 'target "t" {\n  context = "${DIR}"\n  dockerfile = "docker/Dockerfile"\n}\n'})
    assert found_for(repo).source != "bake"


def test_bake_json(repo):
    write(repo, {"docker-bake.json": json.dumps({"target": {"app": {"context": "docker",
                                                                    "dockerfile": "Dockerfile"}}})})
    found = found_for(repo)
    assert (found.directory, found.source) == (repo / "docker", "bake")


# ----------------------------------------------------------------------------- devcontainer

def test_devcontainer_json_with_comments(repo):
    write(repo, {".devcontainer/Dockerfile": "FROM busybox\nCOPY app.bin /app\n",
                 ".devcontainer/devcontainer.json": '{\n  // the dev image\n  "name": "dev /* not a comment */",\n'
                                                    '  /* built from the root */\n  "build": {\n'
                                                    '    "dockerfile": "Dockerfile",\n    "context": "..",\n  },\n}\n'})
    found = found_for(repo, ".devcontainer/Dockerfile")
    assert (found.directory, found.source) == (repo, "devcontainer")
    assert "build.context .., build.dockerfile Dockerfile" in found.reason


# ----------------------------------------------------------------------------- workflows and Makefiles

def test_workflow_build_push_action(repo):
    write(repo, {".github/workflows/release.yml":
                 "on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n"
                 "      - uses: actions/checkout@v4\n"
                 "      - uses: docker/build-push-action@v6\n        with:\n          context: .\n"
                 "          file: ./docker/Dockerfile\n          push: false\n"})
    found = found_for(repo)
    assert (found.directory, found.source) == (repo, "workflow")
    assert "job image step 2 (docker/build-push-action): context ., file ./docker/Dockerfile" in found.reason


def test_workflow_build_push_action_defaults_to_the_repository(repo):
    write(repo, {"Dockerfile": "FROM busybox\n",
                 ".github/workflows/ci.yaml": "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v5\n"})
    found = found_for(repo, "Dockerfile")
    assert (found.directory, found.source) == (repo, "workflow")


def test_workflow_docker_build_line(repo):
    write(repo, {"svc/docker/Dockerfile": "FROM busybox\n",
                 ".github/workflows/ci.yml":
                 "jobs:\n  build:\n    defaults:\n      run:\n        working-directory: svc\n    steps:\n"
                 "      - run: echo ${{ secrets.X }}\n"
                 "      - run: |\n          docker login -u x\n"
                 "          docker buildx build --platform linux/amd64 -t app:1 \\\n"
                 "            --build-arg A=1 -f docker/Dockerfile --push .\n"})
    found = found_for(repo, "svc/docker/Dockerfile")
    assert (found.directory, found.source) == (repo / "svc", "workflow")
    assert "job build step 2 runs `docker buildx build" in found.reason


def test_makefile_docker_build_line_with_variables(repo):
    write(repo, {"Makefile": "IMAGE ?= app\nDOCKERFILE := docker/Dockerfile\n\n"
                             "image:\n\t@docker build -t $(IMAGE) \\\n\t\t-f $(DOCKERFILE) $(CURDIR)\n"
                             "other:\n\tdocker build -f $(shell ls) .\n"})
    found = found_for(repo)
    assert (found.directory, found.source) == (repo, "makefile")
    assert "Makefile runs `docker build -t app -f docker/Dockerfile" in found.reason


def test_cd_before_docker_build_moves_the_folder(repo):
    write(repo, {"Makefile": "all:\n\tcd docker && docker build -f Dockerfile ..\n"})
    found = found_for(repo)
    assert (found.directory, found.source) == (repo, "makefile")


# ----------------------------------------------------------------------------- the fallback

def test_sources_found_in_an_ancestor(repo):
    found = found_for(repo, sources=("app.bin",))
    assert (found.directory, found.source) == (repo, "sources-found")
    assert "(app.bin)" in found.reason


def test_sources_found_in_the_dockerfile_folder_first(repo):
    write(repo, {"docker/app.bin": "y", "docker/conf/a.conf": "z"})
    found = found_for(repo, sources=("app.bin", "conf/", "*.bin", "./"))
    assert (found.directory, found.source) == (repo / "docker", "sources-found")


def test_nothing_found_is_the_dockerfile_folder(repo):
    found = found_for(repo, sources=("missing.txt", "app.bin"))
    assert (found.directory, found.source) == (repo / "docker", "dockerfile-folder")
    assert "missing.txt" in found.reason
    none = found_for(repo, sources=())
    assert (none.directory, none.source) == (repo / "docker", "dockerfile-folder")


def test_sources_are_looked_for_up_to_the_repository_root_only(repo):
    (repo.parent / "outside.txt").write_text("x")
    assert found_for(repo, sources=("outside.txt",)).source == "dockerfile-folder"


def test_a_source_linked_out_of_the_folder_does_not_count(repo, tmp_path):
    (tmp_path / "secret").write_text("x")
    (repo / "docker" / "link").symlink_to(tmp_path / "secret")
    assert found_for(repo, sources=("link",)).source == "dockerfile-folder"


def test_flag_wins(repo):
    found = discover(repo / "docker" / "Dockerfile", ("app.bin",), flag=Path("ctx"))
    assert (found.directory, found.source) == (Path("ctx"), "flag")


def test_context_sources_from_the_parsed_dockerfile():
    text = ("FROM busybox AS b\nCOPY --from=b /x /x\nFROM busybox\nCOPY --chown=1 a.txt \"b c\" /dst/\n"
            "ADD https://example.com/x.tgz /x\nCOPY <<EOF /f\nhi\nEOF\nCOPY [\"j.json\", \"/j\"]\n"
            "COPY $UNSET ${DIR:-conf}/ /etc/\n")
    assert context_sources(parse(text)) == ["a.txt", "b c", "j.json", "conf/"]


def test_sources_are_computed_only_when_needed(repo):
    write(repo, {"compose.yaml": "services:\n  w:\n    build: {context: ., dockerfile: docker/Dockerfile}\n"})
    def fail() -> list[str]:
        raise AssertionError("sources asked for although compose names the Dockerfile")
    assert discover(repo / "docker" / "Dockerfile", fail).source == "compose"


# ----------------------------------------------------------------------------- bounds and bad files

def test_nearest_folder_wins(repo):
    write(repo, {"compose.yaml": "services:\n  w:\n    build: {context: ., dockerfile: docker/Dockerfile}\n",
                 "docker/compose.yaml": "services:\n  w:\n    build: .\n"})
    assert found_for(repo).directory == repo / "docker"


def test_search_stops_at_the_repository_root(repo):
    write(repo.parent, {"compose.yaml": "services:\n  w:\n    build: {context: repo, "
                                        "dockerfile: docker/Dockerfile}\n"})
    assert found_for(repo).source != "compose"


def test_malformed_files_are_skipped(repo, capsys):
    write(repo, {"compose.yaml": "services: [\n  : {{",
                 "docker-compose.yml": "- a list\n- not services\n",
                 "docker-bake.hcl": 'target "x" {\n  context = \n' + "{" * 100 + "\n",
                 "docker-bake.json": "{not json",
                 ".devcontainer/devcontainer.json": "/* unterminated",
                 ".github/workflows/ci.yml": "jobs: 3\n",
                 "Makefile": "all:\n\tdocker build -f 'unclosed .\n",
                 "docker/docker-compose.yml": "services:\n  w:\n    build:\n      context: [1, 2]\n"})
    found = found_for(repo, sources=("app.bin",))
    assert found.source == "sources-found"
    assert capsys.readouterr().err == ""


def test_deeply_nested_files_are_skipped(repo):
    write(repo, {"docker-bake.json": "[" * 100_000, ".devcontainer/devcontainer.json": "[" * 100_000,
                 "docker-bake.hcl": 'target "a" {\n' * 100 + "}" * 100})
    assert found_for(repo).source == "dockerfile-folder"


def test_large_files_are_not_read(repo):
    text = "services:\n  w:\n    build: {context: ., dockerfile: docker/Dockerfile}\n"
    write(repo, {"compose.yaml": text + "#" * MAX_BYTES + "\n"})
    assert found_for(repo).source != "compose"


def test_project_files_linked_out_of_the_repository_are_not_read(repo, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("services:\n  w:\n    build: {context: ., dockerfile: docker/Dockerfile}\n")
    (repo / "compose.yaml").symlink_to(outside)
    assert found_for(repo).source != "compose"


def test_a_fifo_is_not_read(repo):
    os.mkfifo(repo / "compose.yaml")
    assert found_for(repo).source != "compose"


def test_finder_reads_each_project_file_once(repo, monkeypatch):
    write(repo, {"compose.yaml": "services:\n  w:\n    build: {context: ., dockerfile: docker/Dockerfile}\n",
                 "docker/Dockerfile.dev": "FROM busybox\n"})
    import dlayerlint.simulate.context.discover as module
    calls = []
    real_read = module._read
    monkeypatch.setattr(module, "_read", lambda path, root: calls.append(path) or real_read(path, root))
    finder = ContextFinder()
    assert finder.find(repo / "docker" / "Dockerfile").source == "compose"
    assert finder.find(repo / "docker" / "Dockerfile.dev").source == "dockerfile-folder"
    assert calls == [str(repo / "compose.yaml")]


# ----------------------------------------------------------------------------- check and the LSP

COMPOSE_ROOT = "services:\n  web:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile\n"


def test_check_uses_the_compose_context(repo, run_cli):
    (repo / "app.bin").write_bytes(b"\0" * 4321)
    write(repo, {"compose.yaml": COMPOSE_ROOT,
                 "docker/Dockerfile": "FROM busybox\nCOPY app.bin /app.bin\nRUN chmod 0600 /app.bin\n"})
    ran = run_cli("check", "docker/Dockerfile", "--format", "json", cwd=repo)
    entry = json.loads(ran.out)["files"][0]
    assert (entry["context"], entry["context_source"]) == (".", "compose")
    assert entry["layers"][0]["added_bytes"] == 4321 and entry["layers"][0]["confidence"] == "exact"
    assert entry["stranded_bytes"] == 4321
    text = run_cli("check", "--layers", "docker/Dockerfile", cwd=repo).out
    assert "build context: . (compose: compose.yaml service web: build.context ., " \
           "build.dockerfile docker/Dockerfile)" in text


def test_check_context_flag_is_reported(repo, run_cli):
    ran = run_cli("check", "--context", ".", "docker/Dockerfile", "--format", "json", cwd=repo)
    entry = json.loads(ran.out)["files"][0]
    assert (entry["context"], entry["context_source"]) == (".", "flag")


def test_lsp_uses_the_same_discovery(repo):
    (repo / "app.bin").write_bytes(b"\0" * 777)
    write(repo, {"compose.yaml": COMPOSE_ROOT})
    text = "FROM busybox\nCOPY app.bin /app.bin\nRUN chmod 0600 /app.bin\n"
    result = lint_document(text, repo / "docker" / "Dockerfile", Config(), ContextCache())
    assert result.analysis is not None and result.analysis.context is not None
    assert result.analysis.context.root == repo
    assert result.analysis.stranded is not None and result.analysis.stranded.bytes == 777


# ----------------------------------------------------------------------------- the real build

def test_compose_root_case_matches_the_real_build_truth():
    """`dlayerlint check docker/Dockerfile` run from the case's root, against the bytes a
    buildah build of that compose-declared context stranded (stored in truth.json)."""
    if not (SHARED / "tools" / "realbuild.py").is_file():
        pytest.skip("../shared/tools/realbuild.py is absent: the real-build truth cannot be checked")
    if shutil.which("buildah") is None:
        pytest.skip("buildah is not installed: the real-build truth cannot be checked")
    truth = json.loads((CASE / "truth.json").read_text())
    env = dict(os.environ, PYTHONPATH=str(REPO))
    ran = subprocess.run([sys.executable, "-m", "dlayerlint", "check", "docker/Dockerfile", "--format", "json"],
                         cwd=CASE, env=env, capture_output=True, text=True, timeout=120, check=False)
    entry = json.loads(ran.stdout)["files"][0]
    assert entry["context_source"] == "compose"
    expected = truth["stranded_bytes_above_base"]
    assert expected > 0
    assert entry["stranded_bytes"] is not None and abs(entry["stranded_bytes"] - expected) <= 0.01 * expected
    predicted = [layer["stranded_bytes"] for layer in entry["layers"]]
    assert len(predicted) == len(truth["layers_stranded"])
    for guess, real in zip(predicted, truth["layers_stranded"]):
        assert guess is not None and abs(guess - real) <= 0.01 * max(real, 1)


TRICKY = ("# escape=`\nFROM busybox AS b\nRUN echo `\n  COPY not/a/source /x\nCOPY --chown=1:1 `\n"
          "  # a comment inside\n\n  a.txt b.txt /dst/\nRUN cat <<EOF > /f\nCOPY in/heredoc /x\nEOF\n"
          "COPY --from b /x /y\nadd [\"j son.json\", \"/j\"]\nCOPY --link c.txt /c\n")


@pytest.mark.parametrize("text", [TRICKY, TRICKY.replace("# escape=`\n", "").replace("`\n", "\\\n"),
                                  "FROM busybox\nCOPY a /a", "FROM busybox\nRUN x \\\n\nCOPY a /a\n"])
def test_text_sources_read_only_copy_lines_as_the_parser_does(text):
    assert text_sources(text) == context_sources(parse(text))


def test_text_sources_of_the_tricky_file():
    assert text_sources(TRICKY) == ["a.txt", "b.txt", "j son.json", "c.txt"]


def test_self_referencing_make_variables_and_long_lines_stay_bounded(repo):
    write(repo, {"Makefile": "A = $(A)$(A)x\nall:\n\tdocker build -f $(A) .\n\tdocker build " + "x" * 100_000 + "\n"})
    assert found_for(repo).source == "dockerfile-folder"


def test_outside_a_repository_only_the_dockerfile_folder_is_tried(tmp_path):
    write(tmp_path, {"etc/passwd": "x", "project/Dockerfile": "FROM busybox\nCOPY etc/ /etc/\n"})
    found = found_for(tmp_path, "project/Dockerfile", ("etc/",))
    assert (found.directory, found.source) == (tmp_path / "project", "dockerfile-folder")
    assert "no .git" in found.reason


def test_sources_that_match_anywhere_choose_nothing(repo):
    found = found_for(repo, sources=(".", "./*"))
    assert (found.directory, found.source) == (repo / "docker", "dockerfile-folder")


def test_bake_inherits_cycles_stay_linear(repo):
    targets = {f"t{i}": {"inherits": [f"t{(i + 1) % 60}", f"t{(i + 2) % 60}"]} for i in range(60)}
    targets["t0"].update(context=".", dockerfile="docker/Dockerfile")
    write(repo, {"docker-bake.json": json.dumps({"target": targets})})
    assert found_for(repo).source == "bake"
