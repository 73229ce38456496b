"""The write API: jobs, expenses, samples and their outbox rows, one transaction."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from roadmaster.jobs.events import (
    Anomaly,
    Event,
    Fined,
    GameConnected,
    JobAbandoned,
    JobCancelled,
    JobStatus,
    Sample,
    TollPaid,
    Transport,
)
from roadmaster.storage import DataFileError, Store
from roadmaster.storage.engine import DB_FILE_NAME
from roadmaster.storage.outbox import dead_count, game_unit_payload, pending_count
from roadmaster.telemetry.frame import Game
from tests.factories import make_delivered, make_info, make_sample, make_started, make_stats
from tests.fakes import FakeClock


def _rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def test_a_job_from_start_to_delivery_with_its_outbox(store: Store, clock: FakeClock) -> None:
    store.apply([make_started(), make_sample(11.0, "job-1")])
    clock.advance(hours=1)
    store.apply([make_sample(12.0, "job-1"), make_delivered()])

    job = _rows(
        store,
        "SELECT id, status, game, currency, revenue, xp, late, distance_km, damage_taken,"
        " started_at, ended_at, ended_game_min FROM jobs",
    )
    assert len(job) == 1
    job_id, status, game, currency, revenue, xp, late, dist, damage, started, ended, gend = job[0]
    assert (status, game, currency, revenue, xp, late) == ("delivered", "ats", "USD", 1100, 300, 0)
    assert dist == 200.0 and damage == pytest.approx(0.02)
    assert started.startswith("2026-03-01 12:00") and ended.startswith("2026-03-01 13:00")
    assert gend == 1240
    assert _rows(store, "SELECT job_id, t_s FROM samples ORDER BY id") == [
        (job_id, 11.0),
        (job_id, 12.0),
    ]
    # The outbox tells the cloud the same story, in the same order.
    assert _rows(store, "SELECT kind, job_id, state FROM outbox ORDER BY id") == [
        ("job_start", job_id, "ready"),
        ("telemetry", job_id, "ready"),
        ("telemetry", job_id, "ready"),
        ("job_complete", job_id, "ready"),
    ]
    assert pending_count(store.engine) == 4 and dead_count(store.engine) == 0
    assert store.open_job() is None


def test_outbox_payloads_are_the_events_in_game_units(store: Store) -> None:
    store.apply([make_started(), make_sample(11.0, "job-1")])
    with store.engine.connect() as conn:
        payloads = [r[0] for r in conn.execute(sa.text("SELECT payload FROM outbox ORDER BY id"))]
    import json

    start, sample = (json.loads(p) for p in payloads)
    assert start["event"] == "JobStarted" and start["info"]["game"] == "ats"
    assert start["info"]["planned_distance_km"] == 200
    assert sample == json.loads(json.dumps(game_unit_payload(make_sample(11.0, "job-1"))))
    assert sample["speed_mps"] == 20.0 and sample["wear"]["engine"] == 0.01


def test_apply_is_all_or_nothing(data_dir: Path, clock: FakeClock) -> None:
    def builder(event: Event) -> dict[str, Any] | None:
        if isinstance(event, Sample) and event.t_s == 13.0:
            raise RuntimeError("boom")
        return game_unit_payload(event)

    with Store.open(data_dir, clock=clock, payload_builder=builder) as store:
        store.apply([make_started("kept")])
        batch = [make_started("lost", 2), make_sample(12.0, "lost"), make_sample(13.0, "lost")]
        with pytest.raises(RuntimeError, match="boom"):
            store.apply(batch)
        assert _rows(store, "SELECT job_key FROM jobs") == [("kept",)]
        assert store.sample_count() == 0
        assert _rows(store, "SELECT kind FROM outbox") == [("job_start",)]
        # The failed batch left no cached id behind: a sample for "lost" is free driving.
        store.apply([make_sample(14.0, "lost")])
        assert _rows(store, "SELECT job_id FROM samples") == [(None,)]


def test_resume_after_restart_continues_the_open_job(data_dir: Path, clock: FakeClock) -> None:
    with Store.open(data_dir, clock=clock) as store:
        info = make_info(1)
        store.apply([make_started()], progress=("job-1", info, make_stats(50.0)))
    with Store.open(data_dir, clock=clock) as store:
        resumed = store.open_job()
        assert resumed is not None
        key, info2, stats = resumed
        assert key == "job-1" and info2 == info
        assert stats.distance_km == 50.0 and stats.fuel_used_l == pytest.approx(17.5)
        assert stats.wear_end == make_stats(50.0).wear_end
        # The tracker says "resumed": the same row is found again, the cloud is not told twice.
        store.apply([make_started(resumed=True), make_delivered()])
        assert _rows(store, "SELECT count(*) FROM jobs") == [(1,)]
        assert [k for (k,) in _rows(store, "SELECT kind FROM outbox ORDER BY id")] == [
            "job_start",
            "job_complete",
        ]


def test_a_job_seen_only_at_its_end_gets_a_start_too(store: Store) -> None:
    store.apply([make_delivered("late-attach")])
    assert _rows(store, "SELECT status FROM jobs") == [("delivered",)]
    assert [k for (k,) in _rows(store, "SELECT kind FROM outbox ORDER BY id")] == [
        "job_start",
        "job_complete",
    ]


def test_a_second_close_of_a_job_is_logged_not_sent(store: Store) -> None:
    store.apply([make_started(), make_delivered()])
    store.apply([make_delivered()])
    assert [k for (k,) in _rows(store, "SELECT kind FROM outbox ORDER BY id")] == [
        "job_start",
        "job_complete",
    ]
    assert ("job_closed_twice",) in _rows(store, "SELECT kind FROM session_log")


def test_cancelled_and_abandoned_jobs(store: Store) -> None:
    cancel = JobCancelled(
        t_s=1.0,
        game_time_min=1100,
        job_key="c",
        info=make_info(2),
        stats=make_stats(10.0),
        penalty=250,
        finished_game_min=1100,
    )
    gone = JobAbandoned(
        t_s=2.0,
        game_time_min=1200,
        job_key="a",
        info=make_info(3),
        stats=make_stats(5.0),
        reason="a different job started",
    )
    store.apply([make_started("c", 2), cancel, make_started("a", 3), gone])
    assert _rows(store, "SELECT job_key, status, penalty, end_reason FROM jobs ORDER BY id") == [
        ("c", "cancelled", 250, None),
        ("a", "needs-review", 0, "a different job started"),
    ]
    assert store.status_counts() == {"cancelled": 1, "needs-review": 1}
    store.set_job_status("a", JobStatus.ABANDONED)
    assert store.status_counts() == {"cancelled": 1, "abandoned": 1}
    kinds = [k for (k,) in _rows(store, "SELECT kind FROM outbox ORDER BY id")]
    assert kinds == ["job_start", "job_cancel", "job_start", "job_cancel"]


def test_expenses_attach_to_their_job_or_to_free_driving(store: Store) -> None:
    ferry = Transport(
        t_s=5.0,
        game_time_min=1010,
        job_key="job-1",
        kind="ferry",
        amount=400,
        source_name="Dover",
        target_name="Calais",
        source_id="dov",
        target_id="cal",
    )
    store.apply(
        [
            make_started(),
            Fined(t_s=3.0, game_time_min=1005, job_key="job-1", offence="speeding", amount=150),
            TollPaid(t_s=4.0, game_time_min=1006, job_key="job-1", amount=20),
            ferry,
            Fined(t_s=6.0, game_time_min=1300, job_key=None, offence="red_signal", amount=90),
            TollPaid(t_s=7.0, game_time_min=1301, job_key="no-such-job", amount=15),
        ]
    )
    assert _rows(store, "SELECT fines, tolls, transport_cost FROM jobs") == [(150, 20, 400)]
    events = _rows(store, "SELECT kind, job_id IS NULL, amount FROM job_events ORDER BY id")
    assert events == [
        ("fine", 0, 150),
        ("toll", 0, 20),
        ("ferry", 0, 400),
        ("fine", 1, 90),
        ("toll", 1, 15),
    ]
    assert _rows(store, "SELECT count(*) FROM outbox WHERE kind != 'job_start'") == [(0,)]


def test_session_events_and_anomalies_go_to_the_session_log(store: Store) -> None:
    store.apply(
        [
            GameConnected(
                t_s=0.0, game_time_min=1, game=Game.ETS2, revision=12, telemetry_version="1.12"
            ),
            make_started(),
            Anomaly(t_s=1.0, game_time_min=2, job_key="job-1", kind="both", detail="x"),
        ]
    )
    log = _rows(store, "SELECT kind, job_id IS NOT NULL FROM session_log ORDER BY id")
    assert log[1:] == [("game_connected", 0), ("anomaly", 1)]


def test_economics_are_set_in_the_same_transaction(store: Store) -> None:
    store.apply(
        [make_started(), make_delivered()],
        economics={"job-1": {"profit": 812.5, "safety_score": 91.0}},
    )
    store.set_job_economics("job-1", fuel_cost=70.0)
    assert _rows(store, "SELECT fuel_cost, profit, safety_score FROM jobs") == [(70.0, 812.5, 91.0)]
    with pytest.raises(ValueError, match="not economics columns"):
        store.apply([], economics={"job-1": {"income": 1.0}})
    with pytest.raises(KeyError):
        store.set_job_economics("nope", profit=1.0)


def test_settings_and_achievements(store: Store, clock: FakeClock) -> None:
    store.set_setting("units", "metric")
    store.set_setting("units", {"distance": "mi"})
    assert store.get_setting("units") == {"distance": "mi"}
    assert store.get_setting("missing", 7) == 7
    store.apply([make_started()])
    assert store.unlock_achievement("first_job", job_key="job-1") is True
    clock.advance(days=1)
    assert store.unlock_achievement("first_job") is False
    assert store.unlocked_achievements() == {"first_job": FakeClock().now}


def test_a_full_disk_stops_with_a_clear_error_and_keeps_what_was_saved(
    data_dir: Path, clock: FakeClock
) -> None:
    store = Store.open(data_dir, clock=clock)
    store.apply([make_started(), make_delivered()])
    pages = store.writer.connection.exec_driver_sql("PRAGMA page_count").scalar()
    store.writer.connection.commit()
    # SQLite's own cap on the file size fails writes with SQLITE_FULL, like a full disk.
    store.writer.connection.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
    store.writer.connection.commit()
    with pytest.raises(DataFileError) as caught:
        store.apply([make_sample(float(i), None) for i in range(2000)])
    assert caught.value.reason == "full"
    assert "disk" in str(caught.value) and "full" in str(caught.value)
    store.close()
    with Store.open(data_dir, clock=clock) as again:  # a later start recovers
        assert again.status_counts() == {"delivered": 1}
        assert again.sample_count() == 0
        again.apply([make_sample(1.0, None)])
        assert again.sample_count() == 1


def test_a_read_only_connection_fails_writes_with_a_clear_error(store: Store) -> None:
    store.writer.connection.exec_driver_sql("PRAGMA query_only = ON")
    store.writer.connection.commit()
    with pytest.raises(DataFileError) as caught:
        store.apply([make_started()])
    assert caught.value.reason == "read-only"
    assert "can't write" in str(caught.value)
    store.writer.connection.exec_driver_sql("PRAGMA query_only = OFF")
    store.writer.connection.commit()
    store.apply([make_started()])
    assert store.status_counts() == {"open": 1}


OPEN_AS_OTHER_USER = """
import sys
from pathlib import Path
from roadmaster.storage import DataFileError, Store
try:
    Store.open(Path(sys.argv[1])).close()
except DataFileError as exc:
    print(exc.reason, "|", exc)
"""


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_a_read_only_data_file_is_refused_at_open(data_dir: Path, tmp_path: Path) -> None:
    Store.open(data_dir).close()
    (data_dir / DB_FILE_NAME).chmod(0o444)
    data_dir.chmod(0o777)  # the lock file may be written; the database may not
    tmp_path.chmod(0o755)
    kwargs: dict[str, Any] = {}
    if os.geteuid() == 0:
        # root writes through any permission bits: open as an unprivileged user instead.
        kwargs = {"user": 65534, "group": 65534}
    try:
        result = subprocess.run(
            [sys.executable, "-c", OPEN_AS_OTHER_USER, str(data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            **kwargs,
        )
    except PermissionError as exc:
        pytest.skip(f"running as root, and the unprivileged user cannot run Python: {exc}")
    if result.returncode != 0 and "Permission denied" in result.stderr:
        pytest.skip(f"the unprivileged user cannot run the test interpreter: {result.stderr}")
    assert result.stdout.startswith("read-only |"), result.stdout + result.stderr
    assert "can't write" in result.stdout
