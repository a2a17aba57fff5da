"""Replays a stage's instructions over a `SymbolicFS`, one layer per RUN, COPY
and ADD, tracking ARG/ENV/WORKDIR/USER/SHELL as BuildKit would.

A stage built `FROM` an earlier stage replays that stage first: its layers are
part of the image. `COPY --from` reads another stage's final tree.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .commands import CommandRunner, Invocation, StageFacts
from .context import BuildContext, has_wildcards
from .expand import expand_word, parse_assignments, split_words
from .fs import Origin, SymbolicFS
from .knowledge import Knowledge
from .model import Dockerfile, Heredoc, Instruction, Stage, TextMap
from .shell import Command, Script, Word, parse_script
from .sizes import UNKNOWN, Confidence, Size, exact

LAYER_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
MASKING_MOUNTS = frozenset({"cache", "tmpfs", "bind", "secret", "ssh"})
# `<<EOF <<'EOT'`: an fd number needs a blank (or the start) before it, so the
# digits ending one delimiter cannot also start the next marker (no backtracking).
ONLY_HEREDOCS = re.compile(r"(?:(?:(?:^|\s+)\d+|\s*)<<-?\s*([\"']?)[A-Za-z0-9_.\-]+\1)+\s*")
URL = re.compile(r"^(?:https?|git|ssh)://|^git@")


@dataclass(slots=True)
class Layer:
    instruction: Instruction
    stage: str
    unknown: list[str] = field(default_factory=list)   # why its bytes are a lower bound

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


@dataclass(slots=True)
class _Frame:
    cwd: str | None
    variables: dict[str, str | None]


class Replayer:
    def __init__(self, dockerfile: Dockerfile, knowledge: Knowledge, context: BuildContext | None,
                 build_args: Mapping[str, str]) -> None:
        self.dockerfile = dockerfile
        self.knowledge = knowledge
        self.context = context
        self.build_args = dict(build_args)
        self.global_args = self._global_args()
        self._runs: dict[int, StageRun] = {}

    # -- stages --------------------------------------------------------------------------

    def _global_args(self) -> dict[str, str | None]:
        args: dict[str, str | None] = {}
        for instruction in self.dockerfile.global_instructions:
            if instruction.keyword == "ARG":
                for name, value in parse_assignments(instruction.arguments, self.dockerfile.escape, args):
                    args[name] = self.build_args.get(name, value)
        return args

    def stage_index(self, reference: str | None) -> int | None:
        """An earlier stage named or numbered by `reference`."""
        if reference is None:
            return None
        for stage in self.dockerfile.stages:
            if stage.name == reference.lower() or str(stage.index) == reference:
                return stage.index
        return None

    def base_reference(self, stage: Stage) -> str | None:
        return expand_word(stage.base, self.global_args, self.dockerfile.escape)

    def run(self, index: int) -> StageRun:
        """The stage replayed with its ancestors (memoised). The stages it
        may `COPY --from` are replayed first, lowest first, so a long chain of
        them never nests Python calls (each needs only memoised ones)."""
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
        run = StageRun(root, reference, SymbolicFS(), StageFacts(self.knowledge.base_family(reference or "")), [],
                       BuildState(env={}))
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
        name = _single_source_name(sources)
        if name and run.copied_names.get(target, name) != name:
            run.fs.demote_to_dir(target, run.copied_names.pop(target))
        into_dir = destination.endswith("/") or len(sources) > 1 or run.fs.is_dir(target) \
            or any(s is not None and _has_wildcard(s) for s in sources)
        copier = _Copier(self, instruction, run, layer, self.origin(instruction))
        for source in sources:
            copier.copy(source, target, into_dir)
        if name and not into_dir and not run.fs.is_dir(target):
            run.copied_names[target] = name


class _Copier:  # pylint: disable=too-few-public-methods
    """One COPY/ADD: where each source's bytes land and how many there are."""

    def __init__(self, replayer: Replayer, instruction: Instruction, run: StageRun, layer: Layer,
                 origin: Origin) -> None:
        self.replayer = replayer
        self.instruction = instruction
        self.run = run
        self.layer = layer
        self.origin = origin
        self.knowledge = replayer.knowledge
        self.from_stage = instruction.flag_values("from")[-1] if instruction.flag("from") else None

    def _write(self, path: str, size: Size, source_name: str = "") -> None:
        tags = self.knowledge.file_tags(path)
        if source_name and "secret" not in tags and self.knowledge.is_secret(source_name):
            tags |= {"secret"}
        self.run.fs.write(path, size, self.origin, tags)

    def _unknown(self, reason: str, target: str) -> None:
        self.layer.unknown.append(reason)
        self.run.fs.add_blob(target, UNKNOWN, self.origin)

    def copy(self, source: str | None, target: str, into_dir: bool) -> None:
        if source is None:
            self._unknown("a source depends on an unknown variable", target if into_dir else posixpath.dirname(target))
        elif source.startswith("<<"):
            self._heredoc(source, target, into_dir)
        elif self.from_stage is not None:
            self._from_stage(source, target, into_dir)
        elif URL.match(source):
            self._download(source, target, into_dir)
        else:
            self._from_context(source, target, into_dir)

    def _heredoc(self, marker: str, target: str, into_dir: bool) -> None:
        name = marker.lstrip("<-").strip("\"'")
        heredoc = next((h for h in self.instruction.heredocs if h.delimiter == name), None)
        if heredoc is None:
            return
        self._write(posixpath.join(target, name) if into_dir else target, _heredoc_size(heredoc))

    def _download(self, url: str, target: str, into_dir: bool) -> None:
        if self.instruction.keyword != "ADD":
            return
        if url.startswith("git") or url.endswith(".git"):
            self._unknown(f"ADD of the git repository {url}", target)
            return
        self.layer.unknown.append(f"ADD {url}")
        name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        self._write(posixpath.join(target, name) if into_dir else target, UNKNOWN)

    def _from_stage(self, source: str, target: str, into_dir: bool) -> None:
        index = self.replayer.stage_index(expand_word(self.from_stage or "", self.run.state.env))
        if index is None or index >= self.run.stage.index:
            self._unknown(f"COPY --from={self.from_stage}: an image we cannot see", target)
            return
        other = self.replayer.run(index).fs
        path = posixpath.normpath(posixpath.join("/", source))
        nodes = other.glob(path) if _has_wildcard(path) else [n for n in [other.lookup(path)] if n is not None]
        if not nodes:
            self._unknown(f"COPY --from={self.from_stage} {source}: not made by a tracked command", target)
            return
        for node in nodes:
            if node.is_dir:
                self.run.fs.ensure_dir(target, created=True)
                if node.from_base:
                    self.layer.unknown.append(f"{node.path} in stage {self.from_stage} may hold base-image files")
            for item in node.walk():
                relative = item.path[len(node.path):].lstrip("/")
                if node.is_dir:
                    destination = posixpath.join(target, relative) if relative else target
                else:
                    destination = posixpath.join(target, node.name) if into_dir else target
                if item.is_dir:
                    self.run.fs.ensure_dir(destination, created=True)
                elif item.version is not None:
                    self._write(destination, item.version.size, item.name)

    def _from_context(self, source: str, target: str, into_dir: bool) -> None:
        context = self.replayer.context
        if context is None:
            self._without_context(source, target, into_dir)
            return
        matches = context.match(source, self.instruction.flag_values("exclude"))
        if not matches and not has_wildcards(source):   # a wildcard may match nothing
            self.layer.unknown.append(f"{source} is not in the build context (the build would fail)")
            return
        for match in matches:
            members = context.archive_entries(match.source) \
                if self.instruction.keyword == "ADD" and not match.is_dir else None
            if members is not None:   # ADD unpacks local archives
                self.run.fs.ensure_dir(target, created=True)
                for member in members:
                    self._place(posixpath.join(target, member.rel), member.size, member.is_dir)
            elif match.is_dir:
                self.run.fs.ensure_dir(target, created=True)
                folder = target.rstrip("/") + "/"   # the target is normalised, entry.rel relative
                for entry in match.entries:
                    self._place(folder + entry.rel if entry.rel else target, entry.size, entry.is_dir)
            else:
                name = posixpath.basename(match.source)
                self._place(posixpath.join(target, name) if into_dir else target, match.entries[0].size, False)

    def _without_context(self, source: str, target: str, into_dir: bool) -> None:
        """A named source still lands at a known path, of unknown size."""
        self.layer.unknown.append(f"{source}: no build context")
        name = posixpath.basename(posixpath.normpath(source))
        if _has_wildcard(source) or source.endswith("/") or name in (".", "", ".."):
            self.run.fs.add_blob(target, UNKNOWN, self.origin)
        else:
            self._write(posixpath.join(target, name) if into_dir else target, UNKNOWN, name)

    def _place(self, path: str, size: int, is_dir: bool) -> None:
        if is_dir:
            self.run.fs.ensure_dir(path, created=True)
        else:
            self._write(path, exact(size))


class _ScriptWalker:
    """Walks a RUN's shell commands, keeping `cd` and variables per subshell."""

    def __init__(self, replayer: Replayer, instruction: Instruction, run: StageRun,
                 runner: CommandRunner) -> None:
        self.replayer = replayer
        self.instruction = instruction
        self.run = run
        self.runner = runner
        self.heredocs = list(instruction.heredocs)
        env = dict(run.state.env)
        if env.get("HOME") is None:
            env["HOME"] = run.state.home()
        self.env = env
        self.frames: dict[tuple[int, ...], _Frame] = {}
        self.piped: tuple[int, Size | None] = (-1, UNKNOWN)   # end offset and stdout of the last command

    def exec_form(self, argv: tuple[str, ...]) -> None:
        name = argv[0].rsplit("/", 1)[-1] if argv else ""
        if name in SHELLS and "-c" in argv[1:-1]:
            script = argv[argv.index("-c", 1) + 1]
            start = self.instruction.arguments.find(script)
            if start >= 0 and "\\" not in script:
                self.walk(script, self.instruction.arguments_map.shifted(start))
            else:
                start_of = self.instruction.arguments_map.position(0)
                self.walk(script, TextMap(((0, start_of.line, start_of.column),), len(script)))
            return
        self.runner.cwd = self.run.state.workdir
        self.runner.env = self.env
        self.runner.run(Invocation(name, [(word, None) for word in argv[1:]], self._exec_origin(argv)))

    def _exec_origin(self, argv: tuple[str, ...]) -> Origin:
        """`RUN ["rm", "/y"]`: from the command's first character to the last element's end."""
        arguments = self.instruction.arguments
        start = arguments.find('"', 1) + 1
        end = arguments.rfind('"')
        if start <= 0 or end < start:
            return self.replayer.origin(self.instruction)
        span = self.instruction.arguments_map.span(start, end)
        return Origin(self.instruction.index, span, " ".join(argv))

    def walk(self, body: str, text_map: TextMap) -> None:
        script: Script = parse_script(body)
        if script.not_parsed is not None:
            self.runner.note_unknown(f"a shell script not analysed: {script.not_parsed}")
            return
        self.piped = (-1, UNKNOWN)
        for command in script.commands:
            self._command(command, body, text_map)

    def _pipe_input(self, command: Command, body: str) -> Size | None:
        """The stdout of the command piped into this one, if it is."""
        end, stdout = self.piped
        if end >= 0 and body[end:command.start].strip() in ("|", "|&"):
            return stdout
        return UNKNOWN

    def _frame(self, scope: tuple[int, ...]) -> _Frame:
        frame = self.frames.get(scope)
        if frame is None:
            parent = self._frame(scope[:-1]) if scope else _Frame(self.run.state.workdir, {})
            frame = _Frame(parent.cwd, dict(parent.variables))
            self.frames[scope] = frame
        return frame

    def _resolve(self, word: Word, frame: _Frame) -> str | None:
        if len(word.parts) == 1 and word.parts[0].kind in ("text", "glob"):
            return word.parts[0].value   # most words: nothing to expand
        env = {**self.env, **frame.variables}
        out = []
        for part in word.parts:
            if part.kind in ("text", "glob"):
                out.append(part.value)
            elif part.kind == "param":
                out.append(expand_word(part.value, env))   # type: ignore[arg-type]
            elif part.kind == "tilde" and part.value == "~":
                out.append(env.get("HOME"))  # type: ignore[arg-type]
            else:
                return None
            if out[-1] is None:
                return None
        return "".join(out)  # type: ignore[arg-type]

    def _command(self, command: Command, body: str, text_map: TextMap) -> None:
        frame = self._frame(command.scope)
        if not command.argv:
            for name, value in command.assignments:
                frame.variables[name] = self._resolve(value, frame)
            return
        words = [(self._resolve(word, frame), word) for word in command.argv]
        words = _unwrap(words, self.replayer.knowledge.wrappers)
        if not words or words[0][0] is None:
            self.runner.note_unknown("a command whose name is not known before the build")
            return
        name = posixpath.basename(words[0][0])
        origin = self.replayer.origin(self.instruction, command.start, command.end, text_map, body)
        if self._builtin(name, words[1:], frame):
            self._consume_heredocs(command)
            return
        if command.conditional:
            self._consume_heredocs(command)
            if name not in self.replayer.knowledge.no_effect:
                self.runner.note_unknown(f"`{name}` that may not run")
            return
        stdin = self._stdin(command, frame, self._pipe_input(command, body))
        if name in SHELLS and stdin[1] is not None and len(words) == 1:
            heredoc = stdin[1]
            self.walk(heredoc.body, heredoc.body_map)
            return
        self.runner.cwd = frame.cwd
        self.runner.env = {**self.env, **frame.variables}
        glob_words = frozenset(i for i, (_, word) in enumerate(words[1:]) if word is not None and word.has_glob)
        stdout = self.runner.run(Invocation(name, words[1:], origin, stdin[0], glob_words))
        self.piped = (command.end, stdout)
        self._redirect(command, stdout if stdout is not None else UNKNOWN, frame, origin)

    def _builtin(self, name: str, words: list, frame: _Frame) -> bool:
        if name == "cd":
            target = words[0][0] if words else self.env.get("HOME")
            frame.cwd = None if target is None or frame.cwd is None and not target.startswith("/") \
                else posixpath.normpath(posixpath.join(frame.cwd or "/", target))
            return True
        if name in ("export", "readonly", "declare", "local", "typeset"):
            for text, _ in words:
                if text and "=" in text and not text.startswith("-"):
                    key, _, value = text.partition("=")
                    frame.variables[key] = value
            return True
        return False

    def _consume_heredocs(self, command: Command) -> None:
        for redirect in command.redirects:
            if redirect.op.startswith("<<") and redirect.op != "<<<" and self.heredocs:
                self.heredocs.pop(0)

    def _stdin(self, command: Command, frame: _Frame, piped: Size | None) -> tuple[Size | None, Heredoc | None]:
        size: Size | None = piped
        heredoc = None
        for redirect in command.redirects:
            if redirect.op.startswith("<<") and redirect.op != "<<<":
                heredoc = self.heredocs.pop(0) if self.heredocs else None
                size = _heredoc_size(heredoc) if heredoc is not None else UNKNOWN
            elif redirect.op == "<<<" and redirect.target is not None:
                text = self._resolve(redirect.target, frame)
                size = exact(len(text.encode()) + 1) if text is not None else UNKNOWN
            elif redirect.op == "<" and redirect.target is not None:
                self.runner.cwd = frame.cwd
                size = self.runner.file_size(self._resolve(redirect.target, frame))
        return size, heredoc

    def _redirect(self, command: Command, stdout: Size, frame: _Frame, origin: Origin) -> None:
        for redirect in command.redirects:
            if redirect.target is None or redirect.op not in (">", ">>", ">|", "&>", "&>>"):
                continue
            if redirect.fd not in (None, "1") and not redirect.op.startswith("&"):
                size = UNKNOWN   # stderr into a file
            else:
                size = stdout
            target = self._resolve(redirect.target, frame)
            self.runner.create(target, size, origin, append=redirect.op.endswith(">>"))
            if target is not None and not size.known and self.runner.writable(self.runner.absolute(target)):
                self.runner.note_unknown(f"output of `{origin.text[:40]}`")


def _unwrap(words: list, wrappers: dict) -> list:
    """Drop `sudo`, `env X=1`, `nohup` … in front of the real command."""
    while words and words[0][0] is not None:
        spec = wrappers.get(posixpath.basename(words[0][0]))
        if spec is None:
            return words
        index = 1
        values = set(spec.get("value_options", ()))
        while index < len(words) and words[index][0] is not None and (
                words[index][0].startswith("-") or (spec.get("assignments") and "=" in words[index][0])):
            index += 2 if words[index][0] in values else 1
        index += int(spec.get("leading", 0))
        if spec.get("stdin_operands"):
            words = [(w[0], w[1]) for w in words[index:]]
            return words if not words else words[:1] + [(None, None)]
        words = words[index:]
    return words


def _script_with_heredocs(instruction: Instruction) -> tuple[str, TextMap]:
    """The RUN's shell text with its heredoc bodies after it, as the shell
    reads them (`cat <<EOF > /f` needs the body to parse), and their map."""
    text = instruction.arguments
    segments = list(instruction.arguments_map.segments)
    for heredoc in instruction.heredocs:
        text += "\n"
        segments += [(len(text) + offset, line, column) for offset, line, column in heredoc.body_map.segments]
        text += heredoc.body
        end = heredoc.span.end
        segments.append((len(text), end.line, max(1, end.column - len(heredoc.delimiter))))
        text += heredoc.delimiter
    return text, TextMap(tuple(segments), len(text))


def _mount_targets(instruction: Instruction, workdir: str) -> list[str]:
    targets = []
    for value in instruction.flag_values("mount"):
        options = dict(item.split("=", 1) if "=" in item else (item, "") for item in value.split(","))
        kind = options.get("type", "bind")
        target = options.get("target") or options.get("dst") or options.get("destination")
        if kind in MASKING_MOUNTS and target:
            targets.append(posixpath.normpath(posixpath.join(workdir, target)))
    return targets


def _heredoc_size(heredoc: Heredoc) -> Size:
    size = len(heredoc.body.encode())
    if heredoc.expand and "$" in heredoc.body:
        return Size(size, Confidence.ESTIMATED)
    return exact(size)


def _single_source_name(sources: list[str | None]) -> str | None:
    if len(sources) != 1 or sources[0] is None:
        return None
    return posixpath.basename(posixpath.normpath(sources[0])) or None


def _has_wildcard(text: str) -> bool:
    return any(char in text for char in "*?[")
