"""Achievements unlock once, at the right job; progress for the UI."""

import pytest

from roadmaster.jobs.achievements import (
    ACHIEVEMENTS,
    ATS_STATES,
    CITY_REGIONS,
    ETS2_COUNTRIES,
    REGIONS,
    evaluate,
    progress,
    region_of,
)
from roadmaster.jobs.events import JobStatus
from roadmaster.jobs.standings import FinishedJob
from roadmaster.telemetry.frame import Game

MILE_KM = 1.609344
GAL = 3.785411784


def job(n, *, game=Game.ATS, status=JobStatus.DELIVERED, late=False, damage=0.0,
        km=100.0, fuel_l=0.0, revenue=1000, profit=500.0, src="reno", dst="fresno"):  # fmt: skip
    return FinishedJob(
        job_key=f"j{n}", game=game, status=status, source_city_id=src, source_city=src,
        destination_city_id=dst, destination_city=dst, destination_company_id="c",
        destination_company="C", delivered_late=late, cargo_damage=damage, income=revenue,
        revenue=revenue if status is JobStatus.DELIVERED else 0, net_profit=profit,
        dashboard_profit=profit, distance_km=km, fuel_used_l=fuel_l, damage_taken=0.01,
        finished_game_min=n * 100,
    )  # fmt: skip


def ids(unlocked):
    return {u.achievement.id for u in unlocked}


def by_id(unlocked):
    return {u.achievement.id: u for u in unlocked}


def test_the_seven_dashboard_achievements_are_there():
    dashboard = {a.id for a in ACHIEVEMENTS if a.dashboard}
    assert dashboard == {
        "first_job", "hundred_jobs", "thousand_miles", "profitable_hauler",
        "fuel_efficient", "perfect_delivery", "no_damage",
    }  # fmt: skip
    assert len({a.id for a in ACHIEVEMENTS}) == len(ACHIEVEMENTS)


def test_first_job_unlocks_exactly_once():
    history = [job(0, damage=0.02)]
    first = evaluate(history, set())
    assert ids(first) == {"first_job"}
    assert first[0].job is history[0] and first[0].index == 0
    # stored and passed back: never again, even with more jobs
    history.append(job(1, damage=0.02))
    assert evaluate(history, ids(first)) == []


def test_cancelled_and_review_jobs_do_not_count_as_jobs():
    history = [job(0, status=JobStatus.CANCELLED), job(1, status=JobStatus.NEEDS_REVIEW)]
    assert "first_job" not in ids(evaluate(history, set()))


def test_thousand_miles_at_the_job_that_crosses_it():
    # 3 jobs of 400 mi: 400, 800, 1200 → unlocks at the third (index 2)
    history = [job(n, km=400 * MILE_KM, damage=0.1) for n in range(3)]
    unlocked = by_id(evaluate(history, set()))
    assert unlocked["thousand_miles"].index == 2
    assert unlocked["ats.distance_1k"].index == 2  # ATS distance counts in miles


def test_ets2_distance_counts_kilometres():
    # 600 km + 600 km = 1200 km ≥ 1000 km at index 1, but only 745.6 mi: no thousand_miles
    history = [job(n, game=Game.ETS2, km=600.0, src="berlin", dst="praha") for n in range(2)]
    unlocked = by_id(evaluate(history, set()))
    assert unlocked["ets2.distance_1k"].index == 1
    assert "thousand_miles" not in unlocked
    assert "ats.distance_1k" not in unlocked


def test_perfect_delivery_needs_ten_on_time_in_a_row():
    # 9 on time, 1 late (index 9), then 10 on time (indices 10..19): unlock at 19
    history = [job(n, late=(n == 9)) for n in range(20)]
    assert by_id(evaluate(history, set()))["perfect_delivery"].index == 19
    # a cancellation breaks the streak as well
    history = [job(n) for n in range(5)] + [job(5, status=JobStatus.CANCELLED)]
    history += [job(n) for n in range(6, 15)]  # 9 more: not yet
    assert "perfect_delivery" not in ids(evaluate(history, set()))


def test_no_damage_and_streaks():
    damages = [0.01, 0.0, 0.0, 0.0, 0.0, 0.0000005]  # the last is float noise, still clean
    history = [job(n, damage=d) for n, d in enumerate(damages)]
    unlocked = by_id(evaluate(history, set()))
    assert unlocked["no_damage"].index == 1
    assert unlocked["no_damage_streak_5"].index == 5
    assert "no_damage_streak_25" not in unlocked


def test_profitable_hauler_uses_the_dashboard_profit():
    history = [job(n, profit=4000.0) for n in range(3)]  # 4k, 8k, 12k
    assert by_id(evaluate(history, set()))["profitable_hauler"].index == 2


def test_fuel_efficient_needs_8_mpg_over_at_least_100_miles():
    # 50 mi on 5 gal = 10 mpg: too short to count
    short = [job(0, km=50 * MILE_KM, fuel_l=5 * GAL)]
    assert "fuel_efficient" not in ids(evaluate(short, set()))
    # + 100 mi on 14 gal: 150 mi / 19 gal = 7.89 mpg: not yet
    history = [*short, job(1, km=100 * MILE_KM, fuel_l=14 * GAL)]
    assert "fuel_efficient" not in ids(evaluate(history, set()))
    # + 50 mi on 5 gal: 200 mi / 24 gal = 8.33 mpg: unlocked at index 2
    history.append(job(2, km=50 * MILE_KM, fuel_l=5 * GAL))
    assert by_id(evaluate(history, set()))["fuel_efficient"].index == 2


def test_earnings_per_game():
    history = [job(0, revenue=6000), job(1, game=Game.ETS2, revenue=6000, src="berlin"),
               job(2, revenue=6000)]  # fmt: skip
    unlocked = by_id(evaluate(history, set()))
    assert unlocked["ats.earnings_10k"].index == 2
    assert "ets2.earnings_10k" not in unlocked


def test_every_ats_state():
    first_city = {}
    for city, state in CITY_REGIONS[Game.ATS].items():
        first_city.setdefault(state, city)
    states = sorted(first_city)
    assert set(states) == set(ATS_STATES)
    # one job per state pair, plus an unknown (mod) city that counts for nothing
    history = [job(0, src="modded_town", dst="another_mod_town")]
    history += [job(i + 1, src=first_city[s], dst=first_city[s]) for i, s in enumerate(states)]
    unlocked = by_id(evaluate(history, set()))
    assert unlocked["ats.every_state"].index == len(states)
    before_last = evaluate(history[:-1], set())
    assert "ats.every_state" not in ids(before_last)


def test_every_region_of_the_table_has_a_city():
    for game in (Game.ATS, Game.ETS2):
        assert set(CITY_REGIONS[game].values()) == set(REGIONS[game])
    assert set(REGIONS[Game.ETS2]) == set(ETS2_COUNTRIES)
    assert region_of(Game.ETS2, "Berlin") == "DE"
    assert region_of(Game.ETS2, "praha") == "CZ"  # the simulator's id
    assert region_of(Game.ATS, "carson_city") == "NV"
    assert region_of(Game.ATS, "berlin") is None
    assert region_of(Game.UNKNOWN, "berlin") is None


def test_progress_view():
    history = [job(n, km=100 * MILE_KM, damage=0.0) for n in range(3)]
    view = {p.achievement.id: p for p in progress(history)}
    assert view["first_job"].unlocked and view["first_job"].fraction == 1.0
    assert view["hundred_jobs"].current == 3 and view["hundred_jobs"].target == 100
    assert view["hundred_jobs"].fraction == pytest.approx(0.03)
    assert view["thousand_miles"].current == pytest.approx(300.0)
    assert view["no_damage_streak_5"].current == 3
    assert view["ats.every_state"].current == 2  # reno (NV), fresno (CA)
    assert view["ats.every_state"].target == len(ATS_STATES)
    ets2_only = {p.achievement.id for p in progress(history, Game.ETS2)}
    assert "ets2.distance_1k" in ets2_only and "ats.distance_1k" not in ets2_only
    assert "first_job" in ets2_only


def test_achievement_added_later_unlocks_at_its_historic_job():
    history = [job(n, km=600 * MILE_KM, damage=0.1) for n in range(4)]
    everything_but_miles = {a.id for a in ACHIEVEMENTS} - {"thousand_miles"}
    (late,) = evaluate(history, everything_but_miles)
    assert late.achievement.id == "thousand_miles" and late.index == 1


def test_every_achievement_counts_in_a_unit_a_player_reads() -> None:
    """The progress bars print "current / target unit": a currency sign, a distance, or
    a plural noun — not "money" or "countrys"."""
    from roadmaster.jobs.achievements import RULES
    from roadmaster.telemetry.frame import Game

    units = {r.achievement.id: r.achievement.unit for r in RULES}
    assert set(units.values()) <= {"$", "€", "jobs", "km", "mi", "mpg", "states", "countries"}
    earnings = {
        r.achievement.game: r.achievement.unit for r in RULES if ".earnings_" in r.achievement.id
    }
    assert earnings == {Game.ATS: "$", Game.ETS2: "€"}
