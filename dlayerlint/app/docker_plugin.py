"""`docker layerlint`: dlayerlint as a Docker CLI plugin.

The docker client finds `docker-layerlint` in ~/.docker/cli-plugins/ (or
$DOCKER_CONFIG/cli-plugins/), asks it for `docker-cli-plugin-metadata`, and
runs `docker layerlint ARGS` as `docker-layerlint layerlint ARGS`. ARGS are
`dlayerlint check` arguments (`docker layerlint Dockerfile`), except that
`check`, `rules` and `explain` as the first word run that subcommand, and no
ARGS lints ./Dockerfile. `dlayerlint install-docker-plugin` (docker_install.py)
makes the link.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from .. import __version__
from .cli import main as dlayerlint
from .docker_install import NAME

METADATA_COMMAND = "docker-cli-plugin-metadata"
PASSED_THROUGH = frozenset({"check", "rules", "explain"})


def metadata() -> dict[str, str]:
    return {"SchemaVersion": "0.1.0", "Vendor": "dlayerlint", "Version": __version__,
            "ShortDescription": "Find image-layer bloat in a Dockerfile before the build"}


def dlayerlint_argv(argv: Sequence[str]) -> list[str]:
    """The `dlayerlint` arguments for the plugin's own arguments.

    Docker puts the plugin name (after any global options) before the user's
    arguments; run directly, the arguments are the user's alone."""
    args = list(argv)
    if args and (args[0] == NAME or args[0].startswith("-")) and NAME in args:
        args = args[args.index(NAME) + 1:]
    if not args:
        return ["check", "Dockerfile"]
    if args[0] in PASSED_THROUGH or args[0] == "--version":
        return args
    return ["check", *args]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == [METADATA_COMMAND]:
        print(json.dumps(metadata(), indent=2))
        return 0
    return dlayerlint(dlayerlint_argv(args))


if __name__ == "__main__":
    sys.exit(main())
