"""Walk tree-sitter's bash tree into simple commands, with the control flow that decides
which of them surely run (and-lists, `set -e`, subshells, pipes)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from tree_sitter import Node

from .words import Part, Word, WordLexer
from .script import Redirect, Command, Script, _Source


# Nesting beyond this (subshells, substitutions) is reported in errors rather
# than walked: every level copies the raw text of the levels below it.
_MAX_DEPTH = 100

_REDIRECTS = frozenset({"file_redirect", "herestring_redirect", "heredoc_redirect"})
_SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})
_OPAQUE = {
    "simple_expansion": "param",
    "expansion": "param",
    "command_substitution": "command",
    "process_substitution": "command",
    "arithmetic_expansion": "arith",
}
_REBIND = frozenset({"list", "pipeline", "negated_command"})
_SIMPLE_BODIES = frozenset({
    "command", "declaration_command", "unset_command", "test_command",
    "variable_assignment", "variable_assignments",
})
_HANDLERS = {
    "program": "_sequence",
    "do_group": "_sequence",
    "ERROR": "_sequence",
    "case_item": "_sequence",
    "elif_clause": "_sequence",
    "else_clause": "_sequence",
    "compound_statement": "_compound",
    "subshell": "_subshell",
    "list": "_list",
    "pipeline": "_pipeline",
    "negated_command": "_negated",
    "if_statement": "_if",
    "while_statement": "_while",
    "for_statement": "_for",
    "c_style_for_statement": "_for",
    "select_statement": "_for",
    "case_statement": "_case",
    "function_definition": "_function",
    "redirected_statement": "_redirected",
    **{name: "_simple" for name in _SIMPLE_BODIES},
}

_SPECIAL = re.compile(r"[\\'\"$`*?\[~<>]")


_SET = (Part("text", "set", False),)


@functools.lru_cache(maxsize=4096)
def _text_part(text: str) -> Part:
    # words like "-y" or "&&" repeat across bodies; Parts are immutable
    return Part("text", text, False)


# --------------------------------------------------------------------------
# The walk


class _Ctx(NamedTuple):
    """What the enclosing structure says about commands below it."""

    cond: bool = False
    scope: tuple[int, ...] = ()
    subst: bool = False
    neg: bool = False
    redirs: tuple[Redirect, ...] = ()
    # `a && b` skips b when a fails; that only leaves b unrun in a RUN that
    # succeeds when the and-list's failure is tolerated: by a following `||`
    # or an `if`/`while` test (or_guard), or by a following statement when
    # `set -e` is off (seq_guard)
    after_and: bool = False
    or_guard: bool = False
    seq_guard: bool = False


class _Pending:
    """Pieces of one simple command gathered before it is built. A plain class: one is
    made per command, and a dataclass's five default factories cost more than the walk's step."""

    __slots__ = ("argv", "assigns", "redirects", "substs", "tails", "end")

    def __init__(self) -> None:
        self.argv: list[Node] = []
        self.assigns: list[tuple[str, Word]] = []
        self.redirects: list[Redirect] = []
        self.substs: list[Node] = []
        self.tails: list[tuple[str, Node]] = []  # what a heredoc swallowed
        self.end = -1  # character offset

    def reach(self, end: int) -> None:
        """The command extends at least to this character offset."""
        self.end = max(self.end, end)


_Task = tuple[Callable[[Any, _Ctx], None], Any, _Ctx]


class _Walker:
    """Iterative walk of the tree producing Commands in execution order."""

    __slots__ = ("src", "commands", "stack", "next_scope", "errexit", "too_deep", "rebound")

    def __init__(self, src: _Source) -> None:
        self.src = src
        self.commands: list[Command] = []
        self.stack: list[_Task] = []
        self.next_scope = 0
        self.errexit = False
        self.too_deep: set[tuple[int, int]] = set()
        self.rebound: dict[int, list[Node]] = {}  # node id -> redirects moved onto it

    def run(self, root: Node) -> None:
        """Walk the whole tree."""
        self.stack.append((self._sequence, root, _Ctx()))
        while self.stack:
            handler, item, ctx = self.stack.pop()
            handler(item, ctx)

    def script(self, errors: Iterable[tuple[int, int]]) -> Script:
        """The result, given the parse errors of the tree."""
        spans = sorted(set(errors) | self.too_deep)
        return Script(tuple(self.commands), tuple(spans), self.errexit)

    def _push(self, tasks: list[_Task]) -> None:
        self.stack.extend(reversed(tasks))  # first task runs first

    def _statement(self, node: Node, ctx: _Ctx) -> None:
        if self.rebound and node.id in self.rebound:
            self._attach(node, node, self.rebound.pop(node.id), ctx)
            return
        name = _HANDLERS.get(node.type)
        if name is None:
            self._scan(node, ctx)
        else:
            getattr(self, name)(node, ctx)

    def _new_scope(self, ctx: _Ctx, node: Node) -> _Ctx | None:
        if len(ctx.scope) >= _MAX_DEPTH:
            self.too_deep.add((self.src.pos(node.start_byte), self.src.pos(node.end_byte)))
            return None
        self.next_scope += 1
        return ctx._replace(scope=ctx.scope + (self.next_scope,))

    def _scoped(self, node: Node, ctx: _Ctx) -> None:
        inner = self._new_scope(ctx, node)
        if inner is not None:
            self._statement(node, inner)

    def _scan(self, node: Node, ctx: _Ctx) -> None:
        """A non-statement node: only its substitutions run."""
        self._push([(self._substitution, sub, ctx) for sub in _find_substitutions([node])])

    def _substitution(self, node: Node, ctx: _Ctx) -> None:
        inner = self._new_scope(ctx, node)
        if inner is not None:
            self._sequence(node, inner._replace(subst=True, neg=False, redirs=()))

    def _sequence(self, node: Node, ctx: _Ctx) -> None:
        ctx = self._settle(ctx)
        kids = node.children
        statements = [i for i, kid in enumerate(kids) if kid.is_named and kid.type != "comment"]
        tasks: list[_Task] = []
        for index in statements:
            # `cmd &` runs in a background subshell: its cd does not stick
            background = index + 1 < len(kids) and kids[index + 1].type == "&"
            own = ctx if index == statements[-1] else ctx._replace(seq_guard=True)
            tasks.append((self._scoped if background else self._statement, kids[index], own))
        self._push(tasks)

    def _settle(self, ctx: _Ctx) -> _Ctx:
        """Entering a nested sequence: decide the enclosing and-list's part
        now, so the sequence's own statements start a fresh and-list. The
        guards stay: the sequence fails exactly when its last statement does."""
        if not ctx.after_and:
            return ctx
        tolerated = ctx.or_guard or (ctx.seq_guard and not self.errexit)
        return ctx._replace(cond=ctx.cond or tolerated, after_and=False)

    def _compound(self, node: Node, ctx: _Ctx) -> None:
        if node.child_count and node.children[0].type == "((":
            self._scan(node, ctx)  # arithmetic command
        else:
            self._sequence(node, ctx)

    def _subshell(self, node: Node, ctx: _Ctx) -> None:
        inner = self._new_scope(ctx, node)
        if inner is not None:
            self._sequence(node, inner)

    def _negated(self, node: Node, ctx: _Ctx) -> None:
        self._sequence(node, ctx._replace(neg=True))

    def _list(self, node: Node, ctx: _Ctx) -> None:
        tasks: list[_Task] = []
        operator = ""
        operators = [kid.type for kid in node.children if not kid.is_named]
        for kid in node.children:
            if not kid.is_named:
                operator = kid.type
            elif kid.type != "comment":
                own = _after(operator, ctx)
                if not operator and "||" in operators:
                    own = own._replace(or_guard=True)
                tasks.append((self._statement, kid, own))
        self._push(tasks)

    def _pipeline(self, node: Node, ctx: _Ctx) -> None:
        members = [kid for kid in node.children if kid.is_named and kid.type != "comment"]
        # every member of a real pipeline runs in its own subshell
        handler = self._scoped if len(members) > 1 else self._statement
        self._push([(handler, kid, ctx) for kid in members])

    def _if(self, node: Node, ctx: _Ctx) -> None:
        body, tasks = ctx._replace(cond=True), []
        in_body = False
        for kid in node.children:
            if not kid.is_named:
                in_body = in_body or kid.type == "then"
            elif kid.type != "comment":
                tasks.append((self._statement, kid, body if in_body else ctx._replace(or_guard=True)))
        self._push(tasks)

    def _while(self, node: Node, ctx: _Ctx) -> None:
        # the condition runs at least once; the body maybe never
        self._push([(self._statement, kid, _body_ctx(kid, ctx))
                    for kid in node.children if kid.is_named])

    def _for(self, node: Node, ctx: _Ctx) -> None:
        tasks: list[_Task] = []
        for kid in node.children:
            if kid.type in ("do_group", "compound_statement"):
                tasks.append((self._sequence, kid, ctx._replace(cond=True)))
            elif kid.is_named:  # the word list: only substitutions run
                tasks.append((self._scan, kid, ctx))
        self._push(tasks)

    def _case(self, node: Node, ctx: _Ctx) -> None:
        arm = ctx._replace(cond=True)
        self._push([(self._statement, kid, arm if kid.type == "case_item" else ctx)
                    for kid in node.children if kid.is_named])

    def _function(self, node: Node, ctx: _Ctx) -> None:
        kids = [kid for kid in node.children if kid.is_named and kid.type != "word"]
        pend = _Pending()  # `f() { ...; } > log` redirects every call
        self._take_redirects([kid for kid in kids if kid.type in _REDIRECTS], pend)
        body = ctx._replace(cond=True, redirs=tuple(pend.redirects) + ctx.redirs)
        self._push([(self._statement, kid, body) for kid in kids if kid.type not in _REDIRECTS])

    # -- simple commands ---------------------------------------------------

    def _simple(self, node: Node, ctx: _Ctx) -> None:
        self._push(self._simple_tasks(node, node, [], ctx))

    def _simple_tasks(self, node: Node, body: Node | None, redirects: list[Node],
                      ctx: _Ctx) -> list[_Task]:
        """Tasks for one simple command (body) plus statement-level redirects."""
        pend, tasks, start = _Pending(), [], node
        if body is not None and body.type == "command":
            kids = body.children
            split = _prefix_split(kids, self.src)
            if split is not None:  # `X=1 >f; cmd`: two commands glued into one
                cut, resume, operator = split
                prefix = _Pending()
                self._take_command(kids[:cut], prefix, True)
                tasks = self._command_tasks(node, prefix, ctx)
                kids, start, ctx = kids[resume:], kids[resume], _after(operator, ctx)
            self._take_command(kids, pend, True)
        elif body is not None:
            self._take(body, pend)
        if redirects:
            self._take_redirects(redirects, pend)
        return tasks + self._command_tasks(start, pend, ctx)

    def _redirected(self, node: Node, ctx: _Ctx) -> None:
        body, redirects = _body_and_redirects(node)
        self._attach(node, body, redirects, ctx)

    def _attach(self, node: Node, body: Node | None, redirects: list[Node], ctx: _Ctx) -> None:
        """Run body with redirects (node is the statement, for its offsets)."""
        if body is not None and body.type == "redirected_statement":
            body, inner = _body_and_redirects(body)
            redirects = inner + redirects
        if body is not None and body.type in _REBIND:
            # tree-sitter hangs the redirects of `a && b > f` and `a | b > f`
            # on the whole list; bash binds them to b alone
            self.rebound[_last_operand(body).id] = redirects
            self._statement(body, ctx)
        elif body is None or body.type in _SIMPLE_BODIES:
            self._push(self._simple_tasks(node, body, redirects, ctx))
        else:
            self._compound_redirected(body, redirects, ctx)

    def _compound_redirected(self, body: Node, redirects: list[Node], ctx: _Ctx) -> None:
        # the redirections of `{ a; b; } > f` apply to every command inside
        pend = _Pending()
        self._take_redirects(redirects, pend)
        inner = self._member_ctx(pend, ctx, body)
        if inner is None:
            return
        inner = inner._replace(redirs=tuple(pend.redirects) + ctx.redirs)
        self._push(self._substitution_tasks(pend, ctx)
                   + [(self._statement, body, inner)] + self._tail_tasks(pend, ctx))

    def _member_ctx(self, pend: _Pending, ctx: _Ctx, node: Node) -> _Ctx | None:
        """A heredoc followed by `| cmd` makes this command a pipeline member."""
        if any(op == "|" for op, _ in pend.tails):
            return self._new_scope(ctx, node)
        return ctx

    def _take(self, node: Node, pend: _Pending) -> None:
        kind = node.type
        if kind == "test_command":
            pend.argv.extend(_test_leaves(node))
        elif kind == "variable_assignment":
            pend.assigns.append(self._assignment(node, pend))
        elif kind == "variable_assignments":
            pend.assigns.extend(self._assignment(kid, pend) for kid in node.children
                                if kid.type == "variable_assignment")
        else:  # declaration_command, unset_command
            self._take_command(node.children, pend, False)

    def _take_command(self, kids: list[Node], pend: _Pending, plain: bool) -> None:
        redirects = []
        for kid in kids:
            kind = kid.type
            if kind in _REDIRECTS:
                redirects.append(kid)
            elif kind == "variable_assignment" and plain:
                pend.assigns.append(self._assignment(kid, pend))
            elif kind == "command_name":
                pend.argv.extend(kid.children)
            elif kind not in ("ERROR", "comment"):
                pend.argv.append(kid)  # declaration `X=1` stays an argument
        if redirects:
            self._take_redirects(redirects, pend)

    def _take_redirects(self, nodes: list[Node], pend: _Pending) -> None:
        work = list(reversed(nodes))
        while work:  # heredoc redirects nest the redirects that follow them
            node = work.pop()
            if node.type == "heredoc_redirect":
                nested = self._heredoc(node, pend)
                work.extend(reversed(nested))
            else:
                self._file_redirect(node, pend)

    def _file_redirect(self, node: Node, pend: _Pending) -> None:
        fd, op, targets = None, None, []
        for kid in node.children:
            if kid.type == "file_descriptor":
                fd = self.src.text_of(kid)
            elif not kid.is_named:
                op = op or kid.type
            elif kid.type not in ("ERROR", "comment"):
                targets.append(kid)
        groups = _adjacent_groups(targets, self.src.data)
        target = self._word(groups[0], pend.substs) if groups else None
        for group in groups[1:]:  # `cmd > f arg`: tree-sitter hangs arg on the redirect
            pend.argv.extend(group)
        end = target.end if target else self.src.pos(node.end_byte)
        pend.redirects.append(Redirect(op or "", fd, target, self.src.pos(node.start_byte), end))
        pend.reach(end)

    def _heredoc(self, node: Node, pend: _Pending) -> list[Node]:
        """Record a heredoc; return the redirects tree-sitter nested in it."""
        fd, end, nested, operator = None, node.end_byte, [], ""
        for kid in node.children:
            kind = kid.type
            if kind == "file_descriptor":
                fd = self.src.text_of(kid)
            elif kind == "heredoc_start":
                end = kid.end_byte
            elif kind in _REDIRECTS:
                nested.append(kid)
            elif kind == "heredoc_body":  # unquoted bodies expand $(...)
                pend.substs.extend(_find_substitutions(kid.children))
            elif kind == "pipeline":
                pend.tails.extend(("|", sub) for sub in kid.children if sub.is_named)
            elif kind in ("&&", "||"):
                operator = kind
            elif kid.is_named and operator:
                pend.tails.append((operator, kid))
                operator = ""
        end = self.src.pos(end)
        pend.redirects.append(Redirect("<<", fd, None, self.src.pos(node.start_byte), end))
        pend.reach(end)
        return nested

    def _assignment(self, node: Node, pend: _Pending) -> tuple[str, Word]:
        name, value, seen_op = "", [], False
        op_end = node.end_byte
        for kid in node.children:
            if seen_op:
                value.append(kid)
            elif kid.type in ("=", "+="):
                seen_op, op_end = True, kid.end_byte
            elif not name:
                name = self.src.text_of(kid)
        groups = _adjacent_groups(value, self.src.data)
        if groups:
            word = self._word([n for group in groups for n in group], pend.substs, True)
        else:
            word = Word((), self.src.pos(op_end), self.src.pos(op_end))
        pend.reach(self.src.pos(node.end_byte))
        return name, word

    def _word(self, nodes: list[Node], substs: list[Node], assign: bool = False) -> Word:
        src, first = self.src, nodes[0]
        start, end = first.start_byte, nodes[-1].end_byte
        if src.table is not None:
            start, end = src.table[start], src.table[end]
        raw = src.text[start:end]
        if len(nodes) == 1 and not first.child_count:
            # a lone leaf (most words) holds no expansion
            if _SPECIAL.search(raw) is None:
                return Word((_text_part(raw),), start, end)
            opaque = {}
        else:
            opaque = self._opaque(nodes, start, substs)
        assign = assign or first.type == "variable_assignment"
        return Word(WordLexer(raw, opaque, assign).run(), start, end)

    def _opaque(self, nodes: list[Node], start: int,
                substs: list[Node]) -> dict[int, tuple[int, str]]:
        """Expansions inside a word as {offset in word: (end, kind)}."""
        pos, opaque = self.src.pos, {}
        work = list(nodes)
        while work:
            node = work.pop()
            kind = _OPAQUE.get(node.type)
            if kind is None:
                work.extend(node.children)
                continue
            low, high = pos(node.start_byte) - start, pos(node.end_byte) - start
            if high > low:
                opaque[low] = (high, kind)
            # ${X:-$(cmd)} and $(( $(cmd) )) still run cmd
            substs.extend([node] if kind == "command" else _find_substitutions(node.children))
        return opaque

    def _command_tasks(self, node: Node, pend: _Pending, ctx: _Ctx) -> list[_Task]:
        """Build the Command; its substitutions run first, heredoc tails after."""
        own = self._member_ctx(pend, ctx, node) if pend.tails else ctx
        if own is None:
            return []
        words = [self._word(group, pend.substs)
                 for group in _adjacent_groups(pend.argv, self.src.data)]
        argv = tuple(words)
        start = self.src.pos(node.start_byte)
        end = max(pend.end, start, argv[-1].end if argv else start)
        tolerated = own.or_guard or (own.seq_guard and not self.errexit)
        conditional = own.cond or (own.after_and and tolerated)
        command = Command(argv, tuple(pend.assigns), tuple(pend.redirects) + own.redirs,
                          start, end, conditional, own.scope, own.subst, own.neg)
        if not (own.cond or own.subst or own.scope) and _sets_errexit(argv):
            self.errexit = True
        tasks: list[_Task] = [(self._emit, command, own)]
        if pend.substs or pend.tails:
            tasks = self._substitution_tasks(pend, own) + tasks + self._tail_tasks(pend, ctx)
        return tasks

    def _substitution_tasks(self, pend: _Pending, ctx: _Ctx) -> list[_Task]:
        """Substitutions run before their command, left to right."""
        pend.substs.sort(key=lambda sub: sub.start_byte)
        return [(self._substitution, sub, ctx) for sub in pend.substs]

    def _emit(self, command: Command, _ctx: _Ctx) -> None:
        self.commands.append(command)

    def _tail_tasks(self, pend: _Pending, ctx: _Ctx) -> list[_Task]:
        """Rebuild `cat <<EOF | a && b` from the heredoc that swallowed it."""
        tasks: list[_Task] = []
        for operator, node in pend.tails:
            if operator != "|":
                tasks.append((self._statement, node, _after(operator, ctx)))
                continue
            first, rest = _split_list(node)
            members = first.children if first.type == "pipeline" else [first]
            tasks.extend((self._scoped, kid, ctx) for kid in members
                         if kid.is_named and kid.type != "comment")
            tasks.extend((self._statement, kid, _after(op, ctx)) for op, kid in rest)
        return tasks


def _after(operator: str, ctx: _Ctx) -> _Ctx:
    """Context for the right side of && / || (the fallback may not run)."""
    if operator == "||":
        return ctx if ctx.cond else ctx._replace(cond=True)
    return ctx._replace(after_and=True) if operator == "&&" else ctx


def _body_ctx(node: Node, ctx: _Ctx) -> _Ctx:
    return ctx._replace(cond=True) if node.type == "do_group" else ctx


def _split_list(node: Node) -> tuple[Node, list[tuple[str, Node]]]:
    """Leftmost operand of a (left-nested) list and the (op, operand) pairs after it."""
    rest: list[tuple[str, Node]] = []
    while node.type == "list":
        kids = [kid for kid in node.children if kid.type != "comment"]
        pairs, operator = [], ""
        for kid in kids[1:]:
            if kid.is_named:
                pairs.append((operator, kid))
            else:
                operator = kid.type
        rest[:0] = pairs
        if not kids:
            break
        node = kids[0]
    return node, rest


def _body_and_redirects(node: Node) -> tuple[Node | None, list[Node]]:
    """Split a redirected_statement into its body and its redirect nodes."""
    body, redirects = None, []
    for kid in node.children:
        if kid.type in _REDIRECTS:
            redirects.append(kid)
        elif body is None and kid.is_named and kid.type not in ("ERROR", "comment"):
            body = kid
    return body, redirects


def _last_operand(node: Node) -> Node:
    """The command that ends a list or pipeline (what a trailing `> f` binds to)."""
    while node.type in _REBIND:
        named = [kid for kid in node.children if kid.is_named and kid.type != "comment"]
        if not named:
            break
        node = named[-1]
    return node


def _prefix_split(kids: list[Node], src: _Source) -> tuple[int, int, str] | None:
    """Where `X=1 >f; cmd` was glued into one command: (cut, resume, operator)."""
    if not kids or kids[0].type == "command_name":
        return None  # the common case: no prefix at all
    name = next((i for i, kid in enumerate(kids) if kid.type == "command_name"), 0)
    if name == 0 or kids[name].start_byte == kids[name].end_byte:
        return None
    for index in range(name):
        if kids[index].type == "ERROR":  # the swallowed ; && || ...
            return index, name, src.text_of(kids[index]).strip()
    gap = src.data[kids[name - 1].end_byte:kids[name].start_byte]
    if b"\n" in gap.replace(b"\\\n", b""):
        return name, name, ";"
    return None


def _adjacent_groups(nodes: list[Node], data: bytes) -> list[list[Node]]:
    """Touching nodes form one shell word (tree-sitter splits `$"x"` and `a\\<newline>b`)."""
    groups: list[list[Node]] = []
    last_end = -1
    for node in nodes:
        start, end = node.start_byte, node.end_byte
        if start == end:
            continue  # MISSING placeholders
        if start == last_end or (start == last_end + 2 and data[last_end:start] == b"\\\n"):
            groups[-1].append(node)
        else:
            groups.append([node])
        last_end = end
    return groups


def _find_substitutions(nodes: list[Node]) -> list[Node]:
    """Outermost $(...), `...` and <(...) below nodes, in source order."""
    found: list[Node] = []
    work = list(reversed(nodes))
    while work:
        node = work.pop()
        if node.type in _SUBSTITUTIONS:
            found.append(node)
        elif node.child_count:
            work.extend(reversed(node.children))
    return found


def _test_leaves(node: Node) -> list[Node]:
    """`[ ! -f x ]` as argv nodes: tree-sitter nests them in expressions."""
    leaves: list[Node] = []
    work = list(reversed(node.children))
    while work:
        kid = work.pop()
        if kid.type.endswith("_expression"):
            work.extend(reversed(kid.children))
        elif kid.type not in ("ERROR", "comment"):
            leaves.append(kid)
    return leaves


def _sets_errexit(argv: tuple[Word, ...]) -> bool:
    """`set -e`, `set -eux`, `set -euo pipefail`, `set -o errexit`."""
    if not argv or argv[0].parts != _SET:
        return False
    args = [word.text for word in argv[1:]]
    index = 0
    while index < len(args) and args[index].startswith("-") and args[index] not in ("-", "--"):
        letters = args[index][1:]
        named = args[index + 1] if "o" in letters and index + 1 < len(args) else ""
        if "e" in letters or named == "errexit":
            return True
        index += 2 if named else 1
    return False
