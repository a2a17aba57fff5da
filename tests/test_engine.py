"""Engine tests: small Dockerfiles → exact stranded bytes per layer, rule ids,
positions (line:column of the command word inside the RUN) and paths.

Ground truth is Docker's overlay storage (as real buildah builds show it):
every RUN/COPY/ADD is a layer; bytes made in layer A and removed, moved or
rewritten in B > A stay in A; chmod/chown/touch/`sed -i`/`>>`/mv copy the whole
file up; WORKDIR/ENV/ARG make no layer; stages outside the target contribute
nothing; commands that may not run never cause findings; unknown commands make
a layer's size a lower bound.

Tests marked xfail(strict=True) document bugs in dlayerlint (reason starts with BUG).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dlayerlint.lint import UnknownTarget, analyze
from dlayerlint.simulate.context.build import BuildContext
from dlayerlint.core.sizes import Confidence, Size

EXACT, ESTIMATED, UNKNOWN = Confidence.EXACT, Confidence.ESTIMATED, Confidence.UNKNOWN


# ----------------------------------------------------------------------------- helpers

def lint(text: str, **kwargs):
    return analyze(textwrap.dedent(text).lstrip("\n"), **kwargs)


def stranded(analysis) -> dict[int, int]:
    """Stranded bytes per layer, keyed by the layer's first line."""
    return {r.layer.instruction.line: r.stranded.bytes for r in analysis.layers}


def added(analysis) -> dict[int, tuple[int, Confidence]]:
    return {r.layer.instruction.line: (r.added.bytes, r.added.confidence) for r in analysis.layers}


def layer(analysis, line: int):
    [report] = [r for r in analysis.layers if r.layer.instruction.line == line]
    return report


def where(analysis) -> list[tuple[str, int, int]]:
    """(rule, line, column) of every finding, in report order."""
    return [(f.rule.id, f.span.start.line, f.span.start.column) for f in analysis.findings]


def rule_ids(analysis) -> list[str]:
    return [f.rule.id for f in analysis.findings]


def one(analysis, rule: str):
    found = [f for f in analysis.findings if f.rule.id == rule]
    assert len(found) == 1, where(analysis)
    return found[0]


def span(finding) -> tuple[int, int, int, int]:
    s = finding.span
    return (s.start.line, s.start.column, s.end.line, s.end.column)


def context(tmp_path: Path, files: dict[str, int], dockerignore: str | None = None,
            dockerfile: str = "") -> BuildContext:
    """A build context of zero-filled files of the given sizes."""
    for name, size in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * size)
    if dockerignore is not None:
        (tmp_path / ".dockerignore").write_text(dockerignore)
    (tmp_path / "Dockerfile").write_text(dockerfile)
    return BuildContext(tmp_path, dockerfile=tmp_path / "Dockerfile")


# ----------------------------------------------------------------------------- the classic example

CLASSIC = """
FROM busybox
RUN mkdir /data
RUN dd if=/dev/zero bs=1024 count=1024 of=/data/one
RUN chmod -R 0777 /data
RUN dd if=/dev/zero bs=1024 count=1024 of=/data/two
RUN chmod -R 0777 /data
RUN rm /data/one
CMD ls -alh /data
"""


def test_classic_total_and_per_layer():
    a = lint(CLASSIC)
    assert a.stranded == Size(4_194_304, EXACT)
    assert stranded(a) == {2: 0, 3: 1_048_576, 4: 1_048_576, 5: 1_048_576, 6: 1_048_576, 7: 0}
    assert added(a) == {2: (0, EXACT), 3: (1_048_576, EXACT), 4: (1_048_576, EXACT),
                        5: (1_048_576, EXACT), 6: (2_097_152, EXACT), 7: (0, EXACT)}


def test_classic_findings_point_at_the_commands():
    a = lint(CLASSIC)
    assert where(a) == [("DLL102", 4, 5), ("DLL102", 6, 5), ("DLL101", 7, 5)]
    chmod1, chmod2, rm = a.findings
    assert span(chmod1) == (4, 5, 4, 24)          # `chmod -R 0777 /data`
    assert span(rm) == (7, 5, 7, 17)              # `rm /data/one`
    assert chmod1.paths == ["/data/one"] and chmod1.wasted == Size(1_048_576, EXACT)
    assert chmod2.paths == ["/data/one", "/data/two"] and chmod2.wasted == Size(2_097_152, EXACT)
    assert rm.paths == ["/data/one"] and rm.wasted == Size(1_048_576, EXACT)
    # each stranded byte is charged to exactly one finding
    assert sum(f.wasted.bytes for f in a.findings) == 4_194_304


def test_classic_merged_run_fix():
    a = lint(CLASSIC)
    fixes = {id(f.fix): f.fix for f in a.findings}
    assert len(fixes) == 1
    fix = a.findings[0].fix
    assert (fix.start_line, fix.end_line) == (3, 7)
    assert fix.replacement == (
        "RUN dd if=/dev/zero bs=1024 count=1024 of=/data/one \\\n"
        "    && chmod -R 0777 /data \\\n"
        "    && dd if=/dev/zero bs=1024 count=1024 of=/data/two \\\n"
        "    && chmod -R 0777 /data \\\n"
        "    && rm /data/one")
    assert all(f.fix is fix for f in a.findings)


def test_only_run_copy_add_make_layers():
    a = lint("""
        FROM busybox
        ARG X=1
        ENV Y=2
        WORKDIR /w
        USER root
        RUN echo hi > f
        LABEL a=b
        COPY <<EOF /g
        x
        EOF
        EXPOSE 80
    """)
    assert [r.layer.instruction.keyword for r in a.layers] == ["RUN", "COPY"]
    assert added(a) == {6: (3, EXACT), 8: (2, EXACT)}
    assert a.findings == []


# ----------------------------------------------------------------------------- dd

@pytest.mark.parametrize("args, size", [
    ("bs=1M count=2", 2 * 1024 * 1024),
    ("bs=4K count=3", 12_288),
    ("bs=1k count=5", 5_120),
    ("bs=512 count=2K", 1_048_576),        # a suffix on count multiplies the blocks
    ("count=3", 1_536),                    # default block is 512
    ("bs=1MB count=1", 1_000_000),
    ("bs=1kB count=2", 2_000),
    ("bs=2x512 count=3", 3_072),
    ("bs=1M count=3 iflag=count_bytes", 3),
    ("bs=1K count=2 seek=3", 5_120),       # sparse: apparent size counts
    ("bs=1M count=0 seek=5", 5 * 1024 * 1024),
    ("obs=1K count=1 seek=2", 2_560),      # ibs 512 read, seek in obs blocks
])
def test_dd_sizes(args, size):
    a = lint(f"""
        FROM busybox
        RUN dd if=/dev/zero of=/f {args}
        RUN rm /f
    """)
    assert stranded(a) == {2: size, 3: 0}
    assert added(a)[2] == (size, EXACT)
    f = one(a, "DLL101")
    assert span(f) == (3, 5, 3, 10) and f.paths == ["/f"] and f.wasted == Size(size, EXACT)


def test_dd_to_stdout_redirected():
    a = lint("""
        FROM busybox
        RUN dd if=/dev/urandom bs=100 count=3 > /f
    """)
    assert added(a) == {2: (300, EXACT)}


def test_dd_seek_bytes():
    a = lint("""
        FROM busybox
        RUN dd if=/dev/zero of=/f bs=1K count=1 oflag=seek_bytes seek=10
    """)
    assert added(a) == {2: (1034, EXACT)}


def test_dd_from_tracked_file_reads_at_most_its_size():
    a = lint("""
        FROM busybox
        RUN head -c 700 /dev/zero > /src && dd if=/src of=/dst bs=1K count=4
        RUN rm /dst
    """)
    assert stranded(a) == {2: 700, 3: 0}


# ----------------------------------------------------------------------------- fallocate / truncate

@pytest.mark.parametrize("args, size", [
    ("-l 10M", 10 * 1024 * 1024),
    ("-l 1MB", 1_000_000),
    ("-l1K", 1024),
    ("--length 2K", 2048),
])
def test_fallocate_length(args, size):
    a = lint(f"""
        FROM busybox
        RUN fallocate {args} /f
        RUN rm /f
    """)
    assert added(a)[2] == (size, EXACT)
    assert stranded(a) == {2: size, 3: 0}
    assert where(a) == [("DLL101", 3, 5)]


def test_truncate_absolute_new_file():
    a = lint("""
        FROM busybox
        RUN truncate -s 4K /b && truncate --size=3G /big
    """)
    assert added(a) == {2: (4096 + 3 * 1024 ** 3, EXACT)}
    assert a.findings == []


def test_truncate_grow_earlier_file_copies_it_up():
    a = lint("""
        FROM busybox
        RUN truncate -s 4K /b
        RUN truncate -s +1K /b
    """)
    assert stranded(a) == {2: 4096, 3: 0}
    assert added(a) == {2: (4096, EXACT), 3: (5120, EXACT)}
    f = one(a, "DLL102")
    assert span(f) == (3, 5, 3, 23) and f.paths == ["/b"] and f.wasted == Size(4096, EXACT)


def test_truncate_shrink_earlier_file_strands_all_of_it():
    a = lint("""
        FROM busybox
        RUN fallocate -l 10M /a
        RUN truncate -s 100 /a
    """)
    assert stranded(a) == {2: 10 * 1024 * 1024, 3: 0}
    assert added(a)[3] == (100, EXACT)      # the new layer holds only the new size
    assert where(a) == [("DLL102", 3, 5)]
    assert a.findings[0].paths == ["/a"]


def test_truncate_relative_on_new_file():
    a = lint("""
        FROM busybox
        RUN mkdir /d && truncate -s +1K /d/new
    """)
    assert added(a) == {2: (1024, EXACT)}


# ----------------------------------------------------------------------------- head -c

@pytest.mark.parametrize("body, size", [
    ("head -c 3000 /dev/zero > /f", 3000),
    ("head -c1K /dev/zero > /f", 1024),
    ("head --bytes=100 /dev/urandom > /f", 100),
    ("head -c 2KB /dev/zero > /f", 2000),
    ("head -c 1K < /dev/zero > /f", 1024),
    ("yes x | head -c 777 > /f", 777),
    ("yes | head -c 1M > /f", 1024 * 1024),
    ("cat /dev/zero | head -c 50 > /f", 50),
])
def test_head_c(body, size):
    a = lint(f"""
        FROM busybox
        RUN {body}
        RUN rm /f
    """)
    assert added(a)[2] == (size, EXACT)
    assert stranded(a) == {2: size, 3: 0}
    assert rule_ids(a) == ["DLL101"]


def test_head_c_of_a_smaller_tracked_file():
    a = lint("""
        FROM busybox
        RUN truncate -s 5K /small
        RUN head -c 1M /small > /copy
        RUN rm /copy
    """)
    assert added(a)[3] == (5120, EXACT)
    assert stranded(a) == {2: 0, 3: 5120, 4: 0}


# ----------------------------------------------------------------------------- echo / printf / heredocs

@pytest.mark.parametrize("body, size", [
    ("echo hello > /f", 6),
    ("echo -n hello > /f", 5),
    ("echo hello world > /f", 12),
    ('echo "a  b" > /f', 5),
    ("echo > /f", 1),
    ("echo -n > /f", 0),
    ("echo 'héllo' > /f", 7),                 # UTF-8 bytes, not characters
    ("printf 'abc' > /f", 3),
    (r"printf 'a\tb\n' > /f", 4),
    (r"printf '%s\n' a b c > /f", 6),
    ("printf 'x%%y' > /f", 3),
    ('printf "%s" abc > /f', 3),
    ("echo hi 1> /f", 3),
    ("echo hi &> /f", 3),
    ("echo hi >/f 2>&1", 3),
    ("echo hi | cat > /f", 3),
    ("head -c 5 <<< hello > /f", 5),
])
def test_echo_printf_exact(body, size):
    a = lint(f"""
        FROM busybox
        RUN {body}
    """)
    assert added(a) == {2: (size, EXACT)}


def test_echo_e_escapes_are_shell_dependent():
    # busybox/bash print "x\ny\n"; dash's echo prints "-e x\ny\n": an estimate
    a = lint(r"""
        FROM busybox
        RUN echo -e 'x\ny' > /f
    """)
    assert added(a) == {2: (4, ESTIMATED)}


def test_stderr_redirect_is_not_stdout():
    a = lint("""
        FROM busybox
        RUN echo hi 2> /f
    """)
    assert added(a)[2][1] is UNKNOWN


def test_printf_octal_escape():
    a = lint(r"""
        FROM busybox
        RUN printf '\101' > /f
    """)
    assert added(a) == {2: (1, EXACT)}


def test_colon_redirect_makes_empty_file():
    a = lint("""
        FROM busybox
        RUN : > /f
    """)
    assert added(a) == {2: (0, EXACT)}


def test_heredoc_run_script_bytes_and_rm():
    a = lint("""
        FROM busybox
        RUN head -c 100 /dev/zero > /x
        RUN <<EOF
        set -e
        echo hi
        rm /x
        EOF
    """)
    assert stranded(a) == {2: 100, 3: 0}
    f = one(a, "DLL101")
    assert span(f) == (6, 1, 6, 6)      # the `rm` inside the heredoc body
    assert f.paths == ["/x"] and f.wasted == Size(100, EXACT)


def test_heredoc_strip_tabs_column():
    a = lint("""
        FROM busybox
        RUN head -c 100 /dev/zero > /x
        RUN <<-EOF
        \techo hi
        \t  rm /x
        \tEOF
    """)
    f = one(a, "DLL101")
    assert (f.span.start.line, f.span.start.column) == (5, 4)


def test_cat_heredoc_into_file():
    a = lint("""
        FROM busybox
        RUN cat <<EOF > /f
        hello
        world
        EOF
        RUN rm /f
    """)
    assert added(a)[2] == (12, EXACT)
    assert stranded(a) == {2: 12, 6: 0}
    f = one(a, "DLL101")
    assert span(f) == (6, 5, 6, 10) and f.wasted == Size(12, EXACT)


def test_cat_redirect_then_heredoc():
    a = lint("""
        FROM busybox
        RUN cat > /f <<EOF
        hello
        world
        EOF
        RUN echo more >> /f
    """)
    assert added(a) == {2: (12, EXACT), 6: (17, EXACT)}
    assert stranded(a) == {2: 12, 6: 0}


def test_shell_fed_a_heredoc():
    a = lint("""
        FROM busybox
        RUN head -c 100 /dev/zero > /x
        RUN bash <<EOF
        rm /x
        EOF
    """)
    assert where(a) == [("DLL101", 4, 1)]
    assert stranded(a) == {2: 100, 3: 0}


def test_copy_heredoc_size():
    a = lint("""
        FROM busybox
        COPY <<EOF /f
        hello
        EOF
        RUN rm /f
    """)
    assert stranded(a) == {2: 6, 5: 0}
    assert where(a) == [("DLL101", 5, 5)]


# ----------------------------------------------------------------------------- tee and append

def test_tee_writes_stdin_to_each_file():
    a = lint("""
        FROM busybox
        RUN echo abc | tee /g /h
        RUN rm /g
    """)
    assert added(a)[2] == (8, EXACT)
    assert stranded(a) == {2: 4, 3: 0}
    f = one(a, "DLL101")
    assert f.paths == ["/g"] and f.wasted == Size(4, EXACT)


def test_append_copies_the_earlier_file_up():
    a = lint("""
        FROM busybox
        RUN head -c 100 /dev/zero > /f
        RUN echo more >> /f
    """)
    assert added(a) == {2: (100, EXACT), 3: (105, EXACT)}
    assert stranded(a) == {2: 100, 3: 0}
    f = one(a, "DLL102")
    assert span(f) == (3, 5, 3, 20) and f.paths == ["/f"] and f.wasted == Size(100, EXACT)


def test_tee_append_copies_up():
    a = lint("""
        FROM busybox
        RUN head -c 50 /dev/zero > /g
        RUN echo abc | tee -a /g
    """)
    assert added(a)[3] == (54, EXACT)
    f = one(a, "DLL102")
    assert span(f) == (3, 16, 3, 25)          # `tee -a /g`, not the echo
    assert f.wasted == Size(50, EXACT)


def test_append_in_the_same_layer_costs_nothing():
    a = lint("""
        FROM busybox
        RUN head -c 100 /dev/zero > /f && echo more >> /f
    """)
    assert added(a) == {2: (105, EXACT)}
    assert stranded(a) == {2: 0}
    assert a.findings == []


def test_overwrite_of_an_earlier_file():
    a = lint("""
        FROM busybox
        RUN head -c 30 /dev/zero > /h
        RUN echo x > /h
    """)
    assert added(a) == {2: (30, EXACT), 3: (2, EXACT)}
    assert stranded(a) == {2: 30, 3: 0}
    assert where(a) == [("DLL102", 3, 5)]


# ----------------------------------------------------------------------------- cp / mv / ln / mkdir / touch

def test_mv_within_the_same_layer_costs_nothing():
    a = lint("""
        FROM busybox
        RUN head -c 1000 /dev/zero > /a && head -c 2000 /dev/zero > /b && mv /b /c
        RUN rm /c
    """)
    assert added(a)[2] == (3000, EXACT)
    assert stranded(a) == {2: 2000, 3: 0}
    f = one(a, "DLL101")
    assert f.paths == ["/c"] and f.wasted == Size(2000, EXACT)


def test_mv_of_an_earlier_file_copies_and_strands_it():
    a = lint("""
        FROM busybox
        RUN head -c 1000 /dev/zero > /a
        RUN mv /a /moved
        RUN rm /moved
    """)
    assert added(a) == {2: (1000, EXACT), 3: (1000, EXACT), 4: (0, EXACT)}
    assert stranded(a) == {2: 1000, 3: 1000, 4: 0}
    assert where(a) == [("DLL102", 3, 5), ("DLL101", 4, 5)]
    assert a.findings[0].paths == ["/a"]
    assert a.findings[1].paths == ["/moved"]


def test_cp_of_an_earlier_file_strands_nothing():
    a = lint("""
        FROM busybox
        RUN head -c 1000 /dev/zero > /a
        RUN cp /a /a2
    """)
    assert added(a) == {2: (1000, EXACT), 3: (1000, EXACT)}
    assert stranded(a) == {2: 0, 3: 0}
    assert a.findings == []


def test_cp_and_mv_of_directories():
    a = lint("""
        FROM busybox
        RUN mkdir -p /d/e && head -c 300 /dev/zero > /d/e/f && head -c 400 /dev/zero > /d/g
        RUN cp -r /d /d2
        RUN mv /d /d3
        RUN rm -rf /d2
    """)
    assert added(a) == {2: (700, EXACT), 3: (700, EXACT), 4: (700, EXACT), 5: (0, EXACT)}
    assert stranded(a) == {2: 700, 3: 700, 4: 0, 5: 0}
    mv, rm = a.findings
    assert (mv.rule.id, span(mv)) == ("DLL102", (4, 5, 4, 14))
    assert mv.paths == ["/d/e/f", "/d/g"] and mv.wasted == Size(700, EXACT)
    assert (rm.rule.id, span(rm)) == ("DLL101", (5, 5, 5, 15))
    assert rm.paths == ["/d2/e/f", "/d2/g"]


def test_mv_directory_in_same_layer_then_rm_later():
    a = lint("""
        FROM busybox
        RUN mkdir /d && head -c 10 /dev/zero > /d/f && mv /d /e
        RUN rm -rf /e
    """)
    assert stranded(a) == {2: 10, 3: 0}
    f = one(a, "DLL101")
    assert f.paths == ["/e/f"]


def test_cp_glob_into_directory():
    a = lint("""
        FROM busybox
        RUN mkdir -p /d /e && head -c 10 /dev/zero > /d/f && head -c 20 /dev/zero > /d/g
        RUN cp /d/* /e/
        RUN rm -rf /e/*
    """)
    assert stranded(a) == {2: 0, 3: 30, 4: 0}
    assert one(a, "DLL101").paths == ["/e/f", "/e/g"]


def test_symlink_holds_no_bytes():
    a = lint("""
        FROM busybox
        RUN head -c 2000 /dev/zero > /c && ln -s /c /link
        RUN rm /link
        RUN rm /c
    """)
    assert added(a)[2] == (2000, EXACT)
    assert stranded(a) == {2: 2000, 3: 0, 4: 0}
    assert where(a) == [("DLL101", 4, 5)]          # removing the link strands nothing
    assert a.findings[0].paths == ["/c"]


def test_hard_link_to_an_earlier_file_copies_it_up():
    a = lint("""
        FROM busybox
        RUN head -c 2000 /dev/zero > /c
        RUN ln /c /hard
    """)
    assert added(a) == {2: (2000, EXACT), 3: (2000, EXACT)}
    assert stranded(a) == {2: 2000, 3: 0}
    assert where(a) == [("DLL102", 3, 5)]


def test_mkdir_p_adds_no_bytes():
    a = lint("""
        FROM busybox
        RUN mkdir -p /a/b/c
        RUN head -c 9 /dev/zero > /a/b/c/f
        RUN rm -rf /a
    """)
    assert added(a) == {2: (0, EXACT), 3: (9, EXACT), 4: (0, EXACT)}
    assert stranded(a) == {2: 0, 3: 9, 4: 0}
    assert one(a, "DLL101").paths == ["/a/b/c/f"]


def test_touch_new_vs_existing():
    a = lint("""
        FROM busybox
        RUN head -c 100 /dev/zero > /a
        RUN touch /a /new
        RUN touch /new
    """)
    assert added(a) == {2: (100, EXACT), 3: (100, EXACT), 4: (0, EXACT)}
    assert stranded(a) == {2: 100, 3: 0, 4: 0}
    f = one(a, "DLL102")               # touching the empty /new strands 0 bytes: no finding
    assert span(f) == (3, 5, 3, 18) and f.paths == ["/a"] and f.wasted == Size(100, EXACT)


# ----------------------------------------------------------------------------- chmod / chown / sed

def test_chmod_recursive_copies_every_file():
    a = lint("""
        FROM busybox
        RUN mkdir /d && head -c 10 /dev/zero > /d/1 && head -c 20 /dev/zero > /d/2 && head -c 30 /dev/zero > /d/3
        RUN chmod -R 755 /d
    """)
    assert added(a) == {2: (60, EXACT), 3: (60, EXACT)}
    assert stranded(a) == {2: 60, 3: 0}
    f = one(a, "DLL102")
    assert span(f) == (3, 5, 3, 20)
    assert f.paths == ["/d/1", "/d/2", "/d/3"] and f.wasted == Size(60, EXACT)


def test_chmod_of_a_directory_alone_copies_no_file():
    a = lint("""
        FROM busybox
        RUN mkdir /d && head -c 10 /dev/zero > /d/1
        RUN chmod 755 /d
    """)
    assert stranded(a) == {2: 0, 3: 0}
    assert a.findings == []


@pytest.mark.parametrize("mode", ["-x", "+x", "u+rwx,go-w", "a=r"])
def test_chmod_symbolic_modes(mode):
    a = lint(f"""
        FROM busybox
        RUN head -c 200 /dev/zero > /b
        RUN chmod {mode} /b
    """)
    assert stranded(a) == {2: 200, 3: 0}
    assert added(a)[3] == (200, EXACT)
    f = one(a, "DLL102")
    assert f.paths == ["/b"] and (f.span.start.line, f.span.start.column) == (3, 5)


def test_chown_copies_up():
    a = lint("""
        FROM busybox
        RUN head -c 10 /dev/zero > /f
        RUN chown nobody:nogroup /f
    """)
    assert stranded(a) == {2: 10, 3: 0}
    f = one(a, "DLL102")
    assert span(f) == (3, 5, 3, 28) and f.paths == ["/f"]


def test_sed_in_place_copies_up_and_plain_sed_does_nothing():
    a = lint("""
        FROM busybox
        RUN head -c 10 /dev/zero > /a && head -c 20 /dev/zero > /b && head -c 40 /dev/zero > /c
        RUN sed -i -e s/x/y/ /a /b
        RUN sed s/x/y/ /c
    """)
    assert stranded(a) == {2: 30, 3: 0, 4: 0}
    assert added(a)[3] == (30, EXACT)
    f = one(a, "DLL102")
    assert span(f) == (3, 5, 3, 27) and f.paths == ["/a", "/b"] and f.wasted == Size(30, EXACT)


def test_sed_in_place_with_backup_suffix():
    a = lint("""
        FROM busybox
        RUN head -c 40 /dev/zero > /c
        RUN sed -i.bak s/x/y/ /c
    """)
    assert added(a)[3] == (80, EXACT)


# ----------------------------------------------------------------------------- rm

def test_rm_glob_matches_names_not_dotfiles_and_quoted_glob_is_literal():
    a = lint("""
        FROM busybox
        RUN mkdir /l && head -c 10 /dev/zero > /l/a.log && head -c 20 /dev/zero > /l/b.log && head -c 40 /dev/zero > /l/.h.log && head -c 80 /dev/zero > /l/keep.txt
        RUN rm "/l/*.log"
        RUN rm /l/*.log
    """)
    assert stranded(a) == {2: 30, 3: 0, 4: 0}
    f = one(a, "DLL101")
    assert span(f) == (4, 5, 4, 16)
    assert f.paths == ["/l/a.log", "/l/b.log"] and f.wasted == Size(30, EXACT)


def test_rm_tmp_star_keeps_dotfiles():
    a = lint("""
        FROM busybox
        RUN mkdir -p /tmp && head -c 50 /dev/zero > /tmp/x && head -c 60 /dev/zero > /tmp/.hidden
        RUN rm -rf /tmp/*
    """)
    assert stranded(a) == {2: 50, 3: 0}
    f = one(a, "DLL101")
    assert span(f) == (3, 5, 3, 18) and f.paths == ["/tmp/x"]
    assert a.target.fs.lookup("/tmp/.hidden") is not None


def test_rm_rf_dir_then_mkdir_again():
    a = lint("""
        FROM busybox
        RUN mkdir /d && head -c 123 /dev/zero > /d/f
        RUN rm -rf /d && mkdir /d
        RUN head -c 5 /dev/zero > /d/g
    """)
    assert stranded(a) == {2: 123, 3: 0, 4: 0}
    assert added(a)[4] == (5, EXACT)
    f = one(a, "DLL101")
    assert span(f) == (3, 5, 3, 14) and f.paths == ["/d/f"]


def test_remove_recreate_remove_strands_both():
    a = lint("""
        FROM busybox
        RUN head -c 10 /dev/zero > /f
        RUN rm /f
        RUN head -c 20 /dev/zero > /f
        RUN rm /f
    """)
    assert stranded(a) == {2: 10, 3: 0, 4: 20, 5: 0}
    assert where(a) == [("DLL101", 3, 5), ("DLL101", 5, 5)]


def test_made_and_removed_in_one_layer_is_free():
    a = lint("""
        FROM busybox
        RUN head -c 10 /dev/zero > /f && rm /f
        RUN head -c 7 /dev/zero > /f && head -c 3 /dev/zero > /f
        RUN rm /f
    """)
    assert added(a) == {2: (0, EXACT), 3: (3, EXACT), 4: (0, EXACT)}
    assert stranded(a) == {2: 0, 3: 3, 4: 0}


# ----------------------------------------------------------------------------- cd, subshells, variables

def test_cd_in_subshell_is_scoped():
    a = lint("""
        FROM busybox
        RUN mkdir /x && head -c 11 /dev/zero > /x/a && head -c 22 /dev/zero > /b && head -c 33 /dev/zero > /x/b
        RUN (cd /x && rm a) && rm b
    """)
    assert stranded(a) == {2: 33, 3: 0}
    first, second = a.findings
    assert (first.rule.id, span(first), first.paths) == ("DLL101", (3, 15, 3, 19), ["/x/a"])
    assert (second.rule.id, span(second), second.paths) == ("DLL101", (3, 24, 3, 28), ["/b"])


def test_cd_does_not_carry_to_the_next_run():
    a = lint("""
        FROM busybox
        RUN mkdir /x && head -c 5 /dev/zero > /x/a && head -c 7 /dev/zero > /a
        RUN cd /x
        RUN rm a
    """)
    assert one(a, "DLL101").paths == ["/a"]
    assert stranded(a) == {2: 7, 3: 0, 4: 0}


def test_cd_to_unknown_directory_guesses_nothing():
    a = lint("""
        FROM busybox
        RUN mkdir /q && head -c 5 /dev/zero > /q/f && head -c 6 /dev/zero > /f
        RUN cd $NOPE && rm f
    """)
    assert a.findings == []


def test_cd_home():
    a = lint("""
        FROM busybox
        RUN mkdir -p /root && head -c 10 /dev/zero > /root/x && head -c 20 /dev/zero > /root/y
        RUN cd ~ && rm x
        RUN rm ~/y
    """)
    assert where(a) == [("DLL101", 3, 13), ("DLL101", 4, 5)]
    assert [f.paths for f in a.findings] == [["/root/x"], ["/root/y"]]


def test_workdir_relative_paths():
    a = lint("""
        FROM busybox
        WORKDIR /app
        RUN head -c 100 /dev/zero > data.bin
        WORKDIR sub
        RUN head -c 7 /dev/zero > ../x
        WORKDIR /app
        RUN rm data.bin x
    """)
    assert stranded(a) == {3: 100, 5: 7, 7: 0}
    f = one(a, "DLL101")
    assert span(f) == (7, 5, 7, 18)
    assert f.paths == ["/app/data.bin", "/app/x"] and f.wasted == Size(107, EXACT)


def test_env_and_arg_expanded_paths_with_default():
    a = lint("""
        FROM busybox
        ARG DIR
        ENV OUT=/opt/out
        RUN mkdir -p $OUT && head -c 64 /dev/zero > $OUT/f && head -c 32 /dev/zero > ${DIR:-/default}.bin
        RUN rm ${OUT}/f /default.bin
    """)
    assert stranded(a) == {4: 96, 5: 0}
    f = one(a, "DLL101")
    assert f.paths == ["/default.bin", "/opt/out/f"] and f.wasted == Size(96, EXACT)


def test_env_in_one_instruction_sees_the_old_values():
    a = lint("""
        FROM busybox
        ENV A=/x
        ENV A=/y B=$A/f
        RUN mkdir -p /x /y && head -c 5 /dev/zero > $B
        RUN rm /x/f /y/f
    """)
    assert one(a, "DLL101").paths == ["/x/f"]


def test_build_arg_overrides_arg_default():
    text = """
        FROM busybox
        ARG DIR=/one
        RUN head -c 64 /dev/zero > $DIR
        RUN rm /two /one
    """
    assert one(lint(text), "DLL101").paths == ["/one"]
    assert one(lint(text, build_args={"DIR": "/two"}), "DLL101").paths == ["/two"]


def test_global_arg_needs_redeclaring_in_the_stage():
    a = lint("""
        ARG G=/glob
        FROM busybox
        RUN head -c 5 /dev/zero > ${G:-/unset}
        RUN rm /glob /unset
    """)
    assert one(a, "DLL101").paths == ["/unset"]
    b = lint("""
        ARG G=/glob
        FROM busybox
        ARG G
        RUN head -c 5 /dev/zero > ${G:-/unset}
        RUN rm /glob /unset
    """)
    assert one(b, "DLL101").paths == ["/glob"]


def test_export_then_use_and_assignment_then_use():
    a = lint("""
        FROM busybox
        RUN head -c 10 /dev/zero > /a && head -c 20 /dev/zero > /b
        RUN export T=/a && rm $T
        RUN VAR=/b; rm $VAR
    """)
    assert where(a) == [("DLL101", 3, 20), ("DLL101", 4, 13)]
    assert [f.paths for f in a.findings] == [["/a"], ["/b"]]
    assert stranded(a) == {2: 30, 3: 0, 4: 0}


def test_export_inside_subshell_does_not_leak():
    a = lint("""
        FROM busybox
        RUN head -c 5 /dev/zero > /a
        RUN (export T=/a) && rm $T
    """)
    assert a.findings == []


def test_prefix_assignment_is_not_seen_by_its_own_arguments():
    a = lint("""
        FROM busybox
        RUN head -c 10 /dev/zero > /a
        RUN X=/a rm $X
    """)
    assert a.findings == []
    assert stranded(a) == {2: 0, 3: 0}


@pytest.mark.parametrize("body, columns", [
    ("sudo rm /c", (5, 15)),
    ("env FOO=1 rm /c", (5, 20)),
    ("sudo -u root rm /c", (5, 23)),
    ("nice -n 5 rm /c", (5, 20)),
])
def test_wrappers_run_the_real_command(body, columns):
    a = lint(f"""
        FROM busybox
        RUN head -c 40 /dev/zero > /c
        RUN {body}
    """)
    f = one(a, "DLL101")
    assert f.paths == ["/c"] and f.wasted == Size(40, EXACT)
    assert (f.span.start.line, f.span.start.column, f.span.end.column) == (3, *columns)


# ----------------------------------------------------------------------------- downloads, archives, checkouts

def test_downloads_removed_later_are_archives():
    a = lint("""
        FROM busybox
        WORKDIR /dl
        RUN curl -fsSLo /tmp/a.tgz https://x.org/a.tgz && curl -O https://x.org/b.zip
        RUN wget -qO /tmp/c.tar.xz https://x.org/c.tar.xz && wget -q https://x.org/d.deb -P /tmp
        RUN rm /tmp/a.tgz /dl/b.zip /tmp/c.tar.xz /tmp/d.deb
    """)
    f = one(a, "DLL106")
    assert rule_ids(a) == ["DLL106"]
    assert span(f) == (5, 5, 5, 53)
    assert f.paths == ["/dl/b.zip", "/tmp/a.tgz", "/tmp/c.tar.xz", "/tmp/d.deb"]
    assert f.wasted.confidence is UNKNOWN          # download sizes are not known
    assert layer(a, 3).added.confidence is UNKNOWN and "curl download" in layer(a, 3).layer.unknown
    assert "wget download" in layer(a, 4).layer.unknown


def test_plain_download_removed_later_is_dll101():
    a = lint("""
        FROM busybox
        RUN curl -o /tmp/notes.txt https://x.org/notes.txt
        RUN rm /tmp/notes.txt
    """)
    assert where(a) == [("DLL101", 3, 5)]
    assert a.findings[0].paths == ["/tmp/notes.txt"]


def test_tar_x_then_rm_archive_in_a_later_layer():
    a = lint("""
        FROM busybox
        RUN wget -O /tmp/app.tar.gz https://example.org/app.tar.gz
        RUN tar -xzf /tmp/app.tar.gz -C /opt && rm /tmp/app.tar.gz
    """)
    f = one(a, "DLL106")
    assert span(f) == (3, 41, 3, 59) and f.paths == ["/tmp/app.tar.gz"]
    assert "files unpacked by tar" in layer(a, 3).layer.unknown


def test_copied_archive_extracted_and_removed_later_exact_bytes(tmp_path):
    ctx = context(tmp_path, {"app.tar.gz": 5000})
    a = lint("""
        FROM busybox
        COPY app.tar.gz /tmp/
        RUN tar -xzf /tmp/app.tar.gz -C /opt && rm /tmp/app.tar.gz
    """, context=ctx)
    f = one(a, "DLL106")
    assert span(f) == (3, 41, 3, 59)
    assert f.paths == ["/tmp/app.tar.gz"] and f.wasted == Size(5000, EXACT)
    assert stranded(a) == {2: 5000, 3: 0}


def test_git_clone_then_rm_rf_checkout():
    a = lint("""
        FROM busybox
        RUN git clone https://github.com/x/repo.git /src
        RUN rm -rf /src
    """)
    f = one(a, "DLL101")
    assert span(f) == (3, 5, 3, 16)
    assert f.wasted.confidence is UNKNOWN
    assert "/src/*" in f.message
    assert "files unpacked by git clone" in layer(a, 2).layer.unknown
    assert a.stranded.confidence is UNKNOWN


def test_git_clone_paths_are_displayable():
    a = lint("""
        FROM busybox
        RUN git clone https://github.com/x/repo.git /src
        RUN rm -rf /src
    """)
    assert one(a, "DLL101").paths == ["/src/*"]


# ----------------------------------------------------------------------------- package managers

def test_apt_lists_removed_later_dll104():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get update && apt-get install -y --no-install-recommends curl
        RUN rm -rf /var/lib/apt/lists/*
    """)
    f = one(a, "DLL104")
    assert rule_ids(a) == ["DLL104"]
    assert span(f) == (3, 5, 3, 32)
    assert f.wasted == Size(19_000_000, ESTIMATED)
    assert stranded(a) == {2: 19_000_000, 3: 0}
    assert a.stranded == Size(19_000_000, ESTIMATED)
    assert "apt package lists" in f.message


def test_apt_lists_paths_are_displayable():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get update
        RUN rm -rf /var/lib/apt/lists/*
    """)
    assert one(a, "DLL104").paths == ["/var/lib/apt/lists/*"]


def test_apt_update_left_in_image_dll105():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get update && apt-get install -y --no-install-recommends curl
    """)
    f = one(a, "DLL105")
    assert span(f) == (2, 5, 2, 19)          # `apt-get update`
    assert f.wasted == Size(19_000_000, ESTIMATED)
    assert stranded(a) == {2: 0}
    added = layer(a, 2).added   # the lists and curl's closure (tests/test_apt_engine.py checks the latter)
    assert added.confidence is ESTIMATED and added.bytes > 19_000_000


def test_apt_update_on_ubuntu_is_bigger():
    a = lint("""
        FROM ubuntu:22.04
        RUN apt-get update
    """)
    assert one(a, "DLL105").wasted == Size(40_000_000, ESTIMATED)


def test_apt_update_cleaned_in_same_run_is_clean():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
    """)
    assert a.findings == []


def test_apt_get_dist_clean():
    same = lint("""
        FROM debian:trixie
        RUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get dist-clean
    """)
    assert same.findings == []
    later = lint("""
        FROM debian:trixie
        RUN apt-get update && apt-get install -y --no-install-recommends curl
        RUN apt-get dist-clean
    """)
    f = one(later, "DLL104")
    assert span(f) == (3, 5, 3, 23) and f.wasted == Size(19_000_000, ESTIMATED)


def test_apt_lists_under_a_cache_mount_are_not_in_the_image():
    a = lint("""
        FROM debian:bookworm
        RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y --no-install-recommends curl
    """)
    assert a.findings == []


def test_apk_add_with_and_without_no_cache():
    a = lint("""
        FROM alpine:3.19
        RUN apk add curl
    """)
    f = one(a, "DLL105")
    assert span(f) == (2, 5, 2, 17) and f.wasted == Size(1_500_000, ESTIMATED)
    b = lint("""
        FROM alpine:3.19
        RUN apk add --no-cache curl
    """)
    assert b.findings == []
    assert layer(b, 2).added.confidence is UNKNOWN


def test_pip_cache_left():
    a = lint("""
        FROM python:3.12
        RUN pip install requests
    """)
    f = one(a, "DLL105")
    assert span(f) == (2, 5, 2, 25)
    assert f.wasted.confidence is UNKNOWN         # pip's cache size is not known
    assert "/root/.cache/pip/*" in f.message


@pytest.mark.parametrize("text", [
    """
    FROM python:3.12
    RUN pip install --no-cache-dir requests
    """,
    """
    FROM python:3.12
    ENV PIP_NO_CACHE_DIR=1
    RUN pip install requests
    """,
    """
    FROM python:3.12
    RUN --mount=type=cache,target=/root/.cache/pip pip install requests
    """,
])
def test_pip_without_cache_in_image(text):
    assert lint(text).findings == []


def test_pip_install_adds_unknown_bytes():
    a = lint("""
        FROM python:3.12
        RUN pip install --no-cache-dir requests
    """)
    assert layer(a, 2).added.confidence is UNKNOWN


def test_pip_cache_dir_option_is_honoured():
    a = lint("""
        FROM python:3.12
        RUN pip install --cache-dir /tmp/pc requests && rm -rf /tmp/pc
    """)
    assert a.findings == []


def test_npm_cache_cleaned_in_a_later_run():
    a = lint("""
        FROM node:20
        RUN npm ci
        RUN npm cache clean --force
    """)
    f = one(a, "DLL104")
    assert rule_ids(a) == ["DLL104"]
    assert span(f) == (3, 5, 3, 28)
    assert f.wasted.confidence is UNKNOWN
    assert "npm's package cache" in f.message


def test_npm_cache_option_is_honoured():
    a = lint("""
        FROM node:20
        RUN npm ci --cache /tmp/c && rm -rf /tmp/c
    """)
    assert a.findings == []


def test_packages_purged_later_dll107():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get update && apt-get install -y --no-install-recommends gcc make && rm -rf /var/lib/apt/lists/*
        RUN apt-get purge -y gcc
    """)
    f = one(a, "DLL107")
    assert rule_ids(a) == ["DLL107", "DLL111"]   # DLL111: the purge copies up the dpkg databases
    assert span(f) == (3, 5, 3, 25)
    assert "gcc" in f.message and "make" not in f.message
    assert [r.span.start.line for r in f.related] == [2]
    assert f.wasted.confidence is ESTIMATED and f.wasted.bytes > 0   # gcc alone: no --auto-remove


def test_packages_purged_in_the_same_run_or_conditionally():
    same = lint("""
        FROM debian:bookworm
        RUN apt-get update && apt-get install -y --no-install-recommends gcc && apt-get purge -y gcc && rm -rf /var/lib/apt/lists/*
    """)
    assert same.findings == []
    maybe = lint("""
        FROM debian:bookworm
        RUN apt-get install -y --no-install-recommends gcc
        RUN if [ -x /usr/bin/gcc ]; then apt-get purge -y gcc; fi
    """)
    assert maybe.findings == []


def test_apk_del_later_dll107():
    a = lint("""
        FROM alpine
        RUN apk add --no-cache gcc
        RUN apk del gcc
    """)
    assert where(a) == [("DLL107", 3, 5)]


def test_apk_virtual_package_deleted_later():
    a = lint("""
        FROM alpine
        RUN apk add --no-cache --virtual .build-deps gcc musl-dev
        RUN apk del .build-deps
    """)
    assert where(a) == [("DLL107", 3, 5)]


def test_version_pinned_package_purged_later():
    a = lint("""
        FROM debian
        RUN apt-get install -y --no-install-recommends gcc=4:12.2.0-3
        RUN apt-get purge -y gcc
    """)
    assert where(a) == [("DLL107", 3, 5), ("DLL111", 3, 5)]


# ----------------------------------------------------------------------------- RUN --mount

def test_cache_mount_target_writes_nothing():
    a = lint("""
        FROM busybox
        WORKDIR /w
        RUN --mount=type=cache,target=cache head -c 100 /dev/zero > cache/x && head -c 5 /dev/zero > /w/y
        RUN --mount=type=cache,target=/c,sharing=locked head -c 100 /dev/zero > /c/x
        RUN --mount=type=tmpfs,target=/tmp head -c 100 /dev/zero > /tmp/x
    """)
    assert added(a) == {3: (5, EXACT), 4: (0, EXACT), 5: (0, EXACT)}


def test_rm_under_a_mount_does_not_touch_the_image():
    a = lint("""
        FROM busybox
        RUN mkdir /c && head -c 100 /dev/zero > /c/x
        RUN --mount=type=cache,target=/c rm -rf /c/x
    """)
    assert a.findings == []
    assert stranded(a) == {2: 0, 3: 0}


# ----------------------------------------------------------------------------- COPY and the build context

def test_secrets_copied_then_removed_dll108(tmp_path):
    ctx = context(tmp_path, {"id_rsa": 1679, "id_rsa.pub": 400, ".npmrc": 64})
    a = lint("""
        FROM node:20
        COPY id_rsa /root/.ssh/id_rsa
        COPY .npmrc /root/.npmrc
        COPY id_rsa.pub /root/.ssh/id_rsa.pub
        RUN rm /root/.ssh/id_rsa /root/.npmrc /root/.ssh/id_rsa.pub
    """, context=ctx)
    assert stranded(a) == {2: 1679, 3: 64, 4: 400, 5: 0}
    secret = one(a, "DLL108")
    assert secret.severity == "error"
    assert span(secret) == (5, 5, 5, 60)
    assert secret.paths == ["/root/.npmrc", "/root/.ssh/id_rsa"]
    assert secret.wasted == Size(1743, EXACT)
    public = one(a, "DLL101")       # a .pub key is no secret
    assert public.paths == ["/root/.ssh/id_rsa.pub"] and public.wasted == Size(400, EXACT)
    assert public.severity == "warning"


def test_public_key_alone_is_not_a_secret(tmp_path):
    ctx = context(tmp_path, {"id_ed25519.pub": 100})
    a = lint("""
        FROM busybox
        COPY id_ed25519.pub /root/.ssh/
        RUN rm /root/.ssh/id_ed25519.pub
    """, context=ctx)
    assert rule_ids(a) == ["DLL101"]


def test_secret_written_by_run_then_removed():
    a = lint("""
        FROM node:20
        RUN echo //registry/:_authToken=abc > /root/.npmrc
        RUN rm -f /root/.npmrc
    """)
    f = one(a, "DLL108")
    assert f.wasted == Size(27, EXACT) and f.paths == ["/root/.npmrc"]


def test_copy_then_chmod_dll103_exact_bytes(tmp_path):
    ctx = context(tmp_path, {"app.bin": 200_000, "app/a": 100, "app/b": 250})
    a = lint("""
        FROM busybox
        COPY app.bin /usr/local/bin/app
        RUN chmod +x /usr/local/bin/app
        COPY app /app
        RUN chown -R 1000:1000 /app
    """, context=ctx)
    assert added(a) == {2: (200_000, EXACT), 3: (200_000, EXACT), 4: (350, EXACT), 5: (350, EXACT)}
    assert stranded(a) == {2: 200_000, 3: 0, 4: 350, 5: 0}
    chmod, chown = a.findings
    assert (chmod.rule.id, span(chmod)) == ("DLL103", (3, 5, 3, 32))
    assert chmod.paths == ["/usr/local/bin/app"] and chmod.wasted == Size(200_000, EXACT)
    assert (chown.rule.id, span(chown)) == ("DLL103", (5, 5, 5, 28))
    assert chown.paths == ["/app/a", "/app/b"] and chown.wasted == Size(350, EXACT)


def test_copy_chmod_flag_is_clean(tmp_path):
    ctx = context(tmp_path, {"app.bin": 1000})
    a = lint("""
        FROM busybox
        COPY --chmod=0755 app.bin /usr/local/bin/app
    """, context=ctx)
    assert a.findings == [] and added(a) == {2: (1000, EXACT)}


def test_copy_then_mv_is_dll102_not_dll103(tmp_path):
    ctx = context(tmp_path, {"app.bin": 2000})
    a = lint("""
        FROM busybox
        COPY app.bin /x
        RUN mv /x /y
    """, context=ctx)
    assert where(a) == [("DLL102", 3, 5)]
    assert a.findings[0].wasted == Size(2000, EXACT)


def test_dockerignore_excludes_files(tmp_path):
    ctx = context(tmp_path, {"app/a": 100, "app/b": 250, "app/debug.log": 999, "ignored.dat": 77},
                  dockerignore="app/*.log\nignored.dat\n")
    a = lint("""
        FROM busybox
        COPY app /app
        RUN rm -rf /app
    """, context=ctx)
    assert added(a)[2] == (350, EXACT)
    assert stranded(a) == {2: 350, 3: 0}
    f = one(a, "DLL101")
    assert f.paths == ["/app/a", "/app/b"] and f.wasted == Size(350, EXACT)


def test_copy_of_an_ignored_file_adds_nothing(tmp_path):
    ctx = context(tmp_path, {"ignored.dat": 77}, dockerignore="ignored.dat\n")
    a = lint("""
        FROM busybox
        COPY ignored.dat /x
        RUN rm -f /x
    """, context=ctx)
    assert a.findings == []
    assert layer(a, 2).added.bytes == 0
    assert any("ignored.dat" in reason for reason in layer(a, 2).layer.unknown)


def test_copy_without_context_is_unknown_never_zero():
    a = lint("""
        FROM busybox
        COPY app.bin /x
        RUN rm /x
    """)
    assert layer(a, 2).added.confidence is UNKNOWN
    f = one(a, "DLL101")
    assert f.wasted.confidence is UNKNOWN


# ----------------------------------------------------------------------------- multi-stage

MULTI = """
FROM busybox AS builder
RUN head -c 1000 /dev/zero > /big && head -c 50 /dev/zero > /out
RUN rm /big
FROM busybox AS final
COPY --from=builder /out /app/out
RUN rm /app/out
"""


def test_builder_waste_is_not_counted():
    a = lint(MULTI)
    assert stranded(a) == {5: 50, 6: 0}
    assert added(a)[5] == (50, EXACT)           # COPY --from brings the builder's bytes
    assert where(a) == [("DLL101", 6, 5)]
    assert a.findings[0].paths == ["/app/out"]
    assert {r.layer.stage for r in a.layers} == {"final"}


@pytest.mark.parametrize("target", ["builder", "BUILDER", "0"])
def test_target_builder_counts_its_waste(target):
    a = lint(MULTI, target=target)
    assert stranded(a) == {2: 1000, 3: 0}
    assert where(a) == [("DLL101", 3, 5)]
    assert a.findings[0].paths == ["/big"]


def test_unknown_target_raises():
    with pytest.raises(UnknownTarget, match="nope"):
        lint(MULTI, target="nope")


def test_stage_from_stage_inherits_layers():
    a = lint("""
        FROM busybox AS builder
        RUN head -c 1000 /dev/zero > /big
        FROM builder AS final
        RUN rm /big
    """)
    assert stranded(a) == {2: 1000, 4: 0}
    assert [r.layer.stage for r in a.layers] == ["builder", "final"]
    f = one(a, "DLL101")
    assert span(f) == (4, 5, 4, 12) and f.wasted == Size(1000, EXACT)


def test_copy_from_directory_of_another_stage():
    a = lint("""
        FROM busybox AS b
        RUN mkdir -p /out/sub && head -c 10 /dev/zero > /out/a && head -c 20 /dev/zero > /out/sub/b
        FROM busybox
        COPY --from=b /out /dist
        RUN rm -rf /dist
    """)
    assert stranded(a) == {4: 30, 5: 0}
    assert one(a, "DLL101").paths == ["/dist/a", "/dist/sub/b"]


# ----------------------------------------------------------------------------- exec form

def test_exec_form_shell_c():
    a = lint("""
        FROM busybox
        RUN head -c 100 /dev/zero > /x
        RUN ["sh", "-c", "rm /x"]
    """)
    f = one(a, "DLL101")
    assert span(f) == (3, 19, 3, 24)          # the rm inside the JSON string
    assert stranded(a) == {2: 100, 3: 0}


def test_exec_form_direct_command_strands_bytes():
    a = lint("""
        FROM busybox
        RUN head -c 10 /dev/zero > /y
        RUN ["rm", "/y"]
    """)
    f = one(a, "DLL101")
    assert f.paths == ["/y"] and f.wasted == Size(10, EXACT)


def test_exec_form_direct_command_points_at_command():
    a = lint("""
        FROM busybox
        RUN head -c 10 /dev/zero > /y
        RUN ["rm", "/y"]
    """)
    f = one(a, "DLL101")
    assert f.span.start.line == 3 and f.span.start.column in (6, 7)


# ----------------------------------------------------------------------------- conditional commands

@pytest.mark.parametrize("body", [
    "if [ -f /w ]; then rm /w; fi",
    "if true; then :; else rm /w; fi",
    "test -f /nope || rm /w",
    "true || rm /w",
    "for f in /w; do rm $f; done",
    "while false; do rm /w; done",
    "case x in y) rm /w;; esac",
    "f() { rm /w; }",
])
def test_commands_that_may_not_run_never_cause_findings(body):
    a = lint(f"""
        FROM busybox
        RUN head -c 2 /dev/zero > /w
        RUN {body}
    """)
    assert a.findings == []
    assert stranded(a) == {2: 0, 3: 0}
    assert layer(a, 3).added.confidence is UNKNOWN


@pytest.mark.parametrize("body, column", [
    ("rm /w || true", 5),
    ("rm /w 2>/dev/null || :", 5),
    ("rm /w && echo ok || echo fail", 5),
    ("echo $(rm /w)", 12),
])
def test_the_first_command_of_a_fallback_does_run(body, column):
    a = lint(f"""
        FROM busybox
        RUN head -c 2 /dev/zero > /w
        RUN {body}
    """)
    assert where(a) == [("DLL101", 3, column)]


def test_short_circuit_if_is_conditional():
    a = lint("""
        FROM busybox
        RUN head -c 2 /dev/zero > /w
        RUN [ -f /w ] && rm /w || true
    """)
    assert a.findings == []


# ----------------------------------------------------------------------------- unknown commands

def test_unknown_command_is_a_lower_bound_and_no_finding():
    a = lint("""
        FROM busybox
        RUN head -c 100 /dev/zero > /x
        RUN make install
        RUN ./configure && head -c 10 /dev/zero > /y && make
    """)
    assert a.findings == []
    assert added(a) == {2: (100, EXACT), 3: (0, UNKNOWN), 4: (10, UNKNOWN)}
    assert any("`make`" in reason for reason in layer(a, 3).layer.unknown)
    assert stranded(a) == {2: 0, 3: 0, 4: 0}


def test_unknown_command_never_removes_tracked_files():
    a = lint("""
        FROM busybox
        RUN head -c 100 /dev/zero > /x
        RUN make clean && ./cleanup.sh /x
    """)
    assert a.findings == []
    assert a.target.fs.lookup("/x").version.size == Size(100, EXACT)
