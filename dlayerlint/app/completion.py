"""`dlayerlint completion bash|zsh|fish`: a shell completion script, made from the
argument parser itself so it never falls behind the flags.

    source <(dlayerlint completion bash)                 # ~/.bashrc
    source <(dlayerlint completion zsh)                  # ~/.zshrc (through bashcompinit)
    dlayerlint completion fish > ~/.config/fish/completions/dlayerlint.fish
"""
from __future__ import annotations

import argparse
import sys

SHELLS = ("bash", "zsh", "fish")

_BASH = """_dlayerlint() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" opts
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "{commands}" -- "$cur"))
    return
  fi
  case "${{COMP_WORDS[1]}}" in
{cases}
    *) opts="" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}}
complete -o default -F _dlayerlint dlayerlint
"""


def actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every argument a parser takes (argparse keeps them in a list it does not make public)."""
    return list(parser._actions)  # pylint: disable=protected-access


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [action for action in actions(parser) if action.option_strings and action.help is not argparse.SUPPRESS]


def _bash(commands: dict[str, argparse.ArgumentParser]) -> str:
    cases = "\n".join(f'    {name}) opts="{" ".join(o for a in _options(sub) for o in a.option_strings)}" ;;'
                      for name, sub in commands.items())
    return _BASH.format(commands=" ".join(commands), cases=cases)


def _zsh(commands: dict[str, argparse.ArgumentParser]) -> str:
    # zsh runs bash completion functions through bashcompinit: one script to keep right
    return "autoload -U +X bashcompinit && bashcompinit\n" + _bash(commands)


def _fish(commands: dict[str, argparse.ArgumentParser]) -> str:
    lines = ["complete -c dlayerlint -f"]
    lines += [f"complete -c dlayerlint -n __fish_use_subcommand -a {name} -d {_quote(sub.description or name)}"
              for name, sub in commands.items()]
    for name, sub in commands.items():
        for action in _options(sub):
            flags = " ".join(f"-l {o[2:]}" if o.startswith("--") else f"-s {o[1:]}" for o in action.option_strings)
            values = f" -r -a {_quote(' '.join(map(str, action.choices)))}" if action.choices else \
                " -r -F" if action.nargs != 0 else ""
            lines.append(f"complete -c dlayerlint -n '__fish_seen_subcommand_from {name}' {flags}{values} "
                         f"-d {_quote(action.help or '')}")
        if any(not action.option_strings for action in actions(sub)):
            lines.append(f"complete -c dlayerlint -n '__fish_seen_subcommand_from {name}' -F")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return "'" + text.split("\n")[0].replace("\\", "\\\\").replace("'", "\\'") + "'"


SCRIPTS = {"bash": _bash, "zsh": _zsh, "fish": _fish}


def register(commands: argparse._SubParsersAction) -> None:
    completion = commands.add_parser("completion", help="print a shell completion script",
                                     description="Print a completion script: source <(dlayerlint completion bash)")
    completion.add_argument("shell", choices=SHELLS)
    completion.set_defaults(handler=lambda args: _print(args, commands.choices))


def _print(args: argparse.Namespace, commands: dict[str, argparse.ArgumentParser]) -> int:
    sys.stdout.write(SCRIPTS[args.shell](dict(commands)))
    return 0
