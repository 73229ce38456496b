"""Per-job profit and loss, and the safety score, as the web dashboard computes them.

All inputs are in game units (litres, km, m/s, whole currency units of the game:
USD for ATS, EUR for ETS2).  The dashboard formulas of ``cloud-api.md`` are in
gallons and miles; we convert exactly (:mod:`roadmaster.units`), so our numbers
agree with the dashboard's for the same inputs.

Two profits, on purpose:

* ``dashboard_profit`` = income − fuel_cost − damage_cost: the dashboard's formula,
  on the *offered* income (the only money figure the service gets).
* ``net_profit`` = revenue − fuel_cost − damage_cost − fines − tolls − ferry/train
  − penalty: what the player really made.  ``revenue`` is what the game paid at
  delivery (it already includes the game's own deductions for cargo damage and
  lateness); a cancelled job pays 0 and costs its penalty.  While a job is still
  open nothing has been paid yet: pass ``revenue=None`` and the offered income is
  used as the projected revenue (``JobEconomics.projected`` is then True).

Damage cost: **linear in the fraction**, damage_cost = damage_taken × repair_cost_full
(100 % damage = 10,000 by default).  The hosted service divides by 100 as if
damage were a percentage, which makes its damage cost 100 times too small; we
show the formula the dashboard documents, not that inconsistency.

``damage_taken`` is :func:`truck_damage_fraction` — the **mean of the truck's five
components** (engine, transmission, cabin, chassis, wheels) gained during the job.
The trailer is left out: on company jobs the trailer is not the player's and its
repair is not charged to them; cargo damage is reported separately.  The mean (not
the max) because a repair bill adds up over components: if every component costs
the same to repair, mean × full-repair cost is the bill.  The sync payload sends
the same figure (``damage_taken`` of ``POST /api/jobs/complete``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from roadmaster.jobs.events import (
    Event,
    ExpenseEvent,
    Fined,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobStats,
    TollPaid,
    Transport,
    Wear,
)
from roadmaster.jobs.pnl import Expenses, JobEconomics
from roadmaster.units import (
    L_PER_US_GALLON,
    MPS_PER_MPH,
    km_to_miles,
    l_per_100km,
    mpg,
)

# The dashboard's defaults.
DASHBOARD_FUEL_PRICE_PER_GAL: Final = 4.05
DASHBOARD_REPAIR_COST_FULL: Final = 10_000.0
SAFETY_SPEED_LIMIT_MPH: Final = 65.0


@dataclass(frozen=True, slots=True)
class EconomySettings:
    """Editable assumptions (economy mods change real prices).  Money is in the
    game's currency: the dashboard's $4.05/gal is applied as 4.05 €/gal in ETS2 too,
    exactly as the dashboard (which does not know the currency) does."""

    fuel_price_per_l: float = DASHBOARD_FUEL_PRICE_PER_GAL / L_PER_US_GALLON
    repair_cost_full: float = DASHBOARD_REPAIR_COST_FULL  # cost of 100 % truck damage
    safety_speed_limit_mps: float = SAFETY_SPEED_LIMIT_MPH * MPS_PER_MPH

    @classmethod
    def from_gallon_price(cls, price_per_gal: float, **kwargs: float) -> EconomySettings:
        """Settings from a price per US gallon (the dashboard's unit)."""
        return cls(fuel_price_per_l=price_per_gal / L_PER_US_GALLON, **kwargs)


def sum_expenses(events: Iterable[ExpenseEvent], job_key: str | None = None) -> Expenses:
    """Add up fines, tolls, ferries and trains; with ``job_key``, only that job's.

    Refuels carry litres, not money: fuel is costed from fuel burnt
    (``fuel_used_l`` × price), so a refuel is not an expense here."""
    fines = tolls = ferry = train = 0
    for event in events:
        if job_key is not None and event.job_key != job_key:
            continue
        if isinstance(event, Fined):
            fines += event.amount
        elif isinstance(event, TollPaid):
            tolls += event.amount
        elif isinstance(event, Transport):
            if event.kind == "train":
                train += event.amount
            else:
                ferry += event.amount
    return Expenses(fines=fines, tolls=tolls, ferry=ferry, train=train)


def truck_damage_fraction(wear: Wear) -> float:
    """The single damage figure of the dashboard (0..1): mean of the truck's five
    components.  Pass ``stats.damage_taken`` for damage taken during a job."""
    values = (wear.engine, wear.transmission, wear.cabin, wear.chassis, wear.wheels)
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return 0.0
    return min(1.0, max(0.0, sum(finite) / len(values)))


def round_score(score: float) -> float:
    """One decimal, halves rounded up (72.25 → 72.3), as SQL ``ROUND(numeric, 1)``
    does.  Python's ``round()`` is half-even (72.25 → 72.2): client and server once
    disagreed on exactly these scores.  The value is first taken to 9 decimals so
    that binary noise (72.2499999…) does not decide the rounding."""
    exact = Decimal(repr(round(score, 9)))
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def score_safety(
    *,
    speeding: bool,
    damage_taken: float | None,
    delivered_late: bool,
    fuel_economy_mpg: float | None,
) -> float:
    """The dashboard's safety score, 0–100 with one decimal — the one function the
    client and the reference server both use.

    100; −20 if the average speed was over the limit (``speeding``); −min(20, 20 ×
    damage) with damage as a fraction; −30 if late; fuel economy ≥ 6 mpg → 0,
    ≤ 4 mpg → −30, between → −(6 − mpg) × 15.  Undefined damage or economy (not
    measured, no fuel burnt) costs nothing: there is no evidence against the driver."""
    score = 100.0
    if speeding:
        score -= 20.0
    if damage_taken is not None and math.isfinite(damage_taken):
        score -= min(20.0, 20.0 * max(0.0, damage_taken))
    if delivered_late:
        score -= 30.0
    if fuel_economy_mpg is not None:
        if fuel_economy_mpg <= 4.0:
            score -= 30.0
        elif fuel_economy_mpg < 6.0:
            score -= (6.0 - fuel_economy_mpg) * 15.0
    return round_score(min(100.0, max(0.0, score)))


def safety_score(
    *,
    avg_speed_mps: float,
    damage_taken: float,
    delivered_late: bool,
    fuel_economy_mpg: float | None,
    speed_limit_mps: float = SAFETY_SPEED_LIMIT_MPH * MPS_PER_MPH,
) -> float:
    """:func:`score_safety` from game units (average speed in m/s)."""
    return score_safety(
        speeding=avg_speed_mps > speed_limit_mps,
        damage_taken=damage_taken,
        delivered_late=delivered_late,
        fuel_economy_mpg=fuel_economy_mpg,
    )


def job_economics(
    *,
    income: int,
    revenue: int | None,
    fuel_used_l: float,
    damage_taken: float,
    distance_km: float,
    delivered_late: bool,
    avg_speed_mps: float,
    expenses: Expenses = Expenses(),
    penalty: int = 0,
    settings: EconomySettings = EconomySettings(),
) -> JobEconomics:
    """Compute a job's P&L.  ``revenue`` None = job still open (projected on income);
    0 for a cancelled job, with its ``penalty``."""
    fuel_l = fuel_used_l if math.isfinite(fuel_used_l) and fuel_used_l > 0 else 0.0
    damage = damage_taken if math.isfinite(damage_taken) else 0.0
    damage = min(1.0, max(0.0, damage))
    distance = distance_km if math.isfinite(distance_km) and distance_km > 0 else 0.0

    fuel_cost = fuel_l * settings.fuel_price_per_l
    damage_cost = damage * settings.repair_cost_full
    projected = revenue is None
    paid = income if revenue is None else revenue
    dashboard_profit = income - fuel_cost - damage_cost
    net_profit = paid - fuel_cost - damage_cost - expenses.total - penalty

    economy_mpg = mpg(fuel_l, distance)
    return JobEconomics(
        income=income,
        revenue=paid,
        projected=projected,
        penalty=penalty,
        fuel_used_l=fuel_l,
        damage_taken=damage,
        distance_km=distance,
        fuel_cost=fuel_cost,
        damage_cost=damage_cost,
        expenses=expenses,
        dashboard_profit=dashboard_profit,
        net_profit=net_profit,
        profit_per_km=net_profit / distance if distance > 0 else None,
        profit_per_mile=net_profit / km_to_miles(distance) if distance > 0 else None,
        l_per_100km=l_per_100km(fuel_l, distance) if distance > 0 else None,
        mpg=economy_mpg,
        safety_score=safety_score(
            avg_speed_mps=avg_speed_mps,
            damage_taken=damage,
            delivered_late=delivered_late,
            fuel_economy_mpg=economy_mpg,
            speed_limit_mps=settings.safety_speed_limit_mps,
        ),
    )


def job_distance_km(event: JobDelivered | JobCancelled) -> float:
    """The distance a job's economics use: the odometer distance driven on the job
    (the distance the fuel was burnt over); when the tracker saw none (attached
    mid-job), the game's delivered distance, else the planned distance."""
    if event.stats.distance_km > 0:
        return event.stats.distance_km
    if isinstance(event, JobDelivered) and event.distance_km > 0:
        return event.distance_km
    return float(event.info.planned_distance_km)


def delivered_economics(
    event: JobDelivered,
    expenses: Expenses = Expenses(),
    settings: EconomySettings = EconomySettings(),
) -> JobEconomics:
    """P&L of a delivered job from its event and its expenses."""
    return job_economics(
        income=event.info.income,
        revenue=event.revenue,
        fuel_used_l=event.stats.fuel_used_l,
        damage_taken=truck_damage_fraction(event.stats.damage_taken),
        distance_km=job_distance_km(event),
        delivered_late=event.late,
        avg_speed_mps=event.stats.avg_speed_mps,
        expenses=expenses,
        settings=settings,
    )


def cancelled_economics(
    event: JobCancelled,
    expenses: Expenses = Expenses(),
    settings: EconomySettings = EconomySettings(),
) -> JobEconomics:
    """P&L of a cancelled job: nothing paid, the penalty charged, costs incurred.
    ``delivered_late`` is False: a cancelled job was not delivered at all."""
    return job_economics(
        income=event.info.income,
        revenue=0,
        penalty=event.penalty,
        fuel_used_l=event.stats.fuel_used_l,
        damage_taken=truck_damage_fraction(event.stats.damage_taken),
        distance_km=job_distance_km(event),
        delivered_late=False,
        avg_speed_mps=event.stats.avg_speed_mps,
        expenses=expenses,
        settings=settings,
    )


def expenses_of(stats: JobStats) -> Expenses:
    """A job's expenses as its accumulators counted them (so far, or at its end)."""
    return Expenses(
        fines=stats.fines_total,
        tolls=stats.tolls_total,
        ferry=stats.ferry_total,
        train=stats.train_total,
    )


def settle(event: Event, settings: EconomySettings) -> JobEconomics | None:
    """The P&L of a job that ended with ``event`` (None for other events), with the
    player's economy settings.  The capture calls this once per finished job; the
    result is stored with the job and carried on to the views and the cloud."""
    if isinstance(event, JobDelivered):
        return delivered_economics(event, expenses_of(event.stats), settings)
    if isinstance(event, JobCancelled):
        return cancelled_economics(event, expenses_of(event.stats), settings)
    if isinstance(event, JobAbandoned):
        s = event.stats
        return job_economics(
            income=event.info.income,
            revenue=0,
            fuel_used_l=s.fuel_used_l,
            damage_taken=truck_damage_fraction(s.damage_taken),
            distance_km=s.distance_km,
            delivered_late=False,
            avg_speed_mps=s.avg_speed_mps,
            expenses=expenses_of(s),
            settings=settings,
        )
    return None


def projected_economics(
    stats: JobStats,
    *,
    income: int,
    late: bool,
    settings: EconomySettings,
) -> JobEconomics:
    """The open job's P&L so far, projected on its offered income."""
    return job_economics(
        income=income,
        revenue=None,
        fuel_used_l=stats.fuel_used_l,
        damage_taken=truck_damage_fraction(stats.damage_taken),
        distance_km=stats.distance_km,
        delivered_late=late,
        avg_speed_mps=stats.avg_speed_mps,
        expenses=expenses_of(stats),
        settings=settings,
    )


def economics_columns(e: JobEconomics) -> dict[str, float | None]:
    """The job table's economics columns for ``e`` (``profit`` is the net profit)."""
    return {
        "fuel_cost": e.fuel_cost,
        "damage_cost": e.damage_cost,
        "profit": e.net_profit,
        "safety_score": e.safety_score,
    }


__all__ = [
    "DASHBOARD_FUEL_PRICE_PER_GAL",
    "DASHBOARD_REPAIR_COST_FULL",
    "EconomySettings",
    "Expenses",
    "JobEconomics",
    "cancelled_economics",
    "delivered_economics",
    "economics_columns",
    "expenses_of",
    "job_distance_km",
    "job_economics",
    "projected_economics",
    "round_score",
    "safety_score",
    "score_safety",
    "settle",
    "sum_expenses",
    "truck_damage_fraction",
]
