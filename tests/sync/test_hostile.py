"""The sync client against a hostile server (tests/sync/hostile.py): answers that are
not what they seem must never mark a row delivered, and nothing it sends may hang,
crash or bloat ``sync --once`` or leak the key."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from roadmaster.storage import Store
from roadmaster.sync.client import CloudClient
from roadmaster.sync.worker import SyncStats, SyncWorker
from tests.storage.conftest import FakeClock, make_sample
from tests.sync.conftest import WorkerClock, make_worker, record_drive
from tests.sync.hostile import Answer, HostileServer, endless_chunks, huge_body, no_health

KEY = "rm_" + "0123456789abcdef" * 4


@pytest.fixture
def hostile() -> Iterator[list[HostileServer]]:
    started: list[HostileServer] = []
    yield started
    for s in started:
        s.stop()


def serve(started: list[HostileServer], answer: Any) -> HostileServer:
    """A hostile server without a health endpoint (the plain contract) answering
    ``answer(method, path, body)`` to everything else."""

    def handler(method: str, path: str, body: bytes) -> Answer:
        return no_health(method, path, body) or answer(method, path, body)

    server = HostileServer(handler)
    started.append(server)
    return server


def drain(worker: SyncWorker) -> SyncStats:
    """``drain(once=True)`` on a thread; fails (rather than hangs) if it never ends."""
    result: list[SyncStats] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(worker.drain(once=True))
        except BaseException as exc:  # re-raised on the test's thread
            errors.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "sync --once never ended"
    if errors:
        raise errors[0]
    return result[0]


def states(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT state, count(*) FROM outbox GROUP BY state").all()
    return {state: n for state, n in rows}


def errors(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT last_error FROM outbox WHERE last_error IS NOT NULL"
        ).all()
    return [r[0] for r in rows]


def samples(store: Store, n: int) -> None:
    for i in range(n):
        store.apply([make_sample(float(i), None)])


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (
            Answer(
                200, b"<html><body>Hotel Wi-Fi: log in</body></html>", {"Content-Type": "text/html"}
            ),
            "text/html (a Wi-Fi login page",
        ),
        (Answer(200, {"success": False}), 'does not say {"success": true}'),
        (Answer(200, b""), "not a JSON object"),
        (Answer(204, b""), "not a JSON object"),
    ],
    ids=["captive-portal", "success-false", "empty", "204"],
)
def test_a_2xx_without_the_contracts_answer_leaves_the_row_queued(
    store: Store, hostile: list[HostileServer], answer: Answer, words: str
) -> None:
    samples(store, 3)
    server = serve(hostile, lambda m, p, b: answer)
    worker, _ = make_worker(store, server.url, KEY)
    stats = drain(worker)
    left = states(store)
    assert left.get("done", 0) == 0 and left.get("dead", 0) == 0
    assert stats.rows_sent == 0
    assert stats.stopped_because == "server_error"
    assert any(words in e for e in errors(store)), errors(store)


def test_a_batch_must_be_accepted_whole(store: Store, hostile: list[HostileServer]) -> None:
    samples(store, 10)

    def handler(method: str, path: str, body: bytes) -> Answer:
        if path == "/api/health":
            return Answer(200, {"status": "ok", "features": ["batch_telemetry"]})
        return Answer(200, {"success": True, "accepted": 3})

    server = HostileServer(handler)
    hostile.append(server)
    worker, _ = make_worker(store, server.url, KEY)
    drain(worker)
    assert states(store).get("done", 0) == 0
    assert any("accepted 3 of 10 samples" in e for e in errors(store)), errors(store)


def test_a_job_start_without_an_id_backs_off_more_and_more_and_once_ends(
    store: Store, clock: FakeClock, hostile: list[HostileServer]
) -> None:
    record_drive(store, clock, jobs=1, samples_per_job=3, free=0)

    def answer(method: str, path: str, body: bytes) -> Answer:
        if path == "/api/jobs/start":
            return Answer(200, {"job": {}})
        return Answer(200, {"success": True})

    server = serve(hostile, answer)
    wclock = WorkerClock()
    worker, _ = make_worker(store, server.url, KEY, wclock)
    stats = drain(worker)
    assert stats.stopped_because == "server_error"
    assert stats.rows_sent == 0  # the samples and the delivery wait for the start
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT server_id FROM jobs").scalar_one() is None
    assert states(store).get("done", 0) == 0
    assert any("no job id" in e for e in errors(store))
    # The backoff grew: the failure counter was not reset by a "success".
    assert len(wclock.waited) >= 3
    assert wclock.waited[-1] > 8 * wclock.waited[0]


def test_an_endless_body_times_out_and_once_ends(
    store: Store, hostile: list[HostileServer]
) -> None:
    samples(store, 1)
    server = serve(hostile, lambda m, p, b: Answer(writer=endless_chunks))
    worker, _ = make_worker(store, server.url, KEY, max_server_failures=2)
    worker.client.close()
    worker.client = CloudClient(server.url, timeout_s=10, deadline_s=0.3)
    stats = drain(worker)
    assert stats.stopped_because == "server_error"
    assert states(store).get("done", 0) == 0
    assert any("did not finish within 0.3 s" in e for e in errors(store))


def test_a_huge_answer_is_not_read_whole(store: Store, hostile: list[HostileServer]) -> None:
    samples(store, 1)
    size = 200 << 20
    server = HostileServer(lambda m, p, b: Answer(writer=huge_body(server, size)))
    hostile.append(server)
    worker, _ = make_worker(store, server.url, KEY, max_server_failures=1)
    drain(worker)
    assert any("larger than 1,048,576 bytes" in e for e in errors(store)), errors(store)
    assert server.bytes_sent < size // 4  # the client hung up early
    assert states(store).get("done", 0) == 0


@pytest.mark.parametrize("value", ["99999999999", "inf", "1e400", "nan", "-5"])
def test_an_absurd_retry_after_is_clamped(
    store: Store, hostile: list[HostileServer], value: str
) -> None:
    samples(store, 2)
    server = serve(
        hostile,
        lambda m, p, b: Answer(
            429,
            {"error": "Rate limit exceeded"},
            {"Retry-After": value, "X-RateLimit-Reset": value, "X-RateLimit-Limit": value},
        ),
    )
    wclock = WorkerClock()
    worker, _ = make_worker(store, server.url, KEY, wclock, once_deadline_s=7200)
    stats = drain(worker)
    assert stats.stopped_because == "rate_limited"
    assert stats.rate_limited >= 1
    assert all(w <= 3600 for w in wclock.waited)
    assert states(store).get("done", 0) == 0


def test_a_persistent_429_says_what_it_waits_for_and_once_ends(
    store: Store, hostile: list[HostileServer]
) -> None:
    samples(store, 2)
    server = serve(
        hostile,
        lambda m, p, b: Answer(429, {"error": "Rate limit exceeded"}, {"Retry-After": "600"}),
    )
    said: list[str] = []
    worker, _ = make_worker(store, server.url, KEY, once_deadline_s=3000, report=said.append)
    stats = drain(worker)
    assert stats.stopped_because == "rate_limited"
    assert said and all("the server asked to slow down" in s for s in said)
    assert "waiting 600 s" in said[0]


def test_a_redirect_shows_where_to(store: Store, hostile: list[HostileServer]) -> None:
    samples(store, 1)
    server = serve(
        hostile,
        lambda m, p, b: Answer(301, b"", {"Location": "https://api.example.com/api/telemetry"}),
    )
    worker, _ = make_worker(store, server.url, KEY, max_server_failures=1)
    drain(worker)
    (error,) = errors(store)
    assert "HTTP 301" in error and "https://api.example.com/api/telemetry" in error


def test_https_to_a_plain_http_port_hints_at_http(
    store: Store, hostile: list[HostileServer]
) -> None:
    samples(store, 1)
    server = serve(hostile, lambda m, p, b: Answer())
    url = server.url.replace("http:", "https:")
    worker, _ = make_worker(store, url, KEY, max_offline_failures=1)
    stats = drain(worker)
    assert stats.stopped_because == "offline"
    assert stats.stopped_detail is not None
    assert "TLS" in stats.stopped_detail and "http://" in stats.stopped_detail


@pytest.mark.parametrize(
    "echo",
    [
        lambda key: ("x" * 150 + key).encode(),  # cut at 200 characters mid-key
        lambda key: ("your key " + key.upper()).encode(),
        lambda key: ("bad key: " + key[7:]).encode(),  # the prefix cut off
    ],
    ids=["cut", "upper-case", "no-prefix"],
)
def test_a_key_echoed_in_an_error_is_redacted(
    store: Store, hostile: list[HostileServer], echo: Any
) -> None:
    samples(store, 1)
    server = serve(hostile, lambda m, p, b: Answer(400, echo(KEY), {"Content-Type": "text/plain"}))
    worker, _ = make_worker(store, server.url, KEY)
    drain(worker)
    (error,) = errors(store)
    assert "HTTP 400" in error
    assert not re.search(r"[0-9a-f]{16}", error, re.IGNORECASE), error
