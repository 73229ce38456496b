"""The database-held rate limiter under clock steps, and what the server prunes by
itself (idempotency records, telemetry, rate counters), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from roadmaster.server import tables as t
from roadmaster.server.app import create_app
from roadmaster.server.limits import Limits
from roadmaster.server.retention import Pruned, Pruner, Retention
from roadmaster.server.runner import serve_in_thread
from roadmaster.server.users import add_user
from tests.fakes import FakeSeconds
from tests.server.conftest import job_start, sample

DAY = 86400.0


@dataclass
class Served:
    url: str
    client: httpx.Client
    key: str
    clock: FakeSeconds
    pruner: Pruner

    def post(self, path: str, body: object, **kw: object) -> httpx.Response:
        return self.client.post(path, json=body, **kw)  # type: ignore[arg-type]

    def sql(self, fn: Callable[[sa.Connection], object]) -> object:
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                return fn(conn)
        finally:
            engine.dispose()

    def count(self, table: str) -> int:
        text = f"SELECT count(*) FROM {table}"
        return int(self.sql(lambda c: c.exec_driver_sql(text).scalar_one()))  # type: ignore[call-overload]

    def prune(self) -> Pruned:
        return asyncio.run(self.pruner.once())


@pytest.fixture
def serve(db_url: str) -> Iterator[Callable[..., Served]]:
    stops: list[Callable[[], None]] = []
    clients: list[httpx.Client] = []

    def start(limits: Limits | None = None, retention: Retention | None = None) -> Served:
        key = add_user(db_url, "alice")
        clock = FakeSeconds(datetime.now(UTC).timestamp())
        app = create_app(db_url, limits=limits, clock=clock, retention=retention)
        base_url, stop = serve_in_thread(app)
        stops.append(stop)
        client = httpx.Client(base_url=base_url, timeout=10)
        clients.append(client)
        return Served(db_url, client, key, clock, app.state.pruner)

    yield start
    for client in clients:
        client.close()
    for stop in stops:
        stop()


# --- the limiter and the wall clock ----------------------------------------------------


def test_a_day_backwards_clock_step_does_not_lock_a_user_out(
    serve: Callable[..., Served],
) -> None:
    srv = serve(Limits(telemetry_per_hour=5, jobs_per_hour=3))
    for _ in range(5):
        assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200
    refused = srv.post("/api/telemetry", sample(srv.key))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) <= 2 * 3600
    srv.clock.now -= DAY  # an NTP correction, or a user fixing their clock
    r = srv.post("/api/telemetry", sample(srv.key))
    assert r.status_code == 200, r.headers
    assert 0 < int(r.headers["X-RateLimit-Reset"]) - srv.clock.now <= 3600
    # The limit still holds after the step.
    for _ in range(4):
        assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 429


def test_a_forward_step_then_back_leaves_no_counters_that_bite_later(
    serve: Callable[..., Served],
) -> None:
    srv = serve(Limits(telemetry_per_hour=3, jobs_per_hour=3))
    srv.clock.now += DAY
    for _ in range(3):
        assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200
    srv.clock.now -= DAY  # back to the right time
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200
    assert srv.prune().rate_counters == 1  # the window a day ahead is gone
    srv.clock.now += DAY  # the day comes round: its window starts empty
    for _ in range(3):
        assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200


def test_capacity_comes_back_as_the_last_window_fades(serve: Callable[..., Served]) -> None:
    srv = serve(Limits(telemetry_per_hour=10, jobs_per_hour=3))
    srv.clock.now = 1_800_000_000.0  # a window boundary
    batch = {"api_key": srv.key, "samples": [sample(srv.key)] * 10}
    assert srv.post("/api/telemetry/batch", batch).status_code == 200
    srv.clock.now += 3600 + 1800  # half-way through the next window: 5 count, 5 fit
    r = srv.post("/api/telemetry", sample(srv.key))
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "4"
    four = {"api_key": srv.key, "samples": [sample(srv.key)] * 4}
    assert srv.post("/api/telemetry/batch", four).status_code == 200
    r = srv.post("/api/telemetry", sample(srv.key))
    assert r.status_code == 429
    # One more fits when a tenth of the old window's 10 has faded: 360 s on.
    assert r.headers["Retry-After"] == "360"


# --- retention -------------------------------------------------------------------------


def _old_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, object]]) -> None:
    conn.execute(sa.insert(table), rows)


def test_idempotency_records_are_pruned_after_48_hours_in_batches(
    serve: Callable[..., Served],
) -> None:
    srv = serve(retention=Retention(batch_rows=3))
    for i in range(7):
        r = srv.post("/api/telemetry", sample(srv.key), headers={"Idempotency-Key": f"k{i}"})
        assert r.status_code == 200
    assert srv.prune().idempotency_keys == 0
    srv.clock.now += 47 * 3600
    assert srv.prune().idempotency_keys == 0
    again = srv.post("/api/telemetry", sample(srv.key), headers={"Idempotency-Key": "k0"})
    assert again.status_code == 200 and srv.count("telemetry") == 7  # still a replay
    srv.clock.now += 2 * 3600
    assert srv.prune().idempotency_keys == 7  # three batches: 3, 3, 1
    assert srv.count("idempotency_keys") == 0
    assert srv.count("telemetry") == 7  # the data stays


def test_telemetry_retention_keeps_recent_samples_and_every_job(
    serve: Callable[..., Served],
) -> None:
    srv = serve(retention=Retention(telemetry_days=30, batch_rows=4))
    job = srv.post("/api/jobs/start", job_start(srv.key)).json()["job"]["id"]
    user = srv.sql(lambda c: c.execute(sa.select(t.users.c.id)).scalars().first())
    assert isinstance(user, uuid.UUID)
    now = datetime.fromtimestamp(srv.clock.now, UTC)
    base = {k: v for k, v in sample(srv.key).items() if k != "api_key"}

    def row(age_days: float) -> dict[str, object]:
        at = now - timedelta(days=age_days)
        return {**base, "user_id": user, "job_id": uuid.UUID(job), "recorded_at": at,
                "received_at": at}  # fmt: skip

    # Oldest first, as they would have arrived: 10 past retention, 3 within it.
    rows = [row(60 - i) for i in range(10)] + [row(29), row(1), row(0)]
    srv.sql(lambda c: _old_rows(c, t.telemetry, rows))
    assert srv.post("/api/telemetry", sample(srv.key, job_id=job)).status_code == 200
    assert srv.count("telemetry") == 14
    assert srv.prune().telemetry == 10
    kept = srv.sql(lambda c: c.execute(sa.select(t.telemetry.c.received_at)).scalars().all())
    assert isinstance(kept, list) and len(kept) == 4
    assert min(kept) > now - timedelta(days=30)
    assert srv.count("jobs") == 1 and srv.count("users") == 1
    assert srv.prune().telemetry == 0


def test_telemetry_is_kept_without_a_retention(serve: Callable[..., Served]) -> None:
    srv = serve()
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200
    srv.clock.now += 3650 * DAY
    assert srv.prune().telemetry == 0
    assert srv.count("telemetry") == 1


def test_the_server_prunes_by_itself(serve: Callable[..., Served]) -> None:
    srv = serve(retention=Retention(every_s=0.02))
    r = srv.post("/api/telemetry", sample(srv.key), headers={"Idempotency-Key": "k"})
    assert r.status_code == 200 and srv.count("idempotency_keys") == 1
    srv.clock.now += 49 * 3600
    pruner = srv.pruner
    with pruner.done:
        seen = pruner.passes
        # Two passes: the one under way may have read the clock before the step.
        assert pruner.done.wait_for(lambda: pruner.passes >= seen + 2, timeout=30)
    assert srv.count("idempotency_keys") == 0


# --- the telemetry write path ----------------------------------------------------------


@pytest.mark.parametrize("n", [1, 3, 40])
def test_samples_are_stored_as_sent_by_insert_or_copy(serve: Callable[..., Served], n: int) -> None:
    srv = serve()
    job = srv.post("/api/jobs/start", job_start(srv.key)).json()["job"]["id"]
    sent = [
        sample(srv.key, speed=float(i), rpm=1000 + i, recorded_at=f"2026-01-18T15:04:{i % 60:02d}Z",
               game_time=f"2026-03-0{1 + i % 9}T08:00:00Z", parking_brake=bool(i % 3))
        | ({"job_id": job} if i % 2 else {})
        for i in range(n)
    ]  # fmt: skip
    r = srv.post("/api/telemetry/batch", {"api_key": srv.key, "samples": sent})
    assert (r.status_code, r.json()) == (200, {"success": True, "accepted": n})
    one = srv.post("/api/telemetry", sample(srv.key, game_time="2026-03-01T08:00:00Z"))
    assert one.status_code == 200
    columns = [t.telemetry.c[c] for c in ("job_id", "speed", "rpm", "recorded_at", "game_time",
                                          "parking_brake")]  # fmt: skip
    query = sa.select(*columns).order_by(t.telemetry.c.id)
    rows = srv.sql(lambda c: c.execute(query).all())
    assert isinstance(rows, list) and len(rows) == n + 1
    for i, row in enumerate(rows[:n]):
        assert row.job_id == (uuid.UUID(job) if i % 2 else None)
        assert (row.speed, row.rpm, row.parking_brake) == (float(i), 1000 + i, bool(i % 3))
        assert row.recorded_at == datetime(2026, 1, 18, 15, 4, i % 60, tzinfo=UTC)
        assert row.game_time == datetime(2026, 3, 1 + i % 9, 8, tzinfo=UTC)
    assert rows[n].game_time == datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_a_single_sample_is_stored_as_a_batch_of_one_stores_it(
    serve: Callable[..., Served],
) -> None:
    """On PostgreSQL a lone sample takes a one-statement path (server/pgone.py): every
    column must come out as the general path writes it, job and timestamps included."""
    srv = serve()
    job = srv.post("/api/jobs/start", job_start(srv.key)).json()["job"]["id"]
    body = sample(srv.key, job_id=job, speed=12.5, rpm=1234, gear=-1, parking_brake=True,
                  recorded_at="2026-01-18T15:04:05Z", game_time="2026-03-02T09:30:00Z",
                  navigation_distance=0.0)  # fmt: skip
    assert srv.post("/api/telemetry", body).status_code == 200  # the job's owner not yet known
    assert srv.post("/api/telemetry", body).status_code == 200  # now it is
    del body["api_key"]
    r = srv.post("/api/telemetry/batch", {"api_key": srv.key, "samples": [body]})
    assert r.status_code == 200
    plain = srv.post("/api/telemetry", sample(srv.key))  # no job, no times: the server's
    assert plain.status_code == 200
    assert (
        int(plain.headers["X-RateLimit-Remaining"]) == int(r.headers["X-RateLimit-Remaining"]) - 1
    )
    skip = {"id", "received_at"}
    columns = [c for c in t.telemetry.c if c.name not in skip]
    query = sa.select(*columns, t.telemetry.c.received_at).order_by(t.telemetry.c.id)
    rows = srv.sql(lambda c: c.execute(query).all())
    assert isinstance(rows, list) and len(rows) == 4
    first, second, batched, bare = (row._asdict() for row in rows)
    received = bare.pop("received_at")
    for row in (first, second, batched):
        row.pop("received_at")
    assert first == second == batched
    assert first["job_id"] == uuid.UUID(job) and first["gear"] == -1
    assert first["recorded_at"] == datetime(2026, 1, 18, 15, 4, 5, tzinfo=UTC)
    assert bare["job_id"] is None and bare["game_time"] is None
    assert bare["recorded_at"] == received  # stamped with the server's clock


def test_a_single_sample_for_someone_elses_job_is_refused_and_stores_nothing(
    serve: Callable[..., Served],
) -> None:
    srv = serve()
    other = add_user(srv.url, "mallory")
    job = srv.post("/api/jobs/start", job_start(srv.key)).json()["job"]["id"]
    assert srv.post("/api/telemetry", sample(srv.key, job_id=job)).status_code == 200
    r = srv.post("/api/telemetry", sample(other, job_id=job))  # the owner is cached now
    assert (r.status_code, r.json()) == (403, {"error": "Unauthorized"})
    r = srv.post("/api/telemetry", sample(other, job_id=str(uuid.uuid4())))
    assert (r.status_code, r.json()) == (404, {"error": "Job not found"})
    assert (
        srv.sql(
            lambda c: c.execute(sa.select(sa.func.count()).select_from(t.telemetry)).scalar_one()
        )
        == 1
    )
