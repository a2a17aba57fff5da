"""`dlayerlint lsp`: a language server over stdio (diagnostics, quick fixes,
layer sizes on hover). pygls is imported only when the server starts, so the
other subcommands do not pay ~0.4 s for it."""
from __future__ import annotations

import argparse

DEFAULT_PORT = 2087   # pygls' customary port


def _serve(args: argparse.Namespace) -> int:
    from .server import serve  # pylint: disable=import-outside-toplevel
    port = args.port if args.port is not None else DEFAULT_PORT if args.tcp else None
    serve(port, args.host)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    lsp = commands.add_parser("lsp", help="run the language server over stdio (for editors)",
                              description="Run the language server: on stdio (the default, also with --stdio, "
                                          "which editors' clients pass), or on a TCP port.")
    transport = lsp.add_mutually_exclusive_group()
    # vscode-languageclient and most editor configs pass --stdio: accepted, it is the default
    transport.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    transport.add_argument("--tcp", action="store_true", help=f"listen on a TCP port (--port, default {DEFAULT_PORT})")
    lsp.add_argument("--port", type=int, metavar="PORT", help="the TCP port (implies --tcp)")
    lsp.add_argument("--host", default="127.0.0.1", help="the address to listen on with --tcp (default: 127.0.0.1)")
    # vscode-languageclient may pass the editor's pid; the server ends with its stdin anyway
    lsp.add_argument("--clientProcessId", help=argparse.SUPPRESS)
    lsp.set_defaults(handler=_serve)
