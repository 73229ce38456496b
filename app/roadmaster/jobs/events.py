"""What the tracker reports: immutable events in the game's units.

Every event carries ``t_s`` (the source's clock, seconds) and ``game_time_min``
(absolute game minutes).  Job events carry the tracker's ``job_key``, stable for
one job across profile reloads and app restarts, so storage can find the row.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from roadmaster.telemetry.frame import Game

if TYPE_CHECKING:
    from roadmaster.jobs.pnl import JobEconomics


class JobStatus(enum.StrEnum):
    OPEN = "open"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"
    NEEDS_REVIEW = "needs-review"


@dataclass(frozen=True, slots=True)
class Wear:
    """Wear fractions 0..1 of each component (trailer: the first attached trailer's
    worst of chassis/wheels/body)."""

    engine: float = 0.0
    transmission: float = 0.0
    cabin: float = 0.0
    chassis: float = 0.0
    wheels: float = 0.0
    trailer: float = 0.0

    def minus(self, other: Wear) -> Wear:
        """Damage taken between ``other`` (start) and ``self`` (end); never negative
        (a repair during the job does not make damage negative)."""
        return Wear(
            *(max(0.0, a - b) for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True))
        )

    def as_tuple(self) -> tuple[float, float, float, float, float, float]:
        return (self.engine, self.transmission, self.cabin, self.chassis, self.wheels, self.trailer)

    @property
    def total(self) -> float:
        """Mean over the truck's five components and the trailer (0..1)."""
        values = self.as_tuple()
        return sum(values) / len(values)


@dataclass(frozen=True, slots=True)
class JobInfo:
    """The job description as the game gave it (cached: the plugin clears it in
    the frame where the job ends)."""

    game: Game
    cargo_id: str
    cargo: str
    cargo_mass_kg: float
    source_city_id: str
    source_city: str
    source_company_id: str
    source_company: str
    destination_city_id: str
    destination_city: str
    destination_company_id: str
    destination_company: str
    income: int
    planned_distance_km: int
    deadline_game_min: int
    job_market: str
    special_job: bool
    started_game_min: int

    def identity(self) -> tuple[object, ...]:
        """What makes two sightings the same job: after a profile reload ``onJob``
        rises again with the same cargo, cities, companies, income and deadline."""
        return (
            self.game,
            self.cargo_id,
            self.source_city_id,
            self.source_company_id,
            self.destination_city_id,
            self.destination_company_id,
            self.income,
            self.deadline_game_min,
        )


@dataclass(frozen=True, slots=True)
class JobStats:
    """Per-job accumulators, from frames (game units)."""

    distance_km: float = 0.0  # odometer delta while on the job
    fuel_used_l: float = 0.0  # burnt, refuels excluded
    refuelled_l: float = 0.0
    avg_speed_mps: float = 0.0  # over time moving
    max_speed_mps: float = 0.0
    avg_rpm: float = 0.0  # over time with the engine on
    speeding_s: float = 0.0  # time over the speed limit (+ tolerance)
    idle_s: float = 0.0  # engine on, standing still
    cruise_s: float = 0.0
    driving_s: float = 0.0  # moving
    real_s: float = 0.0  # source-clock seconds on the job (not paused)
    game_min: int = 0
    wear_start: Wear = field(default_factory=Wear)
    wear_end: Wear = field(default_factory=Wear)
    cargo_damage: float = 0.0
    # expenses paid while on the job (native currency), so a job's P&L needs no query
    fines_total: int = 0
    fines_count: int = 0
    tolls_total: int = 0
    ferry_total: int = 0
    train_total: int = 0

    @property
    def damage_taken(self) -> Wear:
        return self.wear_end.minus(self.wear_start)

    @property
    def cruise_share(self) -> float:
        return self.cruise_s / self.driving_s if self.driving_s > 0 else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    t_s: float
    game_time_min: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GameConnected(Event):
    game: Game
    revision: int
    telemetry_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GameDisconnected(Event):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GamePaused(Event):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class GameResumed(Event):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class GameStale(Event):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class JobStarted(Event):
    job_key: str
    info: JobInfo
    resumed: bool  # True: seen mid-job (attach, app restart), not at the job's start


@dataclass(frozen=True, slots=True, kw_only=True)
class JobDelivered(Event):
    job_key: str
    info: JobInfo
    stats: JobStats
    revenue: int
    xp: int
    cargo_damage: float
    distance_km: float  # as the game reports it
    delivery_time_min: int
    finished_game_min: int
    autopark_used: bool
    autoload_used: bool
    late: bool  # finished after the deadline, in game minutes
    # the job's P&L with the player's settings, settled once by the capture
    # (jobs.economics.settle); None as the tracker emits it
    economics: JobEconomics | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobCancelled(Event):
    job_key: str
    info: JobInfo
    stats: JobStats
    penalty: int
    finished_game_min: int
    economics: JobEconomics | None = None  # see JobDelivered.economics


@dataclass(frozen=True, slots=True, kw_only=True)
class JobAbandoned(Event):
    """A job that ended with no event (e.g. cancelled on World of Trucks): closed
    when a different job appeared; marked for the user's review."""

    job_key: str
    info: JobInfo
    stats: JobStats
    reason: str
    economics: JobEconomics | None = None  # see JobDelivered.economics


@dataclass(frozen=True, slots=True, kw_only=True)
class Fined(Event):
    job_key: str | None
    offence: str
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TollPaid(Event):
    job_key: str | None
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Transport(Event):
    """A ferry or a train crossing (``kind`` "ferry" or "train")."""

    job_key: str | None
    kind: str
    amount: int
    source_name: str
    target_name: str
    source_id: str
    target_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RefuelStarted(Event):
    job_key: str | None
    fuel_l: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RefuelPaid(Event):
    job_key: str | None
    amount_l: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Anomaly(Event):
    """Something the game did that it should not have (recorded, not fatal)."""

    job_key: str | None
    kind: str
    detail: str


JobEvent = JobStarted | JobDelivered | JobCancelled | JobAbandoned
ExpenseEvent = Fined | TollPaid | Transport | RefuelPaid


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample(Event):
    """One stored telemetry sample (1 Hz of the source clock by default): the
    fields the cloud contract carries plus heading, game time and the job."""

    job_key: str | None
    speed_mps: float  # negative when reversing
    engine_rpm: float
    gear_dashboard: int
    fuel_l: float
    fuel_capacity_l: float
    wear: Wear
    cargo_damage: float
    x_m: float
    y_m: float
    z_m: float
    heading: float  # fraction of a turn, 0 = north, counter-clockwise
    cruise_control: bool
    cruise_control_speed_mps: float
    park_brake: bool
    motor_brake: bool
    retarder_level: int
    air_pressure_psi: float
    brake_temperature_c: float
    route_distance_m: float
    route_time_s: float
    speed_limit_mps: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AchievementUnlocked(Event):
    """An achievement newly unlocked by a finished job, for notifications.  Emitted by
    the capture after the flush that committed the job (and the unlock), never stored
    as an event itself: the ``achievements`` table is the record."""

    achievement_id: str
    title: str
    description: str
    job_key: str | None  # the job after which the condition first held
