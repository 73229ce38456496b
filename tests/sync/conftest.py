"""Sync test fixtures: the real reference server on 127.0.0.1, a fault-injecting
HTTP proxy in front of it, a fake clock for the worker, and local drives."""

from __future__ import annotations

import http.server
import json
import socket
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
from roadmaster.server.app import create_app
from roadmaster.server.limits import Limits
from roadmaster.server.runner import serve_in_thread
from roadmaster.server.users import add_user
from roadmaster.storage import Store
from roadmaster.storage.engine import make_engine
from roadmaster.sync.client import CloudClient
from roadmaster.sync.config import ApiKey
from roadmaster.sync.worker import HostedLimits, SyncWorker
from tests.storage.conftest import FakeClock, make_info, make_sample, make_stats


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    db_url: str
    base_url: str
    key: str

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.exec_driver_sql(sql)]
        finally:
            engine.dispose()

    def positions(self) -> list[float]:
        return [r[0] for r in self.query("SELECT position_x FROM telemetry ORDER BY id")]

    def count(self, table: str) -> int:
        return int(self.query(f"SELECT count(*) FROM {table}")[0][0])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db_url = f"sqlite:///{tmp_path / 'server.db'}"
    key = add_user(db_url, "alice")
    # Generous limits: pacing is tested on its own; here the faults are the point.
    limits = Limits(telemetry_per_hour=10_000_000, jobs_per_hour=100_000)
    base_url, stop = serve_in_thread(create_app(db_url, limits=limits))
    yield Server(db_url, base_url, key)
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
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

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
