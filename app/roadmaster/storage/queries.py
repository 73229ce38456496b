"""Read queries for the job log and the analytics, all in SQL.

The job log pages with a keyset on (sort column, id): a page costs the same on the
first or the thousandth page, and rows inserted meanwhile neither repeat nor vanish.
Every sortable column has an index (``tables.JOB_INDEXED_COLUMNS``); in SQLite an
index on (col) is ordered by (col, rowid), i.e. exactly the keyset.

NULLs (open jobs have no end time, economics may not be computed yet) sort first
ascending and last descending, as SQLite does; a page walks the NULL run and the
non-NULL run as two index range scans instead of one OR that no index can serve.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Final, Literal, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from roadmaster.jobs.events import JobStatus
from roadmaster.storage.tables import jobs
from roadmaster.telemetry.frame import Game


class _HasEngine(Protocol):
    @property
    def engine(self) -> Engine: ...


Source = Engine | Connection | _HasEngine


@contextlib.contextmanager
def _connect(source: Source) -> Iterator[Connection]:
    if isinstance(source, Connection):
        yield source
        return
    engine = source if isinstance(source, Engine) else source.engine
    with engine.connect() as conn:
        yield conn


@dataclass(frozen=True, slots=True)
class JobQuery:
    """Job log filters; None means "any".  Date ranges apply to the job's start and
    are half-open: ``from`` inclusive, ``to`` exclusive.  ``company`` matches either
    end of the job."""

    started_from: datetime | None = None
    started_to: datetime | None = None
    game_min_from: int | None = None
    game_min_to: int | None = None
    game: Game | None = None
    source_city: str | None = None
    destination_city: str | None = None
    company: str | None = None
    cargo: str | None = None
    status: JobStatus | None = None
    #: either end of the job (the job log's city filter)
    city: str | None = None
    #: delivered late only
    late_only: bool = False
    #: words that must each appear in the cargo, a city or a company (case-insensitive)
    text: str | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        """The SQL conditions of this filter."""
        c = jobs.c
        conds: list[sa.ColumnElement[bool]] = []
        if self.started_from is not None:
            conds.append(c.started_at >= self.started_from)
        if self.started_to is not None:
            conds.append(c.started_at < self.started_to)
        if self.game_min_from is not None:
            conds.append(c.started_game_min >= self.game_min_from)
        if self.game_min_to is not None:
            conds.append(c.started_game_min < self.game_min_to)
        if self.game is not None:
            conds.append(c.game == self.game.value)
        if self.source_city is not None:
            conds.append(c.source_city == self.source_city)
        if self.destination_city is not None:
            conds.append(c.destination_city == self.destination_city)
        if self.company is not None:
            conds.append(
                sa.or_(c.source_company == self.company, c.destination_company == self.company)
            )
        if self.cargo is not None:
            conds.append(c.cargo == self.cargo)
        if self.status is not None:
            conds.append(c.status == self.status.value)
        if self.city is not None:
            conds.append(sa.or_(c.source_city == self.city, c.destination_city == self.city))
        if self.late_only:
            conds.append(c.late.is_(True))
        for word in (self.text or "").split():
            # LIKE is case-insensitive for ASCII in SQLite; escape the wildcards typed.
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conds.append(
                sa.or_(
                    *(
                        col.like(pattern, escape="\\")
                        for col in (
                            c.cargo,
                            c.source_city,
                            c.destination_city,
                            c.source_company,
                            c.destination_company,
                        )
                    )
                )
            )
        return conds


@dataclass(frozen=True, slots=True)
class JobRow:
    """One line of the job log (immutable: it crosses from a pool task to the UI)."""

    id: int
    job_key: str
    server_id: str | None
    status: JobStatus
    game: Game
    currency: str
    cargo: str
    cargo_mass_kg: float
    source_city: str
    source_company: str
    destination_city: str
    destination_company: str
    income: int
    revenue: int
    xp: int
    penalty: int
    planned_distance_km: int
    distance_km: float
    fuel_used_l: float
    avg_speed_mps: float
    damage_taken: float
    cargo_damage: float
    late: bool | None
    fines: int
    tolls: int
    transport_cost: int
    fuel_cost: float | None
    damage_cost: float | None
    profit: float | None
    safety_score: float | None
    started_at: datetime
    ended_at: datetime | None
    started_game_min: int
    ended_game_min: int | None
    deadline_game_min: int


_ROW_FIELDS: Final = tuple(f.name for f in fields(JobRow))
_ROW_COLUMNS: Final = tuple(jobs.c[name] for name in _ROW_FIELDS)
#: The columns the job log can sort by: every column of a row.
SORT_COLUMNS: Final = frozenset(_ROW_FIELDS)


def _row(values: sa.Row[Any]) -> JobRow:
    data = dict(zip(_ROW_FIELDS, values, strict=True))
    data["status"] = JobStatus(data["status"])
    data["game"] = Game(data["game"])
    if data["late"] is not None:
        data["late"] = bool(data["late"])
    return JobRow(**data)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next page starts: the last row's sort value and id, for one sort."""

    sort: str
    descending: bool
    value: Any
    id: int


@dataclass(frozen=True, slots=True)
class Page:
    rows: tuple[JobRow, ...]
    next_cursor: Cursor | None  # None: this was the last page


def _segments(
    col: sa.ColumnElement[Any], descending: bool, after: Cursor | None
) -> list[tuple[sa.ColumnElement[bool], tuple[sa.ColumnElement[Any], ...]]]:
    """The (condition, order) index range scans that make up the rest of the
    ordering after ``after``, in order.  NULL values come first ascending, last
    descending; within equal values, ids follow the sort direction."""
    idc = jobs.c.id
    # A bound parameter, not the raw value: SQLAlchemy refuses `col < True`.
    value = sa.bindparam(None, None if after is None else after.value, type_=col.type)
    if descending:
        order: tuple[sa.ColumnElement[Any], ...] = (col.desc(), idc.desc())
        null_order: tuple[sa.ColumnElement[Any], ...] = (idc.desc(),)
        if after is None:
            return [(col.is_not(None), order), (col.is_(None), null_order)]
        if after.value is None:
            return [(sa.and_(col.is_(None), idc < after.id), null_order)]
        rest = sa.and_(col <= value, sa.or_(col < value, idc < after.id))
        return [(rest, order), (col.is_(None), null_order)]
    order = (col.asc(), idc.asc())
    null_order = (idc.asc(),)
    if after is None:
        return [(col.is_(None), null_order), (col.is_not(None), order)]
    if after.value is None:
        return [(sa.and_(col.is_(None), idc > after.id), null_order), (col.is_not(None), order)]
    rest = sa.and_(col >= value, sa.or_(col > value, idc > after.id))
    return [(rest, order)]


def job_page(
    source: Source,
    query: JobQuery | None = None,
    sort: str = "started_at",
    descending: bool = True,
    after: Cursor | None = None,
    limit: int = 50,
) -> Page:
    """One page of the job log: ``limit`` rows matching ``query``, sorted by ``sort``
    (any :data:`SORT_COLUMNS` name) then id, starting after ``after``.

    Raises ValueError for an unknown sort column or a cursor of another sort.
    """
    if sort not in SORT_COLUMNS:
        raise ValueError(f"cannot sort the job log by {sort!r}; use one of {sorted(SORT_COLUMNS)}")
    if after is not None and (after.sort != sort or after.descending != descending):
        raise ValueError("the cursor belongs to another sort order; start from the first page")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    col = jobs.c[sort]
    conds = (query or JobQuery()).where()
    rows: list[sa.Row[Any]] = []
    want = limit + 1  # one more tells whether another page follows
    with _connect(source) as conn:
        for cond, order in _segments(col, descending, after):
            stmt = (
                sa.select(*_ROW_COLUMNS)
                .where(cond, *conds)
                .order_by(*order)
                .limit(want - len(rows))
            )
            rows.extend(conn.execute(stmt).all())
            if len(rows) >= want:
                break
    page = tuple(_row(r) for r in rows[:limit])
    cursor = None
    if len(rows) > limit:
        last = page[-1]
        cursor = Cursor(sort=sort, descending=descending, value=getattr(last, sort), id=last.id)
    return Page(rows=page, next_cursor=cursor)


# --- aggregates ------------------------------------------------------------------------

GroupBy = Literal["route", "cargo", "company", "month"]


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Totals for one group.  ``jobs`` counts every job (any status); ``distance_km``
    and ``fuel_used_l`` sum every job (a cancelled job was still driven); income,
    revenue, damage and profit are over delivered jobs; ``on_time`` counts delivered
    jobs not late.  ``profit`` is None while no job of the group has one."""

    key: tuple[str, ...]
    jobs: int
    delivered: int
    on_time: int
    income: int
    revenue: int
    distance_km: float
    fuel_used_l: float
    avg_damage: float | None
    profit: float | None


def _group_keys(by: GroupBy) -> tuple[sa.ColumnElement[Any], ...]:
    c = jobs.c
    if by == "route":
        return (c.source_city, c.destination_city)
    if by == "cargo":
        return (c.cargo,)
    if by == "company":
        return (c.destination_company,)
    if by == "month":
        # ISO text "YYYY-MM-DD hh:mm:ss": the month is its first 7 characters. The
        # month a job counts in is the month it ended (started, while still open).
        return (sa.func.substr(sa.func.coalesce(c.ended_at, c.started_at), 1, 7),)
    raise ValueError(f"unknown grouping {by!r}; use route, cargo, company or month")


def aggregate(source: Source, by: GroupBy, query: JobQuery | None = None) -> tuple[Aggregate, ...]:
    """Totals per route (source → destination city), cargo, destination company or
    month, computed in one GROUP BY; most jobs first (months: in calendar order)."""
    c = jobs.c
    keys = _group_keys(by)
    delivered = c.status == JobStatus.DELIVERED.value

    def when_delivered(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.case((delivered, value))

    count = sa.func.count()
    stmt = (
        sa.select(
            *keys,
            count,
            sa.func.coalesce(sa.func.sum(sa.case((delivered, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(delivered, c.late.is_(False)), 1))), 0),
            sa.func.coalesce(sa.func.sum(when_delivered(c.income)), 0),
            sa.func.coalesce(sa.func.sum(when_delivered(c.revenue)), 0),
            sa.func.total(c.distance_km),
            sa.func.total(c.fuel_used_l),
            sa.func.avg(when_delivered(c.damage_taken)),
            sa.func.sum(when_delivered(c.profit)),
        )
        .where(*(query or JobQuery()).where())
        .group_by(*keys)
    )
    stmt = stmt.order_by(*keys) if by == "month" else stmt.order_by(count.desc(), *keys)
    n = len(keys)
    with _connect(source) as conn:
        result = conn.execute(stmt).all()
    return tuple(
        Aggregate(
            key=tuple(str(k) for k in r[:n]),
            jobs=int(r[n]),
            delivered=int(r[n + 1]),
            on_time=int(r[n + 2]),
            income=int(r[n + 3]),
            revenue=int(r[n + 4]),
            distance_km=float(r[n + 5]),
            fuel_used_l=float(r[n + 6]),
            avg_damage=None if r[n + 7] is None else float(r[n + 7]),
            profit=None if r[n + 8] is None else float(r[n + 8]),
        )
        for r in result
    )


def per_route(source: Source, query: JobQuery | None = None) -> tuple[Aggregate, ...]:
    return aggregate(source, "route", query)


def per_cargo(source: Source, query: JobQuery | None = None) -> tuple[Aggregate, ...]:
    return aggregate(source, "cargo", query)


def per_company(source: Source, query: JobQuery | None = None) -> tuple[Aggregate, ...]:
    return aggregate(source, "company", query)


def per_month(source: Source, query: JobQuery | None = None) -> tuple[Aggregate, ...]:
    return aggregate(source, "month", query)


def status_counts(source: Source) -> dict[str, int]:
    """Jobs per status."""
    with _connect(source) as conn:
        rows = conn.execute(sa.select(jobs.c.status, sa.func.count()).group_by(jobs.c.status))
        return {status: int(n) for status, n in rows}
