"""What a base image holds (`rules/bases.yaml`), so a path a RUN names can be told apart from
the base's own files. A path the base cannot hold was made by this Dockerfile, even when no
command named it: that is how a `chmod` of a file a `tar -x` or a `git clone` made is found."""
from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any



@dataclass(frozen=True, slots=True)
class BaseLayout:
    image: str
    family: str
    top: frozenset[str]          # top-level directories of the base's root
    empty: tuple[str, ...]       # directories it leaves empty
    etc: frozenset[str] | None   # the entries of /etc, when listed
    holds: tuple[str, ...]       # what an official image adds on top of its family
    source: str
    # /etc entries every Linux base has (Debian's minbase listing): a base we know nothing of
    # still has an /etc/fstab, so no unnamed write of this Dockerfile made it
    common_etc: frozenset[str] = frozenset()
    anything: bool = False       # no data on this base: it may hold any path
    workdir: str = "/"           # the base's WORKDIR (php's is /var/www/html)

    def may_hold(self, path: str) -> bool:
        """False only when the data shows the base cannot have a file at path."""
        if self.anything or _under(path, self.holds):
            return True
        if _under(path, self.empty):
            return False
        parts = path.strip("/").split("/")
        if not parts[0]:
            return True
        if parts[0] not in self.top:
            return False
        if self.etc is not None and parts[0] == "etc" and len(parts) > 1:
            return parts[1] in self.etc
        return True


    def has_dir(self, path: str) -> bool:
        """Whether path is one of the base's standard folders (`COPY app.tgz /opt` copies into it)."""
        if self.anything:
            return False
        normal = "/" + path.strip("/")
        return normal.strip("/") in self.top or normal in self.empty or normal in STANDARD_DIRS

    def known_to_hold(self, path: str) -> bool:
        """True when the data shows the base has path: an official image's own tree (FROM
        nginx: /etc/nginx), or an /etc entry of the listing."""
        if _under(path, self.holds):
            return True
        parts = path.strip("/").split("/")
        listed = self.etc if self.etc is not None else self.common_etc
        return len(parts) > 1 and parts[0] == "etc" and parts[1] in listed


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


# folders every Linux base with a /usr has (the Filesystem Hierarchy's)
STANDARD_DIRS = frozenset({"/usr/bin", "/usr/sbin", "/usr/lib", "/usr/share", "/usr/local/bin", "/usr/local/sbin",
                           "/usr/local/lib", "/usr/local/share", "/var/lib", "/var/log", "/var/cache", "/var/tmp"})
UBUNTU_TAGS = ("focal", "jammy", "noble", "bionic", "xenial", "trusty")   # official images' Ubuntu variants


def layout_for(data: Mapping[str, Any], image: str, family: str) -> BaseLayout:
    """The layout of a FROM image (`family` as the knowledge names it); one that may hold
    anything (`anything`) when the data knows nothing of it."""
    name, _, tag = image.rsplit("/", 1)[-1].lower().partition(":")
    name = name.split("@", 1)[0]
    entry = next((item for item in data.get("images", ()) if fnmatch.fnmatchcase(name, item["match"])), None)
    if entry is not None and family == "unknown":
        family = "alpine" if "alpine" in tag else "ubuntu" if tag.startswith(UBUNTU_TAGS) else "debian"
    families = data.get("families", {})
    common = frozenset(families.get("debian", {}).get("etc", ()))
    known = families.get(family)
    if known is None:
        return BaseLayout(image, "unknown", frozenset(), (), None, (), "no data on this base: it may hold anything",
                          common, anything=True)
    holds = tuple(entry["holds"]) if entry is not None else ()
    source = known["source"] + (f"; {entry['source']}" if entry is not None else "")
    etc = frozenset(known["etc"]) if "etc" in known else None
    workdir = entry.get("workdir", "/") if entry is not None else "/"
    return BaseLayout(image, family, frozenset(known["top"]), tuple(known["empty"]), etc, holds,
                      " ".join(source.split()), common, workdir=workdir)
