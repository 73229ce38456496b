"""What the overlay shows for one reading: the dashboard's numbers in a few lines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from roadmaster.settings import Settings
from roadmaster.telemetry.frame import Game, Truck
from roadmaster.telemetry.status import GameState, Reading
from roadmaster.ui.view_models.common import (
    gear_text,
    has_limit,
    is_speeding,
    navigation_text,
    range_text,
    speed_unit,
)
from roadmaster.units import (
    UnitSystem,
    format_duration,
    format_volume,
    mps_to_kmh,
    mps_to_mph,
    unit_system,
)


@dataclass(frozen=True, slots=True)
class OverlayView:
    """The overlay's text, computed from one Reading; empty strings are not drawn."""

    speed: str = "–"  # the number only
    speed_unit: str = ""
    limit: str = ""  # the limit's number, "" when there is none
    speeding: bool = False
    gear: str = ""
    fuel: str = ""
    route: str = ""
    deadline: str = ""
    late: bool = False  # the deadline is passed or cannot be met at the route's ETA
    warning: str = ""
    critical: bool = False  # the warning needs action now (red), else amber
    live: bool = False  # driving or paused with a frame; False greys the figures
    imperial_sign: bool = False  # draw the limit as a US sign (ATS in imperial)


_STATE_WARNINGS = {
    GameState.NOT_RUNNING: "Game not running",
    GameState.MENU: "Paused",
    GameState.STALE: "Telemetry frozen: has the game crashed?",
    GameState.UNSUPPORTED: "Unsupported telemetry plugin",
    GameState.CORRUPT: "Telemetry unreadable",
}


def overlay_view(
    reading: Reading | None, settings: Settings, measured_l_per_km: float | None = None
) -> OverlayView:
    """The overlay's text for ``reading``, in the user's units: the same speeding
    rule, range and ETA words as the dashboard (:mod:`.common`)."""
    if reading is None:
        return OverlayView(warning="Waiting for telemetry…")
    frame = reading.frame
    state_warning = _STATE_WARNINGS.get(reading.state, "")
    if frame is None or reading.state not in (GameState.DRIVING, GameState.MENU):
        return OverlayView(warning=state_warning or reading.message)
    system = unit_system(frame.game, settings.display.units)
    truck, job, nav = frame.truck, frame.job, frame.navigation
    to_unit = mps_to_mph if system is UnitSystem.IMPERIAL else mps_to_kmh
    speed = round(to_unit(abs(truck.speed_mps)))
    limit_mps = truck.speed_limit_mps if has_limit(truck) else 0.0
    speeding = is_speeding(truck)
    fuel = (
        f"Fuel {format_volume(truck.fuel_l, system)} · "
        f"{range_text(truck, system, measured_l_per_km)}"
    )
    route = navigation_text(frame, system)

    deadline, late = "", False
    remaining_min = 0
    if job.on_job and job.deadline_game_min > 0:
        remaining_min = job.deadline_game_min - frame.header.game_time_min
        if remaining_min < 0:
            deadline, late = f"Late by {format_duration(-remaining_min)}", True
        else:
            deadline = f"Deadline in {format_duration(remaining_min)}"
            late = nav.route_time_s / 60.0 > remaining_min

    warning = state_warning
    critical = False
    if not warning:
        warning = _truck_warning(frame.truck, speeding, limit_mps, to_unit, system)
        critical = bool(warning) and (speeding or truck.air_pressure_emergency)
    if not warning and late and remaining_min >= 0:
        warning = "Behind schedule: the ETA is after the deadline"
    if not warning and truck.fuel_warning:
        warning = "Low fuel: refuel soon"
    return OverlayView(
        speed=str(speed),
        speed_unit=speed_unit(system),
        limit=str(round(to_unit(limit_mps))) if limit_mps > 0 else "",
        speeding=speeding,
        gear=gear_text(truck.gear_dashboard),
        fuel=fuel,
        route=route,
        deadline=deadline,
        late=late,
        warning=warning,
        critical=critical,
        live=True,
        imperial_sign=system is UnitSystem.IMPERIAL and frame.game is Game.ATS,
    )


def _truck_warning(
    truck: Truck,
    speeding: bool,
    limit_mps: float,
    to_unit: Callable[[float], float],
    system: UnitSystem,
) -> str:
    # Most urgent first: the line has room for one message.
    if truck.air_pressure_emergency:
        return "AIR PRESSURE EMERGENCY: brakes locking"
    if speeding:
        over = round(to_unit(abs(truck.speed_mps)) - to_unit(limit_mps))
        unit = "mph" if system is UnitSystem.IMPERIAL else "km/h"
        return f"Speeding: {over} {unit} over the limit"
    if truck.air_pressure_warning:
        return "Low air pressure"
    if truck.water_temperature_warning:
        return "Engine overheating"
    if truck.oil_pressure_warning:
        return "Low oil pressure"
    if truck.battery_voltage_warning:
        return "Battery voltage low"
    if truck.adblue_warning:
        return "AdBlue low"
    return ""


PREVIEW_HINT = "Preview: drag to place it"


def overlay_preview(settings: Settings) -> OverlayView:
    """Sample figures in the player's units, so that the overlay can be placed and
    sized before driving (with no game, it would otherwise stay hidden)."""
    imperial = settings.display.units == "imperial"
    system = UnitSystem.IMPERIAL if imperial else UnitSystem.METRIC
    return OverlayView(
        speed="55" if imperial else "88",
        speed_unit=speed_unit(system),
        limit="55" if imperial else "90",
        gear="11",
        fuel=f"Fuel {format_volume(412.0, system)} · range 1,250 km (game avg)"
        if not imperial
        else f"Fuel {format_volume(412.0, system)} · range 777 mi (game avg)",
        route=("142 mi" if imperial else "228 km") + " to go · ETA Day 2 (Tue) 14:05 (3 h 20 min)",
        deadline=f"Deadline in {format_duration(310)}",
        warning=PREVIEW_HINT,
        live=True,
        imperial_sign=imperial,
    )
