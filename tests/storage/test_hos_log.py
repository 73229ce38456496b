"""The hours-of-service history from a real SQLite log with known driving: hours
per game day, a day over the EU 9-hour limit flagged, a missed break counted, the
same figures (within a thinned sample's step) after ``prune`` thinned the samples
to one a minute, and only new samples read on the next call."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from roadmaster.jobs.events import JobStarted
from roadmaster.jobs.hos_history import HosDay
from roadmaster.runtime.joblog import JobLogService
from roadmaster.storage import Store, hos_log
from roadmaster.storage.prune import thin_samples
from roadmaster.telemetry.frame import Game
from tests.factories import make_info, make_sample
from tests.fakes import FakeClock

DAY = 24 * 60
#: (game minute it starts, minutes, driving?) — 3 samples a game minute, 1 s apart
#: (the games run at ~1:20), as the 1 Hz capture records them.
SCHEDULE = (
    # day 0: 4 h 30, 45 min break, 4 h 30, 45 min break, 1 h → 10 h driving: over 9 h
    (6 * 60, 270, True),
    (6 * 60 + 270, 45, False),
    (6 * 60 + 315, 270, True),
    (6 * 60 + 585, 45, False),
    (6 * 60 + 630, 60, True),
    (6 * 60 + 690, 10, False),
    # (slept: the game clock jumps to 06:00 next day within seconds)
    # day 1: 4 h, then parked
    (DAY + 6 * 60, 240, True),
    (DAY + 6 * 60 + 240, 10, False),
    # day 2: 5 h without a break: the break rule (4 h 30) is broken once
    (2 * DAY + 6 * 60, 300, True),
    (2 * DAY + 6 * 60 + 300, 10, False),
)


def _drive(store: Store, clock: FakeClock, schedule: tuple[tuple[int, int, bool], ...]) -> None:
    info = make_info(1, game=Game.ETS2)
    store.apply([JobStarted(t_s=0.0, game_time_min=6 * 60, job_key="j", info=info, resumed=False)])
    t = 0.0
    last_end: int | None = None
    for start, minutes, driving in schedule:
        if last_end is not None and start != last_end:
            clock.advance(seconds=5)  # sleeping: hours of game time within seconds
        for minute in range(start, start + minutes):
            for _ in range(3):
                sample = dataclasses.replace(
                    make_sample(t, "j"),
                    game_time_min=minute,
                    speed_mps=20.0 if driving else 0.0,
                    engine_rpm=1300.0 if driving else 0.0,
                    park_brake=not driving,
                )
                store.apply([sample])
                clock.advance(seconds=1)
                t += 1.0
        last_end = start + minutes


@pytest.fixture
def log(tmp_path: Path) -> Iterator[tuple[Store, FakeClock]]:
    clock = FakeClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    store = Store.open(tmp_path / "data", clock=clock)
    _drive(store, clock, SCHEDULE)
    yield store, clock
    store.close()


def _by_day(days: list[HosDay] | tuple[HosDay, ...]) -> dict[int, HosDay]:
    return {d.day: d for d in days}


def test_hours_per_game_day_and_the_day_over_the_limit(log: tuple[Store, FakeClock]) -> None:
    store, clock = log
    days = _by_day(hos_log.hos_days(store.engine))
    assert sorted(days) == [0, 1, 2]
    assert [days[d].driving_min for d in (0, 1, 2)] == [600, 240, 300]
    assert all(d.limit_min == 9 * 60 and d.game is Game.ETS2 for d in days.values())
    assert days[0].over_limit and days[0].daily_violations == 1
    assert days[0].break_violations == 0  # both breaks taken in time
    assert not days[1].over_limit and days[1].violations == 0
    assert days[2].break_violations == 1 and not days[2].over_limit
    assert days[0].label == "Mon · day 0"

    # through the facade the analytics use: the game and the period select the days
    service = JobLogService(store.engine, clock)
    assert [d.day for d in service.hos_history("all", Game.ETS2)] == [0, 1, 2]
    assert service.hos_history("all", Game.ATS) == ()
    clock.advance(days=45)
    assert service.hos_history("30d", Game.ETS2) == ()
    assert len(service.hos_history("90d", Game.ETS2)) == 3


def test_thinned_samples_still_give_the_hours(log: tuple[Store, FakeClock]) -> None:
    """``prune`` keeps one sample a real minute, ~20 game minutes apart (more than
    the clock's 15-minute gap rule): each day's hours stay within a thinned step
    per stretch of the truth, and the flags stay where they were."""
    store, clock = log
    seen, deleted = thin_samples(store.engine, before=clock() + timedelta(minutes=1))
    assert deleted > seen // 2
    days = _by_day(hos_log.hos_days(store.engine))
    assert sorted(days) == [0, 1, 2]
    for day, truth in ((0, 600), (1, 240), (2, 300)):
        assert abs(days[day].driving_min - truth) <= 3 * 20, (day, days[day].driving_min)
    assert days[0].over_limit and not days[1].over_limit
    assert days[2].break_violations == 1


def test_a_sleep_in_the_game_is_rest_not_driving(tmp_path: Path) -> None:
    """Two hours of driving, then the game clock jumps 10 h while the driver sleeps
    (a few seconds of wall time) and the truck moves off: nothing of the jump is
    driving, and the sleep resets the day."""
    clock = FakeClock()
    store = Store.open(tmp_path / "data", clock=clock)
    try:
        _drive(store, clock, ((6 * 60, 120, True), (16 * 60, 60, True)))
        (day,) = hos_log.hos_days(store.engine)
        # 119 + 59: what followed each stretch's last sample is not known, and the
        # ten hours of the jump count for nothing
        assert day.driving_min == 178
    finally:
        store.close()


def test_the_next_call_reads_only_the_new_samples(log: tuple[Store, FakeClock]) -> None:
    store, clock = log
    first = hos_log.hos_days(store.engine)
    stored = store.get_setting(hos_log.HOS_KEY)
    assert stored is not None and stored["last_sample_id"] > 0
    # more driving on day 2: the fold goes on from the stored state
    _drive_more = ((2 * DAY + 6 * 60 + 310, 30, True), (2 * DAY + 6 * 60 + 340, 5, False))
    for start, minutes, driving in _drive_more:
        for minute in range(start, start + minutes):
            sample = dataclasses.replace(
                make_sample(0.0, "j"),
                game_time_min=minute,
                speed_mps=20.0 if driving else 0.0,
                engine_rpm=1300.0 if driving else 0.0,
                park_brake=not driving,
            )
            store.apply([sample])
            clock.advance(seconds=3)
    after = _by_day(hos_log.hos_days(store.engine))
    assert after[2].driving_min == _by_day(first)[2].driving_min + 30
    # and equal to folding everything again from the first sample
    with store.engine.begin() as conn:
        hos_log.drop(conn)
    assert _by_day(hos_log.hos_days(store.engine)) == after
