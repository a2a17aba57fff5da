"""Make Ubuntu and Debian (bullseye, trixie) base images locally, in the buildah storage that
../shared/tools/realbuild.py builds in, so Dockerfiles FROM ubuntu or
debian:bullseye/trixie can be built without a registry.

usage: python benchmarks/bases.py ubuntu:22.04 [ubuntu:20.04 ubuntu:bionic debian:trixie ...]

debian:trixie and debian:bullseye (also tagged 13 or 11, and -slim, as
realbuild.py tags its bookworm) are debootstrapped from deb.debian.org the same
way, with deb822 sources (the release, -updates, -security; trixie's official
image has exactly these, bullseye's says the same in a sources.list) and the
official apt settings; Debian's images are not minimized.

Why: realbuild.py makes only busybox:latest and debian:bookworm itself, but
`buildah bud` takes any image already in its storage under the FROM name as the
base. This machine reaches no registry, only the Ubuntu and Debian archives, so each base
is bootstrapped from the archive (`debootstrap --variant=minbase`) and then
made like the official image wherever that changes the bytes a later RUN step
leaves in its layer:

- sources.list with main, restricted, universe and multiverse for the release,
  -updates and -security, so `apt-get update` fetches as many lists as the
  official image does;
- no apt lists or caches in the image, and the image's apt.conf.d settings
  (docker-clean, docker-gzip-indexes, docker-no-languages,
  docker-autoremove-suggests), the same texts realbuild.py writes for Debian;
- from 18.04 on the official image is "minimized": dpkg's excludes drop man
  pages, translations and documentation (copyright files and Debian changelogs
  stay) from every package installed later, and the base itself has none;
- its packages at the release's current updates, as the official image is
  rebuilt with them (otherwise a RUN step's install upgrades base packages and
  strands their old bytes in the base layer);
- owners and modes as packaged (root:shadow on /etc/shadow and the like), and
  none of the build host's resolv.conf or hostname;
- PATH and `bash` as the command.

Each image is committed as docker.io/library/ubuntu:<version> and tagged with
the codename (ubuntu:jammy). Images already present are left alone, so running
it again is cheap. It uses the storage, and the REALBUILD_ROOT variable, the way
realbuild.py does. Needs root (debootstrap and buildah's overlay storage), and
debootstrap, buildah, dpkg-deb and gpg on the host.

The archive's Release files are checked against the Ubuntu archive keyring. A
Debian host has no package for it, so when /usr/share/keyrings lacks it, the
keyring is taken from the archive's own ubuntu-keyring package and used only if
its keys are exactly the Ubuntu archive keys whose fingerprints are pinned
below; it is kept beside the storage for the next run.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

ROOT = Path(os.environ.get("REALBUILD_ROOT") or Path.home() / ".cache" / "realbuild")
BUILDAH = ("buildah", "--storage-driver", "overlay",
           "--root", str(ROOT / "root"), "--runroot", str(ROOT / "run"))
MIRROR = "http://archive.ubuntu.com/ubuntu"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
RELEASES = {"16.04": "xenial", "18.04": "bionic", "20.04": "focal", "22.04": "jammy", "24.04": "noble"}
LATEST_UBUNTU = "noble"   # what ubuntu:latest (and a bare FROM ubuntu) is today
# debootstrap's script for a release it has none for: noble installs as jammy did
SCRIPTS = {"noble": "jammy"}
DEBIAN_RELEASES = {"11": "bullseye", "13": "trixie"}   # bookworm is realbuild.py's own
NOT_MINIMIZED = frozenset({"xenial"})   # the official 16.04 image predates minimized images
DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
# the official image's deb822 sources (debuerreotype writes them so)
DEBIAN_SOURCES = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: {codename} {codename}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: {codename}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
REQUIRED_TOOLS = ("buildah", "debootstrap", "dpkg-deb", "gpg", "tar")

HOST_KEYRING = Path("/usr/share/keyrings/ubuntu-archive-keyring.gpg")
KEYRING_DEB = "pool/main/u/ubuntu-keyring/ubuntu-keyring_2021.03.26_all.deb"
ARCHIVE_KEYS = frozenset({
    "790BC7277767219C42C86F933B4FE6ACC0B21F32",   # Ubuntu Archive Automatic Signing Key (2012)
    "843938DF228D22F7B3742BC0D94AA3F0EFE21092",   # Ubuntu CD Image Automatic Signing Key (2012)
    "F6ECB3762474EDA9D21B7022871920D1991BC93C",   # Ubuntu Archive Automatic Signing Key (2018)
})

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_CLEAN = "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"
APT_CONF = {
    "docker-clean": (f'DPkg::Post-Invoke {{ "{_CLEAN}"; }};\n'
                     f'APT::Update::Post-Invoke {{ "{_CLEAN}"; }};\n'
                     'Dir::Cache::pkgcache "";\n'
                     'Dir::Cache::srcpkgcache "";\n'),
    "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "docker-no-languages": 'Acquire::Languages "none";\n',
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
}
DPKG_EXCLUDES = """\
# Drop all man pages
path-exclude=/usr/share/man/*

# Drop all translations
path-exclude=/usr/share/locale/*/LC_MESSAGES/*.mo

# Drop all documentation ...
path-exclude=/usr/share/doc/*

# ... except copyright files ...
path-include=/usr/share/doc/*/copyright

# ... and Debian changelogs
path-include=/usr/share/doc/*/changelog.Debian.*
"""
NAME = re.compile(r"(?:docker\.io/)?(?:library/)?(ubuntu|debian):([\w.]+)\Z")


class BaseError(Exception):
    """A base image that could not be made; the message says why."""


def run(args: Sequence[str], **kwargs) -> str:
    """Run a command; on failure raise BaseError with the end of its output."""
    result = subprocess.run(args, check=False, text=True, capture_output=True, **kwargs)
    if result.returncode:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise BaseError(f"{' '.join(args[:4])} ... failed ({result.returncode}):\n{tail}")
    return result.stdout


def have_image(name: str) -> bool:
    return subprocess.run([*BUILDAH, "inspect", "--type", "image", name],
                          check=False, capture_output=True).returncode == 0


def parse(name: str) -> tuple[str, str, str]:
    """ubuntu:22.04 or ubuntu:jammy (docker.io/library/ may precede) -> ("ubuntu", "22.04", "jammy");
    debian:13 or debian:trixie -> ("debian", "13", "trixie")."""
    match = NAME.match(name)
    family, tag = match.groups() if match else ("", "")
    releases = DEBIAN_RELEASES if family == "debian" else RELEASES
    for version, codename in releases.items():
        if tag in (version, codename):
            return family, version, codename
    known = ", ".join([f"ubuntu:{v} (ubuntu:{c})" for v, c in RELEASES.items()]
                      + [f"debian:{v} (debian:{c})" for v, c in DEBIAN_RELEASES.items()])
    raise BaseError(f"{name}: not a base this makes; known: {known}")


def keyring_fingerprints(keyring: Path) -> set[str]:
    """Fingerprints of the primary keys in an OpenPGP keyring file."""
    with tempfile.TemporaryDirectory() as home:   # a throwaway GnuPG home: the caller's stays untouched
        listing = run(["gpg", "--homedir", home, "--batch", "--with-colons", "--show-keys", str(keyring)])
    fingerprints, after_pub = set(), False
    for line in listing.splitlines():
        fields = line.split(":")
        if fields[0] == "fpr" and after_pub:
            fingerprints.add(fields[9])
        after_pub = fields[0] == "pub"
    return fingerprints


def archive_keyring() -> Path:
    """The Ubuntu archive keyring: the host's, or one checked against ARCHIVE_KEYS and kept in ROOT."""
    if HOST_KEYRING.is_file():
        return HOST_KEYRING
    kept = ROOT / "ubuntu-archive-keyring.gpg"
    if kept.is_file():
        return kept
    with tempfile.TemporaryDirectory() as tmp:
        deb = Path(tmp) / "ubuntu-keyring.deb"
        with urllib.request.urlopen(f"{MIRROR}/{KEYRING_DEB}", timeout=60) as response:
            deb.write_bytes(response.read())
        run(["dpkg-deb", "-x", str(deb), f"{tmp}/x"])
        fetched = Path(tmp) / "x" / HOST_KEYRING.relative_to("/")
        found = keyring_fingerprints(fetched)
        if found != ARCHIVE_KEYS:
            raise BaseError(f"{KEYRING_DEB}: keys {sorted(found)} are not the pinned Ubuntu archive keys")
        ROOT.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fetched, kept)
    return kept


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below path, deepest first."""
    prefix = str(path.resolve())
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
            if point == prefix or point.startswith(prefix + "/"):
                points.append(point)
    return sorted(points, key=len, reverse=True)


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary folder beside the storage, removed afterwards. debootstrap mounts /proc and
    /sys inside the rootfs and may leave them on failure: they are unmounted first, and the
    folder is kept (and named) rather than deleted through a mount that would not go."""
    ROOT.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="rootfs-", dir=ROOT))
    try:
        yield path
    finally:
        for point in mounts_under(path):
            if subprocess.run(["umount", point], check=False, capture_output=True).returncode:
                subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)
        if mounts_under(path):
            print(f"bases: left {path} in place: something is still mounted below it", file=sys.stderr)
        else:
            shutil.rmtree(path)


def remove(paths: Iterable[Path]) -> None:
    """Delete files, symlinks and folders (listed first, so a lazy glob is not walked while it changes)."""
    for path in list(paths):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def minimize(rootfs: Path) -> None:
    """What the official image's minimizing removes, and the dpkg excludes that keep it out later."""
    (rootfs / "etc/dpkg/dpkg.cfg.d/excludes").write_text(DPKG_EXCLUDES, encoding="utf-8")
    share = rootfs / "usr/share"
    remove((share / "man").glob("*"))
    remove(share.glob("locale/*/LC_MESSAGES/*.mo"))
    for entry in list((share / "doc").iterdir()):
        if entry.is_symlink() or not entry.is_dir():
            entry.unlink()
            continue
        remove(p for p in entry.iterdir() if p.name != "copyright" and not p.name.startswith("changelog.Debian."))
        if not any(entry.iterdir()):
            entry.rmdir()


def configure(rootfs: Path, family: str, codename: str) -> None:
    """Make a debootstrapped rootfs like the official image, as far as layer bytes go."""
    if family == "debian":
        (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
        (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(DEBIAN_SOURCES.format(codename=codename),
                                                                      encoding="utf-8")
    else:
        suites = (codename, f"{codename}-updates", f"{codename}-security")
        (rootfs / "etc/apt/sources.list").write_text(
            "".join(f"deb {MIRROR} {suite} main restricted universe multiverse\n" for suite in suites),
            encoding="utf-8")
    for name, text in APT_CONF.items():
        (rootfs / "etc/apt/apt.conf.d" / name).write_text(text, encoding="utf-8")
    remove((rootfs / "var/lib/apt/lists").glob("*"))
    remove((rootfs / "var/cache/apt").glob("*.bin"))
    remove((rootfs / "var/cache/apt/archives").glob("*.deb"))
    # debootstrap copies the build host's; buildah supplies its own to every RUN
    remove(p for p in (rootfs / "etc/resolv.conf", rootfs / "etc/hostname") if p.is_file() or p.is_symlink())
    if family == "ubuntu" and codename not in NOT_MINIMIZED:   # Debian's images are not minimized
        minimize(rootfs)


def commit(rootfs: Path, names: Sequence[str]) -> None:
    """Commit rootfs as one layer. It goes in as a tar archive: `buildah copy` of a folder would make
    every file root's, and the image needs its own owners (root:shadow on /etc/shadow and the like)."""
    archive = rootfs.with_name("rootfs.tar")
    run(["tar", "--create", "--numeric-owner", "--xattrs", "--file", str(archive), "--directory", str(rootfs), "."])
    container = run([*BUILDAH, "from", "scratch"]).strip()
    try:
        run([*BUILDAH, "add", container, str(archive), "/"])
        run([*BUILDAH, "config", "--cmd", "bash", "--env", PATH_ENV, container])
        run([*BUILDAH, "commit", "--quiet", "--rm", container, names[0]])
    except BaseError:
        subprocess.run([*BUILDAH, "rm", container], check=False, capture_output=True)
        raise
    for name in names[1:]:
        run([*BUILDAH, "tag", names[0], name])


def ensure(name: str) -> str:
    """Make one base unless present; return what happened, for the log."""
    family, version, codename = parse(name)
    names = [f"docker.io/library/{family}:{tag}" for tag in (version, codename)]
    if family == "debian":   # realbuild.py's bookworm is its -slim too: the same minbase
        names += [f"docker.io/library/debian:{tag}-slim" for tag in (version, codename)]
    if (family, codename) == ("ubuntu", LATEST_UBUNTU):
        names.append("docker.io/library/ubuntu:latest")
    shown = f"{family}:{version} ({family}:{codename})"
    if have_image(names[0]):
        for alias in names[1:]:
            if not have_image(alias):
                run([*BUILDAH, "tag", names[0], alias])
        return f"{shown} already present"
    started = time.monotonic()
    keyring, mirror = (DEBIAN_KEYRING, DEBIAN_MIRROR) if family == "debian" else (archive_keyring(), MIRROR)
    with scratch_dir() as scratch:
        rootfs = scratch / "rootfs"
        print(f"bases: debootstrap {codename} ...", file=sys.stderr, flush=True)
        # -updates first: debootstrap takes each package from the first suite that has it, and the
        # official image carries the release's updates (a RUN step would otherwise upgrade base packages)
        run(["debootstrap", "--variant=minbase", f"--keyring={keyring}",
             f"--extra-suites={codename}", f"{codename}-updates", str(rootfs), mirror, codename]
            if family == "debian" else
            ["debootstrap", "--variant=minbase", f"--keyring={keyring}",
             f"--extra-suites={codename}-security,{codename}", f"{codename}-updates", str(rootfs), mirror,
             SCRIPTS.get(codename, codename)])
        configure(rootfs, family, codename)
        commit(rootfs, names)
    return f"{shown} made in {time.monotonic() - started:.0f} s"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make Ubuntu and Debian base images in realbuild.py's storage.")
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="ubuntu:VERSION or ubuntu:CODENAME, for " + ", ".join(RELEASES)
                        + "; debian:VERSION or debian:CODENAME, for " + ", ".join(DEBIAN_RELEASES))
    args = parser.parse_args(argv)
    try:
        for name in args.images:   # checked before a long run starts
            parse(name)
    except BaseError as error:
        parser.error(str(error))
    if os.geteuid() != 0:
        print("bases: needs root (debootstrap, and buildah's overlay storage); run it as root, e.g. with sudo",
              file=sys.stderr)
        return 2
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        print(f"bases: not installed: {', '.join(missing)} (apt-get install {' '.join(missing)})", file=sys.stderr)
        return 2
    failed = 0
    for name in args.images:
        try:
            print(f"bases: {ensure(name)}", flush=True)
        except (BaseError, OSError) as error:
            failed += 1
            print(f"bases: {name}: {error}", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
