"""Fixtures of the server tests: a database of each kind, and the server on real HTTP.

PostgreSQL: the session's throwaway cluster (``pg_cluster``, tests/pg.py), one fresh
database per test; skipped without the binaries unless ``ROADMASTER_TEST_PG=required``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from roadmaster.examples import telemetry_body
from roadmaster.server.app import create_app
from roadmaster.server.limits import Limits
from roadmaster.server.runner import serve_in_thread
from roadmaster.server.users import add_user
from tests.fakes import FakeSeconds
from tests.pg import BACKENDS, server_db_url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return server_db_url(request, tmp_path)


def count_rows(db_url: str, table: str) -> int:
    """How many rows the server's ``table`` holds now (a connection of its own)."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
    finally:
        engine.dispose()


@dataclass
class Running:
    url: str  # the database
    base_url: str
    client: httpx.Client
    key: str  # alice's
    other_key: str  # bob's
    clock: FakeSeconds  # Unix seconds

    def post(self, path: str, body: object = None, **kw: object) -> httpx.Response:
        if body is not None:
            kw["json"] = body
        return self.client.post(path, **kw)  # type: ignore[arg-type]

    def count(self, table: str) -> int:
        return count_rows(self.url, table)

    def written(self) -> dict[str, int]:
        """Rows a request may write: all must stay 0 after a refused request."""
        return {t: self.count(t) for t in ("telemetry", "jobs", "idempotency_keys")}


@pytest.fixture
def start_server(db_url: str) -> Iterator[Callable[..., Running]]:
    stops: list[Callable[[], None]] = []
    clients: list[httpx.Client] = []

    def start(limits: Limits | None = None) -> Running:
        key = add_user(db_url, "alice")
        other = add_user(db_url, "bob")
        clock = FakeSeconds(1_800_000_000.0)
        base_url, stop = serve_in_thread(create_app(db_url, limits=limits, clock=clock))
        stops.append(stop)
        client = httpx.Client(base_url=base_url, timeout=10)
        clients.append(client)
        return Running(db_url, base_url, client, key, other, clock)

    yield start
    for client in clients:
        client.close()
    for stop in stops:
        stop()


@pytest.fixture
def srv(start_server: Callable[..., Running]) -> Running:
    return start_server()


def sample(key: str, **changes: object) -> dict[str, object]:
    return telemetry_body(key, **changes)


def job_start(key: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "api_key": key,
        "source_city": "Sacramento",
        "destination_city": "Reno",
        "destination_company": "Wallbert",
        "cargo_type": "Apples",
        "cargo_weight": 30000,
        "income": 5000,
        "distance": 500,
    }
    body.update(changes)
    return body
