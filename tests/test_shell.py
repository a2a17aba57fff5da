"""Tests for dlayerlint.shell: RUN bodies to flat simple commands."""

import dataclasses
import random
from functools import partial

import pytest

from cpu_growth import assert_linear

from dlayerlint.shell.script import Command
from dlayerlint.shell.words import Part, Word
from dlayerlint.shell.parse import parse_script


def texts(command: Command) -> list[str]:
    return [word.text for word in command.argv]


def argvs(body: str) -> list[list[str]]:
    return [texts(command) for command in parse_script(body).commands]


def only(body: str) -> Command:
    commands = parse_script(body).commands
    assert len(commands) == 1, commands
    return commands[0]


def parts(word: Word) -> list[tuple[str, str, bool]]:
    return [(part.kind, part.value, part.quoted) for part in word.parts]


# -- words and quoting -----------------------------------------------------


def test_concatenated_quotes_offsets_and_parts():
    body = """echo "$HOME"/x'y' --opt=value ${X:-/default}"""
    command = only(body)
    assert texts(command) == ["echo", "$HOME/xy", "--opt=value", "${X:-/default}"]
    assert [(w.start, w.end) for w in command.argv] == [(0, 4), (5, 17), (18, 29), (30, 44)]
    assert body[5:17] == """"$HOME"/x'y'"""
    word = command.argv[1]
    assert parts(word) == [("param", "$HOME", True), ("text", "/x", False), ("text", "y", True)]
    assert not word.is_literal and not word.has_glob
    assert parts(command.argv[3]) == [("param", "${X:-/default}", False)]
    assert command.argv[2].is_literal


def test_single_quotes_keep_everything_literal():
    command = only("echo '$X * `y`' 'a''b'")
    assert texts(command) == ["echo", "$X * `y`", "ab"]
    assert parts(command.argv[1]) == [("text", "$X * `y`", True)]
    assert command.argv[1].is_literal and not command.argv[1].has_glob
    assert (command.start, command.end) == (0, 22)


def test_double_quotes_escapes_and_params():
    command = only(r'''echo "a \"b\" \$c \\ \x $d"''')
    assert parts(command.argv[1]) == [
        ("text", 'a "b" $c \\ \\x ', True), ("param", "$d", True)]


def test_ansi_c_strings_are_decoded():
    command = only(r"printf $'a\tb\n\\ \'q\' \x41\u00e9' $'\z'")
    assert command.argv[1].text == "a\tb\n\\ 'q' Aé"
    assert command.argv[1].parts == (Part("text", "a\tb\n\\ 'q' Aé", True),)
    assert command.argv[2].text == "\\z"


def test_backslash_escapes_outside_quotes():
    command = only(r"echo a\ b \* \$X")
    assert texts(command) == ["echo", "a b", "*", "$X"]
    assert all(word.is_literal for word in command.argv)
    assert not any(word.has_glob for word in command.argv)


def test_locale_strings_and_split_tokens_join():
    # tree-sitter splits `$"x"` into "$" and a string; they are one word
    command = only('echo $"tr" a$"b"c')
    assert texts(command) == ["echo", "tr", "abc"]
    assert [(w.start, w.end) for w in command.argv] == [(0, 4), (5, 10), (11, 17)]


def test_empty_quotes_are_words():
    command = only("""printf '' "" a""b""")
    assert texts(command) == ["printf", "", "", "ab"]
    assert parts(command.argv[1]) == [("text", "", True)]
    assert parts(command.argv[3]) == [("text", "ab", False)]


def test_globs_braces_and_tilde():
    command = only("rm -rf /var/lib/apt/lists/* a?b [ab]c [!x]* '*' {a,b} ~/x ~user a~b [")
    words = command.argv
    assert texts(command)[2:] == [
        "/var/lib/apt/lists/*", "a?b", "[ab]c", "[!x]*", "*", "{a,b}", "~/x", "~user", "a~b", "["]
    assert parts(words[2]) == [("text", "/var/lib/apt/lists/", False), ("glob", "*", False)]
    assert parts(words[3]) == [("text", "a", False), ("glob", "?", False), ("text", "b", False)]
    assert parts(words[4]) == [("glob", "[ab]", False), ("text", "c", False)]
    assert parts(words[5]) == [("glob", "[!x]*", False)]
    assert [w.has_glob for w in words[2:]] == [True] * 4 + [False] * 6
    assert parts(words[7]) == [("text", "{a,b}", False)]  # never expanded
    assert parts(words[8]) == [("tilde", "~", False), ("text", "/x", False)]
    assert parts(words[9]) == [("tilde", "~user", False)]
    assert parts(words[10]) == [("text", "a~b", False)]
    assert parts(words[11]) == [("text", "[", False)]


def test_tilde_in_assignment_values():
    command = only("PATH=~/bin:~/x cmd")
    name, value = command.assignments[0]
    assert name == "PATH"
    assert parts(value) == [("tilde", "~", False), ("text", "/bin:", False),
                            ("tilde", "~", False), ("text", "/x", False)]


def test_substitution_parts_are_raw():
    command = parse_script("""echo $(cat "f") `pwd` "$(id -u)" $((1 + 2)) <(ls)""").commands[-1]
    assert parts(command.argv[1]) == [("command", '$(cat "f")', False)]
    assert parts(command.argv[2]) == [("command", "`pwd`", False)]
    assert parts(command.argv[3]) == [("command", "$(id -u)", True)]
    assert parts(command.argv[4]) == [("arith", "$((1 + 2))", False)]
    assert parts(command.argv[5]) == [("command", "<(ls)", False)]


def test_line_continuations_in_body():
    body = "apt-get install -y \\\n  curl \\\n  git"
    command = only(body)
    assert texts(command) == ["apt-get", "install", "-y", "curl", "git"]
    assert [(w.start, w.end) for w in command.argv][3:] == [(23, 27), (32, 35)]
    assert (command.start, command.end) == (0, len(body))
    assert texts(only("echo a\\\nb")) == ["echo", "ab"]


def test_unicode_offsets_are_characters():
    body = 'X=é日本 && echo "日本" café'
    first, second = parse_script(body).commands
    assert first.assignments[0][0] == "X"
    assert first.assignments[0][1].text == "é日本"
    assert (first.assignments[0][1].start, first.assignments[0][1].end) == (2, 5)
    assert texts(second) == ["echo", "日本", "café"]
    assert [(w.start, w.end) for w in second.argv] == [(9, 13), (14, 18), (19, 23)]
    assert [body[w.start:w.end] for w in second.argv] == ["echo", '"日本"', "café"]
    assert parse_script(body).errors == ()


def test_astral_characters_after_brace_do_not_crash():
    # upstream tree-sitter-bash #337 segfaults on "{" + a 4-byte character
    for char in ("\U000fa9e9", "\U0001f600", "\U00031860", "\U0010fffd"):
        command = only(f"echo {{{char}}} x{char}")
        assert texts(command) == ["echo", f"{{{char}}}", f"x{char}"]
        assert (command.argv[1].start, command.argv[2].end) == (5, 11)


# -- lists, pipelines and conditional --------------------------------------


def test_and_or_chains():
    commands = parse_script("a && b || c && d; e || true").commands
    assert [texts(c) for c in commands] == [["a"], ["b"], ["c"], ["d"], ["e"], ["true"]]
    # b is skipped when a fails and c rescues the RUN; d is skipped when the
    # and-or list fails, which `; e` then hides (no set -e)
    assert [c.conditional for c in commands] == [False, True, True, True, False, True]
    assert [c.scope for c in commands] == [()] * 6


def test_and_lists_whose_failure_is_tolerated_are_conditional():
    def flags(body: str) -> list[bool]:
        return [c.conditional for c in parse_script(body).commands]
    assert flags("[ -f /w ] && rm /w") == [False, False]          # the RUN fails if the test does
    assert flags("[ -f /w ] && rm /w || true") == [False, True, True]
    assert flags("[ -f /w ] && rm /w; true") == [False, True, False]
    assert flags("set -e; [ -f /w ] && rm /w; true") == [False, False, False, False]
    assert flags("x && (y; z)") == [False, False, False]
    assert flags("(a && b); c") == [False, True, False]
    assert flags("if a && b; then c; fi") == [False, True, True]


def test_pipeline_members_get_their_own_scopes():
    commands = parse_script("cd /x | cat; curl -s u | sh && make").commands
    assert [texts(c) for c in commands] == [["cd", "/x"], ["cat"], ["curl", "-s", "u"], ["sh"],
                                            ["make"]]
    assert [c.scope for c in commands] == [(1,), (2,), (3,), (4,), ()]
    assert not any(c.conditional for c in commands)


def test_if_elif_else():
    commands = parse_script(
        "if [ -f x ]; then rm x; elif test -d y; then rmdir y; else echo n; fi; done_").commands
    assert [texts(c) for c in commands] == [
        ["[", "-f", "x", "]"], ["rm", "x"], ["test", "-d", "y"], ["rmdir", "y"], ["echo", "n"],
        ["done_"]]
    assert [c.conditional for c in commands] == [False, True, True, True, True, False]


def test_loops_and_case_and_functions():
    body = ("for f in a $(ls) *.c; do rm $f; done; while read l; do x; done; "
            "until z; do y; done; case $v in a|b) p;; *) q;; esac; f() { g; }; "
            "for ((i=0; i<3; i++)); do w; done")
    commands = parse_script(body).commands
    assert [texts(c) for c in commands] == [
        ["ls"], ["rm", "$f"], ["read", "l"], ["x"], ["z"], ["y"], ["p"], ["q"], ["g"], ["w"]]
    assert [c.conditional for c in commands] == [
        False, True, False, True, False, True, True, True, True, True]
    assert commands[0].in_substitution and not commands[1].in_substitution


def test_negation_and_background():
    commands = parse_script("! grep -q x f; sleep 1 & cd /y").commands
    assert [texts(c) for c in commands] == [["grep", "-q", "x", "f"], ["sleep", "1"], ["cd", "/y"]]
    assert [c.negated for c in commands] == [True, False, False]
    assert [c.scope for c in commands] == [(), (1,), ()]  # `&` runs in a subshell
    assert not any(c.conditional for c in commands)


def test_test_commands_and_function_redirects():
    commands = parse_script("[[ -n $a && $b == c* ]] || exit 1; f() { a; } > log").commands
    assert [texts(c) for c in commands] == [
        ["[[", "-n", "$a", "&&", "$b", "==", "c*", "]]"], ["exit", "1"], ["a"]]
    assert commands[0].argv[6].has_glob
    assert [r.target.text for r in commands[2].redirects] == ["log"]
    assert [c.conditional for c in commands] == [False, True, True]


def test_comments_are_ignored():
    assert argvs("echo a # rm -rf /\n# whole line\necho b") == [["echo", "a"], ["echo", "b"]]


# -- scopes and substitutions ----------------------------------------------


def test_subshell_scope_with_cd():
    commands = parse_script("(cd /src && make) && make install && (cd a; (cd b))").commands
    assert [texts(c) for c in commands] == [
        ["cd", "/src"], ["make"], ["make", "install"], ["cd", "a"], ["cd", "b"]]
    assert [c.scope for c in commands] == [(1,), (1,), (), (2,), (2, 3)]


def test_substitutions_are_emitted_before_their_command():
    body = 'rm -f $(find / -name "*.pyc") "$(echo `date`)"'
    commands = parse_script(body).commands
    assert [texts(c) for c in commands] == [
        ["find", "/", "-name", "*.pyc"], ["date"], ["echo", "`date`"],
        ["rm", "-f", "$(find / -name \"*.pyc\")", "$(echo `date`)"]]
    assert [c.in_substitution for c in commands] == [True, True, True, False]
    assert [c.scope for c in commands] == [(1,), (2, 3), (2,), ()]
    find = commands[0]
    assert (find.start, find.end) == (8, 28)
    assert body[find.start:find.end] == 'find / -name "*.pyc"'
    assert commands[0].argv[3].is_literal


def test_substitutions_in_assignments_and_expansions():
    commands = parse_script("V=$(cat /v) W=${Z:-$(d)} cmd $((1 + $(e)))").commands
    assert [texts(c) for c in commands] == [["cat", "/v"], ["d"], ["e"], ["cmd", "$((1 + $(e)))"]]
    assert [(name, word.text) for name, word in commands[3].assignments] == [
        ("V", "$(cat /v)"), ("W", "${Z:-$(d)}")]


def test_substitution_in_conditional_context_is_conditional():
    commands = parse_script("true || echo $(date)").commands
    assert [texts(c) for c in commands] == [["true"], ["date"], ["echo", "$(date)"]]
    assert [c.conditional for c in commands] == [False, True, True]


# -- assignments -----------------------------------------------------------


def test_prefix_assignments():
    command = only("DEBIAN_FRONTEND=noninteractive A='x y' apt-get install -y curl")
    assert texts(command) == ["apt-get", "install", "-y", "curl"]
    assert [(n, w.text, w.start, w.end) for n, w in command.assignments] == [
        ("DEBIAN_FRONTEND", "noninteractive", 16, 30), ("A", "x y", 33, 38)]
    assert command.start == 0


def test_subscript_and_append_assignments():
    command = only("A[0]=x B+=y cmd")
    assert [(n, w.text) for n, w in command.assignments] == [("A[0]", "x"), ("B", "y")]


def test_pure_assignments_and_export():
    commands = parse_script("X=1; A=1 B=; export Y=2 Z; local q; unset X").commands
    assert [texts(c) for c in commands] == [
        [], [], ["export", "Y=2", "Z"], ["local", "q"], ["unset", "X"]]
    assert [(n, w.text) for n, w in commands[0].assignments] == [("X", "1")]
    assert [(n, w.text, w.start, w.end) for n, w in commands[1].assignments] == [
        ("A", "1", 7, 8), ("B", "", 11, 11)]
    assert commands[2].assignments == ()


def test_assignment_then_redirect_without_command():
    # tree-sitter-bash glues the next command onto `X=1 >f`; it is split back
    commands = parse_script("X=1 >f\necho a").commands
    assert [texts(c) for c in commands] == [[], ["echo", "a"]]
    assert commands[0].assignments[0][0] == "X"
    assert [r.op for r in commands[0].redirects] == [">"]
    assert commands[1].redirects == ()
    assert parse_script("X=1 >f").errors == ()
    fallback = parse_script("X=1 2>/dev/null || echo a").commands
    assert [c.conditional for c in fallback] == [False, True]


# -- redirects -------------------------------------------------------------


def redirects(command: Command) -> list[tuple]:
    return [(r.op, r.fd, r.target.text if r.target else None, r.start, r.end)
            for r in command.redirects]


def test_redirects():
    body = "cmd a > f >> g 2>/dev/null &> all &>> more <in >|clob 2>&1 3<&-"
    command = only(body)
    assert texts(command) == ["cmd", "a"]
    assert redirects(command) == [
        (">", None, "f", 6, 9), (">>", None, "g", 10, 14), (">", "2", "/dev/null", 15, 26),
        ("&>", None, "all", 27, 33), ("&>>", None, "more", 34, 42), ("<", None, "in", 43, 46),
        (">|", None, "clob", 47, 53), (">&", "2", "1", 54, 58), ("<&-", "3", None, 59, 63)]
    assert command.end == len(body)
    herestring = only('read -r v <<<"$x" 2>/dev/null')
    assert redirects(herestring) == [("<<<", None, "$x", 10, 17), (">", "2", "/dev/null", 18, 29)]


def test_words_after_a_redirect_stay_arguments():
    command = only('echo > /tmp/out hello "$name" 2>&1')
    assert texts(command) == ["echo", "hello", "$name"]
    assert redirects(command) == [(">", None, "/tmp/out", 5, 15), (">&", "2", "1", 30, 34)]


def test_trailing_redirect_binds_to_the_last_command():
    # tree-sitter hangs these redirects on the whole list or pipeline
    commands = parse_script(
        "useradd u && echo 'u ALL=(ALL) ALL' >> /etc/sudoers && id u; curl x | sh > log").commands
    assert [texts(c) for c in commands] == [
        ["useradd", "u"], ["echo", "u ALL=(ALL) ALL"], ["id", "u"], ["curl", "x"], ["sh"]]
    assert [[r.target.text for r in c.redirects] for c in commands] == [
        [], ["/etc/sudoers"], [], [], ["log"]]
    assert (commands[1].start, commands[1].end) == (13, 51)


def test_compound_redirects_apply_to_inner_commands():
    commands = parse_script("{ a; b; } > f; while read l; do x; done < list").commands
    assert [texts(c) for c in commands] == [["a"], ["b"], ["read", "l"], ["x"]]
    assert [[r.target.text for r in c.redirects] for c in commands] == [
        ["f"], ["f"], ["list"], ["list"]]


def test_heredoc():
    body = "cat <<EOF > /etc/x\nrm -rf /\nhello $X\nEOF\necho done"
    commands = parse_script(body).commands
    assert [texts(c) for c in commands] == [["cat"], ["echo", "done"]]
    cat = commands[0]
    assert redirects(cat) == [("<<", None, None, 4, 9), (">", None, "/etc/x", 10, 18)]
    assert (cat.start, cat.end) == (0, 18)
    assert parse_script(body).errors == ()


def test_heredoc_followed_by_pipe_and_list():
    body = "cat <<-'EOF' | tee /etc/x > /dev/null && rm y\n\tline $(not run)\n\tEOF\necho z"
    commands = parse_script(body).commands
    assert [texts(c) for c in commands] == [["cat"], ["tee", "/etc/x"], ["rm", "y"], ["echo", "z"]]
    assert [c.scope for c in commands] == [(1,), (2,), (), ()]
    assert redirects(commands[1]) == [(">", None, "/dev/null", 26, 37)]


def test_heredoc_with_descriptor():
    command = only("cat 3<<EOF\nx\nEOF")
    assert redirects(command) == [("<<", "3", None, 4, 10)]


def test_unquoted_heredoc_substitutions_run():
    commands = parse_script("cat <<EOF >/x\nv=$(uname -m)\nEOF").commands
    assert [texts(c) for c in commands] == [["uname", "-m"], ["cat"]]
    assert commands[0].in_substitution


# -- set -e ----------------------------------------------------------------


@pytest.mark.parametrize("body, expected", [
    ("set -e; make", True),
    ("set -eux && make", True),
    ("set -xe\nmake", True),
    ("set -euo pipefail; make", True),
    ("set -o errexit", True),
    ("set -o pipefail -o errexit", True),
    ("set -o pipefail", False),
    ("set +e", False),
    ("set -- -e", False),
    ("(set -e; make)", False),
    ("if x; then set -e; fi", False),
    ("bash -e -c make", False),
    ("echo set -e", False),
])
def test_sets_errexit(body, expected):
    assert parse_script(body).sets_errexit is expected


# -- broken and hostile input ----------------------------------------------


def test_unterminated_quote_reports_error():
    script = parse_script('echo "unterminated')
    assert script.errors == ((5, 18),)
    assert [texts(c) for c in script.commands] == [["echo"]]


def test_clean_parse_has_no_errors():
    assert parse_script("apt-get update && apt-get install -y curl").errors == ()
    assert parse_script("").commands == ()


def test_backtick_with_leading_space_bug_is_repaired():
    # upstream tree-sitter-bash #278: "` cmd`" after another backtick
    # substitution swallows the lines in between, silently
    body = 'echo `echo "foo"`\n\necho ` echo "bar"`\nrm -rf /tmp/x'
    script = parse_script(body)
    assert [texts(c) for c in script.commands] == [
        ["echo", "foo"], ["echo", "`echo \"foo\"`"], ["echo", "bar"],
        ["echo", '` echo "bar"`'], ["rm", "-rf", "/tmp/x"]]
    assert script.errors == ()
    assert script.commands[3].argv[1].parts == (Part("command", '` echo "bar"`', False),)


def test_never_raises_on_random_input():
    rnd = random.Random(1234)
    alphabet = "ab $`'\"\\\n{}()[]<>|&;*?~#=é日\x00\udcff😀"
    for _ in range(2000):
        body = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        script = parse_script(body)
        for command in script.commands:
            assert 0 <= command.start <= command.end <= len(body)
    raw = bytes(range(256)).decode("utf-8", "surrogateescape")
    assert isinstance(parse_script(raw * 4).errors, tuple)


def test_long_and_chain_is_fast():
    def and_chain(count: int):
        return partial(parse_script.__wrapped__, " && ".join(f"echo {i}" for i in range(count)))
    script = and_chain(10_000)()
    assert len(script.commands) == 10_000
    assert texts(script.commands[-1]) == ["echo", "9999"]
    assert not any(c.conditional for c in script.commands)
    assert_linear(and_chain, 10_000)   # CPU time against the count, no wall clock


def test_deep_nesting_completes():
    unclosed = parse_script("echo " + "$(" * 10_000)
    assert unclosed.errors
    closed = parse_script("echo " + "$(echo " * 10_000 + ")" * 10_000)
    assert len(closed.commands) > 50  # walked down to the depth limit
    assert closed.errors  # the levels below the limit are reported, not walked
    subshells = parse_script("(" * 5_000 + "cd x" + ")" * 5_000)
    assert isinstance(subshells.commands, tuple)
    assert parse_script("`" * 10_000).commands == ()


def test_results_are_frozen():
    command = only("echo hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.argv = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.argv[0].start = 3  # type: ignore[misc]


def test_expansions_tree_sitter_leaves_inside_a_plain_word_are_params():
    # tree-sitter-bash parses `v$A/x-$A.tgz` as word, expansion, then the word `/x-$A.tgz`
    (command,) = parse_script('curl -O https://h/v$A/x-$A.tgz "q-$B"').commands
    kinds = [[(p.kind, p.value) for p in word.parts] for word in command.argv[2:]]
    assert kinds == [[("text", "https://h/v"), ("param", "$A"), ("text", "/x-"), ("param", "$A"),
                      ("text", ".tgz")], [("text", "q-"), ("param", "$B")]]
