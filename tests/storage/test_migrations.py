"""The schema: fresh files, old files, newer files, foreign files, and the pragmas."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from roadmaster.storage import DataFileError, Store, migrate
from roadmaster.storage.engine import DB_FILE_NAME, make_engine
from roadmaster.storage.tables import metadata


def test_a_fresh_file_is_created_at_the_newest_revision(data_dir: Path) -> None:
    with Store.open(data_dir) as store, store.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        tables = set(sa.inspect(conn).get_table_names())
    assert {
        "jobs",
        "job_events",
        "samples",
        "session_log",
        "settings",
        "achievements",
        "outbox",
    } <= tables


def test_the_migrations_build_exactly_the_declared_schema(tmp_path: Path) -> None:
    db = tmp_path / DB_FILE_NAME
    migrate.upgrade(db)
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_an_old_file_is_upgraded_keeping_its_jobs_and_backed_up(tmp_path: Path) -> None:
    db = tmp_path / DB_FILE_NAME
    migrate.upgrade(db, target="0001_initial")
    raw = sqlite3.connect(db)
    raw.execute(
        "INSERT INTO jobs (job_key, game, cargo_id, cargo, source_city_id, source_city,"
        " source_company_id, source_company, destination_city_id, destination_city,"
        " destination_company_id, destination_company, status, income, started_at, updated_at)"
        " VALUES ('k1', 'ats', 'c', 'Cargo', 'a', 'A', 'x', 'X', 'b', 'B', 'y', 'Y',"
        " 'delivered', 4200, '2026-01-01 10:00:00.000000', '2026-01-01 10:00:00.000000')"
    )
    raw.commit()
    assert "outbox" not in {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()

    with Store.open(tmp_path) as store:
        with store.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT job_key, income, status, profit, server_id FROM jobs"
            ).one()
            assert tuple(row) == ("k1", 4200, "delivered", None, None)
            assert migrate.current_revision(conn) == migrate.head_revision()
        assert store.status_counts() == {"delivered": 1}
    backup = tmp_path / f"{DB_FILE_NAME}.0001_initial.bak"
    assert backup.exists()
    with sqlite3.connect(backup) as old:
        assert old.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "0001_initial",
        )


def test_a_file_from_a_newer_app_is_refused_and_left_alone(data_dir: Path) -> None:
    Store.open(data_dir).close()
    db = data_dir / DB_FILE_NAME
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    with pytest.raises(DataFileError) as caught:
        Store.open(data_dir)
    assert caught.value.reason == "newer"
    assert "newer RoadMaster" in str(caught.value) and "update the app" in str(caught.value)
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "0099_from_the_future",
        )
    # The lock was released: once the file is fixed, the same process can open it.
    with sqlite3.connect(db) as raw:
        raw.execute(f"UPDATE alembic_version SET version_num = '{migrate.head_revision()}'")
    Store.open(data_dir).close()


def test_a_foreign_database_is_refused(data_dir: Path) -> None:
    data_dir.mkdir()
    with sqlite3.connect(data_dir / DB_FILE_NAME) as raw:
        raw.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    with pytest.raises(DataFileError, match="not a RoadMaster database"):
        Store.open(data_dir)


def test_a_damaged_file_is_refused_with_advice(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / DB_FILE_NAME).write_bytes(b"this is not sqlite at all" * 200)
    with pytest.raises(DataFileError) as caught:
        Store.open(data_dir)
    assert caught.value.reason == "corrupt"
    assert "roadmaster repair" in str(caught.value)


def test_wal_synchronous_and_foreign_keys_are_on(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        conn.rollback()
        # Enforced, not only declared: a sample of a job that does not exist fails.
        with pytest.raises(sa.exc.IntegrityError), conn.begin():
            conn.exec_driver_sql(
                "INSERT INTO outbox (kind, job_id, event_id, payload, state, attempts,"
                " created_at) VALUES ('telemetry', 12345, 'e', '{}', 'ready', 0, ?)",
                (datetime.now(UTC).isoformat(),),
            )
