"""Running the server: in the foreground (``roadmaster serve``) or in a background
thread (tests, and the sync client's tests)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Final

import uvicorn
from fastapi import FastAPI

from roadmaster.errors import UserError

log = logging.getLogger(__name__)

START_TIMEOUT_S: Final = 10.0
STOP_TIMEOUT_S: Final = 10.0


def _config(
    app: FastAPI | str, host: str, port: int, *, access_log: bool, workers: int = 1
) -> uvicorn.Config:
    # "auto" picks uvloop and httptools when installed (uvicorn[standard]).  Several
    # workers need an import string of an app factory (each process builds its app).
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        workers=workers,
        host=host,
        port=port,
        loop="auto",
        http="auto",
        ws="none",  # no websocket routes; and "auto" imports a deprecated module
        access_log=access_log,
        log_level="warning",
        lifespan="on",
    )


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8787) -> None:
    """Serve until interrupted (Ctrl+C)."""
    uvicorn.Server(_config(app, host, port, access_log=False)).run()


def serve_workers(
    factory: str, host: str, port: int, workers: int, ready: Callable[[], None]
) -> None:
    """Serve with ``workers`` processes sharing one listening socket (uvicorn's
    worker model), until Ctrl+C or SIGTERM; ``factory`` is ``"module:function"``.
    ``ready`` is called once the socket listens (connections wait for a worker)."""
    from uvicorn.supervisors import Multiprocess

    config = _config(factory, host, port, access_log=False, workers=workers)
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
    app: FastAPI, host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Start serving ``app`` in a daemon thread; return (base URL, stop).

    ``port=0`` picks a free port.  Returns once the server accepts connections
    (raises RuntimeError if it has not within 10 s); ``stop()`` shuts it down and
    joins the thread.
    """
    server = uvicorn.Server(_config(app, host, port, access_log=False))
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
