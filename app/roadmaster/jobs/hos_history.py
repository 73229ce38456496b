"""Hours-of-service history: driving time and rule violations per game day.

A fold of the stored samples, in the order they were recorded, through
:class:`~roadmaster.jobs.hos.HosClock` (one clock per game: each game has its own
clock and rules).  Per game day (``game_time_min // 1440``) it keeps the minutes
driven, how many times the break rule and the daily limit (daily driving, or the
US duty window) were broken, and the wall-clock span in which the day was seen (for
the period selector).  A violation counts once per stretch over the limit, on the
day it began.

Pure: no I/O.  The fold's state is a JSON value, so the storage layer can keep it
between runs and feed only the samples recorded since (see
``roadmaster.storage.hos_log``).

Driving time between two observations is the earlier one's state (as the clock
counts it).  A jump of the game clock is rest (sleeping, a ferry): a step longer
than the rules' ``max_step_min`` *and* longer than the wall time between the two
samples could explain at the games' time scale (about 20 game minutes per real
minute; :data:`GAME_MIN_PER_WALL_S` with a margin).  So samples thinned to one a
real minute (``roadmaster prune``), ~20 game minutes apart, still count as the
continuous play they were, while a sleep (hours of game time within seconds) is rest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from roadmaster.jobs.hos import HosClock, rules_for
from roadmaster.telemetry.frame import Game

DAY_MIN: Final = 24 * 60
#: Game minutes per real second the gap rule allows: the games run at ~1:20
#: (a third of a game minute per second), with a margin of one half.
GAME_MIN_PER_WALL_S: Final = 0.5
HOS_FORMAT: Final = 1
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # game day 0: Monday
_CLOCK_FIELDS: Final = tuple(f.name for f in dataclasses.fields(HosClock) if f.name != "rules")


@dataclass(frozen=True, slots=True)
class HosDay:
    """One game day of one game."""

    game: Game
    day: int  # game_time_min // 1440
    driving_min: int
    limit_min: int  # the daily driving limit of the game's rules
    break_violations: int
    daily_violations: int
    first_seen: str  # wall clock (UTC, ISO text as stored) of the day's first sample
    last_seen: str

    @property
    def over_limit(self) -> bool:
        return self.driving_min > self.limit_min or self.daily_violations > 0

    @property
    def violations(self) -> int:
        return self.break_violations + self.daily_violations

    @property
    def label(self) -> str:
        """``Tue · day 12`` (the game's weekday and day number)."""
        return f"{WEEKDAYS[self.day % 7]} · day {self.day}"


@dataclass(slots=True)
class _Day:
    driving_min: int = 0
    break_violations: int = 0
    daily_violations: int = 0
    first_seen: str = ""
    last_seen: str = ""


@dataclass(slots=True)
class _GameFold:
    clock: HosClock
    over_break: bool = False  # in a stretch over the break rule (counted already)
    over_daily: bool = False
    last_wall_s: float = 0.0  # wall clock of the last observation (epoch seconds)


def _day_json(game: Game, number: int, d: _Day) -> list[object]:
    return [game.value, number, d.driving_min, d.break_violations, d.daily_violations,
            d.first_seen, d.last_seen]  # fmt: skip


class HosFold:
    """The running fold; :meth:`feed` one observation at a time, in recorded order."""

    def __init__(self) -> None:
        self._games: dict[Game, _GameFold] = {}
        self._days: dict[tuple[Game, int], _Day] = {}

    def feed(
        self, game: Game, game_time_min: int, driving: bool, recorded_at: str, wall_s: float
    ) -> None:
        """One observation: the game's clock, whether the driver is at the wheel
        (:func:`roadmaster.jobs.hos.is_driving`) and when it was recorded (as
        stored text, and as epoch seconds)."""
        fold = self._games.get(game)
        if fold is None:
            fold = self._games[game] = _GameFold(HosClock(rules_for(game)))
        day = self._day(game, game_time_min // DAY_MIN, recorded_at)
        day.last_seen = recorded_at
        clock = fold.clock
        if clock.last_t == game_time_min and clock.last_driving == driving:
            return  # nothing new for the clock (several samples per game minute)
        previous_t, was_driving = clock.last_t, clock.last_driving
        rules = clock.rules
        wall_step = max(0.0, wall_s - fold.last_wall_s)
        fold.last_wall_s = wall_s
        max_step = max(rules.max_step_min, int(wall_step * GAME_MIN_PER_WALL_S))
        clock = fold.clock = clock.observe(game_time_min, driving, max_step_min=max_step)
        if previous_t is None or game_time_min <= previous_t:
            return
        step = game_time_min - previous_t
        if not was_driving or step > max_step:
            if not clock.driving_since_break_min:
                fold.over_break = False
            if not clock.driving_today_min:
                fold.over_daily = False
            return
        t = previous_t
        while t < game_time_min:  # minutes driven, split at midnight
            end = min(game_time_min, (t // DAY_MIN + 1) * DAY_MIN)
            self._day(game, t // DAY_MIN, recorded_at).driving_min += end - t
            t = end
        over_break = clock.driving_since_break_min > rules.break_after_driving_min
        if over_break and not fold.over_break:
            day.break_violations += 1
        fold.over_break = over_break
        window = clock.window_start
        over_daily = clock.driving_today_min > rules.daily_driving_min or (
            window is not None and game_time_min - window > rules.duty_window_min
        )
        if over_daily and not fold.over_daily:
            day.daily_violations += 1
        fold.over_daily = over_daily

    def _day(self, game: Game, number: int, recorded_at: str) -> _Day:
        day = self._days.get((game, number))
        if day is None:
            day = self._days[(game, number)] = _Day(first_seen=recorded_at, last_seen=recorded_at)
        return day

    def days(self) -> list[HosDay]:
        """Every day seen, per game in day order."""
        out = []
        ordered = sorted(self._days.items(), key=lambda kv: (kv[0][0].value, kv[0][1]))
        for (game, number), d in ordered:
            out.append(
                HosDay(game, number, d.driving_min, rules_for(game).daily_driving_min,
                       d.break_violations, d.daily_violations, d.first_seen, d.last_seen)
            )  # fmt: skip
        return out

    # --- storing -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": HOS_FORMAT,
            "games": {
                g.value: {
                    "clock": {name: getattr(f.clock, name) for name in _CLOCK_FIELDS},
                    "over_break": f.over_break,
                    "over_daily": f.over_daily,
                    "last_wall_s": f.last_wall_s,
                }
                for g, f in self._games.items()
            },
            "days": [_day_json(g, n, d) for (g, n), d in self._days.items()],
        }

    @classmethod
    def from_json(cls, value: object) -> HosFold | None:
        """The fold stored by :meth:`to_json`, or None (none, another format, damaged):
        the caller folds the samples again from the first."""
        if not isinstance(value, Mapping) or value.get("format") != HOS_FORMAT:
            return None
        fold = cls()
        try:
            for key, stored in value["games"].items():
                game = Game(key)
                clock = HosClock(rules_for(game), **{n: stored["clock"][n] for n in _CLOCK_FIELDS})
                fold._games[game] = _GameFold(
                    clock,
                    bool(stored["over_break"]),
                    bool(stored["over_daily"]),
                    float(stored["last_wall_s"]),
                )
            for g, n, driving, breaks, daily, first, last in value["days"]:
                fold._days[(Game(g), int(n))] = _Day(
                    int(driving), int(breaks), int(daily), str(first), str(last)
                )
        except (KeyError, TypeError, ValueError):
            return None
        return fold
