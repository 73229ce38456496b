"""Several server processes on one port (``roadmaster serve --workers N``).

uvicorn's worker model starts N processes that share the listening socket; each
imports :func:`app_from_environment` and builds its own app from the settings the
parent put in ``ROADMASTER_SERVE_CONFIG``.  Every guarantee that spans requests lives
in the database (rate-limit counters, idempotency records, keys), so the workers
share no memory; caches they keep (known keys, job owners) are safe per process.
SQLite is single-process by design here (one writer connection), so more than one
worker needs PostgreSQL.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Final

from fastapi import FastAPI

from roadmaster.errors import UserError
from roadmaster.server.db import Database, is_sqlite
from roadmaster.server.httplimits import HttpLimits
from roadmaster.server.limits import Limits
from roadmaster.server.retention import Retention

ENV: Final = "ROADMASTER_SERVE_CONFIG"
FACTORY: Final = "roadmaster.server.workers:app_from_environment"


@dataclass(frozen=True, slots=True)
class ServeConfig:
    db_url: str
    limits: Limits
    retention: Retention
    http: HttpLimits = field(default_factory=HttpLimits)


def check_workers(db_url: str, workers: int) -> None:
    if workers < 1:
        raise UserError(f"--workers must be 1 or more (got {workers}).")
    if workers > 1 and is_sqlite(db_url):
        raise UserError(
            f"SQLite is served by one process: --workers {workers} needs "
            "--db postgresql+psycopg://USER@HOST/DBNAME (or leave --workers at 1)."
        )


def serve_workers(
    config: ServeConfig, host: str, port: int, workers: int, ready: Callable[[], None]
) -> None:
    from roadmaster.server.runner import serve_workers as run

    check_workers(config.db_url, workers)
    # Migrate once, here, so that the workers start on the current schema instead
    # of racing to create it.
    Database(config.db_url).close()
    os.environ[ENV] = json.dumps(
        {
            "db_url": config.db_url,
            "limits": asdict(config.limits),
            "retention": asdict(config.retention),
            "http": asdict(config.http),
        }
    )
    run(FACTORY, host, port, workers, ready, http=config.http)


def app_from_environment() -> FastAPI:
    """The app of one worker, from the parent's settings."""
    from roadmaster.server.app import create_app
    from roadmaster.server.runner import _GuardedProtocol

    raw = json.loads(os.environ[ENV])
    http = HttpLimits(**raw["http"])
    # This process's connections are made by the protocol class named in the config
    # (an import string); it takes its limits from here.
    _GuardedProtocol.limits = http
    return create_app(
        raw["db_url"],
        limits=Limits(**raw["limits"]),
        retention=Retention(**raw["retention"]),
        http=http,
    )
