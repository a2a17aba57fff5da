"""The Dockerfile model: BuildKit's rules, exact positions, never raising."""
from dlayerlint.model import Position, Span
from dlayerlint.parser import parse


def only(text: str, keyword: str = "RUN"):
    found = [i for i in parse(text).instructions if i.keyword == keyword]
    assert len(found) == 1, found
    return found[0]


def test_continuation_joins_pieces_and_keeps_positions():
    run = only("FROM busybox\nRUN mkdir /data \\\n    && echo hi\n")
    assert run.arguments == "mkdir /data     && echo hi"
    assert run.span == Span.of(2, 1, 3, 15)
    echo = run.arguments.index("echo")
    assert run.arguments_map.span(echo, echo + 4) == Span.of(3, 8, 3, 12)


def test_blank_and_comment_lines_inside_a_continuation_are_skipped():
    dockerfile = parse("FROM busybox\nRUN a \\\n\n  # note\n  && b\nRUN c\n")
    runs = [i for i in dockerfile.instructions if i.keyword == "RUN"]
    assert [r.arguments for r in runs] == ["a   && b", "c"]
    assert runs[0].end_line == 5
    assert [c.text for c in dockerfile.comments] == ["note"]


def test_continuation_at_end_of_file_keeps_the_instruction():
    run = only("FROM busybox\nRUN touch /x \\")
    assert run.arguments == "touch /x"


def test_escape_directive_switches_to_backtick():
    dockerfile = parse("# escape=`\nFROM busybox\nRUN dir c:\\ `\n  && echo hi\n")
    run = [i for i in dockerfile.instructions if i.keyword == "RUN"][0]
    assert dockerfile.escape == "`"
    assert run.arguments == "dir c:\\   && echo hi"


def test_directives_only_at_the_top():
    dockerfile = parse("# syntax=docker/dockerfile:1\n# check=skip=all\nFROM busybox\n# escape=`\n")
    assert dockerfile.directives == {"syntax": "docker/dockerfile:1", "check": "skip=all"}
    assert dockerfile.escape == "\\"


def test_heredoc_body_is_not_instructions():
    dockerfile = parse("FROM busybox\nRUN <<EOF\napt-get update\nFROM = 1\nEOF\nRUN echo after\n")
    assert [i.keyword for i in dockerfile.instructions] == ["FROM", "RUN", "RUN"]
    assert dockerfile.stages[0].base == "busybox"
    heredoc = dockerfile.stages[0].instructions[0].heredocs[0]
    assert heredoc.body == "apt-get update\nFROM = 1\n"
    assert heredoc.body_map.position(heredoc.body.index("FROM")) == Position(4, 1)
    assert heredoc.expand


def test_quoted_and_dash_heredocs_and_several_per_line():
    run = only("FROM busybox\nRUN cat <<-'A' > /a && cat <<\"B\" > /b\n\tone\n\tA\ntwo\nB\n")
    assert [(h.delimiter, h.body, h.expand, h.strip_tabs) for h in run.heredocs] == [
        ("A", "one\n", False, True), ("B", "two\n", False, False)]
    assert run.end_line == 6


def test_heredoc_markers_inside_quotes_and_here_strings_are_not_heredocs():
    run = parse("FROM busybox\nRUN echo '<<EOF' && cat <<<word\nRUN true\n").instructions[1]
    assert run.heredocs == ()


def test_unterminated_heredoc_is_an_error_not_an_exception():
    dockerfile = parse("FROM busybox\nRUN <<EOF\necho never closed\n")
    assert any("unterminated heredoc" in e.message for e in dockerfile.errors)


def test_flags_are_split_out_with_spans():
    run = only("FROM busybox\nRUN --mount=type=cache,target=/root/.cache --network=none pip install x\n")
    assert [(f.name, f.value) for f in run.flags] == [("mount", "type=cache,target=/root/.cache"),
                                                      ("network", "none")]
    assert run.arguments == "pip install x"
    assert run.flags[0].span == Span.of(2, 5, 2, 43)
    copy = only('FROM busybox\nCOPY --chown=app:app --chmod="0755" --link a b\n', "COPY")
    assert [(f.name, f.value) for f in copy.flags] == [("chown", "app:app"), ("chmod", "0755"), ("link", None)]


def test_json_form():
    run = only('FROM busybox\nRUN ["sh", "-c", "echo hi"]\n')
    assert run.exec_form == ("sh", "-c", "echo hi")
    assert only("FROM busybox\nRUN [not json\n").exec_form is None


def test_stages_names_lowercase_keywords_and_global_args():
    dockerfile = parse("ARG V=1\nfrom alpine:$V as Build\nrun make\nFROM busybox\nCOPY --from=build /a /a\n")
    assert [a.arguments for a in dockerfile.global_instructions] == ["V=1"]
    assert [(s.name, s.base) for s in dockerfile.stages] == [("build", "alpine:$V"), (None, "busybox")]
    assert dockerfile.stages[0].instructions[0].keyword == "RUN"


def test_crlf_bom_and_unicode_columns():
    run = only("\ufeffFROM busybox\r\nRUN echo 日本 && rm /x\r\n")
    rm = run.arguments.index("rm")
    assert run.arguments_map.span(rm, rm + 2) == Span.of(2, 16, 2, 18)


def test_errors_are_collected():
    dockerfile = parse("RUN echo before\nFROM busybox\nFOO bar\n")
    messages = [e.message for e in dockerfile.errors]
    assert any("before the first FROM" in m for m in messages)
    assert any("unknown instruction: FOO" in m for m in messages)
    assert parse("").errors[0].message.startswith("no FROM")


def test_onbuild_and_comments_are_kept():
    dockerfile = parse("FROM busybox\n# hello\nONBUILD RUN rm -rf /x\n")
    assert dockerfile.stages[0].instructions[0].keyword == "ONBUILD"
    assert dockerfile.comments[0].text == "hello"
