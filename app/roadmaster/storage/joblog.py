"""Read side of the job log browser and the analytics: counts, one job's detail
(samples and events), streamed rows for exports, and the aggregates behind the
charts — all in SQL, returning frozen values that may cross threads.

Paging and the per-group totals live in :mod:`roadmaster.storage.queries`; this
module adds what the browser, the analytics and the exports need besides.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import sqlalchemy as sa

from roadmaster.jobs.achievements import Progress
from roadmaster.jobs.career import Career
from roadmaster.jobs.events import JobStatus
from roadmaster.jobs.standings import PRIOR_JOBS, PRIOR_QUALITY
from roadmaster.storage.queries import (
    _ROW_COLUMNS,
    JobQuery,
    JobRow,
    Source,
    _connect,
    _row,
)
from roadmaster.storage.tables import job_events, jobs, samples, settings
from roadmaster.telemetry.frame import Game

CAREER_KEY: Final = "career"  # as roadmaster.storage.history stores it
MAX_CHART_POINTS: Final = 2000
MAX_SAMPLE_GAP_S: Final = 120.0  # a longer gap between samples is an interruption

# --- counts and streaming ---------------------------------------------------------------


def count_jobs(source: Source, query: JobQuery | None = None) -> int:
    """How many jobs match ``query``."""
    stmt = sa.select(sa.func.count()).select_from(jobs).where(*(query or JobQuery()).where())
    with _connect(source) as conn:
        return int(conn.execute(stmt).scalar_one())


def iter_rows(
    source: Source,
    query: JobQuery | None = None,
    sort: str = "id",
    descending: bool = True,
    chunk: int = 1000,
) -> Iterator[list[JobRow]]:
    """Every job matching ``query``, in chunks of ``chunk`` rows, in one streamed
    SELECT (constant memory however long the log)."""
    col = jobs.c[sort]
    order = (col.desc(), jobs.c.id.desc()) if descending else (col.asc(), jobs.c.id.asc())
    stmt = sa.select(*_ROW_COLUMNS).where(*(query or JobQuery()).where()).order_by(*order)
    with _connect(source) as conn:
        result = conn.execution_options(yield_per=chunk).execute(stmt)
        for part in result.partitions(chunk):
            yield [_row(r) for r in part]


def fines_of(source: Source, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The fines of jobs ``ids`` (offence, amount), in the order they happened."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not ids:
        return out
    with _connect(source) as conn:
        for start in range(0, len(ids), 500):
            part = list(ids[start : start + 500])
            q = (
                sa.select(job_events.c.job_id, job_events.c.offence, job_events.c.amount)
                .where(job_events.c.kind == "fine", job_events.c.job_id.in_(part))
                .order_by(job_events.c.id)
            )
            for job_id, offence, amount in conn.execute(q):
                out.setdefault(job_id, []).append({"offence": offence, "amount": amount})
    return out


# --- one job ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobEvent:
    kind: str  # fine, toll, ferry, train, refuel_paid …
    game_time_min: int
    amount: int | None
    fuel_l: float | None
    what: str  # offence, or "source → target"


@dataclass(frozen=True, slots=True)
class Trace:
    """A job's samples as columns (downsampled to at most MAX_CHART_POINTS)."""

    t_s: tuple[float, ...]
    speed_mps: tuple[float, ...]
    speed_limit_mps: tuple[float, ...]
    engine_rpm: tuple[float, ...]
    fuel_l: tuple[float, ...]
    damage: tuple[float, ...]  # the truck's mean wear, 0..1 (economics' figure)
    x_m: tuple[float, ...]
    z_m: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.t_s)


@dataclass(frozen=True, slots=True)
class JobDetail:
    row: JobRow
    events: tuple[JobEvent, ...]
    trace: Trace
    samples_stored: int


_TRUCK_PARTS: Final = ("engine", "transmission", "cabin", "chassis", "wheels")


def job_detail(source: Source, job_id: int, max_points: int = MAX_CHART_POINTS) -> JobDetail | None:
    """Everything the detail view shows of one job, or None if it is gone."""
    s = samples.c
    with _connect(source) as conn:
        found = conn.execute(sa.select(*_ROW_COLUMNS).where(jobs.c.id == job_id)).first()
        if found is None:
            return None
        e = job_events.c
        events = tuple(
            JobEvent(
                kind=r.kind,
                game_time_min=int(r.game_time_min),
                amount=r.amount,
                fuel_l=r.fuel_l,
                what=r.offence
                or (f"{r.source_name} → {r.target_name}" if r.source_name else "")
                or "",
            )
            for r in conn.execute(
                sa.select(
                    e.kind, e.game_time_min, e.amount, e.fuel_l, e.offence, e.source_name,
                    e.target_name,
                )
                .where(e.job_id == job_id)
                .order_by(e.id)
            )
        )  # fmt: skip
        total = int(
            conn.execute(
                sa.select(sa.func.count()).select_from(samples).where(s.job_id == job_id)
            ).scalar_one()
        )
        step = max(1, -(-total // max_points))
        damage = sum((s[f"wear_{p}"] for p in _TRUCK_PARTS), sa.literal(0.0)) / len(_TRUCK_PARTS)
        stmt = (
            sa.select(
                s.t_s, s.speed_mps, s.speed_limit_mps, s.engine_rpm, s.fuel_l, damage, s.x_m, s.z_m
            )
            .where(s.job_id == job_id)
            .order_by(s.id)
        )
        rows = conn.execute(stmt).all()[::step]
    trace = _trace(rows)
    return JobDetail(_row(found), events, trace, total)


def _trace(rows: Sequence[Sequence[Any]]) -> Trace:
    """Columns of the samples, with the time as seconds driven on the job: the
    source clock restarts when the app or the game does (a resumed job), so gaps
    and jumps back count as nothing, and a NaN position breaks the route line."""
    nan = float("nan")
    cols: list[list[float]] = [[] for _ in range(8)]
    elapsed = 0.0
    previous: float | None = None
    for row in rows:
        t = float(row[0])
        if previous is not None:
            dt = t - previous
            if 0 <= dt <= MAX_SAMPLE_GAP_S:
                elapsed += dt
            else:  # interrupted: no time passes, and the trail does not jump
                for i, col in enumerate(cols):
                    col.append(elapsed if i == 0 else nan)
        previous = t
        cols[0].append(elapsed)
        for i in range(1, 8):
            cols[i].append(float(row[i]))
    return Trace(*(tuple(col) for col in cols))


# --- analytics -------------------------------------------------------------------------

Period = Literal["last10", "30d", "90d", "all"]
PERIODS: Final[tuple[Period, ...]] = ("last10", "30d", "90d", "all")


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    label: str  # the day (YYYY-MM-DD) or, for the last jobs, the job's end time
    jobs: int
    income: int
    revenue: int
    profit: float
    fuel_used_l: float
    distance_km: float


@dataclass(frozen=True, slots=True)
class Ranked:
    """A cargo or a route with its profit per km and how many jobs back it."""

    key: str
    jobs: int
    profit: float
    distance_km: float
    avg_damage: float

    @property
    def profit_per_km(self) -> float | None:
        return self.profit / self.distance_km if self.distance_km > 0 else None


@dataclass(frozen=True, slots=True)
class MonthPnl:
    month: str  # YYYY-MM
    jobs: int
    revenue: int
    fuel: float
    repairs: float
    fines: int
    tolls: int
    transport: int  # ferries and trains
    penalties: int
    net: float

    @property
    def margin(self) -> float | None:
        """Net over revenue (None without revenue)."""
        return self.net / self.revenue if self.revenue else None


@dataclass(frozen=True, slots=True)
class Standing:
    game: Game
    company: str
    delivered: int
    on_time: int
    cancelled: int
    revenue: int
    profit: float
    rating: float  # 0–5 stars (jobs.standings' Bayesian rating)


def period_query(
    source: Source, period: Period, game: Game | None, now: datetime
) -> tuple[sa.ColumnElement[bool], ...]:
    """The conditions selecting the finished jobs of ``period`` (and ``game``)."""
    c = jobs.c
    conds: list[sa.ColumnElement[bool]] = [c.status != JobStatus.OPEN.value]
    if game is not None:
        conds.append(c.game == game.value)
    if period == "30d":
        conds.append(c.ended_at >= now - timedelta(days=30))
    elif period == "90d":
        conds.append(c.ended_at >= now - timedelta(days=90))
    elif period == "last10":
        last = sa.select(c.id).where(*conds).order_by(c.ended_at.desc(), c.id.desc()).limit(10)
        with _connect(source) as conn:
            ids = [int(i) for i in conn.execute(last).scalars()]
        conds = [c.id.in_(ids)]
    elif period != "all":
        raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
    return tuple(conds)


Bucket = Literal["job", "day", "week"]


def series(
    source: Source, conds: Sequence[sa.ColumnElement[bool]], bucket: Bucket
) -> tuple[SeriesPoint, ...]:
    """Income, profit, fuel and distance per job, day or week (weeks start on
    Sunday; the label is that day), oldest first."""
    c = jobs.c
    delivered = c.status == JobStatus.DELIVERED.value
    key: sa.ColumnElement[Any]
    if bucket == "job":
        key = sa.func.substr(c.ended_at, 1, 16)
    elif bucket == "day":
        key = sa.func.substr(c.ended_at, 1, 10)
    else:
        key = sa.func.date(c.ended_at, "-" + sa.func.strftime("%w", c.ended_at) + " days")
    group: tuple[sa.ColumnElement[Any], ...] = (key, c.id) if bucket == "job" else (key,)
    stmt = (
        sa.select(
            key,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((delivered, c.income), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(c.revenue), 0),
            sa.func.total(c.profit),
            sa.func.total(c.fuel_used_l),
            sa.func.total(c.distance_km),
        )
        .where(*conds)
        .group_by(*group)
        .order_by(*group)
    )
    with _connect(source) as conn:
        return tuple(
            SeriesPoint(str(r[0]), int(r[1]), int(r[2]), int(r[3]), *map(float, r[4:]))
            for r in conn.execute(stmt)
        )


def ranked(
    source: Source, conds: Sequence[sa.ColumnElement[bool]], by: Literal["cargo", "route"]
) -> tuple[Ranked, ...]:
    """Delivered jobs' profit, distance and damage per cargo or route, most jobs first."""
    c = jobs.c
    keys: tuple[sa.ColumnElement[Any], ...] = (
        (c.cargo,) if by == "cargo" else (c.source_city, c.destination_city)
    )
    stmt = (
        sa.select(
            *keys,
            sa.func.count(),
            sa.func.total(c.profit),
            sa.func.total(c.distance_km),
            sa.func.avg(c.damage_taken),
        )
        .where(*conds, c.status == JobStatus.DELIVERED.value, c.profit.is_not(None))
        .group_by(*keys)
        .order_by(sa.func.count().desc(), *keys)
    )
    n = len(keys)
    with _connect(source) as conn:
        return tuple(
            Ranked(
                " → ".join(str(k) for k in r[:n]),
                int(r[n]),
                float(r[n + 1]),
                float(r[n + 2]),
                float(r[n + 3] or 0.0),
            )
            for r in conn.execute(stmt)
        )


def monthly_pnl(source: Source, conds: Sequence[sa.ColumnElement[bool]]) -> tuple[MonthPnl, ...]:
    """The P&L per calendar month (the month a job ended), oldest first.  Net is the
    sum of the stored profits (jobs.economics), so it equals the parts."""
    c = jobs.c
    month = sa.func.substr(c.ended_at, 1, 7)
    stmt = (
        sa.select(
            month,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(c.revenue), 0),
            sa.func.total(c.fuel_cost),
            sa.func.total(c.damage_cost),
            sa.func.coalesce(sa.func.sum(c.fines), 0),
            sa.func.coalesce(sa.func.sum(c.tolls), 0),
            sa.func.coalesce(sa.func.sum(c.transport_cost), 0),
            sa.func.coalesce(sa.func.sum(c.penalty), 0),
            sa.func.total(c.profit),
        )
        .where(*conds)
        .group_by(month)
        .order_by(month)
    )
    with _connect(source) as conn:
        return tuple(
            MonthPnl(
                str(r[0]),
                int(r[1]),
                int(r[2]),
                float(r[3]),
                float(r[4]),
                int(r[5]),
                int(r[6]),
                int(r[7]),
                int(r[8]),
                float(r[9]),
            )
            for r in conn.execute(stmt)
        )


def standings(source: Source, conds: Sequence[sa.ColumnElement[bool]]) -> tuple[Standing, ...]:
    """Destination companies with jobs.standings' rating, computed in one GROUP BY:
    each delivery's quality is 0.6 × on time + 0.4 × (1 − min(1, cargo damage / 0.1))."""
    c = jobs.c
    delivered = c.status == JobStatus.DELIVERED.value
    on_time = sa.and_(delivered, c.late.is_not(True))
    care = 1.0 - sa.func.min(1.0, sa.func.max(0.0, c.cargo_damage) / 0.10)
    quality = sa.case((delivered, sa.case((on_time, 0.6), else_=0.0) + 0.4 * care))
    company = sa.func.coalesce(sa.func.nullif(c.destination_company_id, ""), c.destination_company)
    stmt = (
        sa.select(
            c.game,
            sa.func.max(c.destination_company),
            sa.func.coalesce(sa.func.sum(sa.case((delivered, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((on_time, 1), else_=0)), 0),
            sa.func.coalesce(
                sa.func.sum(sa.case((c.status == JobStatus.CANCELLED.value, 1), else_=0)), 0
            ),
            sa.func.coalesce(sa.func.sum(sa.case((delivered, c.revenue), else_=0)), 0),
            sa.func.total(sa.case((delivered, c.profit))),
            sa.func.total(quality),
        )
        .where(*conds)
        .group_by(c.game, company)
    )
    out: list[Standing] = []
    with _connect(source) as conn:
        for game, name, n, on, cancelled, revenue, profit, q in conn.execute(stmt):
            rating = round(5.0 * (float(q) + PRIOR_JOBS * PRIOR_QUALITY) / (n + PRIOR_JOBS), 1)
            out.append(
                Standing(Game(game), str(name), int(n), int(on), int(cancelled), int(revenue),
                         float(profit), rating)
            )  # fmt: skip
    out.sort(key=lambda s: (-s.rating, -s.delivered, s.company))
    return tuple(out)


def achievement_progress(source: Source, game: Game | None) -> tuple[Progress, ...]:
    """Every achievement's progress, from the career the capture keeps (no history scan);
    empty before the first career has been stored."""
    with _connect(source) as conn:
        value = conn.execute(
            sa.select(settings.c.value).where(settings.c.key == CAREER_KEY)
        ).scalar_one_or_none()
    career = Career.from_json(value)
    return () if career is None else tuple(career.progress(game))
