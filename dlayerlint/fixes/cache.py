"""A cache left in the image (DLL105): clean it in the RUN that made it.

With a `# syntax=` line (BuildKit) the RUN gets `--mount=type=cache,target=DIR`
so the cache never reaches a layer; otherwise the manager's clean command is
appended (`&& rm -rf /var/lib/apt/lists/*`) or its no-cache option inserted
(`pip install --no-cache-dir`). Either way the cache is no longer in the final
filesystem, and a later step that relied on it (`apt-get install` without
`update`) would fail, so the fix is always unsafe.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from collections.abc import Callable, Iterator

from ..rules.cache_left import LeftCache
from ..rules.common import display_path
from ..simulate.analysis import Analysis
from ..core.results import Finding, Fix
from ..simulate.knowledge import Cache
from ..dockerfile.model import Dockerfile, Instruction
from ..simulate.fs import Origin, Version
from .merge import merge_runs
from .source import (PLAIN, NoFix, appended, editable_run, named_places, source_lines, stage_of, uses_buildkit,
                     with_flag)

UNSAFE = "unsafe: the cache leaves the image; a later step that reads it would fail"


def offers(analysis: Analysis, findings: list[Finding]) -> Iterator[tuple[list[Finding], Callable[[], Fix]]]:
    for finding in findings:
        left = finding.evidence
        if isinstance(left, LeftCache):
            yield [finding], lambda c=left.cache, o=left.version.origin: cache_fix(analysis, c, o)


def cache_fix(analysis: Analysis, cache: Cache | None, origin: Origin | None) -> Fix:
    if cache is None or origin is None:
        raise NoFix("the cache's origin is not known")
    dockerfile = analysis.dockerfile
    run = editable_run(dockerfile, origin.layer, "the cache is made by")
    directory = _directory(analysis, run, cache)
    if uses_buildkit(dockerfile):
        lines = with_flag(dockerfile, run, f"--mount=type=cache,target={directory}")
        description = f"keep {cache.what} in a BuildKit cache mount instead of the image; {UNSAFE}"
    elif cache.clean.endswith("..."):
        lines = _with_option(dockerfile, run, origin, cache.clean)
        description = f"`{cache.clean.removesuffix(' ...')}` leaves no {cache.what}; {UNSAFE}"
    else:
        clean = cache.clean.replace("${PM_NAME}", posixpath.basename(directory))
        _nothing_older_removed(analysis, run, cache)
        readers = sorted(set(_later_readers(analysis, run, cache)) | set(_naming(analysis, run, directory)))
        if readers:
            return _merged_with_readers(analysis, run, readers[-1], cache, clean)
        lines = appended(dockerfile, run, clean)
        description = f"clean {cache.what} in the RUN that made it (`{clean}`); {UNSAFE}"
    return Fix(run.line, run.end_line, "\n".join(lines), safe=False, description=description)


def _later_readers(analysis: Analysis, run: Instruction, cache: Cache) -> list[int]:
    """Instructions after run that need the cache it filled (`apt-get install` reads the
    lists an earlier `apt-get update` fetched), before the next layer that fills it again."""
    target = analysis.target
    if target is None:
        return []
    refills = [layer for layer, versions in target.fs.layer_versions.items()
               if layer > run.index and any(f"cache:{cache.key}" in v.tags for v in versions)]
    until = min(refills, default=len(analysis.dockerfile.instructions))
    return sorted({origin.layer for key, origin in target.facts.reads
                   if key == cache.key and run.index < origin.layer < until})


def _naming(analysis: Analysis, run: Instruction, directory: str) -> list[int]:
    """Later RUNs of the stage that name the cache's folder (`ls /root/.npm`, `cp -r
    /root/.cache/pip/wheels …`): whatever they do with it, they would not find it cleaned."""
    stage = stage_of(analysis.dockerfile, run)
    return [i.index for i in stage.instructions
            if i.index > run.index and i.keyword == "RUN" and directory in named_places(i.arguments)] if stage else []


def _merged_with_readers(analysis: Analysis, run: Instruction, last: int, cache: Cache, clean: str) -> Fix:
    """Cleaning in the filling RUN would break a later step that reads the cache: merge that
    RUN with every reader instead, and clean at the end (what people write by hand:
    `apt-get update && apt-get install … && rm -rf /var/lib/apt/lists/*`)."""
    instructions = analysis.dockerfile.instructions[run.index:last + 1]
    fix = merge_runs(analysis.dockerfile, instructions, then=clean)
    readers = ", ".join(str(i.line) for i in instructions[1:] if i.keyword == "RUN")
    return replace(fix, safe=False, description=f"{fix.description}, then clean {cache.what} (`{clean}`): "
                                                 f"line {readers} reads it, so it cannot be cleaned earlier; {UNSAFE}")


def _directory(analysis: Analysis, run: Instruction, cache: Cache) -> str:
    """The cache's directory, as the RUN's environment expands it."""
    for path in (display_path(v.path) for v in analysis.target.fs.layer_versions.get(run.index, ())
                 if cache.key in {t.removeprefix("cache:") for t in v.tags}) if analysis.target else ():
        directory = path.removesuffix("/*")
        if PLAIN.match(directory) and directory.startswith("/"):
            return directory
    raise NoFix(f"the directory of {cache.what} is not known")


def _nothing_older_removed(analysis: Analysis, run: Instruction, cache: Cache) -> None:
    """NoFix when the clean-up would also remove the same cache made by an earlier
    layer that still ships it: that would strand its bytes, not save them. Once
    that layer cleans up after itself (the same --fix run, a round earlier), this
    one can."""
    fs = analysis.target.fs if analysis.target else None
    for layer, versions in fs.layer_versions.items() if fs else ():
        if layer < run.index and any(_live_cache(version, cache.key) for version in versions):
            line = analysis.dockerfile.instructions[layer].line
            raise NoFix(f"the clean-up would strand the {cache.what} made on line {line}: clean them there first")


def _live_cache(version: Version, key: str) -> bool:
    return not version.dropped and version.stranded_by is None and f"cache:{key}" in version.tags


def _with_option(dockerfile: Dockerfile, run: Instruction, origin: Origin, clean: str) -> list[str]:
    """The RUN with the manager's no-cache option after the command's subcommand."""
    words = clean.split()
    subcommand, option = words[1], words[2]
    start = origin.span.start
    lines = source_lines(dockerfile, run)
    line = lines[start.line - run.line]
    match = re.compile(rf"\s{re.escape(subcommand)}(?=\s|$)").search(line, start.column - 1)
    if match is None or match.start() > origin.span.end.column and origin.span.end.line == start.line:
        raise NoFix(f"`{subcommand}` is not on the line where `{origin.text}` starts")
    lines[start.line - run.line] = f"{line[:match.end()]} {option}{line[match.end():]}"
    return lines
