"""`dlayerlint install-docker-plugin`: link the `docker-layerlint` executable
(dlayerlint/docker_plugin.py) into the docker client's plugin folder. Kept
apart from the plugin itself, which runs the CLI, so the CLI can import this."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import sysconfig
from pathlib import Path

NAME = "layerlint"
EXECUTABLE = f"docker-{NAME}" + (".exe" if sys.platform == "win32" else "")


def plugin_folder() -> Path:
    """Where the docker client looks for a user's plugins."""
    config = os.environ.get("DOCKER_CONFIG")
    return (Path(config) if config else Path.home() / ".docker") / "cli-plugins"


def installed_executable() -> Path | None:
    """The docker-layerlint script installed beside this Python's dlayerlint."""
    beside = Path(sysconfig.get_path("scripts")) / EXECUTABLE
    if beside.is_file():
        return beside
    found = shutil.which(EXECUTABLE)
    return Path(found) if found else None


def install(folder: Path, executable: Path) -> str:
    """Link folder/docker-layerlint to executable; a message on success, or
    ValueError when the name is taken by something else."""
    link = folder / EXECUTABLE
    target = executable.resolve()
    if link.is_symlink() and link.resolve() == target:
        return f"{link} already links to {target}"
    if link.exists() or link.is_symlink():
        raise ValueError(f"{link} exists and is not a link to {target}: remove it first, then run this again")
    folder.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return f"linked {link} -> {target}; try `docker {NAME} Dockerfile`"


def _install(_args: argparse.Namespace) -> int:
    executable = installed_executable()
    if executable is None:
        print(f"dlayerlint: {EXECUTABLE} is not installed with this dlayerlint (reinstall the package)",
              file=sys.stderr)
        return 2
    try:
        print(install(plugin_folder(), executable))
    except (ValueError, OSError) as error:
        print(f"dlayerlint: {error}", file=sys.stderr)
        return 2
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    commands.add_parser(
        "install-docker-plugin",
        help=f"link {EXECUTABLE} into the docker client's plugin folder ($DOCKER_CONFIG or ~/.docker)",
    ).set_defaults(handler=_install)
