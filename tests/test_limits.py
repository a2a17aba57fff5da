"""Limits, hostile input and security: dlayerlint finishes in bounded time and
memory on huge or deeply nested Dockerfiles, its regexes do not backtrack
catastrophically, unreadable inputs give a one-line error (exit 2) while the
other files are still linted, and linting never runs anything from the
Dockerfile (tests/test_security.py checks that no process or socket is opened).

The big cases run `analyze` in a child process under an address-space cap, so
a blow-up fails the test instead of the machine. No case compares a duration with a
fixed number of seconds (a loaded machine fails any such bound): each runs its input
at two sizes, SCALE times apart, in the same child, and asserts that the CPU time grows
at most SLACK times faster than the input (tests/cpu_growth.py), and that the peak RSS
stays under MEMORY_LIMIT_MB. Each prints its figures (`pytest -s` shows them):

    LIMIT <case>: <chars> chars, <seconds> s CPU (<seconds> s at 1/8), peak <MiB> MiB RSS, <outcome>

"""
from __future__ import annotations

import ast
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from cpu_growth import CPU_GUARD, SCALE, assert_linear, grows_too_fast, superlinear
from dlayerlint.lint import analyze
from dlayerlint.dockerfile.expand import expand_word
from dlayerlint.shell.parse import MAX_PIPES, MAX_SCRIPT_CHARS
from dlayerlint.core.sizes import MAX_FILE_SIZE, human, parse_size

REPO = Path(__file__).resolve().parents[1]
MEMORY_LIMIT_MB = 1024     # peak RSS of the child for each huge case
ADDRESS_SPACE_CAP = 4 << 30
HANG_GUARD = 1800          # wall seconds: only a child blocked for good (not a slow one) is killed
MiB = 1 << 20

CHILD = r"""
import json, resource, sys, time
cap, cpu = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))   # a runaway dies of SIGXCPU
from dlayerlint.lint import analyze
analyze("FROM busybox\nRUN rm -f /x\n")   # imports and rule data are not the case's cost
runs = []
for name in sys.argv[3:]:
    with open(name, encoding="utf-8", newline="") as stream:
        text = stream.read()
    start = time.process_time()
    try:
        analysis = analyze(text)
        outcome = {"errors": [e.message for e in analysis.errors][:5], "findings": len(analysis.findings),
                   "layers": len(analysis.layers),
                   "stranded": None if analysis.stranded is None else analysis.stranded.bytes}
    except BaseException as error:  # reported, not raised: the parent asserts on it
        outcome = {"exception": f"{type(error).__name__}: {str(error)[:200]}"}
    outcome["seconds"] = time.process_time() - start
    runs.append(outcome)
try:   # VmHWM is this program's own peak; ru_maxrss keeps the forking parent's across exec
    with open("/proc/self/status", encoding="ascii") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"runs": runs, "peak_mb": peak_kb / 1024}))
"""


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _run_child(name: str, texts: list[str], tmp_path: Path) -> dict:
    paths = []
    for index, text in enumerate(texts):
        paths.append(tmp_path / f"Dockerfile.{index}")
        paths[-1].write_text(text, encoding="utf-8", newline="")
    try:
        child = subprocess.run([sys.executable, "-c", CHILD, str(ADDRESS_SPACE_CAP), str(CPU_GUARD), *map(str, paths)],
                               env=_env(), capture_output=True, text=True, timeout=HANG_GUARD, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name}: the child hung (blocked for {HANG_GUARD} s)")
    assert child.returncode == 0, (f"{name}: the child died ({child.returncode}; -24 is more than {CPU_GUARD} s "
                                   f"of CPU): {child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def measure(name: str, text_of: Callable[[int], str], n: int, tmp_path: Path) -> dict:
    """analyze(text_of(n // SCALE)), then analyze(text_of(n)), in one child: asserts neither
    raised, the CPU time grew about linearly and the peak memory stayed bounded; returns the
    big run's outcome."""
    big_text = text_of(n)
    outcome = _run_child(name, [text_of(n // SCALE), big_text], tmp_path)
    small, big = outcome["runs"]
    result = big.get("exception") or f"{big.get('findings')} findings, errors {big.get('errors')}"
    print(f"LIMIT {name}: {len(big_text)} chars, {big['seconds']:.2f} s CPU ({small['seconds']:.2f} s at "
          f"1/{SCALE}), peak {outcome['peak_mb']:.0f} MiB RSS, {result}")
    assert "exception" not in small and "exception" not in big, f"{name}: {small.get('exception') or result}"
    problem = grows_too_fast(small["seconds"], big["seconds"])
    assert problem is None, f"{name}: {problem}"
    assert outcome["peak_mb"] < MEMORY_LIMIT_MB, f"{name}: peak {outcome['peak_mb']:.0f} MiB"
    return big


# ----------------------------------------------------------------------------- huge files

def _sized(lines_of: Callable[[int], str]) -> Callable[[int], str]:
    """text_of(n) for measure: lines_of(0), lines_of(1) ... until n characters."""
    def text_of(limit: int) -> str:
        parts, total, index = ["FROM debian AS build\n"], 0, 0
        while total < limit:
            parts.append(lines_of(index))
            total += len(parts[-1])
            index += 1
        return "".join(parts)
    return text_of


def test_10mib_of_long_run_lines(tmp_path):
    """100 RUNs of ~100 KiB each (long echo/printf bodies) plus the odd rm."""
    def lines(index: int) -> str:
        return (f"RUN echo {'a' * 50_000} > /data/f{index} && printf '%s' {'b c ' * 12_500} >> /data/f{index}\n"
                f"RUN rm -f /data/f{index - 1}\n")
    outcome = measure("10 MiB in ~100 long RUN lines", _sized(lines), 10 * MiB, tmp_path)
    assert not outcome["errors"]


def _heredoc_body(size: int) -> str:
    return "".join(f"line {i} {'x' * 60}\n" for i in range(size // 2 // 70))


def _heredoc_and_comments(size: int) -> str:
    """A COPY heredoc body of size/2 and as much of comment lines."""
    comments = "".join(f"# comment {i} {'y' * 60}\n" for i in range(size // 2 // 72))
    return f"FROM busybox\n{comments}COPY <<EOF /data/big\n{_heredoc_body(size)}EOF\nRUN rm /data/big\n"


def test_10mib_heredoc_and_comments(tmp_path):
    assert len(_heredoc_and_comments(10 * MiB)) >= 10 * MiB - 1000
    outcome = measure("10 MiB heredoc + comments", _heredoc_and_comments, 10 * MiB, tmp_path)
    assert outcome["findings"] == 1 and outcome["stranded"] == len(_heredoc_body(10 * MiB).encode())


def test_10mib_of_small_instructions(tmp_path):
    def lines(index: int) -> str:
        return (f"RUN dd if=/dev/zero of=/data/f{index} bs=1k count=4 && chmod 600 /data/f{index}\n"
                f"COPY --chown=1:1 src{index}.txt /app/{index}.txt\n"
                f"ENV V{index % 100}=${{V{(index + 1) % 100}:-/x/{index}}}\n"
                f"RUN rm -f /data/f{index - 1}\n")
    measure("10 MiB of small instructions", _sized(lines), 10 * MiB, tmp_path)


N = 10_000


def _and_chains(n: int) -> str:
    made = " && ".join(f"head -c 1k /dev/zero > /f{i}" for i in range(n))
    removed = " && ".join(f"rm /f{i}" for i in range(n))
    return f"FROM busybox\nRUN {made}\nRUN {removed}\n"


def test_run_with_10000_and_commands(tmp_path):
    outcome = measure("RUN with 10,000 && (x2, 10,000 findings)", _and_chains, N, tmp_path)
    assert outcome["findings"] == N and outcome["stranded"] == N * 1024


NESTED: dict[str, Callable[[int], str]] = {
    "10,000 nested $(": lambda n: "RUN echo " + "$(echo " * n + "x" + ")" * n,
    "10,000 nested `$( )` unclosed": lambda n: "RUN echo " + "$(" * n,
    "10,000 nested (": lambda n: "RUN " + "( " * n + "true" + " )" * n,
    "10,000 nested {": lambda n: "RUN " + "{ " * n + "true" + "; }" * n,
    "10,000 nested if": lambda n: "RUN " + "if true; then " * n + "true" + "; fi" * n,
    "10,000 backticks": lambda n: "RUN echo " + "`" * n,
    "10,000 nested \\`": lambda n: "RUN echo " + "".join("\\" * (2 ** min(i, 3) - 1) + "`" for i in range(n)),
    "10,000 nested JSON [": lambda n: "RUN " + "[" * n + "]" * n,
    "10,000 unclosed JSON [": lambda n: "CMD " + "[" * n,
    "10,000 [[ test": lambda n: "RUN " + "[[ " * n,
    "10,000 nested $((": lambda n: "RUN echo " + "$((" * n + "1" + "))" * n,
    "10,000 nested <(": lambda n: "RUN cat " + "<(cat " * n + "/x" + ")" * n,
    "10,000 nested quotes": lambda n: "RUN echo " + "\"$(echo '" * n,
    "10,000 ${ unclosed in ENV": lambda n: "ENV X=" + "${" * n,
}


@pytest.mark.parametrize("name", list(NESTED))
def test_deep_nesting(name, tmp_path):
    measure(name, lambda n: f"FROM busybox\n{NESTED[name](n)}\nRUN touch /after\n", N, tmp_path)


@pytest.mark.parametrize("where", ["RUN echo {}", "ENV X={}", "WORKDIR /{}", "COPY {} /x"])
def test_nested_parameter_defaults(where, tmp_path):
    depth = N if where.startswith("RUN") else 1000
    measure(f"{depth} nested ${{A:- in {where.split()[0]}",
            lambda n: f"FROM busybox\n{where.format('${A:-' * n + 'x' + '}' * n)}\n", depth, tmp_path)


def test_expansion_nests_without_a_depth_limit():
    """An explicit stack, linear time: 100,000 levels expand like one."""
    depth = 100_000
    nested = "${A:-" * depth + "$B" + "}" * depth
    assert_linear(lambda n: partial(expand_word, "${A:-" * n + "$B" + "}" * n, {"B": "b"}), depth)
    assert expand_word(nested, {"B": "b"}) == "b" and expand_word(nested, {"A": "a"}) == "a"
    assert expand_word(nested, {}) is None   # $B unknown: stays symbolic, not guessed
    assert expand_word("${A:-a`$b}", {}, escape="`") == "a$b"   # nested words use the file's escape


def _single_lines(n: int) -> str:
    return ("FROM busybox\n"
            f"RUN echo {'a' * n} > /x\n"
            f"RUN rm {' '.join(f'/f{i}' for i in range(n // 7))}\n"
            f"ENV {' '.join(f'K{i}=v{i}' for i in range(n // 12))}\n"
            f"COPY {' '.join(f's{i}' for i in range(n // 7))} /dst/\n"
            f"LABEL x=\"{'q' * n}\"\n")


def test_100000_char_single_lines(tmp_path):
    measure("100,000-char single lines", _single_lines, 100_000, tmp_path)


def _continuations(n: int) -> str:
    plain = "".join(f"    && touch /f{i} \\\n" for i in range(n))
    fillers = "".join(f"    && touch /g{i} \\\n\n# comment {i}\n   \n" for i in range(n))
    return f"FROM busybox\nRUN true \\\n{plain}    && true\nRUN true \\\n{fillers}    && true\nRUN rm /f1 /g1\n"


def test_5000_line_continuation(tmp_path):
    outcome = measure("5,000-line continuations (and 5,000 with blank/comment lines)", _continuations, 5000, tmp_path)
    assert not outcome["errors"]


def test_5000_run_instructions_merge(tmp_path):
    outcome = measure("5,000 RUN layers and one rm -rf glob", lambda n: "FROM busybox\n" + "".join(
        f"RUN head -c 1k /dev/zero > /f{i}\n" for i in range(n)) + "RUN rm -rf /f*\n", 5000, tmp_path)
    assert outcome["stranded"] == 5000 * 1024


def test_long_from_chain(tmp_path):
    measure("1,000 stages each FROM the previous", lambda n: "FROM busybox AS s0\n" + "".join(
        f"FROM s{i - 1} AS s{i}\nRUN touch /f{i}\n" for i in range(1, n)), 1000, tmp_path)


def test_long_copy_from_chain(tmp_path):
    """200 chained COPY --from stages ask for a stage by name ~40,000 times: a table, not a scan."""
    measure("199 chained COPY --from stages", lambda n: "FROM busybox AS s0\nRUN touch /f0\n" + "".join(
        f"FROM busybox AS s{i}\nCOPY --from=s{i - 1} /f0 /f0\n" for i in range(1, n)), 200, tmp_path)


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


def _applied(pattern: re.Pattern, uses: tuple[str, ...], text: str) -> Callable[[], None]:
    def run() -> None:
        for use in uses:
            getattr(pattern, use)(text)
    return run


def _shape_problems(pattern: re.Pattern, uses: tuple[str, ...]) -> list[str]:
    """The SHAPES on which pattern grows faster than linearly, applied as the code applies it."""
    slow = []
    for head, unit, tail in SHAPES:
        problem = superlinear(_applied(pattern, uses, head + unit * SMALL + tail),
                              _applied(pattern, uses, head + unit * BIG + tail), BIG / SMALL)
        if problem:
            slow.append(f"{head!r}+{unit!r}*n+{tail!r}: {problem}")
    return slow


# exponential in the count of `<<1111111111` (ONLY_HEREDOCS took 0.8 s for 7 of them): 3 vs 7
EXPONENTIAL = ["<<EOF " + ("<<" + "1" * 10) * count + "!" for count in (3, 7)]


@pytest.mark.parametrize("name", _regex_params())
def test_module_regexes_do_not_backtrack(name):
    """Every compiled regex of dlayerlint, applied as the code applies it, stays
    (near) linear on adversarial shapes, and on the exponential shape."""
    pattern, uses = module_patterns()[name]
    slow = _shape_problems(pattern, uses)
    small, big = (_applied(pattern, uses, text) for text in EXPONENTIAL)
    problem = superlinear(small, big, len(EXPONENTIAL[1]) / len(EXPONENTIAL[0]), floor=0.02)
    if problem:
        slow.append(f"{EXPONENTIAL[1]!r}: {problem}")
    assert not slow, f"{name} grows faster than linearly: {slow}"


def test_only_heredocs_redos(tmp_path):
    measure("RUN <<EOF <<1111111111... (9 of them)",
            lambda n: "FROM busybox\nRUN <<EOF " + ("<<" + "1" * 10) * max(n, 1) + "!\necho hi\nEOF\n", 9, tmp_path)


def test_parser_continuation_regexes_do_not_backtrack():
    from dlayerlint.dockerfile.parser import _Parser  # pylint: disable=import-outside-toplevel
    for head in ("", "# escape=`\n"):
        parser = _Parser(head + "FROM busybox\n")
        parser.parse()
        assert not _shape_problems(parser.continuation, ("search",)), head


def test_glob_and_dockerignore_patterns_do_not_backtrack(tmp_path):
    """Stars against a long name: exponential backtracking grows with the name's length
    to the power of the stars, linear matching with the length."""
    from dlayerlint.simulate.context.build import BuildContext  # pylint: disable=import-outside-toplevel

    def work(length: int):
        folder = tmp_path / str(length)
        folder.mkdir()
        name = "a" * length
        (folder / name).write_text("x")
        (folder / ".dockerignore").write_text("*a" * 30 + "b\n" + "**/" * 30 + "*a*a*a*a*a*a*a*a*a*a*b\n")
        (folder / "Dockerfile").write_text("FROM busybox\nCOPY . /src\n")
        text = (f"FROM busybox\nCOPY . /src\nRUN head -c 1k /dev/zero > /d/{name}\n"
                f"RUN rm -rf /d/{'*a' * 30}b /d/{'*a' * 30}* /src/{'*a' * 30}*\n")
        return partial(analyze, text, BuildContext(folder, dockerfile=folder / "Dockerfile"))
    assert_linear(work, 240)


END_TO_END = {
    "dashes": "-", "dollars": "$", "braces": "{", "quotes": "'\"", "backslashes": "\\", "backticks": "`",
    "param heads": "${", "substitutions": "$(", "equals": "=", "colons": ":", "hashes": "#", "tildes": "~",
    "stars": "*", "semicolons": ";", "ampersands": "&", "parens": "(", "heredoc markers": "<<-",
    "unicode": "é\u2028", "CR": "\r",
}
LINE = 100_000


def _adversarial_text(name: str, length: int) -> str:
    run = END_TO_END[name] * (length // len(END_TO_END[name]))
    return (f"# escape={run[:length // 10]}\nFROM busybox\nRUN echo {run}\nRUN rm {run}\nENV X={run}\n"
            f"COPY {run} /x\nRUN --mount=type=cache,target={run} true\n")


@pytest.mark.parametrize("name", list(END_TO_END))
def test_adversarial_lines(name):
    assert_linear(lambda n: partial(analyze, _adversarial_text(name, n)), LINE)


def test_heredoc_word_with_many_blanks(tmp_path):
    measure("RUN cat << + 100,000 blanks + <x", lambda n: "FROM busybox\nRUN cat <<" + " " * n + "<x\n", LINE,
            tmp_path)


def test_long_run_of_brackets(tmp_path):
    measure("RUN rm [[[[... (100,000)", lambda n: "FROM busybox\nRUN rm " + "[" * n + "\n", LINE, tmp_path)


@pytest.mark.parametrize("unit", ["a|", "<<", "|", ")"])
def test_tree_sitter_quadratic_inputs(unit, tmp_path):
    measure(f"RUN echo {unit * 3}... (100,000 chars)",
            lambda n: "FROM busybox\nRUN echo " + unit * (n // len(unit)) + "\n", LINE, tmp_path)


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


def test_a_fifo_is_refused_never_waited_on(tmp_path):
    """`dlayerlint check <(generate)` or a FIFO with no writer: opening it could block for
    ever, so it is refused with the way to lint a generated file (stdin)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = dlayerlint("check", str(fifo), cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and "a FIFO" in result.stderr and "dlayerlint check -" in result.stderr


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
    from dlayerlint.core import datafiles, yamlload  # pylint: disable=import-outside-toplevel
    loader = yamlload.SafeLoader
    assert issubclass(loader, yaml.constructor.SafeConstructor)
    assert not issubclass(loader, yaml.constructor.FullConstructor)   # Full/Unsafe loaders subclass it
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(f"x: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(yaml.YAMLError):
        datafiles.load_yaml(evil)
    assert not marker.exists()
    # no other YAML entry point in the package
    source = "\n".join(p.read_text() for p in Path(datafiles.__file__).parents[1].rglob("*.py"))
    assert not re.search(r"yaml\.(unsafe_load|full_load|load_all|safe_load_all)\b|Loader=yaml\.(Loader|FullLoader|"
                         r"UnsafeLoader|CLoader|CFullLoader|CUnsafeLoader)\b", source)
    assert len(re.findall(r"yaml\.load\(", source)) == len(re.findall(r"yaml\.load\([^)]*Loader=SafeLoader", source))
