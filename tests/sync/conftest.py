"""Sync test fixtures: the real reference server on 127.0.0.1 (on SQLite and on
PostgreSQL: every test that uses ``server`` runs once per backend), a
fault-injecting HTTP proxy in front of it, a fake clock for the worker, and local
drives."""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from roadmaster.jobs.events import JobDelivered, JobStarted
from roadmaster.server import tables as t
from roadmaster.server.app import create_app
from roadmaster.server.limits import Limits
from roadmaster.server.runner import serve_in_thread
from roadmaster.server.users import add_user
from roadmaster.storage import Store
from roadmaster.storage.engine import make_engine
from roadmaster.sync.client import CloudClient
from roadmaster.sync.config import ApiKey
from roadmaster.sync.worker import HostedLimits, SyncWorker
from tests.factories import make_info, make_sample, make_stats
from tests.fakes import FakeClock
from tests.pg import BACKENDS, free_port, server_db_url


@dataclass
class Server:
    """The running reference server, and reads of its database for the assertions
    (SQLAlchemy Core on the server's own tables: the same on both backends)."""

    db_url: str
    base_url: str
    key: str
    _engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            # No pool: every read sees the server's latest commit, and no connection
            # outlives the test.
            self._engine = sa.create_engine(self.db_url, poolclass=sa.pool.NullPool)
        return self._engine

    def scalars(self, stmt: sa.Select[Any]) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def scalar(self, stmt: sa.Select[Any]) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(stmt).scalar_one()

    def positions(self) -> list[float]:
        """Every sample's x, in the order the server stored them."""
        return self.scalars(sa.select(t.telemetry.c.position_x).order_by(t.telemetry.c.id))

    def count(self, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
        return int(self.scalar(sa.select(sa.func.count()).select_from(table).where(*where)))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    db_url = server_db_url(request, tmp_path)
    key = add_user(db_url, "alice")
    # Generous limits: pacing is tested on its own; here the faults are the point.
    limits = Limits(telemetry_per_hour=10_000_000, jobs_per_hour=100_000)
    base_url, stop = serve_in_thread(create_app(db_url, limits=limits))
    srv = Server(db_url, base_url, key)
    yield srv
    srv.close()
    stop()


Action = Callable[[str, dict[str, Any]], "tuple[int, dict[str, Any], dict[str, str]] | str | None"]


@dataclass
class Proxy:
    """An HTTP proxy in front of the real server.  ``fault(path, body)`` decides per
    request: None → forward; (status, body, headers) → answer that without
    forwarding; "drop" → forward, then close without answering (the server has
    committed, the client never hears).  ``plain`` hides ``/api/health`` (404), as
    the hosted service has none: the client then speaks the plain contract."""

    upstream: str
    port: int = field(default_factory=free_port)
    plain: bool = False
    fault: Action | None = None
    seen: list[str] = field(default_factory=list)
    _httpd: socketserver.ThreadingTCPServer | None = None
    _client: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        proxy = self
        client = self._client = httpx.Client(base_url=self.upstream, timeout=30)

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if proxy.plain and self.path == "/api/health":
                    self._answer(404, b'{"error":"Not found"}', {})
                    return
                r = client.get(self.path)
                self._answer(r.status_code, r.content, {"Content-Type": "application/json"})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                proxy.seen.append(self.path)
                body = json.loads(raw)
                action = proxy.fault(self.path, body) if proxy.fault else None
                if isinstance(action, tuple):
                    status, out, headers = action
                    self._answer(status, json.dumps(out).encode(), headers)
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("content-type", "idempotency-key")
                }
                r = client.post(self.path, content=raw, headers=headers)
                if action == "drop":
                    self.close_connection = True
                    return
                keep = {
                    k: v
                    for k, v in r.headers.items()
                    if k.lower().startswith("x-ratelimit") or k.lower() in ("retry-after",)
                }
                keep["Content-Type"] = "application/json"
                self._answer(r.status_code, r.content, keep)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._httpd = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        # A short poll: stop() returns within 50 ms instead of the default 500 ms.
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._client is not None:
            self._client.close()
            self._client = None


@pytest.fixture
def proxy(server: Server) -> Iterator[Proxy]:
    p = Proxy(server.base_url)
    yield p
    p.stop()


class WorkerClock:
    """The worker's clock: waiting advances it at once (no real sleeping)."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.start = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
        self.waited: list[float] = []

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> datetime:
        return self.start + timedelta(seconds=self.mono - 1000.0)

    def wait(self, seconds: float, wake: threading.Event) -> bool:
        if wake.is_set():
            wake.clear()
            return True
        self.waited.append(seconds)
        self.mono += seconds
        return False


@dataclass
class KeyBox:
    key: ApiKey | None

    def __call__(self) -> ApiKey | None:
        return self.key


_engines: list[sa.Engine] = []


@pytest.fixture(autouse=True)
def _dispose_worker_engines() -> Iterator[None]:
    yield
    while _engines:
        _engines.pop().dispose()


def make_worker(
    store: Store, url: str, key: str | None, clock: WorkerClock | None = None, **kw: Any
) -> tuple[SyncWorker, KeyBox]:
    import random

    box = KeyBox(ApiKey(key) if key else None)
    engine = make_engine(store.data_file, pool_size=1)
    _engines.append(engine)
    worker = SyncWorker(
        engine=engine,
        client=CloudClient(url, timeout_s=10),
        key_provider=box,
        clock=clock or WorkerClock(),
        rng=random.Random(7),
        limits=kw.pop("limits", HostedLimits()),
        **kw,
    )
    return worker, box


def record_drive(
    store: Store, clock: FakeClock, *, jobs: int, samples_per_job: int, free: int = 5
) -> int:
    """Jobs with samples between start and delivery, free driving in between; the
    wall clock moves 1 s per sample (hours of driving offline).  Sample i has
    x = i (its order).  Returns the number of samples."""
    x = 0
    for j in range(jobs):
        for _ in range(free):
            store.apply([make_sample(float(x), None)])
            x += 1
            clock.advance(seconds=1)
        key = f"job{j}"
        info = make_info(j + 1)
        store.apply([JobStarted(t_s=x, game_time_min=1000, job_key=key, info=info, resumed=False)])
        for _ in range(samples_per_job):
            store.apply([make_sample(float(x), key)])
            x += 1
            clock.advance(seconds=1)
        done = JobDelivered(
            t_s=x,
            game_time_min=1300,
            job_key=key,
            info=info,
            stats=make_stats(),
            revenue=1000,
            xp=100,
            cargo_damage=0.02,
            distance_km=200.0,
            delivery_time_min=300,
            finished_game_min=1300,
            autopark_used=False,
            autoload_used=False,
            late=j % 2 == 1,
        )
        store.apply([done])
    return x


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    s = Store.open(tmp_path / "data", clock=clock)
    yield s
    s.close()
