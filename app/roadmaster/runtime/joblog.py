"""The one query facade the job log browser, the analytics and the exports use.

It wraps the store's engine and answers with frozen values (rows, pages, a job's
detail, the analytics), never sessions or connections, so its calls can run on
pool threads and their answers cross to the GUI thread.  Every method does SQL:
call them off the GUI thread.  It lives in the runtime package: the window reaches the
log through it, never through storage.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from roadmaster.jobs.achievements import Progress
from roadmaster.jobs.events import JobStatus
from roadmaster.jobs.hos_history import HosDay
from roadmaster.storage import hos_log, job_edit, joblog
from roadmaster.storage.engine import WRITER
from roadmaster.storage.history import rebuild_career
from roadmaster.storage.joblog import JobDetail, MonthPnl, Period, Ranked, SeriesPoint, Standing
from roadmaster.storage.queries import Cursor, JobQuery, JobRow, Page, job_page
from roadmaster.storage.tables import jobs
from roadmaster.telemetry.frame import Game

__all__ = [
    "Analytics",
    "Cursor",
    "EditResult",
    "FilterChoices",
    "HosDay",
    "JobDetail",
    "JobLogService",
    "JobQuery",
    "JobRow",
    "MonthPnl",
    "Page",
    "Period",
    "Ranked",
    "SeriesPoint",
    "Standing",
    "moving_average",
]

#: A cargo or route needs this many delivered jobs to be ranked (one lucky job
#: must not top the list); fewer when the whole period has fewer groups.
MIN_JOBS_TO_RANK: Final = 3
TOP_N: Final = 10
MOVING_AVERAGE_N: Final = 7
#: The jobs the player may resolve or delete from the detail view.
UNFINISHED: Final = job_edit.UNFINISHED


@dataclass(frozen=True, slots=True)
class EditResult:
    """What a job edit did: ``changed`` False when there was nothing to change; the
    outbox kinds queued for the cloud; in words, what the cloud learns; the titles
    of achievements the rebuilt career unlocked, and the ids it no longer holds."""

    changed: bool
    queued: tuple[str, ...] = ()
    cloud: str = ""
    unlocked: tuple[str, ...] = ()
    revoked: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.changed


@dataclass(frozen=True, slots=True)
class FilterChoices:
    """What the filter boxes offer: the values present in the log."""

    cities: tuple[str, ...]
    companies: tuple[str, ...]
    cargos: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Analytics:
    period: Period
    game: Game | None
    per_job: bool  # series points are jobs (last 10) rather than days or weeks
    series: tuple[SeriesPoint, ...]
    fuel_l_per_100km: tuple[float | None, ...]  # per series point
    fuel_moving_average: tuple[float | None, ...]
    cargo_top: tuple[Ranked, ...]
    cargo_bottom: tuple[Ranked, ...]
    route_top: tuple[Ranked, ...]
    route_bottom: tuple[Ranked, ...]
    damage_by_route: tuple[Ranked, ...]  # most damaging first
    months: tuple[MonthPnl, ...]
    standings: tuple[Standing, ...]
    achievements: tuple[Progress, ...]
    hos: tuple[HosDay, ...]  # the game's days seen in the period, oldest first
    jobs: int
    revenue: int
    profit: float
    distance_km: float


def moving_average(values: Sequence[float | None], n: int) -> tuple[float | None, ...]:
    """The mean of each value and the up to ``n - 1`` before it (Nones skipped)."""
    out: list[float | None] = []
    for i in range(len(values)):
        window = [v for v in values[max(0, i - n + 1) : i + 1] if v is not None]
        out.append(sum(window) / len(window) if window else None)
    return tuple(out)


def _top_bottom(groups: Sequence[Ranked]) -> tuple[tuple[Ranked, ...], tuple[Ranked, ...]]:
    ranked = [g for g in groups if g.profit_per_km is not None]
    enough = [g for g in ranked if g.jobs >= MIN_JOBS_TO_RANK]
    pool = enough if len(enough) >= 2 else ranked
    pool.sort(key=lambda g: (-(g.profit_per_km or 0.0), -g.jobs, g.key))
    top = tuple(pool[:TOP_N])
    bottom = tuple(reversed(pool[-TOP_N:])) if len(pool) > TOP_N else tuple(reversed(pool))
    return top, bottom


class JobLogService:
    """Queries over one data file's job log (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] | None = None,
        *,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        """``on_outbox`` is called after an edit queued rows for the cloud (the
        runtime passes the sync worker's wake)."""
        self.engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))
        self._on_outbox = on_outbox

    # --- the log -----------------------------------------------------------------------

    def page(
        self,
        query: JobQuery | None = None,
        sort: str = "started_at",
        descending: bool = True,
        after: Cursor | None = None,
        limit: int = 100,
    ) -> Page:
        return job_page(self.engine, query, sort, descending, after, limit)

    def count(self, query: JobQuery | None = None) -> int:
        return joblog.count_jobs(self.engine, query)

    def detail(self, job_id: int) -> JobDetail | None:
        return joblog.job_detail(self.engine, job_id)

    def filter_choices(self) -> FilterChoices:
        c = jobs.c

        def distinct(*cols: sa.ColumnElement[str]) -> tuple[str, ...]:
            values: set[str] = set()
            with self.engine.connect() as conn:
                for col in cols:
                    values.update(str(v) for v in conn.execute(sa.select(col).distinct()).scalars())
            values.discard("")
            return tuple(sorted(values, key=str.casefold))

        return FilterChoices(
            cities=distinct(c.source_city, c.destination_city),
            companies=distinct(c.source_company, c.destination_company),
            cargos=distinct(c.cargo),
        )

    # --- analytics ---------------------------------------------------------------------

    def analytics(
        self, period: Period = "all", game: Game | None = None, query: JobQuery | None = None
    ) -> Analytics:
        """The charts' data for ``period`` and ``game`` (finished jobs; ``query``
        narrows it further, as the exported report does)."""
        src = self.engine
        conds = joblog.period_query(src, period, game, self._clock())
        if query is not None:
            conds = (*conds, *query.where())
        per_job = period == "last10"
        bucket: joblog.Bucket = "job" if per_job else ("day" if period == "30d" else "week")
        points = joblog.series(src, conds, bucket)
        economy = tuple(
            100.0 * p.fuel_used_l / p.distance_km if p.distance_km > 0 else None for p in points
        )
        cargo_top, cargo_bottom = _top_bottom(joblog.ranked(src, conds, "cargo"))
        routes = joblog.ranked(src, conds, "route")
        route_top, route_bottom = _top_bottom(routes)
        damaging = sorted(
            (r for r in routes if r.jobs >= min(MIN_JOBS_TO_RANK, max(r.jobs for r in routes))),
            key=lambda r: (-r.avg_damage, -r.jobs, r.key),
        )[:TOP_N]
        months = joblog.monthly_pnl(src, conds)
        return Analytics(
            period=period,
            game=game,
            per_job=per_job,
            series=points,
            fuel_l_per_100km=economy,
            fuel_moving_average=moving_average(economy, MOVING_AVERAGE_N),
            cargo_top=cargo_top,
            cargo_bottom=cargo_bottom,
            route_top=route_top,
            route_bottom=route_bottom,
            damage_by_route=tuple(damaging),
            months=months,
            standings=joblog.standings(src, conds),
            achievements=joblog.achievement_progress(src, game),
            hos=self.hos_history(period, game),
            jobs=sum(p.jobs for p in points),
            revenue=sum(m.revenue for m in months),
            profit=sum(m.net for m in months),
            distance_km=sum(p.distance_km for p in points),
        )

    def hos_history(self, period: Period = "all", game: Game | None = None) -> tuple[HosDay, ...]:
        """Driving time and violations per game day (see :mod:`roadmaster.jobs.hos_history`)
        of ``game``, for the days seen in ``period`` (wall clock, as the other charts;
        "last10": since the start of the game's tenth newest finished job)."""
        days = [d for d in hos_log.hos_days(self.engine) if game is None or d.game is game]
        since: datetime | None = None
        now = self._clock()
        if period == "30d":
            since = now - timedelta(days=30)
        elif period == "90d":
            since = now - timedelta(days=90)
        elif period == "last10":
            c = jobs.c
            conds = [c.status != JobStatus.OPEN.value]
            if game is not None:
                conds.append(c.game == game.value)
            last = sa.select(c.started_at).where(*conds).order_by(c.ended_at.desc()).limit(10)
            with self.engine.connect() as conn:
                starts = list(conn.execute(last).scalars())
            since = min(starts) if starts else now
        if since is not None:
            stamp = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            days = [d for d in days if d.last_seen >= stamp]
        return tuple(days)

    # --- exports -----------------------------------------------------------------------

    def export(
        self,
        out: Path,
        fmt: str,
        query: JobQuery | None = None,
        *,
        sort: str = "id",
        descending: bool = True,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> int:
        """CSV or JSON of the filtered log (see :func:`roadmaster.exports.export_jobs`)."""
        from roadmaster.exports.jobs import export_jobs

        if fmt not in ("csv", "json"):
            raise ValueError(f"unknown export format {fmt!r}")
        return export_jobs(
            self.engine,
            out,
            "csv" if fmt == "csv" else "json",
            query,
            sort=sort,
            descending=descending,
            progress=progress,
            cancel=cancel,
        )

    # --- the player's verdict on an unfinished job ------------------------------------------

    def resolve(self, job_id: int, status: JobStatus) -> EditResult:
        """Mark an "abandoned" / "needs review" job delivered or cancelled, queue what
        the cloud must learn (one transaction, see :mod:`roadmaster.storage.job_edit`)
        and rebuild the career totals; ``changed`` False when the job is gone or no
        longer unfinished (then nothing is queued)."""
        with self._write() as conn:
            outcome = job_edit.resolve_job(conn, job_id, status, self._clock())
        return self._after(outcome)

    def delete(self, job_id: int) -> EditResult:
        """Delete an unfinished job with its samples, events and unsent outbox rows
        (ON DELETE CASCADE) and rebuild the career totals; ``changed`` False when it
        is gone or not unfinished."""
        with self._write() as conn:
            outcome = job_edit.delete_job(conn, job_id)
        return self._after(outcome)

    def sync_state(self, job_id: int) -> str:
        """One line on where the job stands with the cloud (its outbox rows)."""
        with self.engine.connect() as conn:
            return job_edit.sync_state(conn, job_id)

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        # BEGIN IMMEDIATE: the edit reads the job's outbox rows and then writes; a
        # deferred transaction would fail if the capture or sync committed between.
        with self.engine.connect().execution_options(**WRITER) as conn, conn.begin():
            yield conn

    def _after(self, outcome: job_edit.EditOutcome) -> EditResult:
        if not outcome.changed:
            return EditResult(False)
        if outcome.queued and self._on_outbox is not None:
            self._on_outbox()
        rebuilt = rebuild_career(self.engine, self._clock())
        if rebuilt is None:  # left dropped: the capture's next catch-up rebuilds it
            return EditResult(True, queued=outcome.queued, cloud=outcome.cloud)
        return EditResult(
            True,
            queued=outcome.queued,
            cloud=outcome.cloud,
            unlocked=tuple(u.achievement.title for u in rebuilt.unlocked),
            revoked=rebuilt.revoked,
        )

    def report_rows(self, query: JobQuery | None, limit: int) -> tuple[tuple[JobRow, ...], int]:
        """The newest ``limit`` jobs of ``query`` and how many match in all (the PDF)."""
        return self.page(query, "started_at", True, None, limit).rows, self.count(query)
