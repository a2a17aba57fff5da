"""The laid-out package index (simulate/apt.py) and the cached_buffer copy it lives in."""
import importlib.util
import json
import lzma
import os
from pathlib import Path

import pytest

from dlayerlint.core import datafiles
from dlayerlint.simulate import apt

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(name="cache")
def user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def counting(build):
    calls = []

    def counted(raw):
        calls.append(raw)
        return build(raw)
    return counted, calls


def test_cached_buffer_builds_once_then_maps_the_copy(tmp_path, cache):
    shipped = tmp_path / "data.json.xz"
    shipped.write_bytes(b"abc")
    build, calls = counting(lambda raw: raw * 2)
    assert bytes(datafiles.cached_buffer(shipped, build, "test")) == b"abcabc"
    assert bytes(datafiles.cached_buffer(shipped, build, "test")) == b"abcabc"
    assert len(calls) == 1 and len(list(cache.rglob("data.json-*.test.marshal"))) == 1


@pytest.mark.usefixtures("cache")
def test_cached_buffer_rebuilds_when_the_shipped_file_changes(tmp_path):
    shipped = tmp_path / "data.json.xz"
    shipped.write_bytes(b"one")
    build, calls = counting(bytes.upper)
    datafiles.cached_buffer(shipped, build, "test")
    shipped.write_bytes(b"two")
    os.utime(shipped, ns=(1, 1))
    assert bytes(datafiles.cached_buffer(shipped, build, "test")) == b"TWO" and len(calls) == 2


@pytest.mark.parametrize("copy", [b"", b"short", b"\x00" * 40])
def test_cached_buffer_rebuilds_an_empty_or_foreign_copy(tmp_path, cache, copy):
    shipped = tmp_path / "data.json.xz"
    shipped.write_bytes(b"abc")
    build, calls = counting(bytes.upper)
    datafiles.cached_buffer(shipped, build, "test")
    (path,) = cache.rglob("*.test.marshal")
    path.write_bytes(copy)
    assert bytes(datafiles.cached_buffer(shipped, build, "test")) == b"ABC" and len(calls) == 2


def test_cached_buffer_without_a_writable_cache_still_answers(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    shipped = tmp_path / "data.json.xz"
    shipped.write_bytes(b"abc")
    assert bytes(datafiles.cached_buffer(shipped, bytes.upper, "test")) == b"ABC"


# ---- the layout, from a shipped file made by the build script --------------------------------

def build_script():
    spec = importlib.util.spec_from_file_location("build_apt_data", ROOT / "tools" / "build_apt_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(name="small", scope="module")
def small_index():
    """Packages as build_apt_data.read_packages returns them: size, priority, essential,
    pre-depends, depends, recommends (Provides already taken out into their own table)."""
    script = build_script()
    packages = {"app": [100, "optional", 0, "", "libfoo,mta|exim4", "extras"],
                "exim4": [5, "standard", 0, "", "", ""],
                "libfoo": [None, "required", 1, "libc6", "", ""],
                "postfix": [7, "extra", 0, "", "", ""]}
    data = {"format": 1, "release": "test", "built": "today", "indices": {}, "contents": [], "versions": "",
            "priority_codes": {"r": "required", "s": "standard", "o": "optional", "e": "extra"}}
    data |= script.encode(packages, {"mta": ["exim4", "postfix"]}, {"etc/app.conf": "app,postfix"})
    shipped = lzma.compress(json.dumps(data).encode())
    buckets = apt._Buckets(memoryview(apt._laid_out(shipped)))   # pylint: disable=protected-access
    return apt.index_of("test", buckets), buckets


def test_layout_decodes_packages_as_shipped(small):
    index, _ = small
    assert index.get("app") == apt.Package("app", 100, "optional", False, (), (("libfoo",), ("mta", "exim4")),
                                           (("extras",),))
    assert index.get("libfoo") == apt.Package("libfoo", None, "required", True, (("libc6",),), (), ())
    assert index.get("libc6") is None and index.get("mta") is None


def test_layout_tables_are_mappings(small):
    index, _ = small
    assert len(index.packages) == 4 and sorted(index.packages) == ["app", "exim4", "libfoo", "postfix"]
    assert "app" in index.packages and "mta" not in index.packages and 3 not in index.packages
    with pytest.raises(KeyError):
        index.packages["mta"]   # pylint: disable=pointless-statement
    assert dict(index.provided_by) == {"mta": ("exim4", "postfix")}
    assert dict(index.owners) == {"etc/app.conf": ("app", "postfix")}
    assert index.info["release"] == "test"


def test_layout_closure(small):
    index, _ = small
    plan = apt.install(index, ["app"], set(), recommends=False)
    assert plan.packages == ("app", "libfoo", "exim4") and plan.unresolved == ("libc6",)
    assert plan.unsized == ("libfoo",) and apt.owner(index, "/etc/app.conf") == "app"


@pytest.mark.usefixtures("cache")
def test_a_small_install_reads_few_buckets():
    """The point of the layout: curl's closure on bookworm unmarshals a few dozen of ~16,000 buckets."""
    shipped = apt._data_path("bookworm.json.xz")   # pylint: disable=protected-access
    buckets = apt._Buckets(datafiles.cached_buffer(shipped, apt._laid_out, "test"))   # pylint: disable=protected-access
    index = apt.index_of("bookworm", buckets)
    plan = apt.install(index, ["curl", "ca-certificates"], apt.base_set("debian:bookworm").packages, recommends=False)
    assert "libcurl4" in plan.packages
    assert buckets.read < 100 < 10_000 < buckets.count
