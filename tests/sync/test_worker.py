"""The sync worker against the real reference server over HTTP on 127.0.0.1, with a
fault-injecting proxy in front of it; the worker's clock is fake (no waiting)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from roadmaster.server import tables as t
from roadmaster.server.users import rotate_key
from roadmaster.storage import Store
from roadmaster.storage import outbox as ob
from roadmaster.sync.config import ApiKey
from roadmaster.sync.errors import SyncBlockedError
from tests.factories import make_sample
from tests.fakes import FakeClock
from tests.sync.conftest import Proxy, Server, WorkerClock, make_worker, record_drive


def _pending(store: Store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        pair = ob.pending_count(conn), ob.dead_count(conn)
        assert ob.counts(conn) == pair  # the status bar's one-query count agrees
        return pair


def _check_arrived(server: Server, n_samples: int, n_jobs: int) -> None:
    """Every sample once, in order; every job once; each job's samples carry its id."""
    assert server.positions() == [float(i) for i in range(n_samples)]
    assert server.count(t.jobs) == n_jobs
    tel, jobs = t.telemetry, t.jobs
    orphans = sa.select(sa.func.count()).select_from(tel.outerjoin(jobs, jobs.c.id == tel.c.job_id))
    assert server.scalar(orphans.where(tel.c.job_id.is_not(None), jobs.c.id.is_(None))) == 0
    with_samples = sa.select(sa.func.count(sa.distinct(tel.c.job_id)))
    assert server.scalar(with_samples) == n_jobs
    assert server.count(jobs, jobs.c.completed_at.is_not(None)) == n_jobs


@pytest.mark.parametrize("plain", [False, True], ids=["extensions", "plain-contract"])
def test_offline_backlog_arrives_in_order_once_the_server_is_up(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server, plain: bool
) -> None:
    n = record_drive(store, clock, jobs=3, samples_per_job=60 if plain else 400)
    wclock = WorkerClock()
    worker, _ = make_worker(store, proxy.url, server.key, wclock)
    # Offline: nothing listens on the proxy's port yet (connection refused).
    stats = worker.drain(once=True)
    assert stats.stopped_because == "offline"
    assert stats.stopped_detail is not None and "cannot connect" in stats.stopped_detail
    assert _pending(store) == (n + 6, 0)
    assert wclock.waited and all(w > 0 for w in wclock.waited)  # backed off, no spinning
    proxy.plain = plain
    proxy.start()
    worker, _ = make_worker(store, proxy.url, server.key, wclock)
    worker.drain(once=True)
    _check_arrived(server, n, 3)
    assert _pending(store) == (0, 0)
    if plain:
        assert "/api/telemetry/batch" not in proxy.seen
        assert proxy.seen.count("/api/telemetry") == n
    else:
        assert proxy.seen.count("/api/telemetry/batch") < 10
        # client timestamps: the samples keep the time they were recorded
        first = sa.select(t.telemetry.c.recorded_at).order_by(t.telemetry.c.id).limit(1)
        assert server.scalar(first) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_500_429_and_dropped_replies_lose_nothing_and_duplicate_nothing(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server
) -> None:
    n = record_drive(store, clock, jobs=2, samples_per_job=300)
    script = {
        "/api/telemetry/batch": ["500", "429", "drop", None, "drop"],
        "/api/jobs/start": ["drop"],
    }

    def fault(path: str, body: dict[str, object]) -> object:
        steps = script.get(path)
        step = steps.pop(0) if steps else None
        if step == "500":
            return (500, {"error": "Internal error"}, {})
        if step == "429":
            return (429, {"error": "Rate limit exceeded"}, {"Retry-After": "37"})
        return step

    proxy.fault = fault  # type: ignore[assignment]
    proxy.start()
    wclock = WorkerClock()
    worker, _ = make_worker(store, proxy.url, server.key, wclock, batch_size=100)
    worker.drain(once=True)
    _check_arrived(server, n, 2)
    assert worker.stats.rate_limited == 1
    assert any(w >= 37 for w in wclock.waited)  # Retry-After honoured
    assert worker.stats.failures == 4  # the 500 and three lost replies
    assert _pending(store) == (0, 0)


def test_without_idempotency_a_lost_reply_can_duplicate_a_sample(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server
) -> None:
    """The documented limit of the plain contract: stored, reply lost, sent again."""
    for i in range(5):
        store.apply([make_sample(float(i), None)])
    drops = ["drop"]
    proxy.plain = True
    proxy.fault = lambda path, body: (
        drops.pop() if drops and body.get("position_x") == 2.0 else None
    )  # type: ignore[assignment]
    proxy.start()
    worker, _ = make_worker(store, proxy.url, server.key)
    worker.drain(once=True)
    assert server.positions() == [0.0, 1.0, 2.0, 2.0, 3.0, 4.0]


def test_401_pauses_until_the_key_changes_and_nothing_is_lost(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    n = record_drive(store, clock, jobs=2, samples_per_job=50)
    proxy.plain = True  # one request per row: the key changes mid-stream
    calls = []
    new_key: list[str] = []

    def fault(path: str, body: dict[str, object]) -> None:
        calls.append(path)
        if len(calls) == 30:
            new_key.append(rotate_key(server.db_url, "alice"))

    proxy.fault = fault  # type: ignore[assignment]
    proxy.start()
    worker, box = make_worker(store, proxy.url, server.key)
    with pytest.raises(SyncBlockedError, match="refused the API key rm_"):
        worker.drain(once=True)
    pending, dead = _pending(store)
    assert dead == 0 and pending > 0
    box.key = ApiKey(new_key[0])
    worker2, _ = make_worker(store, proxy.url, new_key[0])
    worker2.drain(once=True)
    _check_arrived(server, n, 2)
    for key in (server.key, new_key[0]):
        assert key not in caplog.text
        assert key[4:] not in caplog.text


def test_a_refused_sample_is_dead_lettered_and_the_rest_flows(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server
) -> None:
    n = record_drive(store, clock, jobs=1, samples_per_job=100)
    bad = 42.0

    def fault(path: str, body: dict[str, object]) -> object:
        samples = body.get("samples", [body])
        assert isinstance(samples, list)
        if any(s.get("position_x") == bad for s in samples):
            return (400, {"error": "Validation failed", "details": {"speed": "too fast"}}, {})
        return None

    proxy.fault = fault  # type: ignore[assignment]
    proxy.start()
    worker, _ = make_worker(store, proxy.url, server.key)
    worker.drain(once=True)
    assert server.positions() == [float(i) for i in range(n) if i != bad]
    assert _pending(store) == (0, 1)
    with store.engine.connect() as conn:
        (dead,) = ob.dead_rows(conn)
    assert (
        dead.kind == "telemetry" and "Validation failed" in dead.reason and "speed" in dead.reason
    )

    from roadmaster.commands.status import collect

    info = collect(store.engine, str(store.data_file))
    assert info["outbox_dead"] == 1 and "Validation failed" in info["dead_rows"][0]["reason"]
    # After a fix, `sync --retry-dead` sends it.
    proxy.fault = None
    with store.engine.connect() as conn:
        assert ob.retry_dead(conn) == 1
    worker, _ = make_worker(store, proxy.url, server.key)
    worker.drain(once=True)
    assert sorted(server.positions()) == [float(i) for i in range(n)]
    assert _pending(store) == (0, 0)


@pytest.mark.parametrize("plain", [False, True])
def test_a_cancelled_job_is_sent_only_where_the_server_has_cancel(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server, plain: bool
) -> None:
    from roadmaster.jobs.events import JobCancelled, JobStarted
    from tests.factories import make_info, make_stats

    info = make_info()
    store.apply([JobStarted(t_s=0, game_time_min=1, job_key="c", info=info, resumed=False)])
    store.apply([make_sample(0.0, "c")])
    store.apply(
        [
            JobCancelled(
                t_s=1,
                game_time_min=2,
                job_key="c",
                info=info,
                stats=make_stats(),
                penalty=500,
                finished_game_min=2,
            )
        ]
    )
    proxy.plain = plain
    proxy.start()
    worker, _ = make_worker(store, proxy.url, server.key)
    worker.drain(once=True)
    assert _pending(store) == (0, 0)
    cancelled = server.count(t.jobs, t.jobs.c.cancelled_at.is_not(None))
    assert cancelled == (0 if plain else 1)
    with store.engine.connect() as conn:  # closed: an open read would stall the checkpoint
        notes = conn.exec_driver_sql(
            "SELECT last_error FROM outbox WHERE kind = 'job_cancel'"
        ).scalar_one()
    assert (notes is not None and "no cancel endpoint" in notes) == plain


def test_a_live_sample_reaches_the_server_within_2_s(store: Store, server: Server) -> None:
    import time

    from roadmaster.sync.worker import RealClock

    worker, _ = make_worker(store, server.base_url, server.key, RealClock())  # type: ignore[arg-type]
    worker.start()
    try:
        store.apply([make_sample(0.0, None)])
        worker.wake()
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and server.count(t.telemetry) == 0:
            time.sleep(0.02)
        assert server.count(t.telemetry) == 1
        # and one committed without a wake is picked up by the idle poll
        store.apply([make_sample(1.0, None)])
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and server.count(t.telemetry) == 1:
            time.sleep(0.02)
        assert server.count(t.telemetry) == 2
    finally:
        assert worker.stop(2.0)
        worker.engine.dispose()


def test_commits_during_a_pacing_wait_do_not_cut_the_wait_short(store: Store) -> None:
    """Capture wakes the worker on every commit.  While the worker waits for the rate
    limit (or backs off), those wakes must not end the wait, or the thread spins until
    the server allows the next request; stop() must still end it at once."""
    clock = WorkerClock()
    worker, _ = make_worker(store, "http://127.0.0.1:9", None, clock)
    try:
        worker.wake()  # a commit arrived while the worker holds rows it may not send yet
        worker._sleep(30.0, wakeable=False)
        assert clock.waited == [30.0]  # the whole pacing wait, not a spin
        worker.wake()
        worker._sleep(30.0, wakeable=True)  # idle: new rows end the wait at once
        assert clock.waited == [30.0]
        worker._stop.set()
        worker._wake.set()  # what stop() does
        worker._sleep(30.0, wakeable=False)
        assert clock.waited == [30.0]  # stopping ends even a pacing wait
    finally:
        worker.client.close()
