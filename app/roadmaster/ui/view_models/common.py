"""Helpers every view model shares, so that the dashboard, the overlay, the job
panel, the tray and the status bar say the same thing about the same reading:
units, speeding, range, ETA wording, money labels.  No Qt here."""

from __future__ import annotations

import math
from typing import Final

from roadmaster.jobs.accumulate import SPEEDING_MARGIN_MPS
from roadmaster.settings import CurrencyDisplay, display_currency
from roadmaster.telemetry.frame import Frame, Game, Truck
from roadmaster.units import (
    Currency,
    UnitPreference,
    UnitSystem,
    format_distance,
    format_duration,
    format_game_time,
    format_route_distance,
    km_to_miles,
    mps_to_kmh,
    mps_to_mph,
    unit_system,
)

# Below this much distance the measured consumption is noise (idling, a refuel stop).
MIN_MEASURED_KM: Final = 2.0
# A limit under this (m/s) is "no limit known" (the plugin reports 0 off the map's roads).
NO_LIMIT_MPS: Final = 0.5
# Over the limit by more than this is speeding, in every view and in the job's own
# speeding time (the tracker's margin): a needle on the line is not a warning.
SPEEDING_MARGIN: Final = SPEEDING_MARGIN_MPS
PSI_PER_BAR: Final = 14.503773773


def units_for(game: Game, preference: UnitPreference = "auto") -> UnitSystem:
    """The display system: the user's choice, else the game's own (ATS imperial)."""
    return unit_system(game, preference)


def money_for(game: Game, currency: CurrencyDisplay = "game") -> Currency:
    """The currency money is labelled with: the player's choice, else the game's."""
    return display_currency(game, currency)


def speed_in(mps: float, system: UnitSystem) -> float:
    """A speed in the display unit (magnitude: a speedometer shows no minus)."""
    mps = abs(mps)
    return mps_to_mph(mps) if system is UnitSystem.IMPERIAL else mps_to_kmh(mps)


def speed_unit(system: UnitSystem) -> str:
    return "mph" if system is UnitSystem.IMPERIAL else "km/h"


def gear_text(gear_dashboard: int) -> str:
    """The gear as the truck's dashboard shows it: N, R1…, 1…"""
    if gear_dashboard == 0:
        return "N"
    if gear_dashboard < 0:
        return f"R{-gear_dashboard}"
    return str(gear_dashboard)


def fraction(value: float) -> float:
    """``value`` clamped to 0..1 (NaN → 0)."""
    if not math.isfinite(value):
        return 0.0
    return min(1.0, max(0.0, value))


def has_limit(truck: Truck) -> bool:
    return truck.speed_limit_mps > NO_LIMIT_MPS


def is_speeding(truck: Truck) -> bool:
    """Over the posted limit by more than :data:`SPEEDING_MARGIN` (one rule for all)."""
    return has_limit(truck) and abs(truck.speed_mps) > truck.speed_limit_mps + SPEEDING_MARGIN


def air_text(psi: float, game: Game) -> str:
    """Air pressure as the truck's gauge reads it: bar in ETS2, psi in ATS."""
    if game is Game.ETS2:
        return f"{psi / PSI_PER_BAR:.1f} bar"
    return f"{psi:.0f} psi"


class ConsumptionMeter:
    """Measures fuel used per km from the odometer and the tank, refuels excluded.

    The game's own average resets with its trip computer and is missing in older
    plugin revisions; what the driver has actually burnt since the app started is
    what predicts the range of this truck with this load."""

    def __init__(self) -> None:
        self._last: tuple[float, float] | None = None  # odometer km, fuel l
        self.distance_km = 0.0
        self.fuel_used_l = 0.0

    def observe(self, odometer_km: float, fuel_l: float) -> None:
        last, self._last = self._last, (odometer_km, fuel_l)
        if last is None:
            return
        d_km = odometer_km - last[0]
        d_fuel = last[1] - fuel_l
        # A jump (teleport, profile change) or a refuel is not driving.
        if d_km < 0 or d_km > 5.0:
            return
        self.distance_km += d_km
        if d_fuel > 0:
            self.fuel_used_l += d_fuel

    @property
    def l_per_km(self) -> float | None:
        if self.distance_km < MIN_MEASURED_KM or self.fuel_used_l <= 0:
            return None
        return self.fuel_used_l / self.distance_km


def range_estimate(truck: Truck, measured_l_per_km: float | None) -> tuple[float, str] | None:
    """(range km, basis) from what this truck has burnt since the app started, else
    the game's average consumption; None while neither is known.  The plugin's own
    range figure is not used: it is known to be wrong for some trucks."""
    if measured_l_per_km:
        return truck.fuel_l / measured_l_per_km, "measured"
    if truck.fuel_avg_consumption_l_per_km > 0:
        return truck.fuel_l / truck.fuel_avg_consumption_l_per_km, "game avg"
    return None


def range_text(truck: Truck, system: UnitSystem, measured_l_per_km: float | None) -> str:
    """ "range 560 km (measured)", the same words wherever the range is shown."""
    estimate = range_estimate(truck, measured_l_per_km)
    if estimate is None:
        return "range: measuring…"
    km, basis = estimate
    return f"range {format_distance(km, system)} ({basis})"


def navigation_text(frame: Frame | None, system: UnitSystem) -> str:
    """ "142 km to go · ETA Day 2 14:05" from the game's route advisor; "" without a
    route.  The ETA is in game time: route_time_s is game seconds."""
    if frame is None or frame.navigation.route_distance_m <= 0:
        return ""
    nav = frame.navigation
    return (
        f"{format_route_distance(nav.route_distance_m, system)} to go · "
        f"{eta_text(frame.header.game_time_min, nav.route_time_s)}"
    )


def eta_text(game_time_min: int, route_time_s: float) -> str:
    """ "ETA Day 2 14:05 (2 h 10 min)": the arrival in game time and the time left
    (route_time_s is game seconds)."""
    eta_min = game_time_min + int(route_time_s // 60)
    return f"ETA {format_game_time(eta_min, weekday=True)} ({format_duration(route_time_s / 60)})"


def map_axis_unit(system: UnitSystem) -> tuple[str, float]:
    """The route map's axis unit and metres per unit: miles in imperial (ATS), km
    in metric — never "km" on an American map."""
    if system is UnitSystem.IMPERIAL:
        return "mi", 1609.344
    return "km", 1000.0


def distance_unit_scale(system: UnitSystem) -> float:
    """km → display distance (for axis labels)."""
    return km_to_miles(1.0) if system is UnitSystem.IMPERIAL else 1.0
