"""Predicted apt layer bytes (dlayerlint.simulate.apt) against real builds (tests/accuracy_apt/truth.json).

usage: python3 benchmarks/apt_accuracy.py [--json]

For each case the Dockerfile's RUN lines are read for their apt-get install / purge / remove /
autoremove commands (the simple `a && b` forms the cases use; the engine's shell model does
this for real files), and the module predicts, per layer, the bytes the layer adds and, per
case, the bytes stranded above the base.  Two figures are printed for each install layer:
``pkgs`` is the closure's Installed-Size alone; ``predicted`` is ``apt.layer_bytes``: that
plus the dpkg records of the new packages, the byte-code compiled for Python packages and the
dpkg and debconf databases each apt layer rewrites (constants measured on real builds, see
tests/accuracy_apt/README.md).  Stranded bytes are what the purges remove (at the same rates)
plus the databases each later apt layer copies up.
Target: within +-25% of the real build.
"""
from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlayerlint.simulate import apt  # noqa: E402  pylint: disable=wrong-import-position

CASES = ROOT / "tests" / "accuracy_apt"
TARGET = 0.25


@dataclass
class State:
    """The packages of the image so far, and which layer brought each one in."""
    index: apt.PackageIndex
    installed: set[str]
    auto: set[str]
    layer_of: dict[str, int] = field(default_factory=dict)
    stranded: dict[int, int] = field(default_factory=dict)
    db_layer: int = 0

    def run_install(self, layer: int, words: list[str]) -> apt.InstallPlan:
        names = [w for w in words if not w.startswith("-")]
        plan = apt.install(self.index, names, self.installed, recommends="--no-install-recommends" not in words)
        self.installed |= set(plan.packages)
        self.auto = (self.auto | set(plan.auto)) - set(plan.manual)
        self.layer_of.update({p: layer for p in plan.packages})
        return plan

    def run_remove(self, names: list[str], *, autoremove: bool) -> None:
        plan = apt.remove(self.index, self.installed, self.auto, names, autoremove=autoremove)
        for name in plan.packages:
            # what the install layer wrote for the package: its files and its dpkg records
            size = apt.layer_bytes(self.index, apt.InstallPlan((name,), (), self.size_of(name)), 0)
            origin = self.layer_of.get(name, 0)
            self.stranded[origin] = self.stranded.get(origin, 0) + size
        self.installed -= set(plan.packages)
        self.auto -= set(plan.packages)

    def size_of(self, name: str) -> int:
        return (self.index.packages[name].installed_size_kib or 0) * 1024

    def rewrite_databases(self, layer: int, count_before: int) -> None:
        """An apt layer copies up the databases the last apt layer (or the base) wrote."""
        self.stranded[self.db_layer] = self.stranded.get(self.db_layer, 0) + apt.database_bytes(count_before)
        self.db_layer = layer


def apt_commands(run: str):
    """(verb, words) for each apt-get command of a RUN line."""
    lexer = shlex.shlex(run, posix=True, punctuation_chars=True)
    command: list[str] = []
    for token in [*lexer, ";"]:
        if token not in ("&&", ";", "||", "|"):
            command.append(token)
            continue
        if command[:1] == ["apt-get"]:
            verb = next((w for w in command[1:] if not w.startswith("-")), "")
            yield verb, [w for w in command[command.index(verb) + 1:] if w != "-y"]
        command = []


def predict(dockerfile: Path) -> tuple[list[dict], int]:
    """Per layer (index, kind, package bytes, predicted bytes) and the stranded total above the base."""
    lines = [l for l in dockerfile.read_text().splitlines() if l.strip()]
    base = apt.base_set(lines[0].split()[1])
    state = State(apt.index(base.release), set(base.packages), set(base.auto_installed))
    layers = []
    for layer, line in enumerate(lines[1:], start=1):
        before, plans, kind = len(state.installed), [], "other"
        for verb, words in apt_commands(line.removeprefix("RUN ")):
            if verb == "install":
                plans.append(state.run_install(layer, words))
                kind = "install"
            elif verb in ("purge", "remove", "autoremove"):
                names = [w for w in words if not w.startswith("-")]
                state.run_remove(names, autoremove=verb == "autoremove" or "--auto-remove" in words)
                kind = "install" if kind == "install" else "remove"
        if kind == "other":
            layers.append({"layer": layer, "kind": kind, "packages_bytes": 0, "predicted": 0})
            continue
        state.rewrite_databases(layer, before)
        plan = apt.InstallPlan(tuple(p for pl in plans for p in pl.packages), (),
                               sum(pl.installed_bytes for pl in plans))
        layers.append({"layer": layer, "kind": kind, "packages_bytes": plan.installed_bytes,
                       "predicted": apt.layer_bytes(state.index, plan, len(state.installed))})
    return layers, sum(v for k, v in state.stranded.items() if k > 0)


def ratio(predicted: int, real: int) -> str:
    return f"{predicted / real:.2f}" if real else "-"


def rows(truth: dict):
    for case, real in sorted(truth["cases"].items()):
        layers, stranded = predict(CASES / case / "Dockerfile")
        for pred in layers:
            if pred["kind"] == "other":
                continue
            actual = real["layers"][pred["layer"]]["file_bytes"]
            yield case, f"layer {pred['layer']} {pred['kind']}", pred["packages_bytes"], pred["predicted"], actual
        yield case, "stranded above base", None, stranded, real["stranded_bytes_above_base"]


def main() -> int:
    truth = json.loads((CASES / "truth.json").read_text())
    table = list(rows(truth))
    if "--json" in sys.argv:
        print(json.dumps([dict(zip(("case", "what", "pkgs", "predicted", "real"), r)) for r in table], indent=1))
        return 0
    print(f"{'case':24} {'what':22} {'pkgs':>12} {'predicted':>12} {'real':>12} {'ratio':>6}  in ±25%")
    inside = 0
    for case, what, pkgs, predicted, real in table:
        ok = real == predicted == 0 or (real and abs(predicted / real - 1) <= TARGET)
        inside += bool(ok)
        print(f"{case:24} {what:22} {'' if pkgs is None else pkgs:>12} {predicted:>12} {real:>12} "
              f"{ratio(predicted, real):>6}  {'yes' if ok else 'NO'}")
    print(f"{inside}/{len(table)} within ±25% (truth: {truth['tool']}, {truth['date']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
