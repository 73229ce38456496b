"""The facade's commands and queries on a real capture thread and a real SQLite log:
parked rows queued again, Roadie's live snapshot, the shutdown order."""

from __future__ import annotations

import sqlalchemy as sa

from roadmaster.runtime import CaptureStateChanged, EventsCommitted, Runtime, RuntimeConfig
from roadmaster.storage import outbox as ob
from roadmaster.storage.store import Store
from roadmaster.storage.tables import outbox
from tests.runtime.conftest import Events
from tests.ui.frames import EndlessSource


def _runtime(tmp_path) -> Runtime:
    return Runtime(
        RuntimeConfig(
            source_factory=lambda: EndlessSource(),
            data_dir=tmp_path / "data",
            speed=20.0,
            sample_interval_s=0.5,
        )
    )


def test_parked_rows_are_queued_again(tmp_path):
    runtime = _runtime(tmp_path)
    events = Events(runtime)
    runtime.start()
    try:
        events.wait_for(lambda: runtime.outbox_counts()[0] >= 3)
        engine = runtime.engine()
        with engine.connect() as conn:
            ids = list(conn.execute(sa.select(outbox.c.id)).scalars())
            conn.rollback()  # end the read: mark_dead has its own transaction
            ob.mark_dead(conn, ids, reason="400 refused")
        assert runtime.outbox_counts()[1] == len(ids)
        assert runtime.retry_dead() == len(ids)
        assert runtime.outbox_counts()[1] == 0
    finally:
        assert runtime.shutdown(timeout_s=10)


def test_roadie_reads_the_live_truck_from_the_facade(tmp_path):
    runtime = _runtime(tmp_path)
    events = Events(runtime)
    assert runtime.live() is None  # nothing is known before capture
    runtime.start()
    try:
        events.wait_for(lambda: runtime.live() is not None)
        live = runtime.live()
        assert live.driving and live.frame is not None
        assert live.frame.truck.speed_mps > 0
    finally:
        assert runtime.shutdown(timeout_s=10)


def test_shutdown_commits_everything_and_closes_the_log(tmp_path):
    runtime = _runtime(tmp_path)
    events = Events(runtime)
    runtime.start()
    events.wait_for(lambda: events.of(EventsCommitted))
    assert runtime.shutdown(timeout_s=10)
    assert not runtime.running
    assert [e.running for e in events.of(CaptureStateChanged)] == [True, False]
    assert runtime.engine() is None
    announced = sum(len(e.events) for e in events.of(EventsCommitted))
    store = Store.open(tmp_path / "data")  # the lock was released
    try:
        with store.engine.connect() as conn:
            stored = conn.execute(sa.text("select count(*) from samples")).scalar_one()
    finally:
        store.close()
    assert stored > 0 and announced >= stored  # nothing announced that is not stored
    runtime.start()  # after shutdown: refused, no thread
    assert not runtime.running
