"""Every real Dockerfile of ../shared/corpus lints without an exception, and
the official images (well optimised) get no cross-layer finding we have not
reviewed as real."""
import csv
from pathlib import Path

import pytest

from dlayerlint.lint import analyze
from dlayerlint.app.inputs import UsageError, read_dockerfile as _read

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(),
                                reason=f"no corpus at {CORPUS} (it ships beside the project only in this workplace)")

# Reviewed by hand: each is a real cross-layer finding in an official image.
REVIEWED_OFFICIAL = {
    # COPY fix-permissions, then RUN chmod a+rx on it: the file is copied up again
    ("jupyter__docker-stacks/images__docker-stacks-foundation__Dockerfile", 69, "DLL103"),
    # `apt-get install … sudo …` on line 37 makes /etc/sudoers (ubuntu's image has no sudo); the
    # RUN of line 85 `sed -i.bak`s it: a copy-up of the file, and the .bak beside it
    ("jupyter__docker-stacks/images__docker-stacks-foundation__Dockerfile", 86, "DLL102"),
    # php's apache variants `apt-get install apache2` (line 34), then a later RUN `sed -ri`s
    # /etc/apache2/envvars (Debian ships it in apache2): the file is copied up again
    ("docker-library__php/8.2__bookworm__apache__Dockerfile", 65, "DLL102"),
    ("docker-library__php/8.2__trixie__apache__Dockerfile", 65, "DLL102"),
    ("docker-library__php/8.3__bookworm__apache__Dockerfile", 65, "DLL102"),
    ("docker-library__php/8.3__trixie__apache__Dockerfile", 65, "DLL102"),
    ("docker-library__php/8.4__bookworm__apache__Dockerfile", 65, "DLL102"),
    ("docker-library__php/8.4__trixie__apache__Dockerfile", 65, "DLL102"),
    ("docker-library__php/8.5__bookworm__apache__Dockerfile", 65, "DLL102"),
    ("docker-library__php/8.5__trixie__apache__Dockerfile", 65, "DLL102"),
    ("docker-library__php/8.6-rc__bookworm__apache__Dockerfile", 65, "DLL102"),
    ("docker-library__php/8.6-rc__trixie__apache__Dockerfile", 65, "DLL102"),
    # postgres on alpine is built from source and `make install`ed into /usr/local in one RUN; a
    # later RUN's `sed -ri ... /usr/local/share/postgresql/postgresql.conf.sample` copies that
    # file up again (certainty likely: no command names it, the install wrote it)
    ("docker-library__postgres/14__alpine3.22__Dockerfile", 188, "DLL102"),
    ("docker-library__postgres/14__alpine3.23__Dockerfile", 188, "DLL102"),
    ("docker-library__postgres/15__alpine3.22__Dockerfile", 191, "DLL102"),
    ("docker-library__postgres/15__alpine3.23__Dockerfile", 191, "DLL102"),
    ("docker-library__postgres/16__alpine3.22__Dockerfile", 190, "DLL102"),
    ("docker-library__postgres/16__alpine3.23__Dockerfile", 190, "DLL102"),
    ("docker-library__postgres/17__alpine3.22__Dockerfile", 188, "DLL102"),
    ("docker-library__postgres/17__alpine3.23__Dockerfile", 188, "DLL102"),
    ("docker-library__postgres/18__alpine3.22__Dockerfile", 196, "DLL102"),
    ("docker-library__postgres/18__alpine3.23__Dockerfile", 196, "DLL102"),
}


# Reviewed as a class (DLL111): each apt layer after the first copies up the dpkg and debconf
# databases (~1 MB, measured on real builds in tests/accuracy_apt), as every multi-RUN apt image does.


def reviewed_class(finding) -> bool:
    # not cross-layer waste of a named file: single-layer rules, and DLL111 (package databases)
    return finding.rule.id in ("DLL105", "DLL110", "DLL111")


def corpus_rows() -> list[dict[str, str]]:
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


def test_every_corpus_file_lints_without_an_exception():
    linted = unreadable = 0
    for row in corpus_rows():
        try:
            text = _read(CORPUS / row["local_file"])
        except UsageError:
            unreadable += 1
            continue
        analysis = analyze(text)
        linted += 1
        for finding in analysis.findings:
            assert 1 <= finding.span.start.line <= len(analysis.dockerfile.lines), row["local_file"]
    assert linted > 3500
    assert unreadable < 50


def test_official_images_have_only_reviewed_cross_layer_findings():
    found = set()
    for row in corpus_rows():
        if row["category"] != "official":
            continue
        try:
            text = _read(CORPUS / row["local_file"])
        except UsageError:
            continue
        found |= {(row["local_file"], f.span.start.line, f.rule.id)
                  for f in analyze(text).findings if not reviewed_class(f)}
    assert found == REVIEWED_OFFICIAL
