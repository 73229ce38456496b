"""The finished-job history as the statistics read it, and the stored career.

:func:`finished_job` turns a ``jobs`` row into a
:class:`~roadmaster.jobs.standings.FinishedJob` (the record achievements and
company standings are computed from); :func:`finished_jobs` reads them in
chronological order.  :class:`CareerKeeper` keeps the achievements up to date
after each finished job without scanning the log: it folds only the jobs finished
since its last run into the stored :class:`~roadmaster.jobs.career.Career`
(settings key ``career``) and records what they unlocked.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from roadmaster.jobs.achievements import Unlocked
from roadmaster.jobs.career import Career
from roadmaster.jobs.economics import Expenses, job_economics
from roadmaster.jobs.events import JobStatus
from roadmaster.jobs.standings import FinishedJob
from roadmaster.storage.engine import WRITER
from roadmaster.storage.keyvalue import put_value
from roadmaster.storage.store import Store
from roadmaster.storage.tables import achievements, jobs, settings
from roadmaster.telemetry.frame import Game

log = logging.getLogger(__name__)

CAREER_KEY: Final = "career"
_TRUCK_PARTS: Final = ("engine", "transmission", "cabin", "chassis", "wheels")

_c = jobs.c
_COLUMNS: Final = (
    _c.id,
    _c.job_key,
    _c.game,
    _c.status,
    _c.source_city_id,
    _c.source_city,
    _c.destination_city_id,
    _c.destination_city,
    _c.destination_company_id,
    _c.destination_company,
    _c.late,
    _c.cargo_damage,
    _c.income,
    _c.revenue,
    _c.penalty,
    _c.fines,
    _c.tolls,
    _c.transport_cost,
    _c.fuel_cost,
    _c.damage_cost,
    _c.profit,
    _c.distance_km,
    _c.reported_distance_km,
    _c.planned_distance_km,
    _c.fuel_used_l,
    _c.avg_speed_mps,
    _c.damage_taken,
    _c.started_game_min,
    _c.ended_game_min,
    *(_c[f"wear_start_{p}"] for p in _TRUCK_PARTS),
    *(_c[f"wear_end_{p}"] for p in _TRUCK_PARTS),
)


def _truck_damage(row: Mapping[Any, Any]) -> float:
    """Truck damage taken on the job as economics defines it: the mean of the five
    truck components' wear gained (``jobs.damage_taken`` also averages the trailer).
    Rows loaded without wear columns (imports) fall back on ``damage_taken``."""
    gained = [
        max(0.0, float(row[f"wear_end_{p}"]) - float(row[f"wear_start_{p}"])) for p in _TRUCK_PARTS
    ]
    if not any(gained):
        return min(1.0, max(0.0, float(row["damage_taken"])))
    return min(1.0, sum(gained) / len(gained))


def _economics_distance(row: Mapping[Any, Any]) -> float:
    """The distance the economics use (see ``economics.job_distance_km``)."""
    if row["distance_km"] > 0:
        return float(row["distance_km"])
    if row["status"] == JobStatus.DELIVERED and (row["reported_distance_km"] or 0) > 0:
        return float(row["reported_distance_km"])
    return float(row["planned_distance_km"])


def finished_job(row: Mapping[Any, Any]) -> FinishedJob:
    """The statistics' record of one finished ``jobs`` row (columns of ``_COLUMNS``).

    Profits come from the stored economics columns; a row without them (loaded by
    an import) gets them computed with the default economy settings."""
    status = JobStatus(row["status"])
    damage = _truck_damage(row)
    distance = _economics_distance(row)
    late = bool(row["late"]) if status is JobStatus.DELIVERED else False
    fuel_cost, damage_cost, profit = row["fuel_cost"], row["damage_cost"], row["profit"]
    if fuel_cost is None or damage_cost is None or profit is None:
        econ = job_economics(
            income=int(row["income"]),
            revenue=int(row["revenue"]),
            fuel_used_l=float(row["fuel_used_l"]),
            damage_taken=damage,
            distance_km=distance,
            delivered_late=late,
            avg_speed_mps=float(row["avg_speed_mps"]),
            penalty=int(row["penalty"]),
            expenses=Expenses(
                fines=int(row["fines"]),
                tolls=int(row["tolls"]),
                ferry=int(row["transport_cost"]),
            ),
        )
        fuel_cost, damage_cost, profit = econ.fuel_cost, econ.damage_cost, econ.net_profit
    return FinishedJob(
        job_key=row["job_key"],
        game=Game(row["game"]),
        status=status,
        source_city_id=row["source_city_id"],
        source_city=row["source_city"],
        destination_city_id=row["destination_city_id"],
        destination_city=row["destination_city"],
        destination_company_id=row["destination_company_id"],
        destination_company=row["destination_company"],
        delivered_late=late,
        cargo_damage=float(row["cargo_damage"]),
        income=int(row["income"]),
        revenue=int(row["revenue"]),
        net_profit=float(profit),
        dashboard_profit=float(row["income"]) - float(fuel_cost) - float(damage_cost),
        distance_km=distance,
        fuel_used_l=float(row["fuel_used_l"]),
        damage_taken=damage,
        finished_game_min=int(row["ended_game_min"] or row["started_game_min"]),
    )


Source = Engine | Connection


def _rows(source: Source, query: sa.Select[Any]) -> list[dict[str, Any]]:
    """The rows of ``query`` as dicts, fetched on the driver's cursor: a first
    catch-up reads every finished job, and Core's per-row processing would triple
    its cost.  Only plain columns are selected (no datetimes), so nothing needs
    converting but the booleans, which the callers test for truth."""
    if isinstance(source, Connection):
        return _fetch(source, query)
    with source.connect() as conn:
        return _fetch(conn, query)


def _fetch(conn: Connection, query: sa.Select[Any]) -> list[dict[str, Any]]:
    # render_postcompile: an IN list becomes plain positional parameters.
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    values = tuple(params[name] for name in compiled.positiontup or ())
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.execute(str(compiled), values)
    try:
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        cursor.close()


def finished_jobs(
    source: Source, *, after_id: int = 0, also_ids: Collection[int] = ()
) -> list[tuple[int, FinishedJob]]:
    """``(jobs.id, record)`` of the finished jobs with an id above ``after_id`` (and
    those of ``also_ids`` if finished), in the order they finished (wall clock, then
    id).  The id range is a primary-key range scan: it reads only the new rows."""
    newer = _c.id > after_id
    if also_ids:
        newer = sa.or_(newer, _c.id.in_(sorted(also_ids)))
    query = (
        sa.select(*_COLUMNS)
        .where(newer, _c.status != JobStatus.OPEN.value)
        .order_by(_c.ended_at, _c.id)
    )
    return [(int(row["id"]), finished_job(row)) for row in _rows(source, query)]


def open_job_ids(source: Source, below_id: int) -> list[int]:
    """Ids of the jobs still open with an id below ``below_id`` (normally none, or
    the one job being driven)."""
    query = sa.select(_c.id).where(_c.status == JobStatus.OPEN.value, _c.id < below_id)
    return [int(row["id"]) for row in _rows(source, query)]


class CareerKeeper:
    """Keeps the stored career and the unlocked achievements up to date; used by the
    thread that owns the :class:`Store` (the capture thread, ``demo-data``).

    The stored career is read again at each catch-up and replaced only if it is
    still the one read (checked in the write transaction): a job edit (see
    :func:`rebuild_career`) may have dropped or rebuilt it meanwhile, and a fold of
    the old totals must not overwrite that."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._career: Career | None = None

    @property
    def career(self) -> Career | None:
        """The career as of the last :meth:`catch_up` (immutable; None before)."""
        return self._career

    def catch_up(self) -> list[Unlocked]:
        """Fold the jobs finished since the last call (the whole history the first
        time on a data file without a usable stored career), record the achievements
        they unlocked, store the new career, and return those achievements.

        Unlocks and the career are written in one transaction."""
        for _ in range(5):
            result = self._try_catch_up()
            if result is not None:
                return result
        raise RuntimeError("the stored career kept changing while it was being updated")

    def _try_catch_up(self) -> list[Unlocked] | None:
        stored = self.store.get_setting(CAREER_KEY)
        career = Career.from_json(stored)
        if career is None:
            log.info("building the career totals from the job history")
            career = Career()
        new = finished_jobs(
            self.store.engine, after_id=career.last_job_id, also_ids=career.open_ids
        )
        if not new:
            self._career = career
            return []
        already = set(self.store.unlocked_achievements())
        last_id = max(career.last_job_id, max(job_id for job_id, _ in new))
        still_open = open_job_ids(self.store.engine, last_id)
        career, unlocked = career.advance(new, already, open_ids=still_open)
        with self.store.writer.transaction() as tx:
            if get_value_in(tx.conn, CAREER_KEY) != stored:
                return None  # rebuilt or dropped meanwhile: fold again from that
            recorded = [u for u in unlocked if _unlock(tx.conn, u, tx.now)]
            put_value(tx.conn, CAREER_KEY, career.to_json(), tx.now)
        self._career = career
        return recorded


def get_value_in(conn: Connection, key: str) -> Any:
    """The settings value under ``key`` read in ``conn``'s transaction (None if none)."""
    return conn.execute(
        sa.select(settings.c.value).where(settings.c.key == key)
    ).scalar_one_or_none()


def _unlock(conn: Connection, u: Unlocked, now: datetime) -> bool:
    job_id = conn.execute(sa.select(_c.id).where(_c.job_key == u.job.job_key)).scalar_one_or_none()
    stmt = sqlite_insert(achievements).values(
        id=u.achievement.id, unlocked_at=now, job_id=job_id, detail=u.achievement.description
    )
    return bool(conn.execute(stmt.on_conflict_do_nothing(index_elements=["id"])).rowcount)


@dataclass(frozen=True, slots=True)
class CareerRebuild:
    """What a rebuild changed: achievements that now hold and those that no longer do."""

    jobs: int
    unlocked: tuple[Unlocked, ...]
    revoked: tuple[str, ...]


def _finished_mark(conn: Connection) -> tuple[Any, ...]:
    """What changes whenever the finished history does: a job finishing or edited
    (``updated_at``), or deleted (the count).  Open jobs' progress saves do not count."""
    row = conn.execute(
        sa.select(sa.func.count(), sa.func.max(_c.updated_at)).where(
            _c.status != JobStatus.OPEN.value
        )
    ).one()
    return tuple(row)


def rebuild_career(engine: Engine, now: datetime, *, attempts: int = 3) -> CareerRebuild | None:
    """Rebuild the stored career from the whole history and make the unlocked
    achievements exactly what :func:`roadmaster.jobs.achievements.evaluate` says of
    it (after a job edit changed an old job's outcome: its running totals cannot be
    corrected in place, a streak depends on the order).

    The history is read and folded outside the write lock (a second or two on
    100,000 jobs: the capture must not wait that long); the short write transaction
    stores the result only if neither the finished history nor the stored career
    changed meanwhile, else it starts again.  None when it never got a quiet moment:
    the career then stays dropped and the next catch-up of the capture rebuilds it."""
    for _ in range(attempts):
        with engine.connect() as conn, conn.begin():  # one consistent snapshot
            stored = get_value_in(conn, CAREER_KEY)
            mark = _finished_mark(conn)
            history = finished_jobs(conn)
            last_id = max((job_id for job_id, _ in history), default=0)
            still_open = open_job_ids(conn, last_id)
        career, holds = Career().advance(history, (), open_ids=still_open)
        held = {u.achievement.id for u in holds}
        with engine.connect().execution_options(**WRITER) as conn, conn.begin():
            if get_value_in(conn, CAREER_KEY) != stored or _finished_mark(conn) != mark:
                continue
            had = {str(i) for i in conn.execute(sa.select(achievements.c.id)).scalars()}
            revoked = sorted(had - held)
            if revoked:
                conn.execute(achievements.delete().where(achievements.c.id.in_(revoked)))
            unlocked = tuple(
                u for u in holds if u.achievement.id not in had and _unlock(conn, u, now)
            )
            put_value(conn, CAREER_KEY, career.to_json(), now)
        if revoked:
            log.info("achievements no longer held after the edit: %s", ", ".join(revoked))
        return CareerRebuild(len(history), unlocked, tuple(revoked))
    log.info("the career totals changed during the rebuild: the next catch-up rebuilds them")
    return None
