"""One document's analysis for the language server, independent of the
protocol so the benchmark can time exactly what an edit costs.

The text is what the editor holds (saved or not). Settings are the
Dockerfile's config file (`settings_for`, as `dlayerlint check` finds it)
with the editor's settings on top; the build context is the configured one
or the one the project builds the file with (simulate.context.discover, as
`check` finds it), listed once and reused until the server starts a new
`ContextCache` (on open and save), so a keystroke does not walk it again.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path

from ..lint import UnknownTarget, lint
from ..config import Config, ConfigError, settings_for
from ..simulate.context.build import BuildContext, ContextCache
from ..simulate.context.discover import ContextFinder, text_sources
from ..simulate.context.dockerignore import PatternError
from ..simulate.analysis import Analysis
from ..rules.plugins import PluginError


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the document could not be (fully) analysed; line is 1-based."""
    message: str
    line: int = 1


@dataclass(slots=True)
class Lint:
    analysis: Analysis | None
    problems: list[Problem] = field(default_factory=list)


def _settings(path: Path | None, editor: Config, problems: list[Problem]) -> Config:
    if path is None:
        return editor
    try:
        return settings_for(path).merged(editor)   # the project (or user) file and DLAYERLINT_*
    except ConfigError as error:
        problems.append(Problem(f"{error} (the file's settings are ignored)"))
        return editor


# the finder of the server's current ContextCache: project build files are read again when
# the server starts a new cache (open, save), as the context listing is
_FINDER: list[tuple[ContextCache, ContextFinder]] = []


def _finder(contexts: ContextCache) -> ContextFinder:
    if not _FINDER or _FINDER[0][0] is not contexts:
        _FINDER[:] = [(contexts, ContextFinder())]
    return _FINDER[0][1]


def _context(path: Path | None, config: Config, contexts: ContextCache,
             problems: list[Problem], text: str = "") -> BuildContext | None:
    """The configured context, else the one the project builds the file with (as `check` finds it)."""
    folder = config.context
    if path is not None:
        folder = _finder(contexts).find(path, lambda: text_sources(text), config.context).directory
    if folder is None:
        return None
    if not folder.is_dir():
        problems.append(Problem(f"build context {folder}: not a directory (COPY sizes unknown)"))
        return None
    try:
        return contexts.get(folder, path)
    except PatternError as error:
        problems.append(Problem(f".dockerignore: {error} (COPY sizes unknown)"))
        return None


def lint_document(text: str, path: Path | None, editor: Config, contexts: ContextCache) -> Lint:
    """Analyse `text`, the Dockerfile at `path` (None when never saved).

    Never raises: what goes wrong becomes a Problem the editor shows."""
    problems: list[Problem] = []
    config = _settings(path, editor, problems)
    if path is not None and config.excludes(str(path)):
        return Lint(None, problems)   # as `dlayerlint check` skips it: no diagnostics
    context = _context(path, config, contexts, problems, text)
    try:
        return Lint(lint(text, config, context), problems)
    except (ConfigError, PluginError, UnknownTarget) as error:
        return Lint(None, problems + [Problem(str(error))])
    except RecursionError:
        return Lint(None, problems + [Problem("too deeply nested to analyse")])
    except Exception:  # pylint: disable=broad-exception-caught  # a bug must not take the editor's linting down
        detail = traceback.format_exc().strip().splitlines()[-1]
        return Lint(None, problems + [Problem(f"dlayerlint failed on this file (a bug, please report): {detail}")])
