"""`dlayerlint verify DOCKERFILE`: build the file and its rewrite with a real
builder and show that the rewrite keeps the image's files and drops the
stranded bytes.

The builder is the first one found: buildah (overlay storage, chroot
isolation, as root), or `docker buildx` when a daemon answers. Each image is
exported as a docker archive and read layer by layer: the bytes of regular
files each layer carries, the final filesystem (whiteouts applied), and the
stranded bytes (carried in a layer, not visible at the end). The final
filesystems match when every path has the same type, mode, owner, link target
and content (logs, caches every build rewrites, and the stand-ins for what the
runtime mounts, /proc or /etc/hosts, are left out).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import posixpath
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..lint import UnknownTarget, analyze
from ..simulate.context.build import BuildContext
from ..simulate.context.dockerignore import PatternError
from ..fixes.plan import fix_text
from .inputs import UsageError, read_dockerfile

EXIT_SAME, EXIT_DIFFERENT, EXIT_ERROR = 0, 1, 2
BUILD_TIMEOUT = 3600
# rewritten with fresh content by every build (logs, ld.so and debconf caches,
# scratch space), so they differ between any two builds of one Dockerfile
VOLATILE = ("/var/log/", "/var/cache/ldconfig/", "/var/cache/debconf/", "/var/lib/dpkg/status-old", "/tmp/",
            "/run/")
# what the builder mounts while a RUN runs and leaves behind as empty stand-ins
# in that RUN's layer; a container gets its own at run time, so an image that
# has one RUN fewer may lack them and still run the same
RUNTIME_MOUNTS = frozenset({"/dev", "/proc", "/sys", "/run", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"})
MAX_SHOWN = 10


class BuildError(Exception):
    """A build or export failed; the message carries the builder's log tail."""


@dataclass(slots=True)
class Image:
    layer_bytes: list[int]                  # regular-file bytes each layer carries
    stranded: list[int]                     # of those, bytes the final filesystem does not show
    files: dict[str, str] = field(default_factory=dict)   # final path → digest of what it is

    @property
    def total(self) -> int:
        return sum(self.layer_bytes)


def _run(command: list[str], what: str) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        raise BuildError(f"{what}: no result after {BUILD_TIMEOUT} s") from error
    if done.returncode:
        raise BuildError(f"{what} failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return done


@dataclass(frozen=True, slots=True)
class Buildah:
    root: str | None = None       # buildah's --root and --runroot (default: its own storage)
    runroot: str | None = None
    name: str = "buildah"

    def _base(self) -> list[str]:
        command = ["buildah", "--storage-driver", "overlay"]
        command += ["--root", self.root] if self.root else []
        return command + (["--runroot", self.runroot] if self.runroot else [])

    def build(self, dockerfile: Path, context: Path, options: list[str], archive: Path) -> None:
        tag = f"localhost/dlayerlint-verify:{os.getpid()}-{archive.stem}"
        _run(self._base() + ["bud", "--isolation", "chroot", "--layers", *options, "-f", str(dockerfile),
                             "-t", tag, str(context)], f"buildah bud {dockerfile.name}")
        try:
            _run(self._base() + ["push", "-q", tag, f"docker-archive:{archive}:{tag}"], "buildah push")
        finally:
            subprocess.run(self._base() + ["rmi", "-f", tag], capture_output=True, check=False)


@dataclass(frozen=True, slots=True)
class DockerBuildx:
    name: str = "docker buildx"

    def build(self, dockerfile: Path, context: Path, options: list[str], archive: Path) -> None:
        _run(["docker", "buildx", "build", *options, "-f", str(dockerfile), "--output",
              f"type=docker,dest={archive}", str(context)], f"docker buildx build {dockerfile.name}")


Builder = Buildah | DockerBuildx


def _answers(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, check=False, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_builder(choice: str, root: str | None = None, runroot: str | None = None) -> Builder | str:
    """The builder to use, or why there is none."""
    if choice in ("auto", "buildah") and shutil.which("buildah"):
        return Buildah(root, runroot)
    if choice in ("auto", "docker") and shutil.which("docker"):
        if _answers(["docker", "buildx", "version"]) and _answers(["docker", "info"]):
            return DockerBuildx()
        if choice == "docker":
            return "docker is installed but `docker buildx` or its daemon does not answer"
    wanted = {"auto": "buildah or docker buildx", "buildah": "buildah", "docker": "docker buildx"}[choice]
    return (f"no builder found: verify needs {wanted} on PATH (e.g. `apt-get install buildah`, run as root, "
            "or Docker with buildx and a running daemon)")


def _entry_digest(layer: tarfile.TarFile, entry: tarfile.TarInfo) -> str:
    digest = hashlib.sha256(f"{entry.type!r} {entry.mode:o} {entry.uid}:{entry.gid} {entry.linkname}".encode())
    if entry.isreg():
        stream = layer.extractfile(entry)
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _apply_layer(layer: tarfile.TarFile, index: int, final: dict[str, tuple[int, int, str]]) -> int:
    """Apply one layer to `final` (path → layer, size, digest); returns the file bytes it carries."""
    carried = {}
    for entry in layer:
        path = posixpath.normpath("/" + entry.name)
        parent, base = posixpath.split(path)
        if base == ".wh..wh..opq":
            gone = [p for p in final if p.startswith(parent.rstrip("/") + "/") and final[p][0] < index]
        elif base.startswith(".wh."):
            victim = posixpath.join(parent, base[4:])
            gone = [p for p in final if (p == victim or p.startswith(victim + "/")) and final[p][0] < index]
        else:
            gone = []
            carried[path] = entry.size if entry.isreg() else 0
            final[path] = (index, carried[path], _entry_digest(layer, entry))
        for path_gone in gone:
            del final[path_gone]
    return sum(carried.values())


def measure(archive: Path, ignored: frozenset[str] = RUNTIME_MOUNTS) -> Image:
    """Read a docker archive (`docker save` layout) into an Image; the final
    files leave out volatile paths, `ignored` ones and directories that hold
    nothing but ignored ones (/etc made only for /etc/hosts)."""
    final: dict[str, tuple[int, int, str]] = {}
    carried = []
    with tarfile.open(archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))[0]
        for index, name in enumerate(manifest["Layers"]):
            member = outer.getmember(name)
            while member.issym() or member.islnk():
                member = outer.getmember(posixpath.normpath(posixpath.join(posixpath.dirname(member.name),
                                                                           member.linkname)))
            with tarfile.open(fileobj=outer.extractfile(member)) as layer:
                carried.append(_apply_layer(layer, index, final))
    visible = [0] * len(carried)
    for index, size, _ in final.values():
        visible[index] += size
    kept = {path: digest for path, (_, _, digest) in final.items()
            if not path.startswith(VOLATILE) and path not in ignored}
    holders = {posixpath.dirname(path) for path in final.keys() & ignored}
    holders -= {posixpath.dirname(path) for path in kept}
    return Image(carried, [c - v for c, v in zip(carried, visible)],
                 {path: digest for path, digest in kept.items() if path not in holders})


def differences(before: Image, after: Image) -> list[str]:
    """The paths whose final state differs, sorted."""
    return sorted(p for p in before.files.keys() | after.files.keys() if before.files.get(p) != after.files.get(p))


def register(commands: argparse._SubParsersAction) -> None:
    verify = commands.add_parser("verify", help="build a Dockerfile and its rewrite and compare the images",
                                 description=__doc__.split("\n\n", maxsplit=1)[0])
    verify.add_argument("file", metavar="DOCKERFILE")
    verify.add_argument("--context", metavar="DIR", help="build context (default: the Dockerfile's folder)")
    verify.add_argument("--unsafe-fixes", action="store_true", help="also apply the unsafe fixes")
    verify.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE")
    verify.add_argument("--target", metavar="STAGE")
    verify.add_argument("--builder", choices=("auto", "buildah", "docker"), default="auto")
    verify.add_argument("--root", metavar="DIR", help="buildah: storage root (its --root)")
    verify.add_argument("--runroot", metavar="DIR", help="buildah: run root (its --runroot)")
    verify.set_defaults(handler=run)


def _rewrite(args: argparse.Namespace, path: Path, context: Path) -> tuple[str, str]:
    """(original, rewritten) text; raises UsageError when the file cannot be linted."""
    build_args = dict(pair.partition("=")[::2] for pair in args.build_arg)
    text = read_dockerfile(path)
    try:
        lint_context = BuildContext(context, dockerfile=path)
        return text, fix_text(text, lambda t: analyze(t, lint_context, build_args, args.target),
                              args.unsafe_fixes).text
    except (PatternError, UnknownTarget) as error:
        raise UsageError(str(error)) from error


def _row(label: str, before: int, after: int) -> str:
    return f"{label:<18}{before:>16,}{after:>16,}{after - before:>+16,}"


def _report(before: Image, after: Image) -> int:
    print(f"{'':<18}{'original':>16}{'rewritten':>16}{'change':>16}")
    print(_row("image bytes", before.total, after.total))
    print(_row("stranded bytes", sum(before.stranded), sum(after.stranded)))
    print(_row("layers", len(before.layer_bytes), len(after.layer_bytes)))
    differ = differences(before, after)
    if not differ:
        print(f"final filesystem: the same ({len(after.files):,} paths)")
        return EXIT_SAME
    print(f"final filesystem: DIFFERENT at {len(differ)} path{'s' if len(differ) != 1 else ''}:")
    for path in differ[:MAX_SHOWN]:
        print(f"    {path}")
    return EXIT_DIFFERENT


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    context = Path(args.context) if args.context else path.parent
    try:
        if not context.is_dir():
            raise UsageError(f"build context {context} is not a directory")
        text, rewritten = _rewrite(args, path, context)
    except UsageError as error:
        print(f"{args.file}: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    if rewritten == text:
        print(f"{args.file}: no fix applies{'' if args.unsafe_fixes else ' (try --unsafe-fixes)'}; nothing to verify")
        return EXIT_SAME
    builder = find_builder(args.builder, args.root, args.runroot)
    if isinstance(builder, str):
        print(f"dlayerlint verify: {builder}", file=sys.stderr)
        return EXIT_ERROR
    options = [f"--build-arg={pair}" for pair in args.build_arg] + (["--target", args.target] if args.target else [])
    try:
        before, after = _build_both(builder, path, rewritten, context, options)
    except BuildError as error:
        print(f"dlayerlint verify: {error}", file=sys.stderr)
        return EXIT_ERROR
    return _report(before, after)


def _build_both(builder: Builder, path: Path, rewritten: str, context: Path,
                options: list[str]) -> tuple[Image, Image]:
    """The original's image and the rewrite's."""
    with tempfile.TemporaryDirectory(prefix="dlayerlint-verify-") as scratch:
        fixed = Path(scratch) / "Dockerfile.rewritten"
        fixed.write_text(rewritten, encoding="utf-8")

        def image(label: str, dockerfile: Path) -> Image:
            print(f"building the {label} with {builder.name} ...", file=sys.stderr, flush=True)
            archive = Path(scratch) / f"{label}.tar"
            builder.build(dockerfile, context, options, archive)
            return measure(archive)
        return image("original", path), image("rewritten", fixed)
