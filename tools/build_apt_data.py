#!/usr/bin/env python3
"""Build dlayerlint/data/apt/ from Debian's real indices, fetched by apt itself.

What it makes (all shipped inside the wheel, loaded lazily by dlayerlint.simulate.apt):

* ``<release>.json.xz`` for bookworm, trixie and bullseye (amd64, main): per package its
  Installed-Size (KiB, as the Packages file says), Pre-Depends, Depends, Recommends (version
  constraints and architecture qualifiers dropped, ``a | b`` alternatives kept), Essential and
  Priority; the Provides table (virtual name -> real packages), and from ``Contents-amd64`` the
  owners of the paths under the config-ish and command roots in ``OWNER_ROOTS``.  The suite's
  ``-updates`` and ``-security`` Packages are laid over the release's (they only carry newer
  versions of the same packages), as in the sources.list of the official debian images.
* ``bases.json``: the packages of a real ``debootstrap --variant=minbase`` rootfs per release
  (from its var/lib/dpkg/status and apt's extended_states), and what the official images built
  on them apt-get install on top, read from the docker-library Dockerfiles of the shared corpus.

How to rerun (as root on a Debian machine that has apt, debootstrap and debian-archive-keyring;
apt reaches the archive through this machine's own apt configuration, proxy or mirror included,
because only Dir::State, Dir::Cache and the source list are pointed at a private folder):

    python3 tools/build_apt_data.py indices          # the three <release>.json.xz
    python3 tools/build_apt_data.py bases            # debootstrap into /tmp, then bases.json
    python3 tools/build_apt_data.py bases --rootfs bookworm=/tmp/minbase-bookworm ...
                                                     # reuse rootfs trees made earlier
    python3 tools/build_apt_data.py all

Nothing is invented: a package without Installed-Size is stored with ``null`` (unknown), and
image entries whose install lines cannot be read literally (variables) say so in their note.

The shipped ``<release>.json.xz`` stays the compact form (names as ids, xz): dlayerlint lays it
out once per data version in the user's cache, in buckets a run reads only as it needs them
(``_laid_out`` in dlayerlint/simulate/apt.py), so a rebuilt file needs no conversion step.
"""
from __future__ import annotations

import argparse
import datetime
import json
import lzma
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

FORMAT = 1
RELEASES = ("bookworm", "trixie", "bullseye")
MIRROR = "http://deb.debian.org/debian"
SECURITY = "http://deb.debian.org/debian-security"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "dlayerlint" / "data" / "apt"
CORPUS = REPO.parent / "shared" / "corpus"
# Config files are what a Dockerfile edits in place (sed -i, >>, chmod); /usr/bin would triple the size.
OWNER_ROOTS = ("etc/",)

CONTENTS = "Acquire::IndexTargets::deb::Contents-deb"
CONTENTS_TARGET = {
    "MetaKey": "$(COMPONENT)/Contents-$(ARCHITECTURE)",
    "ShortDescription": "Contents-$(ARCHITECTURE)",
    "Description": "$(RELEASE)/$(COMPONENT) $(ARCHITECTURE) Contents (deb)",
    "flatMetaKey": "Contents-$(ARCHITECTURE)",
    "flatDescription": "$(RELEASE) Contents (deb)",
    "DefaultEnabled": "true",
    "Optional": "false",
}


def apt_options(root: Path) -> list[str]:
    """Options that keep apt's state private while reusing the machine's network settings."""
    opts = {
        "Dir::State": f"{root}/state",
        "Dir::State::status": f"{root}/status",
        "Dir::Cache": f"{root}/cache",
        "Dir::Etc::SourceList": f"{root}/sources.list",
        "Dir::Etc::SourceParts": f"{root}/sources.list.d",
        "APT::Architecture": "amd64",
        "APT::Architectures": "amd64",
        "Acquire::Languages": "none",
        # by-hash paths name the exact file the InRelease lists, so a mirror mid-sync cannot mismatch
        "Acquire::By-Hash": "force",
        "Acquire::Retries": "3",
    }
    opts.update({f"{CONTENTS}::{k}": v for k, v in CONTENTS_TARGET.items()})
    return [a for k, v in opts.items() for a in ("-o", f"{k}={v}")]


def sources(release: str) -> str:
    """Main suite with Contents; -updates and -security for newer Packages only."""
    opts = f"arch=amd64 signed-by={KEYRING}"
    security = f"{release}-security" if release != "buster" else f"{release}/updates"
    return (f"deb [{opts}] {MIRROR} {release} main\n"
            f"deb [{opts} target-=Contents-deb] {MIRROR} {release}-updates main\n"
            f"deb [{opts} target-=Contents-deb] {SECURITY} {security} main\n")


def fetch(release: str, root: Path) -> dict[str, list[Path]]:
    """apt-get update into ``root``; returns the fetched list files by kind, main suite first."""
    for sub in ("state/lists/partial", "cache/archives/partial", "sources.list.d"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "status").write_text("")
    (root / "sources.list").write_text(sources(release))
    # Packages first, on their own, so that a Contents file failing its hash (a mirror serving a
    # stale one) cannot hold back the release's Packages: apt commits a release's lists together.
    subprocess.run(["apt-get", *apt_options(root), "-o", f"{CONTENTS}::DefaultEnabled=false", "update"], check=True)
    # a missing Contents is then recorded in the data file, not papered over
    subprocess.run(["apt-get", *apt_options(root), "update"], check=False)
    lists = sorted((root / "state" / "lists").iterdir())
    order = [f"_dists_{release}_", f"_dists_{release}-updates_", f"_dists_{release}-security_"]
    found: dict[str, list[Path]] = {"Packages": [], "Contents": [], "Release": []}
    for key in order:
        for path in lists:
            if key not in path.name:
                continue
            if "_binary-amd64_Packages" in path.name:
                found["Packages"].append(path)
            elif "_Contents-amd64" in path.name or "_Contents-all" in path.name:
                found["Contents"].append(path)
            elif path.name.endswith("InRelease"):
                found["Release"].append(path)
    if len(found["Packages"]) != len(order) or not found["Release"]:
        sys.exit(f"apt-get update did not fetch every Packages file for {release}: {found}")
    return found


def cat(path: Path) -> str:
    """Decompress with apt's own helper, whatever compression apt kept the file in."""
    return subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", str(path)], check=True,
                          capture_output=True, text=True).stdout


def stanzas(text: str):
    """Yield each Packages stanza as a dict of field -> value (continuation lines joined)."""
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        last = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and last:
                fields[last] += " " + line.strip()
            elif ":" in line:
                last, _, value = line.partition(":")
                fields[last] = value.strip()
        if "Package" in fields:
            yield fields


_VERSION = re.compile(r"\s*\([^)]*\)|\s*\[[^\]]*\]|\s*<[^>]*>")


def relation(value: str) -> str:
    """``a (>= 1) | b:any, c`` -> ``a|b,c``: names only, as the closure ignores versions."""
    groups = []
    for group in value.split(","):
        alts = [_VERSION.sub("", alt).strip().split(":")[0] for alt in group.split("|")]
        alts = [a for a in alts if a]
        if alts:
            groups.append("|".join(alts))
    return ",".join(groups)


def read_packages(paths: list[Path]) -> tuple[dict[str, list], dict[str, list[str]]]:
    """Package records (later suites override earlier) and the Provides table."""
    packages: dict[str, list] = {}
    for path in paths:
        for st in stanzas(cat(path)):
            size = st.get("Installed-Size")
            packages[st["Package"]] = [
                int(size) if size and size.isdigit() else None,
                st.get("Priority", ""),
                1 if st.get("Essential") == "yes" else 0,
                relation(st.get("Pre-Depends", "")),
                relation(st.get("Depends", "")),
                relation(st.get("Recommends", "")),
                relation(st.get("Provides", "")),
            ]
    provides: dict[str, list[str]] = {}
    for name, rec in sorted(packages.items()):
        for virtual in filter(None, rec.pop().split(",")):
            provides.setdefault(virtual, []).append(name)
    return packages, provides


def read_owners(paths: list[Path]) -> dict[str, str]:
    """Owners of the paths under OWNER_ROOTS: ``path -> pkg[,pkg...]`` (Contents order)."""
    owners: dict[str, str] = {}
    for path in paths:
        for line in cat(path).splitlines():
            if not line.startswith(OWNER_ROOTS):
                continue
            file, _, locations = line.rpartition(" ")
            pkgs = [loc.rsplit("/", 1)[-1] for loc in locations.split(",")]
            owners[file.rstrip()] = ",".join(pkgs)
    return owners


def release_info(paths: list[Path]) -> dict[str, str]:
    """The Date of each fetched InRelease by suite, for the data file's provenance."""
    info = {}
    for path in paths:
        text = cat(path)
        suite = re.search(r"^Suite: (.*)$", text, re.M)
        date = re.search(r"^Date: (.*)$", text, re.M)
        codename = re.search(r"^Codename: (.*)$", text, re.M)
        key = f"{codename.group(1) if codename else ''} ({suite.group(1) if suite else path.name})"
        info[key] = date.group(1) if date else ""
    return info


def relation_column(packages: dict[str, list], field: int, ids: dict[str, int]) -> str:
    """One relation field of every package, names replaced by their index: ``3|17,42`` per line."""
    lines = []
    for rec in packages.values():
        groups = [g.split("|") for g in rec[field].split(",") if g]
        lines.append(",".join("|".join(str(ids[a]) for a in alts) for alts in groups))
    return "\n".join(lines)


def encode(packages: dict[str, list], provides: dict[str, list[str]], owners: dict[str, str]) -> dict:
    """Columnar layout with names as indices: a third of the size of one JSON object per package.

    ``names`` lists the real packages (sorted, ``n_real`` of them) and then the names that are
    only virtual; every relation, provider and owner refers to a line of ``names``.
    """
    referenced = {a for rec in packages.values() for f in (3, 4, 5) for g in rec[f].split(",") for a in g.split("|")}
    # librust-*+feature-dev names nobody depends on and nobody installs by hand make a third of them
    provides = {v: p for v, p in provides.items() if v in referenced or not v.startswith("librust-")}
    virtual = sorted((set(provides) | referenced) - set(packages) - {""})
    names = list(packages) + virtual
    ids = {n: i for i, n in enumerate(names)}
    return {
        "n_real": len(packages),
        "names": "\n".join(names),
        "installed_size_kib": [rec[0] for rec in packages.values()],
        "priority": "".join((rec[1] or "-")[0] for rec in packages.values()),
        "essential": [i for i, rec in enumerate(packages.values()) if rec[2]],
        "pre_depends": relation_column(packages, 3, ids),
        "depends": relation_column(packages, 4, ids),
        "recommends": relation_column(packages, 5, ids),
        "provides": "\n".join(f"{ids[v]}:{','.join(str(ids[p]) for p in ps)}" for v, ps in sorted(provides.items())),
        "owners": "\n".join(f"{path}\t{','.join(str(ids[p]) for p in pkgs.split(',') if p in ids)}"
                            for path, pkgs in sorted(owners.items())),
    }


def build_index(release: str) -> Path:
    with tempfile.TemporaryDirectory(prefix=f"apt-{release}-") as tmp:
        found = fetch(release, Path(tmp))
        packages, provides = read_packages(found["Packages"])
        packages = dict(sorted(packages.items()))
        contents = [p for p in found["Contents"] if f"_dists_{release}_" in p.name]
        owners = read_owners(contents)
        data = {
            "format": FORMAT,
            "release": release,
            "architecture": "amd64",
            "component": "main",
            "built": datetime.date.today().isoformat(),
            "indices": release_info(found["Release"]),
            "priority_codes": {"r": "required", "i": "important", "s": "standard", "o": "optional",
                               "e": "extra", "-": "none"},
            "owner_roots": ["/" + r for r in OWNER_ROOTS],
            "versions": "version constraints and architecture qualifiers are dropped",
            "contents": [p.name.split("_dists_")[-1] for p in contents] or
                        "unavailable: apt could not fetch a Contents file matching the InRelease; rerun later",
        } | encode(packages, provides, owners)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{release}.json.xz"
    blob = json.dumps(data, separators=(",", ":")).encode()
    path.write_bytes(lzma.compress(blob, preset=9 | lzma.PRESET_EXTREME))
    print(f"{path}: {data['n_real']} packages, {len(data['names'].splitlines()) - data['n_real']} virtual-only, "
          f"{len(data['owners'].splitlines())} owned paths, {path.stat().st_size} B", file=sys.stderr)
    return path


# ---- bases -------------------------------------------------------------------------------

def debootstrap(release: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix=f"minbase-{release}-"))
    subprocess.run(["debootstrap", "--variant=minbase", release, str(target), MIRROR + "/"], check=True)
    return target


def rootfs_packages(rootfs: Path) -> dict:
    """Installed packages of a rootfs, and apt's auto marks when it has any."""
    status = (rootfs / "var/lib/dpkg/status").read_text()
    installed = sorted(st["Package"] for st in stanzas(status) if st.get("Status", "").endswith(" installed"))
    states = rootfs / "var/lib/apt/extended_states"
    auto = []
    if states.exists():
        auto = sorted(st["Package"] for st in stanzas(states.read_text()) if st.get("Auto-Installed") == "1")
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "debootstrap"], capture_output=True,
                             text=True, check=False).stdout
    return {"packages": installed, "auto_installed": auto,
            "source": f"debootstrap {version} --variant=minbase, {datetime.date.today().isoformat()}, "
                      "var/lib/dpkg/status (debootstrap writes no apt auto marks: every package counts as manual)"
                      if not auto else f"debootstrap {version} --variant=minbase, var/lib/dpkg/status"}


# Official images: corpus file -> the tags it builds, FROM resolved through this same table.
# Chosen as the newest version of each image in the corpus per Debian variant.
IMAGES = {
    "buildpack-deps:{r}-curl": "docker-library__buildpack-deps/debian__{r}__curl__Dockerfile",
    "buildpack-deps:{r}-scm": "docker-library__buildpack-deps/debian__{r}__scm__Dockerfile",
    "buildpack-deps:{r}": "docker-library__buildpack-deps/debian__{r}__Dockerfile",
    "python:{v}-slim-{r}": "docker-library__python/3.13__slim-{r}__Dockerfile",
    "python:{v}-{r}": "docker-library__python/3.13__{r}__Dockerfile",
    "node:{v}-{r}-slim": "nodejs__docker-node/24__{r}-slim__Dockerfile",
    "node:{v}-{r}": "nodejs__docker-node/24__{r}__Dockerfile",
    "golang:{v}-{r}": "docker-library__golang/1.26__{r}__Dockerfile",
    "ruby:{v}-slim-{r}": "docker-library__ruby/3.4__slim-{r}__Dockerfile",
    "ruby:{v}-{r}": "docker-library__ruby/3.4__{r}__Dockerfile",
    "php:{v}-cli-{r}": "docker-library__php/8.4__{r}__cli__Dockerfile",
    "php:{v}-apache-{r}": "docker-library__php/8.4__{r}__apache__Dockerfile",
    "php:{v}-fpm-{r}": "docker-library__php/8.4__{r}__fpm__Dockerfile",
    "openjdk:{v}-slim-{r}": "docker-library__openjdk/27__slim-{r}__Dockerfile",
    "openjdk:{v}-{r}": "docker-library__openjdk/27__{r}__Dockerfile",
    "postgres:{v}-{r}": "docker-library__postgres/17__{r}__Dockerfile",
    "nginx:{v}": "nginxinc__docker-nginx/stable__debian__Dockerfile",
    "redis:{v}": "docker-library__redis/7.2__debian__Dockerfile",
    "eclipse-temurin:{v}-jdk-noble": "adoptium__containers/21__jdk__ubuntu__noble__Dockerfile",
    "eclipse-temurin:{v}-jre-noble": "adoptium__containers/21__jre__ubuntu__noble__Dockerfile",
    "eclipse-temurin:{v}-jdk-jammy": "adoptium__containers/21__jdk__ubuntu__jammy__Dockerfile",
    "eclipse-temurin:{v}-jre-jammy": "adoptium__containers/21__jre__ubuntu__jammy__Dockerfile",
    # tags naming no Ubuntu release: noble, the newest LTS the corpus's images default to
    "eclipse-temurin:{v}-jdk": "adoptium__containers/21__jdk__ubuntu__noble__Dockerfile",
    "eclipse-temurin:{v}-jre": "adoptium__containers/21__jre__ubuntu__noble__Dockerfile",
}
UBUNTU = {"noble": "trixie", "24.04": "trixie", "jammy": "bookworm", "22.04": "bookworm",
          "focal": "bullseye", "20.04": "bullseye", "plucky": "trixie", "25.04": "trixie",
          "questing": "trixie", "25.10": "trixie", "resolute": "trixie", "26.04": "trixie", "latest": "trixie"}

_INSTALL = re.compile(r"apt-get\s+(?:-\S+\s+)*install\s+((?:\\\n|\\.|[^;&|\n\\])*)")


def apt_installs(run: str) -> list[dict]:
    """The literal package lists of each ``apt-get install`` in one RUN, with its recommends."""
    out = []
    for match in _INSTALL.finditer(run):
        words = re.sub(r"#[^\n]*", "", match.group(1).replace("\\\n", " ")).split()
        names = [w for w in words if "$" not in w and re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", w)]
        unread = [w for w in words if "$" in w]
        out.append({"packages": names, "recommends": "--no-install-recommends" not in words
                    and "--no-install-recommends" not in run[:match.start()].rsplit("\n", 1)[-1],
                    "unread": unread})
    return out


def dockerfile_runs(text: str) -> tuple[str, list[str]]:
    """FROM of the last stage and the text of each of its RUN instructions."""
    # comment lines, also those inside a continued RUN, are dropped by the Dockerfile parser
    joined = re.sub(r"^\s*#[^\n]*\n", "", text, flags=re.M)
    instructions = re.split(r"\n(?=[A-Z]+\s)", "\n" + joined)
    base, runs = "", []
    for ins in instructions:
        word = ins.split(None, 1)[0] if ins.strip() else ""
        if word == "FROM":
            base, runs = ins.split()[1], []
        elif word == "RUN":
            runs.append(ins[3:])
    return base, runs


def image_entry(path: Path) -> dict:
    """What one official Dockerfile adds: kept installs, and build deps it purges again."""
    base, runs = dockerfile_runs(path.read_text())
    kept, purged, unread = [], [], []
    for run in runs:
        transient = "apt-mark auto" in run and "purge" in run
        for inst in apt_installs(run):
            entry = {"packages": inst["packages"], "recommends": inst["recommends"]}
            (purged if transient else kept).append(entry)
            unread += inst["unread"]
    note = ("packages installed and then purged in the same RUN (savedAptMark / apt-mark auto / "
            "purge --auto-remove) are left out except what the Dockerfile keeps by name; the "
            "shared libraries it keeps through ldd/dpkg-query are not modelled, so this set is a lower bound")
    if unread:
        note += f"; install words read from variables are not modelled: {' '.join(sorted(set(unread)))}"
    return {"from": base, "installs": kept, "build_deps_purged": purged,
            "source": f"shared/corpus/{path.relative_to(CORPUS)}", "note": note}


def release_of(base: str) -> str:
    """The Debian release a ``FROM debian:...`` or ``FROM ubuntu:...`` line stands for."""
    name, _, tag = base.partition(":")
    if name == "ubuntu":
        return UBUNTU[tag]
    return next(r for r in RELEASES if tag.startswith(r))


def build_bases(rootfs: dict[str, Path]) -> Path:
    releases = {}
    for release in RELEASES:
        tree = rootfs.get(release) or debootstrap(release)
        releases[release] = rootfs_packages(tree)
    images = {}
    for tag, template in IMAGES.items():
        for release in RELEASES if "{r}" in template else [""]:
            path = CORPUS / template.format(r=release)
            if path.exists():
                entry = image_entry(path)
                images[tag.format(v="*", r=release)] = entry | {"release": release or release_of(entry["from"])}
    data = {
        "format": FORMAT,
        "built": datetime.date.today().isoformat(),
        "releases": releases,
        "slim": "debian:<release>-slim is built by docker-library's debuerreotype from the same minbase "
                "debootstrap as debian:<release> (slim only deletes docs, man pages and locales with dpkg "
                "path-exclude), so it has the same package set",
        "ubuntu": UBUNTU,
        "ubuntu_note": "Ubuntu has no data here: estimated from Debian {release} sizes and package set",
        "images": images,
    }
    path = OUT / "bases.json"
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{path}: {len(images)} images, {path.stat().st_size} B", file=sys.stderr)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("what", choices=("indices", "bases", "all"))
    parser.add_argument("--release", action="append", choices=RELEASES, help="only these (indices)")
    parser.add_argument("--rootfs", action="append", default=[], metavar="RELEASE=DIR",
                        help="a minbase rootfs made earlier, instead of running debootstrap")
    args = parser.parse_args(argv)
    if args.what in ("indices", "all"):
        for release in args.release or RELEASES:
            build_index(release)
    if args.what in ("bases", "all"):
        build_bases({k: Path(v) for k, v in (r.split("=", 1) for r in args.rootfs)})
    os.sync()
    return 0


if __name__ == "__main__":
    sys.exit(main())
