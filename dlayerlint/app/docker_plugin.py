"""`docker layerlint`: dlayerlint as a Docker CLI plugin.

The docker client finds `docker-layerlint` in ~/.docker/cli-plugins/ (or
$DOCKER_CONFIG/cli-plugins/), asks it for `docker-cli-plugin-metadata`, and
runs `docker layerlint ARGS` as `docker-layerlint layerlint ARGS`. ARGS are
`dlayerlint check` arguments (`docker layerlint Dockerfile`), except that
`check`, `verify`, `rules` and `explain` as the first word run that subcommand,
and no ARGS lints ./Dockerfile. For check and verify, `docker build`'s own
spelling works too (`docker_idioms`): a context directory (`docker layerlint .`),
`-f/--file Dockerfile` and `--build-arg NAME` (the value from the environment).
`dlayerlint install-docker-plugin` (docker_install.py) makes the link.
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence

from .. import __version__
from .cli import main as dlayerlint, options_taking_values
from .docker_install import NAME

METADATA_COMMAND = "docker-cli-plugin-metadata"
PASSED_THROUGH = frozenset({"rules", "explain", "--version"})   # their arguments as they are
DOCKER_STYLE = frozenset({"check", "verify"})                     # their arguments as docker build's
DOCKERFILE = "Dockerfile"   # what docker build reads in the context when no -f is given


def metadata() -> dict[str, str]:
    return {"SchemaVersion": "0.1.0", "Vendor": "dlayerlint", "Version": __version__,
            "ShortDescription": "Find image-layer bloat in a Dockerfile before the build"}


def _build_arg(value: str, environ: Mapping[str, str]) -> list[str]:
    """docker's `--build-arg NAME` takes NAME's value from the environment, and drops it when unset."""
    if "=" in value:
        return ["--build-arg", value]
    return ["--build-arg", f"{value}={environ[value]}"] if value in environ else []


def _pairs(args: list[str], valued: frozenset[str]) -> Iterator[tuple[str, str | None]]:
    """(option, its value) or (positional, None), with `--opt=value` and `-fFILE` split."""
    words = iter(args)
    for word in words:
        if word.startswith("--") and "=" in word:
            option, _, value = word.partition("=")
            yield option, value
        elif word.startswith("-f") and len(word) > 2:
            yield "-f", word[2:]
        elif word in valued or word in ("-f", "--file"):
            yield word, next(words, "")
        else:
            yield word, None


def docker_idioms(command: str, args: list[str], environ: Mapping[str, str]) -> list[str]:
    """`docker build`'s spelling of the arguments as `dlayerlint command`'s."""
    options: list[str] = []
    files: list[str] = []
    context = None
    for word, value in _pairs(args, options_taking_values(command)):
        if word in ("-f", "--file"):
            files.append(value or "")
        elif word == "--build-arg":
            options += _build_arg(value or "", environ)
        elif value is not None:
            options += [word, value]
        elif word != "-" and not word.startswith("-") and os.path.isdir(word):
            context = word   # docker build's PATH: the context, with its Dockerfile
        else:
            (options if word.startswith("-") and word != "-" else files).append(word)
    if context is not None:
        options += ["--context", context]
    if not files:
        files = [os.path.join(context, DOCKERFILE) if context is not None else DOCKERFILE]
    return [command, *options, *files]


def dlayerlint_argv(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """The `dlayerlint` arguments for the plugin's own arguments.

    Docker puts the plugin name (after any global options) before the user's
    arguments; run directly, the arguments are the user's alone."""
    args = list(argv)
    if args and (args[0] == NAME or args[0].startswith("-")) and NAME in args:
        args = args[args.index(NAME) + 1:]
    if args and args[0] in PASSED_THROUGH:
        return args
    command = args.pop(0) if args and args[0] in DOCKER_STYLE else "check"
    if "-h" in args or "--help" in args:
        return [command, "--help"]
    return docker_idioms(command, args, os.environ if environ is None else environ)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == [METADATA_COMMAND]:
        print(json.dumps(metadata(), indent=2))
        return 0
    return dlayerlint(dlayerlint_argv(args))


if __name__ == "__main__":
    sys.exit(main())
