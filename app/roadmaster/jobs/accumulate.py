"""Per-job accumulators: what a job cost in distance, fuel, time and wear, from frames."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from roadmaster.jobs.events import JobStats, Wear
from roadmaster.telemetry.frame import Frame

# A step longer than this (source clock) is a gap — the game was paused, closed or
# the reader stalled — and does not count as driving time.
MAX_STEP_S = 2.0
# Odometer jumps beyond this per step are a truck change or a teleport, not driving.
MAX_STEP_KM = 1.0
# Standing still below this speed; over the limit only beyond this margin (≈ 3.6 km/h),
# so that a truck riding the limit is not "speeding".
STILL_MPS = 0.5
SPEEDING_MARGIN_MPS = 1.0


def wear_of(frame: Frame) -> Wear:
    """The wear of the truck and of its first attached trailer (the worst of its parts)."""
    t = frame.truck
    trailer = 0.0
    for tr in frame.trailers:
        if tr.attached:
            trailer = max(tr.wear_chassis, tr.wear_wheels, tr.wear_body)
            break
    return Wear(
        t.wear_engine, t.wear_transmission, t.wear_cabin, t.wear_chassis, t.wear_wheels, trailer
    )


@dataclass
class Accumulator:
    """Mutable running totals for the open job; :meth:`stats` freezes them."""

    start_game_min: int
    wear_start: Wear
    distance_km: float = 0.0
    fuel_used_l: float = 0.0
    refuelled_l: float = 0.0
    speed_time: float = 0.0  # ∫|v| dt over moving time
    max_speed_mps: float = 0.0
    rpm_time: float = 0.0  # ∫rpm dt over engine-on time
    engine_s: float = 0.0
    speeding_s: float = 0.0
    idle_s: float = 0.0
    cruise_s: float = 0.0
    driving_s: float = 0.0
    real_s: float = 0.0
    game_min: int = 0
    wear_end: Wear = field(default_factory=Wear)
    cargo_damage: float = 0.0
    fines_total: int = 0
    fines_count: int = 0
    tolls_total: int = 0
    ferry_total: int = 0
    train_total: int = 0

    @classmethod
    def resume(cls, stats: JobStats, start_game_min: int) -> Accumulator:
        """Continue from stored figures (app restart mid-job)."""
        acc = cls(start_game_min, stats.wear_start)
        acc.distance_km = stats.distance_km
        acc.fuel_used_l = stats.fuel_used_l
        acc.refuelled_l = stats.refuelled_l
        acc.speed_time = stats.avg_speed_mps * stats.driving_s
        acc.max_speed_mps = stats.max_speed_mps
        acc.engine_s = stats.driving_s + stats.idle_s
        acc.rpm_time = stats.avg_rpm * acc.engine_s
        acc.speeding_s = stats.speeding_s
        acc.idle_s = stats.idle_s
        acc.cruise_s = stats.cruise_s
        acc.driving_s = stats.driving_s
        acc.real_s = stats.real_s
        acc.game_min = stats.game_min
        acc.wear_end = stats.wear_end
        acc.cargo_damage = stats.cargo_damage
        acc.fines_total = stats.fines_total
        acc.fines_count = stats.fines_count
        acc.tolls_total = stats.tolls_total
        acc.ferry_total = stats.ferry_total
        acc.train_total = stats.train_total
        return acc

    def step(self, prev: Frame, cur: Frame, dt_s: float) -> None:
        """Add what happened between two consecutive frames ``dt_s`` apart."""
        t0, t1 = prev.truck, cur.truck
        if not all(map(math.isfinite, (t1.odometer_km, t1.fuel_l, t1.speed_mps, t1.engine_rpm))):
            return  # a corrupt frame adds nothing
        dist = t1.odometer_km - t0.odometer_km
        if 0.0 < dist < MAX_STEP_KM:
            self.distance_km += dist
        fuel_delta = t1.fuel_l - t0.fuel_l
        if fuel_delta < 0:
            self.fuel_used_l -= fuel_delta
        elif fuel_delta > 0 and cur.events.refuel:
            self.refuelled_l += fuel_delta
        game_min = cur.header.game_time_min - self.start_game_min
        if game_min >= 0:
            self.game_min = game_min
        self.wear_end = wear_of(cur)
        if cur.job.cargo_damage > 0 or cur.job.on_job:
            self.cargo_damage = max(self.cargo_damage, cur.job.cargo_damage)
        if cur.header.paused or not 0.0 < dt_s <= MAX_STEP_S:
            return
        self.real_s += dt_s
        speed = abs(t1.speed_mps)
        self.max_speed_mps = max(self.max_speed_mps, speed)
        if t1.engine_enabled:
            self.engine_s += dt_s
            self.rpm_time += t1.engine_rpm * dt_s
        if speed >= STILL_MPS:
            self.driving_s += dt_s
            self.speed_time += speed * dt_s
            if t1.cruise_control:
                self.cruise_s += dt_s
            limit = t1.speed_limit_mps
            if limit > 0 and speed > limit + SPEEDING_MARGIN_MPS:
                self.speeding_s += dt_s
        elif t1.engine_enabled:
            self.idle_s += dt_s

    def stats(self) -> JobStats:
        return JobStats(
            distance_km=self.distance_km,
            fuel_used_l=self.fuel_used_l,
            refuelled_l=self.refuelled_l,
            avg_speed_mps=self.speed_time / self.driving_s if self.driving_s else 0.0,
            max_speed_mps=self.max_speed_mps,
            avg_rpm=self.rpm_time / self.engine_s if self.engine_s else 0.0,
            speeding_s=self.speeding_s,
            idle_s=self.idle_s,
            cruise_s=self.cruise_s,
            driving_s=self.driving_s,
            real_s=self.real_s,
            game_min=self.game_min,
            wear_start=self.wear_start,
            wear_end=self.wear_end,
            cargo_damage=self.cargo_damage,
            fines_total=self.fines_total,
            fines_count=self.fines_count,
            tolls_total=self.tolls_total,
            ferry_total=self.ferry_total,
            train_total=self.train_total,
        )
