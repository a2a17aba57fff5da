"""Tests for dlayerlint.context: .dockerignore semantics, source matching, archives."""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import random
import re
import tarfile
from functools import partial
from pathlib import Path

import pytest

from cpu_growth import assert_linear

from dlayerlint.simulate.context import build as ctx_mod
from dlayerlint.simulate.context.build import BuildContext, has_wildcards
from dlayerlint.simulate.context.entries import ContextFile, SourceMatch
from dlayerlint.simulate.context.dockerignore import (PatternError, PatternMatcher, parse_dockerignore,
                                                      read_dockerignore)


def make_tree(root: Path, files: dict[str, str | None]) -> Path:
    """Create files (str content) and empty dirs (None) under root."""
    for rel, content in files.items():
        path = root / rel
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    return root


def listing(match: SourceMatch) -> list[tuple[str, int, bool]]:
    return [(e.rel, e.size, e.is_dir) for e in match.entries]


def rels(context: BuildContext, source: str = ".", excludes: tuple[str, ...] = ()) -> list[str]:
    [match] = context.match(source, excludes)
    return [e.rel for e in match.entries]


# -- reading ignore files ---------------------------------------------------

def test_parse_dockerignore_comments_blanks_and_cleaning():
    data = (b"\xef\xbb\xbf# a comment\r\n"
            b"\n"
            b"   \n"
            b"  *.log  \r\n"
            b"/build/\n"
            b"./docs//api/../guide\n"
            b" #not-a-comment\n"
            b"!  /keep/./me\n"
            b"/\n")
    assert parse_dockerignore(data) == [
        "*.log", "build", "docs/guide", "/#not-a-comment", "!keep/me", "/",
    ]
    # the "/" keeps " #x" a pattern when the list is compiled
    assert PatternMatcher(parse_dockerignore(data)).patterns == (
        "*.log", "build", "docs/guide", "#not-a-comment", "!keep/me", "/",
    )


def test_comment_lines_do_not_exclude(tmp_path):
    make_tree(tmp_path, {"#secret": "s", "app.py": "print()", "notes.txt": "n",
                         ".dockerignore": "# notes.txt\n#secret\n\n*.txt\n"})
    context = BuildContext(tmp_path)
    assert rels(context) == ["#secret", ".dockerignore", "app.py"]


def test_dockerfile_specific_ignore_file_wins(tmp_path):
    make_tree(tmp_path, {".dockerignore": "*.txt\n", "a.txt": "aa", "secret.env": "k=v",
                         "build/app.Dockerfile": "FROM scratch\n",
                         "build/app.Dockerfile.dockerignore": "secret.env\n"})
    dockerfile = tmp_path / "build" / "app.Dockerfile"
    assert read_dockerignore(tmp_path) == ["*.txt"]
    assert read_dockerignore(tmp_path, dockerfile) == ["secret.env"]
    # a Dockerfile without its own ignore file falls back to the context's
    assert read_dockerignore(tmp_path, tmp_path / "Dockerfile") == ["*.txt"]

    specific = BuildContext(tmp_path, dockerfile=dockerfile)
    assert [m.source for m in specific.match("a.txt")] == ["a.txt"]
    assert specific.match("secret.env") == []
    generic = BuildContext(tmp_path)
    assert generic.match("a.txt") == []
    assert [m.entries for m in generic.match("secret.env")] == [(ContextFile("", 3, False),)]


def test_no_ignore_file_means_no_patterns(tmp_path):
    assert read_dockerignore(tmp_path) == []
    assert not PatternMatcher(read_dockerignore(tmp_path))


# -- pattern semantics ------------------------------------------------------

def test_exclusion_with_sizes(tmp_path):
    make_tree(tmp_path, {"a.txt": "abc", "b.log": "12345", "sub/c.txt": "1234567",
                         "sub/d.log": "x"})
    [match] = BuildContext(tmp_path, ["*.log"]).match(".")
    assert match.source == "." and match.is_dir
    # "*" stops at "/": sub/d.log stays
    assert listing(match) == [("a.txt", 3, False), ("sub", 0, True),
                              ("sub/c.txt", 7, False), ("sub/d.log", 1, False)]


def test_bang_reincludes_and_last_match_wins(tmp_path):
    make_tree(tmp_path, {"README.md": "r", "CHANGES.md": "c", "main.go": "m"})
    assert rels(BuildContext(tmp_path, ["*.md", "!README.md"])) == ["README.md", "main.go"]
    assert rels(BuildContext(tmp_path, ["*.md", "!README.md", "README*"])) == ["main.go"]
    assert rels(BuildContext(tmp_path, ["!README.md", "*.md"])) == ["main.go"]


def test_double_star(tmp_path):
    make_tree(tmp_path, {"a.py": "1", "a.pyc": "22", "pkg/b.pyc": "333",
                         "pkg/deep/er/c.pyc": "4444", "pkg/deep/er/c.py": "55555"})
    assert rels(BuildContext(tmp_path, ["**/*.pyc"])) == [
        "a.py", "pkg", "pkg/deep", "pkg/deep/er", "pkg/deep/er/c.py"]
    matcher = PatternMatcher(["a/**/b"])
    assert [matcher.matches(p) for p in ("a/b", "a/x/y/b", "a/b/c", "ab", "x/a/b")] == [
        True, True, True, False, False]
    # "dir/**" leaves the directory itself, "**" alone takes everything
    assert rels(BuildContext(tmp_path, ["pkg/**"])) == ["a.py", "a.pyc", "pkg"]
    assert rels(BuildContext(tmp_path, ["**"])) == []


def test_patternmatcher_quirks_follow_go():
    # "**x" is a plain suffix test in patternmatcher, "**/x" needs a slash
    assert PatternMatcher(["**foo"]).matches("barfoo")
    assert not PatternMatcher(["**/foo"]).matches("barfoo")
    assert PatternMatcher(["**/foo"]).matches("foo")
    assert PatternMatcher(["?.txt"]).matches("a.txt")
    assert not PatternMatcher(["?.txt"]).matches("ab.txt")
    assert PatternMatcher(["[a-c][^0-9].md"]).matches("bx.md")
    assert not PatternMatcher(["[a-c][^0-9].md"]).matches("b1.md")
    assert PatternMatcher([r"\*.txt"]).matches("*.txt")
    assert not PatternMatcher([r"\*.txt"]).matches("a.txt")
    # a negated class reaches across "/" in patternmatcher's regexp
    assert PatternMatcher(["a[^x]b"]).matches("a/b")


def test_leading_slash_is_context_root(tmp_path):
    make_tree(tmp_path, {"build/out.bin": "0101", "src/build/keep.c": "int"})
    assert rels(BuildContext(tmp_path, ["/build"])) == ["src", "src/build", "src/build/keep.c"]


def test_parent_directory_match_prunes_the_walk(tmp_path, monkeypatch):
    make_tree(tmp_path, {"node_modules/a/index.js": "x" * 10, "node_modules/b.js": "y",
                         "app.js": "z"})
    scanned = []
    real_scan = ctx_mod._scan_dir  # pylint: disable=protected-access

    def counting_scan(path):
        scanned.append(os.path.relpath(path, tmp_path))
        return real_scan(path)

    monkeypatch.setattr(ctx_mod, "_scan_dir", counting_scan)
    context = BuildContext(tmp_path, ["node_modules"])
    assert rels(context) == ["app.js"]
    assert context.ignore.matches("node_modules/a/index.js")
    assert not context.ignore.may_match_below("node_modules")
    assert context.match("node_modules/b.js") == []
    assert scanned == ["."]     # node_modules was never listed


def test_exception_below_excluded_dir(tmp_path):
    make_tree(tmp_path, {"docs/keep.md": "keep", "docs/drop.md": "drop",
                         "docs/img/a.png": "png", "other/x": "x"})
    context = BuildContext(tmp_path, ["docs", "other", "!docs/keep.md"])
    assert context.ignore.may_match_below("docs")
    assert not context.ignore.may_match_below("other")
    # the excluded dir is sent only to hold the kept file
    assert rels(context) == ["docs", "docs/keep.md"]
    assert [listing(m) for m in context.match("docs")] == [[("keep.md", 4, False)]]
    # a wildcard exception makes every excluded directory worth walking
    assert PatternMatcher(["x", "!**/*.md"]).may_match_below("x")


def test_parent_results_quirk_matches_buildkit(tmp_path):
    # MatchesUsingParentResults records the skipped third pattern as a miss
    # for "a", so "a/b" is kept while "a/c" is not
    make_tree(tmp_path, {"a/b": "bb", "a/c": "cc"})
    context = BuildContext(tmp_path, ["a", "!a/b", "a"])
    assert rels(context) == ["a", "a/b"]
    assert not context.ignore.matches("a/b")
    assert context.ignore.matches("a/c")


def test_invalid_patterns_raise():
    for bad in ("[", "[]", "[a-", "[z-a]", "a\\", "!"):
        with pytest.raises(PatternError):
            PatternMatcher([bad])


def test_matches_port_of_patternmatcher_regexp():
    """Random patterns agree with a direct port of patternmatcher's regexp."""
    def go_regexp(pattern: str) -> re.Pattern[str]:
        out, pos = "^", 0
        while pos < len(pattern):
            char = pattern[pos]
            if pattern.startswith("**", pos):
                pos += 2 + pattern.startswith("/", pos + 2)
                out += ".*" if pos >= len(pattern) else "(.*/)?"
                continue
            out += {"*": "[^/]*", "?": "[^/]", "[": "[", "]": "]", "^": "^"}.get(
                char, re.escape(char))
            pos += 1
        return re.compile(out + r"\Z")

    rng = random.Random(11)
    atoms = ["a", "b", "/", "*", "**", "?", "[ab]", "[^a]", "**/"]
    checked = 0
    for _ in range(4000):
        pattern = re.sub("/+", "/", "".join(rng.choice(atoms) for _ in range(rng.randint(1, 7))))
        pattern = pattern.strip("/")
        matcher = PatternMatcher([pattern])
        # patternmatcher answers "**x" with a suffix test, not its regexp
        if not pattern or matcher.patterns != (pattern,) or (
                pattern.startswith("**") and not re.search(r"[*?\[\]]", pattern[2:])):
            continue
        reference = go_regexp(pattern)
        for _ in range(10):
            path = re.sub("/+", "/", "".join(rng.choice("ab/") for _ in range(9))).strip("/")
            if path:
                compiled = matcher._patterns[0]  # pylint: disable=protected-access
                assert compiled.match(path) == bool(reference.match(path)), (pattern, path)
                checked += 1
    assert checked > 20000


def test_adversarial_patterns_are_fast(tmp_path):
    """Backtracking would grow with the name's length to the power of the stars: the
    matcher's CPU time grows linearly with it (tests/cpu_growth.py, no wall clock)."""
    for pattern in ("*a*a*a*a*a*a*a*a*a*a*b",      # one component
                    "x**a*a*a*a*a*a*a*a*a*a*b",    # not component-shaped
                    "*a*a*a*a*a*a*a*a*a*a*[^a]"):  # class that can match "/"
        matcher = PatternMatcher([pattern])
        assert not matcher.matches("a" * 50_000)
        assert not matcher.matches("/".join(["a" * 40] * 200))
        assert_linear(lambda n, m=matcher: partial(m.matches, "a" * n), 50_000, floor=0.01)
        assert_linear(lambda n, m=matcher: partial(m.matches, "/".join(["a" * 40] * n)), 200, floor=0.01)
    assert PatternMatcher(["*a*a*a*a*a*a*a*a*a*a*b"]).matches("a" * 50_000 + "b")

    # the same shape as a COPY wildcard over a long file name
    def copy_match(length: int):
        folder = tmp_path / str(length)
        make_tree(folder, {"a" * length: "1", "a" * length + "b": "22"})
        return lambda: [m.source for m in BuildContext(folder, []).match("*a*a*a*a*a*a*a*a*a*a*b")]
    assert copy_match(250)() == ["a" * 250 + "b"]
    assert_linear(copy_match, 248, floor=0.01)


# -- COPY sources -----------------------------------------------------------

def test_wildcard_sources(tmp_path):
    make_tree(tmp_path, {"a.txt": "1", "b.txt": "22", "c.md": "333", "sub/d.txt": "4444",
                         "src/one/x": "five5", "src/two/x/y.c": "six666", "src/three/y": "7",
                         "src/four": "file, not a dir"})
    context = BuildContext(tmp_path, [])
    matches = context.match("*.txt")
    assert [(m.source, m.is_dir, m.entries) for m in matches] == [
        ("a.txt", False, (ContextFile("", 1, False),)),
        ("b.txt", False, (ContextFile("", 2, False),)),
    ]
    matches = context.match("./src/*/x")
    assert [(m.source, m.is_dir, listing(m)) for m in matches] == [
        ("src/one/x", False, [("", 5, False)]),
        ("src/two/x", True, [("y.c", 6, False)]),
    ]
    assert [m.source for m in context.match("[ab].t?t")] == ["a.txt", "b.txt"]
    assert has_wildcards("src/*/x") and not has_wildcards(r"src/\*.txt")


def test_wildcards_skip_ignored_paths(tmp_path):
    make_tree(tmp_path, {"a.txt": "1", "b.txt": "2"})
    assert [m.source for m in BuildContext(tmp_path, ["b.txt"]).match("*.txt")] == ["a.txt"]


def test_dir_source_lists_everything_with_sizes(tmp_path):
    make_tree(tmp_path, {"app/main.py": "print('hi')\n", "app/pkg/__init__.py": "",
                         "app/pkg/data.bin": "x" * 1000, "app/empty": None, "other.txt": "o"})
    for source in ("app", "app/", "./app/", "/app", "app/."):
        [match] = BuildContext(tmp_path, []).match(source)
        assert match.source == "app" and match.is_dir
        assert listing(match) == [
            ("empty", 0, True), ("main.py", 12, False), ("pkg", 0, True),
            ("pkg/__init__.py", 0, False), ("pkg/data.bin", 1000, False)]


def test_copy_excludes_are_relative_to_each_source(tmp_path):
    # the layout of BuildKit's own --exclude integration test
    make_tree(tmp_path, {"dir1/file-101.png": "2", "dir1/file-102.txt": "3",
                         "dir1/file-103.jpeg": "4", "dir2/file-201.pdf": "6",
                         "dir2/file-202.jpeg": "7", "dir2/file-203.png": "8",
                         "dir3/file-301.mp3": "9", "dir3/file-302.mpeg": "10"})
    context = BuildContext(tmp_path, [])
    assert rels(context, ".", ("*/*.png", "*/*.jpeg")) == [
        "dir1", "dir1/file-102.txt", "dir2", "dir2/file-201.pdf",
        "dir3", "dir3/file-301.mp3", "dir3/file-302.mpeg"]
    assert rels(context, "dir3/", ("*.mp3",)) == ["file-302.mpeg"]
    matches = context.match("dir*", ("*.mp3", "*.jpeg", "*.png", "*.pdf", "*.txt"))
    assert [(m.source, listing(m)) for m in matches] == [
        ("dir1", []), ("dir2", []), ("dir3", [("file-302.mpeg", 2, False)])]
    # a file source is never excluded by --exclude (moby/buildkit#5489)
    assert [m.source for m in context.match("dir1/file-102.txt", ("*.txt",))] == [
        "dir1/file-102.txt"]
    # exceptions work as in .dockerignore, and a leading "/" is not stripped
    assert rels(context, "dir2", ("*", "!*.pdf")) == ["file-201.pdf"]
    assert rels(context, "dir2", ("/file-201.pdf",)) == [
        "file-201.pdf", "file-202.jpeg", "file-203.png"]


def test_empty_and_excluded_directories(tmp_path):
    make_tree(tmp_path, {"cache": None, "logs/a.log": "l", "data/x.bin": "xx", "data/y": "y"})
    context = BuildContext(tmp_path, ["logs/*.log"])
    # an empty dir is copied; a dir emptied by .dockerignore still exists
    assert rels(context) == ["cache", "data", "data/x.bin", "data/y", "logs"]
    # a dir emptied by --exclude is still created, an excluded one is not
    assert rels(context, ".", ("data/*",)) == ["cache", "data", "logs"]
    assert rels(context, ".", ("data",)) == ["cache", "logs"]
    assert [listing(m) for m in context.match("cache")] == [[]]


def test_missing_or_ignored_sources_match_nothing(tmp_path):
    make_tree(tmp_path, {"present.txt": "p", "secret.key": "k"})
    context = BuildContext(tmp_path, ["*.key"])
    assert context.match("absent.txt") == []
    assert context.match("absent/*.txt") == []
    assert context.match("*.none") == []
    assert context.match("secret.key") == []
    assert context.match("present.txt/") == []      # a trailing "/" wants a dir
    assert [m.source for m in context.match("present.txt")] == ["present.txt"]


def test_sources_and_links_stay_inside_the_context(tmp_path):
    root = make_tree(tmp_path / "ctx", {"a.txt": "abc", "etc/passwd": "fake", "lib/real/f": "ff"})
    (tmp_path / "outside.txt").write_text("outside")
    os.symlink("/etc", root / "abs")                 # "/" means the context root
    os.symlink("../../../..", root / "lib" / "up")   # clamped at the root
    os.symlink("real", root / "lib" / "cur")
    os.symlink("../outside.txt", root / "escape")    # resolves to ctx/outside.txt
    context = BuildContext(root, [])
    a_txt = (ContextFile("", 3, False),)
    for source in ("../a.txt", "/a.txt", "./a.txt", "sub/../../a.txt"):
        assert [(m.source, m.entries) for m in context.match(source)] == [("a.txt", a_txt)]
    assert [(m.source, m.entries) for m in context.match("lib/up/a.txt")] == [
        ("lib/up/a.txt", a_txt)]
    assert [listing(m) for m in context.match("abs")] == [[("passwd", 4, False)]]
    assert context.match("escape") == []
    # inside a directory source a symlink is listed, not followed, size 0
    assert listing(context.match("lib")[0]) == [
        ("cur", 0, False), ("real", 0, True), ("real/f", 2, False), ("up", 0, False)]
    assert [m.is_dir for m in context.match("lib/cur")] == [True]


def test_listings_are_cached(tmp_path, monkeypatch):
    make_tree(tmp_path, {"a/b/c.txt": "c", "a/d.txt": "d"})
    scanned = []
    real_scan = ctx_mod._scan_dir  # pylint: disable=protected-access

    def counting_scan(path):
        scanned.append(os.path.relpath(path, tmp_path))
        return real_scan(path)

    monkeypatch.setattr(ctx_mod, "_scan_dir", counting_scan)
    context = BuildContext(tmp_path, [])
    for _ in range(3):
        assert rels(context, "a") == ["b", "b/c.txt", "d.txt"]
        assert [m.source for m in context.match("a/*.txt")] == ["a/d.txt"]
    assert sorted(scanned) == [".", "a", "a/b"]


# -- ADD archives -----------------------------------------------------------

def tar_bytes() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("./app/main.py", b"print()\n"), ("/abs/b.bin", b"12345"),
                           ("../evil", b"x"), ("app/empty/", None)):
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
            else:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
        link = tarfile.TarInfo("app/link")
        link.type, link.linkname = tarfile.SYMTYPE, "main.py"
        tar.addfile(link)
    return buf.getvalue()


def test_archive_detection_by_content(tmp_path):
    plain = tar_bytes()
    files = {"plain.tar": plain, "packed.tgz": gzip.compress(plain),
             "packed.tar.bz2": bz2.compress(plain), "packed.bin": lzma.compress(plain),
             "x.tar.gz": b"not an archive at all\n", "notes.gz": gzip.compress(b"hello " * 100),
             "empty.tar": b"\0" * 10240, "ignored.tar": plain}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    context = BuildContext(tmp_path, ["ignored.tar"])
    expected = [ContextFile("app", 0, True), ContextFile("app/main.py", 8, False),
                ContextFile("abs", 0, True), ContextFile("abs/b.bin", 5, False),
                ContextFile("app/empty", 0, True), ContextFile("app/link", 0, False)]
    for name in ("plain.tar", "packed.tgz", "packed.tar.bz2", "packed.bin"):
        assert context.archive_entries(name) == expected, name
    for name in ("x.tar.gz", "notes.gz", "empty.tar", "ignored.tar", "absent.tar", "."):
        assert context.archive_entries(name) is None, name
