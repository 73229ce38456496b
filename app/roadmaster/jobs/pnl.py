"""A job's P&L as stored and shown: plain frozen values with no dependencies, so that
the job-end events can carry one (:mod:`roadmaster.jobs.events`) while the
arithmetic that makes it (:mod:`roadmaster.jobs.economics`) imports those events."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Expenses:
    """Money spent during a job, by kind (whole currency units)."""

    fines: int = 0
    tolls: int = 0
    ferry: int = 0
    train: int = 0

    @property
    def transport(self) -> int:
        return self.ferry + self.train

    @property
    def total(self) -> int:
        return self.fines + self.tolls + self.transport


@dataclass(frozen=True, slots=True)
class JobEconomics:
    """One job's P&L in the game's currency.  Ratios are None where undefined
    (zero distance, zero fuel)."""

    income: int
    revenue: int  # paid by the game (projected = income while open)
    projected: bool
    penalty: int
    fuel_used_l: float
    damage_taken: float
    distance_km: float
    fuel_cost: float
    damage_cost: float
    expenses: Expenses
    dashboard_profit: float
    net_profit: float
    profit_per_km: float | None
    profit_per_mile: float | None
    l_per_100km: float | None
    mpg: float | None
    safety_score: float
