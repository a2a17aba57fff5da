"""The build context: what COPY/ADD sources reach, and how many bytes.

Everything mirrors BuildKit so the sizes are the ones a build would see:

* `.dockerignore` lines are read like moby/patternmatcher's ignorefile and
  matched like its PatternMatcher, path by path with the parent directory's
  results (MatchesUsingParentResults, which the fsutil walker that sends the
  context uses), including fsutil's rule for skipping excluded directories.
* Sources resolve like fsutil's copy: the path is cleaned against "/", a
  wildcard part is matched with Go's filepath.Match one component at a
  time, symlinks are followed inside the context root, never out of it.
* `COPY --exclude` patterns match paths relative to each matched source.
* ADD detects archives by content, as BuildKit's isArchivePath does.

Nothing from a Dockerfile is executed; files are only listed, never read,
except the first bytes of a would-be archive.
"""
from __future__ import annotations

import os
import posixpath
import re
import tarfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BuildContext", "ContextCache", "ContextFile", "MatchInfo", "PatternError", "PatternMatcher",
    "SourceMatch", "has_wildcards", "parse_dockerignore", "read_dockerignore",
]

# Go's unicode.IsSpace, which strings.TrimSpace strips; str.strip() would
# also strip \x1c-\x1f.
_GO_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
             "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_MAX_LINKS = 255            # continuity's RootPath gives up after as many
_BOM = b"\xef\xbb\xbf"
_ARCHIVE_ERRORS = (tarfile.TarError, OSError, EOFError)   # decompressors raise these

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
    if None not in comps and len(comps) != len(segs):
        return False
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
        try:
            return parse_dockerignore(candidate.read_bytes())
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
    return []


# -- the context ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ContextFile:
    """One entry a COPY/ADD source brings in.

    Symlinks are not followed inside a directory source: they are listed
    with size 0 (the layer stores only the link).
    """
    rel: str        # relative to the matched source; "" when the source is a file
    size: int       # bytes
    is_dir: bool


@dataclass(frozen=True, slots=True)
class SourceMatch:
    """A context path one COPY/ADD source resolved to."""
    source: str                         # context-relative, posix; "." for the root
    is_dir: bool
    entries: tuple[ContextFile, ...]    # a file: one entry rel=""; a dir: all below


_DIR, _FILE, _LINK, _OTHER = range(4)


@dataclass(frozen=True, slots=True)
class _Node:
    rel: str                    # from the context root
    kind: int
    size: int
    ignored: bool               # an excluded dir, there only if something below is
    info: MatchInfo | None      # .dockerignore results, for the entries below


_ROOT = _Node("", _DIR, 0, False, None)


def _describe(entry: os.DirEntry[str]) -> tuple[str, int, int]:
    try:
        if entry.is_symlink():
            return entry.name, _LINK, 0
        if entry.is_dir(follow_symlinks=False):
            return entry.name, _DIR, 0
        if entry.is_file(follow_symlinks=False):
            return entry.name, _FILE, entry.stat(follow_symlinks=False).st_size
    except OSError:
        pass
    return entry.name, _OTHER, 0


def _scan_dir(path: str) -> list[tuple[str, int, int]]:
    """(name, kind, size) of a directory's entries, sorted like Go's walks."""
    try:
        with os.scandir(path) as entries:
            return sorted(_describe(entry) for entry in entries)
    except OSError:
        return []


def _has_wildcard(part: str) -> bool:
    """fsutil's containsWildcards: *, ? or [ not escaped by a backslash."""
    pos = 0
    while pos < len(part):
        if part[pos] == "\\":
            pos += 1
        elif part[pos] in "*?[":
            return True
        pos += 1
    return False


def has_wildcards(source: str) -> bool:
    """Whether a COPY/ADD source is a wildcard (BuildKit allows it to match nothing)."""
    return any(_has_wildcard(part) for part in source.split("/"))


def _glob_regex(component: str) -> re.Pattern[str] | None:
    """filepath.Match for one component; None for a malformed one (no match)."""
    tokens = []
    pos = 0
    try:
        while pos < len(component):
            token, pos, _ = _simple_token(component, pos)
            tokens.append(token)
    except PatternError:
        return None
    return _component_regex(tokens)


def _clean_source(source: str) -> tuple[str, bool]:
    """Context-relative path ("" is the root) and whether it must be a dir.

    BuildKit joins the source to "/", so "..", "./" and a leading "/" all
    stay inside the context; it keeps a trailing "/" which then fails on a
    file.
    """
    return _go_clean("/" + source).lstrip("/"), source.endswith(("/", "/."))


def _split(rel: str) -> list[str]:
    return rel.split("/") if rel else []


def _member_name(name: str) -> str | None:
    """An archive member's path as Docker's untar places it; None to skip."""
    cleaned = _go_clean(name)
    if cleaned == ".." or cleaned.startswith("../"):
        return None                         # a breakout: the build fails
    cleaned = cleaned.lstrip("/")
    return cleaned if cleaned not in ("", ".") else None


def _add_member(found: dict[str, ContextFile], member: tarfile.TarInfo) -> None:
    name = _member_name(member.name)
    if name is None:
        return
    parts = name.split("/")
    for end in range(1, len(parts)):        # untar creates missing parents
        found.setdefault("/".join(parts[:end]), ContextFile("/".join(parts[:end]), 0, True))
    size = member.size if member.isreg() else 0
    found[name] = ContextFile(name, size, member.isdir())


def _members(tar: tarfile.TarFile) -> list[ContextFile] | None:
    member = tar.next()
    if member is None:          # Go's tar.Reader.Next gives io.EOF: no archive
        return None
    found: dict[str, ContextFile] = {}
    try:
        while member is not None:
            _add_member(found, member)
            member = tar.next()
    except _ARCHIVE_ERRORS:
        pass                    # a damaged tail fails the build; keep what was read
    return list(found.values())


def _read_archive(path: str) -> list[ContextFile] | None:
    """Members of a tar (plain, gzip, bzip2, xz), read as a stream, never
    extracted; None when the first header does not parse."""
    try:
        with open(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r|*") as tar:
            return _members(tar)
    except _ARCHIVE_ERRORS:
        return None


class BuildContext:
    """A local build context filtered like the one BuildKit receives.

    Directory listings, .dockerignore results and "is anything below kept"
    answers are cached, so many COPY lines over one context walk it once.
    """

    __slots__ = ("root", "ignore", "_root", "_listing", "_present", "_matches")

    def __init__(self, root: Path, ignore_patterns: Iterable[str] | None = None,
                 dockerfile: Path | None = None) -> None:
        """ignore_patterns None reads the ignore file (see read_dockerignore)."""
        self.root = Path(root)
        if ignore_patterns is None:
            ignore_patterns = read_dockerignore(self.root, dockerfile)
        self.ignore = PatternMatcher(ignore_patterns)
        self._root = os.fspath(self.root)
        self._listing: dict[str, dict[str, _Node]] = {}
        self._present: dict[str, bool] = {}
        self._matches: dict[tuple[str, tuple[str, ...]], tuple[SourceMatch, ...]] = {}

    def match(self, source: str, excludes: Sequence[str] = ()) -> list[SourceMatch]:
        """What one COPY/ADD source (variables already expanded) resolves to.

        [] when nothing matches. `excludes` are the --exclude patterns; as in
        BuildKit they apply below each matched directory, relative to it, and
        never to a source that is itself a file (moby/buildkit#5489).
        """
        key = (source, tuple(excludes))
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = tuple(self._resolve(source, excludes))
        return list(found)

    def _resolve(self, source: str, excludes: Sequence[str]) -> Iterator[SourceMatch]:
        rel, want_dir = _clean_source(source)
        copy_excludes = PatternMatcher(excludes, ignore_file=False) if excludes else None
        wildcard = has_wildcards(rel)
        paths = self._glob(rel) if wildcard else [rel]
        found = (self._match_path(path, copy_excludes, want_dir and not wildcard)
                 for path in paths)
        return (match for match in found if match is not None)

    def archive_entries(self, source: str) -> list[ContextFile] | None:
        """Members ADD would extract from source, or None if it is no archive.

        Pass one concrete path (e.g. a SourceMatch.source). Links among the
        members count 0 bytes; parents the archive only implies are listed.
        """
        rel, _ = _clean_source(source)
        node = self._lookup(_split(rel), follow_last=True)
        if node is None or node.kind != _FILE:
            return None
        return _read_archive(os.path.join(self._root, node.rel))

    # -- the filtered tree --

    def _children(self, node: _Node) -> dict[str, _Node]:
        """Entries of a directory that may exist in the sent context."""
        listing = self._listing.get(node.rel)
        if listing is None:
            listing = {}
            for name, kind, size in _scan_dir(os.path.join(self._root, node.rel)):
                child = self._child_node(node, name, kind, size)
                if child is not None:
                    listing[name] = child
            self._listing[node.rel] = listing
        return listing

    def _child_node(self, parent: _Node, name: str, kind: int, size: int) -> _Node | None:
        rel = f"{parent.rel}/{name}" if parent.rel else name
        excluded, info = self.ignore.matches_using_parent(rel, parent.info)
        if excluded and (kind != _DIR or not self.ignore.may_match_below(rel)):
            return None
        return _Node(rel, kind, size, excluded, info)

    def _is_present(self, node: _Node) -> bool:
        """An excluded directory is sent only to hold entries kept below it."""
        if not node.ignored:
            return True
        known = self._present.get(node.rel)
        if known is None:
            known = any(self._is_present(child) for child in self._children(node).values())
            self._present[node.rel] = known
        return known

    def _readlink(self, node: _Node) -> str | None:
        try:
            return os.readlink(os.path.join(self._root, node.rel))
        except OSError:
            return None

    def _lookup(self, parts: list[str], follow_last: bool) -> _Node | None:
        """Resolve parts like continuity's RootPath: links followed, clamped
        to the root ("/" in a target is the context root)."""
        pending = deque(parts)
        trail = [_ROOT]
        hops = 0
        while pending:
            name = pending.popleft()
            if name in ("", ".", ".."):
                if name == ".." and len(trail) > 1:
                    trail.pop()
                continue
            node = self._children(trail[-1]).get(name) if trail[-1].kind == _DIR else None
            if node is None:
                return None
            if node.kind == _LINK and (pending or follow_last):
                target = self._readlink(node)
                hops += 1
                if target is None or hops > _MAX_LINKS:
                    return None
                if target.startswith("/"):
                    del trail[1:]
                pending.extendleft(reversed(target.split("/")))
                continue
            trail.append(node)
        return trail[-1] if self._is_present(trail[-1]) else None

    # -- sources --

    def _glob(self, rel: str) -> list[str]:
        """fsutil's ResolveWildcards: a fixed prefix, then Match per component."""
        parts = _split(rel)
        split = next(index for index, part in enumerate(parts) if _has_wildcard(part))
        base = self._lookup(parts[:split], follow_last=True)
        matchers = [_glob_regex(part) for part in parts[split:]]
        if base is None or base.kind != _DIR or any(m is None for m in matchers):
            return []
        level = [base]
        for depth, matcher in enumerate(matchers):
            last = depth == len(matchers) - 1
            level = [child for node in level for name, child in self._children(node).items()
                     if matcher is not None and matcher.fullmatch(name)
                     and (self._is_present(child) if last else child.kind == _DIR)]
        return [node.rel for node in level]

    def _match_path(self, rel: str, excludes: PatternMatcher | None,
                    want_dir: bool) -> SourceMatch | None:
        node = self._lookup(_split(rel), follow_last=True)
        if node is None or (want_dir and node.kind != _DIR):
            return None
        if node.kind == _DIR:
            return SourceMatch(rel or ".", True, tuple(self._walk(node, "", None, excludes)))
        size = node.size if node.kind == _FILE else 0
        return SourceMatch(rel, False, (ContextFile("", size, False),))

    def _walk(self, node: _Node, prefix: str, parent: MatchInfo | None,
              excludes: PatternMatcher | None) -> Iterator[ContextFile]:
        """Entries below node that a copy keeps, relative to the source."""
        for name, child in self._children(node).items():
            rel = f"{prefix}/{name}" if prefix else name
            verdict = excludes.matches_using_parent(rel, parent) if excludes else (False, None)
            if child.kind == _DIR:
                yield from self._walk_dir(child, rel, verdict, excludes)
            elif not verdict[0]:
                yield ContextFile(rel, child.size if child.kind == _FILE else 0, False)

    def _walk_dir(self, node: _Node, rel: str, verdict: tuple[bool, MatchInfo | None],
                  excludes: PatternMatcher | None) -> Iterator[ContextFile]:
        excluded, info = verdict
        if excluded and excludes is not None and not excludes.may_match_below(rel):
            return
        below = list(self._walk(node, rel, info, excludes))
        # the copier creates an excluded dir only to hold entries kept below
        if below or (not excluded and self._is_present(node)):
            yield ContextFile(rel, 0, True)
        yield from below


class ContextCache:  # pylint: disable=too-few-public-methods
    """The build contexts of one run over files that do not change meanwhile.

    Dockerfiles of one folder with the same ignore patterns share a context,
    so the folder is listed, and each COPY source resolved, once per run.
    """

    __slots__ = ("_contexts", "_names")

    def __init__(self) -> None:
        self._contexts: dict[tuple[str, tuple[str, ...]], BuildContext] = {}
        self._names: dict[Path, frozenset[str]] = {}   # folder → its entries' names

    def get(self, root: Path, dockerfile: Path | None = None) -> BuildContext:
        """The context at root, as BuildContext(root, dockerfile=dockerfile) would be."""
        patterns = tuple(read_dockerignore(root, dockerfile, self._listed))
        key = (os.fspath(root), patterns)
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = BuildContext(root, patterns)
        return context

    def _listed(self, path: Path) -> bool:
        """Whether path's folder has an entry of its name (each folder listed once):
        most Dockerfiles have no ignore file, and a failed open per file adds up."""
        names = self._names.get(path.parent)
        if names is None:
            try:
                names = frozenset(os.listdir(path.parent))
            except OSError:
                names = frozenset()
            names = self._names[path.parent] = names
        return path.name in names
