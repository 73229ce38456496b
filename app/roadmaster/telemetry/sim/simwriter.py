"""The map as the SCS plugin keeps it, for the simulator: configuration events,
gameplay-event handlers, per-frame channels and the values the plugin derives
itself (``refuel``, ``refuelPayed``, ``cruiseControl``), written only through
:class:`~roadmaster.telemetry.codec.MapWriter`.

Like the plugin's map, a member keeps its value until it is written again, so
unchanged members are not rewritten (which also keeps the simulator fast).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from roadmaster.telemetry.codec import MapWriter
from roadmaster.telemetry.layout import TRAILER_COUNT
from roadmaster.telemetry.sim.scenario import GameProfile, JobPlan
from roadmaster.telemetry.sim.vehicles import TrailerSpec, TruckSpec
from roadmaster.telemetry.sim.world import TruckModel

REVISION: Final = 12
WHEELS: Final = 16  # array slots per wheel member
TRUCK_WHEELS: Final = 6  # 6x2 tractor: steered front, driven middle, liftable tag axle
TRAILER_WHEELS: Final = 6
REFUEL_SETTLE_S: Final = 0.9  # the plugin's "5 checks of 11 frames" without change


#: What the plugin's ``set_job_values_zero`` (spec §2c) writes when a job ends.
JOB_VALUES_ZERO: Final[Mapping[str, Any]] = {
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


def _slots(values: Sequence[Any], fill: Any = 0.0) -> list[Any]:
    """A 16-slot wheel array: ``values`` then ``fill``."""
    return [*values, *([fill] * (WHEELS - len(values)))]


class Pose(NamedTuple):
    """Where a vehicle is, and what navigation says there."""

    x_m: float
    y_m: float
    z_m: float
    heading: float
    pitch: float
    speed_limit_mps: float = 0.0
    route_distance_m: float = 0.0
    route_time_s: float = 0.0


class PluginMap:
    """The simulated plugin's map: write events and channels, take snapshots."""

    def __init__(self, profile: GameProfile) -> None:
        self.w = MapWriter(REVISION)
        self._written: dict[str, Any] = {}  # what put() last wrote
        # What the plugin remembers between frames to derive refuel / refuelPayed.
        self._last_fuel: float | None = None
        self._fuel_still_s = 0.0
        self._refuel_level = False
        self._refuel_from: float | None = None
        self._engine_seen = False
        # scs_telemetry_init: the (zeroed) map gets the plugin's start state.
        self.put(
            {
                "sdkActive": True,
                "paused": True,
                "time": 0,
                "scs_values.version_major": profile.api_version[0],
                "scs_values.version_minor": profile.api_version[1],
                "scs_values.game": profile.game_id,
                "scs_values.telemetry_version_game_major": profile.sdk_version[0],
                "scs_values.telemetry_version_game_minor": profile.sdk_version[1],
                "config_ui.maxTrailerCount": TRAILER_COUNT,
            }
        )

    def put(self, values: Mapping[str, Any]) -> None:
        """Write members (plugin paths), skipping those that already hold the value."""
        written = self._written
        changed = {k: v for k, v in values.items() if k not in written or written[k] != v}
        if changed:
            self.w.update(changed)
            written.update(changed)

    def set(self, path: str, value: Any) -> None:
        """Write one member (see :meth:`put`)."""
        self.put({path: value})

    def get(self, path: str) -> Any:
        """Read one member back from the map."""
        return self.w.get(path)

    def toggle(self, path: str) -> None:
        """Rev-12 event flags are toggles: the parity change is the event."""
        self.set(path, not self.get(path))

    def snapshot(self) -> bytes:
        """A copy of the whole map (32768 bytes)."""
        return self.w.snapshot()

    def header(
        self, *, paused: bool, time_us: int, simulated_us: int, render_us: int, time_abs: int | None
    ) -> None:
        """frame_start: the clocks (and the game clock, once a profile is loaded)."""
        self.put(
            {
                "paused": paused,
                "time": time_us,
                "simulatedTime": simulated_us,
                "renderTime": render_us,
            }
        )
        if time_abs is not None:
            self.set("common_ui.time_abs", time_abs)

    def shutdown(self) -> bytes:
        """scs_telemetry_shutdown (spec §2a): these reset to 0, the rest stays stale."""
        self.put(
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
        return self.snapshot()

    # --- configuration and gameplay events -----------------------------------------

    def truck_config(self, s: TruckSpec) -> None:
        """The truck configuration event: what the truck is and how it is geared."""
        # Wheel x, z in vehicle space (forward is -Z): steered front axle, driven, tag.
        xs = (-1.02, 1.02, -0.92, 0.92, -0.92, 0.92)
        zs = (-3.75, -3.75, 0.0, 0.0, 1.35, 1.35)
        self.put(
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

    def trailer_config(self, t: TrailerSpec) -> None:
        """The trailer configuration event for slot 0."""
        zs = (4.1, 4.1, 5.4, 5.4, 6.7, 6.7)
        self.put(
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

    def zero_trailer(self, slot: int) -> None:
        """An empty trailer configuration: the plugin zeroes the whole slot."""
        for m in self.w.layout.trailer_members:
            if m.ctype == "char":
                value: Any = [""] * m.strings if m.strings > 1 else ""
            else:
                zero: Any = False if m.ctype == "bool" else 0
                value = [zero] * m.count if m.is_array else zero
            self.set(f"trailer[{slot}].{m.path}", value)

    def job_config(self, plan: JobPlan, *, deadline: int, time_abs: int) -> None:
        """A (non-empty) job configuration; ``onJob`` rises if it was 0."""
        leg, cargo = plan.leg, plan.cargo
        self.put(
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
                "config_ui.time_abs_delivery": deadline,
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
        if not self.get("special_b.onJob"):
            self.set("special_b.onJob", True)
            self.set("gameplay_ui.jobStartingTime", time_abs)

    def job_finished(self, *, delivered: bool, time_abs: int, results: Mapping[str, Any]) -> None:
        """The job.delivered / job.cancelled handler, in the plugin's order, in one frame:
        flag, finish time, onJob=0, jobFinished, the job zeroed, then the results."""
        self.toggle("special_b.jobDelivered" if delivered else "special_b.jobCancelled")
        self.set("gameplay_ui.jobFinishedTime", time_abs)
        self.set("special_b.onJob", False)
        self.toggle("special_b.jobFinished")
        self.zero_job_values()
        self.put(results)

    def zero_job_values(self) -> None:
        """The plugin's ``set_job_values_zero`` (spec §2c), nothing more."""
        self.put(JOB_VALUES_ZERO)

    # --- per-frame channels -----------------------------------------------------------

    def channels(
        self,
        t: TruckModel,
        pose: Pose,
        *,
        scale: float,
        time_abs: int,
        rest_stop_min: int,
        dt: float,
    ) -> float:
        """One frame of truck channels (and the plugin's derived flags); returns the
        wheels' rotation rate (rot/s) for the trailer's channels."""
        spec = t.spec
        hour = (time_abs % 1440) // 60
        lights = t.electric_on and (hour >= 20 or hour < 6)
        fuel_warning = t.fuel_l < spec.fuel_capacity_l * 0.15
        wheel_rps = t.speed_mps / (6.283185307179586 * spec.wheel_radius_m)
        electric = t.electric_on
        braking = t.brake > 0.05 and t.speed_mps > 0.0
        retarder = 0
        if braking and spec.retarder_steps and t.speed_mps > 8.0:
            retarder = min(spec.retarder_steps, 1 + int(t.brake * spec.retarder_steps))
        cruise = t.cruise_speed_mps
        self.put(
            {
                "common_f.scale": scale,
                "common_i.restStop": rest_stop_min,
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
                "truck_f.routeDistance": pose.route_distance_m,
                "truck_f.routeTime": pose.route_time_s,
                "truck_f.speedLimit": pose.speed_limit_mps,
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
                "truck_dp.coordinateX": pose.x_m,
                "truck_dp.coordinateY": pose.y_m,
                "truck_dp.coordinateZ": pose.z_m,
                "truck_dp.rotationX": pose.heading,
                "truck_dp.rotationY": pose.pitch,
                "truck_dp.rotationZ": 0.0,
                # Misnamed members (spec §2b): local velocity and acceleration; forward is -Z.
                "truck_fv.lv_accelerationZ": -t.speed_mps,
                "truck_fv.accelerationZ": -t.accel_mps2,
            }
        )
        self.derive_refuel(t.fuel_l, t.engine_on, dt)
        return wheel_rps

    def trailer_channels(
        self,
        attached: bool,
        pose: Pose | None,
        t: TruckModel,
        wheel_rps: float,
        wear: Sequence[float],
        cargo_damage: float,
    ) -> None:
        """Slot 0's channels; ``pose`` None when the trailer is not on a route."""
        self.set("trailer[0].com_b.attached", attached)
        if pose is None:
            return
        self.put(
            {
                "trailer[0].com_dp.worldX": pose.x_m,
                "trailer[0].com_dp.worldY": pose.y_m,
                "trailer[0].com_dp.worldZ": pose.z_m,
                "trailer[0].com_dp.rotationX": pose.heading,
                "trailer[0].com_dp.rotationY": pose.pitch,
                "trailer[0].com_f.cargoDamage": cargo_damage,
                "trailer[0].com_f.wearChassis": wear[0],
                "trailer[0].com_f.wearWheels": wear[1],
                "trailer[0].com_f.wearBody": wear[2],
                "trailer[0].com_fv.linearVelocityZ": -t.speed_mps,
                "trailer[0].com_f.wheelVelocity": _slots([wheel_rps * 1.06] * TRAILER_WHEELS),
                "trailer[0].com_b.wheelOnGround": _slots([True] * TRAILER_WHEELS, False),
            }
        )

    def derive_refuel(self, fuel: float, engine_on: bool, dt: float) -> None:
        """The plugin's own bookkeeping: ``refuel`` is 1 while fuel rises and drops
        after ~0.9 s without change (or when fuel falls); ``refuelPayed`` latches at 1
        when the engine starts after a refuel, with the litres added."""
        last = self._last_fuel
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
        self.set("special_b.refuel", self._refuel_level)
        engine = engine_on
        if engine and not self._engine_seen and self._refuel_from is not None:
            self.set("special_b.refuelPayed", True)  # never reset (rev 11/12)
            self.set("gameplay_f.refuelAmount", fuel - self._refuel_from)
            self._refuel_from = None
        self._engine_seen = engine
