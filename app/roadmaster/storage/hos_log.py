"""The hours-of-service history from the stored samples (``jobs.hos_history``).

The samples are read in the order they were recorded (``samples.id``), streamed
in chunks (constant memory however long the log), and folded through the HOS
clock.  The fold's state is kept in the settings table (``hos_history``) with the
id of the last sample folded, so a later call reads only the samples recorded
since: the first call on a long log pays for the whole history once, the next
ones cost a settings read.

What the samples hold: the game clock, the speed, the engine rpm and the parking
brake.  The engine switch itself is not stored, so "engine on" is read as rpm
above zero (the same thing for a running engine).  A sample between jobs has no
job, hence no game: it takes the game of the job sample before it.

A job edit that deletes a job (its samples go) drops the stored state
(``storage.job_edit``); the next call folds again from the first sample.
Concurrent callers: a state is stored only if the stored one is still the one the
caller started from, so a fold never overwrites a newer one or a drop.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from roadmaster.jobs.hos import is_driving
from roadmaster.jobs.hos_history import HosDay, HosFold
from roadmaster.storage.engine import WRITER
from roadmaster.storage.keyvalue import put_value
from roadmaster.storage.tables import jobs, settings
from roadmaster.telemetry.frame import Game

log = logging.getLogger(__name__)

HOS_KEY: Final = "hos_history"
CHUNK: Final = 5000

_SELECT: Final = (
    "SELECT s.id, s.game_time_min, s.speed_mps, s.engine_rpm, s.park_brake, s.recorded_at, "
    "j.game FROM samples AS s LEFT JOIN jobs AS j ON j.id = s.job_id "
    "WHERE s.id > ? ORDER BY s.id"
)


def _stored(conn: Connection) -> Any:
    return conn.execute(
        sa.select(settings.c.value).where(settings.c.key == HOS_KEY)
    ).scalar_one_or_none()


def _first_game(conn: Connection) -> str | None:
    """The game of the first job (for samples recorded before any job sample)."""
    return conn.execute(sa.select(jobs.c.game).order_by(jobs.c.id).limit(1)).scalar_one_or_none()


def hos_days(engine: Engine, *, chunk: int = CHUNK) -> list[HosDay]:
    """Every game day's driving and violations, folded up to the newest sample."""
    with engine.connect() as conn:
        stored = _stored(conn)
        fold = HosFold.from_json(stored)
        last_id = 0
        game: str | None = None
        if fold is not None and isinstance(stored, dict):
            last_id = int(stored.get("last_sample_id", 0))
            game = stored.get("last_game")
        else:
            fold = HosFold()
        if game is None:
            game = _first_game(conn)
        start_id = last_id
        stamps: dict[str, float] = {}
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.execute(_SELECT, (last_id,))
        try:
            while rows := cursor.fetchmany(chunk):
                for sid, t, speed, rpm, park, recorded, job_game in rows:
                    if job_game is not None:
                        game = job_game
                    last_id = sid
                    if game is None:
                        continue
                    driving = is_driving(speed, rpm > 0, bool(park))
                    stamp = str(recorded)[:19]
                    wall = stamps.get(stamp)
                    if wall is None:
                        stamps.clear()  # one entry: samples come in time order
                        wall = stamps[stamp] = (
                            datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()
                        )
                    fold.feed(Game(game), int(t), driving, stamp, wall)
        finally:
            cursor.close()
    if last_id != start_id:
        _store(engine, stored, fold, last_id, game)
    return fold.days()


def _store(engine: Engine, read: Any, fold: HosFold, last_id: int, game: str | None) -> None:
    value = {**fold.to_json(), "last_sample_id": last_id, "last_game": game}
    try:
        with engine.connect().execution_options(**WRITER) as conn, conn.begin():
            if _stored(conn) != read:
                return  # another fold stored a newer state, or an edit dropped it
            put_value(conn, HOS_KEY, value, datetime.now(UTC))
    except sa.exc.OperationalError as exc:
        # A read-only view of the log (another process holds it), or busy past the
        # timeout: the figures stand, the next call folds again.
        log.info("hours-of-service history not cached: %s", exc.orig)


def drop(conn: Connection) -> None:
    """Forget the stored fold (samples were deleted), inside ``conn``'s transaction."""
    conn.execute(settings.delete().where(settings.c.key == HOS_KEY))


__all__ = ["HOS_KEY", "drop", "hos_days"]
