"""Issue 8: the hosted service answers 500 "Failed to complete job" to every
completion.  Against the real reference server (over HTTP, through the fault proxy
that makes that one endpoint fail always), such a row must not hold up anything
behind it: it backs off on its own, is parked with the server's words after a
bounded number of tries, shows in `status` and the window, and is retried by
`sync --retry-dead` and on its own once a day.  `sync --once` ends in bounded time
and tells a server failure from a network failure."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from roadmaster import cli
from roadmaster.server import tables as t
from roadmaster.storage import Store
from roadmaster.storage import outbox as ob
from roadmaster.sync.worker import PARK_AFTER
from roadmaster.ui.view_models import status as present
from tests.factories import make_sample
from tests.fakes import FakeClock
from tests.sync.conftest import Proxy, Server, WorkerClock, make_worker, record_drive
from tests.sync.hostile import Answer, HostileServer, no_health

FAILED = (500, {"error": "Failed to complete job"}, {})


def fail_completions(path: str, body: dict[str, Any]) -> object:
    return FAILED if path == "/api/jobs/complete" else None


@pytest.mark.parametrize("plain", [False, True], ids=["extensions", "plain-contract"])
def test_a_completion_the_server_always_fails_holds_up_nothing_and_is_parked(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server, plain: bool
) -> None:
    n = record_drive(store, clock, jobs=3, samples_per_job=40)
    proxy.plain = plain
    proxy.fault = fail_completions  # type: ignore[assignment]
    proxy.start()
    wclock = WorkerClock()
    worker, _ = make_worker(store, proxy.url, server.key, wclock)
    stats = worker.drain(once=True)
    # Everything else arrived, in order; the jobs were started, none completed.
    assert server.positions() == [float(i) for i in range(n)]
    assert server.count(t.jobs) == 3
    assert server.count(t.jobs, t.jobs.c.completed_at.is_not(None)) == 0
    # The three completions were tried a bounded number of times, then parked.
    assert proxy.seen.count("/api/jobs/complete") == 3 * PARK_AFTER
    assert stats.stopped_because is None
    with store.engine.connect() as conn:
        assert ob.pending_count(conn) == 0
        dead = ob.dead_rows(conn)
        summary = ob.dead_summary(conn)
    assert [d.kind for d in dead] == ["job_complete"] * 3
    assert all("Failed to complete job" in d.reason for d in dead)
    assert summary == "3 deliveries not accepted by the server: Failed to complete job"
    # ... counted in `status` ...
    from roadmaster.commands.status import collect

    info = collect(store.engine, str(store.data_file))
    assert info["outbox_dead"] == 3
    # ... and shown in the window's status bar.
    sync = present.sync_info_from(worker.status, 0, 3)
    text, level, tip = present._sync_parts(sync)
    assert "3 deliveries not accepted by the server: Failed to complete job" in text
    assert level == "warn" and "--retry-dead" in tip

    # The service gets fixed.  A day later the worker queues the parked rows again
    # on its own (not before).
    proxy.fault = None
    worker, _ = make_worker(store, proxy.url, server.key, wclock)
    worker.drain(once=True)
    assert server.count(t.jobs, t.jobs.c.completed_at.is_not(None)) == 0
    wclock.mono += timedelta(days=1, minutes=1).total_seconds()
    worker, _ = make_worker(store, proxy.url, server.key, wclock)
    worker.drain(once=True)
    assert server.count(t.jobs, t.jobs.c.completed_at.is_not(None)) == 3
    with store.engine.connect() as conn:
        assert (ob.pending_count(conn), ob.dead_count(conn)) == (0, 0)
    assert worker.status.parked is None


def test_a_failing_job_start_holds_only_its_own_job(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server
) -> None:
    """Dependencies still hold: a start that keeps failing holds its samples and
    its completion (they need its id), not the other jobs nor free driving."""
    n = record_drive(store, clock, jobs=3, samples_per_job=20)
    starts = []

    def fault(path: str, body: dict[str, Any]) -> object:
        if path == "/api/jobs/start":
            starts.append(body)
            if body["income"] == starts[0]["income"]:
                return (500, {"error": "Failed to start job"}, {})
        return None

    proxy.fault = fault  # type: ignore[assignment]
    proxy.start()
    wclock = WorkerClock()
    worker, _ = make_worker(store, proxy.url, server.key, wclock)
    worker.drain(once=True)
    assert server.count(t.jobs) == 2
    assert server.count(t.jobs, t.jobs.c.completed_at.is_not(None)) == 2
    with store.engine.connect() as conn:
        dead = ob.dead_rows(conn, limit=100)
    # The start parked; its 20 samples and its completion with it (no id to send).
    assert sorted({d.kind for d in dead}) == ["job_complete", "job_start", "telemetry"]
    assert len(dead) == 22
    assert len(server.positions()) == n - 20
    with store.engine.connect() as conn:
        assert ob.dead_summary(conn) == (
            "1 delivery, 1 job start and 20 samples not accepted by the server: Failed to start job"
        )
    # Fixed a day later: the start comes back on its own, and its job with it.
    proxy.fault = None
    wclock.mono += timedelta(days=1, minutes=1).total_seconds()
    worker, _ = make_worker(store, proxy.url, server.key, wclock)
    worker.drain(once=True)
    assert server.count(t.jobs, t.jobs.c.completed_at.is_not(None)) == 3
    assert sorted(server.positions()) == [float(i) for i in range(n)]


# --- `roadmaster sync --once` as a user runs it -------------------------------------------


def sync_once(data: Path, url: str, key: str, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setenv("ROADMASTER_HOME", str(data.parent))
    monkeypatch.setenv("ROADMASTER_API_KEY", key)
    return cli.main(["sync", "--once", "--data-dir", str(data), "--server", url, *extra])


def test_sync_once_tells_a_server_error_from_the_network(
    store: Store,
    clock: FakeClock,
    proxy: Proxy,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record_drive(store, clock, jobs=1, samples_per_job=10)
    data = store.data_file.parent
    store.close()
    proxy.plain = True
    proxy.fault = fail_completions  # type: ignore[assignment]
    proxy.start()
    code = sync_once(data, proxy.url, server.key, monkeypatch, "--deadline", "1")
    out = capsys.readouterr()
    assert code == 4, out
    assert "1 row left: the server answered with errors, the network is fine" in out.out
    assert "Failed to complete job" in out.out
    assert "Can't reach" not in out.out + out.err
    assert server.count(t.telemetry) == 15

    proxy.stop()  # now the network fails
    code = sync_once(data, proxy.url, server.key, monkeypatch, "--deadline", "1")
    out = capsys.readouterr()
    assert code == 3, out
    assert "the network failed, the server could not be reached" in out.out

    proxy.fault = None
    proxy.start()
    assert sync_once(data, proxy.url, server.key, monkeypatch) == 0
    assert "Sent 1 row " in capsys.readouterr().out


def test_sync_once_exits_5_on_refused_rows_and_retry_dead_sends_them(
    store: Store,
    clock: FakeClock,
    proxy: Proxy,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for i in range(3):
        store.apply([make_sample(float(i), None)])
    with store.engine.connect() as conn:
        conn.exec_driver_sql(
            "UPDATE outbox SET state = 'dead', last_error = 'HTTP 400: Broken' WHERE id = 2"
        )
        conn.commit()
    data = store.data_file.parent
    store.close()
    proxy.start()
    code = sync_once(data, proxy.url, server.key, monkeypatch)
    out = capsys.readouterr().out
    assert code == 5, out
    assert "1 sample not accepted by the server: Broken" in out and "--retry-dead" in out
    assert sync_once(data, proxy.url, server.key, monkeypatch, "--retry-dead") == 0
    assert sorted(server.positions()) == [0.0, 1.0, 2.0]


def test_sync_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["sync", "--help"])
    out = capsys.readouterr().out
    for code, words in [(3, "network"), (4, "server answered"), (5, "parked"), (6, "rate")]:
        assert any(
            line.strip().startswith(str(code)) and words in line for line in out.splitlines()
        )


# --- the keyring is read when the key may have changed, not per request ---------------------


class LockedAfterFirstRead(KeyringBackend):
    """A keyring that answers once, then is locked (a Secret Service that locked
    itself, a KWallet that timed out)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        if self.reads > 1:
            raise keyring.errors.KeyringLocked("locked")
        return self.key

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("locked")


@pytest.fixture
def locked_keyring() -> Iterator[LockedAfterFirstRead]:
    before = keyring.get_keyring()
    backend = LockedAfterFirstRead("rm_" + "ab" * 32)
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def test_many_sync_requests_read_the_keyring_once(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    locked_keyring: LockedAfterFirstRead,
) -> None:
    from roadmaster.commands.sync import make_worker as wire_worker

    monkeypatch.delenv("ROADMASTER_API_KEY", raising=False)
    n = 40
    for i in range(n):
        store.apply([make_sample(float(i), None)])
    server = HostileServer(lambda m, p, b: no_health(m, p, b) or Answer())
    try:
        caplog.set_level(logging.INFO)
        worker = wire_worker(store, server.url)  # the wiring `headless` and `sync` use
        try:
            stats = worker.drain(once=True)
        finally:
            worker.engine.dispose()
    finally:
        server.stop()
    assert stats.rows_sent == n and len(server.requests) >= n
    assert locked_keyring.reads == 1
    assert caplog.text.count("could not read cloud-api-key") <= 1


def test_a_row_set_aside_does_not_delay_live_samples(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server
) -> None:
    """The running app: while the only row left waits (set aside for many seconds),
    a new sample still reaches the server within the 2-second budget."""
    import time

    from roadmaster.sync.worker import RealClock

    record_drive(store, clock, jobs=1, samples_per_job=3, free=0)
    with store.engine.connect() as conn:  # it has failed a few times already
        conn.exec_driver_sql("UPDATE outbox SET attempts = 4 WHERE kind = 'job_complete'")
        conn.commit()
    proxy.fault = fail_completions  # type: ignore[assignment]
    proxy.start()
    worker, _ = make_worker(store, proxy.url, server.key, RealClock())  # type: ignore[arg-type]
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "/api/jobs/complete" not in proxy.seen:
            time.sleep(0.02)
        assert server.count(t.telemetry) == 3
        store.apply([make_sample(99.0, None)])  # no wake(): the idle poll finds it
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and server.count(t.telemetry) == 3:
            time.sleep(0.02)
        assert server.count(t.telemetry) == 4
    finally:
        assert worker.stop(2.0)
        worker.engine.dispose()


def test_a_later_run_parks_a_row_that_alone_keeps_failing(
    store: Store, clock: FakeClock, proxy: Proxy, server: Server
) -> None:
    """`sync --once` run again when only the failing row is left: the server accepted
    the rest in the run before, so this run parks it rather than retrying it for ever."""
    record_drive(store, clock, jobs=1, samples_per_job=5)
    proxy.plain = True
    proxy.fault = fail_completions  # type: ignore[assignment]
    proxy.start()
    wclock = WorkerClock()
    worker, _ = make_worker(store, proxy.url, server.key, wclock, once_deadline_s=3)
    assert worker.drain(once=True).stopped_because == "server_error"
    assert server.count(t.telemetry) == 10
    worker, _ = make_worker(store, proxy.url, server.key, wclock)
    stats = worker.drain(once=True)
    assert stats.stopped_because is None and stats.rows_dead == 1
    assert proxy.seen.count("/api/jobs/complete") == PARK_AFTER
