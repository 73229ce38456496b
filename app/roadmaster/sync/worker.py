"""The sync worker: drains the outbox to the cloud on its own thread.

One worker per data directory (its process holds the directory's lock).  It owns an
``httpx.Client`` and its own database connection; every write it makes is a short
transaction, so the capture thread is never kept waiting.

Order: rows go out in outbox order (``id``).  A job's start goes first; its server
id is stored (``jobs.server_id``) together with the acknowledgement, and only then
are the job's samples and completion sent, with that id.

Claims: the worker claims a run of rows (state ``in_flight``) and sends it as a
sequence of requests — consecutive samples as one batch where the server has the
batch extension, else one request per row.  A request whose answer was lost (the
connection dropped, a 5xx) may have been stored: its rows stay claimed and the very
same request is sent again, with the same idempotency key, after a backoff — also
after a crash or a kill, since claimed rows are resent first, grouped as before.
Without the server's idempotency extension such a retry can store a sample (or a
job) twice: the plain contract offers no way to tell "stored, reply lost" from "not
stored".

Outcomes: a 2xx whose body has the contract's shape is done (anything else is a
server error); 400/403/404/413 dead (the server's reason kept; the rest flows);
401 pauses until the key changes (nothing dropped); 429 waits ``Retry-After``;
network errors and 5xx back off exponentially with jitter.  Requests are paced by
the server's ``X-RateLimit-*`` headers (a token bucket at the hosted limits when
there are none), so a long backlog drains at the allowed rate.

One request failing does not hold up the rest: a request that gets a server error
twice in a row is set aside with a backoff of its own (``next_attempt_at``) and the
rows behind it go on — except a job's samples and end, which wait for the job's
start.  After :data:`PARK_AFTER` tries, if other requests were accepted meanwhile
(so the server works, this one request does not), its rows are parked (``dead``)
with the server's words; parked rows are queued again once a day, or by
``roadmaster sync --retry-dead``.  A request set aside goes back to ready rather
than staying claimed, so its rows may be grouped differently when tried again: a
server that answered 5xx *after* storing a batch could then store some of its
samples twice (a 5xx normally means nothing was stored).
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from roadmaster.storage import outbox as ob
from roadmaster.storage.engine import WRITER
from roadmaster.storage.keyvalue import put_value
from roadmaster.storage.outbox import OutboxRow
from roadmaster.storage.tables import settings
from roadmaster.sync import contract
from roadmaster.sync.client import (
    JOB_CANCEL,
    JOB_COMPLETE,
    JOB_START,
    PLAIN,
    TELEMETRY,
    TELEMETRY_BATCH,
    CloudClient,
    OfflineError,
    Outcome,
    Reply,
    ServerInfo,
)
from roadmaster.sync.config import ApiKey
from roadmaster.sync.errors import SyncBlockedError
from roadmaster.sync.grouping import Group, batch_limit, next_group
from roadmaster.sync.pacing import Backoff, Pacer, TokenBucket
from roadmaster.sync.records import BadRecordError, BodyBuilder
from roadmaster.sync.status import (
    STATUS_SETTING,
    SavedStatus,
    SyncState,
    SyncStats,
    SyncStatus,
)

# The status types live in sync/status.py; callers import them from here too.
__all__ = [
    "PARK_AFTER",
    "STATUS_SETTING",
    "HostedLimits",
    "RealClock",
    "SyncClock",
    "SyncState",
    "SyncStats",
    "SyncStatus",
    "SyncWorker",
]

log = logging.getLogger(__name__)

PARKED_RETRY_SETTING: Final = "sync_parked_retry_at"
#: When the server last accepted a request (saved at most once a minute): a later
#: run that has only a failing row left still knows the server works.
ACCEPTED_SETTING: Final = "sync_last_accepted_at"
ACCEPTED_RECENTLY: Final = timedelta(days=1)
#: A request is set aside (the rest goes on) after this many server errors in a row.
SET_ASIDE_AFTER: Final = 2
#: ... and parked after this many tries, if other requests were accepted meanwhile.
PARK_AFTER: Final = 6
#: The backoff of a request set aside: 2 s · 2^(tries-1), at most an hour.
SET_ASIDE_BASE_S: Final = 2.0
SET_ASIDE_CAP_S: Final = 3600.0
PARKED_RETRY_EVERY: Final = timedelta(days=1)
CANCEL_NOTE: Final = "recorded locally only: the server has no cancel endpoint"
DONE_KEPT_DAYS: Final = 7


class SyncClock(Protocol):
    """Time for the worker; tests pass a fake that never really waits."""

    def monotonic(self) -> float: ...

    def wall(self) -> datetime: ...

    def wait(self, seconds: float, wake: threading.Event) -> bool:
        """Wait up to ``seconds`` or until ``wake`` is set; True if woken."""
        ...


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, seconds: float, wake: threading.Event) -> bool:
        return wake.wait(max(0.0, seconds))


@dataclass(frozen=True, slots=True)
class HostedLimits:
    """The local fallback pace when a server sends no rate headers (the hosted
    service's limits), and the burst each bucket may spend at once."""

    telemetry_per_hour: int = contract.TELEMETRY_PER_HOUR
    jobs_per_hour: int = contract.JOBS_PER_HOUR
    telemetry_burst: int = 60
    jobs_burst: int = 5


class _BlockedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


KeyProvider = Callable[[], ApiKey | None]


@dataclass(slots=True)
class SyncWorker:
    """See the module docstring.  ``start()``/``stop()`` for the thread; ``drain()``
    runs on the caller's thread until the queue is empty (``roadmaster sync``)."""

    engine: Engine
    client: CloudClient
    key_provider: KeyProvider
    clock: SyncClock = field(default_factory=RealClock)
    rng: random.Random = field(default_factory=random.Random)
    batch_size: int = 500
    claim_size: int = 2000
    limits: HostedLimits = field(default_factory=HostedLimits)
    key_poll_s: float = 2.0
    idle_poll_s: float = 1.0
    #: ``drain(once=True)`` gives up after this many network failures in a row ...
    max_offline_failures: int = 4
    #: ... or this many server errors in a row with nothing accepted in this run ...
    max_server_failures: int = 8
    #: ... or when the next request could not go before this many seconds have passed.
    once_deadline_s: float = 300.0
    #: ``drain(once=True)`` says here what it waits for when a wait is long.
    report: Callable[[str], None] | None = None
    report_after_s: float = 5.0

    status: SyncStatus = field(default_factory=SyncStatus)
    stats: SyncStats = field(default_factory=SyncStats)
    _wake: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _conn: Connection | None = None
    _server: ServerInfo | None = None
    _builder: BodyBuilder = field(default_factory=BodyBuilder)
    _claim: list[OutboxRow] = field(default_factory=list)
    _claim_loaded: bool = False
    _server_ids: dict[int, str] = field(default_factory=dict)
    _single_ids: set[int] = field(default_factory=set)
    _paused_key: ApiKey | None = None
    _resume_at: float = 0.0
    _offline_failures: int = 0
    _server_failures: int = 0  # in a row, with nothing accepted in between
    _group_failures: dict[int, int] = field(default_factory=dict)  # head id → in a row
    _tries: dict[int, int] = field(default_factory=dict)  # row id → attempts so far
    _accepted: bool = False  # a request was accepted in this run, or within a day before
    _accepted_saved_at: float | None = None
    _parked_check_at: float | None = None
    _waiting_set_aside: bool = False  # the last _step waits only for rows set aside
    _backoff: Backoff | None = None
    _pacers: dict[str, Pacer] = field(default_factory=dict)
    _flush_deadline: float | None = None
    _saved_status: SavedStatus = field(default_factory=SavedStatus)

    def __post_init__(self) -> None:
        self._backoff = Backoff(rng=self.rng)
        lim = self.limits
        self._pacers = {
            "telemetry": Pacer(
                TokenBucket(lim.telemetry_per_hour / 3600.0, float(lim.telemetry_burst))
            ),
            "jobs": Pacer(TokenBucket(lim.jobs_per_hour / 3600.0, float(lim.jobs_burst))),
        }

    # --- control (any thread) ----------------------------------------------------------

    def start(self) -> None:
        """Run on a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            raise RuntimeError("the sync worker is already running")
        self._thread = threading.Thread(target=self._thread_main, name="sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """New rows were committed: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, flush_timeout_s: float = 5.0) -> bool:
        """Give the worker up to ``flush_timeout_s`` to send what is queued, then stop
        it and wait for it.  True if it ended in time; rows not sent stay queued."""
        self._flush_deadline = self.clock.monotonic() + flush_timeout_s
        self._stop.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(flush_timeout_s + 5.0)
        return not self._thread.is_alive()

    # --- running -----------------------------------------------------------------------

    def drain(self, *, once: bool = True) -> SyncStats:
        """Send until the queue is empty, on this thread.

        ``once``: end in bounded time.  Raise :class:`SyncBlockedError` (one line, what
        to do) when there is no key or the key is refused; stop with rows left — the
        reason in ``stats.stopped_because`` — when the server stays unreachable
        (``max_offline_failures`` in a row), keeps failing (``max_server_failures``
        with nothing accepted between), or the next request could not go before
        ``once_deadline_s`` (pacing, a 429, rows set aside).  Long waits are told to
        ``report``.  Without ``once`` it waits all of those out (Ctrl-C to stop)."""
        deadline = self.clock.monotonic() + self.once_deadline_s
        try:
            while True:
                try:
                    delay = self._step()
                except _BlockedError as blocked:
                    if once:
                        raise SyncBlockedError(blocked.reason) from None
                    delay = self.key_poll_s
                if delay is None:
                    return self.stats
                if once:
                    why = self._give_up(delay, deadline)
                    if why is not None:
                        self.stats.stopped_because = why
                        self.stats.stopped_detail = self.status.last_error
                        return self.stats
                    if delay >= self.report_after_s and self.report is not None:
                        self.report(f"waiting {delay:.0f} s: {self._waiting_for()}")
                self._sleep(delay, wakeable=True)
        finally:
            self._close()

    def _give_up(self, delay: float, deadline: float) -> str | None:
        """Why ``drain(once=True)`` should stop now (None: go on)."""
        state = self.status.state
        if self._offline_failures >= self.max_offline_failures:
            return "offline"
        if self._server_failures >= self.max_server_failures and not self._accepted:
            # Nothing was accepted: the server fails everything.  (When it accepts
            # others, a failing request is parked after PARK_AFTER tries instead.)
            return "server_error"
        if self.clock.monotonic() + delay > deadline:
            if state is SyncState.OFFLINE:
                return "offline"
            if state is SyncState.SERVER_ERROR:
                return "server_error"
            if state in (SyncState.RATE_LIMITED, SyncState.PACING):
                return "rate_limited"
            return "deadline"
        return None

    def _waiting_for(self) -> str:
        state, error = self.status.state, self.status.last_error
        if state is SyncState.PACING:
            return "pacing requests to the server's rate limit"
        if state is SyncState.RATE_LIMITED:
            return f"the server asked to slow down ({error})"
        if state is SyncState.OFFLINE:
            return f"the server cannot be reached ({error}); trying again"
        if state is SyncState.SERVER_ERROR:
            return f"the server failed ({error}); trying again"
        return "rows set aside after server errors are due again"

    def _thread_main(self) -> None:
        try:
            while True:
                waiting_for_rows = False
                self._waiting_set_aside = False
                try:
                    delay = self._step()
                except _BlockedError:
                    delay = self.key_poll_s
                    waiting_for_rows = True  # a new key arrives through wake() too
                if self._stop.is_set() and self._should_exit(delay):
                    break
                if delay is None:
                    delay = self.idle_poll_s
                    waiting_for_rows = True
                elif self._waiting_set_aside:
                    # Nothing to send but rows set aside for later: new rows must not
                    # wait for those (live samples reach the server within 2 s).
                    delay = min(delay, self.idle_poll_s)
                    waiting_for_rows = True
                if self._flush_deadline is not None and self._stop.is_set():
                    delay = min(delay, max(0.0, self._flush_deadline - self.clock.monotonic()))
                self._sleep(delay, wakeable=waiting_for_rows)
        except Exception:
            # A bug: say so, keep the data (rows stay queued), and let capture go on.
            log.exception("the sync worker stopped on an unexpected error")
        finally:
            self._close()

    def _should_exit(self, delay: float | None) -> bool:
        if delay is None:  # queue empty
            return True
        blocked = self.status.state in (
            SyncState.OFFLINE,
            SyncState.UNAUTHORIZED,
            SyncState.NO_KEY,
            SyncState.RATE_LIMITED,
        )
        past = self._flush_deadline is None or self.clock.monotonic() >= self._flush_deadline
        return blocked or past

    def _sleep(self, seconds: float, *, wakeable: bool) -> None:
        """Wait ``seconds``.  A wait for rows (idle, blocked) ends early on ``wake()``.
        A pacing or backoff wait must not: new rows change nothing about when the
        server will take the next request, and a wake set by every capture commit
        would otherwise end each wait at once and spin the thread.  ``stop()`` ends
        either kind."""
        if seconds <= 0:
            return
        if not wakeable:
            self._wake.clear()
            if self._stop.is_set():  # stop() sets _stop before _wake: never lose it
                self._wake.set()
        self.clock.wait(seconds, self._wake)

    def _close(self) -> None:
        if self._stop.is_set():
            self._set_state(SyncState.STOPPED)
        else:  # drain() ended: keep the reason it ended with
            self._set_state(self.status.state, self.status.last_error)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self.client.close()

    # --- one step ----------------------------------------------------------------------

    def _db(self) -> Connection:
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(**WRITER)
        return self._conn

    def _step(self) -> float | None:
        """Do one thing; return the seconds to wait before the next step, or None when
        the queue is empty."""
        key = self.key_provider()
        if key is None or self._paused_key is not None:
            # Blocked on the key: read it again (a cached provider reads it only when
            # it may have changed; here it may have, outside this process).
            refresh = getattr(self.key_provider, "refresh", None)
            if refresh is not None:
                refresh()
                key = self.key_provider()
        if key is None:
            self._set_state(SyncState.NO_KEY, "no API key")
            raise _BlockedError(
                "No RoadMaster API key: set one with `roadmaster sync --set-key` or "
                "ROADMASTER_API_KEY."
            )
        if self._paused_key is not None:
            if key == self._paused_key:
                raise _BlockedError(
                    f"The server refused the API key {key} (401). Copy the current key "
                    "from the dashboard and set it with `roadmaster sync --set-key` or "
                    "ROADMASTER_API_KEY; nothing was dropped."
                )
            log.info("the API key changed: sync resumes")
            self._paused_key = None
        now = self.clock.monotonic()
        if now < self._resume_at:
            return self._resume_at - now
        if self._server is None:
            self._discover()
            if self._server is None:
                return self._resume_at - self.clock.monotonic()
        if not self._claim:
            self._claim_more()
            if not self._claim:
                later = self._set_aside_due()
                if later is not None:
                    self._waiting_set_aside = True
                    return later
                self._set_state(SyncState.IDLE, self.status.last_error)
                return None
        return self._send_next(key)

    def _set_aside_due(self) -> float | None:
        """Seconds until the earliest row set aside is due (None: none is)."""
        with self._db().begin():
            due = ob.next_attempt_due(self._db())
        if due is None:
            return None
        return max(0.0, (due - self.clock.wall()).total_seconds())

    def _discover(self) -> None:
        try:
            server = self.client.health()
        except OfflineError as exc:
            self._failed(exc.reason)
            return
        self._server = server
        self._offline_failures = 0
        self._builder = BodyBuilder(
            client_timestamps=server.has(contract.FEATURE_CLIENT_TIMESTAMPS)
        )
        self.status = replace(self.status, server=server)
        log.info(
            "syncing to %s (%s)",
            self.client.base_url,
            ", ".join(sorted(server.features)) or "plain contract",
        )

    def _claim_more(self) -> None:
        conn = self._db()
        self._retry_parked_daily()
        if not self._claim_loaded:
            self._claim_loaded = True
            self._update_parked()
            last = self._read_time_setting(ACCEPTED_SETTING)
            if last is not None and self.clock.wall() - last < ACCEPTED_RECENTLY:
                self._accepted = True
            ob.prune_done(conn, before=self.clock.wall() - timedelta(days=DONE_KEPT_DAYS))
            # Rows a crash left claimed: resent first, grouped as before (see module doc).
            self._claim = ob.claimed_rows(conn)
            if self._claim:
                log.info("resending %d rows left in flight", len(self._claim))
                return
        self._wake.clear()  # a commit after this point wakes the next wait at once
        self._claim = ob.claim_batch(conn, now=self.clock.wall(), limit=self.claim_size)

    def _retry_parked_daily(self) -> None:
        """Queue the rows parked after server errors again once a day: the server may
        have been fixed.  Checked at most hourly (one settings read)."""
        now = self.clock.monotonic()
        if self._parked_check_at is not None and now < self._parked_check_at:
            return
        self._parked_check_at = now + 3600.0
        conn = self._db()
        wall = self.clock.wall()
        last_at = self._read_time_setting(PARKED_RETRY_SETTING)
        if last_at is not None and wall - last_at < PARKED_RETRY_EVERY:
            return
        count = ob.retry_parked(conn)
        if count:
            log.info("%d parked rows queued again (their daily retry)", count)
            self._update_parked()
        self._save_setting(PARKED_RETRY_SETTING, wall.isoformat())

    def _read_time_setting(self, key: str) -> datetime | None:
        conn = self._db()
        with conn.begin():
            value = conn.execute(
                sa.select(settings.c.value).where(settings.c.key == key)
            ).scalar_one_or_none()
        try:
            return datetime.fromisoformat(str(value)) if value is not None else None
        except ValueError:
            return None

    def _update_parked(self) -> None:
        with self._db().begin():
            parked = ob.dead_summary(self._db())
        if parked != self.status.parked:
            self.status = replace(self.status, parked=parked)

    def _save_setting(self, key: str, value: Any) -> None:
        now = self.clock.wall()
        try:
            conn = self._db()
            with conn.begin():
                put_value(conn, key, value, now)
        except sa.exc.OperationalError as exc:
            log.warning("could not save the setting %s (%s)", key, type(exc).__name__)

    def _next_group(self) -> Group:
        limit = batch_limit(self._server or PLAIN, self.batch_size)
        return next_group(self._claim, self._single_ids, limit)

    def _server_job(self, row: OutboxRow) -> str | None:
        if row.job_id is None:
            return None
        return self._server_ids.get(row.job_id) or row.server_job_id

    def _unmapped_reason(self, row: OutboxRow) -> str:
        assert row.job_id is not None
        with self._db().begin():
            state, error = ob.job_start_state(self._db(), row.job_id)
        if state == "dead" and error is not None and ob.PARKED_MARK in error:
            # Parked with its start, and queued again with it (the daily retry).
            return f"not sent: this job's start was {ob.PARKED_MARK} server errors"
        if state == "dead":
            return "not sent: the server refused this job's start (see its job_start row)"
        return f"not sent: the job's start was never acknowledged (start row: {state or 'none'})"

    def _send_next(self, key: ApiKey) -> float:
        group = self._next_group()
        # Rows that cannot go: no server id for their job, or an unreadable payload.
        bodies: list[dict[str, Any]] = []
        sendable: list[OutboxRow] = []
        for row in group.rows:
            try:
                body = self._body(row)
            except _DeadLetterError as dead:
                self._dead([row], dead.reason)
                continue
            if body is None:  # nothing to send (cancel on a plain server)
                self._done([row], note=CANCEL_NOTE)
                continue
            bodies.append(body)
            sendable.append(row)
        if not sendable:
            return 0.0
        group = replace(group, rows=sendable)
        bucket = "telemetry" if group.kind == "telemetry" else "jobs"
        pacer = self._pacers[bucket]
        now = self.clock.monotonic()
        wait = pacer.delay(len(sendable), now)
        if wait > 0:
            self._set_state(SyncState.PACING, self.status.last_error)
            return wait
        path, body, idem = self._request(group, bodies)
        self._set_state(SyncState.SENDING, self.status.last_error)
        self.stats.requests += 1
        try:
            reply = self.client.post(
                path,
                body,
                key,
                idempotency_key=idem,
                expect_accepted=len(sendable) if path == TELEMETRY_BATCH else None,
            )
        except OfflineError as exc:
            self._failed(exc.reason, group.ids)
            return self._resume_at - self.clock.monotonic()
        now = self.clock.monotonic()
        pacer.sent(len(sendable), now)
        pacer.observe(reply.rate, now)
        return self._handle(group, reply, key)

    def _body(self, row: OutboxRow) -> dict[str, Any] | None:
        try:
            if row.kind == "telemetry":
                return self._builder.telemetry(row, self._mapped(row, optional=True))
            if row.kind == "job_start":
                return self._builder.job_start(row)
            server_id = self._mapped(row, optional=False)
            assert server_id is not None
            if row.kind == "job_cancel" and not (self._server or PLAIN).has(
                contract.FEATURE_CANCEL
            ):
                return None
            return self._builder.job_end(row, server_id)
        except BadRecordError as exc:
            raise _DeadLetterError(str(exc)) from None

    def _mapped(self, row: OutboxRow, *, optional: bool) -> str | None:
        server_id = self._server_job(row)
        if server_id is None and (row.job_id is not None or not optional):
            raise _DeadLetterError(self._unmapped_reason(row) if row.job_id else "no job")
        return server_id

    def _request(
        self, group: Group, bodies: list[dict[str, Any]]
    ) -> tuple[str, dict[str, Any], str | None]:
        idem_enabled = (self._server or PLAIN).has(contract.FEATURE_IDEMPOTENCY)
        if group.kind == "telemetry" and group.batch:
            digest = hashlib.sha256(",".join(r.event_id for r in group.rows).encode()).hexdigest()
            return TELEMETRY_BATCH, {"samples": bodies}, f"b{digest[:40]}" if idem_enabled else None
        row = group.rows[0]
        idem = row.event_id if idem_enabled else None
        if group.kind == "telemetry":
            return TELEMETRY, bodies[0], idem
        if group.kind == "job_start":
            return JOB_START, bodies[0], idem
        if self._builder.is_delivery(row):
            return JOB_COMPLETE, bodies[0], idem
        return JOB_CANCEL, bodies[0], idem

    def _handle(self, group: Group, reply: Reply, key: ApiKey) -> float:
        outcome = reply.outcome
        if outcome is Outcome.OK:
            return self._succeeded(group, reply)
        if outcome is Outcome.REJECTED:
            if group.batch and len(group.rows) > 1:
                # The batch is all-or-nothing: find the culprit one sample at a time.
                log.warning(
                    "a batch of %d was refused; sending it sample by sample", len(group.rows)
                )
                self._single_ids.update(group.ids)
                return 0.0
            self._dead(group.rows, reply.reason)
            return 0.0
        if outcome is Outcome.UNAUTHORIZED:
            self._paused_key = key
            self._note(group.ids, reply.reason)
            self._set_state(SyncState.UNAUTHORIZED, reply.reason)
            log.warning("the server refused the API key %s: sync paused until it changes", key)
            raise _BlockedError(
                f"The server refused the API key {key} (401). Set the current key with "
                "`roadmaster sync --set-key` or ROADMASTER_API_KEY; nothing was dropped."
            )
        if outcome is Outcome.RATE_LIMITED:
            self.stats.rate_limited += 1
            bucket = "telemetry" if group.kind == "telemetry" else "jobs"
            wait = reply.retry_after_s
            if wait is None:
                wait = reply.rate.reset_in_s
            # At least the backoff, growing while 429s go on: a server answering 429
            # with "Retry-After: 0" (or nonsense) must not be asked again at once.
            assert self._backoff is not None
            wait = max(wait or 0.0, self._backoff.next_delay())
            now = self.clock.monotonic()
            self._pacers[bucket].block(wait, now)
            self._note(group.ids, reply.reason)
            self._set_state(SyncState.RATE_LIMITED, reply.reason)
            return wait
        if outcome is Outcome.NO_ENDPOINT:
            # The server lost an extension (downgraded?): ask again what it supports.
            log.warning("%s: the server no longer has this endpoint", reply.reason)
            self._server = None
            return 0.0
        return self._server_failed(group, reply.reason)

    def _server_failed(self, group: Group, reason: str) -> float:
        """A 5xx or an answer without the contract's shape.  The first time, the whole
        queue backs off (the server may be in trouble) and the same request goes
        again; when it fails again it is set aside with a backoff of its own and the
        rest goes on; after PARK_AFTER tries, with other requests accepted meanwhile,
        its rows are parked."""
        head = group.rows[0].id
        in_a_row = self._group_failures.get(head, 0) + 1
        self._group_failures[head] = in_a_row
        self._server_failures += 1
        tries = 0
        for row in group.rows:
            self._tries[row.id] = self._tries.get(row.id, row.attempts) + 1
            tries = max(tries, self._tries[row.id])
        if tries >= PARK_AFTER and self._accepted and group.batch and len(group.rows) > 1:
            # Park only the culprits: send the batch's samples one by one.
            self._single_ids.update(group.ids)
            self._failed(reason, group.ids, server=True)
            return self._resume_at - self.clock.monotonic()
        if tries >= PARK_AFTER and self._accepted:
            self.stats.failures += 1
            self._group_failures.pop(head, None)
            self._dead(group.rows, ob.parked_reason(reason, tries))
            self._set_state(SyncState.SERVER_ERROR, reason)
            return 0.0
        if in_a_row < SET_ASIDE_AFTER and tries < SET_ASIDE_AFTER:
            # (A request set aside before goes straight back aside.)
            self._failed(reason, group.ids, server=True)
            return self._resume_at - self.clock.monotonic()
        # Set aside: back to ready, due later; the rest of the claim goes on at once.
        self.stats.failures += 1
        self._group_failures.pop(head, None)
        ceiling = min(SET_ASIDE_CAP_S, SET_ASIDE_BASE_S * 2 ** min(tries - 1, 30))
        delay = self.rng.uniform(ceiling / 2, ceiling)
        ob.mark_retry(
            self._db(),
            group.ids,
            error=reason,
            next_attempt_at=self.clock.wall() + timedelta(seconds=delay),
        )
        self._forget(group.ids)
        if group.kind == "job_start":
            self._hold_dependants(group.rows[0])
        log.info(
            "sync: %s; outbox rows %s set aside for %.0f s, the rest goes on",
            reason,
            _id_text(group.ids),
            delay,
        )
        self._set_state(SyncState.SERVER_ERROR, reason)
        return 0.0

    def _hold_dependants(self, start: OutboxRow) -> None:
        """A job start set aside: its samples and end in the claim go back to ready
        (the claim takes them again once the start is acknowledged)."""
        held = [r.id for r in self._claim if r.job_id == start.job_id and r.id > start.id]
        if held:
            ob.release(self._db(), held)
            self._forget(held)

    def _succeeded(self, group: Group, reply: Reply) -> float:
        assert self._backoff is not None
        self._backoff.reset()
        self._offline_failures = 0
        self._server_failures = 0
        self._accepted = True
        now = self.clock.monotonic()
        if self._accepted_saved_at is None or now - self._accepted_saved_at >= 60.0:
            self._accepted_saved_at = now
            self._save_setting(ACCEPTED_SETTING, self.clock.wall().isoformat())
        self._group_failures.pop(group.rows[0].id, None)
        if group.kind == "job_start":
            row = group.rows[0]
            # The client checked the answer's shape: OK means it has a job id.
            server_id = contract.JobStarted.model_validate(reply.body).job.id
            assert row.job_id is not None
            self._server_ids[row.job_id] = server_id
            self._done(group.rows, server_job=(row.job_id, server_id))
        else:
            self._done(group.rows)
        self.stats.rows_sent += len(group.rows)
        if self.status.state is not SyncState.SENDING or self.status.last_error is not None:
            self._set_state(SyncState.SENDING, None)
        return 0.0

    # --- bookkeeping -------------------------------------------------------------------

    def _forget(self, ids: list[int]) -> None:
        gone = set(ids)
        self._claim = [r for r in self._claim if r.id not in gone]
        self._single_ids -= gone
        for i in ids:
            self._tries.pop(i, None)

    def _done(
        self,
        rows: list[OutboxRow],
        *,
        note: str | None = None,
        server_job: tuple[int, str] | None = None,
    ) -> None:
        ids = [r.id for r in rows]
        ob.mark_done(self._db(), ids, note=note, server_job=server_job)
        self._forget(ids)

    def _dead(self, rows: list[OutboxRow], reason: str) -> None:
        ids = [r.id for r in rows]
        ob.mark_dead(self._db(), ids, reason=reason)
        self._forget(ids)
        self.stats.rows_dead += len(ids)
        if ob.PARKED_MARK in reason:
            log.warning("outbox rows %s parked: %s", _id_text(ids), reason)
        else:
            log.warning("outbox rows %s refused for good: %s", _id_text(ids), reason)
        self._update_parked()

    def _note(self, ids: list[int], error: str) -> None:
        # Still claimed: the same request goes again (see the module docstring).
        ob.mark_retry(self._db(), ids, error=error, next_attempt_at=None, keep_claimed=True)

    def _failed(self, reason: str, ids: list[int] | None = None, *, server: bool = False) -> None:
        """Back the whole queue off: a network failure (``server``: a server error)."""
        assert self._backoff is not None
        delay = self._backoff.next_delay()
        self._resume_at = self.clock.monotonic() + delay
        if not server:
            self._offline_failures += 1
        self.stats.failures += 1
        if ids:
            ob.mark_retry(
                self._db(),
                ids,
                error=reason,
                next_attempt_at=self.clock.wall() + timedelta(seconds=delay),
                keep_claimed=True,
            )
        if reason.startswith("cannot connect") or reason.startswith("connection lost"):
            self._server = None  # ask again what it supports once it is back
        log.info("sync: %s; retrying in %.1f s", reason, delay)
        self._set_state(SyncState.SERVER_ERROR if server else SyncState.OFFLINE, reason)

    def _set_state(self, state: SyncState, error: str | None = None) -> None:
        self.status = replace(self.status, state=state, last_error=error)
        self._saved_status.record(self._db, state, error, self.clock.wall())


class _DeadLetterError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _id_text(ids: list[int]) -> str:
    if len(ids) <= 3:
        return ", ".join(map(str, ids))
    return f"{ids[0]}…{ids[-1]} ({len(ids)} rows)"
