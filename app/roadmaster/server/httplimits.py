"""The server's limits on slow and hostile clients (a module of its own so that the
command line reads the defaults without importing uvicorn)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HttpLimits:
    """How long, and for how much, the server waits on a client: without them an idle
    connection, or one that sends its headers or body a byte at a time, is held for
    ever (slowloris).  ``roadmaster serve`` has an option for each."""

    header_timeout_s: float = 10.0
    """From connecting (or the end of the previous answer) to the end of the headers."""
    body_timeout_s: float = 60.0
    """To read a whole body once its headers are in (2 MiB at 300 kbit/s)."""
    keep_alive_s: int = 5
    """An idle kept-alive connection is closed after this many seconds."""
    limit_concurrency: int = 1000
    """Connections plus requests in progress beyond which a request gets 503."""
    max_header_bytes: int = 16 * 1024
    """Request line and headers; a connection that sends more is closed."""
