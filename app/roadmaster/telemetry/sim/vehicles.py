"""The vehicles of the simulator's stories: a truck and a trailer model and how the
plugin describes them.  Both the world (which drives a truck) and the scenarios
(which pick one per game) import this module; it imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TruckSpec:
    """A truck model and how the plugin describes it."""

    brand_id: str
    brand: str
    truck_id: str
    name: str
    license_plate: str
    plate_country_id: str
    plate_country: str
    shifter_type: str
    fuel_capacity_l: float
    adblue_capacity_l: float
    engine_rpm_max: float
    idle_rpm: float
    gear_ratios_forward: tuple[float, ...]  # 12 gears, first to top
    gear_ratios_reverse: tuple[float, ...]  # 2 gears, negative as the SDK gives them
    differential: float
    wheel_radius_m: float
    retarder_steps: int
    consumption_l_per_km: float  # typical loaded consumption at cruise
    speed_governor_mps: float  # the truck's speed limiter


@dataclass(frozen=True, slots=True)
class TrailerSpec:
    """A trailer model and how the plugin describes it."""

    trailer_id: str
    name: str
    brand_id: str
    brand: str
    body_type: str
    chain_type: str
    license_plate: str
    plate_country_id: str
    plate_country: str
