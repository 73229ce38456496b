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
    """100, −20 if avg speed > 65 mph, −min(20, 20 × damage fraction), −30 if late,
    −0..30 for fuel economy between 6 mpg (no penalty) and 4 mpg (−30); clamped to
    0..100 and rounded to one decimal."""
    score = 100.0
    if avg_speed_mph is not None and avg_speed_mph > SPEEDING_MPH:
        score -= 20.0
    if damage_taken is not None:
        score -= min(20.0, 20.0 * damage_taken)
    if delivered_late:
        score -= 30.0
    if fuel_economy_mpg is not None:
        if fuel_economy_mpg <= 4.0:
            score -= 30.0
        elif fuel_economy_mpg < 6.0:
            score -= (6.0 - fuel_economy_mpg) * 15.0
    return round(min(100.0, max(0.0, score)), 1)


def job_figures(
    *,
    income: int,
    distance_mi: int,
    fuel_consumed_gal: float | None,
    damage_taken: float | None,
    avg_speed_mph: float | None,
    delivered_late: bool,
) -> JobFigures:
    """The computed columns of a completed job (see the module docstring)."""
    fuel_cost = (fuel_consumed_gal or 0.0) * DIESEL_USD_PER_GAL
    damage_cost = (damage_taken or 0.0) * FULL_DAMAGE_COST
    profit = income - fuel_cost - damage_cost
    economy = distance_mi / fuel_consumed_gal if fuel_consumed_gal else None
    return JobFigures(
        fuel_cost=fuel_cost,
        damage_cost=damage_cost,
        profit=profit,
        profit_per_mile=profit / distance_mi,
        fuel_economy=economy,
        safety_score=safety_score(
            avg_speed_mph=avg_speed_mph,
            damage_taken=damage_taken,
            delivered_late=delivered_late,
            fuel_economy_mpg=economy,
        ),
    )
