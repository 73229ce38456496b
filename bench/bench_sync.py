"""Sync benchmarks: ``.venv/bin/python bench/run.py sync``.

1. enqueue cost on the capture thread: ``Store.apply`` of one Sample (with its
   outbox row and the commit);
2. an 8-hour backlog at 1 Hz (28,800 samples, 20 jobs) drained to the reference
   server on loopback with batching;
3. the plain contract (one request per sample) under a scaled-down rate limit:
   the achieved request rate and the 429s received (none expected).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from roadmaster.examples import make_delivered, make_sample, make_started
from roadmaster.jobs.events import Event
from roadmaster.server.app import create_app
from roadmaster.server.limits import Limits
from roadmaster.server.runner import serve_in_thread
from roadmaster.server.users import add_user
from roadmaster.storage import Store
from roadmaster.storage import outbox as ob
from roadmaster.storage.engine import make_engine
from roadmaster.sync.client import CloudClient
from roadmaster.sync.config import ApiKey
from roadmaster.sync.worker import RealClock, SyncWorker


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _backlog(store: Store, clock: _Clock, samples: int, jobs: int) -> None:
    from roadmaster.jobs.economics import EconomySettings  # noqa: F401  (warm import)

    per_job = samples // jobs
    t = 0
    for j in range(jobs):
        key = f"job{j}"
        events: list[Event] = [make_started(key, j + 1, t_s=t)]
        for _ in range(per_job):
            events.append(make_sample(float(t), key))
            t += 1
        events.append(make_delivered(key, j + 1, t_s=t))
        store.apply(events)
        clock.now += timedelta(seconds=per_job)


def _worker(store: Store, url: str, key: str) -> SyncWorker:
    return SyncWorker(
        engine=make_engine(store.data_file, pool_size=1),
        client=CloudClient(url),
        key_provider=lambda: ApiKey(key),
        clock=RealClock(),
        rng=random.Random(1),
    )


def bench_enqueue(root: Path) -> float:
    """Median cost of storing one sample with its outbox row, commit included.  The
    mean is printed too: it includes SQLite's periodic WAL checkpoints, which run on
    the committing connection."""
    with Store.open(root / "enqueue") as store:
        for i in range(200):  # warm up
            store.apply([make_sample(float(i), None)])
        n = 3000
        times = []
        for i in range(n):
            start = time.perf_counter()
            store.apply([make_sample(float(i), None)])
            times.append(time.perf_counter() - start)
    times.sort()
    median_ms = statistics.median(times) * 1000
    print(
        f"enqueue: Store.apply(one Sample) incl. outbox row + commit: median {median_ms:.3f} ms, "
        f"p95 {times[int(n * 0.95)] * 1000:.3f} ms, mean {sum(times) / n * 1000:.3f} ms"
    )
    return median_ms


def bench_backlog(root: Path) -> float:
    db_url = f"sqlite:///{root / 'server-batch.db'}"
    key = add_user(db_url, "bench")
    url, stop = serve_in_thread(
        create_app(db_url, limits=Limits(telemetry_per_hour=10**8, jobs_per_hour=10**6))
    )
    clock = _Clock()
    try:
        with Store.open(root / "backlog", clock=clock) as store:
            _backlog(store, clock, 28_800, 20)
            with store.engine.connect() as conn:
                queued = ob.pending_count(conn)
            worker = _worker(store, url, key)
            start = time.perf_counter()
            stats = worker.drain(once=True)
            elapsed = time.perf_counter() - start
            worker.engine.dispose()
            with store.engine.connect() as conn:
                left = ob.pending_count(conn)
        print(
            f"backlog: {queued:,} rows (28,800 samples, 20 jobs) drained with batching in "
            f"{elapsed:.1f} s ({stats.requests} requests, {queued / elapsed:,.0f} rows/s, "
            f"{left} left)"
        )
    finally:
        stop()
    return elapsed


def bench_paced(root: Path) -> int:
    limit, window = 60, 15.0  # 4 samples/s, as 120 per 30 s; scaled down from 7,200/h
    db_url = f"sqlite:///{root / 'server-plain.db'}"
    key = add_user(db_url, "bench")
    url, stop = serve_in_thread(
        create_app(db_url, limits=Limits(telemetry_per_hour=limit, window_s=window))
    )
    n = 150
    try:
        with Store.open(root / "paced") as store:
            for i in range(n):
                store.apply([make_sample(float(i), None)])
            worker = _worker(store, url, key)
            # The plain contract: as against the hosted service (no batch, one per sample).
            worker.batch_size = 1
            start = time.perf_counter()
            stats = worker.drain(once=True)
            elapsed = time.perf_counter() - start
            worker.engine.dispose()
        allowed = limit / window
        print(
            f"paced (plain contract, limit {limit} per {window:.0f} s = {allowed:.1f}/s): "
            f"{n} samples in {elapsed:.1f} s, {stats.requests / elapsed:.2f} requests/s, "
            f"{stats.rate_limited} × 429 received"
        )
    finally:
        stop()
    return stats.rate_limited


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        root = Path(tmp)
        enqueue_ms = bench_enqueue(root)
        backlog_s = bench_backlog(root)
        rejected = bench_paced(root)
    ok = enqueue_ms <= 0.5 and backlog_s <= 20 and rejected <= 1
    print("sync bench:", "OK" if ok else "TARGET MISSED")
    return 0 if ok else 1
