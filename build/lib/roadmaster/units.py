"""Exact unit conversions, unit systems and currencies per game, display formatters.

Everything inside the app is SI / game units (m/s, litres, kg, km, metres, game
minutes).  Conversion happens at two edges only: display (this module's
formatters, in the user's unit system) and the cloud payload
(:mod:`roadmaster.sync.payloads`, in the contract's units).

The factors are the exact legal definitions (international yard and pound
agreement of 1959, US liquid gallon = 231 cubic inches), so a round trip is exact
up to float rounding and the numbers agree with the web dashboard to the last digit.

Number formatting uses "," as the thousands separator and "." as the decimal point
whatever the locale; localisation is a later concern of the UI.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Final, Literal

from roadmaster.telemetry.frame import Game

# --- exact factors ---------------------------------------------------------------

MPS_PER_MPH: Final = 0.44704  # 1 mph = 1609.344 m / 3600 s, exactly
MPS_PER_KMH: Final = 1000.0 / 3600.0
KM_PER_MILE: Final = 1.609344
M_PER_MILE: Final = 1609.344
L_PER_US_GALLON: Final = 3.785411784
KG_PER_LB: Final = 0.45359237


def mps_to_kmh(mps: float) -> float:
    return mps * 3.6


def kmh_to_mps(kmh: float) -> float:
    return kmh / 3.6


def mps_to_mph(mps: float) -> float:
    return mps / MPS_PER_MPH


def mph_to_mps(mph: float) -> float:
    return mph * MPS_PER_MPH


def kmh_to_mph(kmh: float) -> float:
    return kmh / KM_PER_MILE


def mph_to_kmh(mph: float) -> float:
    return mph * KM_PER_MILE


def km_to_miles(km: float) -> float:
    return km / KM_PER_MILE


def miles_to_km(miles: float) -> float:
    return miles * KM_PER_MILE


def m_to_miles(m: float) -> float:
    return m / M_PER_MILE


def miles_to_m(miles: float) -> float:
    return miles * M_PER_MILE


def litres_to_gallons(litres: float) -> float:
    """Litres to US liquid gallons (the contract's and ATS's gallon)."""
    return litres / L_PER_US_GALLON


def gallons_to_litres(gallons: float) -> float:
    return gallons * L_PER_US_GALLON


def kg_to_lb(kg: float) -> float:
    return kg / KG_PER_LB


def lb_to_kg(lb: float) -> float:
    return lb * KG_PER_LB


# --- fuel economy ------------------------------------------------------------------


def l_per_100km(fuel_l: float, distance_km: float) -> float | None:
    """Consumption in litres per 100 km; None where undefined (no distance)."""
    if distance_km <= 0 or fuel_l < 0 or not math.isfinite(fuel_l + distance_km):
        return None
    return fuel_l / distance_km * 100.0


def mpg(fuel_l: float, distance_km: float) -> float | None:
    """Miles per US gallon; None where undefined (no fuel burnt, or no distance).

    Zero fuel over a positive distance would be infinite economy: we report None
    rather than inf so that nothing downstream (averages, JSON) meets an inf."""
    if fuel_l <= 0 or distance_km <= 0 or not math.isfinite(fuel_l + distance_km):
        return None
    return km_to_miles(distance_km) / litres_to_gallons(fuel_l)


def l_per_100km_to_mpg(value: float) -> float | None:
    """Convert l/100km to mpg (US); None for 0 or negative consumption."""
    if value <= 0 or not math.isfinite(value):
        return None
    return 100.0 / value * L_PER_US_GALLON / KM_PER_MILE


# --- unit systems --------------------------------------------------------------------


class UnitSystem(enum.StrEnum):
    METRIC = "metric"
    IMPERIAL = "imperial"


UnitPreference = Literal["metric", "imperial", "auto"]


def unit_system(game: Game, preference: UnitPreference = "auto") -> UnitSystem:
    """The unit system to display for ``game``.

    "auto" follows the game's own default: ATS imperial (mph, miles, gallons, lb),
    ETS2 metric.  An unknown game (no telemetry yet) shows metric, the app's
    internal system.  An explicit "metric"/"imperial" overrides per user choice
    (ATS players on the Canada/Mexico map, ETS2 players in the UK)."""
    if preference == "metric":
        return UnitSystem.METRIC
    if preference == "imperial":
        return UnitSystem.IMPERIAL
    return UnitSystem.IMPERIAL if game is Game.ATS else UnitSystem.METRIC


@dataclass(frozen=True, slots=True)
class Currency:
    code: str  # ISO 4217
    symbol: str


USD: Final = Currency("USD", "$")
EUR: Final = Currency("EUR", "€")
# ISO 4217 "XXX" = no currency: shown for an unknown game rather than guessing one.
NO_CURRENCY: Final = Currency("XXX", "")


def currency_for(game: Game) -> Currency:
    """The in-game currency: ATS pays in US dollars, ETS2 in euros."""
    if game is Game.ATS:
        return USD
    if game is Game.ETS2:
        return EUR
    return NO_CURRENCY


# --- formatters --------------------------------------------------------------------

_MINUS: Final = "-"


def _number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def format_speed(speed_mps: float, system: UnitSystem, decimals: int = 0) -> str:
    """ "88 km/h" / "55 mph".  Reverse speed (negative) is shown as its magnitude:
    a speedometer does not show minus."""
    speed = abs(speed_mps)
    if system is UnitSystem.IMPERIAL:
        return f"{_number(mps_to_mph(speed), decimals)} mph"
    return f"{_number(mps_to_kmh(speed), decimals)} km/h"


def format_distance(distance_km: float, system: UnitSystem, decimals: int = 0) -> str:
    """ "1,234 km" / "767 mi"."""
    if system is UnitSystem.IMPERIAL:
        return f"{_number(km_to_miles(distance_km), decimals)} mi"
    return f"{_number(distance_km, decimals)} km"


def format_route_distance(distance_m: float, system: UnitSystem) -> str:
    """Navigation distance: metres below 1 km ("850 m"), else km with one decimal
    under 10 km; imperial shows miles with one decimal under 10 mi."""
    if system is UnitSystem.IMPERIAL:
        miles = m_to_miles(distance_m)
        return f"{_number(miles, 1 if miles < 10 else 0)} mi"
    if distance_m < 1000:
        return f"{_number(distance_m, 0)} m"
    km = distance_m / 1000.0
    return f"{_number(km, 1 if km < 10 else 0)} km"


def format_volume(litres: float, system: UnitSystem, decimals: int = 0) -> str:
    """ "400 l" / "106 gal" (US gallons)."""
    if system is UnitSystem.IMPERIAL:
        return f"{_number(litres_to_gallons(litres), decimals)} gal"
    return f"{_number(litres, decimals)} l"


def format_mass(kg: float, system: UnitSystem, decimals: int = 0) -> str:
    """ "20,000 kg" / "44,092 lb"."""
    if system is UnitSystem.IMPERIAL:
        return f"{_number(kg_to_lb(kg), decimals)} lb"
    return f"{_number(kg, decimals)} kg"


def format_money(amount: float, currency: Currency, decimals: int = 0) -> str:
    """ "$12,345" / "€12,345" / "-$1,200".  The symbol goes first for both games,
    as the games themselves show it."""
    sign = _MINUS if amount < 0 and round(abs(amount), decimals) != 0 else ""
    return f"{sign}{currency.symbol}{_number(abs(amount), decimals)}"


def format_fuel_economy(fuel_l: float, distance_km: float, system: UnitSystem) -> str:
    """ "32.5 l/100km" (metric) or "7.2 mpg" (imperial); "–" where undefined."""
    if system is UnitSystem.IMPERIAL:
        value = mpg(fuel_l, distance_km)
        return "–" if value is None else f"{value:.1f} mpg"
    value = l_per_100km(fuel_l, distance_km)
    return "–" if value is None else f"{value:.1f} l/100km"


WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_DAY: Final = 24 * 60


def game_day(game_time_min: int) -> int:
    """Day number (1-based) of an absolute game minute: minute 0 is 00:00 of day 1."""
    return game_time_min // MINUTES_PER_DAY + 1


def game_weekday(game_time_min: int) -> str:
    """Weekday of an absolute game minute; day 1 is a Monday (the plugin counts from
    0001-01-01, which was a Monday)."""
    return WEEKDAYS[(game_time_min // MINUTES_PER_DAY) % 7]


def format_game_time(game_time_min: int, *, weekday: bool = False) -> str:
    """ "Day 3 14:05", or "Day 3 (Wed) 14:05" with ``weekday``."""
    minute_of_day = game_time_min % MINUTES_PER_DAY
    clock = f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"
    day = f"Day {game_day(game_time_min)}"
    if weekday:
        day += f" ({game_weekday(game_time_min)})"
    return f"{day} {clock}"


def format_duration(minutes: float) -> str:
    """ "3 h 05 min", "45 min", "0 min"; negative (overdue) gets a leading "-".

    Rounded to the whole minute; hours are not folded into days because driving
    rules and deadlines are read in hours."""
    total = round(abs(minutes))
    sign = _MINUS if minutes < 0 and total != 0 else ""
    hours, mins = divmod(total, 60)
    if hours == 0:
        return f"{sign}{mins} min"
    return f"{sign}{hours} h {mins:02d} min"
