"""Shared fixtures: the signature vectors, an in-process sandbox, request bodies and small
real HTTP servers (a notification receiver, a server that stalls, one that answers junk).
Everything goes through real sockets on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

from doku_direct.testing import Sandbox, sandbox
from support import VECTORS, Receiver, Stalling

@pytest.fixture(scope="session")
def vectors() -> Dict[str, Any]:
    loaded: Dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with sandbox() as s:
        yield s


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    made: List[Receiver] = []

    def make(client_id: str, secret_key: str, answers: Tuple[int, ...] = ()) -> Receiver:
        r = Receiver(client_id, secret_key, answers)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture
def stalling_server() -> Iterator[Stalling]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: List[socket.socket] = []
    stop = threading.Event()
    server = Stalling(f"http://127.0.0.1:{listener.getsockname()[1]}")

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                accepted.append(conn)
                server.accepted.set()
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield server
    stop.set()
    t.join()
    for c in accepted:
        c.close()
    listener.close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was bound, then released)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def canned_server() -> Iterator[Callable[[int, bytes, Dict[str, str]], str]]:
    """Starts servers that answer every request with a fixed status, body and headers."""
    servers: List[ThreadingHTTPServer] = []

    def start(status: int, body: bytes, headers: Dict[str, str]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()
