"""`dlayerlint check`: files → settings → lint → every requested format → exit code.

Exit codes (EXIT_CODES, shown in --help): 0 clean, 1 a finding at or above the
fail level or a file over --max-stranded, 2 a usage error, a bad setting, or a
file that cannot be read or parsed (the other files are still linted).
"""
from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..core.rule import SEVERITIES
from ..config import (FAIL_LEVELS, Config, ConfigError, PluginRef, SeverityOverride, Switch, settings_for,
                      size_limit)
from ..simulate.context.build import BuildContext, ContextCache
from ..simulate.context.discover import ContextFinder, FoundContext, text_sources
from ..simulate.context.dockerignore import PatternError
from . import fix as fix_command
from .inputs import MAX_DOCKERFILE_BYTES, STDIN, UsageError, decode, expand, read_dockerfile
from ..lint import collector_paused
from ..report import FORMATS, FileResult, formatter
from ..report.text import error_lines
from ..core.sizes import describe, human
from . import terminal

if TYPE_CHECKING:
    from ..simulate.analysis import Analysis
    from .result_cache import ResultCache

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_CODES = """exit codes:
  0  clean
  1  a finding at or above --fail-level, or a file over --max-stranded
  2  a usage error, a bad setting, a missing plugin, or a file that cannot be read or
     parsed (2 wins over 1; the other files are still linted and reported)"""

CLI = "command line"   # the source named in errors about flags

CACHE_DIR_ENV = "DLAYERLINT_CACHE_DIR"   # the result cache's folder; setting it turns the cache on

# below this many files a worker pool costs more than it saves
POOL_THRESHOLD = 16


@dataclass(frozen=True, slots=True)
class Output:
    """One requested format and where it goes (None: stdout; `-` before --output is applied)."""
    fmt: str
    path: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One file's rendered pieces (by format) and what they mean for the exit code."""
    pieces: dict[str, Any]
    failed: bool
    fails_level: bool          # a finding at or above the fail level
    over_limit: str | None     # why the file breaks --max-stranded
    findings: int = 0
    errors: tuple[str, ...] = ()   # the file's read and parse errors, as the text format prints them
    unplaced: bool = False         # not a file (no such file): stderr's, not a quickfix entry
    stored: bool = False           # just written to the result cache (the run then bounds its size)


def _build_arg(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not name or not equals:
        raise argparse.ArgumentTypeError(f"--build-arg takes NAME=VALUE, not '{text}'")
    return name, value


def _severity_override(text: str) -> tuple[str, str]:
    rule, equals, level = text.partition("=")
    if not rule or not equals or level not in SEVERITIES:
        raise argparse.ArgumentTypeError(f"--severity takes RULE={'|'.join(SEVERITIES)}, not '{text}'")
    return rule, level


def _output(text: str) -> Output:
    """FORMAT or FORMAT:FILE (`-` for stdout)."""
    fmt, colon, path = text.partition(":")
    if fmt not in FORMATS or (colon and not path):
        raise argparse.ArgumentTypeError(f"--format takes FORMAT or FORMAT:FILE with FORMAT one of "
                                         f"{', '.join(FORMATS)}, not '{text}'")
    return Output(fmt, path or None)


def _size(text: str) -> int:
    try:
        return size_limit(text, "--max-stranded", "SIZE")
    except ConfigError as error:   # argparse names the flag: the problem alone
        raise argparse.ArgumentTypeError(error.problem) from error


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"takes a number of processes, 1 or more, not '{text}' "
                                         "(leave it out for one per core)")
    return int(text)


def register(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check", help="lint Dockerfiles", epilog=EXIT_CODES,
                                # raw, to keep the exit code table: the description is wrapped here
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                description=textwrap.fill(
                                    "Lint Dockerfiles; settings come from the nearest .dlayerlint.yaml or "
                                    "pyproject.toml [tool.dlayerlint] (else $XDG_CONFIG_HOME/dlayerlint/config.yaml), "
                                    "then DLAYERLINT_* environment variables, then these flags.", 79))
    check.add_argument("files", nargs="+", metavar="DOCKERFILE",
                       help="files, glob patterns ('**/Dockerfile*', quoted) or - for stdin")
    out = check.add_argument_group("output")
    out.add_argument("--format", type=_output, action="append", default=[], metavar="FORMAT[:FILE]",
                     help=f"{', '.join(FORMATS)}; repeat for several; FILE writes that format there (default: text)")
    out.add_argument("--output", "-o", metavar="FILE",
                     help="write the format given without :FILE to FILE instead of stdout")
    out.add_argument("--layers", action="store_true", help="text: print each layer's added and stranded bytes")
    out.add_argument("--quiet", "-q", action="store_true",
                     help="text: no line for clean files, no summary on stderr (errors are still shown)")
    out.add_argument("--color", "--colour", choices=terminal.CHOICES, default="auto",
                     help="colour the text on stdout: auto (a terminal, unless NO_COLOR is set or "
                          "FORCE_COLOR is), always or never")
    gate = check.add_argument_group("thresholds and rules")
    gate.add_argument("--fail-level", choices=FAIL_LEVELS, help="lowest severity that fails the run (default: info)")
    gate.add_argument("--max-stranded", type=_size, metavar="SIZE",
                      help="fail when a file's estimated stranded bytes exceed SIZE (e.g. 10MiB)")
    gate.add_argument("--disable", action="append", default=[], metavar="RULE[,RULE]", help="turn rules off")
    gate.add_argument("--enable", action="append", default=[], metavar="RULE[,RULE]",
                      help="turn rules on (after --disable; 'all' is every rule)")
    gate.add_argument("--severity", type=_severity_override, action="append", default=[], metavar="RULE=LEVEL",
                      help="report RULE at LEVEL (error, warning or info) instead of its own severity")
    gate.add_argument("--plugin", action="append", default=[], metavar="NAME",
                      help="load the rule pack registered under NAME in entry point group dlayerlint.rules")
    gate.add_argument("--report-unused-pragmas", action="store_true", default=None,
                      help="report `# dlayerlint:` pragmas that suppress nothing (rule DLL001)")
    build = check.add_argument_group("build")
    build.add_argument("--context", metavar="DIR", help="build context (default: each Dockerfile's folder)")
    build.add_argument("--build-arg", type=_build_arg, action="append", default=[], metavar="NAME=VALUE")
    build.add_argument("--target", metavar="STAGE", help="the stage that makes the image (default: the last)")
    files = check.add_argument_group("files")
    files.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                       help="skip files whose path or any part of it matches PATTERN")
    files.add_argument("--stdin-filename", metavar="PATH",
                       help="the name of the file read from - (for messages, settings and the context)")
    files.add_argument("--config", metavar="FILE", help="use this .dlayerlint.yaml or pyproject.toml, no search")
    files.add_argument("--jobs", "-j", type=_jobs, metavar="N",
                       help="worker processes for many files (default: one per core; output order is the input order)")
    reruns = check.add_argument_group("re-runs")
    reruns.add_argument("--cache", action="store_true",
                        help="keep each file's result on disk and reuse it while the file, its settings and the "
                             "context files it reads are unchanged (also on when $DLAYERLINT_CACHE_DIR is set; "
                             "never with --fix or --diff)")
    reruns.add_argument("--cache-dir", metavar="DIR",
                        help="the cache's folder, implies --cache (default: $DLAYERLINT_CACHE_DIR, else "
                             "$XDG_CACHE_HOME/dlayerlint/results)")
    reruns.add_argument("--no-cache", action="store_true", help="no cache, whatever the environment says")
    fix_command.add_arguments(check)
    check.set_defaults(handler=run)


def _names(values: list[str]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def cli_config(args: argparse.Namespace) -> Config:
    """The flags as a Config that goes on top of each file's settings."""
    switches = tuple(Switch(name, False, CLI) for name in _names(args.disable)) + \
        tuple(Switch(name, True, CLI) for name in _names(args.enable))
    return Config(switches=switches, severity=tuple(SeverityOverride(*pair, CLI) for pair in args.severity),
                  fail_level=args.fail_level, max_stranded=args.max_stranded,
                  build_args=MappingProxyType(dict(args.build_arg)),
                  context=Path(args.context) if args.context is not None else None, target=args.target,
                  plugins=tuple(PluginRef(name, CLI) for name in args.plugin),
                  report_unused_pragmas=args.report_unused_pragmas)


def _outputs(args: argparse.Namespace) -> list[Output]:
    """The --format list with --output applied; raises UsageError when two outputs collide."""
    outputs = args.format or [Output("text", None)]
    if args.output is not None:
        if sum(output.path is None for output in outputs) > 1:
            raise UsageError("--output names one file but several --format have no :FILE")
        outputs = [Output(o.fmt, args.output) if o.path is None else o for o in outputs]
    outputs = [Output(o.fmt, None) if o.path == STDIN else o for o in outputs]
    if sum(output.path is None for output in outputs) > 1:
        raise UsageError("only one format can go to stdout: give the others a file (--format sarif:out.sarif)")
    paths = [os.path.realpath(o.path) for o in outputs if o.path is not None]
    if len(paths) != len(set(paths)):
        raise UsageError("two formats would write the same file")
    return outputs


@dataclass(slots=True)
class CheckedFile(FileResult):
    """A linted file and the build context chosen for it (the formatters show `found`)."""
    found: FoundContext | None = None


def _context(path: Path, found: FoundContext, contexts: ContextCache) -> BuildContext | None:
    """The build context: the configured one, or the one the project builds the Dockerfile with."""
    folder = found.directory
    return contexts.get(folder, dockerfile=path) if folder.is_dir() else None


def _over_limit(name: str, analysis: Analysis, limit: int | None) -> str | None:
    """An estimate or a lower bound over the limit fails; a lower bound under it passes."""
    stranded = analysis.stranded
    if limit is None or stranded is None or stranded.bytes <= limit:
        return None
    return (f"{name}: {describe(stranded)} ({stranded.bytes} B) stranded, "
            f"over the max-stranded limit of {human(limit)} ({limit} B)")


def _result_cache(args: argparse.Namespace) -> ResultCache | None:
    """The result cache the flags and $DLAYERLINT_CACHE_DIR ask for; none when a run rewrites files."""
    folder = args.cache_dir or os.environ.get(CACHE_DIR_ENV)
    if not (args.cache or folder) or args.no_cache or args.fix or args.diff:
        return None
    from .result_cache import ResultCache, default_dir  # pylint: disable=import-outside-toplevel  # only when on
    return ResultCache(Path(folder) if folder else default_dir())


class Linter:
    """Lints the files of one run; Dockerfiles of one folder share its listing."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.overrides = cli_config(args)
        self.contexts = ContextCache()
        self.finder = ContextFinder()   # the project's build files, read once per run
        self._settings_by_folder: dict[Path, Config] = {}
        self.cache = _result_cache(args)

    def _settings(self, path: Path) -> Config:
        # the Dockerfiles of a folder share their settings: searched once (a link: its target's)
        key = path if path.is_symlink() else path.parent
        config = self._settings_by_folder.get(key)
        if config is None:
            found = settings_for(path, Path(self.args.config) if self.args.config else None)
            config = self._settings_by_folder[key] = found.merged(self.overrides)
        return config

    def skips(self, name: str) -> bool:
        """Whether the file's settings exclude it. A file whose settings cannot be
        read is kept, so its check reports why; stdin is kept, as --exclude keeps it."""
        if name == STDIN:
            return False
        try:
            return self._settings(Path(name)).excludes(name)
        except ConfigError:
            return False

    def _source(self, name: str) -> tuple[Path, str]:
        """Where the file is (for settings and context) and its text."""
        if name == STDIN:
            return Path(self.args.stdin_filename or "stdin"), decode(self.args.stdin_bytes)
        return Path(name), read_dockerfile(Path(name))

    def lint_text(self, path: Path, text: str) -> Analysis:
        """`text` linted as the file at `path` (its settings and context): for rewrites."""
        config = self._settings(path)
        return _lint(text, config, _context(path, self._found(path, config, text), self.contexts))

    def _found(self, path: Path, config: Config, text: str) -> FoundContext:
        # the COPY sources are parsed only when no project file names the Dockerfile
        return self.finder.find(path, lambda: text_sources(text), config.context)

    def _job(self, name: str) -> _Job:
        """Read the file and find its settings and build context; raises what NOT_LINTED lists."""
        path, text = self._source(name)
        config = self._settings(path)
        found = self._found(path, config, text)
        return _Job(self._shown(name), path, text, config, found, _context(path, found, self.contexts))

    def _shown(self, name: str) -> str:
        return self.args.stdin_filename or name if name == STDIN else name

    def __call__(self, name: str) -> Outcome:
        try:
            job = self._job(name)
        except fix_command.NOT_LINTED as error:
            return self._outcome(name, _not_linted(self._shown(name), error), None)
        if self.cache is None:
            return self._outcome(name, *_linted(job, job.context))
        return self._cached(name, job)

    def _cached(self, name: str, job: _Job) -> Outcome:
        """The outcome the result cache holds for the job, else linted and stored there."""
        from .result_cache import RecordingContext, file_key  # pylint: disable=import-outside-toplevel
        assert self.cache is not None
        options = (self.args.formats, self.args.layers, self.args.quiet)
        key = file_key(job.shown, job.text, job.config, job.found, options)
        stored = self.cache.load(key, job.context)
        if stored is not None:
            return Outcome(*stored)
        recording = RecordingContext(job.context) if job.context is not None else None
        outcome = self._outcome(name, *_linted(job, recording))
        queries = recording.queries if recording is not None else ()
        if self.cache.store(key, job.context, queries, [getattr(outcome, f.name) for f in fields(Outcome)]):
            outcome = replace(outcome, stored=True)
        return outcome

    def _outcome(self, name: str, result: FileResult, config: Config | None) -> Outcome:
        with collector_paused():    # rendering walks the analysis's many objects too (a linear 10,000-RUN file)
            pieces = {fmt: formatter(fmt).render_file(result, self.args.layers) for fmt in self.args.formats}
        errors = tuple(error_lines(result))
        if result.analysis is None or config is None:
            # not a file at all (missing, a directory, a FIFO): nothing in it to point at
            missing = result.error is not None and name != STDIN and not os.path.isfile(name)
            return Outcome(pieces, True, False, None, errors=errors, unplaced=missing)
        level = config.effective_fail_level
        fails = level != "none" and any(
            SEVERITIES.index(f.severity) <= SEVERITIES.index(level) for f in result.analysis.findings)
        outcome = Outcome(pieces, result.failed, fails, _over_limit(result.path, result.analysis, config.max_stranded),
                          len(result.analysis.findings), errors)
        if self.args.quiet and "text" in pieces and not (outcome.findings or outcome.failed or outcome.over_limit):
            pieces["text"] = ""   # --quiet: a clean file gets no line
        return outcome


@dataclass(frozen=True, slots=True)
class _Job:
    """A file ready to lint: its name as shown, where it is, its text, settings and context."""
    shown: str
    path: Path
    text: str
    config: Config
    found: FoundContext
    context: BuildContext | None


def _linted(job: _Job, context: Any) -> tuple[FileResult, Config | None]:
    """The job linted over context (its BuildContext, or one recording what the analysis asks)."""
    try:
        return CheckedFile(job.shown, _lint(job.text, job.config, context), found=job.found), job.config
    except fix_command.NOT_LINTED as error:
        return _not_linted(job.shown, error), None


def _lint(text: str, config: Config, context: Any) -> Analysis:
    """The pipeline, imported at the first analysis: a run whose every result comes from
    the result cache does not load it."""
    from ..lint import lint  # pylint: disable=import-outside-toplevel
    return lint(text, config, context)


def _not_linted(shown: str, error: Exception) -> FileResult:
    """A file that could not be linted, and why."""
    if isinstance(error, UsageError):
        return FileResult(shown, error=str(error), error_line=error.line)
    if isinstance(error, PatternError):
        return FileResult(shown, error=f".dockerignore: {error}")
    if isinstance(error, RecursionError):
        return FileResult(shown, error="too deeply nested to analyse")
    return FileResult(shown, error=str(error))


_WORKER: list[Linter] = []   # the linter of this worker process


def _start_worker(args: argparse.Namespace) -> None:
    _WORKER.append(Linter(args))


def _lint_in_worker(names: list[str]) -> list[Outcome]:
    return [_WORKER[0](name) for name in names]


def _lint_all(args: argparse.Namespace) -> list[Outcome]:
    linter = Linter(args)
    outcomes = _lint_each(args, linter)
    if linter.cache is not None and any(outcome.stored for outcome in outcomes):
        linter.cache.prune()   # once a run, here: the workers' entries are written by now
    return outcomes


def _lint_each(args: argparse.Namespace, linter: Linter) -> list[Outcome]:
    jobs = args.jobs or _usable_cores()
    if jobs <= 1 or len(args.files) < POOL_THRESHOLD:
        return [linter(name) for name in args.files]
    # imported here: it costs ~8 ms that a single-file run should not pay
    from concurrent.futures import ProcessPoolExecutor  # pylint: disable=import-outside-toplevel
    # the first file loads the knowledge, rules and parsers, which forked workers inherit
    first, rest = linter(args.files[0]), args.files[1:]
    ranges = _ranges(rest, jobs)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(args,)) as pool:
        chunks = pool.map(_lint_in_worker, ([rest[index] for index in part] for part in ranges))
        by_start = dict(zip((part.start for part in ranges), chunks))
    return [first, *(outcome for start in sorted(by_start) for outcome in by_start[start])]


def _ranges(names: list[str], jobs: int) -> list[range]:
    """The work for the pool, as index ranges, largest first. A folder's files
    stay together (they share its context listing and repeat RUN bodies, so a
    worker does that once); a range holds at most an eighth of a worker's
    share, and the small ones at the end keep every worker busy to the end."""
    limit = max(1, len(names) // (jobs * 8))
    ranges: list[range] = []
    start = 0
    for index in range(1, len(names) + 1):
        if index == len(names) or index - start >= limit \
                or os.path.dirname(names[index]) != os.path.dirname(names[start]):
            ranges.append(range(start, index))
            start = index
    return sorted(ranges, key=len, reverse=True)


def _is(path: str, kind: Callable[[Path], bool]) -> bool:
    """Path.is_dir/is_file, False (not an exception) for a path we may not even stat."""
    try:
        return kind(Path(path))
    except OSError:
        return False


def _usable_cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than the
    machine has, and a pool sized from os.cpu_count() then only competes with itself)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):   # no affinity API (macOS)
        return os.cpu_count() or 1


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.context is not None and not _is(args.context, Path.is_dir):
        return f"--context {args.context}: not a directory (or not one we may read)"
    if args.files.count(STDIN) > 1:
        return "- (stdin) can be given once"
    if args.stdin_filename is not None and STDIN not in args.files:
        return "--stdin-filename names the file read from -: give - too"
    if args.config is not None and not _is(args.config, Path.is_file):
        return f"--config {args.config}: no such file"
    return None


def _write(outputs: list[Output], outcomes: list[Outcome], colour: bool) -> bool:
    """Each format to its destination; False when a file cannot be written."""
    for output in outputs:
        text = formatter(output.fmt).combine([outcome.pieces[output.fmt] for outcome in outcomes])
        if output.path is None:
            sys.stdout.write(terminal.colourise(text) if colour and output.fmt == "text" else text)
            continue
        try:
            Path(output.path).parent.mkdir(parents=True, exist_ok=True)
            Path(output.path).write_text(text, encoding="utf-8")
        except OSError as error:
            print(f"dlayerlint: cannot write {output.path}: {error.strerror}", file=sys.stderr)
            return False
    return True


def run(args: argparse.Namespace) -> int:
    try:
        outputs = _outputs(args)
    except UsageError as error:
        print(f"dlayerlint: {error}", file=sys.stderr)
        return EXIT_ERROR
    problem = _usage_problem(args)
    if problem is not None:
        print(f"dlayerlint: {problem}", file=sys.stderr)
        return EXIT_ERROR
    args.formats = list(dict.fromkeys(output.fmt for output in outputs))
    args.files = expand(args.files, args.exclude)
    # read here, not in a worker process
    args.stdin_bytes = sys.stdin.buffer.read(MAX_DOCKERFILE_BYTES + 1) if STDIN in args.files else b""
    if len(args.stdin_bytes) > MAX_DOCKERFILE_BYTES:   # `check - </dev/zero` must end
        print(f"dlayerlint: -: more than {MAX_DOCKERFILE_BYTES:,} bytes on stdin (a Dockerfile has at most that)",
              file=sys.stderr)
        return EXIT_ERROR
    if not args.files:
        print("dlayerlint: every file is excluded", file=sys.stderr)
        return EXIT_ERROR
    linter = Linter(args)
    args.files = [name for name in args.files if not linter.skips(name)]
    if not args.files:
        # not an error: a hook (pre-commit) passes only the changed files, and the config may skip them all
        print("dlayerlint: every file is excluded by its config file's `exclude`", file=sys.stderr)
    fixed = fix_command.run(args, linter.lint_text)
    if fixed is not None:
        return fixed
    outcomes = _lint_all(args)   # a new Linter: --fix may have changed the files its contexts list
    if Output("text", None) in outputs:
        _unplaced_to_stderr(outcomes)
    written = _write(outputs, outcomes, terminal.use_colour(args.color, sys.stdout))
    for outcome in outcomes:
        if outcome.over_limit:
            print(f"dlayerlint: {outcome.over_limit}", file=sys.stderr)
    if not written or any(outcome.failed for outcome in outcomes):
        code = EXIT_ERROR
    else:
        code = EXIT_FINDINGS if any(o.fails_level or o.over_limit for o in outcomes) else EXIT_CLEAN
    if Output("text", None) not in outputs:
        _stderr_summary(outcomes, code, args.quiet)
    return code


def _unplaced_to_stderr(outcomes: list[Outcome]) -> None:
    """Text on stdout keeps what has a place in a file (findings, parse errors): a file that
    cannot be read at all (no such file, a directory) is said on stderr, as compilers do."""
    for outcome in outcomes:
        if outcome.unplaced:
            print(*outcome.errors, sep="\n", file=sys.stderr)
            outcome.pieces["text"] = ""


def _stderr_summary(outcomes: list[Outcome], code: int, quiet: bool) -> None:
    """When no text goes to stdout (a run writing SARIF to a file, JSON to a pipe), the
    errors and a one-line summary go to stderr, so a failing run never looks silent."""
    for outcome in outcomes:
        for line in outcome.errors:
            print(line, file=sys.stderr)
    if quiet:
        return
    findings, errors = sum(o.findings for o in outcomes), sum(bool(o.errors) for o in outcomes)
    print(f"dlayerlint: {len(outcomes)} file{'s' if len(outcomes) != 1 else ''}, {findings} "
          f"finding{'s' if findings != 1 else ''}, {errors} with errors (exit {code})", file=sys.stderr)
