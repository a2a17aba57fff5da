"""Stand-in bases for images this machine cannot pull: python:TAG and node:TAG, made from
Debian bookworm's own packages, in the buildah storage ../shared/tools/realbuild.py builds in.

usage: python benchmarks/stand_ins.py python:3.8-slim node:14 [...]

Why: fix_corpus.py proves rewrites by building a corpus file as it is and as
rewritten. Many corpus files start FROM python or node, which no registry here
serves. A stand-in is not the official image (Debian's Python 3.11 and Node.js 18
whatever the tag says, in /usr rather than /usr/local), but both builds of a file
use the same one, so "does the rewrite build, and is its filesystem the same" is
still a fair question; fix_corpus.py counts files on stand-ins apart from the rest.

What a stand-in holds, following the official images' own recipes:
- a -slim tag: debian:bookworm and the language (python3, pip, venv and headers,
  `python` meaning python3, pip free to install system-wide as the official image
  allows; or nodejs, npm and yarn), apt lists removed as the official images do;
- any other tag: the same on top of what buildpack-deps:bookworm installs (curl,
  wget, git, gcc, make and the usual -dev libraries), as the official full images are.
The buildpack-deps package lists are those of docker-library/buildpack-deps'
debian/bookworm/{curl,scm,}/Dockerfile. Python 2, Alpine and Windows tags get no
stand-in: a Python 3 or Debian image would not be what such a file expects.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# pylint: disable=wrong-import-position
from bases import BUILDAH, BaseError, have_image, run  # noqa: E402

REALBUILD = Path(__file__).resolve().parents[2] / "shared" / "tools" / "realbuild.py"
BOOKWORM = "docker.io/library/debian:bookworm"
NAME = re.compile(r"(?:docker\.io/)?(?:library/)?(python|node)(?::([\w.-]+))?\Z")
PYTHON2 = re.compile(r"2(\.|-|$)")
FOREIGN = re.compile(r"alpine|windows|nanoserver|servercore")

BUILDPACK_DEPS = (   # curl, scm, then the full image's own packages
    "ca-certificates curl gnupg netbase sq wget",
    "git git-lfs mercurial openssh-client subversion procps",
    "autoconf automake bzip2 dpkg-dev file g++ gcc imagemagick libbz2-dev libc6-dev libcurl4-openssl-dev "
    "libdb-dev libevent-dev libffi-dev libgdbm-dev libglib2.0-dev libgmp-dev libjpeg-dev libkrb5-dev "
    "liblzma-dev libmagickcore-dev libmagickwand-dev libmaxminddb-dev libncurses5-dev libncursesw5-dev "
    "libpng-dev libpq-dev libreadline-dev libsqlite3-dev libssl-dev libtool libwebp-dev libxml2-dev "
    "libxslt-dev libyaml-dev make patch unzip xz-utils zlib1g-dev default-libmysqlclient-dev",
)
LANGUAGES = {
    # the official python image lets pip install system-wide (no EXTERNALLY-MANAGED marker)
    "python": ("python3 python3-pip python3-venv python3-dev python-is-python3",
               "rm -f /usr/lib/python3*/EXTERNALLY-MANAGED", "LANG=C.UTF-8"),
    # and its user `node` (uid 1000), which files name in USER and --chown
    "node": ("nodejs npm yarnpkg", "ln -s /usr/bin/yarnpkg /usr/local/bin/yarn && groupadd --gid 1000 node "
             "&& useradd --uid 1000 --gid node --shell /bin/bash --create-home node", ""),
}


def parse(name: str) -> tuple[str, str]:
    """python:3.8-slim -> ("python", "3.8-slim"); a bare `node` is node:latest."""
    match = NAME.match(name)
    if not match:
        raise BaseError(f"{name}: not a base this makes a stand-in for (python:TAG, node:TAG)")
    language, tag = match.group(1), match.group(2) or "latest"
    if FOREIGN.search(tag) or language == "python" and PYTHON2.match(tag):
        raise BaseError(f"{name}: no stand-in (Python 2, Alpine and Windows tags are not bookworm images)")
    return language, tag


def recipe(language: str, slim: bool) -> str:
    """The stand-in's Dockerfile over debian:bookworm."""
    packages, setup, env = LANGUAGES[language]
    installed = " ".join(((packages,) if slim else (*BUILDPACK_DEPS, packages)))
    lines = [f"FROM {BOOKWORM}"] + ([f"ENV {env}"] if env else [])
    lines.append("RUN apt-get update && apt-get install -y --no-install-recommends "
                 f"{installed} && {setup} && rm -rf /var/lib/apt/lists/*")
    return "\n".join(lines) + "\n"


def stamp(name: str) -> str:
    """What the stand-in for `name` is made of (its recipe's digest): a build over it is only
    as current as this, so fix_corpus.py keys its cached builds by it."""
    language, tag = parse(name)
    return hashlib.sha256(recipe(language, "slim" in tag).encode()).hexdigest()[:16]


def ensure_bookworm() -> None:
    """realbuild.py makes its debian:bookworm on its first build: build an empty file once."""
    if have_image(BOOKWORM):
        return
    with tempfile.TemporaryDirectory() as context:
        (Path(context) / "Dockerfile").write_text(f"FROM {BOOKWORM}\n", encoding="utf-8")
        run([sys.executable, str(REALBUILD), str(Path(context) / "Dockerfile"), context])


def ensure(name: str) -> str:
    """Make the stand-in for one python/node name unless present; return what happened."""
    language, tag = parse(name)
    wanted = f"docker.io/library/{language}:{tag}"
    slim = "slim" in tag
    image = f"localhost/stand-in-{language}{'-slim' if slim else ''}:{stamp(name)}"   # a new recipe, a new image
    started = time.monotonic()
    if not have_image(image):
        ensure_bookworm()
        with tempfile.TemporaryDirectory() as context:
            (Path(context) / "Dockerfile").write_text(recipe(language, slim), encoding="utf-8")
            run([*BUILDAH, "bud", "--isolation", "chroot", "--network", "host", "--layers", "-t", image, context])
    run([*BUILDAH, "tag", image, wanted])   # moves the tag off an older recipe's image
    return f"{wanted}: stand-in {image} ({time.monotonic() - started:.0f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="python:TAG or node:TAG")
    args = parser.parse_args(argv)
    failed = 0
    for name in args.images:
        try:
            print(f"stand-ins: {ensure(name)}", flush=True)
        except (BaseError, OSError, subprocess.SubprocessError) as error:
            failed += 1
            print(f"stand-ins: {name}: {error}", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
