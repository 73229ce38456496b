"""What the sync worker tells the rest of the app: its state as an immutable
snapshot (for the UI), its counters, and the status it saves in the database for
``roadmaster status`` (saved only when something a user would care about changed).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from roadmaster.storage.keyvalue import put_value
from roadmaster.sync.client import ServerInfo

log = logging.getLogger(__name__)

STATUS_SETTING: Final = "sync_status"


class SyncState(enum.StrEnum):
    IDLE = "idle"  # everything sent
    SENDING = "sending"
    PACING = "pacing"  # waiting for the rate limit to allow the next request
    RATE_LIMITED = "rate_limited"  # got a 429, waiting Retry-After
    OFFLINE = "offline"  # network error: backing off
    SERVER_ERROR = "server_error"  # 5xx or an answer without the contract's shape
    UNAUTHORIZED = "unauthorized"  # 401: waiting for a new key
    NO_KEY = "no_key"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """A snapshot for other threads (UI, status bar): an immutable value."""

    state: SyncState = SyncState.IDLE
    last_error: str | None = None
    server: ServerInfo | None = None
    #: The parked rows for a person (``outbox.dead_summary``), None when there are none.
    parked: str | None = None


@dataclass(slots=True)
class SyncStats:
    requests: int = 0
    rows_sent: int = 0
    rows_dead: int = 0
    rate_limited: int = 0  # 429 answers received
    failures: int = 0  # network errors and 5xx
    #: Why ``drain(once=True)`` stopped with rows left (None: the queue is empty):
    #: "offline", "server_error", "rate_limited" or "deadline".
    stopped_because: str | None = None
    stopped_detail: str | None = None


class SavedStatus:
    """The status row of ``roadmaster status`` (the ``sync_status`` setting): written
    when the state a user sees changes, not for every switch between sending and
    pacing; it keeps the last error and when it happened."""

    def __init__(self) -> None:
        self._saved: tuple[str, str | None] | None = None
        self._last_error: tuple[str, str] | None = None

    def record(
        self,
        connect: Callable[[], Connection],
        state: SyncState,
        error: str | None,
        now: datetime,
    ) -> None:
        active = state in (SyncState.SENDING, SyncState.PACING, SyncState.IDLE)
        saved = ("active" if active else state.value, error)
        if saved == self._saved:
            return
        self._saved = saved
        if error is not None:
            self._last_error = (error, now.isoformat())
        value = {
            "state": state.value,
            "error": error,  # the current problem (None: syncing fine)
            "last_error": self._last_error[0] if self._last_error else None,
            "last_error_at": self._last_error[1] if self._last_error else None,
            "at": now.isoformat(),
        }
        try:
            conn = connect()
            with conn.begin():
                put_value(conn, STATUS_SETTING, value, now)
        except sa.exc.OperationalError as exc:
            log.warning("could not save the sync status (%s)", type(exc).__name__)
