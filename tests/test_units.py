"""Exact conversions, unit systems, currencies and display formatters."""

import math

import pytest

from roadmaster.telemetry.frame import Game
from roadmaster.units import (
    EUR,
    NO_CURRENCY,
    USD,
    UnitSystem,
    currency_for,
    format_distance,
    format_duration,
    format_fuel_economy,
    format_game_time,
    format_mass,
    format_money,
    format_route_distance,
    format_speed,
    format_volume,
    gallons_to_litres,
    game_weekday,
    kg_to_lb,
    km_to_miles,
    kmh_to_mph,
    l_per_100km,
    l_per_100km_to_mpg,
    lb_to_kg,
    litres_to_gallons,
    m_to_miles,
    miles_to_km,
    mpg,
    mph_to_mps,
    mps_to_kmh,
    mps_to_mph,
    unit_system,
)

IMP = UnitSystem.IMPERIAL
MET = UnitSystem.METRIC


def test_exact_definitions():
    assert mph_to_mps(1) == 0.44704
    assert miles_to_km(1) == 1.609344
    assert gallons_to_litres(1) == 3.785411784
    assert lb_to_kg(1) == 0.45359237
    assert m_to_miles(1609.344) == 1.0


def test_round_trips_and_known_values():
    # 100 km/h = 100 / 1.609344 mph = 62.1371192…
    assert kmh_to_mph(100) == pytest.approx(62.13711922, abs=1e-8)
    # 25 m/s = 90 km/h; 25 / 0.44704 = 55.9234073…
    assert mps_to_kmh(25) == pytest.approx(90.0)
    assert mps_to_mph(25) == pytest.approx(55.92340730, abs=1e-8)
    assert km_to_miles(miles_to_km(123.4)) == pytest.approx(123.4)
    assert litres_to_gallons(gallons_to_litres(7.5)) == pytest.approx(7.5)
    # 20,000 kg / 0.45359237 = 44,092.452… lb
    assert kg_to_lb(20_000) == pytest.approx(44_092.452437, abs=1e-6)


def test_fuel_economy_and_undefined_cases():
    # 378.5411784 l = 100 gal over 804.672 km = 500 mi → 5 mpg;
    # l/100km = 378.5411784 / 804.672 × 100 = 47.0429166… (= 235.2145833 / 5 mpg)
    assert mpg(378.5411784, 804.672) == pytest.approx(5.0)
    assert l_per_100km(378.5411784, 804.672) == pytest.approx(47.04291667, abs=1e-8)
    assert l_per_100km_to_mpg(47.04291667) == pytest.approx(5.0, abs=1e-8)
    assert mpg(0, 100) is None  # nothing burnt: undefined, not inf
    assert mpg(10, 0) is None
    assert l_per_100km(10, 0) is None
    assert l_per_100km(math.nan, 10) is None
    assert l_per_100km_to_mpg(0) is None


def test_unit_system_per_game_and_overrides():
    assert unit_system(Game.ATS) is IMP
    assert unit_system(Game.ETS2) is MET
    assert unit_system(Game.UNKNOWN) is MET
    assert unit_system(Game.ATS, "metric") is MET
    assert unit_system(Game.ETS2, "imperial") is IMP
    assert unit_system(Game.ETS2, "auto") is MET


def test_currency_per_game():
    assert currency_for(Game.ATS) == USD and USD.symbol == "$"
    assert currency_for(Game.ETS2) == EUR and EUR.symbol == "€"
    assert currency_for(Game.UNKNOWN) == NO_CURRENCY


def test_formatters():
    assert format_speed(25, MET) == "90 km/h"
    assert format_speed(25, IMP) == "56 mph"
    assert format_speed(-5, MET) == "18 km/h"  # reversing: magnitude
    assert format_distance(1234.4, MET) == "1,234 km"
    assert format_distance(804.672, IMP) == "500 mi"
    assert format_route_distance(850, MET) == "850 m"
    assert format_route_distance(2500, MET) == "2.5 km"
    assert format_route_distance(1609.344 * 3, IMP) == "3.0 mi"
    assert format_volume(400, MET) == "400 l"
    assert format_volume(378.5411784, IMP) == "100 gal"
    assert format_mass(20_000, MET) == "20,000 kg"
    assert format_mass(20_000, IMP) == "44,092 lb"
    assert format_money(12_345, USD) == "$12,345"
    assert format_money(-1_200, EUR) == "-€1,200"
    assert format_money(-0.2, EUR) == "€0"  # no "-0"
    assert format_fuel_economy(378.5411784, 804.672, IMP) == "5.0 mpg"
    assert format_fuel_economy(378.5411784, 804.672, MET) == "47.0 l/100km"
    assert format_fuel_economy(0, 804.672, IMP) == "–"


def test_game_time_day_one_is_monday():
    assert format_game_time(0) == "Day 1 00:00"
    assert game_weekday(0) == "Mon"
    # day 3 = 2 × 1440 min; 14:05 = 845 min → 2880 + 845 = 3725
    assert format_game_time(3725) == "Day 3 14:05"
    assert format_game_time(3725, weekday=True) == "Day 3 (Wed) 14:05"
    # day 8 is a Monday again: 7 × 1440 = 10080
    assert game_weekday(10_080) == "Mon"


def test_durations():
    assert format_duration(185) == "3 h 05 min"
    assert format_duration(45) == "45 min"
    assert format_duration(0) == "0 min"
    assert format_duration(-30) == "-30 min"
    assert format_duration(660) == "11 h 00 min"
    assert format_duration(59.6) == "1 h 00 min"
