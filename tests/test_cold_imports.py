"""A single-file `check` imports only what it uses: a cold run (a pre-commit hook, an editor
save) pays for every module it loads. Counted as modules, not timed."""
import subprocess
import sys
from pathlib import Path

from dlayerlint.core.record import Record

REPO = Path(__file__).resolve().parents[1]
UNUSED_BY_CHECK = ("dlayerlint.app.verify", "dlayerlint.app.docker_install", "dlayerlint.app.completion",
                   "dlayerlint.lsp", "subprocess", "hashlib", "difflib", "tomllib", "yaml")


def test_check_imports_neither_other_subcommands_nor_their_libraries(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine\nRUN echo hi > /a && rm /a\n")
    code = ("import sys; from dlayerlint.app.cli import main; main(['check', sys.argv[1]]); "
            f"print(sorted(m for m in {UNUSED_BY_CHECK!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code, str(dockerfile)], capture_output=True, text=True,
                         check=False, cwd=REPO)
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stderr


class _Pair(Record):  # pylint: disable=too-few-public-methods  # a value
    __slots__ = ("left", "right", "_cache")

    def __init__(self, left: int, right: str) -> None:
        self.left = left
        self.right = right
        self._cache = object()   # private: no field


class _Mutable(_Pair):  # pylint: disable=too-few-public-methods
    __slots__ = ("extra",)
    __hash__ = None   # type: ignore[assignment]

    def __init__(self, left: int, right: str, extra: list[int]) -> None:
        super().__init__(left, right)
        self.extra = extra


def test_records_compare_hash_and_show_their_fields_as_dataclasses_do():
    assert _Pair(1, "a") == _Pair(1, "a") and _Pair(1, "a") != _Pair(1, "b")
    assert hash(_Pair(1, "a")) == hash(_Pair(1, "a")) and len({_Pair(1, "a"), _Pair(1, "a")}) == 1
    assert repr(_Pair(1, "a")) == "_Pair(left=1, right='a')"
    assert _Mutable(1, "a", [2]) != _Pair(1, "a")   # another class is never equal
    assert _Mutable(1, "a", [2]) == _Mutable(1, "a", [2])
    assert repr(_Mutable(1, "a", [2])) == "_Mutable(left=1, right='a', extra=[2])"
    assert _Mutable.__hash__ is None
