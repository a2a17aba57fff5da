"""Bytes a later layer strands in an earlier one.

Every stranded version is charged to exactly one rule, so the findings' bytes
add up to the image's stranded total. The most specific reading wins:
a secret (DLL108), a package-manager cache (DLL104), a COPY then chmod/chown
(DLL103), an archive (DLL106), then plain removal (DLL101) or modification
and moves (DLL102).
"""
from __future__ import annotations

from collections.abc import Iterator

from ..simulate.analysis import Analysis
from ..core.results import Finding, Related
from .catalogue import rules
from ..simulate.effects.apt_layer import DATABASES, PURGE
from ..simulate.fs import Event, Version
from ..simulate.sweeps import Summary, SweepEvent
from ..simulate.knowledge import Cache
from ..dockerfile.model import Instruction
from ..core.sizes import ZERO, total
from .common import (amount, counted_lines, counted_paths, display_path, layers_phrase, lines_phrase,
                     list_paths)

METADATA_COMMANDS = frozenset({"chmod", "chown", "chgrp", "setfacl"})
MAX_COPIES = 8   # copy-ups of one version a finding lists
MAX_LISTED = 20   # paths and related entries a finding lists (its message counts them all)


def rule_for(version: Version, event: Event, made_by: Instruction) -> str:
    by_what = _rule_by_what(version, event)
    if by_what is not None:
        return by_what
    if event.action == "modify":
        leading = [word.rsplit("/", 1)[-1] for word in event.origin.text.split(" ", 3)[:3]]   # `sudo chmod …`
        copied = made_by.keyword in ("COPY", "ADD") and not METADATA_COMMANDS.isdisjoint(leading)
        return "DLL103" if copied else "DLL102"
    if "archive" in version.tags:
        return "DLL106"
    return "DLL101" if event.action == "remove" else "DLL102"


def _rule_by_what(version: Version, event: Event) -> str | None:
    """The rules a path's kind decides, whatever happened to it."""
    if version.path == DATABASES:   # every apt layer rewrites them: small, often unavoidable, its own rule
        return "DLL111"
    if "secret" in version.tags and event.action != "modify":
        return "DLL108"
    if any(tag.startswith("cache:") for tag in version.tags):
        return "DLL104"
    return None


LIKELY = "likely"   # the tag provenance puts on a path no command named


def _caches(versions: list[Version], caches: dict[str, Cache]) -> list[Cache]:
    found = {tag[6:] for v in versions for tag in v.tags if tag.startswith("cache:")}
    return [caches[name] for name in sorted(found) if name in caches]


def _cache_what(versions: list[Version], caches: dict[str, Cache]) -> str:
    return ", ".join(sorted({cache.what for cache in _caches(versions, caches)})) or "a cache"


def _size_source(versions: list[Version], caches: dict[str, Cache]) -> str | None:
    """Where a cache's estimated bytes come from (JSON `size_source`; `explain DLL104` lists them all)."""
    return "; ".join(dict.fromkeys(cache.source for cache in _caches(versions, caches))) or None


def _finding(rule_id: str, event: Event, versions: list[Version], analysis: Analysis,
             instructions: list[Instruction]) -> Finding:
    made = [v.first for v in versions]
    lines: dict[int, int] = {}   # id(origin) → its line: one Origin serves every path its command touched
    chains = [_unique_origins(_copies(v), lines) for v in versions]
    copy_lines = {_line(c, lines) for chain in chains for c in chain}
    unlisted = max(v.copies for v in versions) - MAX_COPIES
    fields = {
        "command": event.origin.text,
        "paths": list_paths(v.path for v in versions),
        "made_on": _made_on(made),
        "copies": f" and copied again on {lines_phrase(copy_lines)}"
                  f"{f' (and {unlisted} earlier copies)' if unlisted > 0 else ''}" if copy_lines else "",
        "bytes": amount(total(v.size for v in versions)),
        "layers": layers_phrase(instructions[v.layer].line for v in versions),
        "what": _cache_what(versions, analysis.knowledge.caches),
    }
    rule = rules()[rule_id]
    related = _related(made, chains, lines)
    paths = sorted({display_path(v.path) for v in versions})
    return Finding(rule=rule, span=event.origin.span, message=rule.message.format(**fields),
                   paths=paths[:MAX_LISTED], wasted=total(v.size for v in versions),
                   related=related, layers=tuple(sorted({m.layer for m in made} | {event.origin.layer})),
                   certainty="likely" if any(LIKELY in m.tags for m in made) else "certain",
                   size_source=_size_source(versions, analysis.knowledge.caches))


def _swept_finding(event: Event, summary: Summary, instructions: list[Instruction]) -> Finding:
    """DLL102 for the copies a lazily swept folder's previous sweep made (simulate/sweeps.py):
    from the running totals, the same capped lists; the 'copied again' lines are the sweeps'."""
    unlisted = summary.max_copies - len(summary.copied)
    copies = lines_phrase(origin.span.start.line for origin in summary.copied)
    fields = {
        "command": event.origin.text,
        "paths": counted_paths([display_path(p) for p in summary.paths], summary.count),
        "made_on": counted_lines([line for line, _, _ in summary.made], summary.last_made_line,
                                 summary.made_line_count),
        "copies": f" and copied again on {copies}{f' (and {unlisted} earlier copies)' if unlisted > 0 else ''}",
        "bytes": amount(summary.size),
        "layers": layers_phrase([instructions[summary.layer].line]),
        "what": "a cache",
    }
    rule = rules()["DLL102"]
    related = [Related(origin.span, f"{display_path(path)} made here") for _, origin, path in summary.made]
    if summary.made_line_count > len(related):
        related.append(Related(related[-1].span,
                               f"and {summary.made_line_count - len(related)} more places not listed"))
    return Finding(rule=rule, span=event.origin.span, message=rule.message.format(**fields),
                   paths=[display_path(p) for p in summary.paths], wasted=summary.size, related=related,
                   layers=tuple(sorted({*summary.made_layers, event.origin.layer})), certainty="certain")


def _related(made: list[Version], chains: list[list[Version]], lines: dict[int, int]) -> list[Related]:
    """The 'made here' entries, then each version's 'copied again here' ones (`chains`,
    one copy per line): the first MAX_LISTED, then one entry counting the rest (a chmod -R
    of every earlier layer's files would otherwise list them all in each of its findings)."""
    makers = _unique_origins(made, lines)
    related = [Related(m.origin.span, f"{display_path(m.path)} made here") for m in makers[:MAX_LISTED]]
    unlisted = len(makers) - len(related)
    for copies in chains:
        room = max(MAX_LISTED - len(related), 0)
        related += [Related(c.origin.span, "copied again here") for c in copies[:room]]
        unlisted += max(len(copies) - room, 0)
    if unlisted:
        related.append(Related(related[-1].span, f"and {unlisted} more places not listed"))
    return related


def _made_on(made: list[Version]) -> str:
    """'line 4', or for paths no command named 'line 4 (most likely by `git clone …`)'."""
    phrase = lines_phrase(m.origin.span.start.line for m in made)
    makers = sorted({m.origin.text for m in made if LIKELY in m.tags})
    return f"{phrase} (most likely by `{'`, `'.join(makers)}`)" if makers else phrase


def _copies(version: Version) -> list[Version]:
    """The copy-ups between a version's creation and itself, itself included;
    the latest MAX_COPIES only, or a file appended to in every layer would
    list every earlier layer in every finding (quadratic)."""
    chain = []
    while version.previous is not None and len(chain) < MAX_COPIES:
        chain.append(version)
        version = version.previous
    return chain


def _line(version: Version, lines: dict[int, int]) -> int:
    """The version's origin line, looked up once per Origin (a span is three attribute hops)."""
    line = lines.get(id(version.origin))
    if line is None:
        line = lines[id(version.origin)] = version.origin.span.start.line
    return line


def _unique_origins(versions: list[Version], lines: dict[int, int]) -> list[Version]:
    seen: dict[int, Version] = {}
    for version in versions:
        seen.setdefault(_line(version, lines), version)
    return [seen[line] for line in sorted(seen)]


def check(analysis: Analysis) -> Iterator[Finding]:
    if analysis.target is None:
        return
    instructions = analysis.dockerfile.instructions
    for event in analysis.target.fs.events:
        if event.action == PURGE:   # DLL107 charges what apt's removals strand (purged_later.py)
            continue
        if isinstance(event, SweepEvent):
            if event.summary is not None and event.summary.size != ZERO:
                yield _swept_finding(event, event.summary, instructions)
            continue
        by_rule: dict[str, list[Version]] = {}
        for version in event.stranded:
            if version.dropped:
                continue
            by_rule.setdefault(rule_for(version, event, instructions[version.layer]), []).append(version)
        for rule_id, versions in sorted(by_rule.items()):
            if total(v.size for v in versions) != ZERO:   # empty files and links strand nothing
                yield _finding(rule_id, event, versions, analysis, instructions)
