"""`dlayerlint` command line: check, rules, explain.

Exit codes: 0 clean, 1 findings, 2 a usage error or a file that cannot be
read or parsed (the other files are still linted).
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .analysis import UnknownTarget, analyze
from .catalogue import find_rule, rules
from .context import BuildContext, PatternError
from .report import FORMATS, FileResult, formatter

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


# below this many files a worker pool costs more than it saves
POOL_THRESHOLD = 16


class UsageError(Exception):
    """A file we cannot lint; `line` when the problem has one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class Outcome:
    """One file's rendered output and what it means for the exit code."""
    piece: Any
    failed: bool
    has_findings: bool


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
    check.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                       help="worker processes for many files (default: all cores; output order is the input order)")
    check.set_defaults(handler=_check)
    commands.add_parser("rules", help="list the rules").set_defaults(handler=_rules)
    explain = commands.add_parser("explain", help="describe a rule, with examples")
    explain.add_argument("rule", metavar="NAME-OR-ID")
    explain.set_defaults(handler=_explain)
    # further subcommands live in their own modules: each adds its parser and handler here
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
        raise UsageError(f"not UTF-8 text: byte 0x{data[error.start]:02x} on line {line}", line) from error


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
        return FileResult(name, error=str(error), error_line=error.line)
    except PatternError as error:
        return FileResult(name, error=f".dockerignore: {error}")
    try:
        analysis = analyze(text, context, dict(args.build_arg), args.target)
    except UnknownTarget as error:
        return FileResult(name, error=str(error))
    except RecursionError:
        return FileResult(name, error="too deeply nested to analyse")
    return FileResult(name, analysis)


def _lint(name: str, args: argparse.Namespace) -> Outcome:
    result = _check_file(name, args)
    piece = formatter(args.format).render_file(result, args.layers)
    return Outcome(piece, result.failed, bool(result.analysis and result.analysis.findings))


def _lint_all(args: argparse.Namespace) -> list[Outcome]:
    jobs = args.jobs or os.cpu_count() or 1
    if jobs <= 1 or len(args.files) < POOL_THRESHOLD:
        return [_lint(name, args) for name in args.files]
    # imported here: it costs ~8 ms that a single-file run should not pay
    from concurrent.futures import ProcessPoolExecutor  # pylint: disable=import-outside-toplevel
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        chunk = max(1, len(args.files) // (jobs * 8))
        return list(pool.map(_lint, args.files, [args] * len(args.files), chunksize=chunk))


def _check(args: argparse.Namespace) -> int:
    if args.context is not None and not Path(args.context).is_dir():
        print(f"dlayerlint: --context {args.context}: not a directory", file=sys.stderr)
        return EXIT_ERROR
    if args.jobs < 0:
        print("dlayerlint: --jobs takes a number of processes, 0 for all cores", file=sys.stderr)
        return EXIT_ERROR
    outcomes = _lint_all(args)
    sys.stdout.write(formatter(args.format).combine([outcome.piece for outcome in outcomes]))
    if any(outcome.failed for outcome in outcomes):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(outcome.has_findings for outcome in outcomes) else EXIT_CLEAN


def _rules(_args: argparse.Namespace) -> int:
    for rule in rules().values():
        print(f"{rule.id}  {rule.name:<26} {rule.severity:<8} {rule.summary}")
    return EXIT_CLEAN


def _explain(args: argparse.Namespace) -> int:
    rule = find_rule(args.rule)
    if rule is None:
        print(f"dlayerlint: no rule named '{args.rule}' (see `dlayerlint rules`)", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule.explain())
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:
        return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
