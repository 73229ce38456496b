"""Per-job P&L and the dashboard's safety score (hand-computed cases)."""

import math

import pytest

from roadmaster.jobs.economics import (
    EconomySettings,
    Expenses,
    cancelled_economics,
    delivered_economics,
    job_economics,
    safety_score,
    sum_expenses,
    truck_damage_fraction,
)
from roadmaster.jobs.events import (
    Fined,
    JobCancelled,
    JobDelivered,
    JobStats,
    RefuelPaid,
    TollPaid,
    Transport,
    Wear,
)
from tests.factories import job_info

GAL = 3.785411784  # litres per US gallon
MILE_KM = 1.609344
MPH = 0.44704  # m/s


info = job_info


def test_dashboard_defaults():
    settings = EconomySettings()
    # 4.05 $/gal ÷ 3.785411784 l/gal = 1.06988… per litre
    assert settings.fuel_price_per_l == pytest.approx(4.05 / GAL)
    assert settings.repair_cost_full == 10_000
    assert EconomySettings.from_gallon_price(5.0).fuel_price_per_l == pytest.approx(5.0 / GAL)


def test_hand_computed_delivered_job():
    econ = job_economics(
        income=20_000,
        revenue=19_000,
        fuel_used_l=100 * GAL,  # 100 gal
        damage_taken=0.05,
        distance_km=500 * MILE_KM,  # 500 mi
        delivered_late=False,
        avg_speed_mps=25.0,  # 55.9 mph
        expenses=Expenses(fines=500, tolls=100, ferry=300),
    )
    # fuel 100 gal × 4.05 = 405; damage 0.05 × 10,000 = 500 (linear, not ÷ 100)
    assert econ.fuel_cost == pytest.approx(405.0)
    assert econ.damage_cost == pytest.approx(500.0)
    assert econ.expenses.total == 900
    # dashboard: 20,000 − 405 − 500 = 19,095
    assert econ.dashboard_profit == pytest.approx(19_095.0)
    # net: 19,000 − 405 − 500 − 900 = 17,195
    assert econ.net_profit == pytest.approx(17_195.0)
    assert not econ.projected
    # 17,195 / 500 mi = 34.39; / 804.672 km = 21.3687…
    assert econ.profit_per_mile == pytest.approx(34.39)
    assert econ.profit_per_km == pytest.approx(17_195 / 804.672)
    # 500 mi / 100 gal = 5 mpg; 47.0429… l/100km
    assert econ.mpg == pytest.approx(5.0)
    assert econ.l_per_100km == pytest.approx(47.04291667)
    # safety: 100 − 0 (55.9 mph) − 20×0.05=1 − 0 (on time) − (6−5)×15=15 → 84.0
    assert econ.safety_score == 84.0


@pytest.mark.parametrize(
    ("speed_mph", "damage", "late", "mpg", "expected"),
    [
        (60, 0.0, False, 7.0, 100.0),  # clean
        (65, 0.0, False, 6.0, 100.0),  # exactly 65 is not "over"; exactly 6 mpg costs 0
        (65.1, 0.0, False, 6.0, 80.0),  # −20 speeding
        (60, 0.5, True, 3.0, 30.0),  # 100 − 10 − 30 − 30 = 30
        (70, 2.0, True, 3.0, 0.0),  # 100 − 20 − 20 (capped) − 30 − 30 = 0
        (60, 0.0, False, 4.5, 77.5),  # −(6 − 4.5) × 15 = −22.5
        (60, 0.0, False, 4.0, 70.0),  # ≤ 4 mpg → −30
        (60, 0.01234, False, 5.9833, 99.5),  # 100 − 0.2468 − 0.2505 = 99.5027 → 99.5
        (60, 0.0, False, None, 100.0),  # undefined economy: no penalty
    ],
)
def test_safety_score(speed_mph, damage, late, mpg, expected):
    score = safety_score(
        avg_speed_mps=speed_mph * MPH,
        damage_taken=damage,
        delivered_late=late,
        fuel_economy_mpg=mpg,
    )
    assert score == expected


def test_safety_score_rounds_half_up_to_one_decimal():
    # 100 − 20 × 0.0175 = 99.65 → 99.7 (SQL ROUND is half away from zero; Python's
    # round() would be free to give 99.6)
    score = safety_score(
        avg_speed_mps=0, damage_taken=0.0175, delivered_late=False, fuel_economy_mpg=None
    )
    assert score == 99.7


def test_zero_distance_and_zero_fuel_give_none_not_division_errors():
    econ = job_economics(
        income=1000, revenue=1000, fuel_used_l=0.0, damage_taken=0.0, distance_km=0.0,
        delivered_late=False, avg_speed_mps=0.0,
    )  # fmt: skip
    assert econ.profit_per_km is None and econ.profit_per_mile is None
    assert econ.mpg is None and econ.l_per_100km is None
    assert econ.safety_score == 100.0
    assert econ.net_profit == 1000

    no_fuel = job_economics(
        income=1000, revenue=1000, fuel_used_l=0.0, damage_taken=0.0, distance_km=50.0,
        delivered_late=False, avg_speed_mps=20.0,
    )  # fmt: skip
    assert no_fuel.mpg is None
    assert no_fuel.l_per_100km == 0.0
    assert no_fuel.profit_per_km == pytest.approx(20.0)  # 1000 / 50


def test_nan_inputs_do_not_poison_the_result():
    econ = job_economics(
        income=1000, revenue=1000, fuel_used_l=math.nan, damage_taken=math.nan,
        distance_km=math.inf, delivered_late=False, avg_speed_mps=0.0,
    )  # fmt: skip
    assert econ.fuel_cost == 0 and econ.damage_cost == 0
    assert econ.profit_per_km is None
    assert math.isfinite(econ.net_profit)


def test_open_job_is_projected_on_income():
    econ = job_economics(
        income=5000, revenue=None, fuel_used_l=10 * GAL, damage_taken=0.0, distance_km=100,
        delivered_late=False, avg_speed_mps=20,
    )  # fmt: skip
    # 5000 − 10 gal × 4.05 = 4959.5
    assert econ.projected
    assert econ.revenue == 5000
    assert econ.net_profit == pytest.approx(4959.5)


def test_cancelled_job_pays_nothing_and_costs_its_penalty():
    stats = JobStats(distance_km=100.0, fuel_used_l=20 * GAL, avg_speed_mps=20.0,
                     wear_start=Wear(), wear_end=Wear(engine=0.05, chassis=0.05))  # fmt: skip
    event = JobCancelled(t_s=1.0, game_time_min=2000, job_key="k1", info=info(), stats=stats,
                         penalty=2000, finished_game_min=2000)  # fmt: skip
    econ = cancelled_economics(event, Expenses(tolls=50))
    # damage: mean of 5 truck components = (0.05 + 0.05) / 5 = 0.02 → 200
    # fuel 20 gal × 4.05 = 81; net = 0 − 81 − 200 − 50 − 2000 = −2331
    assert econ.revenue == 0 and econ.penalty == 2000
    assert econ.damage_cost == pytest.approx(200.0)
    assert econ.net_profit == pytest.approx(-2331.0)
    # the dashboard never hears of a cancelled job; its formula on income would say
    # 20,000 − 81 − 200 = 19,719
    assert econ.dashboard_profit == pytest.approx(19_719.0)


def test_delivered_event_uses_odometer_distance_and_truck_damage():
    stats = JobStats(
        distance_km=500 * MILE_KM,
        fuel_used_l=100 * GAL,
        avg_speed_mps=30.0,
        wear_start=Wear(engine=0.1),
        wear_end=Wear(engine=0.2, trailer=0.9),
    )
    event = JobDelivered(
        t_s=1.0, game_time_min=3000, job_key="k2", info=info(), stats=stats, revenue=18_000,
        xp=500, cargo_damage=0.02, distance_km=790.0, delivery_time_min=600,
        finished_game_min=3000, autopark_used=False, autoload_used=False, late=True,
    )  # fmt: skip
    econ = delivered_economics(event)
    # damage taken: engine 0.1 over 5 components = 0.02 (trailer not the player's)
    assert econ.damage_taken == pytest.approx(0.02)
    assert econ.distance_km == pytest.approx(804.672)
    # safety: 30 m/s = 67.1 mph → −20; −0.4 damage; −30 late; 5 mpg → −15 → 34.6
    assert econ.safety_score == 34.6
    # net = 18,000 − 405 − 200 = 17,395
    assert econ.net_profit == pytest.approx(17_395.0)


def test_delivered_event_falls_back_on_game_distance():
    event = JobDelivered(
        t_s=1.0, game_time_min=3000, job_key="k3", info=info(), stats=JobStats(),
        revenue=18_000, xp=500, cargo_damage=0.0, distance_km=790.0, delivery_time_min=600,
        finished_game_min=3000, autopark_used=False, autoload_used=False, late=False,
    )  # fmt: skip
    assert delivered_economics(event).distance_km == 790.0


def test_truck_damage_fraction_is_the_mean_of_the_five_truck_components():
    wear = Wear(engine=0.1, transmission=0.2, cabin=0.3, chassis=0.4, wheels=0.5, trailer=0.9)
    # (0.1 + 0.2 + 0.3 + 0.4 + 0.5) / 5 = 0.3
    assert truck_damage_fraction(wear) == pytest.approx(0.3)
    assert truck_damage_fraction(Wear()) == 0.0
    assert truck_damage_fraction(Wear(engine=math.nan, wheels=0.5)) == pytest.approx(0.1)


def test_sum_expenses_by_kind_and_job():
    events = [
        Fined(t_s=0, game_time_min=0, job_key="a", offence="speeding", amount=300),
        Fined(t_s=0, game_time_min=0, job_key="b", offence="crash", amount=999),
        TollPaid(t_s=0, game_time_min=0, job_key="a", amount=40),
        Transport(t_s=0, game_time_min=0, job_key="a", kind="ferry", amount=500,
                  source_name="Calais", target_name="Dover", source_id="calais",
                  target_id="dover"),
        Transport(t_s=0, game_time_min=0, job_key="a", kind="train", amount=700,
                  source_name="Calais", target_name="Folkestone", source_id="calais",
                  target_id="folkestone"),
        RefuelPaid(t_s=0, game_time_min=0, job_key="a", amount_l=300.0),
    ]  # fmt: skip
    spent = sum_expenses(events, "a")
    assert spent == Expenses(fines=300, tolls=40, ferry=500, train=700)
    assert spent.transport == 1200 and spent.total == 1540
    assert sum_expenses(events).fines == 1299
