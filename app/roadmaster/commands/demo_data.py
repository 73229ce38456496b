"""``roadmaster demo-data --jobs N``: a realistic job history for demos, screenshots
and benchmarks.

Both games, in sessions of a few jobs: ATS between real cities of its map (USD,
routes of a few hundred miles), ETS2 across Europe (EUR, ferries to Britain and
Scandinavia).  Incomes per km, fuel per km, truck and cargo damage, some late, some
cancelled, a few left for review; fines, tolls and ferries are stored as job
events and summed on the job as the capture does.  Wall times spread over the
past two years, game minutes increase per game, and the economics columns come
from :mod:`roadmaster.jobs.economics`, so the dashboard's formulas hold for these
rows too.  Demo jobs never enter the sync outbox.

Loaded through :func:`roadmaster.storage.bulk.bulk_load` (indexes rebuilt once,
not maintained row by row): 100,000 jobs take a few seconds.
"""

from __future__ import annotations

import argparse
import math
import random
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from roadmaster import paths
from roadmaster.errors import UserError
from roadmaster.jobs.economics import Expenses, job_economics, truck_damage_fraction
from roadmaster.jobs.events import Wear
from roadmaster.storage.bulk import LoadItem, bulk_load
from roadmaster.storage.history import CareerKeeper
from roadmaster.storage.store import Store
from roadmaster.storage.tables import WEAR_PARTS

MAX_JOBS: Final = 100_000
HISTORY_DAYS: Final = 730
ROAD_FACTOR: Final = 1.22  # road length over great-circle distance

# (city id, name, region, latitude, longitude); ids as the games report them.
_ATS_CITIES: Final = """
sacramento|Sacramento|CA|38.58|-121.49; los_angeles|Los Angeles|CA|34.05|-118.24;
san_francisco|San Francisco|CA|37.77|-122.42; fresno|Fresno|CA|36.74|-119.79;
bakersfield|Bakersfield|CA|35.37|-119.02; san_diego|San Diego|CA|32.72|-117.16;
redding|Redding|CA|40.59|-122.39; las_vegas|Las Vegas|NV|36.17|-115.14;
reno|Reno|NV|39.53|-119.81; elko|Elko|NV|40.83|-115.76; phoenix|Phoenix|AZ|33.45|-112.07;
tucson|Tucson|AZ|32.22|-110.97; flagstaff|Flagstaff|AZ|35.20|-111.65;
albuquerque|Albuquerque|NM|35.08|-106.65; las_cruces|Las Cruces|NM|32.32|-106.76;
portland|Portland|OR|45.52|-122.68; eugene|Eugene|OR|44.05|-123.09;
medford|Medford|OR|42.33|-122.87; seattle|Seattle|WA|47.61|-122.33;
spokane|Spokane|WA|47.66|-117.43; yakima|Yakima|WA|46.60|-120.51;
boise|Boise|ID|43.62|-116.20; pocatello|Pocatello|ID|42.87|-112.45;
salt_lake|Salt Lake City|UT|40.76|-111.89; st_george|St. George|UT|37.10|-113.58;
denver|Denver|CO|39.74|-104.99; durango|Durango|CO|37.28|-107.88;
cheyenne|Cheyenne|WY|41.14|-104.82; casper|Casper|WY|42.87|-106.31;
billings|Billings|MT|45.78|-108.50; missoula|Missoula|MT|46.87|-113.99;
dallas|Dallas|TX|32.78|-96.80; houston|Houston|TX|29.76|-95.37;
el_paso|El Paso|TX|31.76|-106.49; amarillo|Amarillo|TX|35.22|-101.83;
san_antonio|San Antonio|TX|29.42|-98.49; oklahoma_city|Oklahoma City|OK|35.47|-97.52;
tulsa|Tulsa|OK|36.15|-95.99; wichita|Wichita|KS|37.69|-97.34;
dodge_city|Dodge City|KS|37.75|-100.02; kansas_city|Kansas City|MO|39.10|-94.58;
st_louis|St. Louis|MO|38.63|-90.20; omaha|Omaha|NE|41.26|-95.93;
north_platte|North Platte|NE|41.12|-100.77; des_moines|Des Moines|IA|41.59|-93.62;
davenport|Davenport|IA|41.52|-90.58; little_rock|Little Rock|AR|34.75|-92.29;
fort_smith|Fort Smith|AR|35.39|-94.40;
"""
_ETS2_CITIES: Final = """
berlin|Berlin|DE|52.52|13.40; hamburg|Hamburg|DE|53.55|9.99;
munchen|München|DE|48.14|11.58; koln|Köln|DE|50.94|6.96;
frankfurt|Frankfurt am Main|DE|50.11|8.68; stuttgart|Stuttgart|DE|48.78|9.18;
dresden|Dresden|DE|51.05|13.74; hannover|Hannover|DE|52.37|9.73; paris|Paris|FR|48.86|2.35;
lyon|Lyon|FR|45.76|4.84; calais|Calais|FR|50.95|1.86; marseille|Marseille|FR|43.30|5.37;
bordeaux|Bordeaux|FR|44.84|-0.58; london|London|GB|51.51|-0.13;
manchester|Manchester|GB|53.48|-2.24; glasgow|Glasgow|GB|55.86|-4.25;
amsterdam|Amsterdam|NL|52.37|4.90; rotterdam|Rotterdam|NL|51.92|4.48;
brussel|Brussel|BE|50.85|4.35; luxembourg|Luxembourg|LU|49.61|6.13;
wien|Wien|AT|48.21|16.37; salzburg|Salzburg|AT|47.81|13.06; zurich|Zürich|CH|47.38|8.54;
praha|Praha|CZ|50.08|14.44; brno|Brno|CZ|49.20|16.61; warszawa|Warszawa|PL|52.23|21.01;
krakow|Kraków|PL|50.06|19.94; gdansk|Gdańsk|PL|54.35|18.65;
bratislava|Bratislava|SK|48.15|17.11; budapest|Budapest|HU|47.50|19.04;
milano|Milano|IT|45.46|9.19; roma|Roma|IT|41.90|12.50; venezia|Venezia|IT|45.44|12.32;
madrid|Madrid|ES|40.42|-3.70; barcelona|Barcelona|ES|41.39|2.17;
lisboa|Lisboa|PT|38.72|-9.14; porto|Porto|PT|41.15|-8.61;
kobenhavn|København|DK|55.68|12.57; aarhus|Aarhus|DK|56.16|10.20;
stockholm|Stockholm|SE|59.33|18.07; goteborg|Göteborg|SE|57.71|11.97;
malmo|Malmö|SE|55.60|13.00; oslo|Oslo|NO|59.91|10.75; helsinki|Helsinki|FI|60.17|24.94;
tallinn|Tallinn|EE|59.44|24.75; riga|Riga|LV|56.95|24.11; vilnius|Vilnius|LT|54.69|25.28;
bucuresti|București|RO|44.43|26.10; sofia|Sofia|BG|42.70|23.32;
zagreb|Zagreb|HR|45.81|15.98; ljubljana|Ljubljana|SI|46.06|14.51;
beograd|Beograd|RS|44.79|20.45; istanbul|İstanbul|TR|41.01|28.98;
athens|Athens|GR|37.98|23.73;
"""
_ATS_COMPANIES: Final = (
    "wallbert:Wallbert; chemso:Chemso; gal_oil:Gallon Oil; sell_goods:Sell Goods; "
    "voltison:Voltison Motors; bushnell:Bushnell Farms; coastline:Coastline Mining; "
    "steeler:Steeler; plaster:Plaster & Co; home_store:Home Store; vortex:Vortex Foods; "
    "sunshine:Sunshine Crops"
)
_ETS2_COMPANIES: Final = (
    "tradeaux:Tradeaux; posped:Posped; transinet:TransInet; stokes:Stokes; "
    "wilnet_trans:Wilnet Transport; eurogoodies:EuroGoodies; fcp:FCP; itcc:ITCC; lkw:LKW; "
    "tree_et:Tree-ET; kaarfor:Kaarfor; sanbuilders:Sanbuilders; aria_food:Aria Food; bcp:BCP"
)
# (cargo id, name, mass range in tonnes)
_ATS_CARGO: Final = (
    ("apples", "Apples", 14, 21), ("lumber", "Lumber", 16, 22), ("tires", "Tires", 6, 12),
    ("canned_beans", "Canned Beans", 12, 20), ("gravel", "Gravel", 18, 24),
    ("cattle", "Live Cattle", 14, 20), ("diesel", "Diesel", 16, 23),
    ("electronics", "Electronics", 4, 10), ("frozen_food", "Frozen Food", 12, 19),
)  # fmt: skip
_ETS2_CARGO: Final = (
    ("electronics", "Electronics", 4, 14), ("furniture", "Furniture", 6, 15),
    ("beverages", "Beverages", 12, 22), ("frozen_veget", "Frozen Vegetables", 14, 21),
    ("cement", "Cement", 18, 25), ("chemicals", "Chemicals", 10, 24),
    ("mach_parts", "Machinery Parts", 8, 20), ("paper", "Paper Rolls", 10, 18),
    ("milk", "Milk", 15, 22),
)  # fmt: skip
_OFFENCES: Final = ("speeding", "speeding_camera", "red_signal", "crash", "no_lights", "wrong_way")
_TOLL_REGIONS: Final = {
    "ats": {"CA", "OK", "KS", "TX"},
    "ets2": {"FR", "IT", "ES", "PT", "PL", "HR", "GR", "AT", "SI", "CH"},
}
_NORDIC: Final = {"SE", "NO", "FI"}
_WEAR_START: Final = tuple(f"wear_start_{p}" for p in WEAR_PARTS)
_WEAR_END: Final = tuple(f"wear_end_{p}" for p in WEAR_PARTS)


@dataclass(frozen=True, slots=True)
class _City:
    id: str
    name: str
    region: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class _Game:
    key: str
    cities: tuple[_City, ...]
    companies: tuple[tuple[str, str], ...]
    cargo: tuple[tuple[str, str, int, int], ...]
    income_per_km: tuple[float, float]
    fuel_l_per_km: tuple[float, float]
    min_km: float
    max_km: float
    fine: tuple[int, int]


def _cities(text: str) -> tuple[_City, ...]:
    records = (r.strip() for r in text.split(";"))
    fields = (r.split("|") for r in records if r)
    return tuple(_City(c, n, g, float(lat), float(lon)) for c, n, g, lat, lon in fields)


def _companies(text: str) -> tuple[tuple[str, str], ...]:
    pairs = (p.strip().split(":", 1) for p in text.split(";"))
    return tuple((p[0], p[1]) for p in pairs if len(p) == 2)


GAMES: Final = {
    "ats": _Game("ats", _cities(_ATS_CITIES), _companies(_ATS_COMPANIES), _ATS_CARGO,
                 (30.0, 55.0), (0.36, 0.46), 120.0, 1800.0, (300, 1500)),
    "ets2": _Game("ets2", _cities(_ETS2_CITIES), _companies(_ETS2_COMPANIES), _ETS2_CARGO,
                  (22.0, 45.0), (0.29, 0.38), 150.0, 2600.0, (250, 1100)),
}  # fmt: skip


def _km(a: _City, b: _City) -> float:
    """Road distance estimate: great-circle distance × a road factor."""
    la1, la2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = la2 - la1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h)) * ROAD_FACTOR


def _expense(kind: str, game_min: int, **values: Any) -> dict[str, Any]:
    return {"kind": kind, "t_s": 0.0, "game_time_min": game_min, **values}


class _Generator:
    """Deterministic for a seed; one instance per run.  Game clocks advance per game
    (each game keeps its own save), wall times run forward over the history window."""

    def __init__(self, n: int, seed: int, now: datetime, tag: str) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.now = now
        self.tag = tag
        self.clock = {key: 8 * 60 + self.rng.randrange(0, 30 * 24 * 60) for key in GAMES}
        self.wear = {key: [0.0] * len(WEAR_PARTS) for key in GAMES}
        self.location = {key: self.rng.choice(g.cities) for key, g in GAMES.items()}

    def items(self) -> Iterator[LoadItem]:
        rng = self.rng
        span_s = HISTORY_DAYS * 86_400.0
        step_s = span_s / self.n
        start = self.now - timedelta(days=HISTORY_DAYS)
        game = "ats"
        for i in range(self.n):
            if i == 0 or rng.random() < 0.2:  # a new play session, maybe the other game
                game = rng.choice(("ats", "ets2"))
            # Evenly spread over the window (with jitter), so each job has room for
            # its real duration before the next begins.
            begin = start + timedelta(seconds=step_s * (i + rng.uniform(0.0, 0.3)))
            yield self._job(i, GAMES[game], begin, step_s * 0.65)

    def _route(self, g: _Game) -> tuple[_City, _City, float]:
        rng = self.rng
        src = self.location[g.key]
        for _ in range(40):
            dst = rng.choice(g.cities)
            km = _km(src, dst)
            if dst is not src and g.min_km <= km <= g.max_km:
                return src, dst, km
        # Stuck (an isolated city): teleport, as a player taking a quick job would.
        src = rng.choice(g.cities)
        self.location[g.key] = src
        return self._route(g)

    def _job(self, i: int, g: _Game, begin: datetime, max_real_s: float) -> LoadItem:
        rng = self.rng
        src, dst, km = self._route(g)
        planned_km = round(km)
        cargo_id, cargo, t_min, t_max = rng.choice(g.cargo)
        mass_kg = round(rng.uniform(t_min, t_max) * 1000.0, -1)
        income = round(planned_km * rng.uniform(*g.income_per_km) * (0.85 + mass_kg / 80_000))
        roll = rng.random()
        status = "delivered" if roll < 0.9 else "cancelled" if roll < 0.98 else "needs-review"
        share = 1.0 if status == "delivered" else rng.uniform(0.05, 0.8)
        driven_km = planned_km * share * rng.uniform(1.0, 1.06)
        avg_speed = rng.gauss(21.5, 2.8) if rng.random() > 0.04 else rng.uniform(29.5, 33.0)
        avg_speed = max(12.0, avg_speed)
        driving_s = driven_km * 1000.0 / avg_speed
        # The game clock runs ~19-20 times faster than real time on the road.
        game_min = round(driving_s * 19.5 / 60 * rng.uniform(1.05, 1.25))
        started_game = self.clock[g.key] + rng.randrange(10, 600)  # sleep, repairs, menus
        deadline = started_game + round(planned_km * 1000 / 21 * 19.5 / 60 * rng.uniform(1.2, 1.9))
        late = status == "delivered" and rng.random() < 0.08
        if late:
            ended_game = deadline + rng.randrange(5, 360)
        elif status == "delivered":
            ended_game = min(deadline - 1, started_game + game_min)
        else:
            ended_game = started_game + game_min
        self.clock[g.key] = ended_game
        self.location[g.key] = dst if status == "delivered" else src

        # Truck wear: a little every km, now and then an accident; repaired at ~25 %.
        wear_start = self.wear[g.key]
        accident = rng.random() < 0.06
        gain = [driven_km * rng.uniform(2e-6, 8e-6) + (rng.uniform(0.01, 0.12) if accident else 0.0)
                for _ in WEAR_PARTS]  # fmt: skip
        wear_end = [min(1.0, a + b) for a, b in zip(wear_start, gain, strict=True)]
        self.wear[g.key] = [0.0] * len(WEAR_PARTS) if max(wear_end) > 0.25 else wear_end
        damage = truck_damage_fraction(Wear(*wear_end).minus(Wear(*wear_start)))
        cargo_damage = rng.uniform(0.002, 0.09) if accident or rng.random() < 0.05 else 0.0

        events = self._expenses(g, src, dst, started_game, ended_game, driven_km)
        fines = sum(e["amount"] for e in events if e["kind"] == "fine")
        tolls = sum(e["amount"] for e in events if e["kind"] == "toll")
        ferry = sum(e["amount"] for e in events if e["kind"] == "ferry")
        fuel_l = driven_km * rng.uniform(*g.fuel_l_per_km)
        if status == "delivered":
            cut = 1.0 - min(0.5, cargo_damage * 2.5) - (rng.uniform(0.1, 0.3) if late else 0.0)
            revenue, penalty = round(income * cut), 0
        else:
            revenue = 0
            penalty = round(income * rng.uniform(0.08, 0.2)) if status == "cancelled" else 0
        econ = job_economics(
            income=income,
            revenue=revenue,
            fuel_used_l=fuel_l,
            damage_taken=damage,
            distance_km=driven_km,
            delivered_late=late,
            avg_speed_mps=avg_speed,
            expenses=Expenses(fines=fines, tolls=tolls, ferry=ferry),
            penalty=penalty,
        )
        real_s = min(max_real_s, driving_s * rng.uniform(1.05, 1.3))
        ended_at = begin + timedelta(seconds=real_s)
        delivered = status == "delivered"
        row: dict[str, Any] = {
            "job_key": f"demo:{self.tag}:{i}",
            "status": status,
            "game": g.key,
            "cargo_id": cargo_id,
            "cargo": cargo,
            "cargo_mass_kg": mass_kg,
            "source_city_id": src.id,
            "source_city": src.name,
            "source_company_id": (sc := rng.choice(g.companies))[0],
            "source_company": sc[1],
            "destination_city_id": dst.id,
            "destination_city": dst.name,
            "destination_company_id": (dc := rng.choice(g.companies))[0],
            "destination_company": dc[1],
            "income": income,
            "planned_distance_km": planned_km,
            "deadline_game_min": deadline,
            "job_market": rng.choice(("freight_market", "freight_market", "cargo_market")),
            "special_job": rng.random() < 0.01,
            "started_game_min": started_game,
            "ended_game_min": ended_game,
            "started_at": begin,
            "ended_at": ended_at,
            "updated_at": ended_at,
            "distance_km": driven_km,
            "fuel_used_l": fuel_l,
            "refuelled_l": sum(e["fuel_l"] or 0.0 for e in events if e["kind"] == "refuel"),
            "avg_speed_mps": avg_speed,
            "max_speed_mps": avg_speed + rng.uniform(4.0, 9.0),
            "avg_rpm": rng.uniform(1150.0, 1450.0),
            "speeding_s": driving_s * rng.uniform(0.0, 0.06),
            "idle_s": driving_s * rng.uniform(0.02, 0.08),
            "cruise_s": driving_s * rng.uniform(0.3, 0.8),
            "driving_s": driving_s,
            "real_s": real_s,
            "game_min": ended_game - started_game,
            **dict(zip(_WEAR_START, wear_start, strict=True)),
            **dict(zip(_WEAR_END, wear_end, strict=True)),
            "damage_taken": sum(gain) / len(gain),
            "cargo_damage": cargo_damage,
            "revenue": revenue,
            "xp": round(planned_km * rng.uniform(2.2, 3.0)) if delivered else 0,
            "penalty": penalty,
            "late": late if delivered else None,
            "delivery_time_min": ended_game - started_game if delivered else None,
            "reported_distance_km": driven_km if delivered else None,
            "autopark_used": rng.random() < 0.15 if delivered else None,
            "autoload_used": rng.random() < 0.3 if delivered else None,
            "end_reason": "closed without a delivered or cancelled event (demo)"
            if status == "needs-review"
            else None,
            "fines": fines,
            "tolls": tolls,
            "transport_cost": ferry,
            "fuel_cost": econ.fuel_cost,
            "damage_cost": econ.damage_cost,
            "profit": econ.net_profit,
            "safety_score": econ.safety_score,
        }
        return LoadItem(row, events)

    def _expenses(
        self, g: _Game, src: _City, dst: _City, start_min: int, end_min: int, km: float
    ) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[dict[str, Any]] = []

        def when() -> int:
            return rng.randrange(start_min, max(start_min + 1, end_min))

        if rng.random() < 0.12:
            for _ in range(1 if rng.random() < 0.85 else 2):
                amount = rng.randrange(g.fine[0], g.fine[1] + 1, 10)
                out.append(_expense("fine", when(), amount=amount, offence=rng.choice(_OFFENCES)))
        if {src.region, dst.region} & _TOLL_REGIONS[g.key] and rng.random() < 0.7:
            for _ in range(rng.randint(1, 3)):
                out.append(_expense("toll", when(), amount=rng.randrange(6, 90)))
        if g.key == "ets2":
            crossing = _ferry(src, dst)
            if crossing is not None:
                a, b, price = crossing
                out.append(_expense("ferry", when(), amount=price, source_name=a, target_name=b))
        if km > 900:  # a fuel stop on a long haul
            out.append(_expense("refuel", when(), fuel_l=round(rng.uniform(250, 550), 1)))
        out.sort(key=lambda e: int(e["game_time_min"]))
        return out


def _ferry(src: _City, dst: _City) -> tuple[str, str, int] | None:
    """The sea crossing an ETS2 route needs, if any (Channel, Baltic)."""
    if (src.region == "GB") != (dst.region == "GB"):
        return ("Calais", "Dover", 420) if dst.region == "GB" else ("Dover", "Calais", 420)
    nordic_src, nordic_dst = src.region in _NORDIC, dst.region in _NORDIC
    if nordic_src != nordic_dst and "DK" not in (src.region, dst.region):
        return ("Rostock", "Trelleborg", 560) if nordic_dst else ("Trelleborg", "Rostock", 560)
    return None


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo-data",
        help="fill the local log with a realistic demo history",
        description="Add N realistic finished jobs (ATS and ETS2, over the past two years) "
        "to the local database, for demos, screenshots and benchmarks. They are never "
        "sent to the cloud.",
    )
    p.add_argument("--jobs", type=int, required=True, metavar="N", help=f"1 to {MAX_JOBS:,}")
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    p.add_argument("--seed", type=int, default=None, help="generate the same history again")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    n: int = args.jobs
    if not 1 <= n <= MAX_JOBS:
        raise UserError(
            f"--jobs must be between 1 and {MAX_JOBS:,} (got {n:,}); "
            "run demo-data again to add more."
        )
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    data_dir = paths.data_dir(args.data_dir)
    started = time.perf_counter()
    with Store.open(data_dir) as store:
        now = datetime.now(UTC)
        # The tag keeps job keys unique when demo-data runs again on the same folder.
        tag = f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
        generator = _Generator(n, seed, now, tag)
        statuses: Counter[str] = Counter()
        games: Counter[str] = Counter()

        def counted() -> Iterator[LoadItem]:
            for item in generator.items():
                statuses[item.job["status"]] += 1
                games[item.job["game"]] += 1
                yield item

        result = bulk_load(store, counted(), expected=n)
        unlocked = CareerKeeper(store).catch_up()
        data_file = store.data_file
    elapsed = time.perf_counter() - started
    print(
        f"Added {result.jobs:,} demo jobs (ATS {games['ats']:,}, ETS2 {games['ets2']:,}; "
        f"{statuses['delivered']:,} delivered, {statuses['cancelled']:,} cancelled, "
        f"{statuses['needs-review']:,} to review) with {result.events:,} fines, tolls, "
        f"ferries and fuel stops, {len(unlocked)} achievements unlocked, "
        f"to {data_file} in {elapsed:.1f} s (seed {seed})."
    )
    return 0
