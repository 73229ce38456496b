"""A throwaway PostgreSQL cluster for the tests that run the reference server on
PostgreSQL as well as SQLite (tests/server, tests/sync).

One cluster per session (initdb + pg_ctl in a temp folder, a free loopback port,
trust auth), run as the ``postgres`` system user when we are root (initdb refuses
root), and one fresh database per test.  Without the binaries the PostgreSQL
variants are skipped — unless ``ROADMASTER_TEST_PG=required`` (CI), where they fail.

The ``pg_cluster`` fixture is registered for the whole suite by tests/conftest.py;
:func:`server_db_url` turns a ``"sqlite"``/``"postgresql"`` parameter into a URL.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

BACKENDS = ["sqlite", "postgresql"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PgCluster:
    port: int

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        engine = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
        finally:
            engine.dispose()
        return self.url(name)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("ROADMASTER_TEST_PG") == "required":
            pytest.fail("PostgreSQL binaries not found (ROADMASTER_TEST_PG=required)")
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    root = Path(tempfile.mkdtemp(prefix="roadmaster-pg-"))
    data = root / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield PgCluster(port)
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def server_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty server database of the kind ``request.param`` names."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    assert request.param == "postgresql", request.param
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()
