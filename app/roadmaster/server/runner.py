"""Running the server: in the foreground (``roadmaster serve``) or in a background
thread (tests, and the sync client's tests)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Final

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from roadmaster.errors import UserError
from roadmaster.server.httplimits import HttpLimits

__all__ = ["HttpLimits", "serve", "serve_in_thread", "serve_workers"]

log = logging.getLogger(__name__)


START_TIMEOUT_S: Final = 10.0
STOP_TIMEOUT_S: Final = 10.0


class _GuardedProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, plus a deadline and a size cap on each request's
    head.  uvicorn times out only idle kept-alive connections, and any byte received
    cancels that: a client that never finishes its headers was held for ever."""

    limits = HttpLimits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._awaiting_head = True
        self._head_bytes = 0
        self._head_deadline: asyncio.TimerHandle | None = None
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._awaiting_head:  # the head is not complete yet
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_bytes and not self.transport.is_closing():
                self.transport.write(_HEAD_TOO_LARGE)
                self.transport.close()

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        # With a pipelined request queued, its head is in already.
        next_head_in = bool(self.pipeline)
        super().on_response_complete()
        if not next_head_in and not self.transport.is_closing():
            self._awaiting_head = True
            self._head_bytes = 0
            self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(self.limits.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _expired(self) -> None:
        self._head_deadline = None
        if self._awaiting_head and not self.transport.is_closing():
            self.transport.close()


_HEAD_TOO_LARGE: Final = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Connection: close\r\nContent-Length: 0\r\n\r\n"
)


GUARDED_PROTOCOL: Final = "roadmaster.server.runner:_GuardedProtocol"


def _config(
    app: FastAPI | str,
    host: str,
    port: int,
    *,
    access_log: bool,
    http: HttpLimits,
    workers: int = 1,
) -> uvicorn.Config:
    # Several workers need an import string of an app factory (each process builds its
    # app) and of the protocol (the config is pickled into each worker); the factory
    # sets the protocol's limits there (roadmaster.server.workers).  One process gets a
    # subclass that carries its own limits, so servers in one process can differ.
    protocol: type[_GuardedProtocol] | str = (
        GUARDED_PROTOCOL
        if workers > 1
        else type("GuardedProtocol", (_GuardedProtocol,), {"limits": http})
    )
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        workers=workers,
        host=host,
        port=port,
        loop="auto",  # uvloop when installed (uvicorn[standard])
        http=protocol,  # httptools' parser (uvicorn[standard]), guarded
        ws="none",  # no websocket routes; and "auto" imports a deprecated module
        access_log=access_log,
        log_level="warning",
        lifespan="on",
        timeout_keep_alive=http.keep_alive_s,
        limit_concurrency=http.limit_concurrency,
        h11_max_incomplete_event_size=http.max_header_bytes,
    )


def serve(
    app: FastAPI, host: str = "127.0.0.1", port: int = 8787, *, http: HttpLimits | None = None
) -> None:
    """Serve until interrupted (Ctrl+C)."""
    uvicorn.Server(_config(app, host, port, access_log=False, http=http or HttpLimits())).run()


def serve_workers(
    factory: str,
    host: str,
    port: int,
    workers: int,
    ready: Callable[[], None],
    *,
    http: HttpLimits | None = None,
) -> None:
    """Serve with ``workers`` processes sharing one listening socket (uvicorn's
    worker model), until Ctrl+C or SIGTERM; ``factory`` is ``"module:function"``.
    ``ready`` is called once the socket listens (connections wait for a worker)."""
    from uvicorn.supervisors import Multiprocess

    config = _config(
        factory, host, port, access_log=False, http=http or HttpLimits(), workers=workers
    )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UserError(
            f"Can't listen on {host}:{port} ({exc.strerror}); choose another --port or --host."
        ) from None
    sock.set_inheritable(True)  # the workers take it over
    # Listen now (the workers would): connections made before a worker is up wait
    # in the backlog instead of being refused.
    sock.listen(config.backlog)
    ready()
    Multiprocess(config, sockets=[sock]).run()


def serve_in_thread(
    app: FastAPI, host: str = "127.0.0.1", port: int = 0, *, http: HttpLimits | None = None
) -> tuple[str, Callable[[], None]]:
    """Start serving ``app`` in a daemon thread; return (base URL, stop).

    ``port=0`` picks a free port.  Returns once the server accepts connections
    (raises RuntimeError if it has not within 10 s); ``stop()`` shuts it down and
    joins the thread.
    """
    server = uvicorn.Server(_config(app, host, port, access_log=False, http=http or HttpLimits()))
    # (uvicorn installs signal handlers only on the main thread: none here.)
    thread = threading.Thread(target=server.run, name=f"roadmaster-server-{port}", daemon=True)
    thread.start()
    started = threading.Event()
    deadline = time.monotonic() + START_TIMEOUT_S
    # uvicorn exposes no start event: poll its flag with a bounded, short wait.
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the reference server did not start")
        started.wait(0.005)
    bound = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join(STOP_TIMEOUT_S)

    return f"http://{host}:{bound}", stop
