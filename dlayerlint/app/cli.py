"""`dlayerlint` command line: dispatches the subcommands (check, rules,
explain, and those registered by their own modules).

Exit codes: 0 clean, 1 findings (see check_command), 2 a usage error or a
file that cannot be read or parsed (the other files are still linted).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from . import check
from ..core.rule import Rule
from ..rules import SIZE_SOURCES
from ..rules.catalogue import find_rule
from .check import EXIT_CLEAN, EXIT_CODES, EXIT_ERROR
from ..rules.plugins import PluginError, known_rules, load_plugin


# the subcommands registered by their own modules, by name: a run imports only the one it
# runs (`check` need not load verify's tarfile and subprocess, nor the LSP's code)
_COMMAND_MODULES = {"lsp": "dlayerlint.lsp", "verify": "dlayerlint.app.verify",
                    "install-docker-plugin": "dlayerlint.app.docker_install",
                    "completion": "dlayerlint.app.completion"}
_OWN_COMMANDS = ("check", "rules", "explain")


def _parser(command: str | None = None) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The parser with every subcommand, or with `command` alone when it is one of ours
    (completion lists all the others, so it takes them all)."""
    if command == "completion" or (command not in _OWN_COMMANDS and command not in _COMMAND_MODULES):
        command = None
    parser = argparse.ArgumentParser(prog="dlayerlint", description="Find Docker image-layer bloat before the build.",
                                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"dlayerlint {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if command in (None, "check"):
        check.register(commands)
    if command in (None, "rules"):
        listing = commands.add_parser("rules", help="list the rules")
        _plugin_flag(listing)
        listing.set_defaults(handler=_rules)
    if command in (None, "explain"):
        explain = commands.add_parser("explain", help="describe a rule, with examples")
        explain.add_argument("rule", metavar="NAME-OR-ID")
        _plugin_flag(explain)
        explain.set_defaults(handler=_explain)
    # further subcommands live in their own modules: each adds its parser and handler here
    for name, module in _COMMAND_MODULES.items():
        if command in (None, name):
            importlib.import_module(module).register(commands)
    return parser, commands


def options_taking_values(command: str) -> frozenset[str]:
    """The option strings of `command` that take a value (the docker plugin must not
    mistake `--exclude vendor` for a build context)."""
    from .completion import actions  # pylint: disable=import-outside-toplevel
    return frozenset(option for action in actions(_parser(command)[1].choices[command]) if action.nargs != 0
                     for option in action.option_strings)


def _plugin_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plugin", action="append", default=[], metavar="NAME",
                        help="include the rules of the rule pack registered under NAME "
                             "in entry point group dlayerlint.rules (repeatable)")


def _known(args: argparse.Namespace) -> dict[str, Rule] | None:
    """Built-in, pragma (DLL001) and --plugin rules; None, after saying why, when a plugin fails to load."""
    try:
        return known_rules([load_plugin(name) for name in dict.fromkeys(args.plugin)])
    except PluginError as error:
        print(f"dlayerlint: {error}", file=sys.stderr)
        return None


def _rules(args: argparse.Namespace) -> int:
    known = _known(args)
    if known is None:
        return EXIT_ERROR
    for rule in sorted(known.values(), key=lambda rule: rule.id):
        print(f"{rule.id}  {rule.name:<26} {rule.severity:<8} {rule.summary}")
    return EXIT_CLEAN


def _explain(args: argparse.Namespace) -> int:
    known = _known(args)
    if known is None:
        return EXIT_ERROR
    rule = find_rule(args.rule, known)
    if rule is None:
        print(f"dlayerlint: no rule named '{args.rule}' (see `dlayerlint rules`)", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule.explain() + SIZE_SOURCES.get(rule.id, str)())
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser, commands = _parser(arguments[0] if arguments else None)
    args, unknown = parser.parse_known_args(arguments)
    if unknown:   # the subcommand's usage, not the top level's (`check --bogus`)
        commands.choices[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.handler(args)
    except BrokenPipeError:
        return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
