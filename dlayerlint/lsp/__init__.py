"""`dlayerlint lsp`: a language server over stdio (diagnostics, quick fixes,
layer sizes on hover). pygls is imported only when the server starts, so the
other subcommands do not pay ~0.4 s for it."""
from __future__ import annotations

import argparse


def _serve(_args: argparse.Namespace) -> int:
    from .server import serve  # pylint: disable=import-outside-toplevel
    serve()
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    lsp = commands.add_parser("lsp", help="run the language server over stdio (for editors)")
    lsp.set_defaults(handler=_serve)
