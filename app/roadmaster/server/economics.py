"""The dashboard formulas of ``cloud-api.md``, applied when a job is completed.

Units are the contract's: gallons, miles, mph, damage as a fraction 0..1, whole
currency units for income.

**damage_cost is linear in the fraction**: damage_cost = damage_taken × 10,000
(100 % damage costs $10,000), as the dashboard documents.  The hosted service
divides by 100 as if damage were a percentage (which makes its damage cost 100
times too small); the reference server does not repeat that inconsistency.

A field the client left out counts as zero cost (no fuel figure → fuel_cost 0)
and leaves fuel_economy unknown (None) rather than dividing by zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from roadmaster.jobs.economics import score_safety

DIESEL_USD_PER_GAL: Final = 4.05
FULL_DAMAGE_COST: Final = 10_000.0
SPEEDING_MPH: Final = 65.0


@dataclass(frozen=True, slots=True)
class JobFigures:
    fuel_cost: float
    damage_cost: float
    profit: float
    profit_per_mile: float
    fuel_economy: float | None  # miles per gallon
    safety_score: float  # 0..100, one decimal


def safety_score(
    *,
    avg_speed_mph: float | None,
    damage_taken: float | None,
    delivered_late: bool,
    fuel_economy_mpg: float | None,
) -> float:
    """The client's own safety score (:func:`roadmaster.jobs.economics.score_safety`:
    one function, one rounding — half up), from the contract's units."""
    return score_safety(
        speeding=avg_speed_mph is not None and avg_speed_mph > SPEEDING_MPH,
        damage_taken=damage_taken,
        delivered_late=delivered_late,
        fuel_economy_mpg=fuel_economy_mpg,
    )


def job_figures(
    *,
    income: int,
    distance_mi: int,
    fuel_consumed_gal: float | None,
    damage_taken: float | None,
    avg_speed_mph: float | None,
    delivered_late: bool,
    settled: ClientEconomics | None = None,
) -> JobFigures:
    """The computed columns of a completed job (see the module docstring).  With
    ``settled`` (the client's P&L, from the player's own prices and the game's real
    revenue and expenses) those figures are stored instead of the defaults', so the
    server shows the profit the app shows."""
    fuel_cost = (fuel_consumed_gal or 0.0) * DIESEL_USD_PER_GAL
    damage_cost = (damage_taken or 0.0) * FULL_DAMAGE_COST
    profit = income - fuel_cost - damage_cost
    economy = distance_mi / fuel_consumed_gal if fuel_consumed_gal else None
    score = safety_score(
        avg_speed_mph=avg_speed_mph,
        damage_taken=damage_taken,
        delivered_late=delivered_late,
        fuel_economy_mpg=economy,
    )
    if settled is not None:
        fuel_cost, damage_cost, profit = settled.fuel_cost, settled.damage_cost, settled.profit
        score = settled.safety_score if settled.safety_score is not None else score
    return JobFigures(
        fuel_cost=fuel_cost,
        damage_cost=damage_cost,
        profit=profit,
        profit_per_mile=profit / distance_mi,
        fuel_economy=economy,
        safety_score=score,
    )


@dataclass(frozen=True, slots=True)
class ClientEconomics:
    """A job's P&L as the client settled it (the ``client_economics`` extension)."""

    fuel_cost: float
    damage_cost: float
    profit: float
    safety_score: float | None


def client_economics(
    fuel_cost: float | None,
    damage_cost: float | None,
    profit: float | None,
    safety_score: float | None,
) -> ClientEconomics | None:
    """The client's figures when it sent the whole P&L (else None: the defaults)."""
    if fuel_cost is None or damage_cost is None or profit is None:
        return None
    return ClientEconomics(fuel_cost, damage_cost, profit, safety_score)
