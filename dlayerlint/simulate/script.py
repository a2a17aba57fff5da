"""RUN: walk a script's simple commands over the stage's filesystem, in order."""
from __future__ import annotations

from typing import TYPE_CHECKING

import posixpath
from dataclasses import dataclass

from .effects.runner import CommandRunner, Invocation
from ..dockerfile.expand import expand_word
from .fs import Origin
from ..dockerfile.model import Heredoc, Instruction
from ..core.spans import TextMap
from ..shell.script import Command, Script
from ..shell.words import Word
from ..shell.parse import parse_script
from ..core.sizes import UNKNOWN, Confidence, Size, exact
from .layers import StageRun

if TYPE_CHECKING:   # for annotations only: the importer imports this module
    from .stages import Replayer
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
MASKING_MOUNTS = frozenset({"cache", "tmpfs", "bind", "secret", "ssh"})


@dataclass(slots=True)
class _Frame:
    cwd: str | None
    variables: dict[str, str | None]


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
        env = self._env(frame)
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

    def _env(self, frame: _Frame) -> dict[str, str | None]:
        """The RUN's environment with the frame's variables; read only, so shared when none
        were set (most scripts: no copy per command)."""
        return {**self.env, **frame.variables} if frame.variables else self.env

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
        self.runner.env = self._env(frame)
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
