"""``roadmaster serve user …`` through the real CLI entry point; the migrated schema."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from roadmaster.cli import main
from roadmaster.server.db import make_engine, upgrade
from roadmaster.server.keys import key_hash
from roadmaster.server.tables import metadata

KEY = re.compile(r"^rm_[0-9a-f]{64}$")


def _hash_of(db_url: str, name: str) -> str:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    sa.text("SELECT api_key_hash FROM users WHERE name = :n"), {"n": name}
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_user_add_and_rotate_key(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "user", "add", "carol", "--db", db_url]) == 0
    key = capsys.readouterr().out.strip()
    assert KEY.match(key)
    assert _hash_of(db_url, "carol") == key_hash(key)
    assert main(["serve", "--db", db_url, "user", "rotate-key", "carol"]) == 0
    new = capsys.readouterr().out.strip()
    assert KEY.match(new) and new != key
    assert _hash_of(db_url, "carol") == key_hash(new)
    assert main(["serve", "user", "add", "carol", "--db", db_url]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["serve", "user", "rotate-key", "nobody", "--db", db_url]) == 2
    assert "No user named" in capsys.readouterr().err


def test_the_migrations_build_the_current_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second start changes nothing
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": False, "version_table": "server_alembic_version"}
            )
            assert compare_metadata(context, metadata) == []
            n = conn.exec_driver_sql("SELECT count(*) FROM achievements").scalar_one()
            assert n == 7
    finally:
        engine.dispose()
