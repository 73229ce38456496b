"""Hours-of-service history and job edits on a long log:

1. the HOS fold over every stored sample, cold (no cached state): CPU and wall
   time, and how much the process's peak RSS grew (the samples are streamed);
2. the same call warm (the cached state, no new samples) and after one more hour
   of driving (3,600 new samples: only those are read);
3. a job edit on 100,000 demo-data jobs: marking a "needs review" job delivered,
   which rebuilds the career from the whole history (CPU and wall).

The samples are written straight into the samples table (1 Hz, 3 a game minute,
a driver's day of 4 h 30 / 45 min break / 4 h 30 then a sleep), as the capture
would have recorded them; ``roadmaster demo-data`` itself writes no samples.
CPU is process time; the machine was shared with other work.

    .venv/bin/python bench/run.py hos      (or: bench/bench_hos.py --samples 1000000)
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from roadmaster import cli
from roadmaster.jobs.events import JobStatus
from roadmaster.runtime.joblog import JobLogService
from roadmaster.storage import Store, hos_log

T = TypeVar("T")
DAY_PLAN = ((270, True), (45, False), (270, True), (30, False))  # game minutes


def _timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - cpu, time.perf_counter() - wall


def _rows(n: int, start_id: int, job_id: int, t0: datetime) -> Iterator[tuple[Any, ...]]:
    """``n`` samples of a driver's days, 1 s apart, 3 per game minute."""
    game_min = 6 * 60
    wall = t0
    made = 0
    while made < n:
        for minutes, driving in DAY_PLAN:
            for _ in range(minutes * 3):
                if made == n:
                    return
                yield (
                    start_id + made, job_id, float(made), game_min + (made % (minutes * 3)) // 3,
                    wall.strftime("%Y-%m-%d %H:%M:%S.%f"), 22.0 if driving else 0.0,
                    1300.0 if driving else 0.0, 0 if driving else 1,
                )  # fmt: skip
                made += 1
                wall += timedelta(seconds=1)
            game_min += minutes
        game_min = (game_min // 1440 + 1) * 1440 + 6 * 60  # slept until 06:00
        wall += timedelta(seconds=10)


def _insert(db: Path, n: int, job_id: int, t0: datetime) -> None:
    conn = sqlite3.connect(db)
    start = (conn.execute("SELECT coalesce(max(id), 0) FROM samples").fetchone()[0]) + 1
    floats = ", ".join(["0.0"] * 19)
    conn.executemany(
        "INSERT INTO samples (id, job_id, t_s, game_time_min, recorded_at, speed_mps, "
        "engine_rpm, park_brake, fuel_l, fuel_capacity_l, wear_engine, wear_transmission, "
        "wear_cabin, wear_chassis, wear_wheels, wear_trailer, cargo_damage, x_m, y_m, z_m, "
        "heading, cruise_control_speed_mps, air_pressure_psi, brake_temperature_c, "
        "route_distance_m, route_time_s, speed_limit_mps, gear_dashboard, retarder_level, "
        f"cruise_control, motor_brake) VALUES (?, ?, ?, ?, ?, ?, ?, ?, {floats}, 0, 0, 0, 0)",
        _rows(n, start, job_id, t0),
    )
    conn.commit()
    conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        demo = ["demo-data", "--jobs", str(args.jobs), "--seed", "5", "--data-dir", str(data)]
        _, _, wall = _timed(lambda: cli.main(demo))
        print(f"demo-data --jobs {args.jobs:,}: {wall:.1f} s")
        store = Store.open(data)
        db = store.data_file
        job_id = int(
            sqlite3.connect(db)
            .execute("SELECT id FROM jobs WHERE game='ets2' LIMIT 1")
            .fetchone()[0]
        )
        t0 = datetime.now(UTC) - timedelta(days=60)
        _, _, wall = _timed(lambda: _insert(db, args.samples, job_id, t0))
        print(f"{args.samples:,} samples written in {wall:.1f} s")
        service = JobLogService(store.engine)
        days, cpu, wall = _timed(lambda: service.hos_history("all", None))
        print(
            f"HOS fold, cold, {args.samples:,} samples → {len(days)} game days: "
            f"{cpu:.2f} s CPU, {wall:.2f} s wall"
        )
        # the memory of a cold fold: Python's allocations at their peak (tracemalloc
        # slows the fold, so it is a second, untimed run)
        with store.engine.begin() as conn:
            hos_log.drop(conn)
        tracemalloc.start()
        service.hos_history("all", None)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"HOS fold, cold: peak Python allocations {peak / 1e6:.1f} MB (streamed)")
        _, cpu, wall = _timed(lambda: service.hos_history("all", None))
        print(
            f"HOS, warm (cached, nothing new): {1000 * cpu:.1f} ms CPU, {1000 * wall:.1f} ms wall"
        )
        _insert(db, 3600, job_id, t0 + timedelta(days=50))
        _, cpu, wall = _timed(lambda: service.hos_history("all", None))
        print(f"HOS, +3,600 new samples: {1000 * cpu:.1f} ms CPU, {1000 * wall:.1f} ms wall")
        review = (
            sqlite3.connect(db)
            .execute("SELECT id FROM jobs WHERE status='needs-review' LIMIT 1")
            .fetchone()[0]
        )
        result, cpu, wall = _timed(lambda: service.resolve(review, JobStatus.DELIVERED))
        assert result.changed
        print(
            f"mark a job delivered on {args.jobs:,} jobs (outbox + career rebuilt from the "
            f"history): {cpu:.2f} s CPU, {wall:.2f} s wall"
        )
        store.close()
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
