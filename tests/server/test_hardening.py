"""Issue 9, server side: what a hostile network and careless clients broke.

Each test runs the reference server over real HTTP, on SQLite and on the throwaway
PostgreSQL (the ``db_url`` fixture's two parameters).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from roadmaster.server.app import create_app
from roadmaster.server.limits import Limits
from roadmaster.server.runner import HttpLimits, serve_in_thread
from roadmaster.server.users import add_user, rotate_key
from tests.server.conftest import Running, job_start, sample


def _rows(srv: Running, query: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(srv.url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(query)]
    finally:
        engine.dispose()


def _in_parallel(srv: Running, requests: list[tuple[str, dict[str, object]]]) -> list[int]:
    """POST every (path, body) at once, each from its own connection; the statuses."""
    statuses: list[int] = []
    barrier = threading.Barrier(len(requests))
    lock = threading.Lock()

    def send(path: str, body: dict[str, object]) -> None:
        with httpx.Client(base_url=srv.base_url, timeout=30) as client:
            barrier.wait()
            status = client.post(path, json=body).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


# --- concurrent completions ----------------------------------------------------------


def test_parallel_completions_count_every_job_once(srv: Running) -> None:
    jobs = []
    for _ in range(12):
        r = srv.post("/api/jobs/start", job_start(srv.key, destination_company="Tree-ET"))
        assert r.status_code == 200
        jobs.append(r.json()["job"]["id"])

    def complete(job: str, late: bool) -> tuple[str, dict[str, object]]:
        body = {"api_key": srv.key, "job_id": job, "cargo_damage": 0.0}
        body |= {"damage_taken": 0.5, "delivered_late": late}
        return "/api/jobs/complete", body

    # A new company's first row, then more completions on the existing row.
    first = _in_parallel(srv, [complete(job, late=i % 3 == 0) for i, job in enumerate(jobs[:8])])
    more = _in_parallel(srv, [complete(job, late=False) for job in jobs[8:]])
    assert first + more == [200] * 12
    stats = _rows(
        srv,
        "SELECT jobs_completed, jobs_on_time, total_damage, avg_damage FROM company_stats",
    )
    assert stats == [(12, 9, pytest.approx(6.0), pytest.approx(0.5))]
    unlocked = _rows(srv, "SELECT achievement_key FROM user_achievements")
    assert sorted(key for (key,) in unlocked) == ["first_job", "thousand_miles"]


def test_parallel_first_completions_unlock_an_achievement_once(srv: Running) -> None:
    # Each to a company of its own: nothing else serialises these transactions.
    jobs = []
    for i in range(8):
        r = srv.post("/api/jobs/start", job_start(srv.key, destination_company=f"Co {i}"))
        jobs.append(r.json()["job"]["id"])
    body = {"api_key": srv.key, "cargo_damage": 0.0, "delivered_late": False}
    statuses = _in_parallel(srv, [("/api/jobs/complete", body | {"job_id": j}) for j in jobs])
    assert statuses == [200] * 8
    unlocked = _rows(srv, "SELECT achievement_key FROM user_achievements")
    # (Which of the totals' achievements a completion sees depends on the others'
    # commits; these two each completion earns on its own.)
    assert {"first_job", "no_damage"} <= {key for (key,) in unlocked}


# --- contract-valid times ------------------------------------------------------------


def test_a_job_deadline_is_stored(srv: Running) -> None:
    r = srv.post("/api/jobs/start", job_start(srv.key, deadline="2026-05-01T18:30:00Z"))
    assert r.status_code == 200, r.text
    assert r.json()["job"]["deadline"] == "2026-05-01T18:30:00Z"
    engine = sa.create_engine(srv.url)
    try:
        with engine.connect() as conn:
            from roadmaster.server.tables import jobs

            stored = conn.execute(sa.select(jobs.c.deadline)).scalar_one()
    finally:
        engine.dispose()
    assert stored == datetime(2026, 5, 1, 18, 30, tzinfo=UTC)


def test_game_time_is_stored_from_a_sample_and_a_batch(srv: Running) -> None:
    r = srv.post("/api/telemetry", sample(srv.key, game_time="2026-01-02T03:04:05Z"))
    assert r.status_code == 200, r.text
    samples = [
        {k: v for k, v in sample(srv.key, game_time="2026-01-02T04:00:00Z").items()}
        for _ in range(3)
    ]
    for s in samples:
        del s["api_key"]
    r = srv.post("/api/telemetry/batch", {"api_key": srv.key, "samples": samples})
    assert r.status_code == 200, r.text
    engine = sa.create_engine(srv.url)
    try:
        with engine.connect() as conn:
            from roadmaster.server.tables import telemetry

            stored = conn.execute(
                sa.select(telemetry.c.game_time).order_by(telemetry.c.id)
            ).scalars()
            times = list(stored)
    finally:
        engine.dispose()
    assert (
        times
        == [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)] + [datetime(2026, 1, 2, 4, tzinfo=UTC)] * 3
    )


# --- hostile bodies ------------------------------------------------------------------


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything the server logs, uvicorn's own error log included."""
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.addHandler(caplog.handler)
    caplog.set_level(logging.WARNING)
    try:
        yield caplog
    finally:
        uvicorn_error.removeHandler(caplog.handler)


def test_deeply_nested_json_is_400_and_logs_nothing(
    srv: Running, server_log: pytest.LogCaptureFixture
) -> None:
    deep = b"[" * 30_000 + b"]" * 30_000
    for key in (srv.key, "rm_unknown"):
        raw = b'{"api_key":"' + key.encode() + b'","extra":' + deep + b"}"
        r = srv.post("/api/telemetry", content=raw, headers={"Content-Type": "application/json"})
        assert (r.status_code, r.json()["error"]) == (400, "Validation failed")
        assert r.json()["details"] == {"body": "JSON nested too deeply"}
    assert [rec.getMessage() for rec in server_log.records] == []
    assert srv.written() == {"telemetry": 0, "jobs": 0, "idempotency_keys": 0}


@pytest.mark.parametrize(
    ("path", "field", "text"),
    [
        ("/api/jobs/start", "source_city", "Reno\\ud800"),
        ("/api/jobs/start", "cargo_type", "Ap\\u0000ples"),
        ("/api/telemetry", "event_id", "\\udfff-1"),
        ("/api/telemetry", "event_id", "e\\u0000"),
    ],
)
def test_text_that_no_database_can_store_is_400(
    srv: Running, server_log: pytest.LogCaptureFixture, path: str, field: str, text: str
) -> None:
    body = job_start(srv.key) if path == "/api/jobs/start" else sample(srv.key)
    raw = json.dumps(body)[:-1] + f', "{field}": "{text}"}}'
    r = srv.post(path, content=raw.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "Validation failed"
    assert list(r.json()["details"]) == [field]
    assert srv.written() == {"telemetry": 0, "jobs": 0, "idempotency_keys": 0}
    assert server_log.records == []
    # A surrogate pair is a character like any other.
    r = srv.post("/api/jobs/start", content=json.dumps(job_start(srv.key, cargo_type="🍎")))
    assert r.status_code == 200
    assert r.json()["job"]["cargo_type"] == "🍎"


def test_a_surrogate_encoded_in_utf8_is_400(srv: Running) -> None:
    # Python's json reads these bytes (it decodes with "surrogatepass").
    raw = json.dumps(job_start(srv.key, source_city="@")).encode().replace(b"@", b"\xed\xa0\x80")
    r = srv.post("/api/jobs/start", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert list(r.json()["details"]) == ["source_city"]
    assert srv.count("jobs") == 0


def test_a_body_over_the_cap_without_a_length_is_413(srv: Running) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"api_key":"' + srv.key.encode() + b'","pad":"'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    r = srv.post("/api/telemetry", content=chunks())
    assert r.status_code == 413


def test_no_openapi_document(srv: Running) -> None:
    for path in ("/openapi.json", "/docs", "/redoc"):
        r = srv.client.get(path)
        assert r.status_code == 404, path


def test_the_sqlite_database_is_private(tmp_path: Path) -> None:
    db = tmp_path / "data" / "server.db"
    add_user(f"sqlite:///{db}", "alice")
    app = create_app(f"sqlite:///{db}")
    try:
        files = sorted(p.name for p in db.parent.iterdir())
        assert "server.db-wal" in files
        for name in files:
            mode = stat.S_IMODE(os.stat(db.parent / name).st_mode)
            assert mode == 0o600, f"{name}: {oct(mode)}"
    finally:
        app.state.server.db.close()


# --- idempotency ---------------------------------------------------------------------


def test_a_key_replayed_with_another_body_is_409(srv: Running) -> None:
    headers = {"Idempotency-Key": "start-7"}
    first = srv.post("/api/jobs/start", job_start(srv.key), headers=headers)
    assert first.status_code == 200
    r = srv.post("/api/jobs/start", job_start(srv.key, income=9999), headers=headers)
    assert r.status_code == 409
    assert r.json() == {
        "error": "Idempotency key reused",
        "details": {"Idempotency-Key": "Already used with a different body"},
    }
    r = srv.post("/api/telemetry", sample(srv.key, event_id="s-1"))
    assert r.status_code == 200
    r = srv.post("/api/telemetry", sample(srv.key, event_id="s-1", speed=12.0))
    assert r.status_code == 409
    assert srv.count("jobs") == 1 and srv.count("telemetry") == 1
    # The same body is still a retry, even sent with a new key after a rotation.
    again = srv.post("/api/jobs/start", job_start(srv.key), headers=headers)
    assert (again.status_code, again.json()) == (200, first.json())
    new_key = rotate_key(srv.url, "alice")
    again = srv.post("/api/jobs/start", job_start(new_key), headers=headers)
    assert (again.status_code, again.json()) == (200, first.json())
    assert srv.count("jobs") == 1


def test_a_key_stored_before_request_hashes_still_replays(srv: Running) -> None:
    headers = {"Idempotency-Key": "old-1"}
    first = srv.post("/api/jobs/start", job_start(srv.key), headers=headers)
    engine = sa.create_engine(srv.url)
    try:
        with engine.begin() as conn:  # as rows migrated from schema s0001 are
            conn.exec_driver_sql("UPDATE idempotency_keys SET request_hash = NULL")
    finally:
        engine.dispose()
    again = srv.post("/api/jobs/start", job_start(srv.key, income=1), headers=headers)
    assert (again.status_code, again.json()) == (200, first.json())
    assert srv.count("jobs") == 1


# --- slow clients --------------------------------------------------------------------

_SHORT = HttpLimits(header_timeout_s=0.3, body_timeout_s=0.3, keep_alive_s=1)


@pytest.fixture
def slow_srv(db_url: str) -> Iterator[tuple[str, int, str]]:
    key = add_user(db_url, "alice")
    app = create_app(db_url, limits=Limits(), http=_SHORT)
    base_url, stop = serve_in_thread(app, http=_SHORT)
    host, port = base_url.removeprefix("http://").split(":")
    try:
        yield host, int(port), key
    finally:
        stop()


def _read_until_closed(sock: socket.socket) -> bytes:
    """What the server sends until it closes; a socket timeout (5 s, far over the
    server's 0.3 s) fails the test."""
    sock.settimeout(5)
    got = b""
    while chunk := sock.recv(4096):
        got += chunk
    return got


@pytest.mark.parametrize(
    "sent",
    [b"", b"POST /api/telemetry HTTP/1.1\r\nHost: x\r\n", b"GET /api/health HTTP/1.1\r\nHo"],
    ids=["idle", "half-headers", "half-a-header"],
)
def test_a_connection_that_never_finishes_its_headers_is_closed(
    slow_srv: tuple[str, int, str], sent: bytes
) -> None:
    host, port, _ = slow_srv
    with socket.create_connection((host, port)) as sock:
        sock.sendall(sent)
        assert _read_until_closed(sock) == b""


def test_a_body_that_never_finishes_is_408_and_closed(slow_srv: tuple[str, int, str]) -> None:
    host, port, key = slow_srv
    body = json.dumps(sample(key)).encode()
    with socket.create_connection((host, port)) as sock:
        head = f"POST /api/telemetry HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
        sock.sendall(head.encode() + b"Content-Type: application/json\r\n\r\n" + body[:20])
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b'{"error":"Request timeout"}' in answer


def test_a_kept_alive_connection_that_starts_another_request_is_closed(
    slow_srv: tuple[str, int, str],
) -> None:
    host, port, _ = slow_srv
    with socket.create_connection((host, port)) as sock:
        sock.settimeout(5)
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while b'"max_batch_samples"' not in answer:  # the whole first answer
            answer += sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200 ")
        # A byte of the next request cancels uvicorn's own keep-alive timeout.
        sock.sendall(b"GET /api/he")
        assert _read_until_closed(sock).count(b"HTTP/1.1") == 0


def test_headers_over_the_cap_are_431_and_closed(slow_srv: tuple[str, int, str]) -> None:
    host, port, _ = slow_srv
    with socket.create_connection((host, port)) as sock:
        # One write (that the server reads whole): a close with unread bytes would
        # reset the connection and lose the answer.
        pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(17))
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n" + pad)
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 431 "), answer


def test_serve_limits_reach_uvicorn() -> None:
    from roadmaster.server.runner import _config

    app = create_app("sqlite://")
    try:
        config = _config(app, "127.0.0.1", 0, access_log=False, http=HttpLimits())
        assert config.timeout_keep_alive == HttpLimits().keep_alive_s
        assert config.limit_concurrency == HttpLimits().limit_concurrency
        assert config.h11_max_incomplete_event_size == HttpLimits().max_header_bytes
    finally:
        app.state.server.db.close()
