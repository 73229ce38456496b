"""Company standings: how the player has served each destination company.

Pure functions over :class:`FinishedJob` rows (what storage keeps of a finished
job).  A company is identified by the game's company id (``tradeaux``,
``posped`` …) per game: one brand across all its depots, as the dashboard's
"company stats per destination company" groups by company.

Rating (0–5 stars, one decimal) — our definition:

* each delivered job scores a quality ``q`` in 0..1:
  ``q = 0.6 × on_time + 0.4 × (1 − min(1, cargo_damage / 0.10))`` —
  punctuality weighs most; cargo damage costs linearly up to 10 % (a job with
  10 % or more cargo damage gets nothing for care);
* the rating is a Bayesian average with a prior of ``PRIOR_JOBS`` = 3 imaginary
  jobs of quality ``PRIOR_QUALITY`` = 0.6 (three stars):
  ``rating = 5 × (Σq + 3 × 0.6) / (n + 3)``.
  One perfect job gives 3.5 stars, ten perfect jobs 4.5, and 5.0 is only
  approached with a long clean record.  A company never delivered to has the
  prior, 3.0.

Cancelled jobs are counted (``cancelled``) but do not move the rating: a
cancellation says nothing about punctuality or care at that company, and its
penalty is already in the player's P&L.  Abandoned / needs-review jobs are
ignored until the player resolves them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from roadmaster.jobs.economics import JobEconomics, truck_damage_fraction
from roadmaster.jobs.events import JobCancelled, JobDelivered, JobStatus
from roadmaster.telemetry.frame import Game

PRIOR_JOBS: Final = 3.0
PRIOR_QUALITY: Final = 0.6
ON_TIME_WEIGHT: Final = 0.6
CARE_WEIGHT: Final = 0.4
DAMAGE_FOR_ZERO_CARE: Final = 0.10


@dataclass(frozen=True, slots=True)
class FinishedJob:
    """A finished job as statistics need it (game units, game currency)."""

    job_key: str
    game: Game
    status: JobStatus
    source_city_id: str
    source_city: str
    destination_city_id: str
    destination_city: str
    destination_company_id: str
    destination_company: str
    delivered_late: bool
    cargo_damage: float  # 0..1, as the game reported at delivery
    income: int  # offered
    revenue: int  # paid (0 when cancelled)
    net_profit: float
    dashboard_profit: float
    distance_km: float
    fuel_used_l: float
    damage_taken: float  # truck, 0..1 (see economics.truck_damage_fraction)
    finished_game_min: int

    @property
    def delivered(self) -> bool:
        return self.status is JobStatus.DELIVERED

    @property
    def on_time(self) -> bool:
        return self.delivered and not self.delivered_late


def finished_from_delivered(event: JobDelivered, economics: JobEconomics) -> FinishedJob:
    """The row of a delivered job."""
    info = event.info
    return FinishedJob(
        job_key=event.job_key,
        game=info.game,
        status=JobStatus.DELIVERED,
        source_city_id=info.source_city_id,
        source_city=info.source_city,
        destination_city_id=info.destination_city_id,
        destination_city=info.destination_city,
        destination_company_id=info.destination_company_id,
        destination_company=info.destination_company,
        delivered_late=event.late,
        cargo_damage=event.cargo_damage,
        income=info.income,
        revenue=event.revenue,
        net_profit=economics.net_profit,
        dashboard_profit=economics.dashboard_profit,
        distance_km=economics.distance_km,
        fuel_used_l=economics.fuel_used_l,
        damage_taken=truck_damage_fraction(event.stats.damage_taken),
        finished_game_min=event.finished_game_min,
    )


def finished_from_cancelled(event: JobCancelled, economics: JobEconomics) -> FinishedJob:
    """The row of a cancelled job (nothing paid, not late: never delivered)."""
    info = event.info
    return FinishedJob(
        job_key=event.job_key,
        game=info.game,
        status=JobStatus.CANCELLED,
        source_city_id=info.source_city_id,
        source_city=info.source_city,
        destination_city_id=info.destination_city_id,
        destination_city=info.destination_city,
        destination_company_id=info.destination_company_id,
        destination_company=info.destination_company,
        delivered_late=False,
        cargo_damage=event.stats.cargo_damage,
        income=info.income,
        revenue=0,
        net_profit=economics.net_profit,
        dashboard_profit=economics.dashboard_profit,
        distance_km=economics.distance_km,
        fuel_used_l=economics.fuel_used_l,
        damage_taken=truck_damage_fraction(event.stats.damage_taken),
        finished_game_min=event.finished_game_min,
    )


@dataclass(frozen=True, slots=True)
class CompanyStanding:
    game: Game
    company_id: str
    company: str  # display name (the most recent one seen)
    jobs: int  # delivered
    on_time: int
    late: int
    cancelled: int
    avg_cargo_damage: float | None  # None with no delivery
    total_cargo_damage: float
    total_revenue: int
    total_net_profit: float
    total_distance_km: float
    cities: tuple[str, ...]  # destination cities served, sorted
    rating: float  # 0–5, one decimal

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.jobs if self.jobs else None


def job_quality(on_time: bool, cargo_damage: float) -> float:
    """One delivery's quality 0..1 (see the module docstring)."""
    # Unknown (NaN) damage counts as no care rather than perfect care.
    damage = min(1.0, max(0.0, cargo_damage)) if math.isfinite(cargo_damage) else 1.0
    care = 1.0 - min(1.0, damage / DAMAGE_FOR_ZERO_CARE)
    return ON_TIME_WEIGHT * (1.0 if on_time else 0.0) + CARE_WEIGHT * care


def bayesian_rating(qualities: Iterable[float]) -> float:
    """Stars 0–5 (one decimal) from per-job qualities, shrunk towards the prior."""
    values = list(qualities)
    mean = (sum(values) + PRIOR_JOBS * PRIOR_QUALITY) / (len(values) + PRIOR_JOBS)
    return round(5.0 * mean, 1)


def _company_key(job: FinishedJob) -> tuple[Game, str]:
    # Fall back on the name when the id is missing (old rows, odd mods).
    return job.game, job.destination_company_id or job.destination_company.casefold()


def company_standings(
    jobs: Iterable[FinishedJob], game: Game | None = None
) -> list[CompanyStanding]:
    """Standings of every destination company in ``jobs`` (optionally one game's),
    best rating first, then most jobs, then name.  ``jobs`` in chronological order
    (the display name shown is the last one seen)."""
    groups: dict[tuple[Game, str], list[FinishedJob]] = {}
    for job in jobs:
        if game is not None and job.game is not game:
            continue
        if job.status not in (JobStatus.DELIVERED, JobStatus.CANCELLED):
            continue
        groups.setdefault(_company_key(job), []).append(job)

    standings = [_standing(key, rows) for key, rows in groups.items()]
    standings.sort(key=lambda s: (-s.rating, -s.jobs, s.company.casefold(), s.company_id))
    return standings


def _standing(key: tuple[Game, str], rows: list[FinishedJob]) -> CompanyStanding:
    delivered = [r for r in rows if r.delivered]
    total_damage = sum(r.cargo_damage for r in delivered)
    on_time = sum(1 for r in delivered if not r.delivered_late)
    return CompanyStanding(
        game=key[0],
        company_id=key[1],
        company=rows[-1].destination_company or key[1],
        jobs=len(delivered),
        on_time=on_time,
        late=len(delivered) - on_time,
        cancelled=len(rows) - len(delivered),
        avg_cargo_damage=total_damage / len(delivered) if delivered else None,
        total_cargo_damage=total_damage,
        total_revenue=sum(r.revenue for r in rows),
        total_net_profit=sum(r.net_profit for r in rows),
        total_distance_km=sum(r.distance_km for r in rows),
        cities=tuple(sorted({r.destination_city for r in delivered if r.destination_city})),
        rating=bayesian_rating(job_quality(r.on_time, r.cargo_damage) for r in delivered),
    )
