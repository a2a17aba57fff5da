"""Compare our parser with BuildKit's own, like for like.

The reference is the `dockerfile` package (PyPI), which wraps BuildKit's Go
parser v0.12.5 (wheels for Linux x86_64, Windows x86_64 and macOS arm64 only).
For each instruction BuildKit reports we compare: the keyword, the start and
end lines (BuildKit's end line takes in heredoc bodies, as our span does), the
flags of FROM/RUN/COPY/ADD (BuildKit gives `--name=value` with quotes and
backslashes removed), whether it is in JSON (exec) form, the RUN command and
the heredocs of RUN/COPY/ADD.

BuildKit's value for a shell-form RUN is the logical line after the keyword
and flags: pieces joined with nothing in between, inner whitespace kept, the
ends trimmed with Go's unicode.IsSpace. That is exactly our `arguments`, so
it is compared as is: no whitespace normalisation.

Where BuildKit's parser and ours differ on purpose, the difference is one of
KNOWN_DIFFERENCES below, recognised instruction by instruction.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from dlayerlint.dockerfile.model import Dockerfile, Instruction
from dlayerlint.dockerfile.parser import FLAGGED, GO_SPACE, KEYWORDS, parse

try:
    import dockerfile as buildkit
except ImportError:  # no wheel for this platform
    buildkit = None

SKIP_REASON = "the `dockerfile` package (BuildKit's parser) has no wheel for this platform"


@dataclass(frozen=True)
class Known:
    name: str
    reason: str
    excuses: frozenset[str]   # the aspects it explains: lines, flags, json, run, heredocs; "rest": stop there
    applies: Callable[[object, Instruction], bool]   # (BuildKit's command, ours)


def _json_then_text(command, ours: Instruction) -> bool:
    text = ours.arguments
    if ours.keyword == "HEALTHCHECK":  # the JSON follows the type word
        text = re.sub(r"^[^\t\n\v\f\r ]*[\t\n\v\f\r ]*", "", text).lstrip(GO_SPACE)
    if not command.json or ours.exec_form is not None or not text.startswith("["):
        return False
    try:
        _, end = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return False
    return bool(text[end:].strip(" \t\n\r"))  # JSON's whitespace


def _inner_json_then_text(arguments: str) -> bool:
    """ONBUILD's inner instruction is a JSON array followed by text."""
    inner = re.sub(r"^\S+\s+(--\S*\s+)*", "", arguments)
    try:
        _, end = json.JSONDecoder().raw_decode(inner)
    except ValueError:
        return False
    return bool(inner[end:].strip(" \t\n\r"))


def _json_then_heredoc(command, ours: Instruction) -> bool:
    if ours.keyword == "ONBUILD":  # BuildKit found its inner instruction in JSON form; we found heredocs
        return command.json and "<<" in ours.arguments and _inner_json_then_text(ours.arguments)
    return ours.keyword in ("RUN", "COPY", "ADD") and "<<" in ours.arguments and _json_then_text(command, ours)


def _flag_bytes(command, ours: Instruction) -> bool:
    return any(not _flag_text(flag).isascii() for flag in ours.flags) and bool(command.flags)


def _flags_where_none_belong(_command, ours: Instruction) -> bool:
    return ours.keyword not in FLAGGED and ours.arguments.startswith("--")


def _heredoc_beside_newer_substitution(_command, ours: Instruction) -> bool:
    text = " ".join([_flag_text(f) for f in ours.flags] + [ours.arguments])
    return ours.keyword in ("RUN", "COPY", "ADD", "ONBUILD") and "<<" in text \
        and re.search(r"\$\{(?:[A-Za-z0-9_]+|[@*#?$!-])[%#/?]", text) is not None


def _blank_after_heredoc_marker(_command, ours: Instruction) -> bool:
    return ours.keyword in ("RUN", "COPY", "ADD", "ONBUILD") \
        and re.search(f"(?:^|[{GO_SPACE}])[0-9]*<<-?[ \t]+[^ \t<]", ours.arguments) is not None


KNOWN_DIFFERENCES = (
    Known("json-then-text-heredoc",
          "`RUN [\"a\"] <<EOF`: as json-then-text, and being in shell form the instruction may open "
          "heredocs, which BuildKit v0.12.5 did not look for; the rest of the file is not comparable.",
          frozenset({"lines", "json", "run", "heredocs", "rest"}), _json_then_heredoc),
    Known("json-then-text",
          "`CMD [\"a\"] text`: BuildKit v0.12.5 decoded the first JSON value and ignored the rest (exec form); "
          "since v0.15 (moby/buildkit#5107) it uses json.Unmarshal, which refuses trailing text, so the "
          "instruction is in shell form. We follow current BuildKit.",
          frozenset({"json", "run"}), _json_then_text),
    Known("flags-where-none-belong",
          "`CMD --doit [...]`: BuildKit's parser splits `--` words off every instruction, then its "
          "instruction parser rejects the file (unknown flag) for instructions that take none. We split "
          "flags only for FROM, RUN, COPY, ADD and HEALTHCHECK and keep the words in the arguments.",
          frozenset({"json"}), _flags_where_none_belong),
    Known("flag-bytes",
          "`COPY --chown=jürgen`: BuildKit reads flag words byte by byte and turns each byte into a "
          "character, so non-ASCII comes out as mojibake (ü as Ã¼), and a byte 0x85 or 0xA0 inside a "
          "character ends the word. We keep characters whole.",
          frozenset({"flags", "run"}), _flag_bytes),
    Known("heredoc-beside-newer-substitution",
          "`RUN cat <<EOF > ${F%.txt}`: BuildKit v0.12.5's shell lexer failed on `${X%...}`, `${X#...}`, "
          "`${X/...}` and `${X?...}`, and a line it cannot split opens no heredoc; current BuildKit's lexer "
          "reads them, so the heredoc opens. We follow current BuildKit; the rest of the file is not "
          "comparable.",
          frozenset({"lines", "heredocs", "rest"}), _heredoc_beside_newer_substitution),
    Known("blank-after-heredoc-marker",
          "`RUN cat << EOF`: BuildKit v0.12.5 opened no heredoc (its body lines became instructions); "
          "since v0.22 (moby/buildkit#5817) blanks may follow `<<`. We follow current BuildKit; the old "
          "answer for the rest of the file is not comparable, so the comparison stops there.",
          frozenset({"lines", "heredocs", "rest"}), _blank_after_heredoc_marker),
)


def _go_lower(word: str | None) -> str:
    return (word or "").replace("\u0130", "i").lower()


def _chomped(content: str, strip_tabs: bool) -> str:
    """BuildKit's parser keeps heredoc bodies raw; its instruction layer strips
    the tabs of `<<-` bodies. Our model holds the body as it runs, CRLF as LF."""
    content = re.sub(r"\r+\n", "\n", content)
    return re.sub(r"(?m)^\t+", "", content) if strip_tabs else content


def _flag_text(flag) -> str:
    return f"--{flag.name}" + ("" if flag.value is None else f"={flag.value}")


def compare_instruction(command, ours: Instruction) -> dict[str, str]:
    """Disagreements between one BuildKit command and our instruction, by aspect."""
    found = {}
    if (command.start_line, command.end_line) != (ours.line, ours.end_line):
        found["lines"] = f"lines {command.start_line}-{command.end_line}, ours {ours.line}-{ours.end_line}"
    mine = [_flag_text(f) for f in ours.flags]
    if ours.keyword in ("FROM", "RUN", "COPY", "ADD") and list(command.flags) != mine:
        found["flags"] = f"flags {list(command.flags)}, ours {mine}"
    # ONBUILD: BuildKit reports its inner instruction's form; we keep that instruction as text.
    if ours.keyword != "ONBUILD" and command.json != (ours.exec_form is not None):
        found["json"] = f"json {command.json}, ours {ours.exec_form!r} from {ours.arguments!r}"
    if ours.keyword == "RUN":
        theirs = tuple(command.value) if command.json else (command.value[0] if command.value else "")
        run = ours.exec_form if command.json else ours.arguments
        if theirs != run:
            found["run"] = f"RUN {theirs!r}, ours {run!r}"
    # ONBUILD: the package reports no heredocs for it (they hang off its inner node); its lines count them.
    if ours.keyword in ("RUN", "COPY", "ADD"):
        chomp = {h.delimiter for h in ours.heredocs if h.strip_tabs}
        theirs = [(h.name, _chomped(h.content, h.name in chomp)) for h in command.heredocs]
        bodies = [(h.delimiter, h.body) for h in ours.heredocs]
        if theirs != bodies:
            found["heredocs"] = f"heredocs {theirs!r}, ours {bodies!r}"
    return found


@dataclass
class Comparison:
    disagreements: list[str]
    known: list[str]     # known differences met, by name and line


def compare(text: str) -> Comparison | None:
    """None when BuildKit's parser refuses the text; else what differs."""
    try:
        commands = buildkit.parse_string(text)
    except (buildkit.GoParseError, buildkit.GoIOError):
        return None
    except UnicodeDecodeError:  # BuildKit split a flag inside a character (it reads flags byte by byte)
        return None
    return _compare(commands, parse(text))


def _compare(commands, ours: Dockerfile) -> Comparison:
    result = Comparison([], [])
    mine = iter(sorted(ours.instructions, key=lambda i: i.index))
    error_lines = {e.line for e in ours.errors}
    for command in commands:
        keyword = _go_lower(command.cmd).upper()
        if keyword not in KEYWORDS:
            # BuildKit's parser keeps it; its instruction parser then rejects the file. We report it.
            if command.start_line not in error_lines:
                result.disagreements.append(f"line {command.start_line}: unknown {command.cmd!r} not reported")
            continue
        instruction = next(mine, None)
        if instruction is None or (instruction.keyword, instruction.line) != (keyword, command.start_line):
            found = instruction and (instruction.keyword, instruction.line)
            result.disagreements.append(f"line {command.start_line}: {keyword}, ours {found}")
            return result
        known = [k for k in KNOWN_DIFFERENCES if k.applies(command, instruction)]
        excused = set().union(*(k.excuses for k in known))
        result.known.extend(f"{k.name} (line {command.start_line})" for k in known)
        found = compare_instruction(command, instruction)
        result.disagreements.extend(f"line {command.start_line}: {text}"
                                    for aspect, text in found.items() if aspect not in excused)
        if "rest" in excused:
            return result
    rest = [(i.keyword, i.line) for i in mine]
    if rest:
        result.disagreements.append(f"ours has more instructions: {rest}")
    return result
