"""Idempotent retries, rate limits (with an injected clock), keys."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from roadmaster.server import db
from roadmaster.server.limits import Limits
from roadmaster.server.users import add_user, rotate_key
from tests.server.conftest import Running, job_start, sample


def test_a_retried_job_start_returns_the_first_answer(srv: Running) -> None:
    headers = {"Idempotency-Key": "start-1"}
    first = srv.post("/api/jobs/start", job_start(srv.key), headers=headers)
    again = srv.post("/api/jobs/start", job_start(srv.key), headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert srv.count("jobs") == 1
    # The same key from another user is that user's own key.
    other = srv.post("/api/jobs/start", job_start(srv.other_key), headers=headers)
    assert other.json()["job"]["id"] != first.json()["job"]["id"]
    assert srv.count("jobs") == 2


def test_event_id_in_the_body_works_like_the_header(srv: Running) -> None:
    for _ in range(3):
        r = srv.post("/api/telemetry", sample(srv.key, event_id="sample-42"))
        assert (r.status_code, r.json()) == (200, {"success": True})
    assert srv.count("telemetry") == 1
    r = srv.post("/api/telemetry", sample(srv.key, event_id=None))
    assert r.status_code == 400  # optional means absent


def test_a_key_reused_on_another_endpoint_is_refused(srv: Running) -> None:
    srv.post("/api/jobs/start", job_start(srv.key), headers={"Idempotency-Key": "k"})
    r = srv.post("/api/telemetry", sample(srv.key), headers={"Idempotency-Key": "k"})
    assert r.status_code == 400
    assert srv.count("telemetry") == 0


def test_two_concurrent_identical_requests_write_once(srv: Running) -> None:
    body = job_start(srv.key)
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        with httpx.Client(base_url=srv.base_url, timeout=10) as client:
            barrier.wait()
            answers.append(
                client.post("/api/jobs/start", json=body, headers={"Idempotency-Key": "x"})
            )

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert srv.count("jobs") == 1 and srv.count("idempotency_keys") == 1


def test_rate_limit_slides(start_server: Callable[..., Running]) -> None:
    # An approximated sliding window (roadmaster.server.limits): the fake clock starts
    # on a window boundary.
    srv = start_server(Limits(telemetry_per_hour=5, jobs_per_hour=3))
    for i in range(5):
        r = srv.post("/api/telemetry", sample(srv.key))
        assert r.status_code == 200
        assert r.headers["X-RateLimit-Remaining"] == str(4 - i)
        srv.clock.now += 60  # one a minute
    r = srv.post("/api/telemetry", sample(srv.key))
    assert r.status_code == 429
    # Room comes back in the next window once a fifth of this window's 5 has faded
    # (3600 + 720 s after the window began, 300 s ago).
    assert r.json() == {"error": "Rate limit exceeded", "retry_after": 4020}
    assert r.headers["Retry-After"] == "4020"
    assert r.headers["X-RateLimit-Limit"] == "5"
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert int(r.headers["X-RateLimit-Reset"]) == int(srv.clock.now + 4020)
    assert srv.count("telemetry") == 5
    srv.clock.now += 4019
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 429
    srv.clock.now += 1  # exactly one fits
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 429
    # Another user has their own window.
    assert srv.post("/api/telemetry", sample(srv.other_key)).status_code == 200


def test_a_batch_costs_its_samples_and_jobs_share_a_bucket(
    start_server: Callable[..., Running],
) -> None:
    srv = start_server(Limits(telemetry_per_hour=5, jobs_per_hour=3))
    batch = {"api_key": srv.key, "samples": [sample(srv.key)] * 4}
    assert srv.post("/api/telemetry/batch", batch).status_code == 200
    r = srv.post("/api/telemetry/batch", batch)
    # 4 more fit once three quarters of this window's 4 have faded in the next one.
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 3600 + 2700
    assert srv.count("telemetry") == 4
    job_id = srv.post("/api/jobs/start", job_start(srv.key)).json()["job"]["id"]
    srv.post("/api/jobs/start", job_start(srv.key))
    end = {"api_key": srv.key, "job_id": job_id, "cargo_damage": 0.0, "delivered_late": False}
    assert srv.post("/api/jobs/complete", end).status_code == 200
    r = srv.post("/api/jobs/start", job_start(srv.key))
    assert r.status_code == 429 and r.json()["error"] == "Rate limit exceeded"
    assert srv.count("jobs") == 2


def test_the_database_holds_no_plaintext_key(srv: Running) -> None:
    engine = sa.create_engine(srv.url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT * FROM users").all()
    finally:
        engine.dispose()
    text = repr(rows)
    assert len(rows) == 2
    assert srv.key not in text and srv.key[3:] not in text
    if srv.url.startswith("sqlite:///"):
        data = Path(srv.url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in data.parent.glob(data.name + "*"))
        assert srv.key.encode() not in raw and srv.key[3:].encode() not in raw


def test_rotate_key_stops_the_old_key_at_once(srv: Running) -> None:
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200  # cached now
    new = rotate_key(srv.url, "alice")
    r = srv.post("/api/telemetry", sample(srv.key))
    assert (r.status_code, r.json()) == (401, {"error": "Invalid API key"})
    assert srv.post("/api/telemetry", sample(new)).status_code == 200
    assert srv.post("/api/telemetry", sample(srv.other_key)).status_code == 200


def test_a_rotated_key_learns_nothing_but_401_from_a_bad_payload(srv: Running) -> None:
    # PostgreSQL trusts a cached key until the write's transaction reads the key
    # epoch; a request refused before any write must still not tell the old key's
    # holder more than "invalid key".
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200  # cached now
    rotate_key(srv.url, "alice")
    bad = srv.post("/api/telemetry", sample(srv.key, speed=900))
    assert (bad.status_code, bad.json()) == (401, {"error": "Invalid API key"})
    replay = srv.post("/api/telemetry", sample(srv.key), headers={"Idempotency-Key": "k-1"})
    assert (replay.status_code, replay.json()) == (401, {"error": "Invalid API key"})
    assert srv.count("telemetry") == 1


def test_a_key_added_meanwhile_does_not_refuse_cached_keys(srv: Running) -> None:
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200  # cached now
    add_user(srv.url, "carol")  # moves the key epoch
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200
    assert srv.count("telemetry") == 2


def test_a_pooled_connection_cut_while_idle_is_replaced_before_use(
    srv: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    if srv.url.startswith("sqlite"):
        pytest.skip("SQLite has no server to cut connections")
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # every pooled connection is "idle"
    assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200
    # What a database restart or a firewall's idle timeout does to pooled connections.
    database = sa.engine.make_url(srv.url).database
    engine = sa.create_engine(srv.url)
    try:
        with engine.connect() as conn:
            cut = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            ).scalar_one()
    finally:
        engine.dispose()
    assert cut >= 1
    for _ in range(3):
        assert srv.post("/api/telemetry", sample(srv.key)).status_code == 200
    assert srv.count("telemetry") == 4
