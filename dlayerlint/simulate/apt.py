"""What `apt-get install` adds to a layer and what a later purge takes away, before any build.

The figures come from Debian's own indices (``Packages`` and ``Contents``), shipped in
``dlayerlint/data/apt/`` by ``tools/build_apt_data.py``.  The data is read on the first call
that needs it, never on import, so a Dockerfile without apt costs nothing; and a file that
installs a few packages reads only those, their dependency closure and the names it checks.

How: the wheel ships each release compact (xz JSON with names as ids, ~0.9 MB); the first run
lays it out once in the user's cache (``_laid_out``: ~0.8 s on a loaded 2-core machine, against
~0.3 s for the whole-index copy it replaces) as ~16,000 small marshal buckets by crc32 of the
key, behind a table of offsets.  A run maps that file and unmarshals the buckets its lookups
land in: ~1 ms all told for ``curl`` on bookworm, ~11 ms for the four installs that make the
429 packages of ``python:3.12-bookworm``, where unmarshalling the whole index and building its
tables took ~69 ms however few packages were asked for.  Why not ship the layout: with the names written out it
is ~9 MB a release, ~3 MB deflated in the wheel, three times the xz.  Why not sqlite3: its
import alone costs ~3 ms of CPU, more than the reads of a typical closure, before any query.

The closure follows apt's resolver where it matters for bytes: Pre-Depends and Depends always,
Recommends when they are on, the first satisfiable alternative of ``a | b`` unless another is
installed already, virtual names through Provides.  Version constraints, Conflicts and Breaks
are ignored: within one Debian release the candidate of each name is the only version there
is, so they rarely change which packages come in.  Sizes are Installed-Size, which Debian
rounds up to KiB per package: an estimate of the bytes the layer's files take.
"""
from __future__ import annotations

import binascii
import fnmatch
import functools
import itertools
import json
import marshal
import posixpath
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, TypeVar

from ..core.datafiles import cached, cached_buffer

Group = tuple[str, ...]
"""One dependency: its alternatives, ``a | b`` as ``("a", "b")``."""

RELEASES = ("bookworm", "trixie", "bullseye")
STABLE = "trixie"
"""Debian's stable release when the data was built: what ``debian:latest`` and tags naming no
release (``python:3.12-slim``) are taken to be; docker-library moved its defaults in 2025."""
_DEBIAN_TAGS = {"stable": "trixie", "latest": "trixie", "13": "trixie", "oldstable": "bookworm",
                "12": "bookworm", "oldoldstable": "bullseye", "11": "bullseye"}
_PRIORITY_RANK = {"required": 0, "important": 1, "standard": 2, "optional": 3, "extra": 4}
_RELATIONS = ("pre_depends", "depends", "recommends")

# What an apt layer writes besides the packages' own files, measured on real debian:bookworm
# builds (tests/accuracy_apt/README.md); Installed-Size counts none of it.
DATABASE_BYTES_PER_PACKAGE = 9_560
"""The dpkg status, debconf and log files an apt run rewrites, per package installed after it:
1,028,978 B for 110 packages and 1,014,819 B for 104.  Each later apt layer copies them up
again, so the earlier layer strands its copy."""
INFO_BYTES_PER_PACKAGE = 21_000
"""/var/lib/dpkg/info/<package>.* (file lists, md5sums, maintainer scripts) per new package:
23.9 KB each for python3's 22 packages, 18.3 KB for git's 38."""
PYC_PER_PYTHON_BYTE = 0.54
"""Byte-code that py3compile writes at install, per Installed-Size byte of the python3* and
libpython3* packages: 11,641,257 B of .pyc for python3's 21,687,296 B."""


# The records are NamedTuples, not dataclasses: a frozen dataclass costs ~1.3 ms of import each.

class Package(NamedTuple):
    name: str
    installed_size_kib: int | None
    priority: str = "optional"
    essential: bool = False
    pre_depends: tuple[Group, ...] = ()
    depends: tuple[Group, ...] = ()
    recommends: tuple[Group, ...] = ()

    def needs(self, *, recommends: bool) -> tuple[Group, ...]:
        """The dependencies apt installs (or keeps) this package for, in apt's order."""
        return self.pre_depends + self.depends + (self.recommends if recommends else ())


class PackageIndex:
    """One release's packages, with the Provides table (virtual name -> real packages) and the
    owners of package paths (path without its leading "/" -> packages).  The mappings are used
    as they are, not copied: the shipped ones decode an entry when it is first asked for."""

    def __init__(self, release: str, packages: Mapping[str, Package],
                 provides: Mapping[str, Sequence[str]] | None = None,
                 owners: Mapping[str, Sequence[str]] | None = None,
                 info: Mapping[str, object] | None = None) -> None:
        self.release = release
        self.packages = packages
        self.provided_by = {} if provides is None else provides
        self.owners = {} if owners is None else owners
        self.info = dict(info or {})
        self._candidates: dict[str, tuple[str, ...]] = {}   # a closure asks for the same names again and again

    def get(self, name: str) -> Package | None:
        return self.packages.get(name)

    def candidates(self, name: str) -> tuple[str, ...]:
        """Real packages that satisfy ``name``: itself when it is real, else its providers in the
        order apt prefers them (Essential first, then by Priority, then by name)."""
        found = self._candidates.get(name)
        if found is None:
            real = (name,) if name in self.packages else ()
            providers = sorted((p for p in self.provided_by.get(name, ()) if p in self.packages and p != name),
                               key=self._preference)
            found = self._candidates[name] = real + tuple(providers)
        return found

    def _preference(self, name: str) -> tuple[bool, int, str]:
        pkg = self.packages[name]
        return (not pkg.essential, _PRIORITY_RANK.get(pkg.priority, 5), name)


class InstallPlan(NamedTuple):
    """What one ``apt-get install`` adds: new packages in the order apt marks them."""
    packages: tuple[str, ...]
    manual: tuple[str, ...]
    installed_bytes: int
    unknown: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()
    unsized: tuple[str, ...] = ()

    @property
    def auto(self) -> tuple[str, ...]:
        """The packages apt marks as automatically installed (what autoremove may take later)."""
        return tuple(p for p in self.packages if p not in self.manual)


class RemovePlan(NamedTuple):
    """What one ``apt-get purge``/``remove``/``autoremove`` takes out of the filesystem."""
    packages: tuple[str, ...]
    installed_bytes: int
    not_installed: tuple[str, ...] = ()


class BaseSet(NamedTuple):
    """The packages a base image already holds, so an install adds only what is missing."""
    image: str
    release: str
    packages: frozenset[str]
    auto_installed: frozenset[str]
    note: str


# ---- loading the shipped data ---------------------------------------------------------------

def _data_path(name: str) -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "apt" / name


_LAYOUT = "buckets1"
"""Names the laid-out copy in the user's cache: a new layout needs a new name."""
_BUCKETS = 16_384
"""~6 keys a bucket (~4 µs to unmarshal): a closure of a few hundred packages reads a few hundred
of them, a whole corpus all of them, which costs what unmarshalling one big index did."""
_PACKAGES, _PROVIDERS, _OWNERS = range(3)
"""The tables of each bucket, in this order: {name: package record}, {virtual name: providers},
{path: owners}; a name's record and its providers share a bucket."""
_INFO = ("format", "release", "built", "indices", "contents", "versions")
"""The shipped file's provenance, kept as PackageIndex.info."""
_U32 = struct.Struct("<I")
_SPAN = struct.Struct("<II")
_UNREAD = object()

Entry = TypeVar("Entry")


def _bucket_of(key: str, count: int) -> int:
    return binascii.crc32(key.encode("utf-8", "surrogatepass")) % count


class _Buckets:
    """The laid-out index (see _laid_out), read one bucket at a time from the mapped copy."""

    def __init__(self, buffer: memoryview) -> None:
        (meta_size,) = _U32.unpack_from(buffer)
        self.meta = marshal.loads(buffer[_U32.size:_U32.size + meta_size])
        self._buffer = buffer
        self._count: int = self.meta["buckets"]
        self._offsets = _U32.size + meta_size
        self._blobs = self._offsets + _U32.size * (self._count + 1)
        self._read: dict[int, tuple[dict, dict, dict]] = {}

    @property
    def count(self) -> int:
        return self._count

    @property
    def read(self) -> int:
        """How many buckets were unmarshalled so far: what a lookup pattern costs."""
        return len(self._read)

    def entry(self, table: int, key: str) -> object | None:
        return self._bucket(_bucket_of(key, self._count))[table].get(key)

    def keys(self, table: int) -> Iterator[str]:
        for number in range(self._count):
            yield from self._bucket(number)[table]

    def _bucket(self, number: int) -> tuple[dict, dict, dict]:
        bucket = self._read.get(number)
        if bucket is None:
            start, end = _SPAN.unpack_from(self._buffer, self._offsets + _U32.size * number)
            bucket = self._read[number] = marshal.loads(self._buffer[self._blobs + start:self._blobs + end])
        return bucket


class _Table(Mapping[str, Entry]):
    """One table of the laid-out index as a mapping; an entry is decoded when first asked for."""

    def __init__(self, buckets: _Buckets, table: int, decode: Callable[[str, object], Entry]) -> None:
        self._buckets = buckets
        self._table = table
        self._decode = decode
        self._decoded: dict[str, Entry | None] = {}

    def get(self, key: str, default: Entry | None = None) -> Entry | None:
        found = self._decoded.get(key, _UNREAD)
        if found is _UNREAD:
            entry = self._buckets.entry(self._table, key)
            found = self._decoded[key] = None if entry is None else self._decode(key, entry)
        return default if found is None else found

    def __getitem__(self, key: str) -> Entry:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return self._buckets.keys(self._table)

    def __len__(self) -> int:
        return self._buckets.meta["sizes"][self._table]


def _package(name: str, record: tuple) -> Package:
    size, priority, essential, *relations = record
    return Package(name, size, priority, essential, *map(_groups, relations))


def _groups(text: str) -> tuple[Group, ...]:
    """``a|b,c`` -> ``(("a", "b"), ("c",))``."""
    return tuple(tuple(group.split("|")) for group in text.split(",") if group)


def _as_stored(_key: str, entry: Entry) -> Entry:
    return entry


def _laid_out(raw: bytes) -> bytes:
    """The shipped file as the user's cache keeps it: the size of a marshal header ({"buckets",
    "sizes", "info"}), the header, the buckets' offsets (u32, one more than buckets), then the
    buckets, one marshal blob each, a key in bucket crc32(key) % buckets.  A bucket is three
    dicts (see _PACKAGES): package records ``(Installed-Size, Priority, Essential, pre_depends,
    depends, recommends)`` with relations as ``a|b,c`` and names written out, so that decoding a
    package needs no other bucket; providers and owners are tuples of names."""
    import lzma  # pylint: disable=import-outside-toplevel  # once per data version
    data = json.loads(lzma.decompress(raw))
    names = data["names"].split("\n")
    tables = {_PACKAGES: _package_records(data, names),
              _PROVIDERS: _table(names, data["provides"], ":", key_is_id=True),
              _OWNERS: _table(names, data["owners"], "\t", key_is_id=False)}
    buckets: list[tuple[dict, dict, dict]] = [({}, {}, {}) for _ in range(_BUCKETS)]
    for table, entries in tables.items():
        for key, entry in entries.items():
            buckets[_bucket_of(key, _BUCKETS)][table][key] = entry
    blobs = [marshal.dumps(bucket) for bucket in buckets]
    offsets = [0, *itertools.accumulate(map(len, blobs))]
    meta = marshal.dumps({"buckets": _BUCKETS, "sizes": tuple(len(tables[t]) for t in sorted(tables)),
                          "info": {key: data[key] for key in _INFO}})
    return b"".join([_U32.pack(len(meta)), meta, struct.pack(f"<{len(offsets)}I", *offsets), *blobs])


def _package_records(data: dict, names: list[str]) -> dict[str, tuple]:
    """{name: (Installed-Size, Priority, Essential, pre_depends, depends, recommends)}, the
    relations as ``a|b,c`` with names for the shipped file's ids."""
    codes, priorities, essential = data["priority_codes"], data["priority"], set(data["essential"])
    name_of = dict(zip(map(str, range(len(names))), names), **{"": ""})
    pre_depends, depends, recommends = (_named_lines(name_of, data[field]) for field in _RELATIONS)
    return {names[i]: (size, codes.get(priorities[i], ""), i in essential, pre_depends[i], depends[i], recommends[i])
            for i, size in enumerate(data["installed_size_kib"])}


_SEPARATORS = re.compile(r"([|,\n])")


def _named_lines(name_of: Mapping[str, str], column: str) -> list[str]:
    """A relation column of the shipped file (``3|17,42`` a line) with names for the ids,
    translated all at once: a few hundred thousand ids, one at a time, took a second."""
    tokens = _SEPARATORS.split(column)   # ids at the even places, separators between them
    tokens[::2] = [name_of[token] for token in tokens[::2]]
    return "".join(tokens).split("\n")


def _table(names: list[str], text: str, sep: str, *, key_is_id: bool) -> dict[str, tuple[str, ...]]:
    """``key<sep>id,id`` lines -> {key: names}; keys are ids in the Provides table, paths in owners."""
    table = {}
    for line in filter(None, text.split("\n")):
        key, _, ids = line.partition(sep)
        table[names[int(key)] if key_is_id else key] = tuple(names[int(i)] for i in ids.split(",") if i)
    return table


@functools.cache
def index(release: str) -> PackageIndex:
    """The package index of a Debian release (bookworm, trixie, bullseye), loaded once; its
    packages are read as the closures ask for them."""
    if release not in RELEASES:
        raise KeyError(f"no apt data for {release!r}: known are {', '.join(RELEASES)}")
    return index_of(release, _Buckets(cached_buffer(_data_path(f"{release}.json.xz"), _laid_out, _LAYOUT)))


def index_of(release: str, buckets: _Buckets) -> PackageIndex:
    """The index over a laid-out file (index() gives the shipped ones)."""
    return PackageIndex(release, _Table(buckets, _PACKAGES, _package), _Table(buckets, _PROVIDERS, _as_stored),
                        _Table(buckets, _OWNERS, _as_stored), buckets.meta["info"])


@functools.cache
def _bases() -> Mapping:
    return cached(_data_path("bases.json"), json.loads)


# ---- install ------------------------------------------------------------------------------

def _satisfied(index_: PackageIndex, group: Group, have: set[str]) -> bool:
    return any(c in have for alt in group for c in index_.candidates(alt))


def _pick(index_: PackageIndex, group: Group) -> str | None:
    """apt's choice for an unsatisfied dependency: the first alternative that has a package."""
    return next((c[0] for c in map(index_.candidates, group) if c), None)


def install(index_: PackageIndex, names: Iterable[str], installed: Iterable[str], *,
            recommends: bool) -> InstallPlan:
    """The packages ``apt-get install NAMES`` adds on top of ``installed``, and their bytes.

    A name that is only virtual installs its preferred provider (apt asks to choose when
    there are several; the estimate takes apt's preferred one).
    """
    return _install(index_, tuple(names), frozenset(installed), recommends)


@functools.lru_cache(maxsize=4096)
def _install(index_: PackageIndex, names: tuple[str, ...], installed: frozenset[str], recommends: bool) -> InstallPlan:
    """install(), memoised: the official images' variants (and a corpus) repeat the same installs
    on the same bases, and a closure is most of an apt layer's cost."""
    marker = _Marker(index_, set(installed), recommends)
    manual, unknown = [], []
    for name in names:
        target = _pick(index_, (name,))
        if target is None:
            unknown.append(name)
            continue
        manual.append(target)
        marker.mark(target)
    sizes = [(p, index_.packages[p].installed_size_kib) for p in marker.added]
    return InstallPlan(tuple(marker.added), tuple(dict.fromkeys(manual)), sum(s or 0 for _, s in sizes) * 1024,
                       tuple(unknown), tuple(dict.fromkeys(marker.unresolved)),
                       tuple(p for p, s in sizes if s is None))


class _Marker:
    """apt's MarkInstall, depth first: each dependency is checked just before it is installed,
    so a package marked for an earlier dependency satisfies a later ``a | b``.  Recommends
    are followed for new packages only, after their Depends, as apt does."""

    def __init__(self, index_: PackageIndex, have: set[str], recommends: bool) -> None:
        self.index = index_
        self.have = have
        self.recommends = recommends
        self.added: list[str] = []
        self.unresolved: list[str] = []

    def mark(self, name: str) -> None:
        if name in self.have:
            return
        self.have.add(name)
        self.added.append(name)
        pkg = self.index.packages[name]
        hard = len(pkg.pre_depends) + len(pkg.depends)
        for number, group in enumerate(pkg.needs(recommends=self.recommends)):
            if _satisfied(self.index, group, self.have):
                continue
            choice = _pick(self.index, group)
            if choice is not None:
                self.mark(choice)
            elif number < hard:
                self.unresolved.append(" | ".join(group))


def database_bytes(installed_count: int) -> int:
    """The dpkg and debconf databases an apt layer writes, which a later apt layer strands."""
    return DATABASE_BYTES_PER_PACKAGE * installed_count


def package_bytes(index_: PackageIndex, name: str) -> int:
    """The bytes one new package puts in its install layer: its files (Installed-Size), its
    dpkg records and, for Python packages, the byte-code py3compile writes."""
    files = (index_.packages[name].installed_size_kib or 0) * 1024
    python = files if name.startswith(("python3", "libpython3")) else 0
    return files + INFO_BYTES_PER_PACKAGE + round(PYC_PER_PYTHON_BYTE * python)


def layer_bytes(index_: PackageIndex, plan: InstallPlan, installed_count: int) -> int:
    """The bytes an install layer adds: its packages' bytes and the rewritten databases
    (``installed_count`` after it)."""
    return sum(package_bytes(index_, p) for p in plan.packages) + database_bytes(installed_count)


# ---- remove -------------------------------------------------------------------------------

def remove(index_: PackageIndex, installed: Iterable[str], auto_installed: Iterable[str],
           names: Iterable[str], *, autoremove: bool) -> RemovePlan:
    """What ``apt-get purge NAMES`` removes (with ``--auto-remove`` when ``autoremove``);
    ``apt-get autoremove`` is ``names=()`` with ``autoremove=True``.

    Removing a package also removes the installed packages whose Depends it alone satisfied.
    Autoremove then keeps what the manual and Essential packages need through Pre-Depends,
    Depends and Recommends (apt's default APT::AutoRemove::RecommendsImportant) and removes
    the other automatically installed packages.  Suggests are not in the data: the debian
    images set APT::AutoRemove::SuggestsImportant to false, so apt does not follow them either.
    """
    have = set(installed)
    names = list(names)
    gone = {n for n in names if n in have}
    gone |= _broken_by(index_, have, gone)
    if autoremove:
        gone |= _unneeded(index_, have - gone, set(auto_installed))
    order = [n for n in names if n in gone] + sorted(gone - set(names))
    size = sum((index_.packages[p].installed_size_kib or 0) for p in order if p in index_.packages)
    return RemovePlan(tuple(order), size * 1024, tuple(n for n in names if n not in have))


def _broken_by(index_: PackageIndex, have: set[str], gone: set[str]) -> set[str]:
    """Installed packages that would lose a Depends that was satisfied before: apt removes them too."""
    broken: set[str] = set()
    changed = True
    while changed:
        changed = False
        removed = gone | broken
        left = have - removed
        for name in sorted(left):
            pkg = index_.packages.get(name)
            groups = [g for g in pkg.pre_depends + pkg.depends if _touches(index_, g, removed)] if pkg else []
            if any(_satisfied(index_, g, have) and not _satisfied(index_, g, left) for g in groups):
                broken.add(name)
                changed = True
    return broken


def _touches(index_: PackageIndex, group: Group, removed: set[str]) -> bool:
    """Whether a dependency could have been satisfied by a removed package (else it still is)."""
    return any(c in removed for alt in group for c in index_.candidates(alt))


def _unneeded(index_: PackageIndex, have: set[str], auto: set[str]) -> set[str]:
    """apt's mark and sweep: auto packages no manual or Essential package reaches."""
    roots = [p for p in have if p not in auto or _essential(index_, p)]
    needed: set[str] = set()
    while roots:
        name = roots.pop()
        if name in needed:
            continue
        needed.add(name)
        pkg = index_.packages.get(name)
        for group in pkg.needs(recommends=True) if pkg else ():
            roots += [c for alt in group for c in index_.candidates(alt) if c in have]
    return {p for p in have - needed if p in auto}


def _essential(index_: PackageIndex, name: str) -> bool:
    pkg = index_.packages.get(name)
    return bool(pkg and pkg.essential)


# ---- owners -------------------------------------------------------------------------------

def owner(index_: PackageIndex, path: str) -> str | None:
    """The package that ships ``path`` (from Contents; shipped for paths under /etc), or None
    when no package of the release does or the path is outside the shipped roots."""
    owners = index_.owners.get(posixpath.normpath(path).lstrip("/"), ())
    return owners[0] if owners else None


# ---- base images --------------------------------------------------------------------------

def base_set(image_ref: str) -> BaseSet | None:
    """The packages of a base image (``debian:bookworm-slim``, ``python:3.12-slim-bookworm`` …),
    or None when there is no data (alpine, fedora, an unknown image): unknown, never guessed."""
    name, tag = _split_ref(image_ref)
    return _base(name, tag)


def _split_ref(image_ref: str) -> tuple[str, str]:
    ref = image_ref.split("@", 1)[0]
    for prefix in ("docker.io/", "index.docker.io/", "library/"):
        ref = ref.removeprefix(prefix)
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
    return name, tag


@functools.cache
def _base(name: str, tag: str) -> BaseSet | None:
    if name == "debian":
        release = _DEBIAN_TAGS.get(tag.split("-")[0].split(".")[0]) or next(
            (r for r in RELEASES if tag.startswith(r)), None)
        return _minbase(f"debian:{tag}", release, "") if release else None
    if name == "ubuntu":
        release = _bases()["ubuntu"].get(tag.split("-")[0])
        note = _bases()["ubuntu_note"].format(release=release)
        return _minbase(f"ubuntu:{tag}", release, note) if release else None
    return _official(name, tag)


def _minbase(image: str, release: str, note: str) -> BaseSet:
    rec = _bases()["releases"][release]
    slim = f"; {_bases()['slim']}" if "slim" in image else ""
    return BaseSet(image, release, frozenset(rec["packages"]), frozenset(rec["auto_installed"]),
                   (note + "; " if note else "") + rec["source"] + slim)


def _official(name: str, tag: str) -> BaseSet | None:
    """An official image from the table of bases.json: its FROM's set plus its kept installs."""
    entry = _image_entry(name, tag)
    if entry is None:
        return None
    pattern, rec, assumed = entry
    parent = base_set(rec["from"])
    if parent is None:
        return None
    packages, auto = set(parent.packages), set(parent.auto_installed)
    for step in rec["installs"]:
        plan = install(index(parent.release), step["packages"], packages, recommends=step["recommends"])
        packages |= set(plan.packages)
        auto = (auto | set(plan.auto)) - set(plan.manual)
    note = f"{pattern} from {rec['source']} on {parent.image} ({parent.note}); {rec['note']}"
    if assumed:
        note = f"the tag names no Debian release: assumed {STABLE}; " + note
    return BaseSet(f"{name}:{tag}", parent.release, frozenset(packages), frozenset(auto), note)


def _image_entry(name: str, tag: str) -> tuple[str, Mapping, bool] | None:
    """The most specific pattern of bases.json matching ``name:tag``; a tag naming no Debian
    release gets the stable one (``3.12-slim`` -> ``3.12-slim-trixie``, ``22-slim`` -> ``22-trixie-slim``)."""
    images = _bases()["images"]
    tries = [tag]
    if not any(r in tag for r in RELEASES):
        tries += [f"{tag}-{STABLE}", tag.replace("slim", f"{STABLE}-slim")]
    matches = [(p, candidate) for candidate in tries for p in images if fnmatch.fnmatchcase(f"{name}:{candidate}", p)]
    if not matches:
        return None
    best, candidate = max(matches, key=lambda m: len(m[0].replace("*", "")))
    return best, images[best], candidate != tag
