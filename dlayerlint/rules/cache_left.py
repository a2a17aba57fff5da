"""DLL105: a package-manager cache or index that ships in the final image."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..simulate.analysis import Analysis
from ..core.results import Finding, Related
from ..simulate.fs import Version
from ..core.sizes import describe, estimated
from ..simulate.knowledge import Cache, knowledge
from .catalogue import rules
from .common import amount, display_path


@dataclass(frozen=True, slots=True)
class LeftCache:
    """A DLL105 finding's evidence: the cache, and the version of it that ships."""
    cache: Cache
    version: Version


def check(analysis: Analysis) -> Iterator[Finding]:
    if analysis.target is None:
        return
    caches = analysis.knowledge.caches
    rule = rules()["DLL105"]
    for node in analysis.target.fs.root.walk():
        version = node.version
        if version is None:
            continue
        for tag in sorted(version.tags):
            cache = caches.get(tag.removeprefix("cache:")) if tag.startswith("cache:") else None
            if cache is None:
                continue
            fields = {"command": version.origin.text, "what": cache.what, "path": display_path(version.path),
                      "bytes": amount(version.size), "clean": cache.clean, "source": cache.source}
            yield Finding(rule=rule, span=version.origin.span, message=rule.message.format(**fields),
                          paths=[display_path(version.path)], wasted=version.size,
                          related=[Related(version.origin.span, f"{cache.what} filled here")],
                          size_source=cache.source,
                          layers=(version.layer,), evidence=LeftCache(cache, version))


def size_sources() -> str:
    """For `explain DLL104/DLL105`: each cache's typical size and where the figure comes from
    (the findings leave the source out of the text output: one file printed it seven times)."""
    lines = ["", "Cache sizes and their sources:"]
    for cache in knowledge().caches.values():
        sizes = ", ".join(f"{family} {describe(estimated(size)) if size is not None else 'unknown'}"
                          for family, size in cache.sizes.items())
        lines.append(f"  {cache.what} ({cache.path}): {sizes}; {cache.source}")
    return "\n".join(lines) + "\n"
