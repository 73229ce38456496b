"""Running the server: in the foreground (``roadmaster serve``) or in a background
thread (tests, and the sync client's tests)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

import uvicorn
from fastapi import FastAPI

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
    socket = config.bind_socket()
    # Listen now (the workers would): connections made before a worker is up wait
    # in the backlog instead of being refused.
    socket.listen(config.backlog)
    ready()
    Multiprocess(config, sockets=[socket]).run()


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
