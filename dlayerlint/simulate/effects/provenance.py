"""Who made a path no command named: the unnamed writes of earlier layers.

A `tar -x -C /opt`, a `git clone`, a COPY from a context we cannot see or a package install
writes files the Dockerfile never names. When a later layer names one of them (`chmod +x
/src/run.sh` after a clone into /src, `sed -i /etc/owncloud/config.php` after `yum install
owncloud`), the path is materialised as the maker's, of unknown size and tagged `likely`,
so the usual copy-up, whiteout and move rules strand it. The base image's layout
(`rules/bases.yaml`) keeps us from claiming the base's own files.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # annotations only: the runner imports this module
    from ..bases import BaseLayout
    from ..fs import Origin, SymbolicFS, Version
    from .packages import StageFacts

# where a package puts its files, by its name: /etc/nginx, /usr/share/nginx, /var/lib/mysql ...
PACKAGE_ROOTS = ("etc", "usr/share", "usr/lib", "var/lib", "var/log", "var/cache", "opt", "usr/local")
GENERIC_TOKENS = frozenset({"server", "client", "common", "dev", "lib", "libs", "utils", "tools", "bin", "core",
                            "data", "full", "base", "doc", "docs", "devel", "headless", "minimal", "extra"})
# managers whose packages put files in /etc, /usr and /var (pip's and npm's do not)
SYSTEM_MANAGERS = frozenset({"apt-get", "apt", "aptitude", "dpkg", "yum", "dnf", "microdnf", "tdnf", "apk",
                             "zypper", "rpm", "pacman"})
CONTENTS_RELEASE = "bookworm"   # the release whose Contents the data always holds
WEB_SERVERS = ("apache2", "httpd", "nginx", "lighttpd")   # the packages that make /var/www
_TOKEN = re.compile(r"[a-z][a-z0-9]*")


def likely_maker(fs: SymbolicFS, facts: StageFacts, path: str, before: int, removing: bool = False,
                 writing: bool = False) -> Version | Origin | None:
    """What most likely made a path no command named, before layer `before`: an earlier
    layer's unnamed contents over it (a BLOB), else an earlier package install. Changing a
    path shows it exists; writing one (COPY, `>`) may create it, so a write claims only a
    file a package surely ships: Debian's Contents say so, or it is the package's main
    configuration (/etc/nginx/nginx.conf, /etc/supervisord.conf)."""
    if writing:
        return package_maker(facts, path, before, main_config_only=True)
    blob = fs.blob_over(path, before)
    if blob is not None and blob_is_claimable(blob, path, facts.layout, removing):
        return blob
    return package_maker(facts, path, before)


def blob_is_claimable(blob: Version, path: str, layout: BaseLayout | None, removing: bool = False) -> bool:
    """A BLOB's unnamed contents may include path unless the base may hold path itself. A
    clone's target was empty before it, so whatever lies under it is the clone's; what a
    later chmod or mv names under an unseen COPY is that COPY's unless the base surely has
    it (a removal there claims only what the base cannot hold)."""
    if layout is None or layout.known_to_hold(path):
        return False
    if "clone" in blob.tags or ("copied" in blob.tags and not removing):
        return True
    return not layout.may_hold(path)


def package_maker(facts: StageFacts, path: str, before: int, main_config_only: bool = False) -> Origin | None:
    """The earlier install that most likely made path: the package that owns it in Debian's
    Contents, else a package whose name the path's folder carries (/etc/nginx, nginx)."""
    layout = facts.layout
    component = _component(path)
    if component is None or (layout is not None and layout.known_to_hold(path)):
        return None   # checked first: it is cheap, and most paths a RUN writes (/tmp, /app) stop here
    # an origin's text is resolved lazily (its span mapping is costly): only for paths that may be a package's
    installed = {name: origin for name, origin in facts.packages.items()
                 if origin.layer < before and not SYSTEM_MANAGERS.isdisjoint(origin.text.split())}
    if not installed:
        return None
    owner = _debian_owner(layout, path)
    if owner is not None:   # Debian ships the file: the install that named it, or one of its dependencies
        named = [origin for name, origin in installed.items() if name == owner or _names_folder(name, owner)]
        return max(named or installed.values(), key=lambda o: o.layer)
    if main_config_only and not _main_config(path, component):
        return None
    matches = [origin for name, origin in installed.items()
               if any(_names_folder(name, folder) for folder in _folders(path, component))]
    return max(matches, key=lambda o: o.layer) if matches else None


def _folders(path: str, component: str) -> list[str]:
    """The names a package may give its files' folders: the one after /etc, /usr/share ...,
    one inside Python's site-packages (ambari_agent), and the web root's servers."""
    folders = [component]
    parts = path.strip("/").split("/")
    for marker in ("site-packages", "dist-packages", "node_modules"):
        if marker in parts[:-1]:
            folders.append(parts[parts.index(marker) + 1].lower())
    if path in ("/var/www", "/var/www/html") or path.startswith("/var/www/html/"):   # the default web root
        folders += list(WEB_SERVERS)
    return folders


def _main_config(path: str, component: str) -> bool:
    """/etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg, /etc/supervisord.conf: the file a
    package ships under its own name."""
    parts = path.strip("/").split("/")
    stem = parts[-1].split(".", 1)[0]
    folder = component.split(".", 1)[0]
    return parts[0] == "etc" and len(parts) <= 3 and parts[-1].endswith((".conf", ".cfg", ".ini")) \
        and (stem == folder or stem.startswith(folder) or folder.startswith(stem))


def _component(path: str) -> str | None:
    """The folder (or file) a package would name after itself: nginx in /etc/nginx/nginx.conf."""
    if path == "/var/www" or path.startswith("/var/www/"):
        return "www"
    relative = path.lstrip("/")
    for root in PACKAGE_ROOTS:
        if relative.startswith(root + "/"):
            rest = relative[len(root) + 1:].split("/", 1)[0]
            return rest.lower() or None
    return None


def _names_folder(package: str, component: str) -> bool:
    """openssh-server names ssh, php7.4-fpm names php, sudo names sudoers, mysql-server mysql,
    supervisor supervisord.conf, mumble-server mumble-server.ini."""
    stem = component.split(".", 1)[0]
    for token in _TOKEN.findall(package.lower()):
        if token in GENERIC_TOKENS or len(token) < 3:
            continue
        if token == stem or (len(stem) >= 3 and (token.endswith(stem) or stem.startswith(token))):
            return True
        if len(stem) >= 4 and token.startswith(stem):   # locales names locale.gen
            return True
    return False


def _debian_owner(layout: BaseLayout | None, path: str) -> str | None:
    """Debian's Contents owner of path, for Debian and Ubuntu bases (None elsewhere); a release
    the data holds no Contents for (jessie, Ubuntu 14.04) is looked up in bookworm's."""
    if layout is None or layout.family not in ("debian", "ubuntu") or not path.startswith("/etc/"):
        return None
    from .. import apt  # pylint: disable=import-outside-toplevel  # the package data loads only for files that need it
    base = apt.base_set(layout.image)
    # a release the data holds no Contents for (older ones, or trixie's, not fetched): where a
    # package puts its /etc files rarely changes, so bookworm's say
    releases = dict.fromkeys(([base.release] if base is not None else []) + [CONTENTS_RELEASE])
    return next((owner for release in releases if (owner := apt.owner(apt.index(release), path))), None)
