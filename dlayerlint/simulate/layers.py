"""A replayed stage: its layers (one per RUN/COPY/ADD) and the build state they saw."""
from __future__ import annotations

from dataclasses import dataclass, field

from .effects.packages import StageFacts
from .fs import SymbolicFS
from ..dockerfile.model import Instruction, Stage


@dataclass(slots=True)
class Layer:
    instruction: Instruction
    stage: str
    unknown: list[str] = field(default_factory=list)   # why its bytes are a lower bound
    destination: str | None = None   # COPY/ADD: where it copies to, WORKDIR and variables resolved

    @property
    def index(self) -> int:
        return self.instruction.index


@dataclass(slots=True)
class BuildState:
    env: dict[str, str | None]
    workdir: str = "/"
    user: str | None = None
    shell: tuple[str, ...] = ("/bin/sh", "-c")

    def home(self) -> str | None:
        return "/root" if self.user in (None, "root", "0") else None


@dataclass(slots=True)
class StageRun:
    stage: Stage
    base: str | None            # the resolved FROM image, None when it is a stage
    fs: SymbolicFS
    facts: StageFacts
    layers: list[Layer]
    state: BuildState
    # file destinations of single-source COPYs → the source's name; a second
    # COPY of another name to the same path shows that path is a directory
    copied_names: dict[str, str] = field(default_factory=dict)
