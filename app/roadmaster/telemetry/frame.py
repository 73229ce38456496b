"""The typed, immutable Frame: one decoded snapshot, in the game's own units.

Units are in the names: m/s, litres, kg, metres, km, psi, degrees Celsius, game
minutes (absolute minutes since the first in-game day), microseconds for the
plugin's clocks.  Headings and rotations are fractions of a full turn, as the SDK
gives them (heading 0 = north, counter-clockwise).

``SOURCES`` says which member of the map each field comes from; the decoder in
:mod:`roadmaster.telemetry.decoding` is generated from it and the layout table.
"""

from __future__ import annotations

import enum
from typing import Final, NamedTuple


class Game(enum.StrEnum):
    UNKNOWN = "unknown"
    ETS2 = "ets2"
    ATS = "ats"

    @classmethod
    def from_id(cls, value: int) -> Game:
        """The plugin's ``scs_values.game``: 1 ETS2, 2 ATS, anything else unknown."""
        return _GAMES.get(value, cls.UNKNOWN)


_GAMES: Final = {1: Game.ETS2, 2: Game.ATS}


class Header(NamedTuple):
    sdk_active: bool
    paused: bool
    time_us: int
    simulated_time_us: int
    render_time_us: int
    multiplayer_time_offset_min: int
    revision: int
    telemetry_version_major: int
    telemetry_version_minor: int
    game: Game
    game_telemetry_version_major: int
    game_telemetry_version_minor: int
    game_time_min: int
    scale: float
    rest_stop_min: int


class Truck(NamedTuple):
    brand_id: str
    brand: str
    id: str
    name: str
    license_plate: str
    license_plate_country_id: str
    license_plate_country: str
    shifter_type: str
    speed_mps: float
    engine_rpm: float
    engine_rpm_max: float
    gear: int
    gear_dashboard: int
    gears_forward: int
    gears_reverse: int
    throttle: float
    brake: float
    clutch: float
    steer: float
    fuel_l: float
    fuel_capacity_l: float
    fuel_warning_factor: float
    fuel_avg_consumption_l_per_km: float
    fuel_range_km: float
    fuel_warning: bool
    adblue_l: float
    adblue_capacity_l: float
    adblue_warning: bool
    air_pressure_psi: float
    air_pressure_warning_psi: float
    air_pressure_emergency_psi: float
    air_pressure_warning: bool
    air_pressure_emergency: bool
    brake_temperature_c: float
    oil_temperature_c: float
    oil_pressure_psi: float
    oil_pressure_warning: bool
    water_temperature_c: float
    water_temperature_warning_c: float
    water_temperature_warning: bool
    battery_voltage_v: float
    battery_voltage_warning: bool
    odometer_km: float
    cruise_control: bool
    cruise_control_speed_mps: float
    speed_limit_mps: float
    park_brake: bool
    motor_brake: bool
    retarder_level: int
    retarder_step_count: int
    differential_lock: bool
    lift_axle: bool
    lights_parking: bool
    lights_beam_low: bool
    lights_beam_high: bool
    lights_beacon: bool
    lights_brake: bool
    lights_reverse: bool
    lights_hazard: bool
    lights_aux_front: int
    lights_aux_roof: int
    lights_dashboard: float
    blinker_left_active: bool
    blinker_right_active: bool
    blinker_left_on: bool
    blinker_right_on: bool
    wipers: bool
    engine_enabled: bool
    electric_enabled: bool
    wear_engine: float
    wear_transmission: float
    wear_cabin: float
    wear_chassis: float
    wear_wheels: float
    x_m: float
    y_m: float
    z_m: float
    heading: float
    pitch: float
    roll: float


class Navigation(NamedTuple):
    route_distance_m: float
    route_time_s: float


class Job(NamedTuple):
    on_job: bool
    cargo_id: str
    cargo: str
    cargo_mass_kg: float
    unit_count: int
    unit_mass_kg: float
    cargo_loaded: bool
    cargo_damage: float
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
    starting_time_game_min: int


class Trailer(NamedTuple):
    slot: int
    attached: bool
    id: str
    name: str
    brand_id: str
    brand: str
    body_type: str
    cargo_accessory_id: str
    license_plate: str
    license_plate_country: str
    cargo_damage: float
    wear_chassis: float
    wear_wheels: float
    wear_body: float
    wheel_count: int
    x_m: float
    y_m: float
    z_m: float
    heading: float


class EventFlags(NamedTuple):
    """Zone 12 as read. In rev 11/12 all but ``on_job`` and ``refuel`` are toggles:
    a change of parity is the event (rev 10: pulses)."""

    on_job: bool
    job_finished: bool
    job_cancelled: bool
    job_delivered: bool
    fined: bool
    tollgate: bool
    ferry: bool
    train: bool
    refuel: bool
    refuel_paid: bool


class Gameplay(NamedTuple):
    """Event payloads. Never cleared by the plugin: only a flag change means "new"."""

    delivered_revenue: int
    delivered_xp: int
    delivered_cargo_damage: float
    delivered_distance_km: float
    delivered_delivery_time_min: int
    delivered_autopark_used: bool
    delivered_autoload_used: bool
    job_starting_time_game_min: int
    job_finished_time_game_min: int
    cancelled_penalty: int
    fine_offence: str
    fine_amount: int
    tollgate_amount: int
    ferry_amount: int
    ferry_source_name: str
    ferry_target_name: str
    ferry_source_id: str
    ferry_target_id: str
    train_amount: int
    train_source_name: str
    train_target_name: str
    train_source_id: str
    train_target_id: str
    refuel_amount_l: float


class Frame(NamedTuple):
    """One decoded snapshot of the whole map."""

    header: Header
    truck: Truck
    navigation: Navigation
    job: Job
    trailers: tuple[Trailer, ...]
    events: EventFlags
    gameplay: Gameplay

    @property
    def game(self) -> Game:
        return self.header.game

    @property
    def revision(self) -> int:
        return self.header.revision


# Where each field comes from: a map member (trailer members relative to the trailer).
# A member missing in an older revision decodes as that type's zero.
SOURCES: Final[dict[type, dict[str, str]]] = {
    Header: {
        "sdk_active": "sdkActive",
        "paused": "paused",
        "time_us": "time",
        "simulated_time_us": "simulatedTime",
        "render_time_us": "renderTime",
        "multiplayer_time_offset_min": "multiplayerTimeOffset",
        "revision": "scs_values.telemetry_plugin_revision",
        "telemetry_version_major": "scs_values.version_major",
        "telemetry_version_minor": "scs_values.version_minor",
        "game": "scs_values.game",
        "game_telemetry_version_major": "scs_values.telemetry_version_game_major",
        "game_telemetry_version_minor": "scs_values.telemetry_version_game_minor",
        "game_time_min": "common_ui.time_abs",
        "scale": "common_f.scale",
        "rest_stop_min": "common_i.restStop",
    },
    Truck: {
        "brand_id": "config_s.truckBrandId",
        "brand": "config_s.truckBrand",
        "id": "config_s.truckId",
        "name": "config_s.truckName",
        "license_plate": "config_s.truckLicensePlate",
        "license_plate_country_id": "config_s.truckLicensePlateCountryId",
        "license_plate_country": "config_s.truckLicensePlateCountry",
        "shifter_type": "config_s.shifterType",
        "speed_mps": "truck_f.speed",
        "engine_rpm": "truck_f.engineRpm",
        "engine_rpm_max": "config_f.engineRpmMax",
        "gear": "truck_i.gear",
        "gear_dashboard": "truck_i.gearDashboard",
        "gears_forward": "config_ui.gears",
        "gears_reverse": "config_ui.gears_reverse",
        "throttle": "truck_f.gameThrottle",
        "brake": "truck_f.gameBrake",
        "clutch": "truck_f.gameClutch",
        "steer": "truck_f.gameSteer",
        "fuel_l": "truck_f.fuel",
        "fuel_capacity_l": "config_f.fuelCapacity",
        "fuel_warning_factor": "config_f.fuelWarningFactor",
        "fuel_avg_consumption_l_per_km": "truck_f.fuelAvgConsumption",
        "fuel_range_km": "truck_f.fuelRange",
        "fuel_warning": "truck_b.fuelWarning",
        "adblue_l": "truck_f.adblue",
        "adblue_capacity_l": "config_f.adblueCapacity",
        "adblue_warning": "truck_b.adblueWarning",
        "air_pressure_psi": "truck_f.airPressure",
        "air_pressure_warning_psi": "config_f.airPressureWarning",
        "air_pressure_emergency_psi": "config_f.airPressurEmergency",
        "air_pressure_warning": "truck_b.airPressureWarning",
        "air_pressure_emergency": "truck_b.airPressureEmergency",
        "brake_temperature_c": "truck_f.brakeTemperature",
        "oil_temperature_c": "truck_f.oilTemperature",
        "oil_pressure_psi": "truck_f.oilPressure",
        "oil_pressure_warning": "truck_b.oilPressureWarning",
        "water_temperature_c": "truck_f.waterTemperature",
        "water_temperature_warning_c": "config_f.waterTemperatureWarning",
        "water_temperature_warning": "truck_b.waterTemperatureWarning",
        "battery_voltage_v": "truck_f.batteryVoltage",
        "battery_voltage_warning": "truck_b.batteryVoltageWarning",
        "odometer_km": "truck_f.truckOdometer",
        "cruise_control": "truck_b.cruiseControl",
        "cruise_control_speed_mps": "truck_f.cruiseControlSpeed",
        "speed_limit_mps": "truck_f.speedLimit",
        "park_brake": "truck_b.parkBrake",
        "motor_brake": "truck_b.motorBrake",
        "retarder_level": "truck_ui.retarderBrake",
        "retarder_step_count": "config_ui.retarderStepCount",
        "differential_lock": "truck_b.differentialLock",
        "lift_axle": "truck_b.liftAxle",
        "lights_parking": "truck_b.lightsParking",
        "lights_beam_low": "truck_b.lightsBeamLow",
        "lights_beam_high": "truck_b.lightsBeamHigh",
        "lights_beacon": "truck_b.lightsBeacon",
        "lights_brake": "truck_b.lightsBrake",
        "lights_reverse": "truck_b.lightsReverse",
        "lights_hazard": "truck_b.lightsHazard",
        "lights_aux_front": "truck_ui.lightsAuxFront",
        "lights_aux_roof": "truck_ui.lightsAuxRoof",
        "lights_dashboard": "truck_f.lightsDashboard",
        "blinker_left_active": "truck_b.blinkerLeftActive",
        "blinker_right_active": "truck_b.blinkerRightActive",
        "blinker_left_on": "truck_b.blinkerLeftOn",
        "blinker_right_on": "truck_b.blinkerRightOn",
        "wipers": "truck_b.wipers",
        "engine_enabled": "truck_b.engineEnabled",
        "electric_enabled": "truck_b.electricEnabled",
        "wear_engine": "truck_f.wearEngine",
        "wear_transmission": "truck_f.wearTransmission",
        "wear_cabin": "truck_f.wearCabin",
        "wear_chassis": "truck_f.wearChassis",
        "wear_wheels": "truck_f.wearWheels",
        "x_m": "truck_dp.coordinateX",
        "y_m": "truck_dp.coordinateY",
        "z_m": "truck_dp.coordinateZ",
        "heading": "truck_dp.rotationX",
        "pitch": "truck_dp.rotationY",
        "roll": "truck_dp.rotationZ",
    },
    Navigation: {
        "route_distance_m": "truck_f.routeDistance",
        "route_time_s": "truck_f.routeTime",
    },
    Job: {
        "on_job": "special_b.onJob",
        "cargo_id": "config_s.cargoId",
        "cargo": "config_s.cargo",
        "cargo_mass_kg": "config_f.cargoMass",
        "unit_count": "config_ui.unitCount",
        "unit_mass_kg": "config_f.unitMass",
        "cargo_loaded": "config_b.isCargoLoaded",
        "cargo_damage": "job_f.cargoDamage",
        "source_city_id": "config_s.citySrcId",
        "source_city": "config_s.citySrc",
        "source_company_id": "config_s.compSrcId",
        "source_company": "config_s.compSrc",
        "destination_city_id": "config_s.cityDstId",
        "destination_city": "config_s.cityDst",
        "destination_company_id": "config_s.compDstId",
        "destination_company": "config_s.compDst",
        "income": "config_ull.jobIncome",
        "planned_distance_km": "config_ui.plannedDistanceKm",
        "deadline_game_min": "config_ui.time_abs_delivery",
        "job_market": "config_s.jobMarket",
        "special_job": "config_b.specialJob",
        "starting_time_game_min": "gameplay_ui.jobStartingTime",
    },
    Trailer: {
        "attached": "com_b.attached",
        "id": "con_s.id",
        "name": "con_s.name",
        "brand_id": "con_s.brandId",
        "brand": "con_s.brand",
        "body_type": "con_s.bodyType",
        "cargo_accessory_id": "con_s.cargoAcessoryId",
        "license_plate": "con_s.licensePlate",
        "license_plate_country": "con_s.licensePlateCountry",
        "cargo_damage": "com_f.cargoDamage",
        "wear_chassis": "com_f.wearChassis",
        "wear_wheels": "com_f.wearWheels",
        "wear_body": "com_f.wearBody",
        "wheel_count": "con_ui.wheelCount",
        "x_m": "com_dp.worldX",
        "y_m": "com_dp.worldY",
        "z_m": "com_dp.worldZ",
        "heading": "com_dp.rotationX",
    },
    EventFlags: {
        "on_job": "special_b.onJob",
        "job_finished": "special_b.jobFinished",
        "job_cancelled": "special_b.jobCancelled",
        "job_delivered": "special_b.jobDelivered",
        "fined": "special_b.fined",
        "tollgate": "special_b.tollgate",
        "ferry": "special_b.ferry",
        "train": "special_b.train",
        "refuel": "special_b.refuel",
        "refuel_paid": "special_b.refuelPayed",
    },
    Gameplay: {
        "delivered_revenue": "gameplay_ll.jobDeliveredRevenue",
        "delivered_xp": "gameplay_i.jobDeliveredEarnedXp",
        "delivered_cargo_damage": "gameplay_f.jobDeliveredCargoDamage",
        "delivered_distance_km": "gameplay_f.jobDeliveredDistanceKm",
        "delivered_delivery_time_min": "gameplay_ui.jobDeliveredDeliveryTime",
        "delivered_autopark_used": "gameplay_b.jobDeliveredAutoparkUsed",
        "delivered_autoload_used": "gameplay_b.jobDeliveredAutoloadUsed",
        "job_starting_time_game_min": "gameplay_ui.jobStartingTime",
        "job_finished_time_game_min": "gameplay_ui.jobFinishedTime",
        "cancelled_penalty": "gameplay_ll.jobCancelledPenalty",
        "fine_offence": "gameplay_s.fineOffence",
        "fine_amount": "gameplay_ll.fineAmount",
        "tollgate_amount": "gameplay_ll.tollgatePayAmount",
        "ferry_amount": "gameplay_ll.ferryPayAmount",
        "ferry_source_name": "gameplay_s.ferrySourceName",
        "ferry_target_name": "gameplay_s.ferryTargetName",
        "ferry_source_id": "gameplay_s.ferrySourceId",
        "ferry_target_id": "gameplay_s.ferryTargetId",
        "train_amount": "gameplay_ll.trainPayAmount",
        "train_source_name": "gameplay_s.trainSourceName",
        "train_target_name": "gameplay_s.trainTargetName",
        "train_source_id": "gameplay_s.trainSourceId",
        "train_target_id": "gameplay_s.trainTargetId",
        "refuel_amount_l": "gameplay_f.refuelAmount",
    },
}

# Fields computed by the decoder rather than read from one member.
DERIVED: Final = {(Trailer, "slot")}
