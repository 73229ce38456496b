"""The player's verdict on an unfinished job reaches the cloud once, over real HTTP
against the reference server (and a plain-contract server: the reference server
behind a proxy that hides /api/health), and the career totals follow."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from roadmaster.jobs.achievements import evaluate, progress
from roadmaster.jobs.events import JobAbandoned, JobStatus
from roadmaster.runtime.joblog import JobLogService
from roadmaster.server import tables as t
from roadmaster.storage import Store
from roadmaster.storage import joblog as sj
from roadmaster.storage.history import CareerKeeper, finished_jobs
from roadmaster.storage.tables import achievements, jobs, outbox
from tests.factories import make_delivered, make_info, make_sample, make_started, make_stats
from tests.fakes import FakeClock
from tests.sync.conftest import Proxy, Server, make_worker


def _abandon(store: Store, key: str, n: int = 1) -> int:
    """A job started, driven and then gone without a game event (the tracker's
    JobAbandoned): stored as "needs review", its abandonment queued as a cancel."""
    store.apply([make_started(key, n)])
    store.apply([make_sample(11.0, key), make_sample(12.0, key)])
    store.apply(
        [
            JobAbandoned(
                t_s=20.0,
                game_time_min=1200,
                job_key=key,
                info=make_info(n),
                stats=make_stats(180.0, damage=0.01),
                reason="another job appeared",
            )
        ]
    )
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(jobs.c.id).where(jobs.c.job_key == key)).scalar_one())


def _drain(store: Store, url: str, key: str) -> None:
    """One sync run (a worker closes its client when the run ends)."""
    worker, _ = make_worker(store, url, key)
    worker.drain(once=True)


def _outbox(store: Store, job_id: int) -> list[tuple[str, str, str | None]]:
    o = outbox.c
    stmt = (
        sa.select(o.kind, o.state, o.last_error)
        .where(o.job_id == job_id, o.kind != "telemetry")
        .order_by(o.id)
    )
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]  # type: ignore[misc]


def _server_job(server: Server) -> tuple[str, bool | None]:
    with server.engine.connect() as conn:
        row = conn.execute(sa.select(t.jobs.c.status, t.jobs.c.abandoned)).one()
    return row.status, row.abandoned


def _assert_career_is_the_history(store: Store) -> None:
    """The stored career, the unlocked achievements and the progress all equal a
    full recomputation over the history (achievements.evaluate)."""
    history = [job for _, job in finished_jobs(store.engine)]
    expected = {u.achievement.id for u in evaluate(history, set())}
    assert set(store.unlocked_achievements()) == expected
    stored = {(p.achievement.id, p.current) for p in sj.achievement_progress(store.engine, None)}
    assert stored == {(p.achievement.id, p.current) for p in progress(history)}


@pytest.mark.parametrize("synced_first", [False, True])
def test_marked_delivered_the_server_has_it_completed_once(
    tmp_path: Path, store: Store, clock: FakeClock, server: Server, synced_first: bool
) -> None:
    """Whether or not the abandonment (a cancel) already reached the server, marking
    the job delivered completes it there, once: a second mark and a restart send
    nothing more."""
    job_id = _abandon(store, "lost")
    if synced_first:
        _drain(store, server.base_url, server.key)
        assert _server_job(server) == ("cancelled", True)
    service = JobLogService(store.engine, clock)
    result = service.resolve(job_id, JobStatus.DELIVERED)
    assert result.changed and result.queued == ("job_complete",)
    assert "completion is queued" in result.cloud
    assert not service.resolve(job_id, JobStatus.DELIVERED).changed  # a second click
    assert "waiting to be sent" in service.sync_state(job_id)
    _drain(store, server.base_url, server.key)
    assert _server_job(server)[0] == "completed"
    assert server.count(t.jobs) == 1
    assert service.sync_state(job_id) == "Sync: the server has the completion."
    kinds = [k for k, state, _ in _outbox(store, job_id) if state == "done"]
    assert kinds.count("job_complete") == 1 and kinds.count("job_start") == 1

    # a restart: the log opened again, a new worker drains it
    store.close()
    again = Store.open(tmp_path / "data", clock=clock)
    try:
        assert not JobLogService(again.engine, clock).resolve(job_id, JobStatus.DELIVERED)
        _drain(again, server.base_url, server.key)
        assert ("job_complete", "ready", None) not in _outbox(again, job_id)
    finally:
        again.close()
    with server.engine.connect() as conn:
        completed = conn.execute(
            sa.select(sa.func.count()).select_from(t.jobs).where(t.jobs.c.status == "completed")
        ).scalar_one()
    assert completed == 1


def test_a_job_that_never_reached_the_server_sends_its_start_first(
    store: Store, clock: FakeClock, server: Server
) -> None:
    """A job with nothing in the outbox (recorded before sync, imported) gets its
    start queued before the completion, as for a job seen only at its end."""
    job_id = _abandon(store, "old")
    with store.engine.begin() as conn:
        conn.execute(outbox.delete().where(outbox.c.job_id == job_id))
    result = JobLogService(store.engine, clock).resolve(job_id, JobStatus.DELIVERED)
    assert result.queued == ("job_start", "job_complete")
    _drain(store, server.base_url, server.key)
    assert _server_job(server)[0] == "completed"


@pytest.mark.parametrize("plain", [False, True])
def test_marked_cancelled_the_cancel_reaches_only_a_server_with_cancel(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server, plain: bool
) -> None:
    job_id = _abandon(store, "gone")
    service = JobLogService(store.engine, clock)
    result = service.resolve(job_id, JobStatus.CANCELLED)
    assert result.queued == ("job_cancel",)
    assert "hosted service has no cancel" in result.cloud
    proxy.plain = plain
    proxy.start()
    _drain(store, proxy.url, server.key)
    cancels = [p for p in proxy.seen if p == "/api/jobs/cancel"]
    if plain:
        assert cancels == []
        assert _server_job(server) == ("in_progress", None)  # simply never completed
        assert "no cancel endpoint" in service.sync_state(job_id)
    else:
        # one cancel: the player's, not the superseded abandonment
        assert cancels == ["/api/jobs/cancel"]
        assert _server_job(server) == ("cancelled", False)
        assert service.sync_state(job_id) == "Sync: the server has the cancel."
    notes = [err for kind, _, err in _outbox(store, job_id) if kind == "job_cancel"]
    assert any(err is not None and "player marked the job cancelled" in err for err in notes)


def test_cancelled_after_the_abandonment_went_out_sends_nothing_more(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server
) -> None:
    job_id = _abandon(store, "gone")
    proxy.start()
    _drain(store, proxy.url, server.key)
    sent = len(proxy.seen)
    result = JobLogService(store.engine, clock).resolve(job_id, JobStatus.CANCELLED)
    assert result.changed and result.queued == ()
    assert "counts it as cancelled" in result.cloud
    _drain(store, proxy.url, server.key)
    assert len(proxy.seen) == sent
    assert _server_job(server)[0] == "cancelled"


def test_delete_says_the_server_keeps_a_job_it_has(
    store: Store, clock: FakeClock, server: Server
) -> None:
    synced = _abandon(store, "synced", 1)
    _drain(store, server.base_url, server.key)
    local = _abandon(store, "local", 2)
    service = JobLogService(store.engine, clock)
    kept = service.delete(synced)
    assert kept.changed and "server keeps its copy" in kept.cloud
    gone = service.delete(local)
    assert gone.changed and "never reached the server" in gone.cloud
    assert not service.delete(local).changed
    _drain(store, server.base_url, server.key)
    assert server.count(t.jobs) == 1  # the synced one; the local one never went
    with store.engine.connect() as conn:
        left = conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one()
        in_log = conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one()
    assert in_log == 0 and left == 0  # no row of either job is left to send


def test_career_totals_equal_evaluate_after_each_edit(store: Store, clock: FakeClock) -> None:
    """A capture-side keeper keeps folding jobs while edits rebuild the career: after
    each step the stored totals and unlocks equal a full recomputation."""
    keeper = CareerKeeper(store)
    first = _abandon(store, "a", 1)
    second = _abandon(store, "b", 2)
    third = _abandon(store, "c", 3)
    keeper.catch_up()
    assert store.unlocked_achievements() == {}
    service = JobLogService(store.engine, clock)

    result = service.resolve(first, JobStatus.DELIVERED)
    assert "First Job" in result.unlocked
    assert "first_job" in store.unlocked_achievements()
    _assert_career_is_the_history(store)

    # the capture finishes a job: its keeper folds on from the rebuilt career
    store.apply([make_started("d", 4), make_delivered("d", 4)])
    keeper.catch_up()
    _assert_career_is_the_history(store)

    service.resolve(second, JobStatus.CANCELLED)
    _assert_career_is_the_history(store)
    service.delete(third)
    _assert_career_is_the_history(store)
    keeper.catch_up()
    _assert_career_is_the_history(store)
    with store.engine.connect() as conn:
        unlocked_at_job = conn.execute(
            sa.select(achievements.c.job_id).where(achievements.c.id == "first_job")
        ).scalar_one()
    assert unlocked_at_job == first


def test_an_edit_then_a_crash_before_the_rebuild_still_rebuilds(
    store: Store, clock: FakeClock
) -> None:
    """The edit drops the stored career in its own transaction: a process that died
    before the rebuild leaves no stale totals, the next catch-up rebuilds them."""
    from roadmaster.storage import job_edit
    from roadmaster.storage.engine import WRITER

    job_id = _abandon(store, "a")
    CareerKeeper(store).catch_up()
    with store.engine.connect().execution_options(**WRITER) as conn, conn.begin():
        job_edit.resolve_job(conn, job_id, JobStatus.DELIVERED, clock())
    # ... the process ends here; next start:
    CareerKeeper(store).catch_up()
    _assert_career_is_the_history(store)
    assert "first_job" in store.unlocked_achievements()


def test_the_status_and_the_outbox_change_together_or_not_at_all(
    store: Store, clock: FakeClock
) -> None:
    """If queueing the completion fails (here a real SQLite trigger refuses the
    outbox insert, as a full disk would), the job keeps its status and the career
    stays: nothing half-done that a retry could send twice or never."""
    job_id = _abandon(store, "a")
    CareerKeeper(store).catch_up()
    career_before = store.get_setting("career")
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON outbox "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    service = JobLogService(store.engine, clock)
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        service.resolve(job_id, JobStatus.DELIVERED)
    with store.engine.connect() as conn:
        status = conn.execute(sa.select(jobs.c.status).where(jobs.c.id == job_id)).scalar_one()
    assert status == "needs-review"
    assert store.get_setting("career") == career_before
    assert ("job_complete", "ready", None) not in _outbox(store, job_id)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse")
    assert service.resolve(job_id, JobStatus.DELIVERED).queued == ("job_complete",)
