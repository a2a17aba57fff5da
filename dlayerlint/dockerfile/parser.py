"""Dockerfile text → `Dockerfile` model, following BuildKit's parser rules.

Written here rather than taken from dockerfile-parse, which is wrong on
heredocs, blank lines and comments inside continuations, a continuation at the
end of the file, and has no columns (tests/test_parser.py pins each case against
BuildKit's own parser). What BuildKit does and we do
(tests/test_parser_corpus.py checks it against BuildKit's own parser):
- parser directives (`# syntax=`, `# escape=`, `# check=`) only at the top;
- a line ending in the escape character (then blanks) continues, unless that
  character is itself escaped; blank lines and comment lines inside a
  continuation are skipped; the pieces are joined with nothing in between;
- heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`) in RUN, COPY and ADD (also under
  ONBUILD), found as BuildKit finds them: shell words that start with `<<`;
  bodies follow the instruction's last line;
- `--flag[=value]` words lead the arguments of FROM, RUN, COPY, ADD and
  HEALTHCHECK, quotes and backslashes removed; a JSON array is the exec form.
"""
from __future__ import annotations

import json
import re

from .model import Comment, Dockerfile, Flag, Heredoc, Instruction, ParseError, Stage
from ..core.spans import Position, Span, TextMap

KEYWORDS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
LOWER_KEYWORDS = frozenset(keyword.lower() for keyword in KEYWORDS)
FLAGGED = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
EXEC_FORM_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME", "HEALTHCHECK"})

# Go's unicode.IsSpace, which BuildKit trims with (Python's isspace adds \x1c-\x1f).
GO_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
            "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# BuildKit reads flags byte by byte, so only ASCII blanks separate them.
ASCII_SPACE = "\t\n\v\f\r "
DIRECTIVE = re.compile(r"([A-Za-z][A-Za-z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*")
KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
KEYWORD_WORD = re.compile(r"[^\t\v\f\r ]+")   # BuildKit splits the keyword off at [\t\v\f\r ]
HEALTHCHECK_TYPE = re.compile(r"[^\t\n\v\f\r ]*[\t\n\v\f\r ]*")
# A shell word that opens a heredoc; current BuildKit allows blanks after `<<` (moby/buildkit#5817).
# The delimiter starts at a non-blank: no trading blanks between the groups (quadratic on `<<   <`).
HEREDOC_WORD = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<\t\n\f\r ][^<]*)?")


class _Lines:
    """Physical lines with a cursor; CRLF and a BOM are tolerated."""

    def __init__(self, text: str) -> None:
        text = text.removeprefix("\ufeff")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        self.lines = [line.rstrip("\r") for line in lines]
        self.index = 0

    def done(self) -> bool:
        return self.index >= len(self.lines)

    def current(self) -> str:
        return self.lines[self.index]


def _skip(text: str, position: int, chars: str = GO_SPACE) -> int:
    while position < len(text) and text[position] in chars:
        position += 1
    return position


class _Parser:
    def __init__(self, text: str) -> None:
        self.src = _Lines(text)
        self.directives: dict[str, str] = {}
        self.comments: list[Comment] = []
        self.errors: list[ParseError] = []
        self.escape = "\\"
        self.continuation = re.compile(r"(?<!\\)\\[ \t]*$")

    def parse(self) -> Dockerfile:
        self._read_directives()
        instructions: list[Instruction] = []
        lines = self.src.lines
        while self.src.index < len(lines):   # the hot loop: one lstrip decides blank, comment or not
            line = lines[self.src.index]
            body = line.lstrip(GO_SPACE)
            if not body or body[0] == "#":
                if body:
                    self._add_comment(line, self.src.index + 1)
                self.src.index += 1
            else:
                instruction = self._read_instruction(len(instructions))
                if instruction is not None:
                    instructions.append(instruction)
        return self._build(instructions)

    # -- directives and comments -------------------------------------------------

    def _read_directives(self) -> None:
        while not self.src.done():
            line = self.src.current()
            body = line.lstrip(GO_SPACE)
            match = DIRECTIVE.fullmatch(body[1:].lstrip(GO_SPACE)) if body.startswith("#") else None
            name = match.group(1).lower() if match else None
            if name not in KNOWN_DIRECTIVES:
                break  # the first other line, an unknown directive included, ends the directives
            if name in self.directives:
                self.errors.append(ParseError(self.src.index + 1, 1, f"only one '{name}' parser directive can be used"))
            self.directives[name] = match.group(2)
            self._add_comment(line, self.src.index + 1)
            self.src.index += 1
        escape = self.directives.get("escape", "\\")
        if escape not in ("\\", "`"):
            self.errors.append(ParseError(1, 1, f"invalid escape token '{escape}': it must be \\ or `"))
            escape = "\\"
        self.escape = escape
        # An escaped escape character at the end of a line does not continue it. The lexer
        # tests this without the regex (`_read_logical_line`); the regex states the rule, and
        # tests hold the two to the same answers.
        token = re.escape(escape)
        self.continuation = re.compile(f"(?<!{token}){token}[ \\t]*$")

    def _add_comment(self, line: str, number: int) -> None:
        stripped = line.lstrip(GO_SPACE)
        column = len(line) - len(stripped) + 1
        self.comments.append(Comment(number, column, stripped[1:].strip()))

    # -- instructions --------------------------------------------------------------

    def _read_logical_line(self) -> tuple[str, TextMap, int]:
        """Join one instruction's physical lines; return text, map and last line."""
        lines, index, escape = self.src.lines, self.src.index, self.escape
        pieces: list[str] = []
        segments: list[tuple[int, int, int]] = []
        offset = 0
        line = lines[index]
        text = line.lstrip(GO_SPACE)
        column = len(line) - len(text) + 1
        while True:
            piece = _continued(text, escape)
            continues = piece is not None
            piece = text if piece is None else piece
            segments.append((offset, index + 1, column))
            pieces.append(piece)
            offset += len(piece)
            index += 1
            last_line = index
            if not continues:
                break
            index = self._skip_continuation_fillers(index)
            if index >= len(lines):
                last_line = len(lines)  # BuildKit ends it at end of file, fillers included
                break
            text, column = lines[index], 1
        self.src.index = index
        return "".join(pieces), TextMap(tuple(segments), offset), last_line

    def _skip_continuation_fillers(self, index: int) -> int:
        """The index of the next line that is neither blank nor a comment (comments are kept)."""
        lines = self.src.lines
        while index < len(lines):
            line = lines[index]
            body = line.lstrip(GO_SPACE)
            if body and body[0] != "#":
                break
            if body:
                self._add_comment(line, index + 1)
            index += 1
        return index

    def _read_instruction(self, index: int) -> Instruction | None:
        joined, text_map, last_line = self._read_logical_line()
        joined = joined.rstrip(GO_SPACE)
        # BuildKit starts the instruction on its first line, even one that is only a continuation.
        start = Position(*text_map.segments[0][1:])
        # A continuation line keeps its indent, so a lone first `\\` leaves blanks before the keyword.
        match = KEYWORD_WORD.match(joined, _skip(joined, 0))
        keyword = _keyword(match.group()) if match else None
        if match is None or keyword is None:
            message = f"unknown instruction: {match.group()}" if match else "a line continuation with no instruction"
            self.errors.append(ParseError(start.line, start.column, message))
            return None
        flags: list[Flag] = []
        if keyword in FLAGGED:
            position = _read_flags(joined, match.end(), text_map, flags)
        else:
            position = _skip(joined, match.end())
        arguments = joined[position:]
        heredocs: tuple[Heredoc, ...] = ()
        if _may_hold_heredocs(keyword, arguments):
            heredocs = self._read_heredocs(joined, last_line)
        end_line = heredocs[-1].span.end.line if heredocs else last_line
        end_column = len(self.src.lines[end_line - 1]) + 1
        return Instruction(
            keyword=keyword,
            span=Span(start, Position(end_line, end_column)),
            keyword_span=text_map.span(match.start(), match.end()),
            flags=tuple(flags),
            arguments=arguments,
            arguments_map=text_map.shifted(position),
            exec_form=_exec_form(keyword, arguments),
            heredocs=heredocs,
            index=index,
        )

    def _read_heredocs(self, joined: str, last_line: int) -> tuple[Heredoc, ...]:
        heredocs = []
        for delimiter, strip_tabs, expand in _heredoc_marks(joined):
            heredoc = self._read_heredoc_body(delimiter, strip_tabs, expand, last_line)
            if heredoc is None:
                break
            heredocs.append(heredoc)
        return tuple(heredocs)

    def _read_heredoc_body(self, delimiter: str, strip_tabs: bool, expand: bool,
                           last_line: int) -> Heredoc | None:
        first = self.src.index
        body: list[str] = []
        while not self.src.done():
            line = self.src.current()
            self.src.index += 1
            candidate = line.lstrip("\t") if strip_tabs else line
            if candidate == delimiter:
                raw = self.src.lines[first:first + len(body)]
                return _heredoc(delimiter, body, raw, (first, self.src.index), expand, strip_tabs, len(line))
            body.append(candidate)
        self.errors.append(ParseError(last_line, 1, f"unterminated heredoc: no line '{delimiter}' ends it"))
        return None

    # -- stages --------------------------------------------------------------------

    def _build(self, instructions: list[Instruction]) -> Dockerfile:
        global_instructions: list[Instruction] = []
        stages: list[Stage] = []
        for instruction in instructions:
            if instruction.keyword == "FROM":
                stages.append(self._stage(instruction, len(stages)))
            elif stages:
                stages[-1].instructions.append(instruction)
            else:
                if instruction.keyword != "ARG":
                    start = instruction.span.start
                    self.errors.append(ParseError(
                        start.line, start.column,
                        f"{instruction.keyword} before the first FROM: only ARG may come before FROM"))
                global_instructions.append(instruction)
        if not stages and not self.errors:
            self.errors.append(ParseError(1, 1, "no FROM instruction: a Dockerfile needs at least one build stage"))
        return Dockerfile(self.directives, self.escape, global_instructions, stages,
                          self.comments, self.errors, self.src.lines)

    def _stage(self, instruction: Instruction, index: int) -> Stage:
        words = instruction.arguments.split()
        name = None
        if len(words) == 3 and words[1].lower() == "as":
            name = words[2].lower()
        elif len(words) != 1:
            start = instruction.span.start
            self.errors.append(ParseError(start.line, start.column,
                                          "FROM takes an image and optionally 'AS name'"))
        base = words[0] if words else ""
        return Stage(index=index, base=base, name=name, from_instruction=instruction)


def _continued(text: str, escape: str) -> str | None:
    """The line without its continuation escape, or None when it does not continue: the
    escape ends it (then blanks) and is not itself escaped, as `_Parser.continuation`'s
    regex says, without running a regex per line."""
    stripped = text.rstrip(" \t")
    if stripped[-1:] == escape and stripped[-2:-1] != escape:
        return stripped[:-1]
    return None


def _keyword(word: str) -> str | None:
    # BuildKit compares strings.ToLower(word), which maps İ to i (Python's lower() gives two characters).
    lowered = word.replace("\u0130", "i").lower()
    return lowered.upper() if lowered in LOWER_KEYWORDS else None


# -- flags ---------------------------------------------------------------------------


def _read_flags(joined: str, position: int, text_map: TextMap, flags: list[Flag]) -> int:
    """BuildKit's extractBuilderFlags: words starting with `--` are flags; a bare
    `--` ends them. Returns where the arguments start."""
    position = _skip(joined, position, ASCII_SPACE)
    while joined.startswith("--", position):
        word, end = _flag_word(joined, position)
        if word == "--":
            break
        name, equals, value = word[2:].partition("=")
        flags.append(Flag(name, value if equals else None, text_map.span(position, end)))
        position = _skip(joined, end, ASCII_SPACE)
    else:
        end = position
    return _skip(joined, end)


def _flag_word(text: str, position: int) -> tuple[str, int]:
    """One flag word: quotes removed, a backslash keeps the next character
    (a quote left open runs to the end of the line, as in BuildKit)."""
    word: list[str] = []
    quote = ""
    while position < len(text):
        char = text[position]
        position += 1
        if not quote and char in ASCII_SPACE:
            return "".join(word), position - 1
        if char == quote:
            quote = ""
        elif not quote and char in "'\"":
            quote = char
        elif char == "\\":
            if position < len(text):
                word.append(text[position])
                position += 1
        else:
            word.append(char)
    return "".join(word), position


# -- exec form -----------------------------------------------------------------------


def _exec_form(keyword: str, arguments: str) -> tuple[str, ...] | None:
    if keyword == "HEALTHCHECK":  # HEALTHCHECK CMD [...]: the JSON follows the type word
        match = HEALTHCHECK_TYPE.match(arguments)
        arguments = arguments[match.end():].lstrip(GO_SPACE) if match.group() else ""
    if keyword not in EXEC_FORM_KEYWORDS or not arguments.startswith("["):
        return None
    try:  # json.loads refuses trailing text, as BuildKit does since moby/buildkit#5107
        value = json.loads(arguments)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


# -- heredocs ------------------------------------------------------------------------


def _may_hold_heredocs(keyword: str, arguments: str) -> bool:
    """RUN, COPY and ADD in shell form, directly or under ONBUILD."""
    if keyword == "ONBUILD":
        match = KEYWORD_WORD.match(arguments)
        keyword = (_keyword(match.group()) or "") if match else ""
        arguments = arguments[_read_flags(arguments, match.end() if match else 0, TextMap(((0, 1, 1),), 0), []):]
        return keyword in HEREDOC_KEYWORDS and _exec_form(keyword, arguments) is None
    return keyword in HEREDOC_KEYWORDS and _exec_form(keyword, arguments) is None and "<<" in arguments


def _heredoc_marks(joined: str) -> list[tuple[str, bool, bool]]:
    """(delimiter, strip_tabs, expand) of each heredoc the line opens.

    Like BuildKit: the whole line is split into shell words (quotes and
    escapes kept, unset variables left as written) and each word matching
    `[fd]<<[-]word` opens one; a line the lexer cannot split opens none."""
    try:
        words = _ShellLexer(joined, raw_quotes=True, raw_escapes=True).words()
    except _LexError:
        return []
    marks = []
    for word in words:
        match = HEREDOC_WORD.fullmatch(word)
        name = _heredoc_name(match.group(3)) if match and match.group(3) else None
        if name is not None:
            marks.append((name[0], match.group(2) == "-", name[1]))
    return marks


def _heredoc_name(rest: str) -> tuple[str, bool] | None:
    """The delimiter with quotes removed, and whether the body expands (no
    quotes were removed); None when it is not one shell word."""
    try:
        cooked = _ShellLexer(rest, raw_quotes=False, raw_escapes=False).words()
        raw = _ShellLexer(rest, raw_quotes=True, raw_escapes=False).words()
    except _LexError:
        return None
    if len(cooked) != 1 or len(raw) != 1:
        return None
    quotes = sum(cooked[0].count(q) for q in "'\"") == sum(raw[0].count(q) for q in "'\"")
    return cooked[0], quotes


class _LexError(ValueError):
    pass


class _Words:
    """BuildKit's wordsStruct: splits on blanks, except raw (quoted) text."""

    def __init__(self) -> None:
        self.word = ""
        self.words: list[str] = []

    def add(self, text: str) -> None:
        for char in text:
            if char not in GO_SPACE:
                self.word += char
            elif self.word:
                self.words.append(self.word)
                self.word = ""

    def add_raw(self, text: str) -> None:
        self.word += text

    def done(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word = ""
        return self.words


class _ShellLexer:
    """BuildKit's shell.Lex as its heredoc detection runs it: backslash
    escapes, no variable set and unset ones left as written."""

    def __init__(self, text: str, raw_quotes: bool, raw_escapes: bool) -> None:
        self.text = text
        self.position = 0
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes

    def words(self) -> list[str]:
        return self._until("", self.raw_escapes)[1]

    def _peek(self) -> str:
        return self.text[self.position] if self.position < len(self.text) else ""

    def _take(self) -> str:
        char = self._peek()
        self.position += bool(char)
        return char

    def _until(self, stop: str, raw_escapes: bool) -> tuple[str, list[str]]:
        """processStopOn: the text up to `stop` (consumed) and its words."""
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            result: list[str] = []
            words = _Words()
            while char := self._peek():
                if char == stop:
                    self._take()
                    return "".join(result), words.done()
                result.append(self._part(char, words))
            if stop:
                raise _LexError(f"no closing {stop}")
            return "".join(result), words.done()
        finally:
            self.raw_escapes = saved

    def _part(self, char: str, words: _Words) -> str:
        if char == "$":
            part = self._dollar()
            words.add(part)
        elif char in "'\"<":
            part = self._single() if char == "'" else self._double() if char == '"' else self._angle()
            words.add_raw(part)
        else:
            part = self._plain(words)
        return part

    def _plain(self, words: _Words) -> str:
        char = self._take()
        if char != "\\":
            words.add(char)
            return char
        kept = char if self.raw_escapes else ""
        words.add_raw(kept)
        char = self._take()
        if char:
            words.add_raw(char)
        return kept + char

    def _single(self) -> str:
        opening = self._take()
        out = [opening] if self.raw_quotes else []
        while (char := self._take()) != "'":
            if not char:
                raise _LexError("no closing '")
            out.append(char)
        return "".join(out) + ("'" if self.raw_quotes else "")

    def _double(self) -> str:
        opening = self._take()
        out = [opening] if self.raw_quotes else []
        while (char := self._peek()) != '"':
            if not char:
                raise _LexError('no closing "')
            if char == "$":
                out.append(self._dollar())
                continue
            self.position += 1
            if char == "\\":
                if self.raw_escapes:
                    out.append(char)
                if self._peek() and self._peek() in '"$\\':
                    char = self._take()
            out.append(char)
        self.position += 1
        return "".join(out) + ('"' if self.raw_quotes else "")

    def _angle(self) -> str:
        """`<<` keeps the blanks after it in its word (current BuildKit)."""
        self._take()
        if self._peek() != "<":
            return "<"
        self._take()
        start = self.position
        self.position = _skip(self.text, start, " \t")
        return "<<" + self.text[start:self.position]

    def _dollar(self) -> str:
        self._take()
        if self._peek() != "{":
            return "$" + self._name()
        self._take()
        if self._peek() in ("", "{", "}", ":"):
            raise _LexError("bad substitution")
        name = self._name()
        char = self._take()
        if char == "}":
            return "${" + name + "}"
        modifier = char
        if char == ":":
            char = self._take()
            modifier += char
        if modifier.startswith(":") or (char and char in "+-?#%"):
            word = self._until("}", char in "#%" and bool(char))[0]
            return "${" + name + modifier + word + "}"
        if char == "/":
            if self._peek() == "/":
                self._take()
            pattern = self._until("/", True)[0]
            return "${" + name + "/" + pattern + "/" + self._until("}", True)[0] + "}"
        raise _LexError(f"unsupported modifier {modifier!r}")

    def _name(self) -> str:
        char = self._peek()
        if char.isdecimal():
            start = self.position
            while self._peek().isdecimal():
                self.position += 1
            return self.text[start:self.position]
        if char and char in "@*#?-$!0":
            return self._take()
        start = self.position
        while (char := self._peek()) and (char.isalpha() or char.isdecimal() or char == "_"):
            self.position += 1
        return self.text[start:self.position]


def _body_map(body: list[str], raw: list[str], first: int) -> TextMap:
    """Each body line at its source line; a <<- line starts after the tabs it lost."""
    segments = []
    offset = 0
    for number, (line, source) in enumerate(zip(body, raw)):
        segments.append((offset, first + number + 1, len(source) - len(line) + 1))
        offset += len(line) + 1
    return TextMap(tuple(segments) or ((0, first + 1, 1),), offset)


def _heredoc(delimiter: str, body: list[str], raw: list[str], lines: tuple[int, int],
             expand: bool, strip_tabs: bool, terminator_length: int) -> Heredoc:
    first, after = lines
    span = Span(Position(first + 1, 1), Position(after, terminator_length + 1))
    text = "\n".join(body) + ("\n" if body else "")
    return Heredoc(delimiter, text, expand, strip_tabs, _body_map(body, raw, first), span)


def parse(text: str) -> Dockerfile:
    """Parse Dockerfile text; problems are collected in `errors`, never raised."""
    return _Parser(text).parse()
