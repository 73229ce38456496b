"""``roadmaster serve --workers 2`` on the throwaway PostgreSQL: the guarantees that
span requests (rate limits, idempotency) hold across worker processes."""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from roadmaster.server.db import POOL_SIZE
from roadmaster.server.users import add_user
from tests.pg import PgCluster, free_port
from tests.server.conftest import count_rows, job_start, sample

pytestmark = pytest.mark.slow  # multi-worker servers on PostgreSQL, ~5-12 s each

START_TIMEOUT_S = 60.0
CLIENTS = 16


@dataclass
class Workers:
    url: str
    base_url: str
    key: str
    process: subprocess.Popen[str]

    def count(self, table: str) -> int:
        return count_rows(self.url, table)

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "ROADMASTER_HOME": str(home)}


@pytest.fixture
def workers(pg_cluster: PgCluster, tmp_path: Path) -> Iterator[Callable[..., Workers]]:
    started: list[subprocess.Popen[str]] = []

    def start(*extra: str) -> Workers:
        url = pg_cluster.new_database()
        key = add_user(url, "alice")
        port = free_port()
        command = [sys.executable, "-m", "roadmaster", "serve", "--db", url]
        process = subprocess.Popen(
            [*command, "--port", str(port), "--workers", "2", *extra],
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        # The line comes once the socket listens; a request then waits for a worker.
        assert process.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(process.stdout, selectors.EVENT_READ)
            assert sel.select(START_TIMEOUT_S), "serve --workers 2 printed nothing"
        line = process.stdout.readline()
        assert "2 workers" in line, (line, process.stderr.read() if process.poll() else "")
        base_url = f"http://127.0.0.1:{port}"
        httpx.get(base_url + "/api/health", timeout=START_TIMEOUT_S).raise_for_status()
        return Workers(url, base_url, key, process)

    yield start
    for process in started:
        process.terminate()
        try:
            _, err = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate(timeout=10)
        assert "Traceback" not in err, err


def _parallel(
    send: Callable[[httpx.Client], httpx.Response], base_url: str, clients: int = CLIENTS
) -> list[int]:
    """``clients`` clients, each on its own connection (so both workers take some),
    released together; their status codes."""
    barrier = threading.Barrier(clients)
    codes: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            barrier.wait()
            for _ in range(4):
                code = send(client).status_code
                with lock:
                    codes.append(code)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(codes) == clients * 4
    return codes


def test_parallel_clients_on_two_workers_get_no_more_than_the_limit(
    workers: Callable[..., Workers],
) -> None:
    srv = workers("--telemetry-per-hour", "20")
    assert len(srv.children()) >= 2  # two worker processes answer
    codes = _parallel(lambda c: c.post("/api/telemetry", json=sample(srv.key)), srv.base_url)
    # A per-process limiter would let up to 20 through each worker.
    assert codes.count(200) == 20
    assert set(codes) == {200, 429}
    assert srv.count("telemetry") == 20
    r = httpx.post(srv.base_url + "/api/telemetry", json=sample(srv.key))
    assert r.status_code == 429
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(r.headers["Retry-After"]) <= 7200


def test_one_idempotency_key_raced_on_two_workers_stores_one_row(
    workers: Callable[..., Workers],
) -> None:
    srv = workers()
    body = job_start(srv.key)
    answers: list[httpx.Response] = []

    def send(client: httpx.Client) -> httpx.Response:
        r = client.post("/api/jobs/start", json=body, headers={"Idempotency-Key": "race-1"})
        answers.append(r)
        return r

    codes = _parallel(send, srv.base_url)
    assert set(codes) == {200}
    assert len({a.content for a in answers}) == 1  # every answer is the first one
    assert srv.count("jobs") == 1 and srv.count("idempotency_keys") == 1


def test_sqlite_refuses_more_than_one_worker(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "roadmaster", "serve", "--workers", "2"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "SQLite is served by one process" in out.stderr
    assert "postgresql+psycopg://" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_port_in_use_is_one_line(pg_cluster: PgCluster, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        db = pg_cluster.new_database()
        command = [sys.executable, "-m", "roadmaster", "serve", "--db", db]
        out = subprocess.run(
            [*command, "--port", str(port), "--workers", "2"],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 2
    assert out.stderr == (
        f"roadmaster: Can't listen on 127.0.0.1:{port} (Address already in use); "
        "choose another --port or --host.\n"
    )


def test_many_parallel_clients_do_not_make_the_workers_open_connection_after_connection(
    workers: Callable[..., Workers],
) -> None:
    """More requests at once than a worker has pooled connections: they queue for a
    connection instead of opening overflow ones that are closed again (a PostgreSQL
    backend started and torn down per request, which costs the database server more
    than the request)."""
    srv = workers()
    sessions = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    codes: list[int] = []

    def send(client: httpx.Client) -> httpx.Response:
        return client.post("/api/telemetry", json=sample(srv.key))

    engine = sa.create_engine(srv.url)
    try:
        with engine.connect() as conn:
            before = int(conn.exec_driver_sql(sessions).scalar_one())
        for _ in range(3):
            codes += _parallel(send, srv.base_url, clients=6 * POOL_SIZE)
        with engine.connect() as conn:
            opened = int(conn.exec_driver_sql(sessions).scalar_one()) - before
    finally:
        engine.dispose()
    assert set(codes) == {200}
    # Each of 2 workers keeps at most POOL_SIZE; the statistic may count our own probe.
    assert opened <= 2 * POOL_SIZE + 1, f"{opened} connections opened for {len(codes)} requests"
