"""``roadmaster headless`` end to end: real sources (simulator, recordings), a real
SQLite file, the real command line in-process (``cli.main``) and in subprocesses
(kill -9, a second instance, a full disk)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from roadmaster import cli
from roadmaster.storage import Store
from tests.commands.conftest import (
    db_rows,
    roadmaster,
    scripted_session,
    spawn,
    tail_of,
    write_snapshots,
)

# Columns of a job that depend only on the telemetry (not on the wall clock).
JOB_FIGURES = (
    "job_key, status, game, income, revenue, penalty, xp, late, planned_distance_km, "
    "distance_km, fuel_used_l, avg_speed_mps, driving_s, real_s, game_min, cargo_damage, "
    "damage_taken, fines, tolls, transport_cost, fuel_cost, damage_cost, profit, "
    "safety_score, started_game_min, ended_game_min"
)
SAMPLE_FIGURES = (
    "s.t_s, s.game_time_min, s.speed_mps, s.engine_rpm, s.fuel_l, s.x_m, s.z_m, "
    "s.cargo_damage, s.wear_engine, j.job_key"
)


def headless(data_dir: Path, source: str, *extra: str) -> int:
    return cli.main(
        ["headless", "--source", source, "--data-dir", str(data_dir), "--no-sync", *extra]
    )


def job_figures(data_dir: Path) -> list[tuple[object, ...]]:
    return db_rows(data_dir, f"SELECT {JOB_FIGURES} FROM jobs ORDER BY id")


def sample_figures(data_dir: Path) -> list[tuple[object, ...]]:
    return db_rows(
        data_dir,
        f"SELECT {SAMPLE_FIGURES} FROM samples s LEFT JOIN jobs j ON j.id = s.job_id ORDER BY s.id",
    )


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen[str], timeout: float) -> None:
    """Poll ``condition`` until it holds; the pause between polls is a wait on the
    process, so a process that dies early fails the test at once."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"condition not reached within {timeout} s")
        try:
            code = proc.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        _out, err = proc.communicate()
        pytest.fail(f"headless ended early (exit {code}): {err[-2000:]}")


# --- recording and the job log ---------------------------------------------------------


def test_headless_on_the_simulator_records_jobs_and_samples(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # 900 simulated seconds as fast as possible: the first job (a cancellation at ~854 s)
    done = roadmaster(
        "headless", "--source", "sim", "--duration", "900", "--speedup", "0",
        "--data-dir", str(data), "--no-sync",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "stopped (duration)" in done.stderr
    statuses = dict(db_rows(data, "SELECT status, count(*) FROM jobs GROUP BY status"))
    assert statuses == {"cancelled": 1, "open": 1}
    (n_samples,) = db_rows(data, "SELECT count(*) FROM samples")[0]
    assert 850 <= n_samples <= 900  # one per simulated second while driving
    # Every finished job carries its economics, and its fines are its job events.
    (profit, fines, fined) = db_rows(
        data,
        "SELECT profit, fines, (SELECT sum(amount) FROM job_events e WHERE e.job_id = jobs.id "
        "AND e.kind = 'fine') FROM jobs WHERE status = 'cancelled'",
    )[0]
    assert profit is not None and profit < 0  # a cancelled job only costs
    assert fines == fined > 0


def test_the_same_story_driven_again_is_a_second_run_not_added_to_the_first(
    tmp_path: Path,
) -> None:
    """Driving a job again after it ended (a save loaded after the delivery, or the demo
    started again on the same folder: the same seed drives the same jobs) records a run
    of its own.  Before, the second run's samples, fines and tolls were added to the
    finished job, whose fines then no longer matched its profit."""
    data = tmp_path / "data"
    run = ("headless", "--source", "sim", "--duration", "900", "--speedup", "0",
           "--data-dir", str(data), "--no-sync")  # fmt: skip
    first = roadmaster(*run)
    assert first.returncode == 0, first.stderr
    before = job_figures(data)
    assert [job[1] for job in before] == ["cancelled", "open"]
    again = roadmaster(*run)
    assert again.returncode == 0, again.stderr
    after = job_figures(data)
    assert after[0] == before[0]  # the finished job untouched
    # The job left open is one the player did not finish: the story went back before it.
    assert after[1][1] == "needs-review"
    rows = db_rows(data, "SELECT job_key, status FROM jobs ORDER BY id")
    cancelled = [key for key, status in rows if status == "cancelled"]
    assert len(cancelled) == 2 and cancelled[1] == cancelled[0] + "#2"
    # Each run's fines are its own events, and each finished job was told to the cloud once.
    for fines, fined, starts in db_rows(
        data,
        "SELECT fines, (SELECT sum(amount) FROM job_events e WHERE e.job_id = jobs.id "
        "AND e.kind = 'fine'), (SELECT count(*) FROM outbox o WHERE o.job_id = jobs.id "
        "AND o.kind = 'job_start') FROM jobs WHERE status = 'cancelled'",
    ):
        assert fines == fined > 0 and starts == 1


def test_headless_on_a_replay_then_jobs_and_status(
    tmp_path: Path, ets2_recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert headless(data, f"replay:{ets2_recording}") == 0
    capsys.readouterr()
    assert cli.main(["jobs", "--json", "--data-dir", str(data), "--sort", "id", "--asc"]) == 0
    jobs = json.loads(capsys.readouterr().out)
    assert [j["status"] for j in jobs] == ["cancelled", "delivered", "open"]
    assert {j["game"] for j in jobs} == {"ets2"}
    delivered = jobs[1]
    assert delivered["revenue"] > 0 and delivered["income"] > 0
    assert delivered["fines"] and all(f["amount"] > 0 for f in delivered["fines"])
    assert delivered["tolls"] > 0
    assert delivered["finished_game_time"] > delivered["started_game_time"]
    assert 0 <= delivered["safety_score"] <= 100
    assert delivered["driven_distance_km"] > 0 and delivered["fuel_used_l"] > 0

    assert cli.main(["status", "--json", "--data-dir", str(data)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["jobs"] == {"cancelled": 1, "delivered": 1, "open": 1}
    assert status["samples"] == db_rows(data, "SELECT count(*) FROM samples")[0][0] > 2000
    # Nothing was sent (--no-sync): everything still waits in the outbox.
    assert status["outbox_pending"] > status["samples"]


def test_replay_at_full_speed_and_paced_store_the_same(tmp_path: Path) -> None:
    recording = write_snapshots(tmp_path / "s.rec", scripted_session())
    fast, paced = tmp_path / "fast", tmp_path / "paced"
    assert headless(fast, f"replay:{recording}", "--speedup", "0") == 0
    # ~44 s of telemetry in ~3 s: paced on the wall clock, one commit per reading.
    assert headless(paced, f"replay:{recording}", "--speedup", "15") == 0
    assert sample_figures(fast) == sample_figures(paced)
    assert len(sample_figures(fast)) > 40
    assert job_figures(fast) == job_figures(paced)
    assert [row[1] for row in job_figures(fast)] == ["delivered", "cancelled"]


def test_a_plugin_revision_change_mid_session_keeps_capturing(tmp_path: Path) -> None:
    recording = write_snapshots(tmp_path / "r.rec", scripted_session(revisions=(12, 10)))
    data = tmp_path / "data"
    assert headless(data, f"replay:{recording}") == 0
    jobs = db_rows(data, "SELECT status, fines, distance_km FROM jobs ORDER BY id")
    # The job begun under revision 12 is continued (not restarted) under revision 10.
    assert [j[0] for j in jobs] == ["delivered", "cancelled"]
    assert jobs[0][1] == 400
    assert jobs[0][2] == pytest.approx(20.0 * 26.0 / 1000, rel=0.05)
    last_t = db_rows(data, "SELECT max(t_s) FROM samples")[0][0]
    assert last_t > 40.0  # samples kept coming after the switch


# --- one writer, crashes, damaged and full disks -------------------------------------------


def test_a_second_headless_on_the_same_data_dir_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    first = spawn("headless", "--source", "sim", "--data-dir", str(data), "--no-sync")
    try:
        lock = data / "roadmaster.lock"
        wait_until(lambda: lock.is_file() and str(first.pid) in lock.read_text(), first, 30)
        second = roadmaster("headless", "--source", "sim", "--data-dir", str(data), "--no-sync")
        assert second.returncode == 2
        assert "already running" in second.stderr
        assert str(first.pid) in second.stderr
        assert "Traceback" not in second.stderr
        capsys.readouterr()
        assert headless(data, "sim") == 2
        assert "already running" in capsys.readouterr().err
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=30)
    assert first.returncode == 0, err  # SIGTERM: a clean stop, everything committed


@pytest.mark.slow
def test_kill_9_then_restart_loses_nothing_and_resumes_the_open_job(
    tmp_path: Path, ats_recording: Path
) -> None:
    reference = tmp_path / "reference"
    assert headless(reference, f"replay:{ats_recording}") == 0
    expected = job_figures(reference)
    assert [row[1] for row in expected] == ["delivered", "delivered", "open"]

    data = tmp_path / "data"
    proc = spawn(
        "headless", "--source", f"replay:{ats_recording}", "--speedup", "400",
        "--data-dir", str(data), "--no-sync",
    )  # fmt: skip
    seen: dict[str, int] = {}

    def mid_second_job() -> bool:
        if not (data / "roadmaster.db").is_file():
            return False
        try:
            rows = db_rows(
                data,
                "SELECT (SELECT count(*) FROM jobs WHERE status = 'delivered'), "
                "(SELECT count(*) FROM samples s JOIN jobs j ON j.id = s.job_id "
                "WHERE j.status = 'open'), (SELECT count(*) FROM samples), "
                "(SELECT count(*) FROM jobs)",
            )
        except sqlite3.OperationalError:  # schema not created yet
            return False
        delivered, open_samples, n_samples, n_jobs = rows[0]
        seen.update(samples=n_samples, jobs=n_jobs)
        return delivered == 1 and open_samples >= 60

    wait_until(mid_second_job, proc, timeout=60)
    proc.kill()  # SIGKILL: no flush, no close, no unlock
    proc.communicate(timeout=30)

    # Nothing committed is lost, the file is sound, and the open job kept its progress.
    assert db_rows(data, "PRAGMA integrity_check") == [("ok",)]
    (n_samples,) = db_rows(data, "SELECT count(*) FROM samples")[0]
    (n_jobs,) = db_rows(data, "SELECT count(*) FROM jobs")[0]
    assert n_samples >= seen["samples"] and n_jobs >= seen["jobs"] == 2
    open_id, open_key, open_km = db_rows(
        data, "SELECT id, job_key, distance_km FROM jobs WHERE status = 'open'"
    )[0]
    assert open_km > 0
    last_t = db_rows(data, "SELECT max(t_s) FROM samples")[0][0]

    # The game went on: the restart reads what came after the last commit.
    rest = tail_of(ats_recording, tmp_path / "rest.rec", last_t)
    assert headless(data, f"replay:{rest}") == 0
    after = job_figures(data)
    assert [row[0] for row in after] == [row[0] for row in expected]  # no duplicate jobs
    assert db_rows(data, "SELECT id, status FROM jobs WHERE job_key = ?", (open_key,)) == [
        (open_id, "delivered")
    ]
    resumed, whole = after[1], expected[1]
    columns = [c.strip() for c in JOB_FIGURES.split(",")]
    for name in ("income", "revenue", "xp", "late", "fines", "tolls", "ended_game_min"):
        assert resumed[columns.index(name)] == whole[columns.index(name)], name
    # Only the step between the last commit and the restart is not driven twice.
    for name in ("distance_km", "fuel_used_l", "driving_s"):
        assert resumed[columns.index(name)] == pytest.approx(whole[columns.index(name)], rel=0.01)
    (duplicates,) = db_rows(
        data, "SELECT count(*) - count(DISTINCT t_s) FROM samples WHERE t_s > 0"
    )[0]
    assert duplicates == 0


def test_a_data_file_from_a_newer_roadmaster_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    Store.open(data).close()
    conn = sqlite3.connect(data / "roadmaster.db")
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.close()
    capsys.readouterr()
    assert headless(data, "sim", "--duration", "1") == 2
    err = capsys.readouterr().err
    assert "newer RoadMaster" in err and "update the app" in err
    assert cli.main(["status", "--data-dir", str(data)]) == 2
    assert "update RoadMaster" in capsys.readouterr().err
    assert cli.main(["jobs", "--data-dir", str(data)]) == 2
    assert "update RoadMaster" in capsys.readouterr().err


def test_a_full_disk_stops_headless_with_a_clear_message(tiny_disk: Path) -> None:
    done = roadmaster(
        "headless", "--source", "sim", "--speedup", "0", "--duration", "20000",
        "--data-dir", str(tiny_disk), "--no-sync",
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "is full" in done.stderr and "Free some disk space" in done.stderr
    assert "Traceback" not in done.stderr
    # What was committed before is intact.
    assert db_rows(tiny_disk, "PRAGMA integrity_check") == [("ok",)]
    (n_samples,) = db_rows(tiny_disk, "SELECT count(*) FROM samples")[0]
    assert n_samples > 0, done.stderr[-3000:]
