"""A misbehaving HTTP server on 127.0.0.1 for the sync client's tests: raw sockets, so
it can answer what no well-behaved framework would (a login page with 200, a body
that never ends, 200 MB, an absurd Retry-After, a redirect, no HTTP at all)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Writes a whole response on the socket itself (for bodies that never end, or huge).
Writer = Callable[[socket.socket, threading.Event], None]


@dataclass
class Answer:
    status: int = 200
    body: bytes | dict[str, Any] = field(default_factory=lambda: {"success": True})
    headers: dict[str, str] = field(default_factory=dict)
    writer: Writer | None = None

    def raw(self) -> bytes:
        body = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        headers = {"Content-Type": "application/json", **self.headers}
        head = f"HTTP/1.1 {self.status} Whatever\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        return head.encode() + body


#: (method, path, body) → what to answer
Handler = Callable[[str, str, bytes], Answer]


def no_health(method: str, path: str, body: bytes) -> Answer | None:
    """The hosted service has no health endpoint: the plain contract."""
    if path == "/api/health":
        return Answer(404, {"error": "Not found"})
    return None


class HostileServer:
    """One thread per connection; every answer closes its connection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[str] = []
        self.bytes_sent = 0
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stop.set()
        self._accepter.join(5)
        for t in self._threads:
            t.join(5)
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                    if not data[:1].isalpha():  # not HTTP (a TLS hello): what uvicorn does
                        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                        return
                head, _, body = data.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    body += chunk
                self.requests.append(path)
                answer = self.handler(method, path, body)
                if answer.writer is not None:
                    answer.writer(conn, self._stop)
                else:
                    conn.sendall(answer.raw())
            except OSError:
                return


def endless_chunks(conn: socket.socket, stop: threading.Event) -> None:
    """200, chunked, one byte every 10 ms for ever (until the client hangs up)."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    while not stop.wait(0.01):
        conn.sendall(b"1\r\n \r\n")


def huge_body(server: HostileServer, size: int) -> Writer:
    """200 with a ``size``-byte body; counts what the client let it send."""

    def write(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
        )
        block = b" " * 65536
        sent = 0
        while sent < size and not stop.is_set():
            conn.sendall(block)
            sent += len(block)
            server.bytes_sent = sent

    return write
