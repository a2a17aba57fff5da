"""`dlayerlint` command line: check, rules, explain.

Exit codes: 0 clean, 1 findings, 2 a usage error or a file that cannot be
read or parsed (the other files are still linted).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .analysis import UnknownTarget, analyze
from .catalogue import find_rule, rules
from .context import BuildContext, PatternError
from .report import FORMATS, FileResult, render

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def _build_arg(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not name or not equals:
        raise argparse.ArgumentTypeError(f"--build-arg takes NAME=VALUE, not '{text}'")
    return name, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlayerlint", description="Find Docker image-layer bloat before the build.")
    parser.add_argument("--version", action="version", version=f"dlayerlint {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser("check", help="lint Dockerfiles")
    check.add_argument("files", nargs="+", metavar="DOCKERFILE")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--context", metavar="DIR", help="build context (default: each Dockerfile's folder)")
    check.add_argument("--build-arg", type=_build_arg, action="append", default=[], metavar="NAME=VALUE")
    check.add_argument("--target", metavar="STAGE", help="the stage that makes the image (default: the last)")
    check.add_argument("--layers", action="store_true", help="print each layer's added and stranded bytes")
    commands.add_parser("rules", help="list the rules")
    explain = commands.add_parser("explain", help="describe a rule, with examples")
    explain.add_argument("rule", metavar="NAME-OR-ID")
    return parser


def _read(path: Path) -> str:
    """The file's text; raises UsageError with what is wrong with it."""
    if path.is_dir():
        raise UsageError("is a directory, not a Dockerfile")
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise UsageError("no such file") from error
    except OSError as error:
        raise UsageError(f"cannot read: {error.strerror}") from error
    nul = data.find(b"\0")
    if nul >= 0:
        raise UsageError(f"binary file (NUL byte at offset {nul})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UsageError(f"not UTF-8 text: byte 0x{data[error.start]:02x} on line {line}") from error


def _context(path: Path, root: str | None) -> BuildContext | None:
    """The build context: --context, or the Dockerfile's folder."""
    folder = Path(root) if root is not None else path.parent
    return BuildContext(folder, dockerfile=path) if folder.is_dir() else None


def _check_file(name: str, args: argparse.Namespace) -> FileResult:
    path = Path(name)
    try:
        text = _read(path)
        context = _context(path, args.context)
    except UsageError as error:
        return FileResult(name, error=str(error))
    except PatternError as error:
        return FileResult(name, error=f".dockerignore: {error}")
    try:
        analysis = analyze(text, context, dict(args.build_arg), args.target)
    except UnknownTarget as error:
        return FileResult(name, error=str(error))
    except RecursionError:
        return FileResult(name, error="too deeply nested to analyse")
    return FileResult(name, analysis)


def _check(args: argparse.Namespace) -> int:
    if args.context is not None and not Path(args.context).is_dir():
        print(f"dlayerlint: --context {args.context}: not a directory", file=sys.stderr)
        return EXIT_ERROR
    results = [_check_file(name, args) for name in args.files]
    sys.stdout.write(render(results, args.format, args.layers))
    if any(result.failed for result in results):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(r.analysis and r.analysis.findings for r in results) else EXIT_CLEAN


def _rules() -> int:
    for rule in rules().values():
        print(f"{rule.id}  {rule.name:<26} {rule.severity:<8} {rule.summary}")
    return EXIT_CLEAN


def _explain(name: str) -> int:
    rule = find_rule(name)
    if rule is None:
        print(f"dlayerlint: no rule named '{name}' (see `dlayerlint rules`)", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule.explain())
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "rules":
            return _rules()
        return _explain(args.rule)
    except BrokenPipeError:
        return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
