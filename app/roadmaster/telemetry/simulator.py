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

**Scale.**  The games shrink their maps (ETS2 about 1:19 outside cities, ATS 1:20)
and run the clock just as much faster: ``common_f.scale`` is 19 (ETS2) or 20 (ATS)
on open road and 3 in cities, and ``time_abs`` (game minutes) advances at that
rate.  Distances here are world metres as the truck drives them, unscaled: the
odometer, ``plannedDistanceKm`` (the route's road length), the navigation
distance and ``jobDeliveredDistanceKm`` all count the same metres.  A route is
about 20 km, so one job (depot -> toll -> fine -> fuel -> delivery) takes about
20 minutes of simulated time (about 6-7 game hours); ``simulate --speedup 60``
shows a whole job in about 20 seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from roadmaster.telemetry.codec import MapWriter
from roadmaster.telemetry.layout import MAP_SIZE, TRAILER_COUNT
from roadmaster.telemetry.scenario import (
    PROFILES,
    CargoSpec,
    GameProfile,
    Leg,
    TrailerSpec,
)
from roadmaster.telemetry.source import Snapshot
from roadmaster.telemetry.world import (
    TRAILER_OFFSET_M,
    Route,
    RouteBuilder,
    TruckModel,
)

REVISION: Final = 12
WHEELS: Final = 16  # array slots per wheel member
TRUCK_WHEELS: Final = 6  # 6x2 tractor: steered front, driven middle, liftable tag axle
TRAILER_WHEELS: Final = 6
REFUEL_RATE_L_PER_S: Final = 30.0
REFUEL_SETTLE_S: Final = 0.9  # the plugin's "5 checks of 11 frames" without change
CANCEL_CHANCE: Final = 0.2
LATE_CHANCE: Final = 0.25

# A story step waits for simulated seconds, or until a condition holds.
Wait: TypeAlias = float | Callable[[], bool]


def _slots(values: Sequence[Any], fill: Any = 0.0) -> list[Any]:
    """A 16-slot wheel array: ``values`` then ``fill``."""
    return [*values, *([fill] * (WHEELS - len(values)))]


@dataclass(frozen=True)
class JobPlan:
    """Everything decided about one job before it starts."""

    index: int
    leg: Leg
    cargo: CargoSpec
    units: int
    trailer: TrailerSpec
    market: str
    income: int
    route: Route
    planned_km: int
    toll_m: float
    toll_amount: int
    fine_m: float
    fine_offence: str
    fine_amount: int
    refuel_m: float
    refuel_to: float  # fraction of the tank
    ferry_m: tuple[float, float] | None  # port of departure, port of arrival
    cancel_m: float | None
    cancel_penalty: int
    late: bool
    autopark: bool
    autoload: bool
    cargo_damage_per_km: float
    trailer_wear: tuple[float, float, float]  # chassis, wheels, body


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
            profile=self.profile,
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
        # What the plugin remembers between frames to derive refuel / refuelPayed.
        self._last_fuel: float | None = None
        self._fuel_still_s = 0.0
        self._refuel_level = False
        self._refuel_from: float | None = None
        self._engine_seen = False
        self.w = MapWriter(REVISION)
        self._written: dict[str, Any] = {}  # what _put last wrote, to skip unchanged members
        self._plugin_init()
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
        self._write_header()
        if not self._paused:
            self._write_channels(dt)
        data = self.w.snapshot()
        assert len(data) == MAP_SIZE
        return data

    def shutdown(self) -> bytes:
        """The map after the plugin's clean shutdown (spec §2a): the header fields
        reset to 0, everything else left stale."""
        self._shut_down = True
        self._put(
            {
                "sdkActive": False,
                "scs_values.game": 0,
                "scs_values.telemetry_plugin_revision": 0,
                "scs_values.version_major": 0,
                "scs_values.version_minor": 0,
                "scs_values.telemetry_version_game_major": 0,
                "scs_values.telemetry_version_game_minor": 0,
                "time": 0,
                "simulatedTime": 0,
                "renderTime": 0,
                "common_ui.time_abs": 0,
                "common_f.scale": 0.0,
            }
        )
        return self.w.snapshot()

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
        self._write_truck_config()
        yield 2.0
        self._paused = False
        index = 0
        while True:
            yield from self._job(self._plan_job(index))
            index += 1

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
                self._toggle("special_b.tollgate")
                self._set("gameplay_ll.tollgatePayAmount", plan.toll_amount)
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
                self._zero_trailer(0)  # then the empty trailer configuration arrives
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
        self._toggle("special_b.ferry")
        self._put(
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

    # --- planning -------------------------------------------------------------------

    def _plan_job(self, index: int) -> JobPlan:
        p = self.profile
        rng = random.Random(f"roadmaster-sim:{self._seed_text}:job{index}")
        leg = p.legs[(self._first_leg + index) % len(p.legs)]
        governor = self.truck.spec.speed_governor_mps
        b = RouteBuilder(rng, self._x_m, self._z_m, (self._heading + rng.uniform(-0.1, 0.1)) % 1)

        def habit() -> float:
            return rng.choice((0.94, 1.0, 1.0, 1.03))  # a driver's usual margin to limits

        city = p.city_limit_mps
        rural = rng.choice(p.rural_limits_mps)
        highway = rng.choice(p.highway_limits_mps)
        b.add("city", rng.uniform(1200, 1800), city, city * habit(), wiggle=0.06)
        b.add("rural", rng.uniform(2500, 3500), rural, rural * habit(), wiggle=0.03)
        toll_m = b.length_m + 250.0
        b.add("highway", rng.uniform(3000, 4000), highway, highway, cruise=True, wiggle=0.012)
        speeding_target = min(highway * rng.uniform(1.1, 1.16), governor)
        fast = b.add("highway", rng.uniform(1800, 2400), highway, speeding_target, wiggle=0.008)
        fine_m = fast.start_m + 0.6 * (fast.end_m - fast.start_m)
        refuel_m = b.length_m + rng.uniform(350, 600)
        cruise = rng.random() < 0.7
        b.add("highway", rng.uniform(3500, 4500), highway, highway, cruise=cruise)
        ferry_m = None
        if leg.ferry is not None:
            crossing = b.add("ferry", rng.uniform(25_000, 40_000), 0.0, 0.0)
            ferry_m = (crossing.start_m, crossing.end_m)
        last = b.add("highway", rng.uniform(2000, 3000), highway, highway * habit(), wiggle=0.012)
        rural = rng.choice(p.rural_limits_mps)
        b.add("rural", rng.uniform(1500, 2500), rural, rural * habit(), wiggle=0.03)
        b.add("city", rng.uniform(1000, 1500), city, city * habit(), wiggle=0.06)
        route = b.build(self._base_y_m)

        planned_km = round(route.road_length_m / 1000)
        cargo = rng.choice(p.cargos)
        market = rng.choice(p.job_markets)
        income = planned_km * rng.randrange(*p.income_per_km)
        cancelled = rng.random() < CANCEL_CHANCE
        late = not cancelled and rng.random() < LATE_CHANCE
        return JobPlan(
            index=index,
            leg=leg,
            cargo=cargo,
            units=rng.randint(*cargo.units),
            trailer=rng.choice(p.trailers),
            market=market,
            income=income,
            route=route,
            planned_km=planned_km,
            toll_m=toll_m,
            toll_amount=rng.randint(*p.toll),
            fine_m=fine_m,
            fine_offence=rng.choice(p.fine_offences),
            fine_amount=rng.randrange(p.fine[0], p.fine[1], 10),
            refuel_m=refuel_m,
            refuel_to=rng.uniform(0.9, 0.99),
            ferry_m=ferry_m,
            cancel_m=(last.start_m + last.end_m) / 2 if cancelled else None,
            cancel_penalty=round(income * rng.uniform(0.08, 0.15)),
            late=late,
            autopark=rng.random() < 0.3,
            autoload=market != "cargo_market" or rng.random() < 0.5,
            cargo_damage_per_km=rng.uniform(0.0, 0.0015),
            trailer_wear=(rng.uniform(0.01, 0.08), rng.uniform(0.01, 0.1), rng.uniform(0, 0.05)),
        )

    def _deadline(self, plan: JobPlan) -> int:
        """The delivery deadline: generous, or (for a late job) shorter than the drive."""
        p = self.profile
        expected = plan.route.game_minutes(p.scale_open, p.scale_city) + 15.0
        if plan.leg.ferry is not None:
            expected += plan.leg.ferry.crossing_game_min
        slack = 0.6 if plan.late else 1.8
        return self.time_abs + round(expected * slack) + (0 if plan.late else 60)

    # --- events, written as the plugin's handlers write them -------------------------

    def _put(self, values: Mapping[str, Any]) -> None:
        """Write members through the MapWriter, skipping those that already hold the
        value (the map keeps every value until it is rewritten, as the plugin's does)."""
        written = self._written
        changed = {k: v for k, v in values.items() if k not in written or written[k] != v}
        if changed:
            self.w.update(changed)
            written.update(changed)

    def _set(self, path: str, value: Any) -> None:
        self._put({path: value})

    def _toggle(self, path: str) -> None:
        """Rev-12 event flags are toggles: the parity change is the event."""
        self._set(path, not self.w.get(path))

    def _take_job(self, plan: JobPlan) -> None:
        leg, cargo = plan.leg, plan.cargo
        self._plan = plan
        self._route = plan.route
        self.truck.s_m = 0.0
        self._job_odometer_km = self.truck.odometer_km
        self._cargo_damage = 0.0
        self._trailer_wear = list(plan.trailer_wear)
        self._put(
            {
                "config_s.cargoId": cargo.cargo_id,
                "config_s.cargo": cargo.name,
                "config_s.cityDstId": leg.destination.city_id,
                "config_s.cityDst": leg.destination.city,
                "config_s.compDstId": leg.destination.company_id,
                "config_s.compDst": leg.destination.company,
                "config_s.citySrcId": leg.source.city_id,
                "config_s.citySrc": leg.source.city,
                "config_s.compSrcId": leg.source.company_id,
                "config_s.compSrc": leg.source.company,
                # The plugin copies at most 20 bytes into the 32-byte field.
                "config_s.jobMarket": plan.market.encode()[:20],
                "config_ui.time_abs_delivery": self._deadline(plan),
                "config_ui.unitCount": plan.units,
                "config_ui.plannedDistanceKm": plan.planned_km,
                "config_f.unitMass": cargo.unit_mass_kg,
                "config_f.cargoMass": cargo.unit_mass_kg * plan.units,
                "config_ull.jobIncome": plan.income,
                "config_b.isCargoLoaded": True,
                "config_b.specialJob": False,
                "job_f.cargoDamage": 0.0,
            }
        )
        if not self.w.get("special_b.onJob"):  # a non-empty job config while off a job
            self._set("special_b.onJob", True)
            self._set("gameplay_ui.jobStartingTime", self.time_abs)
        self._write_trailer_config(plan.trailer)
        self._trailer_attached = True

    def _fine(self, plan: JobPlan) -> None:
        self._toggle("special_b.fined")
        self._set("gameplay_s.fineOffence", plan.fine_offence)
        self._set("gameplay_ll.fineAmount", plan.fine_amount)

    def _finish_job(self, plan: JobPlan, *, delivered: bool) -> None:
        """The plugin's job.delivered / job.cancelled handler, in its order, in one frame."""
        self._toggle("special_b.jobDelivered" if delivered else "special_b.jobCancelled")
        self._set("gameplay_ui.jobFinishedTime", self.time_abs)
        self._set("special_b.onJob", False)
        self._toggle("special_b.jobFinished")
        self._zero_job_values()
        if delivered:
            late = 0.75 if plan.late else 1.0
            distance_km = self.truck.odometer_km - self._job_odometer_km
            self._put(
                {
                    "gameplay_ll.jobDeliveredRevenue": round(
                        plan.income * (1.0 - self._cargo_damage) * late
                    ),
                    "gameplay_i.jobDeliveredEarnedXp": round((plan.planned_km * 15 + 40) * late),
                    "gameplay_f.jobDeliveredCargoDamage": self._cargo_damage,
                    "gameplay_f.jobDeliveredDistanceKm": distance_km,
                    "gameplay_ui.jobDeliveredDeliveryTime": self.time_abs
                    - self.w.get("gameplay_ui.jobStartingTime"),
                    "gameplay_b.jobDeliveredAutoparkUsed": plan.autopark,
                    "gameplay_b.jobDeliveredAutoloadUsed": plan.autoload,
                }
            )
        else:
            self._set("gameplay_ll.jobCancelledPenalty", plan.cancel_penalty)
        self._route = None
        self._plan = None
        self._x_m, _, self._z_m = plan.route.position(self.truck.s_m)
        self._heading = plan.route.heading(self.truck.s_m)

    def _zero_job_values(self) -> None:
        """The plugin's ``set_job_values_zero`` (spec §2c), nothing more."""
        self._put(
            {
                "config_ull.jobIncome": 0,
                "config_ui.time_abs_delivery": 0,
                "config_f.cargoMass": 0.0,
                "config_ui.unitCount": 0,
                "config_f.unitMass": 0.0,
                "job_f.cargoDamage": 0.0,
                "config_b.isCargoLoaded": False,
                "config_ui.plannedDistanceKm": 0,
                **{
                    f"config_s.{name}": ""
                    for name in (
                        "cityDstId cityDst citySrcId citySrc compDstId compDst "
                        "compSrcId compSrc cargoId cargo jobMarket"
                    ).split()
                },
            }
        )

    # --- writing the map ------------------------------------------------------------

    def _plugin_init(self) -> None:
        p = self.profile
        self._put(
            {
                "sdkActive": True,
                "paused": True,
                "time": 0,
                "scs_values.version_major": p.api_version[0],
                "scs_values.version_minor": p.api_version[1],
                "scs_values.game": p.game_id,
                "scs_values.telemetry_version_game_major": p.sdk_version[0],
                "scs_values.telemetry_version_game_minor": p.sdk_version[1],
                "config_ui.maxTrailerCount": TRAILER_COUNT,
            }
        )

    def _write_truck_config(self) -> None:
        s = self.truck.spec
        # Wheel x, z in vehicle space (forward is -Z): steered front axle, driven, tag.
        xs = (-1.02, 1.02, -0.92, 0.92, -0.92, 0.92)
        zs = (-3.75, -3.75, 0.0, 0.0, 1.35, 1.35)
        self._put(
            {
                "config_s.truckBrandId": s.brand_id,
                "config_s.truckBrand": s.brand,
                "config_s.truckId": s.truck_id,
                "config_s.truckName": s.name,
                "config_s.truckLicensePlate": s.license_plate,
                "config_s.truckLicensePlateCountryId": s.plate_country_id,
                "config_s.truckLicensePlateCountry": s.plate_country,
                "config_s.shifterType": s.shifter_type,
                "config_ui.gears": len(s.gear_ratios_forward),
                "config_ui.gears_reverse": len(s.gear_ratios_reverse),
                "config_ui.retarderStepCount": s.retarder_steps,
                "config_ui.truckWheelCount": TRUCK_WHEELS,
                "config_f.fuelCapacity": s.fuel_capacity_l,
                "config_f.fuelWarningFactor": 0.15,
                "config_f.adblueCapacity": s.adblue_capacity_l,
                "config_f.adblueWarningFactor": 0.15,
                "config_f.airPressureWarning": 65.0,
                "config_f.airPressurEmergency": 34.8,
                "config_f.oilPressureWarning": 10.0,
                "config_f.waterTemperatureWarning": 105.0,
                "config_f.batteryVoltageWarning": 22.0,
                "config_f.engineRpmMax": s.engine_rpm_max,
                "config_f.gearDifferential": s.differential,
                "config_f.truckWheelRadius": _slots([s.wheel_radius_m] * TRUCK_WHEELS),
                "config_f.gearRatiosForward": [*s.gear_ratios_forward]
                + [0.0] * (24 - len(s.gear_ratios_forward)),
                "config_f.gearRatiosReverse": [*s.gear_ratios_reverse]
                + [0.0] * (8 - len(s.gear_ratios_reverse)),
                "config_b.truckWheelSteerable": _slots([True, True], False),
                "config_b.truckWheelSimulated": _slots([True] * TRUCK_WHEELS, False),
                "config_b.truckWheelPowered": _slots([False, False, True, True], False),
                "config_b.truckWheelLiftable": _slots([False] * 4 + [True, True], False),
                "config_fv.truckWheelPositionX": _slots(xs),
                "config_fv.truckWheelPositionY": _slots([s.wheel_radius_m] * TRUCK_WHEELS),
                "config_fv.truckWheelPositionZ": _slots(zs),
                "config_fv.cabinPositionX": 0.0,
                "config_fv.cabinPositionY": 1.45,
                "config_fv.cabinPositionZ": -3.9,
                "config_fv.headPositionX": -0.62,
                "config_fv.headPositionY": 1.08,
                "config_fv.headPositionZ": 0.35,
                "config_fv.truckHookPositionX": 0.0,
                "config_fv.truckHookPositionY": 1.05,
                "config_fv.truckHookPositionZ": 0.45,
            }
        )

    def _write_trailer_config(self, t: TrailerSpec) -> None:
        zs = (4.1, 4.1, 5.4, 5.4, 6.7, 6.7)
        self._put(
            {
                "trailer[0].con_s.id": t.trailer_id,
                "trailer[0].con_s.name": t.name,
                "trailer[0].con_s.brandId": t.brand_id,
                "trailer[0].con_s.brand": t.brand,
                "trailer[0].con_s.bodyType": t.body_type,
                "trailer[0].con_s.chainType": t.chain_type,
                "trailer[0].con_s.licensePlate": t.license_plate,
                "trailer[0].con_s.licensePlateCountryId": t.plate_country_id,
                "trailer[0].con_s.licensePlateCountry": t.plate_country,
                "trailer[0].con_ui.wheelCount": TRAILER_WHEELS,
                "trailer[0].con_f.wheelRadius": _slots([0.49] * TRAILER_WHEELS),
                "trailer[0].con_b.wheelSimulated": _slots([True] * TRAILER_WHEELS, False),
                "trailer[0].con_b.wheelLiftable": _slots([True, True], False),
                "trailer[0].con_fv.hookPositionY": 1.05,
                "trailer[0].con_fv.hookPositionZ": -5.9,
                "trailer[0].con_fv.wheelPositionX": _slots([-0.95, 0.95] * 3),
                "trailer[0].con_fv.wheelPositionY": _slots([0.49] * TRAILER_WHEELS),
                "trailer[0].con_fv.wheelPositionZ": _slots(zs),
            }
        )

    def _zero_trailer(self, slot: int) -> None:
        """An empty trailer configuration: the plugin zeroes the whole slot."""
        for m in self.w.layout.trailer_members:
            if m.ctype == "char":
                value: Any = [""] * m.strings if m.strings > 1 else ""
            else:
                zero: Any = False if m.ctype == "bool" else 0
                value = [zero] * m.count if m.is_array else zero
            self._set(f"trailer[{slot}].{m.path}", value)

    def _write_header(self) -> None:
        self._put(
            {
                "paused": self._paused,
                "time": self._time_us,
                "simulatedTime": self._simulated_us,
                "renderTime": self._render_us,
            }
        )
        if self._loaded:
            self._set("common_ui.time_abs", self.time_abs)

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
            for i, rate in enumerate((0.8e-4, 1.5e-4, 0.5e-4)):
                self._trailer_wear[i] = min(1.0, self._trailer_wear[i] + rate * km)

    def _write_channels(self, dt: float) -> None:
        t, spec = self.truck, self.truck.spec
        route = self._route
        if route is not None:
            x, y, z = route.position(t.s_m)
            heading, pitch = route.heading(t.s_m), route.pitch(t.s_m)
            segment = route.segment_at(t.s_m)
            limit = segment.limit_mps if segment.kind != "ferry" else 0.0
            nav_m, nav_s = route.road_remaining_m(t.s_m), route.eta_s(t.s_m)
        else:
            x, y, z = self._x_m, self._base_y_m, self._z_m
            heading, pitch = self._heading, 0.0
            limit = self.profile.city_limit_mps
            nav_m = nav_s = 0.0
        hour = (self.time_abs % 1440) // 60
        lights = t.electric_on and (hour >= 20 or hour < 6)
        fuel_warning = t.fuel_l < spec.fuel_capacity_l * 0.15
        wheel_rps = t.speed_mps / (6.283185307179586 * spec.wheel_radius_m)
        electric = t.electric_on
        braking = t.brake > 0.05 and t.speed_mps > 0.0
        retarder = 0
        if braking and spec.retarder_steps and t.speed_mps > 8.0:
            retarder = min(spec.retarder_steps, 1 + int(t.brake * spec.retarder_steps))
        cruise = t.cruise_speed_mps
        self._put(
            {
                "common_f.scale": self._scale,
                "common_i.restStop": self._rest_min - (self.time_abs - self._game_start_min),
                "truck_f.speed": t.speed_mps,
                "truck_f.engineRpm": t.rpm,
                "truck_i.gear": t.gear,
                "truck_i.gearDashboard": t.gear,
                "truck_f.userSteer": t.steer,
                "truck_f.gameSteer": t.steer,
                "truck_f.userThrottle": 0.0 if cruise > 0 else t.throttle,
                "truck_f.gameThrottle": t.throttle,
                "truck_f.userBrake": t.brake,
                "truck_f.gameBrake": t.brake,
                "truck_f.userClutch": 0.0,
                "truck_f.gameClutch": 0.3 if t.gear == 1 and t.speed_mps < 2.0 else 0.0,
                "truck_f.cruiseControlSpeed": cruise,
                "truck_b.cruiseControl": cruise > 0,  # the plugin derives it in frame_start
                "truck_f.airPressure": t.air_psi,
                "truck_f.brakeTemperature": t.brake_c,
                "truck_f.fuel": t.fuel_l,
                "truck_f.fuelAvgConsumption": t.avg_l_per_km,
                "truck_f.fuelRange": t.fuel_l / max(t.avg_l_per_km, 0.05),
                "truck_f.adblue": t.adblue_l,
                "truck_f.oilPressure": t.oil_psi,
                "truck_f.oilTemperature": t.oil_c,
                "truck_f.waterTemperature": t.water_c,
                "truck_f.batteryVoltage": t.battery_v,
                "truck_f.lightsDashboard": 1.0 if lights else 0.0,
                "truck_f.wearEngine": t.wear[0],
                "truck_f.wearTransmission": t.wear[1],
                "truck_f.wearCabin": t.wear[2],
                "truck_f.wearChassis": t.wear[3],
                "truck_f.wearWheels": t.wear[4],
                "truck_f.truckOdometer": t.odometer_km,
                "truck_f.routeDistance": nav_m,
                "truck_f.routeTime": nav_s,
                "truck_f.speedLimit": limit,
                "truck_f.truck_wheelVelocity": _slots([wheel_rps] * TRUCK_WHEELS),
                "truck_f.truck_wheelRotation": _slots([t.wheel_rotation] * TRUCK_WHEELS),
                "truck_b.truck_wheelOnGround": _slots([True] * TRUCK_WHEELS, False),
                "truck_ui.retarderBrake": retarder,
                "truck_b.parkBrake": t.park_brake,
                "truck_b.motorBrake": braking and t.speed_mps > 5.0,
                "truck_b.airPressureWarning": electric and t.air_psi < 65.0,
                "truck_b.airPressureEmergency": electric and t.air_psi < 34.8,
                "truck_b.fuelWarning": electric and fuel_warning,
                "truck_b.adblueWarning": electric and t.adblue_l < spec.adblue_capacity_l * 0.15,
                "truck_b.oilPressureWarning": electric and t.oil_psi < 10.0,
                "truck_b.waterTemperatureWarning": electric and t.water_c > 105.0,
                "truck_b.batteryVoltageWarning": electric and t.battery_v < 22.0,
                "truck_b.electricEnabled": electric,
                "truck_b.engineEnabled": t.engine_on,
                "truck_b.lightsParking": lights,
                "truck_b.lightsBeamLow": lights,
                "truck_b.lightsBrake": t.brake > 0.05,
                "truck_dp.coordinateX": x,
                "truck_dp.coordinateY": y,
                "truck_dp.coordinateZ": z,
                "truck_dp.rotationX": heading,
                "truck_dp.rotationY": pitch,
                "truck_dp.rotationZ": 0.0,
                # Misnamed members (spec §2b): local velocity and acceleration; forward is -Z.
                "truck_fv.lv_accelerationZ": -t.speed_mps,
                "truck_fv.accelerationZ": -t.accel_mps2,
            }
        )
        self._write_trailer_channels(wheel_rps)
        self._derive_refuel(dt)

    def _write_trailer_channels(self, wheel_rps: float) -> None:
        self._set("trailer[0].com_b.attached", self._trailer_attached)
        if self._route is None or not self._trailer_attached:
            return
        s = self.truck.s_m - TRAILER_OFFSET_M
        x, y, z = self._route.position(s)
        if self._plan is not None:
            self._set("job_f.cargoDamage", self._cargo_damage)
        self._put(
            {
                "trailer[0].com_dp.worldX": x,
                "trailer[0].com_dp.worldY": y,
                "trailer[0].com_dp.worldZ": z,
                "trailer[0].com_dp.rotationX": self._route.heading(s),
                "trailer[0].com_dp.rotationY": self._route.pitch(s),
                "trailer[0].com_f.cargoDamage": self._cargo_damage,
                "trailer[0].com_f.wearChassis": self._trailer_wear[0],
                "trailer[0].com_f.wearWheels": self._trailer_wear[1],
                "trailer[0].com_f.wearBody": self._trailer_wear[2],
                "trailer[0].com_fv.linearVelocityZ": -self.truck.speed_mps,
                "trailer[0].com_f.wheelVelocity": _slots([wheel_rps * 1.06] * TRAILER_WHEELS),
                "trailer[0].com_b.wheelOnGround": _slots([True] * TRAILER_WHEELS, False),
            }
        )

    def _derive_refuel(self, dt: float) -> None:
        """The plugin's own bookkeeping: ``refuel`` is 1 while fuel rises and drops
        after ~0.9 s without change (or when fuel falls); ``refuelPayed`` latches at 1
        when the engine starts after a refuel, with the litres added."""
        fuel, last = self.truck.fuel_l, self._last_fuel
        if last is not None:
            if fuel > last:
                if not self._refuel_level and self._refuel_from is None:
                    self._refuel_from = last
                self._refuel_level = True
                self._fuel_still_s = 0.0
            elif fuel < last:
                self._refuel_level = False
                self._fuel_still_s = 0.0
            else:
                self._fuel_still_s += dt
                if self._fuel_still_s >= REFUEL_SETTLE_S:
                    self._refuel_level = False
        self._last_fuel = fuel
        self._set("special_b.refuel", self._refuel_level)
        engine = self.truck.engine_on
        if engine and not self._engine_seen and self._refuel_from is not None:
            self._set("special_b.refuelPayed", True)  # never reset (rev 11/12)
            self._set("gameplay_f.refuelAmount", fuel - self._refuel_from)
            self._refuel_from = None
        self._engine_seen = engine


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
        self._closed = True
