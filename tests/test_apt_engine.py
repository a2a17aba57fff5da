"""The engine's apt wiring (simulate/effects/apt_layer.py): install layers sized from Debian's
package data, purges that strand them, the databases later apt layers copy up, DLL107's bytes
and DLL110, against the real builds of tests/accuracy_apt (no build: their truth is stored)."""
import importlib.util
import json
import sys
import textwrap
from pathlib import Path

import pytest

from dlayerlint.core.sizes import Confidence
from dlayerlint.fixes import apply_fixes
from dlayerlint.lint import analyze
from dlayerlint.simulate import apt

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "accuracy_apt"


def lint(text: str):
    return analyze(textwrap.dedent(text).lstrip("\n"))


def added(analysis, line: int):
    return next(r.added for r in analysis.layers if r.layer.instruction.line == line)


def findings(analysis, rule: str) -> list:
    return [f for f in analysis.findings if f.rule.id == rule]


def bookworm_closure(names, recommends=False) -> apt.InstallPlan:
    return apt.install(apt.index("bookworm"), names, apt.base_set("debian:bookworm").packages, recommends=recommends)


# ---- accuracy against the recorded real builds ----------------------------------------------

def _bench():
    spec = importlib.util.spec_from_file_location("apt_engine", ROOT / "benchmarks" / "apt_engine.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("apt_engine", bench)
    spec.loader.exec_module(bench)
    return bench


def test_every_apt_layer_and_stranded_total_is_within_25_percent_of_the_real_build():
    bench = _bench()
    truth = json.loads((CASES / "truth.json").read_text())
    table = list(bench.rows(truth))
    assert len({row[0] for row in table}) == len(truth["cases"]) >= 8
    assert sum(row[1].endswith("added") for row in table) >= 12
    for case, what, predicted, real, confidence in table:
        assert bench.within(predicted, real), (case, what, predicted, real)
        # a stranded total is a lower bound when a layer before it is unknown (curl_purge's `curl --version > f`)
        assert confidence == "estimated" or predicted == real == 0 or not what.endswith("added"), (case, what)


# ---- install layers --------------------------------------------------------------------------

def test_install_layer_is_estimated_with_its_source():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get install -y --no-install-recommends curl
    """)
    size = added(a, 2)
    plan = bookworm_closure(["curl"])
    assert size.confidence is Confidence.ESTIMATED
    assert size.bytes == apt.layer_bytes(apt.index("bookworm"), plan, 88 + len(plan.packages))
    assert a.layers[0].estimate.startswith("Debian bookworm Packages Installed-Size; base set from debian:bookworm")


@pytest.mark.parametrize("install", [
    "apt-get install -y --no-install-recommends git",
    "apt-get install -y -o APT::Install-Recommends=false git",
    "apt-get install -y -o APT::Install-Recommends=0 git",
    "apt install -y --no-install-recommends --no-install-suggests git",
])
def test_recommends_off_by_option(install):
    lean = added(lint(f"FROM debian:bookworm\nRUN {install}\n"), 2)
    full = added(lint("FROM debian:bookworm\nRUN apt-get install -y git\n"), 2)
    assert lean.bytes < full.bytes - 10_000_000


def test_recommends_off_by_an_apt_conf_written_earlier():
    a = lint("""
        FROM debian:bookworm
        RUN echo 'APT::Install-Recommends "0";' > /etc/apt/apt.conf.d/99norecommends
        RUN apt-get install -y git
    """)
    lean = added(lint("FROM debian:bookworm\nRUN apt-get install -y --no-install-recommends git\n"), 2)
    assert added(a, 3) == lean
    assert not findings(a, "DLL110")


def test_an_apt_conf_of_unknown_text_makes_the_layer_a_lower_bound_without_dll110():
    a = lint("""
        FROM debian:bookworm
        RUN cat > /etc/apt/apt.conf.d/99norecommends <<EOF
        APT::Install-Recommends "0";
        EOF
        RUN apt-get install -y git
    """)
    lean = added(lint("FROM debian:bookworm\nRUN apt-get install -y --no-install-recommends git\n"), 2)
    assert added(a, 5).bytes == lean.bytes and added(a, 5).confidence is Confidence.UNKNOWN
    assert not findings(a, "DLL110")


def test_an_apt_conf_about_something_else_keeps_recommends_on():
    a = lint("""
        FROM debian:bookworm
        RUN echo 'Acquire::http::Proxy "http://cache:3142";' > /etc/apt/apt.conf.d/01proxy
        RUN apt-get install -y git
    """)
    assert added(a, 3).confidence is Confidence.ESTIMATED and findings(a, "DLL110")


def test_a_later_layer_adds_only_what_is_missing_and_strands_the_databases():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get install -y --no-install-recommends curl
        RUN apt-get install -y --no-install-recommends curl
    """)
    installed = 88 + len(bookworm_closure(["curl"]).packages)
    assert added(a, 3).bytes == apt.database_bytes(installed)
    assert a.layers[0].stranded.bytes == apt.database_bytes(installed)
    [copy_up] = findings(a, "DLL111")
    assert "/var/lib/dpkg/status" in copy_up.paths


def test_a_stage_from_a_stage_continues_its_package_set():
    a = lint("""
        FROM debian:bookworm AS base
        RUN apt-get install -y --no-install-recommends curl
        FROM base
        RUN apt-get install -y --no-install-recommends libcurl4
    """)
    assert added(a, 4).bytes == apt.database_bytes(88 + len(bookworm_closure(["curl"]).packages))


def test_official_image_bases_hold_their_packages():
    slim = added(lint("FROM python:3.12-slim-bookworm\nRUN apt-get install -y --no-install-recommends ca-certificates\n"), 2)
    bare = added(lint("FROM debian:bookworm\nRUN apt-get install -y --no-install-recommends ca-certificates\n"), 2)
    assert slim.bytes < bare.bytes


def test_ubuntu_says_its_sizes_are_debians():
    a = lint("FROM ubuntu:24.04\nRUN apt-get install -y --no-install-recommends curl\n")
    assert added(a, 2).confidence is Confidence.ESTIMATED
    assert "estimated from Debian trixie sizes" in a.layers[0].estimate


@pytest.mark.parametrize("text", [
    "FROM alpine:3.20\nRUN apt-get install -y curl\n",
    "FROM fedora:40\nRUN apt-get install -y curl\n",
    "FROM someone/image:1\nRUN apt-get install -y curl\n",
    "FROM debian:bookworm\nCOPY x.deb /x.deb\nRUN dpkg -i /x.deb\n",
    "FROM debian:bookworm\nRUN apt-get install -y ./x.deb\n",
    "FROM debian:bookworm\nRUN apt-get install -y no-such-package-anywhere\n",
])
def test_no_data_stays_unknown(text):
    a = analyze(text)
    assert a.layers[-1].added.confidence is Confidence.UNKNOWN
    assert not findings(a, "DLL110")


def test_an_unknown_package_list_is_a_lower_bound():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get install -y --no-install-recommends curl $EXTRA
    """)
    size = added(a, 2)
    assert size.confidence is Confidence.UNKNOWN and size.bytes > 4_000_000


# ---- purges ----------------------------------------------------------------------------------

def test_install_and_purge_in_one_run_strand_nothing():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get install -y --no-install-recommends gcc && apt-get purge -y --auto-remove gcc
    """)
    assert a.stranded.bytes == 0 and not a.findings
    assert added(a, 2).bytes == apt.database_bytes(88)


def test_purge_strands_the_packages_and_dll107_says_the_bytes():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get install -y --no-install-recommends gcc libc6-dev
        RUN apt-get purge -y --auto-remove gcc libc6-dev
    """)
    [f] = findings(a, "DLL107")
    plan = bookworm_closure(["gcc", "libc6-dev"])
    expected = sum(apt.package_bytes(apt.index("bookworm"), p) for p in plan.packages)
    assert f.wasted.bytes == expected and f.wasted.confidence is Confidence.ESTIMATED
    assert f"and the {len(plan.packages) - 2} packages apt removes with them" in f.message
    assert "in one RUN, or build in a separate stage" in f.message
    assert f.fix is not None and f.fix.start_line == 2 and f.fix.end_line == 3


def test_purge_without_auto_remove_keeps_the_dependencies():
    text = "FROM debian:bookworm\nRUN apt-get install -y --no-install-recommends curl\nRUN apt-get purge -y {}curl\n"
    alone = findings(analyze(text.format("")), "DLL107")[0].wasted.bytes
    auto = findings(analyze(text.format("--auto-remove ")), "DLL107")[0].wasted.bytes
    assert alone == apt.package_bytes(apt.index("bookworm"), "curl") < auto


def test_autoremove_alone_is_reported_with_the_packages_it_removes():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get install -y --no-install-recommends wget
        RUN apt-get purge -y wget && apt-get autoremove -y
    """)
    purge, autoremove = findings(a, "DLL107")
    assert purge.message.startswith("`apt-get purge -y wget` purges wget,")
    assert autoremove.message.startswith("`apt-get autoremove -y` purges lib") and autoremove.wasted.bytes > 0


def test_a_recursive_chown_copies_package_files_up_and_is_no_purge():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get install -y --no-install-recommends curl
        RUN chown -R nobody /usr
    """)
    assert not findings(a, "DLL107")
    assert a.layers[0].stranded.bytes > 4_000_000   # DLL102's: the copy-up of curl's files


def test_purge_on_a_base_without_data_stays_unknown():
    a = lint("""
        FROM alpine:3.20
        RUN apk add --no-cache gcc
        RUN apk del gcc
    """)
    [f] = findings(a, "DLL107")
    assert f.wasted.confidence is Confidence.UNKNOWN and "bytes of unknown size" in f.message


# ---- DLL110 ----------------------------------------------------------------------------------

def test_recommends_cost_is_reported_with_counts_and_bytes():
    a = lint("""
        FROM debian:bookworm
        RUN apt-get update && apt-get install -y git && rm -rf /var/lib/apt/lists/*
    """)
    [f] = findings(a, "DLL110")
    extra = set(bookworm_closure(["git"], recommends=True).packages) - set(bookworm_closure(["git"]).packages)
    assert f"git: {len(extra)} recommended packages, ~" in f.message
    assert f.wasted.bytes == sum(apt.package_bytes(apt.index("bookworm"), p) for p in extra)
    assert f.severity == "info" and f.size_source.startswith("Debian bookworm Packages") and not f.related


def test_recommends_fix_inserts_the_option_and_is_unsafe():
    text = "FROM debian:bookworm\nRUN apt-get update \\\n    && apt-get install -y git curl\n"
    [f] = findings(analyze(text), "DLL110")
    assert not f.fix.safe and "unsafe" in f.fix.description
    assert "; curl: " in f.message and " in all)" in f.message
    fixed = apply_fixes(text, [f.fix])
    assert fixed.endswith("    && apt-get install --no-install-recommends -y git curl\n")
    assert not findings(analyze(fixed), "DLL110")


def test_nothing_recommended_nothing_reported():
    assert not findings(analyze("FROM debian:bookworm\nRUN apt-get install -y libc6\n"), "DLL110")
