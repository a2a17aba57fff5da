"""`.dockerignore` patterns, matched as moby/patternmatcher matches them."""
from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Go's unicode.IsSpace, which strings.TrimSpace strips; str.strip() would
# also strip \x1c-\x1f.
_GO_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
             "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_MAX_LINKS = 255            # continuity's RootPath gives up after as many
_BOM = b"\xef\xbb\xbf"
# An ignore file of 10,000 long patterns is ~1 MB; a bigger one is an attack
_MAX_IGNORE_BYTES = 4 * 1024 * 1024

MatchInfo = tuple[bool, ...]
"""Per-pattern results for a directory, handed down to its entries."""


class PatternError(ValueError):
    """A pattern BuildKit rejects (bad class, trailing backslash, lone "!")."""


# -- tokens -----------------------------------------------------------------

_LIT, _ONE, _CLASS, _STAR, _GLOB_MID, _GLOB_END = range(6)
# How patternmatcher matches a pattern: it only builds a regexp when needed.
_EXACT, _PREFIX, _SUFFIX, _REGEX = range(4)


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: int
    text: str = ""          # the literal character, or a class as a regex
    slash: bool = False     # a class that can match "/"; a ** that ate one


def _class_char(pattern: str, pos: int) -> tuple[str, int]:
    """One possibly escaped class character, as Go's getEsc."""
    if pos >= len(pattern) or pattern[pos] in "-]":
        raise PatternError(f"bad character class in {pattern!r}")
    if pattern[pos] == "\\":
        pos += 1
    if pos + 1 >= len(pattern):     # also: the class must still close
        raise PatternError(f"unterminated character class in {pattern!r}")
    return pattern[pos], pos + 1


def _class_token(ranges: list[tuple[str, str]], negated: bool) -> _Tok:
    if any(low > high for low, high in ranges):
        raise PatternError("reversed range in character class")
    body = "".join(re.escape(low) if low == high else f"{re.escape(low)}-{re.escape(high)}"
                   for low, high in ranges)
    hits_slash = any(low <= "/" <= high for low, high in ranges) != negated
    return _Tok(_CLASS, f"[{'^' if negated else ''}{body}]", hits_slash)


def _parse_class(pattern: str, pos: int) -> tuple[_Tok, int]:
    """The class starting at pattern[pos] == "[", with Go Match's grammar."""
    end = pos + 1
    negated = pattern.startswith("^", end)
    end += negated
    ranges: list[tuple[str, str]] = []
    while not (ranges and pattern.startswith("]", end)):
        low, end = _class_char(pattern, end)
        high = low
        if pattern.startswith("-", end):
            high, end = _class_char(pattern, end + 1)
        ranges.append((low, high))
    return _class_token(ranges, negated), end + 1


def _simple_token(pattern: str, pos: int) -> tuple[_Tok, int, bool]:
    """The token at pos (not a **), its end, and whether it is a plain literal."""
    char = pattern[pos]
    if char == "*":
        return _Tok(_STAR), pos + 1, False
    if char == "?":
        return _Tok(_ONE), pos + 1, False
    if char == "[":
        token, end = _parse_class(pattern, pos)
        return token, end, False
    if char == "\\":
        if pos + 1 >= len(pattern):
            raise PatternError(f"trailing backslash in {pattern!r}")
        return _Tok(_LIT, pattern[pos + 1]), pos + 2, False
    # patternmatcher sends a lone "]" to its regexp, which takes it literally
    return _Tok(_LIT, char), pos + 1, char != "]"


def _globstar(pattern: str, pos: int) -> tuple[_Tok, int]:
    end = pos + 2
    ate_slash = pattern.startswith("/", end)    # "**/" is treated as "**"
    end += ate_slash
    kind = _GLOB_END if end >= len(pattern) else _GLOB_MID
    return _Tok(kind, slash=ate_slash), end


def _ignore_tokens(pattern: str) -> tuple[list[_Tok], int]:
    """Tokens and match kind of a cleaned pattern, as patternmatcher compiles it."""
    tokens: list[_Tok] = []
    kind = _EXACT
    pos = 0
    while pos < len(pattern):
        if pattern.startswith("**", pos):
            token, pos = _globstar(pattern, pos)
            at_end = token.kind == _GLOB_END
            kind = _PREFIX if at_end and kind == _EXACT else _REGEX
            kind = _SUFFIX if not tokens else kind
        else:
            token, pos, plain = _simple_token(pattern, pos)
            kind = kind if plain else _REGEX
        tokens.append(token)
    return tokens, kind


# -- matching ---------------------------------------------------------------

def _token_regex(token: _Tok) -> str:
    if token.kind == _LIT:
        return re.escape(token.text)
    return "[^/]" if token.kind == _ONE else token.text


def _component_regex(tokens: Sequence[_Tok]) -> re.Pattern[str]:
    """A regex for one path component, free of catastrophic backtracking.

    Between two stars the next fixed-width chunk is matched at its leftmost
    place inside an atomic group: in a glob that is always as good as any
    later place (the following star absorbs the difference), so the engine
    never revisits it and `*a*a*a*b` stays linear.
    """
    chunks = [""]
    for token in tokens:
        if token.kind == _STAR:
            chunks.append("")
        else:
            chunks[-1] += _token_regex(token)
    if len(chunks) == 1:
        return re.compile(chunks[0])
    middle = "".join(f"(?>[^/]*?{chunk})" for chunk in chunks[1:-1])
    return re.compile(f"{chunks[0]}{middle}[^/]*{chunks[-1]}")


_ANY_SEGMENT = re.compile(r"[^\n]*")   # what "/.*" can stand for, segment-wise
_Segments = tuple[re.Pattern[str] | None, ...]  # None stands for "**"


def _segments(tokens: Sequence[_Tok]) -> _Segments | None:
    """Per-component matchers when every ** is a whole component, else None."""
    comps: list[re.Pattern[str] | None] = []
    current: list[_Tok] = []
    after_glob = False
    for token in tokens:
        if token.kind in (_GLOB_MID, _GLOB_END):
            if current or (token.kind == _GLOB_MID and not token.slash):
                return None
            # "/**" at the end is ".*" after the slash: one or more segments
            comps.extend((_ANY_SEGMENT, None) if token.kind == _GLOB_END else (None,))
        elif token.kind == _LIT and token.text == "/":
            comps.append(_component_regex(current))
            current = []
        elif token.kind == _CLASS and token.slash:
            return None
        else:
            current.append(token)
        after_glob = token.kind in (_GLOB_MID, _GLOB_END)
    if not after_glob:
        comps.append(_component_regex(current))
    return tuple(comps)


def _match_segments(comps: _Segments, segs: list[str]) -> bool:
    """Components against path segments; a None component is "**".

    Dynamic programming over (component, segment), so O(len(comps) *
    len(segs)) component matches at most. Go's ".*" stops at a newline, so
    "**" cannot swallow a segment holding one.
    """
    if None not in comps:   # one component per segment: no table needed
        return len(comps) == len(segs) and all(comp.fullmatch(seg) for comp, seg in zip(comps, segs))
    reach = [True] + [False] * len(segs)
    for comp in comps:
        if comp is None:
            for index, seg in enumerate(segs):
                reach[index + 1] = reach[index + 1] or (reach[index] and "\n" not in seg)
        else:
            reach = [False] + [reach[index] and comp.fullmatch(seg) is not None
                               for index, seg in enumerate(segs)]
    return reach[-1]


def _reach(text: str, positions: set[int], stop: str) -> set[int]:
    """Every end a run of non-`stop` characters can have from `positions`."""
    found: set[int] = set()
    covered = -1
    for start in sorted(positions):
        if start <= covered:
            continue
        end = text.find(stop, start)
        end = len(text) if end < 0 else end
        found.update(range(start, end + 1))
        covered = end
    return found


def _char_ok(token: _Tok, char: str) -> bool:
    if token.kind == _LIT:
        return char == token.text
    if token.kind == _ONE:
        return char != "/"
    return re.fullmatch(token.text, char) is not None


def _advance(token: _Tok, text: str, positions: set[int]) -> set[int]:
    if token.kind == _STAR:
        return _reach(text, positions, "/")
    if token.kind == _GLOB_END:                  # ".*"
        return _reach(text, positions, "\n")
    if token.kind == _GLOB_MID:                  # "(.*/)?"
        ends = {at + 1 for at in _reach(text, positions, "\n") if text.startswith("/", at)}
        return positions | ends
    return {at + 1 for at in positions if at < len(text) and _char_ok(token, text[at])}


def _scan(tokens: Sequence[_Tok], text: str) -> bool:
    """Whole-path match by position sets: O(tokens * len(text)), no backtracking.

    Used for the odd patterns that do not split into components (`a**b`, a
    class that can match "/"), with patternmatcher's regexp semantics.
    """
    positions = {0}
    for token in tokens:
        positions = _advance(token, text, positions)
        if not positions:
            return False
    return len(text) in positions


@dataclass(frozen=True, slots=True)
class _Pattern:
    text: str                   # cleaned, without the leading "!"
    exclusion: bool
    kind: int
    tokens: tuple[_Tok, ...]
    segments: _Segments | None

    def match(self, path: str) -> bool:
        """Whether this one pattern matches path (patternmatcher's Pattern.match)."""
        if self.kind == _EXACT:
            return path == self.text
        if self.kind == _PREFIX:
            return path.startswith(self.text[:-2])
        if self.kind == _SUFFIX:
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
        if self.segments is not None:
            return _match_segments(self.segments, path.split("/"))
        return _scan(self.tokens, path)

    def match_parents(self, path: str) -> bool:
        """Whether the pattern matches a parent directory of path."""
        if "/" not in path:     # a top-level entry has no parent to match
            return False
        parts = path.split("/")[:-1]
        return any(self.match("/".join(parts[:end])) for end in range(1, len(parts) + 1))


def _go_clean(path: str) -> str:
    """Go's filepath.Clean (normpath keeps a leading "//", Go does not)."""
    cleaned = posixpath.normpath(path)
    return cleaned[1:] if cleaned.startswith("//") else cleaned


def _normalize_line(line: str) -> str | None:
    """One ignore-file line as ignorefile.ReadAll leaves it; None to skip."""
    if line.startswith("#"):        # only at column 0: " #x" is a pattern
        return None
    pattern = line.strip(_GO_SPACE)
    if not pattern:
        return None
    invert = pattern.startswith("!")
    if invert:
        pattern = pattern[1:].strip(_GO_SPACE)
    if pattern:
        pattern = _go_clean(pattern)
        if len(pattern) > 1 and pattern.startswith("/"):
            pattern = pattern[1:]
    return "!" + pattern if invert else pattern


def _new_pattern(line: str) -> _Pattern | None:
    """One pattern as patternmatcher.New takes it (Clean runs before "!")."""
    text = line.strip(_GO_SPACE)
    if not text:
        return None
    text = _go_clean(text)
    exclusion = text.startswith("!")
    if exclusion:
        if len(text) == 1:
            raise PatternError('illegal exclusion pattern: "!"')
        text = text[1:]
    tokens, kind = _ignore_tokens(text)
    segments = _segments(tokens) if kind == _REGEX else None
    return _Pattern(text, exclusion, kind, tuple(tokens), segments)


class PatternMatcher:
    """Docker's .dockerignore matching (moby/patternmatcher, as BuildKit uses it).

    Patterns are tried in order and the last one that matches a path, or one
    of its parent directories, decides; a leading "!" takes paths back in.
    Raises PatternError for a pattern BuildKit would reject.
    """

    __slots__ = ("_patterns", "_exceptions", "_prefix_only", "_dir_infos")

    def __init__(self, patterns: Iterable[str], *, ignore_file: bool = True) -> None:
        """ignore_file=False takes raw patterns as `COPY --exclude` passes them:
        no comment lines and no stripping of a leading "/"."""
        lines = (_normalize_line(line) for line in patterns) if ignore_file else patterns
        compiled = (_new_pattern(line) for line in lines if line is not None)
        self._patterns = tuple(pattern for pattern in compiled if pattern is not None)
        # fsutil prunes excluded directories only when every exception is a
        # plain path once a trailing "/**" or "/*" is dropped
        self._exceptions = tuple(p.text.removesuffix("/**").removesuffix("/*")
                                 for p in self._patterns if p.exclusion)
        self._prefix_only = not any(set(text) & set("*[]?^\\") for text in self._exceptions)
        self._dir_infos: dict[str, MatchInfo] = {}

    def __bool__(self) -> bool:
        return bool(self._patterns)

    @property
    def patterns(self) -> tuple[str, ...]:
        """The compiled patterns, cleaned, "!" kept."""
        return tuple(("!" if p.exclusion else "") + p.text for p in self._patterns)

    def matches(self, rel_path: str) -> bool:
        """Whether rel_path (posix, context-relative) is excluded."""
        if not self._patterns or rel_path in ("", "."):
            return False
        head = rel_path.rpartition("/")[0]
        parent = self._dir_info(head) if head else None
        return self.matches_using_parent(rel_path, parent)[0]

    def matches_using_parent(self, rel_path: str,
                             parent: MatchInfo | None = None) -> tuple[bool, MatchInfo]:
        """Match rel_path given its directory's MatchInfo (None at the top).

        patternmatcher's MatchesUsingParentResults, quirk included: a
        pattern skipped because it could not change the verdict is recorded
        as not matching, and entries below do not inherit it.
        """
        matched = False
        info: list[bool] = []
        for index, pattern in enumerate(self._patterns):
            hit = bool(parent) and parent[index]
            if not hit:
                if pattern.exclusion != matched:
                    info.append(False)
                    continue
                hit = pattern.match(rel_path) or (not parent and pattern.match_parents(rel_path))
            info.append(hit)
            if hit:
                matched = not pattern.exclusion
        return matched, tuple(info)

    def may_match_below(self, rel_dir: str) -> bool:
        """False when nothing under rel_dir can be un-excluded.

        fsutil's rule for an excluded directory: it is skipped unless some
        exception pattern has wildcards or names a path beneath it.
        """
        if not self._exceptions:
            return False
        if not self._prefix_only:
            return True
        below = rel_dir + "/"
        return any((text + "/").startswith(below) for text in self._exceptions)

    def _dir_info(self, rel_dir: str) -> MatchInfo | None:
        parts = rel_dir.split("/")
        info: MatchInfo | None = None
        for end in range(1, len(parts) + 1):
            prefix = "/".join(parts[:end])
            cached = self._dir_infos.get(prefix)
            if cached is None:
                cached = self.matches_using_parent(prefix, info)[1]
                self._dir_infos[prefix] = cached
            info = cached
        return info


# -- ignore files -----------------------------------------------------------

def parse_dockerignore(data: bytes | str) -> list[str]:
    """The patterns of an ignore file, as ignorefile.ReadAll returns them."""
    if isinstance(data, bytes):
        data = data.removeprefix(_BOM).decode("utf-8", "surrogateescape")
    else:
        data = data.removeprefix("\ufeff")
    patterns = []
    for line in data.split("\n"):
        pattern = _normalize_line(line.removesuffix("\r"))
        if pattern is not None:
            # a "#..." pattern came from " #..."; "/" keeps it a pattern when
            # the list is read again (the slash is stripped then)
            patterns.append("/" + pattern if pattern.startswith("#") else pattern)
    return patterns


def read_dockerignore(context_root: Path, dockerfile: Path | None = None,
                      may_exist: Callable[[Path], bool] = lambda _: True) -> list[str]:
    """The ignore patterns BuildKit uses for this context.

    `<Dockerfile name>.dockerignore` beside the Dockerfile wins over
    `<context>/.dockerignore`; neither file gives []. `may_exist` can rule
    out candidates without trying to open them.
    """
    candidates = [Path(context_root) / ".dockerignore"]
    if dockerfile is not None:
        dockerfile = Path(dockerfile)
        candidates.insert(0, dockerfile.with_name(dockerfile.name + ".dockerignore"))
    for candidate in filter(may_exist, candidates):
        data = _read_ignore_file(candidate)
        if data is not None:
            return parse_dockerignore(data)
    return []


def _read_ignore_file(path: Path) -> bytes | None:
    """An ignore file's bytes; None when there is none (or a directory of its name).

    The build context belongs to whoever wrote the pull request, so the file is
    opened without blocking and read only when it is a regular file in its own
    folder (a link must stay there) and of a sane size: a FIFO, a device or a
    link to /dev/zero or /etc/shadow is a PatternError naming it, never a hang."""
    try:
        if not _regular(path, os.stat(path).st_mode):   # a FIFO or a device is never opened
            return None
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise PatternError(f"{path}: cannot read: {error.strerror or error}") from error
    if not _regular(path, os.fstat(handle).st_mode):    # swapped in since the stat
        os.close(handle)
        return None
    with os.fdopen(handle, "rb") as stream:
        if not _inside(os.path.realpath(path), os.path.realpath(path.parent)):
            raise PatternError(f"{path}: a link to outside its folder; not read")
        data = stream.read(_MAX_IGNORE_BYTES + 1)
    if len(data) > _MAX_IGNORE_BYTES:
        raise PatternError(f"{path}: larger than {_MAX_IGNORE_BYTES:,} bytes; not read")
    return data


def _regular(path: Path, mode: int) -> bool:
    """True for a regular file, False for a folder (no ignore file); raises for the rest."""
    if stat.S_ISDIR(mode):
        return False
    if not stat.S_ISREG(mode):
        raise PatternError(f"{path}: not a regular file; not read")
    return True


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")
