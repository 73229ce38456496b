"""What the dashboard shows for one reading (gauges, warnings), in display units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from roadmaster.telemetry.frame import Frame
from roadmaster.telemetry.status import GameState, Reading
from roadmaster.ui.view_models.common import (
    air_text,
    fraction,
    gear_text,
    has_limit,
    is_speeding,
    range_text,
    speed_in,
    speed_unit,
)
from roadmaster.units import UnitSystem, format_volume

# Gauge scales per unit system: a truck is governed near 90 km/h / 65 mph, so a dial
# to 140 km/h / 90 mph keeps the working range wide and readable.
SPEED_SCALE: Final = {UnitSystem.METRIC: 140.0, UnitSystem.IMPERIAL: 90.0}
DEFAULT_RPM_MAX: Final = 2500.0
# Overheating: the game's own warning flag, or the coolant within this margin of the
# configured warning temperature (the flag lags the needle by a few seconds).
OVERHEAT_MARGIN_C: Final = 0.0

DAMAGE_PARTS: Final = ("Engine", "Transmission", "Cabin", "Chassis", "Wheels", "Trailer", "Cargo")


@dataclass(frozen=True, slots=True)
class DashboardModel:
    """Everything the dashboard shows, in display units."""

    live: bool  # a frame is there (the game runs, even paused)
    system: UnitSystem
    speed: float
    speed_text: str
    speed_unit: str
    speed_max: float
    speed_limit: float | None  # display units; None: no limit known
    speed_limit_text: str
    cruise_speed: float | None  # display units; None: cruise control off
    speeding: bool
    rpm: float
    rpm_max: float
    gear: str
    fuel_fraction: float
    fuel_text: str
    range_text: str
    fuel_low: bool
    air_psi: float
    air_fraction: float
    air_text: str
    air_warning_fraction: float
    air_low: bool
    water_temperature_c: float
    overheating: bool
    damage: tuple[tuple[str, float], ...]  # (part, 0..1) in DAMAGE_PARTS order
    park_brake: bool
    motor_brake: bool
    retarder_level: int
    retarder_steps: int
    cruise_on: bool
    warnings: tuple[str, ...]


def _trailer_wear(frame: Frame) -> tuple[float, float]:
    """(worst trailer wear, cargo damage) of the first attached trailer."""
    for trailer in frame.trailers:
        if trailer.attached:
            wear = max(trailer.wear_chassis, trailer.wear_wheels, trailer.wear_body)
            return wear, max(trailer.cargo_damage, frame.job.cargo_damage)
    return 0.0, frame.job.cargo_damage


CAPTURE_STOPPED: Final = "CAPTURE STOPPED"


def dashboard_model(
    reading: Reading | None,
    system: UnitSystem,
    measured_l_per_km: float | None = None,
    *,
    capture_running: bool = True,
) -> DashboardModel:
    """The dashboard for one reading; an idle model (all zero, nothing lit) when the
    game is not running, and one that says so when capture was stopped (the last
    reading is not shown as if it were live: the gauges would look frozen)."""
    if not capture_running:
        return _idle(system, (CAPTURE_STOPPED,))
    frame = reading.frame if reading is not None else None
    if frame is None or reading is None or reading.state is GameState.NOT_RUNNING:
        return _idle(system)
    t = frame.truck
    speed = speed_in(t.speed_mps, system)
    limit = speed_in(t.speed_limit_mps, system) if has_limit(t) else None
    cruise = (
        speed_in(t.cruise_control_speed_mps, system)
        if t.cruise_control and t.cruise_control_speed_mps > 0
        else None
    )
    speeding = is_speeding(t)
    capacity = t.fuel_capacity_l if t.fuel_capacity_l > 0 else 1.0
    fuel_fraction = fraction(t.fuel_l / capacity)
    fuel_low = t.fuel_warning or (
        t.fuel_warning_factor > 0 and fuel_fraction < t.fuel_warning_factor
    )
    air_max = max(150.0, t.air_pressure_psi)  # SCS trucks: ~150 psi full tank
    air_low = t.air_pressure_warning or t.air_pressure_emergency
    overheating = t.water_temperature_warning or (
        t.water_temperature_warning_c > 0
        and t.water_temperature_c >= t.water_temperature_warning_c + OVERHEAT_MARGIN_C
    )
    trailer, cargo = _trailer_wear(frame)
    damage = tuple(
        zip(
            DAMAGE_PARTS,
            (
                fraction(t.wear_engine),
                fraction(t.wear_transmission),
                fraction(t.wear_cabin),
                fraction(t.wear_chassis),
                fraction(t.wear_wheels),
                fraction(trailer),
                fraction(cargo),
            ),
            strict=True,
        )
    )
    warnings = tuple(
        text
        for on, text in (
            (fuel_low, "LOW FUEL"),
            (t.air_pressure_emergency, "AIR EMERGENCY"),
            (air_low and not t.air_pressure_emergency, "LOW AIR"),
            (overheating, "OVERHEATING"),
            (speeding, "SPEEDING"),
        )
        if on
    )
    return DashboardModel(
        live=True,
        system=system,
        speed=speed,
        speed_text=f"{speed:.0f}",
        speed_unit=speed_unit(system),
        speed_max=SPEED_SCALE[system],
        speed_limit=limit,
        speed_limit_text="" if limit is None else f"limit {limit:.0f}",
        cruise_speed=cruise,
        speeding=speeding,
        rpm=max(0.0, t.engine_rpm),
        rpm_max=t.engine_rpm_max if t.engine_rpm_max > 0 else DEFAULT_RPM_MAX,
        gear=gear_text(t.gear_dashboard),
        fuel_fraction=fuel_fraction,
        fuel_text=format_volume(t.fuel_l, system),
        range_text=range_text(t, system, measured_l_per_km),
        fuel_low=fuel_low,
        air_psi=t.air_pressure_psi,
        air_fraction=fraction(t.air_pressure_psi / air_max),
        air_text=air_text(t.air_pressure_psi, frame.header.game),
        air_warning_fraction=fraction(t.air_pressure_warning_psi / air_max),
        air_low=air_low,
        water_temperature_c=t.water_temperature_c,
        overheating=overheating,
        damage=damage,
        park_brake=t.park_brake,
        motor_brake=t.motor_brake,
        retarder_level=t.retarder_level,
        retarder_steps=t.retarder_step_count,
        cruise_on=cruise is not None,
        warnings=warnings,
    )


def _idle(system: UnitSystem, warnings: tuple[str, ...] = ()) -> DashboardModel:
    return DashboardModel(
        live=False,
        system=system,
        speed=0.0,
        speed_text="–",
        speed_unit=speed_unit(system),
        speed_max=SPEED_SCALE[system],
        speed_limit=None,
        speed_limit_text="",
        cruise_speed=None,
        speeding=False,
        rpm=0.0,
        rpm_max=DEFAULT_RPM_MAX,
        gear="–",
        fuel_fraction=0.0,
        fuel_text="–",
        range_text="",
        fuel_low=False,
        air_psi=0.0,
        air_fraction=0.0,
        air_text="–",
        air_warning_fraction=0.0,
        air_low=False,
        water_temperature_c=0.0,
        overheating=False,
        damage=tuple((part, 0.0) for part in DAMAGE_PARTS),
        park_brake=False,
        motor_brake=False,
        retarder_level=0,
        retarder_steps=0,
        cruise_on=False,
        warnings=warnings,
    )
