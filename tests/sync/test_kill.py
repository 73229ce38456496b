"""kill -9 of `roadmaster headless` at random moments of a simulated drive: after
the restarts every committed sample and job reaches the server exactly once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roadmaster.server import tables as t
from tests.sync.conftest import Server

pytestmark = pytest.mark.slow  # kills and restarts real processes, ~25 s a backend

RUNS = 10


def _local(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def _xs(db: Path) -> list[float]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT x_m FROM samples ORDER BY id")]
    finally:
        conn.close()


def _samples(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return _local(db, "SELECT count(*) FROM samples")
    except sqlite3.OperationalError:  # not created yet, or busy migrating
        return 0


def test_kill_9_at_random_moments_loses_and_duplicates_nothing(
    tmp_path: Path, server: Server
) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "ROADMASTER_API_KEY": server.key, "ROADMASTER_HOME": str(tmp_path)}
    rng = random.Random(20260301)
    cmd = [
        sys.executable,
        "-m",
        "roadmaster",
        "headless",
        "--source",
        "sim",
        "--speedup",
        "0",
        "--data-dir",
        str(data),
        "--server",
        server.base_url,
    ]
    for _ in range(RUNS):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Kill once it has started writing, at a seeded random moment after that.
        deadline = time.monotonic() + 20
        db = data / "roadmaster.db"
        while time.monotonic() < deadline and _samples(db) == 0:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.2, 2.0))
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
    # A last drive that runs to its end (a job starts in it), then the drain.
    last = subprocess.run([*cmd, "--duration", "2000"], env=env, capture_output=True, timeout=60)
    assert last.returncode == 0, last.stderr.decode()[-2000:]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "roadmaster",
            "sync",
            "--once",
            "--data-dir",
            str(data),
            "--server",
            server.base_url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    db = data / "roadmaster.db"
    samples = _local(db, "SELECT count(*) FROM samples")
    jobs = _local(db, "SELECT count(*) FROM outbox WHERE kind = 'job_start'")
    assert samples > 500 and jobs >= 1
    assert _local(db, "SELECT count(*) FROM outbox WHERE state != 'done'") == 0
    assert server.count(t.telemetry) == samples
    # Exactly once and in order: the server's samples, in the order it stored them,
    # are the local ones in the order they were recorded.
    assert server.positions() == _xs(db)
    assert server.count(t.jobs) == jobs
    assert server.count(t.jobs) == _local(
        db, "SELECT count(*) FROM jobs WHERE server_id IS NOT NULL"
    )
