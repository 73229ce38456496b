"""Server users: add one, rotate a key.  Both print-ready: they return the new key,
which is shown once and never stored (only its hash is).

Both bump the key epoch in the same transaction, so a running server (even in
another process) drops its key cache before its next request: a rotated key stops
working at once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from roadmaster.errors import UserError
from roadmaster.server.db import make_engine, upgrade
from roadmaster.server.keys import key_hash, new_key
from roadmaster.server.tables import server_state, user_preferences, users


class UserExistsError(UserError):
    pass


class NoSuchUserError(UserError):
    pass


def _bump_epoch(conn: Connection) -> None:
    conn.execute(sa.update(server_state).values(key_epoch=server_state.c.key_epoch + 1))


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise UserError("A user name must be 1 to 100 characters.")
    return name


def add_user(db_url: str, name: str) -> str:
    """Create user ``name`` (with default preferences) and return their new API key."""
    name = _check_name(name)
    engine = make_engine(db_url, pool_size=1)
    try:
        upgrade(engine)
        key = new_key()
        now = datetime.now(UTC)
        with engine.begin() as conn:
            exists = conn.execute(sa.select(users.c.id).where(users.c.name == name)).first()
            if exists is not None:
                raise UserExistsError(
                    f"A user named {name!r} already exists; use "
                    f"'roadmaster serve user rotate-key {name}' for a new key."
                )
            user_id = uuid.uuid4()
            conn.execute(
                sa.insert(users).values(
                    id=user_id,
                    name=name,
                    api_key_hash=key_hash(key),
                    created_at=now,
                    key_rotated_at=now,
                )
            )
            conn.execute(sa.insert(user_preferences).values(user_id=user_id))
            _bump_epoch(conn)
        return key
    finally:
        engine.dispose()


def rotate_key(db_url: str, name: str) -> str:
    """Give user ``name`` a new key and return it; the old key stops working at once."""
    name = _check_name(name)
    engine = make_engine(db_url, pool_size=1)
    try:
        upgrade(engine)
        key = new_key()
        with engine.begin() as conn:
            done = conn.execute(
                sa.update(users)
                .where(users.c.name == name)
                .values(api_key_hash=key_hash(key), key_rotated_at=datetime.now(UTC))
            )
            if done.rowcount != 1:
                raise NoSuchUserError(
                    f"No user named {name!r}; add one with 'roadmaster serve user add {name}'."
                )
            _bump_epoch(conn)
        return key
    finally:
        engine.dispose()
