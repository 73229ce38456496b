"""The simulator's world: a route (a polyline in world metres with a speed limit
per segment) and a truck model that drives it.

Coordinates follow the SDK: X east, Y up, Z south, in metres.  A heading is a
fraction of a full turn, 0 = north (towards -Z), counter-clockwise seen from
above, so west is 0.25.  The model is deliberately simple (no tyres, no slopes
in the physics) but keeps the quantities a reader derives from each other
consistent: distance is the integral of speed, rpm follows speed and gear ratio,
fuel follows distance and throttle.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Final

from roadmaster.telemetry.sim.vehicles import TruckSpec

TURN: Final = 2 * math.pi
RPM_PER_RAD_S: Final = 60 / TURN

# Driver and drivetrain constants.
PLAN_DECEL_MPS2: Final = 1.0  # the deceleration the driver plans stops with
MAX_DECEL_MPS2: Final = 3.0
UPSHIFT_RPM: Final = 1450.0
DOWNSHIFT_RPM: Final = 900.0
MIN_RPM_AFTER_UPSHIFT: Final = 1000.0
IDLE_FUEL_L_PER_S: Final = 0.0006  # about 2 l/h
TRAILER_OFFSET_M: Final = 8.5  # truck position to trailer centre, along the road


def heading_of(dx: float, dz: float) -> float:
    """The SDK heading of a ground-plane direction (fraction of a turn, 0 = north)."""
    return (math.atan2(-dx, -dz) / TURN) % 1.0


def direction_of(heading: float) -> tuple[float, float]:
    """The unit ground-plane vector ``(dx, dz)`` of an SDK heading."""
    angle = heading * TURN
    return -math.sin(angle), -math.cos(angle)


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of road between ``start_m`` and ``end_m`` along the route."""

    start_m: float
    end_m: float
    kind: str  # "city", "rural", "highway" or "ferry" (crossed by ship, not driven)
    limit_mps: float
    target_mps: float  # what the driver aims for: above the limit when speeding
    cruise: bool  # the driver uses cruise control here


class Route:
    """A polyline with segments; positions along it are metres from its start."""

    def __init__(
        self,
        vertices: list[tuple[float, float]],
        segments: list[Segment],
        base_y_m: float,
    ) -> None:
        if len(vertices) < 2 or not segments:
            raise ValueError("a route needs two vertices and a segment")
        self.vertices = vertices
        self.segments = segments
        self.base_y_m = base_y_m
        self._cum = [0.0]
        for (x0, z0), (x1, z1) in itertools.pairwise(vertices):
            self._cum.append(self._cum[-1] + math.hypot(x1 - x0, z1 - z0))
        self._seg_starts = [s.start_m for s in segments]
        self.length_m = self._cum[-1]
        self.road_length_m = sum(s.end_m - s.start_m for s in segments if s.kind != "ferry")

    def _locate(self, s: float) -> tuple[int, float]:
        """Index of the polyline piece holding ``s`` and the offset into it; before
        the start or past the end the first/last piece is extended."""
        i = bisect.bisect_right(self._cum, s) - 1
        i = min(max(i, 0), len(self.vertices) - 2)
        return i, s - self._cum[i]

    def _piece(self, i: int) -> tuple[float, float, float, float]:
        (x0, z0), (x1, z1) = self.vertices[i], self.vertices[i + 1]
        length = self._cum[i + 1] - self._cum[i] or 1.0
        return x0, z0, (x1 - x0) / length, (z1 - z0) / length

    def altitude(self, s: float) -> float:
        """World Y at ``s``: gentle hills (the physics ignores them; position and pitch
        show them)."""
        return self.base_y_m + 12.0 * math.sin(s / 1300.0) + 4.0 * math.sin(s / 370.0)

    def position(self, s: float) -> tuple[float, float, float]:
        """World ``(x, y, z)`` at ``s`` metres along the route."""
        i, off = self._locate(s)
        x0, z0, ux, uz = self._piece(i)
        return x0 + ux * off, self.altitude(s), z0 + uz * off

    def heading(self, s: float) -> float:
        """The SDK heading of the road at ``s``."""
        i, _ = self._locate(s)
        _, _, ux, uz = self._piece(i)
        return heading_of(ux, uz)

    def pitch(self, s: float) -> float:
        """Nose-up pitch as a fraction of a turn."""
        slope = (self.altitude(s + 5.0) - self.altitude(s - 5.0)) / 10.0
        return math.atan(slope) / TURN

    def segment_at(self, s: float) -> Segment:
        """The segment holding ``s`` (the first or last one beyond the ends)."""
        i = bisect.bisect_right(self._seg_starts, s) - 1
        return self.segments[min(max(i, 0), len(self.segments) - 1)]

    def upcoming(self, s: float, horizon_m: float) -> list[Segment]:
        """Segments starting within ``horizon_m`` after ``s``."""
        i = bisect.bisect_right(self._seg_starts, s)
        out = []
        for seg in self.segments[i:]:
            if seg.start_m > s + horizon_m:
                break
            out.append(seg)
        return out

    def road_remaining_m(self, s: float) -> float:
        """Road still to drive from ``s`` to the end, ferry crossings excluded."""
        total = 0.0
        for seg in self.segments:
            if seg.kind == "ferry" or seg.end_m <= s:
                continue
            total += seg.end_m - max(seg.start_m, s)
        return total

    def eta_s(self, s: float) -> float:
        """Navigation's estimate of the driving time left (at the driver's targets)."""
        total = 0.0
        for seg in self.segments:
            if seg.kind == "ferry" or seg.end_m <= s:
                continue
            total += (seg.end_m - max(seg.start_m, s)) / max(seg.target_mps, 1.0)
        return total

    def game_minutes(self, scale_open: float, scale_city: float) -> float:
        """Game time the whole route takes at the driver's targets (no stops, no ferry)."""
        total = 0.0
        for seg in self.segments:
            if seg.kind == "ferry":
                continue
            scale = scale_city if seg.kind == "city" else scale_open
            total += (seg.end_m - seg.start_m) / max(seg.target_mps, 1.0) * scale
        return total / 60.0


@dataclass
class RouteBuilder:
    """Lays a route out section by section from a start point and a bearing."""

    rng: random.Random
    x_m: float
    z_m: float
    heading: float
    vertices: list[tuple[float, float]] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    length_m: float = 0.0

    def __post_init__(self) -> None:
        self.vertices.append((self.x_m, self.z_m))

    def add(
        self,
        kind: str,
        length_m: float,
        limit_mps: float,
        target_mps: float,
        *,
        cruise: bool = False,
        wiggle: float = 0.0,
    ) -> Segment:
        """Append a segment; ``wiggle`` is the largest heading change per vertex (turns)."""
        start = self.length_m
        left = length_m
        while left > 1e-6:
            step = min(left, self.rng.uniform(300.0, 700.0)) if kind != "ferry" else left
            self.heading = (self.heading + self.rng.uniform(-wiggle, wiggle)) % 1.0
            dx, dz = direction_of(self.heading)
            self.x_m += dx * step
            self.z_m += dz * step
            self.vertices.append((self.x_m, self.z_m))
            left -= step
        self.length_m = start + length_m
        seg = Segment(start, self.length_m, kind, limit_mps, target_mps, cruise)
        self.segments.append(seg)
        return seg

    def build(self, base_y_m: float) -> Route:
        """The finished route, its hills around ``base_y_m``."""
        return Route(self.vertices, self.segments, base_y_m)


@dataclass
class TruckModel:
    """The truck's dynamic state and how one tick changes it."""

    spec: TruckSpec
    fuel_l: float
    adblue_l: float
    odometer_km: float
    wear: list[float]  # engine, transmission, cabin, chassis, wheels
    s_m: float = 0.0
    speed_mps: float = 0.0
    accel_mps2: float = 0.0
    gear: int = 0
    rpm: float = 0.0
    throttle: float = 0.0
    brake: float = 0.0
    steer: float = 0.0
    cruise_speed_mps: float = 0.0
    engine_on: bool = False
    electric_on: bool = False
    park_brake: bool = True
    air_psi: float = 95.0
    brake_c: float = 20.0
    oil_c: float = 20.0
    water_c: float = 20.0
    battery_v: float = 24.6
    avg_l_per_km: float = 0.0
    wheel_rotation: float = 0.0
    refuel_rate_l_per_s: float = 0.0
    driving: bool = False  # the driver wants to move
    stop_m: float | None = None  # where the driver means to stop next
    arrived: bool = False

    def __post_init__(self) -> None:
        self.avg_l_per_km = self.spec.consumption_l_per_km

    def rpm_in(self, gear: int, speed_mps: float) -> float:
        """Engine rpm in forward ``gear`` at ``speed_mps``, from the gear and axle ratios."""
        ratio = self.spec.gear_ratios_forward[gear - 1]
        wheel = speed_mps / self.spec.wheel_radius_m
        return wheel * ratio * self.spec.differential * RPM_PER_RAD_S

    def drive_to(self, stop_m: float) -> None:
        """Set off (once engine and brakes allow) and stop at ``stop_m`` on the route."""
        self.stop_m = stop_m
        self.driving = True
        self.arrived = False

    def _command(self, route: Route) -> tuple[float, bool]:
        """The speed the driver wants now, and whether a constraint ahead limits it."""
        seg = route.segment_at(self.s_m)
        wanted = min(seg.target_mps, self.spec.speed_governor_mps)
        command = wanted
        for nxt in route.upcoming(self.s_m, 600.0):
            if nxt.kind == "ferry":
                continue  # always preceded by a stop at the port
            gap = nxt.start_m - self.s_m - 30.0
            command = min(
                command, math.sqrt(nxt.target_mps**2 + 2 * PLAN_DECEL_MPS2 * max(gap, 0.0))
            )
        if self.stop_m is not None:
            gap = self.stop_m - self.s_m
            command = min(command, math.sqrt(2 * PLAN_DECEL_MPS2 * max(gap, 0.0)))
        return command, command < wanted - 0.01

    def update(self, dt: float, route: Route | None, rng: random.Random) -> float:
        """Advance ``dt`` seconds; returns the metres driven."""
        v0 = self.speed_mps
        driven = 0.0
        if self.driving and route is not None and self.engine_on and not self.park_brake:
            driven = self._drive(dt, route)
        else:
            self.speed_mps = 0.0
            self.throttle = 0.0
            self.cruise_speed_mps = 0.0
            # Held on the foot brake while waiting with the engine on (toll, port).
            self.brake = 0.2 if self.engine_on and not self.park_brake else 0.0
        self.accel_mps2 = (self.speed_mps - v0) / dt
        self._drivetrain(dt)
        self._consume(dt, driven)
        self._systems(dt)
        self.odometer_km += driven / 1000.0
        circumference = TURN * self.spec.wheel_radius_m
        self.wheel_rotation = (self.wheel_rotation + driven / circumference) % 1.0
        if driven > 0.0:
            self._wear(driven / 1000.0, rng)
        return driven

    def _drive(self, dt: float, route: Route) -> float:
        v = self.speed_mps
        command, limited = self._command(route)
        seg = route.segment_at(self.s_m)
        steady = 0.15 + 0.012 * v  # throttle that holds the speed
        if v < command - 0.05:
            a_max = max(0.15, 0.8 - 0.02 * v)
            a = min(a_max, (command - v) / dt)
            self.throttle = min(1.0, steady + (1.0 - steady) * a / a_max)
            self.brake = 0.0
            v += a * dt
        elif v > command + 0.05:
            decel = min(MAX_DECEL_MPS2, (v - command) / dt)
            self.brake = decel / MAX_DECEL_MPS2
            self.throttle = 0.0
            v -= decel * dt
        else:
            v = command
            self.throttle = steady
            self.brake = 0.0
        # Cruise control: engaged once at the segment's target, dropped when braking.
        if seg.cruise and not limited and abs(v - seg.target_mps) < 0.3:
            self.cruise_speed_mps = seg.target_mps
        elif limited or not seg.cruise or self.brake > 0.0:
            self.cruise_speed_mps = 0.0
        driven = (self.speed_mps + v) / 2 * dt
        self.speed_mps = v
        heading0 = route.heading(self.s_m)
        if self.stop_m is not None and self.s_m + driven >= self.stop_m - 0.3:
            driven = max(self.stop_m - self.s_m, 0.0)
            self.s_m = self.stop_m
            self.speed_mps = 0.0
            self.driving = False
            self.arrived = True
            self.stop_m = None
        else:
            self.s_m += driven
        turn = (route.heading(self.s_m) - heading0 + 0.5) % 1.0 - 0.5
        # Steering follows the heading change, smoothed like a driver's hands.
        self.steer += (max(-1.0, min(1.0, turn * 12.0)) - self.steer) * 0.5
        return driven

    def _drivetrain(self, dt: float) -> None:
        spec = self.spec
        if not self.engine_on:
            self.gear = 0
            self.rpm = max(0.0, self.rpm - 1200.0 * dt)  # spinning down
            return
        v = self.speed_mps
        if v <= 0.05:
            self.gear = 1 if self.driving else 0
        else:
            top = len(spec.gear_ratios_forward)
            self.gear = max(self.gear, 1)
            while (
                self.gear < top
                and self.rpm_in(self.gear, v) > UPSHIFT_RPM
                and self.rpm_in(self.gear + 1, v) >= MIN_RPM_AFTER_UPSHIFT
            ):
                self.gear += 1
            while self.gear > 1 and self.rpm_in(self.gear, v) < DOWNSHIFT_RPM:
                self.gear -= 1
        from_wheels = self.rpm_in(self.gear, v) if self.gear > 0 else 0.0
        # Below the gear's reach the clutch slips and the engine holds idle or a bit more.
        floor = spec.idle_rpm + (300.0 * self.throttle if self.gear <= 1 else 0.0)
        target = min(max(from_wheels, floor), spec.engine_rpm_max * 0.98)
        # The starter brings the engine up to idle within about a second.
        self.rpm = target if self.rpm >= spec.idle_rpm * 0.9 else min(target, self.rpm + 900.0 * dt)

    def _consume(self, dt: float, driven_m: float) -> None:
        if self.refuel_rate_l_per_s > 0.0:
            self.fuel_l = min(
                self.spec.fuel_capacity_l, self.fuel_l + self.refuel_rate_l_per_s * dt
            )
            return
        if not self.engine_on:
            return  # fuel holds exactly still: the plugin reads "no change"
        km = driven_m / 1000.0
        used = km * self.spec.consumption_l_per_km * (0.55 + 0.9 * self.throttle)
        used += IDLE_FUEL_L_PER_S * dt * max(self.rpm, 1.0) / self.spec.idle_rpm
        self.fuel_l = max(0.0, self.fuel_l - used)
        self.adblue_l = max(0.0, self.adblue_l - used * 0.05)
        if km > 0.0:
            # The dashboard's average: a distance-weighted moving mean over ~5 km.
            weight = min(1.0, km / 5.0)
            self.avg_l_per_km += (used / km - self.avg_l_per_km) * weight

    def _systems(self, dt: float) -> None:
        ambient = 18.0
        if self.engine_on:
            self.air_psi += (130.0 - self.air_psi) * min(1.0, 0.15 * dt)
            warm = 0.004 + 0.004 * self.throttle
            self.water_c += (88.0 - self.water_c) * min(1.0, warm * dt)
            self.oil_c += (96.0 - self.oil_c) * min(1.0, warm * 0.8 * dt)
            self.battery_v += (28.1 - self.battery_v) * min(1.0, 0.5 * dt)
        else:
            self.water_c += (ambient - self.water_c) * min(1.0, 0.0008 * dt)
            self.oil_c += (ambient - self.oil_c) * min(1.0, 0.0006 * dt)
            target_v = 24.4 if self.electric_on else 24.8
            self.battery_v += (target_v - self.battery_v) * min(1.0, 0.2 * dt)
        self.air_psi = max(0.0, self.air_psi - 4.0 * self.brake * dt)
        # Brakes heat with the energy they take and cool towards the air.
        self.brake_c += (self.brake * self.speed_mps * 0.8 - (self.brake_c - ambient) * 0.01) * dt

    def _wear(self, km: float, rng: random.Random) -> None:
        rates = (1.1e-4, 0.9e-4, 0.4e-4, 0.8e-4, 1.6e-4)  # per km
        for i, rate in enumerate(rates):
            self.wear[i] = min(1.0, self.wear[i] + rate * km * rng.uniform(0.7, 1.3))

    @property
    def oil_psi(self) -> float:
        """Oil pressure: zero with the engine off, rising with rpm."""
        if not self.engine_on or self.rpm <= 0.0:
            return 0.0
        return 22.0 + 48.0 * min(1.0, self.rpm / self.spec.engine_rpm_max)
