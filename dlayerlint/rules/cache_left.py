"""DLL105: a package-manager cache or index that ships in the final image."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..simulate.analysis import Analysis
from ..core.results import Finding, Related
from ..simulate.fs import Version
from ..simulate.knowledge import Cache
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
                          related=[Related(version.origin.span, f"{cache.what}: {cache.source}")],
                          layers=(version.layer,), evidence=LeftCache(cache, version))
