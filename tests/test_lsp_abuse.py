"""`dlayerlint lsp --stdio` under a misbehaving client (issue 16, probe 7), spoken to
byte by byte: garbage, a huge Content-Length, invalid UTF-8, bad JSON, malformed
params, unknown methods, edits of documents never opened, URIs outside the
workspace and 500 rapid edits. The server answers every request it can read an id
from (an error response where the params are bad), never dies, and ends with the
diagnostics of the final text. Bounded in count; the only clock is a hang guard."""
from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
HANG_GUARD = 120   # seconds without any message: the server is stuck (not slow)
BLOATED = "FROM busybox\nRUN head -c 1k /dev/zero > /a\nRUN rm /a\n"


class Server:
    """The server as a subprocess; messages read on a thread into a queue."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        self.process = subprocess.Popen([sys.executable, "-m", "dlayerlint", "lsp", "--stdio"], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line or length is None:
                self.messages.put(None)
                return
            self.messages.put(json.loads(stream.read(length)))

    def send_bytes(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any] | bytes) -> None:
        body = message if isinstance(message, bytes) else json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method: str, params: Any) -> int:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.next_id

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def until(self, wanted) -> dict[str, Any]:
        """The first message for which wanted(message) holds (the others are skipped)."""
        while True:
            try:
                message = self.messages.get(timeout=HANG_GUARD)
            except queue.Empty:
                pytest.fail(f"no message for {HANG_GUARD} s: the server is stuck")
            assert message is not None, f"the server closed its output (exit {self.process.poll()})"
            if wanted(message):
                return message

    def answer(self, request_id: int) -> dict[str, Any]:
        return self.until(lambda m: m.get("id") == request_id and "method" not in m)

    def diagnostics(self, uri: str, version: int) -> list[dict[str, Any]]:
        return self.until(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                          and m["params"]["uri"] == uri and m["params"].get("version") == version)["params"][
                              "diagnostics"]


@pytest.fixture(name="server")
def _server(tmp_path: Path) -> Iterator[Server]:
    server = Server()
    answer = server.answer(server.request("initialize", {"processId": None, "rootUri": tmp_path.as_uri(),
                                                          "capabilities": {}}))
    assert "capabilities" in answer["result"]
    server.notify("initialized", {})
    yield server
    server.process.kill()
    server.process.wait()


def codes(diagnostics: list[dict[str, Any]]) -> list[str]:
    """The rule ids (a problem such as a missing build context has no code)."""
    return [d["code"] for d in diagnostics if "code" in d]


def _still_answers(server: Server) -> None:
    """A well-formed request after the abuse is answered: the server is alive and in sync."""
    answer = server.answer(server.request("textDocument/hover", {
        "textDocument": {"uri": "untitled:nothing"}, "position": {"line": 0, "character": 0}}))
    assert "error" in answer or answer["result"] is None


def _open(server: Server, uri: str, text: str) -> None:
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1,
                                                            "text": text}})


def test_garbage_bytes_and_bad_json_are_skipped(server):
    server.send_bytes(b"\x00\xff\xfe garbage\r\nnot a header\r\n\r\n" + bytes(range(256)) * 40 + b"\r\n")
    server.send_bytes(b"X" * (1 << 20) + b"\r\n")   # a 1 MiB "header line"
    server.send(b"{not json")
    server.send(b"[1, 2, 3]")
    server.send(b'{"jsonrpc": "2.0", "id": 99}')   # a response to nothing
    _still_answers(server)


def test_a_huge_content_length_is_refused_and_the_stream_resynchronises(server):
    server.send_bytes(b"Content-Length: 99999999999999\r\n\r\n{}")
    _still_answers(server)


def test_invalid_utf8_is_read_leniently_and_answered(server):
    text = BLOATED.replace("/a", "/\xe9").encode("latin-1")   # é as one Latin-1 byte: not UTF-8
    body = b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": ' \
           b'{"uri": "file:///elsewhere/Dockerfile", "languageId": "dockerfile", "version": 1, "text": "' + \
           text.replace(b"\n", b"\\n") + b'"}}}'
    server.send(body)
    assert codes(server.diagnostics("file:///elsewhere/Dockerfile", 1)) == ["DLL101"]
    _still_answers(server)


@pytest.mark.parametrize("params", [None, 42, "x", [], {}, {"textDocument": 42},
                                    {"textDocument": {"uri": "file:///x"}, "position": {"line": "zero"}}])
def test_malformed_params_get_an_error_response(server, params):
    for method in ("textDocument/hover", "textDocument/codeAction"):
        answer = server.answer(server.request(method, params))
        assert answer["error"]["code"] in (-32602, -32603), answer   # InvalidParams (or InternalError)
    _still_answers(server)


def test_unknown_methods(server):
    assert server.answer(server.request("dlayerlint/nonsense", {"a": 1}))["error"]["code"] == -32601
    server.notify("dlayerlint/nonsense", {})
    server.notify("$/nonsense", {})
    _still_answers(server)


def test_edits_of_unopened_documents_and_uris_outside_the_workspace(server, tmp_path):
    for index in range(200):   # ignored: they would grow the server's state, one entry a URI
        server.notify("textDocument/didChange", {"textDocument": {"uri": f"file:///never/{index}", "version": 2},
                                                 "contentChanges": [{"text": "FROM x\n"}]})
        server.notify("textDocument/didSave", {"textDocument": {"uri": f"file:///never/{index}"}})
    server.notify("textDocument/didClose", {"textDocument": {"uri": "file:///never/opened"}})
    outside = tmp_path.parent / f"{tmp_path.name}-outside"   # not under the workspace root
    outside.mkdir()
    uri = (outside / "Dockerfile").as_uri()
    _open(server, uri, BLOATED)
    seen: list[dict[str, Any]] = []
    final = server.until(lambda m: bool(seen.append(m)) or (
        m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri))
    assert codes(final["params"]["diagnostics"]) == ["DLL101"]
    assert not [m for m in seen if m.get("params", {}).get("uri", "").split("/")[-1].isdigit()]   # nothing linted
    _open(server, "untitled:Untitled-1", BLOATED)
    assert codes(server.diagnostics("untitled:Untitled-1", 1)) == ["DLL101"]
    _still_answers(server)


def test_500_rapid_edits_end_with_the_diagnostics_of_the_final_text(server, tmp_path):
    uri = (tmp_path / "Dockerfile").as_uri()
    _open(server, uri, "FROM busybox\n")
    for version in range(2, 502):
        # every edit but the last leaves a clean file; the last adds the finding
        text = BLOATED if version == 501 else f"FROM busybox\nRUN echo {version}\n"
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [{"text": text}]})
    final = server.diagnostics(uri, 501)
    assert codes(final) == ["DLL101"] and final[0]["range"]["start"]["line"] == 2
    answer = server.answer(server.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                                 "position": {"line": 1, "character": 0}}))
    assert "1.0 KiB" in answer["result"]["contents"]["value"]
    assert server.process.poll() is None


def test_a_burst_of_edits_is_linted_once_not_once_per_edit(server, tmp_path):
    """Edits are coalesced (lsp/session.py EDIT_PAUSE): ten quick changes do not give ten lints.
    A count, not a clock: under load the server may still lint an intermediate version or two."""
    uri = (tmp_path / "Dockerfile").as_uri()
    _open(server, uri, "FROM busybox\n")
    server.diagnostics(uri, 1)
    for version in range(2, 12):
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [{"text": f"FROM busybox\nRUN echo {version}\n"}]})
    published = []
    server.until(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
                 and (published.append(m["params"].get("version")) or m["params"].get("version") == 11))
    assert published[-1] == 11 and len(published) < 10, published


def test_tcp_transport_answers_initialize(tmp_path):
    """`dlayerlint lsp --tcp --port N`: the same server on a socket."""
    with socket.socket() as probe:   # a free port, released for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    server = subprocess.Popen([sys.executable, "-m", "dlayerlint", "lsp", "--tcp", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        connection = _connect(port)
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                           "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}}).encode()
        connection.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        reply = connection.makefile("rb")
        length = int(reply.readline().split(b":")[1])
        while reply.readline() != b"\r\n":
            pass
        assert "capabilities" in json.loads(reply.read(length))["result"]
        connection.close()
    finally:
        server.kill()
        server.wait()


def _connect(port: int) -> socket.socket:
    """A connection once the server listens (it imports pygls first): bounded tries."""
    for _ in range(600):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD)
        except ConnectionRefusedError:
            threading.Event().wait(0.1)
    pytest.fail("the server never listened")
