"""Damaged, unreadable and half-deleted data files, through the real command line in
subprocesses: every command says what happened in one line, and nothing is written
to a damaged file."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.commands.conftest import db_rows, roadmaster, spawn
from tests.commands.test_headless import wait_until

pytestmark = pytest.mark.slow  # real subprocesses on damaged files, 5-15 s each

KEY = "rm_" + "ab" * 32


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo") / "data"
    done = roadmaster("demo-data", "--jobs", "300", "--seed", "7", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    return data / "roadmaster.db"


def copy_of(demo_db: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "roadmaster.db").write_bytes(demo_db.read_bytes())
    return data


def damage(db_file: Path, *, start: float, end: float, seed: int = 1) -> None:
    """Random bytes over [start, end) of the file (fractions of its size), page 1 kept."""
    rng = random.Random(seed)
    size = db_file.stat().st_size
    lo, hi = max(4096, int(size * start)), int(size * end)
    with db_file.open("r+b") as fh:
        fh.seek(lo)
        fh.write(rng.randbytes(hi - lo))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("roadmaster: ")]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_few_random_bytes_mid_file_stop_every_command_before_it_writes(
    demo_db: Path, tmp_path: Path
) -> None:
    data = copy_of(demo_db, tmp_path)
    db_file = data / "roadmaster.db"
    damage(db_file, start=0.5, end=0.5 + 4096 / db_file.stat().st_size)
    before = digest(db_file)
    runs = {
        "headless": roadmaster(
            "headless",
            "--source",
            "sim",
            "--speedup",
            "0",
            "--duration",
            "60",
            "--data-dir",
            str(data),
            "--no-sync",
        ),
        "sync": subprocess.run(
            [
                sys.executable,
                "-m",
                "roadmaster",
                "sync",
                "--once",
                "--server",
                "http://127.0.0.1:9",
                "--data-dir",
                str(data),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "ROADMASTER_API_KEY": KEY},
        ),
        "status": roadmaster("status", "--data-dir", str(data)),
    }
    for name, done in runs.items():
        assert done.returncode == 2, (name, done.stderr)
        line = one_line(done)
        assert "is damaged" in line and f"roadmaster repair --data-dir {data}" in line, name
    # Nothing was written to the damaged file (no WAL left to fold in either).
    assert digest(db_file) == before
    assert not (data / "roadmaster.db-wal").exists() or (
        (data / "roadmaster.db-wal").stat().st_size == 0
    )


def test_reports_on_a_badly_damaged_file_say_so_in_one_line(demo_db: Path, tmp_path: Path) -> None:
    data = copy_of(demo_db, tmp_path)
    damage(data / "roadmaster.db", start=0.0, end=1.0)
    for command in (["jobs", "--limit", "0"], ["status"], ["jobs", "--json"]):
        done = roadmaster(*command, "--data-dir", str(data))
        assert done.returncode == 2, (command, done.stderr)
        assert "damaged" in one_line(done), command


def samples_stored(data: Path) -> int:
    try:
        return int(db_rows(data, "SELECT count(*) FROM samples")[0][0])
    except sqlite3.Error:  # not created yet
        return 0


def test_status_while_the_wal_was_deleted_under_a_running_capture(tmp_path: Path) -> None:
    data = tmp_path / "data"
    wal = data / "roadmaster.db-wal"
    proc = spawn(
        "headless", "--source", "sim", "--speedup", "20", "--data-dir", str(data), "--no-sync"
    )
    try:
        wait_until(lambda: wal.exists() and samples_stored(data) > 5, proc, 60)
        wal.unlink()
        done = roadmaster("status", "--data-dir", str(data))
        assert done.returncode == 2, done.stderr
        line = one_line(done)
        assert "roadmaster.db-wal may have been deleted" in line
        assert "stop that RoadMaster" in line
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    # As the line says: once the capture has stopped, the report works again.
    after = roadmaster("status", "--data-dir", str(data))
    assert after.returncode == 0, after.stderr


def fill(directory: Path) -> None:
    """Write a file until the filesystem has not one byte left."""
    with (directory / "filler").open("wb", buffering=0) as fh:
        for size in (65536, 4096, 512, 64, 1):
            try:
                while True:
                    fh.write(b"x" * size)
            except OSError:
                continue


def test_a_second_start_on_a_full_disk_says_the_disk_is_full(tiny_disk: Path) -> None:
    data = tiny_disk / "data"
    first = roadmaster(
        "headless", "--source", "sim", "--speedup", "0", "--duration", "60",
        "--data-dir", str(data), "--no-sync",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    (samples_before,) = db_rows(data, "SELECT count(*) FROM samples")[0]
    fill(tiny_disk)
    for command in (
        ("headless", "--source", "sim", "--duration", "5", "--no-sync"),
        ("sync", "--once", "--server", "http://127.0.0.1:9"),
    ):
        done = roadmaster(*command, "--data-dir", str(data))
        assert done.returncode == 2, (command, done.stderr)
        line = one_line(done)
        assert "is full" in line and "Free some disk space" in line, line
    # What was stored before is all there.
    assert db_rows(data, "SELECT count(*) FROM samples")[0][0] == samples_before


# --- roadmaster repair ---------------------------------------------------------------


def test_repair_keeps_the_damaged_file_and_recovers_the_readable_jobs(
    demo_db: Path, tmp_path: Path
) -> None:
    data = copy_of(demo_db, tmp_path)
    db_file = data / "roadmaster.db"
    damage(db_file, start=0.5, end=0.5 + 4096 / db_file.stat().st_size)
    damaged_bytes = db_file.read_bytes()

    done = roadmaster("repair", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    [kept] = list(data.glob("roadmaster.db.damaged-*[0-9]"))
    assert f"kept, unchanged, as {kept}" in out
    assert kept.read_bytes() == damaged_bytes
    assert db_rows(data, "PRAGMA integrity_check") == [("ok",)]
    (jobs_after,) = db_rows(data, "SELECT count(*) FROM jobs")[0]
    (jobs_before,) = db_rows(demo_db.parent, "SELECT count(*) FROM jobs")[0]
    # One damaged page costs the rows on it, not the table: most jobs come back,
    # identical to what they were, and the output says how many.
    assert jobs_before - 20 <= jobs_after <= jobs_before
    assert f"jobs: {jobs_after:,} kept" in out
    same = db_rows(data, "SELECT id, job_key, revenue, profit FROM jobs ORDER BY id")
    original = db_rows(demo_db.parent, "SELECT id, job_key, revenue, profit FROM jobs")
    assert set(same) <= set(original)
    # Nothing points at a lost job.
    assert db_rows(data, "PRAGMA foreign_key_check") == []

    # The repaired file is used as before: a capture and the reports run on it.
    capture = roadmaster(
        "headless", "--source", "sim", "--speedup", "0", "--duration", "30",
        "--data-dir", str(data), "--no-sync",
    )  # fmt: skip
    assert capture.returncode == 0, capture.stderr
    assert roadmaster("status", "--data-dir", str(data)).returncode == 0
    assert roadmaster("jobs", "--data-dir", str(data)).returncode == 0


def test_repair_of_a_sound_file_changes_nothing(demo_db: Path, tmp_path: Path) -> None:
    data = copy_of(demo_db, tmp_path)
    before = digest(data / "roadmaster.db")
    done = roadmaster("repair", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert "nothing to repair" in done.stdout
    assert digest(data / "roadmaster.db") == before
    assert not list(data.glob("*damaged*"))


def test_repair_when_nothing_can_be_recovered_replaces_nothing(
    demo_db: Path, tmp_path: Path
) -> None:
    data = copy_of(demo_db, tmp_path)
    db_file = data / "roadmaster.db"
    damage(db_file, start=0.0, end=1.0)
    before = digest(db_file)
    done = roadmaster("repair", "--data-dir", str(data))
    assert done.returncode == 2, done.stderr
    assert "Nothing was replaced" in one_line(done)
    assert digest(db_file) == before
    assert not list(data.glob(".roadmaster.db.*"))  # no work files left behind


def test_repair_of_a_cut_short_copy_recovers_the_jobs_before_the_cut(
    demo_db: Path, tmp_path: Path
) -> None:
    data = copy_of(demo_db, tmp_path)
    db_file = data / "roadmaster.db"
    with db_file.open("r+b") as fh:  # a copy interrupted half-way
        fh.truncate(db_file.stat().st_size // 2)
    done = roadmaster("repair", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    (jobs_after,) = db_rows(data, "SELECT count(*) FROM jobs")[0]
    assert jobs_after > 50
    assert f"jobs: {jobs_after:,} kept; unreadable ids" in done.stdout
    assert db_rows(data, "PRAGMA integrity_check") == [("ok",)]
    assert roadmaster("jobs", "--data-dir", str(data)).returncode == 0


def test_repair_is_refused_while_roadmaster_runs_on_the_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = spawn(
        "headless", "--source", "sim", "--speedup", "20", "--data-dir", str(data), "--no-sync"
    )
    try:
        wait_until(lambda: samples_stored(data) > 0, proc, 60)
        done = roadmaster("repair", "--data-dir", str(data))
        assert done.returncode == 2, done.stderr
        assert "already running" in one_line(done)
        assert not list(data.glob("*damaged*"))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


def test_serve_on_a_file_that_is_not_a_database_says_so_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "server.db"
    bad.write_bytes(random.Random(5).randbytes(8192))
    url = f"sqlite:///{bad}"
    for command in (
        ("serve", "--db", url, "--port", "1"),
        ("serve", "--db", url, "user", "add", "me"),
        ("serve", "--db", url, "user", "rotate-key", "me"),
    ):
        done = roadmaster(*command)
        assert done.returncode == 2, (command, done.stderr)
        line = one_line(done)
        assert f"can't use the server database {url} (file is not a database)" in line
