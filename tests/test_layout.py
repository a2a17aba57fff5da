"""The package layout is the pipeline: each package imports only the ones below it,
and the command knowledge names only verbs that have a handler."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dlayerlint.simulate.effects import VERBS
from dlayerlint.simulate.knowledge import _command, knowledge

PACKAGE = Path(__file__).resolve().parents[1] / "dlayerlint"
# lowest first; a module may import its own layer and the ones before it
LAYERS = ("core", "dockerfile", "shell", "simulate", "rules", "fixes", "config", "lint", "report", "lsp", "app")
EXEMPT = {"__init__", "__main__"}   # the package's entry points: `python -m dlayerlint` runs app.cli


def _layer(module: str) -> str:
    return module.split(".")[1]


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        module = ".".join(parts)
        if len(parts) > 1 and parts[1] not in EXEMPT:
            found.append((module, path))
    return found


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    """Every dlayerlint module this file imports, at any depth (TYPE_CHECKING too)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] if node.module or not node.level else [f"{target}.{a.name}" for a in node.names]
            found += [(node.lineno, name) for name in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("dlayerlint.")]


def test_every_module_belongs_to_a_layer():
    strays = [module for module, _ in _modules() if _layer(module) not in LAYERS]
    assert not strays, f"modules outside the layers {LAYERS}: {strays}"


@pytest.mark.parametrize("module,path", _modules(), ids=[m for m, _ in _modules()])
def test_imports_point_down_the_pipeline(module, path):
    own = LAYERS.index(_layer(module))
    upward = [f"line {line}: {name}" for line, name in _imports(module, path)
              if _layer(name) in LAYERS and LAYERS.index(_layer(name)) > own]
    assert not upward, f"{module} ({LAYERS[own]}) imports higher layers: {upward}"


def test_every_verb_in_the_knowledge_has_a_handler():
    verbs = {spec.verb for spec in knowledge().commands.values()}
    assert verbs <= set(VERBS), sorted(verbs - set(VERBS))


def test_a_misspelt_verb_fails_when_the_knowledge_loads():
    with pytest.raises(ValueError, match="'chmodd'.*no handler"):
        _command("chmod", {"verb": "chmodd"})


def test_the_layer_test_sees_an_upward_import(tmp_path):
    fake = tmp_path / "dlayerlint" / "core"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("from ..lint import analyze\n", encoding="utf-8")
    assert _imports("dlayerlint.core.bad", fake / "bad.py") == [(1, "dlayerlint.lint")]
