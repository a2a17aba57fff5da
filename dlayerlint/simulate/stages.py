"""Replays a stage's instructions over a `SymbolicFS`, one layer per RUN, COPY
and ADD, tracking ARG/ENV/WORKDIR/USER/SHELL as BuildKit would.

A stage built `FROM` an earlier stage replays that stage first: its layers are
part of the image. `COPY --from` reads another stage's final tree.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from .effects.packages import StageFacts
from .effects.runner import CommandRunner
from .context.build import BuildContext
from ..dockerfile.expand import expand_word, parse_assignments, split_words
from .fs import Origin, SymbolicFS, has_glob
from .knowledge import Knowledge
from ..dockerfile.model import Dockerfile, Instruction, Stage
from ..core.spans import TextMap
from .script import SHELLS, _ScriptWalker, _script_with_heredocs, _mount_targets
from .layers import Layer, BuildState, StageRun
from .copy import _Copier, _single_source_name

LAYER_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
# `<<EOF <<'EOT'`: an fd number needs a blank (or the start) before it, so the
# digits ending one delimiter cannot also start the next marker (no backtracking).
ONLY_HEREDOCS = re.compile(r"(?:(?:(?:^|\s+)\d+|\s*)<<-?\s*([\"']?)[A-Za-z0-9_.\-]+\1)+\s*")


class Replayer:
    def __init__(self, dockerfile: Dockerfile, knowledge: Knowledge, context: BuildContext | None,
                 build_args: Mapping[str, str]) -> None:
        self.dockerfile = dockerfile
        self.knowledge = knowledge
        self.context = context
        self.build_args = dict(build_args)
        self.global_args = self._global_args()
        self._runs: dict[int, StageRun] = {}
        self.missing_sources: list[str] = []   # COPY/ADD sources the context did not hold

    # -- stages --------------------------------------------------------------------------

    def _global_args(self) -> dict[str, str | None]:
        args: dict[str, str | None] = {}
        for instruction in self.dockerfile.global_instructions:
            if instruction.keyword == "ARG":
                for name, value in parse_assignments(instruction.arguments, self.dockerfile.escape, args):
                    args[name] = self.build_args.get(name, value)
        return args

    def stage_index(self, reference: str | None) -> int | None:
        """The stage named or numbered by `reference`."""
        stage = self.dockerfile.stage_named(reference)
        return stage.index if stage is not None else None

    def base_reference(self, stage: Stage) -> str | None:
        return expand_word(stage.base, self.global_args, self.dockerfile.escape)

    def run(self, index: int) -> StageRun:
        """The stage replayed with its ancestors (memoised). The stages it
        may `COPY --from` are replayed first, lowest first, so a long chain of
        them never nests Python calls (each needs only memoised ones)."""
        if index in self._runs:   # COPY --from asks for a stage run() already replayed: not its ancestry again
            return self._runs[index]
        for needed in self._copied_from(index):
            self._memoised(needed)
        return self._memoised(index)

    def _memoised(self, index: int) -> StageRun:
        if index not in self._runs:
            self._runs[index] = self._replay(self.dockerfile.stages[index])
        return self._runs[index]

    def _copied_from(self, index: int) -> list[int]:
        """Earlier stages that stage index or its FROM ancestors may name in
        `COPY --from`, transitively (a `--from=$X` not known from the global
        ARGs, e.g. set by ENV, may name any earlier stage)."""
        copied: set[int] = set()
        pending, seen = [index], {index}
        while pending:
            stage = self.dockerfile.stages[pending.pop()]
            sources = self._copy_sources(stage)
            copied.update(sources)
            for other in sources + self._earlier(stage, [self.base_reference(stage)]):
                if other not in seen:
                    seen.add(other)
                    pending.append(other)
        return sorted(copied)

    def _copy_sources(self, stage: Stage) -> list[int]:
        references = [expand_word(value, self.global_args)
                      for instruction in stage.instructions for value in instruction.flag_values("from")]
        if None in references:
            return list(range(stage.index))
        return self._earlier(stage, references)

    def _earlier(self, stage: Stage, references: list[str | None]) -> list[int]:
        """The stages before stage that references name."""
        indexes = (self.stage_index(reference) for reference in references)
        return [i for i in indexes if i is not None and i < stage.index]

    def _replay(self, stage: Stage) -> StageRun:
        """A stage FROM an earlier one continues that one's replay (a fresh
        one: the child changes its filesystem); the chain is walked in a loop."""
        chain = [stage]
        reference = self.base_reference(stage)
        parent = self.stage_index(reference)
        while parent is not None and parent < chain[-1].index:
            chain.append(self.dockerfile.stages[parent])
            reference = self.base_reference(chain[-1])
            parent = self.stage_index(reference)
        root = chain.pop()
        layout = self.knowledge.base_layout(reference or "")
        run = StageRun(root, reference, SymbolicFS(), StageFacts(self.knowledge.base_family(reference or ""),
                                                             layout=layout), [],
                       BuildState(env={}, workdir=layout.workdir))
        self._apply_all(run)
        for child in reversed(chain):
            run = StageRun(child, None, run.fs, run.facts, list(run.layers),
                           BuildState(dict(run.state.env), run.state.workdir, run.state.user, run.state.shell),
                           run.copied_names)
            self._apply_all(run)
        return run

    def _apply_all(self, run: StageRun) -> None:
        for instruction in run.stage.instructions:
            self._apply(instruction, run)

    # -- instructions ------------------------------------------------------------------------

    def _apply(self, instruction: Instruction, run: StageRun) -> None:
        keyword = instruction.keyword
        state = run.state
        escape = self.dockerfile.escape
        if keyword == "ARG":
            for name, value in parse_assignments(instruction.arguments, escape, state.env):
                given = self.build_args.get(name)
                state.env[name] = given if given is not None else value if value is not None \
                    else self.global_args.get(name)
        elif keyword == "ENV":
            for name, value in parse_assignments(instruction.arguments, escape, state.env):
                state.env[name] = value
        elif keyword == "WORKDIR":
            path = expand_word(instruction.arguments.strip(), state.env, escape)
            state.workdir = posixpath.normpath(posixpath.join(state.workdir, path)) if path else state.workdir
            run.fs.ensure_dir(state.workdir, created=True)
        elif keyword == "USER":
            user = expand_word(instruction.arguments.strip(), state.env, escape)
            state.user = user.split(":", 1)[0] if user else None
        elif keyword == "SHELL" and instruction.exec_form:
            state.shell = instruction.exec_form
        elif keyword in LAYER_KEYWORDS:
            layer = Layer(instruction, run.stage.label)
            run.layers.append(layer)
            if keyword == "RUN":
                self._run_instruction(instruction, run, layer)
            else:
                self._copy_instruction(instruction, run, layer)

    def origin(self, instruction: Instruction, start: int = 0, end: int | None = None,
               text_map: TextMap | None = None, text: str | None = None) -> Origin:
        if end is None:
            return Origin.later(instruction.index, lambda: (instruction.span, instruction.summary()))
        where = text_map or instruction.arguments_map
        source = text if text is not None else instruction.arguments
        return Origin.later(instruction.index, lambda: (where.span(start, end), " ".join(source[start:end].split())))

    # -- RUN -------------------------------------------------------------------------------------

    def _run_instruction(self, instruction: Instruction, run: StageRun, layer: Layer) -> None:
        masked = tuple(_mount_targets(instruction, run.state.workdir))
        runner = CommandRunner(run.fs, run.facts, self.knowledge, masked, layer.unknown)
        walker = _ScriptWalker(self, instruction, run, runner)
        if run.state.shell[0].rsplit("/", 1)[-1] not in SHELLS:
            layer.unknown.append(f"SHELL {run.state.shell[0]} is not a POSIX shell")
        elif instruction.exec_form is not None:
            walker.exec_form(instruction.exec_form)
        elif instruction.heredocs and ONLY_HEREDOCS.fullmatch(instruction.arguments):
            heredoc = instruction.heredocs[0]
            walker.walk(heredoc.body, heredoc.body_map)
        else:
            walker.walk(*_script_with_heredocs(instruction))

    # -- COPY and ADD --------------------------------------------------------------------------------

    def _copy_instruction(self, instruction: Instruction, run: StageRun, layer: Layer) -> None:
        words = list(instruction.exec_form) if instruction.exec_form is not None else \
            split_words(instruction.arguments, self.dockerfile.escape)
        values = [expand_word(word, run.state.env, self.dockerfile.escape) if not word.startswith("<<") else word
                  for word in words]
        if len(values) < 2:
            return
        *sources, destination = values
        if destination is None:
            layer.unknown.append("destination depends on an unknown variable")
            return
        target = posixpath.normpath(posixpath.join(run.state.workdir, destination))
        layer.destination = target
        name = _single_source_name(sources)
        if name and run.copied_names.get(target, name) != name:
            run.fs.demote_to_dir(target, run.copied_names.pop(target))
        into_dir = destination.endswith("/") or len(sources) > 1 or run.fs.is_dir(target) \
            or any(s is not None and has_glob(s) for s in sources) \
            or (run.facts.layout is not None and run.facts.layout.has_dir(target))   # COPY x.tgz /opt
        copier = _Copier(self, instruction, run, layer, self.origin(instruction))
        for source in sources:
            copier.copy(source, target, into_dir)
        if name and not into_dir and not run.fs.is_dir(target):
            run.copied_names[target] = name
