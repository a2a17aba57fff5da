"""The apt closure of dlayerlint.simulate.apt, on hand-made package sets and on the shipped data."""
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dlayerlint.simulate import apt
from dlayerlint.simulate.apt import Package, PackageIndex

ROOT = Path(__file__).resolve().parent.parent


def deps(text):
    """``"a | b, c"`` -> ``(("a", "b"), ("c",))``."""
    return tuple(tuple(a.strip() for a in g.split("|")) for g in text.split(",") if g.strip())


def pkg(name, kib=1, depends="", pre="", recommends="", **kw):
    return Package(name, kib, depends=deps(depends), pre_depends=deps(pre), recommends=deps(recommends), **kw)


def make(*packages, provides=None, owners=None):
    return PackageIndex("test", {p.name: p for p in packages}, provides or {}, owners or {})


BASE = make(
    pkg("libc6", 10, essential=True, priority="required"),
    pkg("app", 100, depends="libfoo, helper | helper-alt", recommends="extras"),
    pkg("libfoo", 20, depends="libc6"),
    pkg("helper", 5),
    pkg("helper-alt", 6),
    pkg("extras", 50, depends="libbar"),
    pkg("libbar", 7),
)


def test_depends_and_first_alternative():
    plan = apt.install(BASE, ["app"], {"libc6"}, recommends=False)
    assert plan.packages == ("app", "libfoo", "helper")
    assert plan.installed_bytes == (100 + 20 + 5) * 1024
    assert plan.manual == ("app",) and plan.auto == ("libfoo", "helper")


def test_installed_alternative_satisfies_the_group():
    plan = apt.install(BASE, ["app"], {"libc6", "helper-alt"}, recommends=False)
    assert "helper" not in plan.packages and "helper-alt" not in plan.packages


def test_already_installed_adds_nothing():
    plan = apt.install(BASE, ["app"], {"libc6", "app", "libfoo", "helper"}, recommends=True)
    assert plan.packages == () and plan.installed_bytes == 0 and plan.manual == ("app",)


def test_recommends_on_and_off():
    off = apt.install(BASE, ["app"], {"libc6"}, recommends=False)
    on = apt.install(BASE, ["app"], {"libc6"}, recommends=True)
    assert set(on.packages) - set(off.packages) == {"extras", "libbar"}


def test_recommends_of_installed_packages_are_not_followed():
    plan = apt.install(BASE, ["helper"], {"libc6", "app", "libfoo"}, recommends=True)
    assert plan.packages == ("helper",)


def test_pre_depends_are_installed():
    index = make(pkg("tool", pre="init-lib"), pkg("init-lib", 3))
    assert apt.install(index, ["tool"], set(), recommends=False).packages == ("tool", "init-lib")


def test_cycle_terminates():
    index = make(pkg("a", depends="b"), pkg("b", depends="c"), pkg("c", depends="a"))
    assert apt.install(index, ["a"], set(), recommends=False).packages == ("a", "b", "c")


def test_virtual_package_through_provides():
    index = make(pkg("mailer", depends="mail-transport-agent"), pkg("exim4", 40, priority="standard"),
                 pkg("postfix", 30, priority="optional"),
                 provides={"mail-transport-agent": ["postfix", "exim4"]})
    assert apt.install(index, ["mailer"], set(), recommends=False).packages == ("mailer", "exim4")
    assert apt.install(index, ["mailer"], {"postfix"}, recommends=False).packages == ("mailer",)


def test_virtual_name_requested_installs_a_provider():
    index = make(pkg("mawk", 2), provides={"awk": ["mawk"]})
    plan = apt.install(index, ["awk"], set(), recommends=False)
    assert plan.packages == ("mawk",) and plan.manual == ("mawk",)


def test_earlier_choice_satisfies_a_later_alternative():
    index = make(pkg("top", depends="left, b | a"), pkg("left", depends="a"), pkg("a"), pkg("b"))
    assert apt.install(index, ["top"], set(), recommends=False).packages == ("top", "left", "a")


def test_unknown_and_unresolvable():
    index = make(pkg("broken", depends="missing-lib", recommends="missing-extra"))
    plan = apt.install(index, ["nosuch", "broken"], set(), recommends=True)
    assert plan.unknown == ("nosuch",)
    assert plan.unresolved == ("missing-lib",)   # a missing Recommends is skipped, as apt does
    assert plan.packages == ("broken",)


def test_unsized_package_is_listed_not_guessed():
    index = make(pkg("nosize", kib=None))
    plan = apt.install(index, ["nosize"], set(), recommends=False)
    assert plan.installed_bytes == 0 and plan.unsized == ("nosize",)


def installed_app(recommends):
    plan = apt.install(BASE, ["app"], {"libc6"}, recommends=recommends)
    return {"libc6", *plan.packages}, set(plan.auto)


def test_purge_with_auto_remove_takes_the_auto_dependencies():
    installed, auto = installed_app(recommends=True)
    plan = apt.remove(BASE, installed, auto, ["app"], autoremove=True)
    assert set(plan.packages) == {"app", "libfoo", "helper", "extras", "libbar"}
    assert plan.installed_bytes == (100 + 20 + 5 + 50 + 7) * 1024


def test_purge_without_auto_remove_takes_only_the_package():
    installed, auto = installed_app(recommends=False)
    assert apt.remove(BASE, installed, auto, ["app"], autoremove=False).packages == ("app",)


def test_autoremove_keeps_what_manual_packages_need_and_recommend():
    installed, auto = installed_app(recommends=True)
    plan = apt.remove(BASE, installed, auto, [], autoremove=True)
    assert plan.packages == ()
    # a manual package that only recommends extras still keeps it (RecommendsImportant)
    index = make(*BASE.packages.values(), pkg("keeper", recommends="extras"))
    plan = apt.remove(index, installed | {"keeper"}, auto, ["app"], autoremove=True)
    assert set(plan.packages) == {"app", "libfoo", "helper"}


def test_autoremove_keeps_essential_and_manual():
    index = make(pkg("libc6", essential=True), pkg("orphan"), pkg("mine"))
    plan = apt.remove(index, {"libc6", "orphan", "mine"}, {"libc6", "orphan"}, [], autoremove=True)
    assert plan.packages == ("orphan",)


def test_removing_a_dependency_removes_its_dependents():
    installed, auto = installed_app(recommends=False)
    plan = apt.remove(BASE, installed, auto, ["libfoo"], autoremove=False)
    assert plan.packages == ("libfoo", "app")


def test_removing_one_alternative_keeps_packages_the_other_satisfies():
    index = make(pkg("app", depends="helper | helper-alt"), pkg("helper"), pkg("helper-alt"))
    plan = apt.remove(index, {"app", "helper", "helper-alt"}, set(), ["helper"], autoremove=False)
    assert plan.packages == ("helper",)


def test_purge_of_a_package_not_installed():
    plan = apt.remove(BASE, {"libc6"}, set(), ["app"], autoremove=True)
    assert plan.packages == () and plan.not_installed == ("app",)


def test_owner():
    index = make(pkg("sudo"), owners={"etc/sudoers": ["sudo"], "etc/shared.conf": ["one", "two"]})
    assert apt.owner(index, "/etc/sudoers") == "sudo"
    assert apt.owner(index, "/etc//./sudoers") == "sudo"
    assert apt.owner(index, "/etc/shared.conf") == "one"
    assert apt.owner(index, "/etc/nothing") is None


# ---- lazy loading ---------------------------------------------------------------------------

OPENS = """
import sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
{body}
# the shipped file, or its marshal copy in the user's cache (bookworm.json-1a2b3c4d.marshal)
hits = [p for p in opened if "data/apt" in p.replace("\\\\", "/") or ".json-" in p and p.endswith(".marshal")]
print(hits)
sys.exit(1 if hits else 0)
"""


def run_watching_opens(body):
    code = OPENS.format(body=textwrap.dedent(body))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)


def test_importing_the_module_does_not_read_data():
    result = run_watching_opens("import dlayerlint.simulate.apt")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_of_a_file_without_apt_does_not_read_data(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM busybox\nRUN echo hi > /x && rm /x\n")
    result = run_watching_opens(f"""
        import runpy
        sys.argv = ["dlayerlint", "check", "--layers", {str(dockerfile)!r}]
        try:
            runpy.run_module("dlayerlint", run_name="__main__")
        except SystemExit as stop:
            assert stop.code in (0, 1), stop.code
        """)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_watcher_sees_a_load():
    result = run_watching_opens("from dlayerlint.simulate import apt; apt.index('bullseye')")
    assert result.returncode == 1


# ---- shipped data ---------------------------------------------------------------------------

@pytest.fixture(scope="module", name="bookworm")
def bookworm_index():
    return apt.index("bookworm")


def test_shipped_data_is_versioned(bookworm):
    assert bookworm.info["format"] == 1 and bookworm.info["release"] == "bookworm"
    assert bookworm.info["indices"] and len(bookworm.packages) > 50_000
    assert bookworm.get("libc6").essential is False and bookworm.get("dpkg").essential is True


def test_curl_closure_from_minbase_is_plausible(bookworm):
    base = apt.base_set("debian:bookworm")
    assert base.release == "bookworm" and {"dpkg", "libc6", "bash"} <= base.packages
    plan = apt.install(bookworm, ["curl"], base.packages, recommends=False)
    assert plan.packages[0] == "curl" and {"libcurl4", "libssl3"} <= set(plan.packages)
    assert not set(plan.packages) & base.packages and not plan.unknown and not plan.unresolved
    assert 4 * 2**20 < plan.installed_bytes < 40 * 2**20
    with_recommends = apt.install(bookworm, ["curl"], base.packages, recommends=True)
    assert with_recommends.installed_bytes > plan.installed_bytes


def test_gcc_purge_autoremove_removes_what_the_install_added(bookworm):
    base = apt.base_set("debian:bookworm")
    plan = apt.install(bookworm, ["gcc", "libc6-dev"], base.packages, recommends=False)
    removed = apt.remove(bookworm, base.packages | set(plan.packages), set(plan.auto), ["gcc", "libc6-dev"],
                         autoremove=True)
    assert set(removed.packages) == set(plan.packages)


def test_owner_from_contents(bookworm):
    assert apt.owner(bookworm, "/etc/sudoers") == "sudo"


def test_index_is_cached():
    assert apt.index("bookworm") is apt.index("bookworm")
    with pytest.raises(KeyError):
        apt.index("sid")


@pytest.mark.parametrize("ref, release", [
    ("debian:bookworm-slim", "bookworm"), ("debian:12", "bookworm"), ("docker.io/library/debian:trixie", "trixie"),
    ("debian:bullseye-20240101-slim", "bullseye"), ("debian", "trixie"),
    ("python:3.12-slim-bookworm", "bookworm"), ("node:22-bookworm-slim", "bookworm"),
    ("ubuntu:24.04", "trixie"), ("eclipse-temurin:21-jdk-jammy", "bookworm"),
])
def test_base_sets(ref, release):
    base = apt.base_set(ref)
    assert base is not None and base.release == release and "dpkg" in base.packages and base.note


def test_ubuntu_is_marked_estimated():
    assert "estimated from Debian trixie" in apt.base_set("ubuntu:noble").note


def test_official_image_adds_its_installs():
    slim = apt.base_set("python:3.12-slim-bookworm")
    assert {"ca-certificates", "tzdata", "netbase"} <= slim.packages
    assert "ca-certificates" not in slim.auto_installed and "openssl" in slim.auto_installed
    full = apt.base_set("python:3.12-bookworm")
    assert {"git", "gcc", "curl", "libssl-dev"} <= full.packages


@pytest.mark.parametrize("ref", ["alpine:3.20", "fedora:40", "scratch", "debian:sid", "someone/python:3.12"])
def test_bases_without_data_are_unknown(ref):
    assert apt.base_set(ref) is None


def test_layer_bytes_adds_dpkg_records_bytecode_and_databases():
    index = make(pkg("python3-x", 100), pkg("tool", 10))
    plan = apt.install(index, ["python3-x", "tool"], set(), recommends=False)
    expected = (110 * 1024 + 2 * apt.INFO_BYTES_PER_PACKAGE + round(apt.PYC_PER_PYTHON_BYTE * 100 * 1024)
                + apt.database_bytes(90))
    assert apt.layer_bytes(index, plan, 90) == expected
    assert apt.database_bytes(0) == 0


def test_trixie_without_contents_says_so():
    trixie = apt.index("trixie")
    contents = trixie.info["contents"]
    assert isinstance(contents, list) or contents.startswith("unavailable")
    assert isinstance(contents, list) or apt.owner(trixie, "/etc/sudoers") is None


def test_image_entries_name_their_source():
    for ref in ("python:3.12-slim-bookworm", "nginx:1.27", "eclipse-temurin:21-jre"):
        assert "shared/corpus/" in apt.base_set(ref).note


def test_benchmark_cases_are_within_target():
    """benchmarks/apt_accuracy.py against the recorded real builds (no build here)."""
    spec = importlib.util.spec_from_file_location("apt_accuracy", ROOT / "benchmarks" / "apt_accuracy.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("apt_accuracy", bench)   # its dataclass looks its module up there
    spec.loader.exec_module(bench)
    truth = json.loads((ROOT / "tests" / "accuracy_apt" / "truth.json").read_text())
    assert len(truth["cases"]) >= 8
    for case, what, _, predicted, real in bench.rows(truth):
        assert abs(predicted - real) <= bench.TARGET * real, (case, what, predicted, real)
