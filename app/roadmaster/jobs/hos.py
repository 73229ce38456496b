"""Hours of service / tachograph rules from game time.

A pure state machine: :class:`HosClock` is immutable and ``observe`` returns the
next state, fed with ``(game_time_min, driving)`` observations (the tracker's
samples).  No wall clock is read: only the game clock counts, so time with the
game closed or paused is neither driving nor rest.

Rule sets (the game decides which applies; see :func:`rules_for`):

* **ATS — US FMCSA property-carrying rules**: 11 h driving and a 14 h on-duty
  window after 10 consecutive hours off duty; a 30-minute break once 8 h of
  driving have accumulated without a 30-minute interruption.
* **ETS2 — EU Regulation 561/2006**: a 45-minute break after 4 h 30 of driving,
  which may be split into 15 min then 30 min (in that order); 9 h daily driving;
  a daily rest of 11 h, to be taken within 24 h of the end of the previous one
  (so at the latest 13 h after the driving period started).

Not modelled (say so in the UI): US 60/70-hour weeks, sleeper-berth splits,
adverse-conditions extension; EU 10 h driving twice a week, reduced (9 h) and
split (3 + 9 h) daily rests, weekly rests and the 56/90 h limits.

**Driving** (:func:`is_driving`): the truck moves (|speed| > 0.5 m/s), or the
engine runs and the parking brake is off — stuck in traffic or at a red light is
still time at the wheel.  Parked with the engine off, or with the parking brake
set, is rest.  Time between two observations is attributed to the state of the
earlier one.

**Gaps**: the game clock advances only while the game runs, so closing the game
adds nothing.  A forward jump larger than ``max_step_min`` between two
observations (sleeping in game, a ferry or train crossing, the app missing
samples) counts as rest: nobody can drive through a clock jump.  A backward jump
(an older save, another profile) cannot be accounted for: the clock resyncs and
keeps its counters, which errs on the side of asking for a break.

The game's own fatigue timer (``common_i.restStop``, minutes until the driver
must sleep) is kept apart as a hint: it follows the game's rules, not the law.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Final

from roadmaster.telemetry.frame import Game

MOVING_MPS: Final = 0.5


def is_driving(speed_mps: float, engine_on: bool, parking_brake: bool) -> bool:
    """Whether the driver is at the wheel (see the module docstring)."""
    return abs(speed_mps) > MOVING_MPS or (engine_on and not parking_brake)


@dataclass(frozen=True, slots=True)
class HosRules:
    name: str
    break_after_driving_min: int
    break_min: int
    split_first_min: int | None  # EU split break: first part ≥ 15 …
    split_second_min: int | None  # … then a second part ≥ 30
    daily_driving_min: int
    duty_window_min: int  # from the start of the duty period to the latest daily rest
    daily_rest_min: int
    max_step_min: int = 15  # a larger jump between observations is rest
    break_rule: str = ""
    driving_rule: str = ""
    window_rule: str = ""


US_RULES: Final = HosRules(
    name="US FMCSA hours of service",
    break_after_driving_min=8 * 60,
    break_min=30,
    split_first_min=None,
    split_second_min=None,
    daily_driving_min=11 * 60,
    duty_window_min=14 * 60,
    daily_rest_min=10 * 60,
    break_rule="30-minute break after 8 h of driving",
    driving_rule="11-hour driving limit",
    window_rule="14-hour duty window",
)

EU_RULES: Final = HosRules(
    name="EU 561/2006 driving times",
    break_after_driving_min=4 * 60 + 30,
    break_min=45,
    split_first_min=15,
    split_second_min=30,
    daily_driving_min=9 * 60,
    duty_window_min=24 * 60 - 11 * 60,
    daily_rest_min=11 * 60,
    break_rule="45-minute break (or 15 + 30) after 4 h 30 of driving",
    driving_rule="9-hour daily driving limit",
    window_rule="daily rest within 24 h",
)


def rules_for(game: Game) -> HosRules:
    """ATS follows the US rules; ETS2 (and an unknown game) the EU rules."""
    return US_RULES if game is Game.ATS else EU_RULES


class Limit(enum.StrEnum):
    BREAK = "break"
    DAILY_DRIVING = "daily_driving"
    DUTY_WINDOW = "duty_window"


@dataclass(frozen=True, slots=True)
class Remaining:
    """What the driver has left.  Minutes of driving, assuming they drive on from
    now without stopping; negative = the limit is exceeded by that much."""

    rules: HosRules
    until_break_min: int
    break_needed_min: int  # how much more stopping would satisfy the break (0: done)
    until_daily_rest_min: int
    daily_limit: Limit  # DAILY_DRIVING or DUTY_WINDOW: whichever ends first
    daily_rest_needed_min: int  # how much more stopping completes the daily rest
    next_limit: Limit
    next_in_min: int
    driving_today_min: int
    driving_since_break_min: int
    current_stop_min: int
    game_rest_stop_min: int | None  # the game's own fatigue timer (hint)

    @property
    def rule(self) -> str:
        """The text of the rule that binds next."""
        if self.next_limit is Limit.BREAK:
            return self.rules.break_rule
        if self.next_limit is Limit.DAILY_DRIVING:
            return self.rules.driving_rule
        return self.rules.window_rule


@dataclass(frozen=True, slots=True)
class HosClock:
    """Immutable HOS state; start with ``HosClock(rules_for(game))`` (fully rested:
    tracking begins when the app first sees the game)."""

    rules: HosRules
    last_t: int | None = None
    last_driving: bool = False
    driving_since_break_min: int = 0
    driving_today_min: int = 0
    window_start: int | None = None  # game minute the duty period started
    stop_min: int = 0  # length of the current stop so far
    stop_satisfied_break: bool = False  # the current stop already counts as the break
    split_pending: bool = False  # EU: a 15-minute first part has been taken
    rest_stop_min: int | None = None

    def observe(
        self,
        game_time_min: int,
        driving: bool,
        rest_stop_min: int | None = None,
        *,
        max_step_min: int | None = None,
    ) -> HosClock:
        """The state after one observation.  ``max_step_min`` replaces the rules'
        gap limit for this step (the history of thinned samples: one a minute of
        wall time is ~20 game minutes of continuous play)."""
        hint = self.rest_stop_min if rest_stop_min is None else rest_stop_min
        if self.last_t is None or game_time_min < self.last_t:
            return replace(self, last_t=game_time_min, last_driving=driving, rest_stop_min=hint)
        step = game_time_min - self.last_t
        limit = self.rules.max_step_min if max_step_min is None else max_step_min
        state = self
        if step > 0:
            if step > limit or not self.last_driving:
                state = state._rest(step)
            else:
                state = state._drive(step, self.last_t)
        return replace(state, last_t=game_time_min, last_driving=driving, rest_stop_min=hint)

    def _drive(self, minutes: int, started_at: int) -> HosClock:
        rules = self.rules
        split_pending = self.split_pending
        # A stop that ended without satisfying the break may be the first part of
        # an EU split break: committed only now, so one stop is never both parts.
        if (
            self.stop_min > 0
            and not self.stop_satisfied_break
            and rules.split_first_min is not None
            and self.stop_min >= rules.split_first_min
        ):
            split_pending = True
        return replace(
            self,
            driving_since_break_min=self.driving_since_break_min + minutes,
            driving_today_min=self.driving_today_min + minutes,
            window_start=started_at if self.window_start is None else self.window_start,
            stop_min=0,
            stop_satisfied_break=False,
            split_pending=split_pending,
        )

    def _rest(self, minutes: int) -> HosClock:
        rules = self.rules
        stop = self.stop_min + minutes
        if stop >= rules.daily_rest_min:
            return replace(
                self,
                stop_min=stop,
                stop_satisfied_break=True,
                driving_since_break_min=0,
                driving_today_min=0,
                window_start=None,
                split_pending=False,
            )
        second = rules.split_second_min
        if stop >= rules.break_min or (
            self.split_pending and second is not None and stop >= second
        ):
            return replace(
                self,
                stop_min=stop,
                stop_satisfied_break=True,
                driving_since_break_min=0,
                split_pending=False,
            )
        return replace(self, stop_min=stop)

    def remaining(self) -> Remaining:
        """Minutes left until the next required break and the required daily rest."""
        rules = self.rules
        until_break = rules.break_after_driving_min - self.driving_since_break_min
        drive_left = rules.daily_driving_min - self.driving_today_min
        if self.window_start is None or self.last_t is None:
            window_left = rules.duty_window_min
        else:
            window_left = self.window_start + rules.duty_window_min - self.last_t
        if drive_left <= window_left:
            daily_limit, until_daily = Limit.DAILY_DRIVING, drive_left
        else:
            daily_limit, until_daily = Limit.DUTY_WINDOW, window_left

        if self.stop_satisfied_break or self.driving_since_break_min == 0:
            break_needed = 0
        else:
            length = rules.break_min
            if self.split_pending and rules.split_second_min is not None:
                length = rules.split_second_min
            break_needed = max(0, length - self.stop_min)

        if until_break < until_daily:
            next_limit, next_in = Limit.BREAK, until_break
        else:
            next_limit, next_in = daily_limit, until_daily
        fresh = self.driving_today_min == 0 and self.window_start is None
        return Remaining(
            rules=rules,
            until_break_min=until_break,
            break_needed_min=break_needed,
            until_daily_rest_min=until_daily,
            daily_limit=daily_limit,
            daily_rest_needed_min=0 if fresh else max(0, rules.daily_rest_min - self.stop_min),
            next_limit=next_limit,
            next_in_min=next_in,
            driving_today_min=self.driving_today_min,
            driving_since_break_min=self.driving_since_break_min,
            current_stop_min=self.stop_min,
            game_rest_stop_min=self.rest_stop_min,
        )
