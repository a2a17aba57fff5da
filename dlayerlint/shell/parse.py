"""Turn a RUN body (a shell script string) into a flat list of simple commands.

tree-sitter-bash supplies the structure (lists, pipelines, compound
statements, substitutions); each word is then re-lexed from the source text so
that quote removal and expansion boundaries are decided in one place.  Nothing
is ever executed.  The walk over the tree uses an explicit stack because RUN
bodies can be machine-generated and arbitrarily deep.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import tree_sitter_bash
from tree_sitter import Language, Node, Parser, Tree

from .script import Script, _Source
from .walk import _REDIRECTS, _Walker


# tree-sitter-bash is superlinear on long pipelines (time grows with the square
# of their length) and in error recovery (it re-reads the text from far back for
# each error token: `)))...`, `>>>...`). No real RUN body comes near these limits
# (the corpus's largest has 19,028 characters and 47 `|`); a body beyond them
# is left unparsed, as an unknown command.
MAX_SCRIPT_CHARS = 1_000_000
MAX_PIPES = 2_000          # a 2,000-stage pipeline parses in ~0.1 s
_CHUNK = 1024              # bytes handed to tree-sitter per read
_READS_PER_CHUNK = 8       # a parse reads each chunk ~2 times; error recovery far more
_MIN_READS = 64
_PIPE = re.compile(r"\|\|?")
_BACKTICK_SPACE = re.compile(r"`[ \t]")


@functools.cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_bash.language()))


@functools.lru_cache(maxsize=4096)
def parse_script(body: str) -> Script:
    """Parse a RUN body into its simple commands; never raises on bad input.

    Memoised: RUN bodies repeat across the Dockerfiles of a project (image
    variants), and a Script is immutable. The cache holds more bodies than a
    3,000-line file has RUNs, so an editor's re-lint after one edit parses one."""
    src = _Source(body)
    reason = _beyond_limits(body)
    tree = _parse(src) if reason is None else None
    if tree is None:
        return Script((), (), False, reason or "the shell parser would take quadratic time on it")
    walker = _Walker(src)
    walker.run(tree.root_node)
    return walker.script(_error_spans(tree.root_node, src))


def _beyond_limits(body: str) -> str | None:
    """Why body is too big to parse, or None."""
    if len(body) > MAX_SCRIPT_CHARS:
        return f"longer than {MAX_SCRIPT_CHARS:,} characters"
    if body.count("|") > MAX_PIPES and sum(len(m.group()) == 1 for m in _PIPE.finditer(body)) > MAX_PIPES:
        return f"more than {MAX_PIPES:,} pipes"
    return None


def _bounded_parse(data: bytes) -> Tree | None:
    """tree-sitter's tree of data, or None when it reads the text more often
    than a linear parse does: it is then quadratic, so it is stopped (an
    empty read ends its input)."""
    if len(data) <= _CHUNK:
        return _parser().parse(data)
    budget = _MIN_READS + _READS_PER_CHUNK * (len(data) // _CHUNK)
    reads = 0

    def read(offset: int, _point: object) -> bytes:
        nonlocal reads
        reads += 1
        return b"" if reads > budget else data[offset:offset + _CHUNK]

    tree = _parser().parse(read)
    return tree if reads <= budget else None


def _parse(src: _Source) -> Tree | None:
    tree = _bounded_parse(src.ascii)
    if tree is None or "`" not in src.text or not _BACKTICK_SPACE.search(src.text):
        return tree
    if not _backtick_trouble(tree.root_node, src):
        return tree
    # Upstream tree-sitter-bash #278: "` cmd`" can swallow following lines.
    # "` " -> "$(" and "`" -> ")" keep every offset, so the original text
    # still supplies all raw values.
    fixed = _Source(_rewrite_backticks(src.text))
    repaired = _bounded_parse(fixed.ascii)
    return tree if repaired is None or _backtick_trouble(repaired.root_node, fixed) else repaired


def _backtick_trouble(root: Node, src: _Source) -> bool:
    """Errors, or an unescaped backtick substitution nested in another."""
    if root.has_error:
        return True
    stack = [(root, False)]
    while stack:
        node, in_backticks = stack.pop()
        if node.type == "command_substitution":
            start = src.pos(node.start_byte)
            if src.text.startswith("`", start):
                if in_backticks and src.text[start - 1:start] != "\\":
                    return True
                in_backticks = True
        stack.extend((child, in_backticks) for child in node.children)
    return False


def _rewrite_backticks(text: str) -> str:
    """Turn each "` cmd`" into "$(cmd)" of the same length (a rough lexer)."""
    out = list(text)
    i, size, dquote, opened = 0, len(text), False, None
    while i < size:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if opened is not None:
            if char == "`":
                if opened >= 0:
                    out[opened:opened + 2] = ["$", "("]
                    out[i] = ")"
                opened = None
            i += 1
            continue
        if char == "`":
            opened = i if text[i + 1:i + 2] in (" ", "\t") else -1
        elif char == '"':
            dquote = not dquote
        elif not dquote:
            i = _skip_unquoted(text, i)
        i += 1
    return "".join(out)


def _skip_unquoted(text: str, i: int) -> int:
    """Index of the last character of a '...' string or comment at i."""
    char = text[i]
    if char == "'":
        end = text.find("'", i + 1)
        return len(text) if end < 0 else end
    if char == "#" and (i == 0 or text[i - 1] in " \t\n;&|("):
        end = text.find("\n", i)
        return len(text) if end < 0 else end - 1
    return i


def _error_spans(root: Node, src: _Source) -> Iterable[tuple[int, int]]:
    if not root.has_error:
        return
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or (node.is_missing and not _harmless_missing(node)):
            yield src.pos(node.start_byte), src.pos(node.end_byte)
        elif node.has_error:
            stack.extend(node.children)


def _harmless_missing(node: Node) -> bool:
    """`X=1 >f` is valid shell, but tree-sitter wants a command name there."""
    parent = node.parent
    command = parent.parent if parent is not None else None
    if parent is None or parent.type != "command_name" or command is None:
        return False
    return any(kid.type == "variable_assignment" or kid.type in _REDIRECTS
               for kid in command.children)
