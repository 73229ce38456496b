"""The job panel: the open job, its projected P&L with the player's prices, the
hours of service, and the last finished job (its settled profit, read, not
recomputed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from roadmaster.jobs.economics import (
    EconomySettings,
    Expenses,
    JobEconomics,
    expenses_of,
    projected_economics,
)
from roadmaster.jobs.events import JobCancelled, JobDelivered
from roadmaster.jobs.hos import Limit, Remaining
from roadmaster.runtime.snapshots import OpenJob
from roadmaster.settings import CurrencyDisplay
from roadmaster.ui.view_models.common import money_for
from roadmaster.units import (
    Currency,
    UnitSystem,
    format_distance,
    format_duration,
    format_game_time,
    format_mass,
    format_money,
)

# The open job as the capture thread last saw it (immutable; crosses threads).
JobProgress = OpenJob

if TYPE_CHECKING:  # the storage stack is imported off the start-up path
    from roadmaster.runtime.records import JobRow


@dataclass(frozen=True, slots=True)
class JobPanelModel:
    has_job: bool
    cargo: str  # "Machinery · 18,000 kg"
    route: str  # "Berlin → Praha"
    companies: str  # "Tree-ET → Kaarfor"
    income: str
    distance: str  # "driven 12 km of 210 km"
    deadline: str  # "due in 3 h 05 min (Day 2 14:05)"
    overdue: bool
    profit: str  # "projected profit €8,412"
    expenses: str  # "fines €0 · tolls €120"
    hos: str  # "break due in 2 h 10 min"
    hos_urgent: bool
    last_job: str  # one-line summary of the last finished job


def hos_text(remaining: Remaining | None) -> tuple[str, bool]:
    """ "break due in 2 h 10 min" and whether it is urgent (under 30 game minutes)."""
    if remaining is None:
        return "waiting for the game", False
    what = {
        Limit.BREAK: "break",
        Limit.DAILY_DRIVING: "daily rest",
        Limit.DUTY_WINDOW: "end of duty window",
    }[remaining.next_limit]
    minutes = remaining.next_in_min
    if minutes < 0:
        return f"{what} overdue by {format_duration(-minutes)}", True
    return f"{what} due in {format_duration(minutes)}", minutes < 30


def job_panel_model(
    progress: JobProgress | None,
    game_time_min: int | None,
    system: UnitSystem,
    hos: Remaining | None,
    last_job: str,
    economy: EconomySettings | None = None,
    currency: CurrencyDisplay = "game",
) -> JobPanelModel:
    """The job panel for the open job (None: no job) at ``game_time_min``; the
    projected profit with the player's prices (``economy``), money labelled with the
    player's ``currency``."""
    hos_line, hos_urgent = hos_text(hos)
    if progress is None:
        return JobPanelModel(
            has_job=False,
            cargo="No job",
            route="Take a job in the game: it is recorded from the moment you accept it.",
            companies="",
            income="",
            distance="",
            deadline="",
            overdue=False,
            profit="",
            expenses="",
            hos=hos_line,
            hos_urgent=hos_urgent,
            last_job=last_job,
        )
    info, stats = progress.info, progress.stats
    money = money_for(info.game, currency)
    econ = projected_economics(
        stats,
        income=info.income,
        late=game_time_min is not None and game_time_min > info.deadline_game_min,
        settings=economy or EconomySettings(),
    )
    overdue = False
    if game_time_min is None or info.deadline_game_min <= 0:
        deadline = ""
    else:
        left = info.deadline_game_min - game_time_min
        overdue = left < 0
        when = format_game_time(info.deadline_game_min, weekday=True)
        deadline = (
            f"late by {format_duration(-left)} (was due {when})"
            if overdue
            else f"due in {format_duration(left)} ({when})"
        )
    planned = (
        f" of {format_distance(info.planned_distance_km, system)} planned"
        if info.planned_distance_km > 0
        else ""
    )
    expenses = expenses_of(stats)
    return JobPanelModel(
        has_job=True,
        cargo=f"{info.cargo} · {format_mass(info.cargo_mass_kg, system)}",
        route=f"{info.source_city} → {info.destination_city}",
        companies=f"{info.source_company} → {info.destination_company}",
        income=f"pays {format_money(info.income, money)}",
        distance=f"driven {format_distance(stats.distance_km, system)}{planned}",
        deadline=deadline,
        overdue=overdue,
        profit=f"projected profit {format_money(econ.net_profit, money)}",
        expenses=(
            f"fines {format_money(expenses.fines, money)} · "
            f"tolls {format_money(expenses.tolls, money)}"
            + (
                f" · ferry/train {format_money(expenses.transport, money)}"
                if expenses.transport
                else ""
            )
        ),
        hos=hos_line,
        hos_urgent=hos_urgent,
        last_job=last_job,
    )


def _expenses_text(expenses: Expenses, money: Currency) -> str:
    text = (
        f"fines {format_money(expenses.fines, money)} · tolls {format_money(expenses.tolls, money)}"
    )
    if expenses.transport:
        text += f" · ferry/train {format_money(expenses.transport, money)}"
    return text


def _profit_text(profit: float | None, money: Currency) -> str:
    return "" if profit is None else f" · profit {format_money(profit, money)}"


def finished_job_text(
    event: JobDelivered | JobCancelled,
    system: UnitSystem,
    currency: CurrencyDisplay = "game",
) -> str:
    """One line about a job that just ended, for the "last job" line; its profit is
    the one settled by the capture (stored with the job), never recomputed."""
    info = event.info
    money = money_for(info.game, currency)
    route = f"{info.cargo}, {info.source_city} → {info.destination_city}"
    econ: JobEconomics | None = event.economics
    profit = _profit_text(econ.net_profit if econ is not None else None, money)
    if isinstance(event, JobDelivered):
        late = " (late)" if event.late else ""
        return (
            f"Delivered{late}: {route} · {format_money(event.revenue, money)}{profit} · "
            f"{format_distance(event.stats.distance_km, system)}"
        )
    return f"Cancelled: {route} · penalty {format_money(event.penalty, money)}{profit}"


def job_row_text(row: JobRow, system: UnitSystem, currency: CurrencyDisplay = "game") -> str:
    """The same line for a finished job read back from the log (at start-up)."""
    money = money_for(row.game, currency)
    route = f"{row.cargo}, {row.source_city} → {row.destination_city}"
    profit = _profit_text(row.profit, money)
    if row.status.value == "delivered":
        late = " (late)" if row.late else ""
        return (
            f"Delivered{late}: {route} · {format_money(row.revenue, money)}{profit} · "
            f"{format_distance(row.distance_km, system)}"
        )
    if row.status.value == "cancelled":
        return f"Cancelled: {route} · penalty {format_money(row.penalty, money)}{profit}"
    return f"{row.status.value.capitalize()}: {route}{profit}"
