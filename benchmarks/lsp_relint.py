"""LSP re-lint latency: a 300-line Dockerfile (--lines), one edit at a time (target at 3,000
lines: < 50 ms), and the server's start (spawn to the answer to `initialize`, target < 300 ms).

1. in process: what the server does on didChange, without the wire — settings,
   `lint_document` (config lookup, cached build context, the analysis) and the
   conversion to LSP diagnostics;
2. end to end: a real pygls client starts `python -m dlayerlint lsp`, opens
   the document, then sends one-line incremental edits and times each
   didChange until the server's publishDiagnostics for that version arrives.

Prints the median, p95 and max of each (ms) and the number of diagnostics. The
end-to-end figures include the server's EDIT_PAUSE (0.15 s: edits are coalesced).

usage: python benchmarks/lsp_relint.py [--runs N] [--lines N]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from dlayerlint.config import Config
from dlayerlint.simulate.context.build import ContextCache
from dlayerlint.lsp.convert import Lines, diagnostics
from dlayerlint.lsp.linting import lint_document

REPO = Path(__file__).resolve().parents[1]
# one block of a typical bloated Dockerfile: downloads, installs, cleanups in
# later layers, a COPY then chmod, continuation lines
BLOCK = """\
# step {n}
ARG V{n}=1.{n}
ENV APP{n}=/opt/app{n}
RUN apt-get update \\
    && apt-get install -y --no-install-recommends curl ca-certificates
RUN curl -fsSL -o /tmp/app{n}.tar.gz https://example.com/app-${{V{n}}}.tar.gz \\
    && mkdir -p /opt/app{n} \\
    && tar -xzf /tmp/app{n}.tar.gz -C /opt/app{n}
RUN rm -f /tmp/app{n}.tar.gz && chmod -R 0755 /opt/app{n}
COPY app{n}.bin /opt/app{n}/app.bin
RUN chmod 0700 /opt/app{n}/app.bin
RUN dd if=/dev/zero bs=1024 count={n} of=/var/cache/blob{n} && echo done
RUN rm -rf /var/lib/apt/lists/* /var/cache/blob{n}
WORKDIR /opt/app{n}
"""


def dockerfile(lines: int) -> str:
    parts, count, n = ["FROM debian:bookworm-slim\n"], 1, 1
    while count < lines:
        block = BLOCK.format(n=n)
        parts.append(block)
        count += block.count("\n")
        n += 1
    parts.append('CMD ["/bin/sh"]\n')
    return "".join(parts)


def edited(text: str, run: int) -> tuple[int, str]:
    """The line to change on this run (an ENV line, so the analysis really differs) and its new text."""
    env_lines = [i for i, line in enumerate(text.split("\n")) if line.startswith("ENV ")]
    index = env_lines[run % len(env_lines)]
    return index, f"ENV EDIT{run}=/opt/edit{run}"


def replace_line(text: str, index: int, line: str) -> str:
    lines = text.split("\n")
    lines[index] = line
    return "\n".join(lines)


def summary(name: str, timings_ms: list[float], extra: str = "") -> str:
    ordered = sorted(timings_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"{name:<34} median {statistics.median(ordered):6.1f} ms  p95 {p95:6.1f} ms  "
            f"max {ordered[-1]:6.1f} ms  ({len(ordered)} edits){extra}")


def in_process(folder: Path, text: str, runs: int) -> str:
    path, uri = folder / "Dockerfile", (folder / "Dockerfile").as_uri()
    contexts = ContextCache()
    timings, count = [], 0
    for run in range(runs + 1):
        current = replace_line(text, *edited(text, run))
        started = time.perf_counter()
        result = lint_document(current, path, Config(), contexts)
        count = len(diagnostics(uri, Lines(current), result))
        if run:   # the first run lists the context and warms the caches, as didOpen does
            timings.append((time.perf_counter() - started) * 1000)
    return summary("in process (lint + diagnostics)", timings, f", {count} diagnostics")


async def start(client: LanguageClient) -> float:
    """Spawn `python -m dlayerlint lsp` from this tree and initialize it: the ms it took."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "dlayerlint", "lsp", env=env)
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    return (time.perf_counter() - started) * 1000


async def end_to_end(folder: Path, text: str, runs: int) -> str:
    client = LanguageClient("lsp-relint-benchmark", "1")
    published: dict[int, asyncio.Future] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        waiting = published.get(params.version or 0)
        if waiting is not None and not waiting.done():
            waiting.set_result(len(params.diagnostics))

    start_ms = await start(client)
    client.initialized(types.InitializedParams())
    uri = (folder / "Dockerfile").as_uri()
    loop = asyncio.get_running_loop()

    async def send(version: int, notify: Callable[[], None]) -> tuple[float, int]:
        published[version] = loop.create_future()
        started = time.perf_counter()
        notify()
        count = await asyncio.wait_for(published[version], 30)
        return (time.perf_counter() - started) * 1000, count

    await send(1, lambda: client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri, "dockerfile", 1, text))))
    timings, count, current = [], 0, text
    for run in range(runs):
        index, line = edited(text, run)
        old = current.split("\n")[index]
        current = replace_line(current, index, line)
        change = types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(index, 0), types.Position(index, len(old))), text=line)
        elapsed, count = await send(run + 2, lambda c=change, v=run + 2: client.text_document_did_change(
            types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(version=v, uri=uri), [c])))
        timings.append(elapsed)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return (f"{'server start (spawn → initialize)':<34} {start_ms:6.0f} ms (target < 300 ms)\n"
            + summary("end to end (didChange → publish)", timings, f", {count} diagnostics"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--lines", type=int, default=300)
    args = parser.parse_args()
    text = dockerfile(args.lines)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "Dockerfile").write_text(text, encoding="utf-8")
        for n in range(1, text.count("# step ") + 1):
            (folder / f"app{n}.bin").write_bytes(b"\0" * 1000 * n)
        print(f"Dockerfile: {text.count(chr(10))} lines, {len(text)} characters")
        print(in_process(folder, text, args.runs))
        print(asyncio.run(end_to_end(folder, text, args.runs)))


if __name__ == "__main__":
    main()
