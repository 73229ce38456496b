"""What the telemetry simulator's stories are made of: per game, the plugin/API
versions, the map scales, trucks, trailers, cargo, a tour of jobs (each job's
destination is the next job's source) and the money involved; and
:func:`plan_job`, which lays out one job (route, events, outcome) from a seed.

Names follow what the games themselves report: city and company ids as in the
game files (``berlin``, ``tradeaux``), display names with their accents
(``Malmö``, ``København``), money in the game's own currency (EUR in ETS2, USD in
ATS), speed limits in m/s, fuel in litres.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from roadmaster.telemetry.sim.vehicles import TrailerSpec, TruckSpec
from roadmaster.telemetry.sim.world import Route, RouteBuilder

KMH: Final = 1 / 3.6  # km/h -> m/s
MPH: Final = 0.44704  # mph -> m/s
CANCEL_CHANCE: Final = 0.2
LATE_CHANCE: Final = 0.25


@dataclass(frozen=True, slots=True)
class CargoSpec:
    """A cargo, counted in units of ``unit_mass_kg``."""

    cargo_id: str
    name: str
    unit_mass_kg: float
    units: tuple[int, int]  # inclusive range of the unit count


@dataclass(frozen=True, slots=True)
class Place:
    """A company depot: where a job starts or ends."""

    city_id: str
    city: str
    company_id: str
    company: str


@dataclass(frozen=True, slots=True)
class Ferry:
    """A ferry crossing on a leg, as the ferry event reports it."""

    source_id: str
    source_name: str
    target_id: str
    target_name: str
    price: int  # native currency
    crossing_game_min: int  # game time the crossing skips


@dataclass(frozen=True, slots=True)
class Leg:
    """One job of the tour: from a depot to the next, maybe across the sea."""

    source: Place
    destination: Place
    ferry: Ferry | None = None


@dataclass(frozen=True, slots=True)
class GameProfile:
    """Everything game-specific the simulator needs."""

    key: str  # "ets2" / "ats"
    title: str
    game_id: int  # scs_values.game: 1 ETS2, 2 ATS
    api_version: tuple[int, int]  # the game's telemetry API version (version_major/minor)
    sdk_version: tuple[int, int]  # the SDK constant compiled into the DLL
    currency: str
    scale_open: float  # common_f.scale outside cities
    scale_city: float  # common_f.scale inside cities
    city_limit_mps: float
    rural_limits_mps: tuple[float, ...]
    highway_limits_mps: tuple[float, ...]
    trucks: tuple[TruckSpec, ...]
    trailers: tuple[TrailerSpec, ...]
    cargos: tuple[CargoSpec, ...]
    legs: tuple[Leg, ...]  # a closed tour: legs[i].destination == legs[i + 1].source
    job_markets: tuple[str, ...]
    income_per_km: tuple[int, int]
    toll: tuple[int, int]
    fine: tuple[int, int]
    fine_offences: tuple[str, ...]


# Gear ratios of a 12-speed automated box (first .. top) and its two reverse gears.
_EU_GEARS: Final = (11.32, 9.16, 7.19, 5.82, 4.58, 3.70, 3.02, 2.44, 1.91, 1.55, 1.24, 1.00)
_US_GEARS: Final = (12.79, 9.95, 7.69, 5.99, 4.68, 3.64, 2.73, 2.13, 1.67, 1.28, 1.00, 0.78)

# fmt: off
_ETS2_TRUCKS: Final = (
    TruckSpec(
        brand_id="scania", brand="Scania", truck_id="vehicle.scania.r_2016", name="R",
        license_plate="B RM 4711", plate_country_id="germany", plate_country="Germany",
        shifter_type="automatic", fuel_capacity_l=800.0, adblue_capacity_l=80.0,
        engine_rpm_max=2500.0, idle_rpm=600.0, gear_ratios_forward=_EU_GEARS,
        gear_ratios_reverse=(-11.05, -9.01), differential=2.59, wheel_radius_m=0.52,
        retarder_steps=3, consumption_l_per_km=0.34, speed_governor_mps=90 * KMH,
    ),
    TruckSpec(
        brand_id="volvo", brand="Volvo", truck_id="vehicle.volvo.fh16_2012", name="FH16 2012",
        license_plate="HH RM 808", plate_country_id="germany", plate_country="Germany",
        shifter_type="automatic", fuel_capacity_l=700.0, adblue_capacity_l=75.0,
        engine_rpm_max=2300.0, idle_rpm=580.0, gear_ratios_forward=_EU_GEARS,
        gear_ratios_reverse=(-10.90, -8.75), differential=2.64, wheel_radius_m=0.51,
        retarder_steps=4, consumption_l_per_km=0.33, speed_governor_mps=90 * KMH,
    ),
)
_ATS_TRUCKS: Final = (
    TruckSpec(
        brand_id="peterbilt", brand="Peterbilt", truck_id="vehicle.peterbilt.579", name="579",
        license_plate="7RMS123", plate_country_id="california", plate_country="California",
        shifter_type="automatic", fuel_capacity_l=568.0, adblue_capacity_l=85.0,
        engine_rpm_max=2200.0, idle_rpm=650.0, gear_ratios_forward=_US_GEARS,
        gear_ratios_reverse=(-12.03, -9.34), differential=2.64, wheel_radius_m=0.51,
        retarder_steps=0, consumption_l_per_km=0.38, speed_governor_mps=75 * MPH,
    ),
    TruckSpec(
        brand_id="kenworth", brand="Kenworth", truck_id="vehicle.kenworth.t680", name="T680",
        license_plate="8RMK456", plate_country_id="california", plate_country="California",
        shifter_type="automatic", fuel_capacity_l=757.0, adblue_capacity_l=85.0,
        engine_rpm_max=2100.0, idle_rpm=600.0, gear_ratios_forward=_US_GEARS,
        gear_ratios_reverse=(-12.03, -9.34), differential=2.47, wheel_radius_m=0.52,
        retarder_steps=0, consumption_l_per_km=0.39, speed_governor_mps=75 * MPH,
    ),
)
_ETS2_TRAILERS: Final = (
    TrailerSpec(
        trailer_id="scs.box.single_3", name="Schmitz Cargobull S.KO Cool",
        brand_id="schmitz", brand="Schmitz Cargobull", body_type="refrigerated",
        chain_type="single", license_plate="B TR 2201", plate_country_id="germany",
        plate_country="Germany",
    ),
    TrailerSpec(
        trailer_id="scs.curtainside.single_3", name="Krone Profi Liner", brand_id="krone",
        brand="Krone", body_type="curtainside", chain_type="single",
        license_plate="B TR 3302", plate_country_id="germany", plate_country="Germany",
    ),
)
_ATS_TRAILERS: Final = (
    TrailerSpec(
        trailer_id="scs.reefer.single_53", name="Great Dane Champion SE",
        brand_id="great_dane", brand="Great Dane", body_type="refrigerated",
        chain_type="single", license_plate="4RM1777", plate_country_id="california",
        plate_country="California",
    ),
    TrailerSpec(
        trailer_id="scs.dryvan.single_53", name="Utility 4000D-X Composite",
        brand_id="utility", brand="Utility", body_type="dryvan", chain_type="single",
        license_plate="4RM2888", plate_country_id="california", plate_country="California",
    ),
)
# fmt: on


def _tour(*places: Place, ferries: dict[int, Ferry] | None = None) -> tuple[Leg, ...]:
    """The closed tour through ``places``; ``ferries[i]`` is crossed on leg ``i``."""
    ferries = ferries or {}
    n = len(places)
    return tuple(Leg(places[i], places[(i + 1) % n], ferries.get(i)) for i in range(n))


ETS2: Final = GameProfile(
    key="ets2",
    title="Euro Truck Simulator 2",
    game_id=1,
    api_version=(1, 18),
    sdk_version=(1, 18),
    currency="EUR",
    scale_open=19.0,
    scale_city=3.0,
    city_limit_mps=50 * KMH,
    rural_limits_mps=(60 * KMH, 70 * KMH, 80 * KMH),
    highway_limits_mps=(80 * KMH,),  # the truck limit on motorways
    trucks=_ETS2_TRUCKS,
    trailers=_ETS2_TRAILERS,
    cargos=(
        CargoSpec("electronics", "Electronics", 25.0, (400, 700)),
        CargoSpec("furniture", "Furniture", 120.0, (80, 150)),
        CargoSpec("beverages", "Beverages", 500.0, (20, 34)),
        CargoSpec("frozen_veget", "Frozen Vegetables", 420.0, (24, 40)),
    ),
    legs=_tour(
        Place("berlin", "Berlin", "tradeaux", "Tradeaux"),
        Place("praha", "Praha", "posped", "Posped"),
        Place("dresden", "Dresden", "transinet", "TransInet"),
        Place("rostock", "Rostock", "stokes", "Stokes"),
        Place("malmo", "Malmö", "wilnet_trans", "Wilnet Transport"),
        Place("kobenhavn", "København", "eurogoodies", "EuroGoodies"),
        ferries={
            3: Ferry("rostock", "Rostock", "trelleborg", "Trelleborg", 560, 390),
            5: Ferry("gedser", "Gedser", "rostock", "Rostock", 380, 120),
        },
    ),
    job_markets=("freight_market", "freight_market", "cargo_market", "quick_job"),
    income_per_km=(38, 62),
    toll=(12, 48),
    fine=(250, 900),
    fine_offences=("speeding", "speeding_camera"),
)

ATS: Final = GameProfile(
    key="ats",
    title="American Truck Simulator",
    game_id=2,
    api_version=(1, 5),
    sdk_version=(1, 5),
    currency="USD",
    scale_open=20.0,
    scale_city=3.0,
    city_limit_mps=35 * MPH,
    rural_limits_mps=(45 * MPH, 55 * MPH),
    highway_limits_mps=(55 * MPH, 65 * MPH),
    trucks=_ATS_TRUCKS,
    trailers=_ATS_TRAILERS,
    cargos=(
        CargoSpec("apples", "Apples", 450.0, (26, 40)),
        CargoSpec("lumber", "Lumber", 1100.0, (12, 18)),
        CargoSpec("tires", "Tires", 45.0, (250, 420)),
        CargoSpec("canned_beans", "Canned Beans", 600.0, (20, 30)),
    ),
    legs=_tour(
        Place("sacramento", "Sacramento", "wallbert", "Wallbert"),
        Place("reno", "Reno", "chemso", "Chemso"),
        Place("carson_city", "Carson City", "gal_oil", "Gallon Oil"),
        Place("stockton", "Stockton", "sell_goods", "Sell Goods"),
        Place("fresno", "Fresno", "voltison", "Voltison Motors"),
    ),
    job_markets=("freight_market", "freight_market", "cargo_market", "quick_job"),
    income_per_km=(45, 70),
    toll=(8, 30),
    fine=(300, 1000),
    fine_offences=("speeding", "speeding_camera"),
)

PROFILES: Final = {ETS2.key: ETS2, ATS.key: ATS}


# --- planning a job ---------------------------------------------------------------------


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


def plan_job(
    p: GameProfile,
    seed_text: str,
    index: int,
    *,
    first_leg: int,
    start: tuple[float, float, float],
    base_y_m: float,
    governor_mps: float,
) -> JobPlan:
    """Job ``index`` of a story: leg, cargo, money, outcome and a route of about 20 km
    from ``start`` (x, z, heading).  Depends only on its arguments: the same seed
    gives the same jobs whatever the simulator's tick."""
    rng = random.Random(f"roadmaster-sim:{seed_text}:job{index}")
    leg = p.legs[(first_leg + index) % len(p.legs)]
    governor = governor_mps
    x, z, heading = start
    b = RouteBuilder(rng, x, z, (heading + rng.uniform(-0.1, 0.1)) % 1)

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
    route = b.build(base_y_m)

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


def deadline(p: GameProfile, plan: JobPlan, now_min: int) -> int:
    """The delivery deadline for a job taken at ``now_min``: generous, or (for a late
    job) shorter than the drive."""
    expected = plan.route.game_minutes(p.scale_open, p.scale_city) + 15.0
    if plan.leg.ferry is not None:
        expected += plan.leg.ferry.crossing_game_min
    slack = 0.6 if plan.late else 1.8
    return now_min + round(expected * slack) + (0 if plan.late else 60)
