"""Files no command names: archives, clones, unseen COPY sources and package installs
(issue: "See what it cannot name"). A later layer that changes such a file is reported
with the maker's line, certainty `likely`, and bytes unknown (or exact when the archive
sits in the build context); the base image's layout keeps its own files out of it."""
from __future__ import annotations

import io
import tarfile
import textwrap
from pathlib import Path

import pytest

from dlayerlint.core.sizes import Confidence
from dlayerlint.lint import analyze
from dlayerlint.simulate.context.build import BuildContext
from dlayerlint.simulate.knowledge import knowledge

# the issue's first example, as a new user lints it
ISSUE_EXAMPLE = """\
FROM debian:bookworm
RUN curl -fsSL -o /tmp/x.tgz https://example.com/x.tgz && tar xzf /tmp/x.tgz -C /opt
RUN sed -i s/a/b/ /opt/app/conf.txt
RUN git clone https://github.com/a/b /src
RUN chmod +x /src/run.sh
RUN wget https://example.com/y.tar.gz
RUN tar xzf y.tar.gz
RUN mv /src/run.sh /usr/local/bin/run
"""


def lint(text: str, **kwargs):
    return analyze(textwrap.dedent(text).lstrip("\n"), **kwargs)


def found(analysis) -> list[tuple[str, int, str]]:
    return [(f.rule.id, f.span.start.line, f.certainty) for f in analysis.findings]


def test_the_issue_example_finds_every_unnamed_write():
    a = analyze(ISSUE_EXAMPLE)
    assert found(a) == [("DLL109", 2, "certain"), ("DLL102", 3, "likely"), ("DLL102", 5, "likely"),
                        ("DLL109", 7, "certain"), ("DLL102", 8, "likely")]
    sed = a.findings[1]
    assert "made on line 2 (most likely by `tar xzf /tmp/x.tgz -C /opt`)" in sed.message
    assert sed.wasted.confidence is Confidence.UNKNOWN
    assert "git clone https://github.com/a/b /src" in a.findings[2].message


def test_a_base_image_file_is_never_claimed():
    """/etc/passwd is debian's own: a tar into / did not make it."""
    a = lint("""
        FROM debian:bookworm
        RUN curl -o /tmp/r.tgz https://example.com/r.tgz && tar xzf /tmp/r.tgz -C / && rm /tmp/r.tgz
        RUN sed -i s/a/b/ /etc/passwd
    """)
    assert a.findings == []


def test_an_unknown_base_may_hold_anything_but_a_clone_target_was_empty():
    a = lint("""
        FROM example.com/team/base:1
        RUN curl -o /tmp/r.tgz https://example.com/r.tgz && tar xzf /tmp/r.tgz -C /opt && rm /tmp/r.tgz
        RUN chmod +x /opt/tool/run
        RUN git clone https://example.com/a.git /work
        RUN chmod +x /work/run.sh
    """)
    assert found(a) == [("DLL102", 5, "likely")]


def test_chown_r_of_a_folder_an_archive_filled_copies_all_of_it():
    a = lint("""
        FROM debian:bookworm
        RUN curl -o /tmp/k.tgz https://example.com/kafka.tgz && tar xzf /tmp/k.tgz -C /opt && rm /tmp/k.tgz
        RUN chown -R 1000:1000 /opt/kafka
    """)
    finding, = a.findings
    assert (finding.rule.id, finding.certainty) == ("DLL102", "likely")
    assert "/opt/kafka/*" in finding.paths


def test_unseen_copy_sources_land_and_are_reported_once(tmp_path):
    (tmp_path / "Dockerfile").write_text("")
    a = lint("""
        FROM debian:bookworm
        COPY run.sh /run.sh
        RUN chmod +x /run.sh
        COPY conf/ /etc/app/
        RUN mv /etc/app/a.conf /etc/app/b.conf
    """, context=BuildContext(tmp_path))
    assert found(a) == [("DLL103", 3, "certain"), ("DLL102", 5, "likely")]
    note, = a.notes
    assert "run.sh, conf/" in note and str(tmp_path) in note and "--context" in note


def test_a_source_left_out_by_dockerignore_is_a_failing_build_not_an_unseen_one(tmp_path):
    (tmp_path / "secret.key").write_bytes(b"k" * 10)
    (tmp_path / ".dockerignore").write_text("secret.key\n")
    a = lint("""
        FROM busybox
        COPY secret.key /k
        RUN rm /k
    """, context=BuildContext(tmp_path))
    assert a.findings == [] and a.notes == []


@pytest.mark.parametrize("text,expected", [
    ("COPY tool /opt/bin/tool\nRUN chmod +x /opt/bin/tool", [("DLL103", 3, "certain")]),   # a file after all
    ("COPY rootfs /\nRUN chmod +x /usr/local/bin/*", [("DLL103", 3, "likely")]),
    ("ADD atomic-* /container/\nRUN chmod +x /container/atomic-*", [("DLL103", 3, "certain")]),
    ("COPY root /\nRUN rm -rf /etc/my.cnf.d/*", []),   # clearing a package's defaults
])
def test_what_a_later_chmod_names_under_an_unseen_copy(text, expected):
    assert found(analyze(f"FROM debian:bookworm\n{text}\n")) == expected


def test_a_package_file_changed_later_is_the_install_layers():
    a = lint("""
        FROM centos:7
        RUN yum install -y owncloud && yum clean all && rm -rf /var/cache/yum
        RUN sed -i 's/a/b/' /etc/owncloud/config.php
        RUN apt-get install -y openssh-server
        RUN sed -i 's/no/yes/' /etc/ssh/sshd_config
        RUN sed -i 's/x/y/' /etc/shadow
    """)
    assert [(r, line) for r, line, _ in found(a) if r == "DLL102"] == [("DLL102", 3), ("DLL102", 5)]
    assert all(f.certainty == "likely" for f in a.findings if f.rule.id == "DLL102")


def _tarball(path: Path, members: dict[str, int]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, size in members.items():
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(b"\0" * size))


def test_an_archive_from_the_context_unpacks_to_exact_members(tmp_path):
    _tarball(tmp_path / "app.tgz", {"app-1.0/bin/run": 3000, "app-1.0/lib/core.so": 7000})
    a = lint("""
        FROM debian:bookworm
        COPY app.tgz /tmp/app.tgz
        RUN tar xzf /tmp/app.tgz -C /opt --strip-components=1 && rm /tmp/app.tgz
        RUN chown -R 1000 /opt
    """, context=BuildContext(tmp_path))
    chown = next(f for f in a.findings if f.rule.id == "DLL102")
    assert chown.wasted.bytes == 10_000 and chown.wasted.confidence is Confidence.EXACT
    assert sorted(chown.paths) == ["/opt/bin/run", "/opt/lib/core.so"]


def test_archive_left_in_the_image_has_a_same_run_fix():
    a = lint("""
        FROM busybox
        RUN wget -O /tmp/a.tgz https://example.org/a.tgz && tar -xzf /tmp/a.tgz -C /opt
    """)
    finding, = a.findings
    assert finding.rule.id == "DLL109" and finding.fix is not None and not finding.fix.safe
    assert finding.fix.replacement.endswith("&& rm -f /tmp/a.tgz")


def test_archive_left_after_a_later_extraction_says_why_no_fix():
    a = analyze("FROM busybox\nRUN wget https://example.org/y.tar.gz\nRUN tar xzf y.tar.gz\n")
    finding, = a.findings
    assert finding.rule.id == "DLL109" and finding.fix is None
    assert "earlier layer" in finding.no_fix_reason


def test_archive_fix_is_withheld_when_a_later_step_reads_the_archive():
    a = analyze("FROM busybox\nRUN wget -O /a.tgz https://e.org/a.tgz && tar xzf /a.tgz -C /opt\n"
                "RUN sha256sum /a.tgz\n")
    assert a.findings[0].fix is None and "reads the archive" in a.findings[0].no_fix_reason


@pytest.mark.parametrize("image,path,holds", [
    ("debian:bookworm", "/opt/app/x", False), ("debian:bookworm", "/etc/passwd", True),
    ("debian:bookworm", "/etc/nginx/nginx.conf", False), ("nginx:1.27", "/etc/nginx/nginx.conf", True),
    ("python:3.12", "/usr/local/lib/python3.12/x.py", True), ("node:20", "/opt/yarn/bin/yarn", True),
    ("alpine:3.19", "/src/main.c", False), ("busybox", "/opt/x", False),
])
def test_base_layouts(image, path, holds):
    assert knowledge().base_layout(image).may_hold(path) is holds


def test_an_unknown_base_may_hold_anything_but_still_has_the_usual_etc():
    layout = knowledge().base_layout("example.com/team/base:1")
    assert layout.may_hold("/opt/x") and layout.may_hold("/app/x")
    assert layout.known_to_hold("/etc/fstab") and not layout.known_to_hold("/etc/nginx/nginx.conf")


def test_an_unseen_copy_into_etc_does_not_claim_the_bases_fstab():
    a = lint("""
        FROM centos:7
        COPY volume-data-list volume-data-mv-list /etc/
        RUN sed -i 's/^UUID=/# UUID=/' /etc/fstab
    """)
    assert a.findings == []


def test_build_tools_and_installs_write_unnamed_files():
    a = lint("""
        FROM debian:bookworm
        WORKDIR /tmp/src
        RUN ./configure && make
        RUN make install
        RUN rm -rf /tmp/src
        RUN rm -rf /usr/local/share/doc
        WORKDIR /app
        RUN npm install
        RUN rm -rf node_modules/.cache
    """)
    assert [(r, line) for r, line, _ in found(a) if r == "DLL101"] == [("DLL101", 5), ("DLL101", 6), ("DLL101", 9)]
    assert "most likely by `make install`" in a.findings[1].message


def test_dpkg_i_of_a_copied_deb_leaves_the_archive():
    a = analyze("FROM debian:bookworm\nCOPY tool.deb /tmp/tool.deb\nRUN dpkg -i /tmp/tool.deb\n")
    assert [f.rule.id for f in a.findings if f.rule.id == "DLL109"] == ["DLL109"]


def test_chown_r_of_a_package_folder_copies_the_package_files_too():
    a = lint("""
        FROM alpine:3.19
        RUN apk --no-cache add privoxy
        COPY privoxy.conf /etc/privoxy/config
        RUN chown -R privoxy /etc/privoxy
    """)
    made = {r.span.start.line for f in a.findings if f.rule.id == "DLL102" for r in f.related}
    assert 2 in made   # the package's own files, beside the copied config (DLL103)
