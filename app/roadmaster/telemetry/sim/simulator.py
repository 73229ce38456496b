"""A telemetry simulator: whole rev-12 maps, written the way the SCS plugin writes them.

``Simulator(game, seed, tick_s).step()`` advances ``tick_s`` seconds of simulated
time and returns the 32768-byte map, built only through
:class:`~roadmaster.telemetry.codec.MapWriter` (no offsets here).
:class:`SimulatorSource` wraps it as a recorded :class:`~roadmaster.telemetry.source.Source`.

The story, deterministic for a seed (and the same whatever ``tick_s``, up to
rounding to ticks):

1. The plugin loads: ``sdkActive=1``, ``paused=1``, ``time=0``, revision 12, the
   game's telemetry API version; one second later the profile (truck configuration)
   arrives; two seconds later the game runs (``paused=0``).
2. Per job, repeated along a closed tour of the game's cities (each destination is
   the next job's source; ETS2 Berlin -> Praha -> ... with two ferry legs, ATS
   Sacramento -> Reno -> ...): at the depot the driver takes a job (job
   configuration, ``onJob`` 0 -> 1, ``jobStartingTime``, trailer in slot 0), starts
   the engine and drives the route: city, rural road, a toll plaza at the motorway
   entrance, a stretch of speeding that ends with a fine, a fuel stop, sometimes a
   ferry (ETS2 legs that cross the sea), the rest of the motorway, rural road and
   city to the destination, where the job is delivered (sometimes late).  About one
   job in five is cancelled instead, in a car park on the last motorway stretch.  After the
   job the trailer is dropped and the next job starts where the truck stands.
3. Before a job that the game's fatigue timer (``restStop``, 10-12 game hours from
   the start or the last sleep) would run out on, the driver sleeps, unless no job
   was driven since: a loading screen (``paused``)
   during which the game clock jumps 11 hours; the timer starts again.

**Scale.**  The games shrink their maps (ETS2 about 1:19 outside cities, ATS 1:20)
and run the clock just as much faster: ``common_f.scale`` is 19 (ETS2) or 20 (ATS)
on open road and 3 in cities, and ``time_abs`` (game minutes) advances at that
rate.  Distances here are world metres as the truck drives them, unscaled: the
odometer, ``plannedDistanceKm`` (the route's road length), the navigation
distance and ``jobDeliveredDistanceKm`` all count the same metres.  A route is
about 20 km (driven at 50-90 km/h, 35-65 mph in ATS), so one job (depot -> toll
-> fine -> fuel -> delivery) takes 16-20 minutes of simulated time (4-5 game
hours); ``simulate --speedup 60`` shows a whole job in under 20 seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Final, TypeAlias

from roadmaster.telemetry.layout import MAP_SIZE
from roadmaster.telemetry.sim.scenario import PROFILES, GameProfile, JobPlan, deadline, plan_job
from roadmaster.telemetry.sim.simwriter import PluginMap, Pose
from roadmaster.telemetry.sim.world import TRAILER_OFFSET_M, Route, TruckModel
from roadmaster.telemetry.source import Snapshot

REFUEL_RATE_L_PER_S: Final = 30.0
TRAILER_WEAR_PER_KM: Final = (0.8e-4, 1.5e-4, 0.5e-4)  # chassis, wheels, body

GAME_MIN_PER_KM: Final = 16
"""Game minutes a kilometre of a route takes at most (about 14 on average: the road's
speeds under the game's time scale, the stops included), for planning a sleep."""
SLEEP_GAME_MIN: Final = 11 * 60
"""A night's sleep in game minutes: the EU daily rest (more than the US 10 hours)."""

# A story step waits for simulated seconds, or until a condition holds.
Wait: TypeAlias = float | Callable[[], bool]


def _game_minutes(plan: JobPlan) -> int:
    """At most how many game minutes ``plan`` takes: its road, and the crossing of a
    ferry (the game's clock jumps during it; the fatigue timer runs on)."""
    road_m = plan.route.length_m
    crossing_min = 0
    if plan.ferry_m is not None and plan.leg.ferry is not None:
        road_m -= plan.ferry_m[1] - plan.ferry_m[0]
        crossing_min = plan.leg.ferry.crossing_game_min
    return round(road_m / 1000.0 * GAME_MIN_PER_KM) + crossing_min


class Simulator:
    """Deterministic, plugin-faithful telemetry for one game and seed."""

    def __init__(self, game: str = "ets2", seed: int = 0, tick_s: float = 0.1) -> None:
        if game not in PROFILES:
            raise ValueError(f"unknown game {game!r}: use one of {', '.join(PROFILES)}")
        if not tick_s > 0:
            raise ValueError("tick_s must be positive")
        self.profile: GameProfile = PROFILES[game]
        self.seed = seed
        self.tick_s = tick_s
        self._tick_us = round(tick_s * 1_000_000)
        self._ticks = 0
        self._time_us = self._simulated_us = self._render_us = 0
        self._paused = True
        self._loaded = False  # the profile has loaded (truck configuration, game clock)
        self._shut_down = False
        rng = random.Random(f"roadmaster-sim:{game}:{seed}")
        # Per-tick noise has its own generator so that job plans do not depend on tick_s.
        self._noise = random.Random(f"roadmaster-sim-noise:{game}:{seed}")
        self._seed_text = f"{game}:{seed}"
        spec = rng.choice(self.profile.trucks)
        self.truck = TruckModel(
            spec=spec,
            fuel_l=spec.fuel_capacity_l * rng.uniform(0.25, 0.45),
            adblue_l=spec.adblue_capacity_l * rng.uniform(0.6, 0.9),
            odometer_km=rng.uniform(12_000.0, 180_000.0),
            wear=[rng.uniform(0.005, 0.06) for _ in range(5)],
        )
        self._first_leg = rng.randrange(len(self.profile.legs))
        self._x_m = rng.uniform(-30_000.0, 30_000.0)
        self._z_m = rng.uniform(-30_000.0, 30_000.0)
        self._heading = rng.random()
        self._game_s = float(rng.randrange(7) * 1440 + rng.randrange(6 * 60, 10 * 60)) * 60
        self._game_start_min = self.time_abs
        self._rest_min = rng.randrange(600, 720)
        self._base_y_m = rng.uniform(5.0, 120.0)
        self._scale = self.profile.scale_city  # the truck starts at a depot, in town
        self._route: Route | None = None
        self._plan: JobPlan | None = None
        self._job_odometer_km = 0.0
        self._cargo_damage = 0.0
        self._trailer_wear = [0.0, 0.0, 0.0]
        self._trailer_attached = False
        self.map = PluginMap(self.profile)
        self._story = self._run()
        self._wait: Wait = 0.0
        self._wait_until_s = 0.0

    # --- public ---------------------------------------------------------------------

    @property
    def t_s(self) -> float:
        """Simulated seconds so far (the time of the last frame returned)."""
        return self._ticks * self.tick_s

    @property
    def time_abs(self) -> int:
        """The game clock in absolute game minutes."""
        return int(self._game_s // 60)

    def step(self) -> bytes:
        """Advance one tick and return the whole map (32768 bytes)."""
        if self._shut_down:
            raise RuntimeError("the simulated plugin has shut down")
        dt = self.tick_s
        self._ticks += 1
        # frame_start: the plugin's clocks; `time` stops while paused.
        self._render_us += self._tick_us
        self._simulated_us += self._tick_us
        if not self._paused:
            self._time_us += self._tick_us
            self._advance_world(dt)
        self._advance_story()
        self.map.header(
            paused=self._paused,
            time_us=self._time_us,
            simulated_us=self._simulated_us,
            render_us=self._render_us,
            time_abs=self.time_abs if self._loaded else None,
        )
        if not self._paused:  # no channel callbacks while paused: values stay stale
            self._write_channels(dt)
        data = self.map.snapshot()
        assert len(data) == MAP_SIZE
        return data

    def shutdown(self) -> bytes:
        """The map after the plugin's clean shutdown (spec §2a): the header fields
        reset to 0, everything else left stale.  ``step()`` is refused afterwards."""
        self._shut_down = True
        return self.map.shutdown()

    # --- the story ------------------------------------------------------------------

    # --- the story ------------------------------------------------------------------

    def _advance_story(self) -> None:
        while True:
            wait = self._wait
            if isinstance(wait, int | float):
                if self.t_s < self._wait_until_s - 1e-9:
                    return
            elif not wait():
                return
            self._wait = next(self._story)
            if isinstance(self._wait, int | float):
                self._wait_until_s = self.t_s + self._wait

    def _run(self) -> Iterator[Wait]:
        yield 1.0  # the main menu; then the profile loads
        self._loaded = True
        self.map.truck_config(self.truck.spec)
        yield 2.0
        self._paused = False
        index = awake_jobs = 0
        while True:
            plan = self._plan_job(index)
            rest_left = self._rest_min - (self.time_abs - self._game_start_min)
            # Never twice in a row: a rested driver takes even a job longer than the timer.
            if awake_jobs and rest_left < _game_minutes(plan):
                yield from self._sleep()
                awake_jobs = 0
            yield from self._job(plan)
            index += 1
            awake_jobs += 1

    def _sleep(self) -> Iterator[Wait]:
        """The driver sleeps at the depot before taking a job the game's fatigue timer
        (``restStop``) would run out on, as a player does: the game shows a loading
        screen (``time`` stops) and its clock jumps by the night's rest; the timer
        starts again."""
        yield 2.0
        self._paused = True
        yield 4.0
        self._game_s += SLEEP_GAME_MIN * 60
        self._game_start_min = self.time_abs
        self._paused = False
        yield 2.0

    def _job(self, plan: JobPlan) -> Iterator[Wait]:
        truck = self.truck
        yield 3.0  # browsing the job market at the depot
        self._take_job(plan)
        yield 2.0
        truck.electric_on = True
        yield 1.5
        truck.engine_on = True
        yield 3.0
        truck.park_brake = False
        stops: list[tuple[float, str]] = [(plan.toll_m, "toll"), (plan.refuel_m, "refuel")]
        if plan.ferry_m is not None:
            stops.append((plan.ferry_m[0], "ferry"))
        if plan.cancel_m is not None:
            stops.append((plan.cancel_m, "cancel"))
        else:
            stops.append((plan.route.length_m, "deliver"))
        fined = False
        for at_m, kind in stops:
            truck.drive_to(at_m)
            if not fined and plan.fine_m < at_m:
                yield lambda: truck.s_m >= plan.fine_m
                self._fine(plan)
                fined = True
            yield lambda: truck.arrived
            if kind == "toll":
                yield 2.0
                self.map.toggle("special_b.tollgate")
                self.map.set("gameplay_ll.tollgatePayAmount", plan.toll_amount)
                yield 2.0  # the barrier opens
            elif kind == "refuel":
                yield from self._refuel(plan)
            elif kind == "ferry":
                yield from self._ferry(plan)
            else:
                truck.park_brake = True
                yield 3.0 if kind == "deliver" and not plan.autopark else 1.0
                self._finish_job(plan, delivered=kind == "deliver")
                yield 5.0
                truck.engine_on = False
                yield 2.0
                self._trailer_attached = False  # uncoupled: the channel says so first
                yield 1.0
                self.map.zero_trailer(0)  # then the empty trailer configuration arrives
                truck.electric_on = False

    def _refuel(self, plan: JobPlan) -> Iterator[Wait]:
        truck = self.truck
        truck.park_brake = True
        yield 1.0
        truck.engine_on = False
        yield 2.0
        target = max(truck.fuel_l + 5.0, truck.spec.fuel_capacity_l * plan.refuel_to)
        target = min(target, truck.spec.fuel_capacity_l)
        truck.refuel_rate_l_per_s = REFUEL_RATE_L_PER_S
        yield lambda: truck.fuel_l >= target - 1e-6
        truck.refuel_rate_l_per_s = 0.0
        yield 3.0  # paying at the counter; the plugin drops `refuel` meanwhile
        truck.engine_on = True  # the plugin now reports the refuel as paid
        yield 2.0
        truck.park_brake = False

    def _ferry(self, plan: JobPlan) -> Iterator[Wait]:
        assert plan.ferry_m is not None and plan.leg.ferry is not None
        ferry = plan.leg.ferry
        yield 2.0  # at the ticket booth
        self.map.toggle("special_b.ferry")
        self.map.put(
            {
                "gameplay_ll.ferryPayAmount": ferry.price,
                "gameplay_s.ferrySourceName": ferry.source_name,
                "gameplay_s.ferryTargetName": ferry.target_name,
                "gameplay_s.ferrySourceId": ferry.source_id,
                "gameplay_s.ferryTargetId": ferry.target_id,
            }
        )
        self._paused = True  # the crossing is a loading screen: `time` stops
        yield 4.0
        self.truck.s_m = plan.ferry_m[1]
        self._game_s += ferry.crossing_game_min * 60
        self._paused = False
        yield 2.0

    # --- events ---------------------------------------------------------------------

    def _plan_job(self, index: int) -> JobPlan:
        return plan_job(
            self.profile,
            self._seed_text,
            index,
            first_leg=self._first_leg,
            start=(self._x_m, self._z_m, self._heading),
            base_y_m=self._base_y_m,
            governor_mps=self.truck.spec.speed_governor_mps,
        )

    def _take_job(self, plan: JobPlan) -> None:
        self._plan = plan
        self._route = plan.route
        self.truck.s_m = 0.0
        self._job_odometer_km = self.truck.odometer_km
        self._cargo_damage = 0.0
        self._trailer_wear = list(plan.trailer_wear)
        now = self.time_abs
        self.map.job_config(plan, deadline=deadline(self.profile, plan, now), time_abs=now)
        self.map.trailer_config(plan.trailer)
        self._trailer_attached = True

    def _fine(self, plan: JobPlan) -> None:
        self.map.toggle("special_b.fined")
        self.map.set("gameplay_s.fineOffence", plan.fine_offence)
        self.map.set("gameplay_ll.fineAmount", plan.fine_amount)

    def _finish_job(self, plan: JobPlan, *, delivered: bool) -> None:
        now = self.time_abs
        if delivered:
            late = 0.75 if plan.late else 1.0
            results = {
                "gameplay_ll.jobDeliveredRevenue": round(
                    plan.income * (1.0 - self._cargo_damage) * late
                ),
                "gameplay_i.jobDeliveredEarnedXp": round((plan.planned_km * 15 + 40) * late),
                "gameplay_f.jobDeliveredCargoDamage": self._cargo_damage,
                "gameplay_f.jobDeliveredDistanceKm": self.truck.odometer_km - self._job_odometer_km,
                "gameplay_ui.jobDeliveredDeliveryTime": now
                - self.map.get("gameplay_ui.jobStartingTime"),
                "gameplay_b.jobDeliveredAutoparkUsed": plan.autopark,
                "gameplay_b.jobDeliveredAutoloadUsed": plan.autoload,
            }
        else:
            results = {"gameplay_ll.jobCancelledPenalty": plan.cancel_penalty}
        self.map.job_finished(delivered=delivered, time_abs=now, results=results)
        self._route = None
        self._plan = None
        self._x_m, _, self._z_m = plan.route.position(self.truck.s_m)
        self._heading = plan.route.heading(self.truck.s_m)

    # --- the world, frame by frame --------------------------------------------------

    def _advance_world(self, dt: float) -> None:
        p = self.profile
        route = self._route
        driven = self.truck.update(dt, route, self._noise)
        kind = route.segment_at(self.truck.s_m).kind if route is not None else "city"
        self._scale = p.scale_city if kind == "city" else p.scale_open
        self._game_s += dt * self._scale
        if self._plan is not None and driven > 0.0:
            km = driven / 1000.0
            self._cargo_damage = min(1.0, self._cargo_damage + km * self._plan.cargo_damage_per_km)
            for i, rate in enumerate(TRAILER_WEAR_PER_KM):
                self._trailer_wear[i] = min(1.0, self._trailer_wear[i] + rate * km)

    def _pose(self, route: Route, s: float, *, navigation: bool) -> Pose:
        if not navigation:
            return Pose(*route.position(s), route.heading(s), route.pitch(s))
        segment = route.segment_at(s)
        return Pose(
            *route.position(s),
            route.heading(s),
            route.pitch(s),
            speed_limit_mps=segment.limit_mps if segment.kind != "ferry" else 0.0,
            route_distance_m=route.road_remaining_m(s),
            route_time_s=route.eta_s(s),
        )

    def _write_channels(self, dt: float) -> None:
        route, s = self._route, self.truck.s_m
        if route is not None:
            pose = self._pose(route, s, navigation=True)
        else:  # parked between jobs, no route in the navigation
            x, y, z = self._x_m, self._base_y_m, self._z_m
            pose = Pose(x, y, z, self._heading, 0.0, self.profile.city_limit_mps)
        now = self.time_abs
        wheel_rps = self.map.channels(
            self.truck,
            pose,
            scale=self._scale,
            time_abs=now,
            rest_stop_min=self._rest_min - (now - self._game_start_min),
            dt=dt,
        )
        trailer = None
        if route is not None and self._trailer_attached:
            trailer = self._pose(route, s - TRAILER_OFFSET_M, navigation=False)
            if self._plan is not None:
                self.map.set("job_f.cargoDamage", self._cargo_damage)
        self.map.trailer_channels(
            self._trailer_attached,
            trailer,
            self.truck,
            wheel_rps,
            self._trailer_wear,
            self._cargo_damage,
        )


class SimulatorSource:
    """The simulator as a recorded :class:`~roadmaster.telemetry.source.Source`: one
    tick per ``snapshot()``, stamped with simulated seconds, ending (None) once
    ``duration_s`` of simulated time has been produced (never, when None)."""

    recorded: bool = True

    def __init__(
        self,
        game: str = "ets2",
        seed: int = 0,
        duration_s: float | None = None,
        tick_s: float = 0.1,
    ) -> None:
        self.simulator = Simulator(game, seed, tick_s)
        self.name = f"simulator ({game}, seed {seed})"
        self.duration_s = duration_s
        self._closed = False

    def snapshot(self) -> Snapshot | None:
        """The next tick's map, or None at the end of the duration or after close()."""
        sim = self.simulator
        if self._closed:
            return None
        if self.duration_s is not None and sim.t_s + sim.tick_s > self.duration_s + 1e-9:
            return None
        data = sim.step()
        return Snapshot(data, sim.t_s)

    def close(self) -> None:
        """End the source: ``snapshot()`` returns None from now on."""
        self._closed = True
