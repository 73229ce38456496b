"""Hours of service from game time: US rules (ATS) and EU 561/2006 (ETS2)."""

from roadmaster.jobs.hos import (
    EU_RULES,
    US_RULES,
    HosClock,
    Limit,
    is_driving,
    rules_for,
)
from roadmaster.telemetry.frame import Game

H = 60


def run(clock, segments, t=0):
    """Feed one observation per game minute: ``segments`` = [(minutes, driving)].
    Returns the clock after a closing observation at the end (still in the last
    state), and the end time."""
    driving = False
    for minutes, driving in segments:
        for _ in range(minutes):
            clock = clock.observe(t, driving)
            t += 1
    return clock.observe(t, driving), t


def test_rules_per_game():
    assert rules_for(Game.ATS) is US_RULES
    assert rules_for(Game.ETS2) is EU_RULES
    assert rules_for(Game.UNKNOWN) is EU_RULES


def test_is_driving():
    assert is_driving(10.0, True, False)
    assert is_driving(-2.0, False, False)  # rolling backwards
    assert is_driving(0.0, True, False)  # engine on, not parked: at the wheel
    assert not is_driving(0.0, True, True)  # parked
    assert not is_driving(0.0, False, False)  # engine off
    assert not is_driving(0.3, False, True)  # creep below 0.5 m/s while parked


def test_fresh_clock_has_everything_left():
    left = HosClock(US_RULES).remaining()
    assert left.until_break_min == 8 * H
    assert left.until_daily_rest_min == 11 * H
    assert left.next_limit is Limit.BREAK
    assert left.daily_rest_needed_min == 0 and left.break_needed_min == 0


# --- ATS / US ------------------------------------------------------------------------


def test_us_break_required_after_8_hours_driving():
    clock, _ = run(HosClock(US_RULES), [(8 * H, True)])
    left = clock.remaining()
    assert left.until_break_min == 0
    assert left.next_limit is Limit.BREAK
    assert left.rule == "30-minute break after 8 h of driving"
    assert left.break_needed_min == 30
    # one more minute: overdue by 1
    clock, _ = run(HosClock(US_RULES), [(8 * H + 1, True)])
    assert clock.remaining().until_break_min == -1


def test_us_30_minute_break_resets_but_29_does_not():
    clock, _ = run(HosClock(US_RULES), [(8 * H, True), (29, False)])
    assert clock.remaining().until_break_min == 0
    assert clock.remaining().break_needed_min == 1
    clock, _ = run(HosClock(US_RULES), [(8 * H, True), (30, False)])
    left = clock.remaining()
    assert left.until_break_min == 8 * H
    assert left.break_needed_min == 0
    assert left.driving_today_min == 8 * H  # the break does not reset the day


def test_us_11_hour_driving_limit():
    # 8 h + 30 min break + 3 h = 11 h driven in 11.5 h of the 14 h window
    clock, _ = run(HosClock(US_RULES), [(8 * H, True), (30, False), (3 * H, True)])
    left = clock.remaining()
    assert left.until_daily_rest_min == 0
    assert left.daily_limit is Limit.DAILY_DRIVING
    assert left.next_limit is Limit.DAILY_DRIVING
    assert left.rule == "11-hour driving limit"
    assert left.daily_rest_needed_min == 10 * H


def test_us_14_hour_window_keeps_running_during_short_rests():
    # 2 h driving, 5 h stop (not a 10 h reset): window left 14 − 7 = 7 h;
    # driving left 11 − 2 = 9 h → the window binds
    clock, _ = run(HosClock(US_RULES), [(2 * H, True), (5 * H, False)])
    left = clock.remaining()
    assert left.daily_limit is Limit.DUTY_WINDOW
    assert left.until_daily_rest_min == 7 * H
    assert left.until_break_min == 8 * H  # 5 h off also counts as the 30-min break
    # 6 more hours driving: 13 h into the window, 1 h left; 8 h driven, 3 h left
    clock, _ = run(clock, [(6 * H, True)], t=7 * H)
    left = clock.remaining()
    assert left.until_daily_rest_min == 1 * H
    assert left.daily_limit is Limit.DUTY_WINDOW
    # break: 6 h driven since the 5 h stop → 2 h left; the window (1 h) comes first
    assert left.until_break_min == 2 * H
    assert left.next_limit is Limit.DUTY_WINDOW
    assert left.rule == "14-hour duty window"


def test_us_10_hours_off_resets_the_day():
    clock, t = run(HosClock(US_RULES), [(8 * H, True), (30, False), (3 * H, True)])
    clock, _ = run(clock, [(10 * H - 1, False)], t=t)
    assert clock.remaining().driving_today_min == 11 * H  # 9 h 59: not yet
    clock, _ = run(HosClock(US_RULES), [(8 * H, True), (30, False), (3 * H, True),
                                        (10 * H, False)])  # fmt: skip
    left = clock.remaining()
    assert left.driving_today_min == 0
    assert left.until_daily_rest_min == 11 * H
    assert left.until_break_min == 8 * H


def test_sleeping_in_game_jumps_time_and_counts_as_rest():
    clock, t = run(HosClock(US_RULES), [(11 * H, True)])
    # the player sleeps: the next observation is 10 h later (driving flag irrelevant)
    clock = clock.observe(t + 10 * H, False)
    assert clock.remaining().driving_today_min == 0
    # a jump straight from driving also counts as rest: nobody drives through it
    clock, t = run(HosClock(US_RULES), [(4 * H, True)])
    clock = clock.observe(t + 45, True)
    assert clock.remaining().driving_since_break_min == 0  # 45 > 30 min break


def test_game_closed_does_not_count_as_rest():
    clock, t = run(HosClock(US_RULES), [(8 * H, True)])
    # the game was closed for a real-world day: the game clock did not move
    clock = clock.observe(t, False).observe(t, True)
    assert clock.remaining().until_break_min == 0


def test_game_clock_going_back_keeps_the_counters():
    clock, t = run(HosClock(US_RULES), [(5 * H, True)])
    clock = clock.observe(t - 3 * H, True)  # an older save
    assert clock.remaining().driving_today_min == 5 * H
    clock = clock.observe(t - 3 * H + 10, True)  # counting resumes from there
    assert clock.remaining().driving_today_min == 5 * H + 10


# --- ETS2 / EU -----------------------------------------------------------------------


def test_eu_45_minute_break_after_4_hours_30():
    clock, _ = run(HosClock(EU_RULES), [(4 * H + 30, True)])
    left = clock.remaining()
    assert left.until_break_min == 0 and left.next_limit is Limit.BREAK
    assert left.break_needed_min == 45
    clock, _ = run(HosClock(EU_RULES), [(4 * H + 30, True), (44, False)])
    assert clock.remaining().until_break_min == 0  # 44 min is not a break
    clock, _ = run(HosClock(EU_RULES), [(4 * H + 30, True), (45, False)])
    assert clock.remaining().until_break_min == 4 * H + 30


def test_eu_split_break_15_then_30():
    clock, t = run(HosClock(EU_RULES), [(2 * H, True), (15, False), (2 * H, True)])
    left = clock.remaining()
    assert left.driving_since_break_min == 4 * H  # the 15 alone resets nothing
    assert left.break_needed_min == 30  # the second part is enough now
    clock, _ = run(clock, [(30, False)], t=t)
    assert clock.remaining().driving_since_break_min == 0


def test_eu_split_break_in_the_wrong_order_or_one_stop_does_not_count():
    # 30 then 15: no break
    clock, _ = run(HosClock(EU_RULES), [(H, True), (30, False), (H, True), (15, False)])
    assert clock.remaining().driving_since_break_min == 2 * H
    # one 40-minute stop is not "15 + 30"
    clock, _ = run(HosClock(EU_RULES), [(H, True), (40, False)])
    assert clock.remaining().driving_since_break_min == H


def test_eu_9_hours_daily_driving():
    clock, _ = run(HosClock(EU_RULES), [(4 * H + 30, True), (45, False), (4 * H + 30, True)])
    left = clock.remaining()
    assert left.driving_today_min == 9 * H
    assert left.until_daily_rest_min == 0
    assert left.daily_limit is Limit.DAILY_DRIVING
    # the break is due at the same moment; the daily limit is the one that matters
    assert left.until_break_min == 0
    assert left.next_limit is Limit.DAILY_DRIVING
    assert left.rule == "9-hour daily driving limit"
    assert left.daily_rest_needed_min == 11 * H


def test_eu_daily_rest_of_11_hours():
    day = [(4 * H + 30, True), (45, False), (4 * H + 30, True)]
    clock, _ = run(HosClock(EU_RULES), [*day, (11 * H - 1, False)])
    assert clock.remaining().driving_today_min == 9 * H  # 10 h 59 is not a daily rest
    clock, _ = run(HosClock(EU_RULES), [*day, (11 * H, False)])
    left = clock.remaining()
    assert left.driving_today_min == 0
    assert left.until_daily_rest_min == 9 * H
    assert left.until_break_min == 4 * H + 30


def test_eu_daily_rest_due_13_hours_into_the_period():
    # 1 h driving, 10 h stop (< 11 h), 1 h driving: 12 h into the period → 1 h left
    clock, _ = run(HosClock(EU_RULES), [(H, True), (10 * H, False), (H, True)])
    left = clock.remaining()
    assert left.daily_limit is Limit.DUTY_WINDOW
    assert left.until_daily_rest_min == H
    assert left.rule == "daily rest within 24 h"


def test_game_rest_stop_is_kept_as_a_hint():
    clock = HosClock(EU_RULES).observe(0, True, rest_stop_min=600)
    clock = clock.observe(1, True)  # no new value: the last one stays
    assert clock.remaining().game_rest_stop_min == 600
    clock = clock.observe(2, True, rest_stop_min=-5)  # overdue in the game's eyes
    assert clock.remaining().game_rest_stop_min == -5
    assert HosClock(EU_RULES).remaining().game_rest_stop_min is None
