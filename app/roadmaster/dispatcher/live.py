"""What Roadie knows of the truck right now: an immutable snapshot and its summary.

The dispatcher is given a callable that returns a :class:`LiveSnapshot` (or None
when nothing is known: the game is off, no capture runs).  The window builds it from
the capture's mailbox; tests build it from a frame.  Nothing here reads a clock or
a file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from roadmaster.jobs.hos import Limit, Remaining
from roadmaster.settings import CurrencyDisplay, display_currency
from roadmaster.telemetry.frame import Frame, Game
from roadmaster.telemetry.status import GameState, Reading
from roadmaster.units import (
    UnitPreference,
    UnitSystem,
    format_distance,
    format_duration,
    format_game_time,
    format_mass,
    format_money,
    format_route_distance,
    format_speed,
    format_volume,
    unit_system,
)

GAME_NAMES: Final = {
    Game.ATS: "American Truck Simulator",
    Game.ETS2: "Euro Truck Simulator 2",
    Game.UNKNOWN: "the game",
}
NOT_DRIVING: Final = "Not driving: the game is not running (no live telemetry)."


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """The latest frame, the game state's one-line message and the HOS clock."""

    frame: Frame | None
    driving: bool  # the simulation is running (not menu, not paused, not stale)
    status: str  # the status bar's line ("Driving", "Paused", "Game not running …")
    hos: Remaining | None = None


LiveSource = Callable[[], LiveSnapshot | None]


@dataclass(frozen=True, slots=True)
class Prefs:
    """How the player reads numbers: units and currency symbol (labels only)."""

    units: UnitPreference = "auto"
    currency: CurrencyDisplay = "game"

    def system(self, game: Game) -> UnitSystem:
        return unit_system(game, self.units)


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def hos_line(hos: Remaining) -> str:
    """ "break due in 2 h 10 min (30-minute break after 8 h of driving)"."""
    what = {
        Limit.BREAK: "break",
        Limit.DAILY_DRIVING: "daily rest",
        Limit.DUTY_WINDOW: "end of duty window",
    }[hos.next_limit]
    minutes = hos.next_in_min
    when = (
        f"overdue by {format_duration(-minutes)}"
        if minutes < 0
        else f"due in {format_duration(minutes)}"
    )
    return f"{what} {when} ({hos.rule}); driven {format_duration(hos.driving_today_min)} today"


def summary(live: LiveSnapshot | None, prefs: Prefs) -> str:
    """A few lines for the system prompt; "not driving" when there is no game."""
    if live is None or live.frame is None:
        return NOT_DRIVING
    f = live.frame
    game = f.game
    system = prefs.system(game)
    money = display_currency(game, prefs.currency)
    t, job, nav = f.truck, f.job, f.navigation
    now = f.header.game_time_min
    lines = [
        f"Game: {GAME_NAMES.get(game, 'the game')}; {live.status}"
        + (" (paused)" if f.header.paused else ""),
        f"Game time: {format_game_time(now, weekday=True)}",
    ]
    truck = " ".join(p for p in (t.brand, t.name) if p) or "unknown truck"
    lines.append(
        f"Truck: {truck}, {format_speed(t.speed_mps, system)}, "
        f"odometer {format_distance(t.odometer_km, system)}"
    )
    lines.append(
        f"Location: map x {t.x_m:,.0f} m, z {t.z_m:,.0f} m (the telemetry has no place names)"
    )
    fuel_share = t.fuel_l / t.fuel_capacity_l if t.fuel_capacity_l > 0 else 0.0
    lines.append(
        f"Fuel: {format_volume(t.fuel_l, system)} of {format_volume(t.fuel_capacity_l, system)} "
        f"({_pct(fuel_share)}), range about {format_distance(t.fuel_range_km, system)}"
        + (" — fuel warning on" if t.fuel_warning else "")
    )
    wear = {
        "engine": t.wear_engine,
        "transmission": t.wear_transmission,
        "cabin": t.wear_cabin,
        "chassis": t.wear_chassis,
        "wheels": t.wear_wheels,
    }
    worst = max(wear, key=lambda k: wear[k])
    lines.append(
        f"Damage: worst {worst} {_pct(wear[worst])}; cargo damage {_pct(job.cargo_damage)}"
    )
    if job.on_job:
        lines.append(
            f"Job: {job.cargo} ({format_mass(job.cargo_mass_kg, system)}), "
            f"{job.source_city} ({job.source_company}) → {job.destination_city} "
            f"({job.destination_company}), pays {format_money(job.income, money)}"
        )
        if nav.route_distance_m > 0:
            lines.append(
                f"Route left: {format_route_distance(nav.route_distance_m, system)}, "
                f"about {format_duration(nav.route_time_s / 60)} of game time"
            )
        if job.deadline_game_min > 0:
            left = job.deadline_game_min - now
            state = (
                f"{format_duration(left)} left"
                if left >= 0
                else f"late by {format_duration(-left)}"
            )
            lines.append(
                f"Deadline: {format_game_time(job.deadline_game_min, weekday=True)} ({state})"
            )
    else:
        lines.append("Job: none (free driving)")
    if live.hos is not None:
        lines.append(f"Hours of service: {hos_line(live.hos)}")
    return "\n".join(lines)


def live_from(reading: Reading | None, hos: Remaining | None = None) -> LiveSnapshot | None:
    """The snapshot of the latest telemetry reading (None: no game to speak of)."""
    if reading is None or reading.frame is None:
        return None
    if reading.state not in (GameState.DRIVING, GameState.MENU):
        return None
    return LiveSnapshot(reading.frame, reading.state is GameState.DRIVING, reading.message, hos)
