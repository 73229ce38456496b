"""Achievements: the seven the web dashboard seeds, plus distance, earnings,
clean-delivery streaks and "every state / country visited".

Pure functions over the job history (:class:`~roadmaster.jobs.standings.FinishedJob`
rows in chronological order).  :func:`evaluate` returns what is *newly* unlocked,
each with the job after which its condition first held; the caller stores the ids
and passes them back as ``already_unlocked``, so each unlocks exactly once.

Rules (documented choices):

* Only **delivered** jobs count towards jobs, distance, profit, earnings and fuel
  economy (the dashboard's figures are over completed jobs).  A cancelled job
  breaks both streaks (it is a failed delivery); abandoned / needs-review jobs are
  ignored until the player resolves them.
* The dashboard's seven (``first_job`` … ``no_damage``) are over **all games
  together**, like the hosted service (which does not separate games): miles are
  real miles for both games, ``profitable_hauler`` adds the dashboard profit
  (income − fuel − damage) in each game's currency, 10,000 in either.
  ``fuel_efficient`` is the distance-weighted average (total miles / total gallons)
  once at least 100 miles with measured fuel are logged, so one short downhill job
  cannot unlock it.  ``no_damage`` = a delivery with no cargo damage (≤ 1e-6: the
  truck wears with every km driven, so truck wear can never be exactly 0).
* Distance (1k/10k/100k/1M) and earnings (10k/100k, money the game paid) are **per
  game**, in the game's own unit: miles for ATS, km for ETS2; ids are prefixed
  ``ats.`` / ``ets2.``.
* "Every state / country" needs a city → region table: the game reports only city
  ids.  :data:`CITY_REGIONS` covers the common cities of the released maps (base
  game and map DLCs); an unknown city (map mods, a DLC city missing from the table)
  counts for nothing, and the target is every region of the table.  The table
  must be extended when SCS releases a map DLC.  Players without all map DLCs
  cannot reach these two.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from roadmaster.jobs.events import JobStatus
from roadmaster.jobs.standings import FinishedJob
from roadmaster.telemetry.frame import Game
from roadmaster.units import km_to_miles, litres_to_gallons

ZERO_DAMAGE: Final = 1e-6
FUEL_EFFICIENT_MIN_MILES: Final = 100.0

# --- regions ---------------------------------------------------------------------

ATS_STATES: Final[Mapping[str, str]] = {
    "AR": "Arkansas",
    "AZ": "Arizona",
    "CA": "California",
    "CO": "Colorado",
    "IA": "Iowa",
    "ID": "Idaho",
    "KS": "Kansas",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NM": "New Mexico",
    "NV": "Nevada",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "TX": "Texas",
    "UT": "Utah",
    "WA": "Washington",
    "WY": "Wyoming",
}

ETS2_COUNTRIES: Final[Mapping[str, str]] = {
    "AL": "Albania",
    "AT": "Austria",
    "BA": "Bosnia and Herzegovina",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CH": "Switzerland",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "EE": "Estonia",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "GB": "United Kingdom",
    "GR": "Greece",
    "HR": "Croatia",
    "HU": "Hungary",
    "IT": "Italy",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "ME": "Montenegro",
    "MK": "North Macedonia",
    "NL": "Netherlands",
    "NO": "Norway",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "RS": "Serbia",
    "RU": "Russia",
    "SE": "Sweden",
    "SI": "Slovenia",
    "SK": "Slovakia",
    "TR": "Turkey",
    "XK": "Kosovo",
}

# Region → the game's city ids (config_s.citySrcId / cityDstId).  Common cities
# only; ids checked against public community city lists of the games where we
# could (West Balkans / Greece / Iberia / Black Sea rows are the ones most likely
# to need a correction).
_ATS_CITIES: Final[Mapping[str, str]] = {
    "AR": "little_rock fort_smith jonesboro hot_springs pine_bluff el_dorado harrison",
    "AZ": "phoenix tucson flagstaff kingman page show_low sierra_vista ehrenberg",
    "CA": "los_angeles san_francisco sacramento fresno bakersfield san_diego oakland "
    "redding stockton barstow santa_maria eureka",
    "CO": "denver fort_collins durango lamar sterling burlington",
    "IA": "des_moines davenport sioux_city cedar_rapids dubuque iowa_city mason_city",
    "ID": "boise pocatello idaho_falls lewiston twin_falls sandpoint",
    "KS": "wichita salina_ks garden_city dodge_city hays emporia hutchinson colby",
    "MO": "kansas_city springfield_mo jefferson_city joplin st_louis cape_girardeau kirksville",
    "MT": "billings missoula bozeman helena butte greatfalls kalispell havre",
    "NE": "omaha lincoln_ne grand_island north_platte scottsbluff norfolk_ne mccook",
    "NM": "albuquerque santa_fe las_cruces roswell farmington gallup hobbs",
    "NV": "las_vegas reno elko ely carson_city",
    "OK": "oklahoma_city tulsa lawton enid guymon mcalester ardmore",
    "OR": "portland eugene medford bend salem klamath_f coos_bay",
    "TX": "dallas fort_worth houston austin san_antonio el_paso amarillo lubbock "
    "laredo corpus_christi odessa midland beaumont",
    "UT": "salt_lake st_george moab price ogden vernal cedar_city",
    "WA": "seattle spokane olympia bellingham tacoma yakima wenatchee",
    "WY": "cheyenne casper laramie rock_springs gillette sheridan",
}

_ETS2_CITIES: Final[Mapping[str, str]] = {
    "AL": "tirane durres vlore",
    "AT": "wien graz linz salzburg innsbruck klagenfurt",
    "BA": "sarajevo banja_luka mostar tuzla",
    "BE": "brussel liege",
    "BG": "sofia varna plovdiv burgas ruse",
    "CH": "zurich bern geneve basel",
    "CZ": "prague praha brno ostrava",  # the simulator says praha
    "DE": "berlin hamburg munchen koln frankfurt stuttgart dresden leipzig hannover "
    "bremen dortmund dusseldorf nurnberg kiel rostock kassel magdeburg erfurt "
    "osnabruck mannheim",
    "DK": "kobenhavn aalborg aarhus odense esbjerg frederikshv",
    "EE": "tallinn tartu parnu narva",
    "ES": "madrid barcelona bilbao sevilla valencia zaragoza",
    "FI": "helsinki turku tampere lahti kouvola kotka",
    "FR": "paris lyon marseille calais lille strasbourg bordeaux toulouse nantes "
    "reims metz dijon rennes",
    "GB": "london manchester birmingham dover glasgow edinburgh aberdeen liverpool "
    "cardiff newcastle sheffield southampton plymouth",
    "GR": "athens thessaloniki patras",
    "HR": "zagreb rijeka split osijek",
    "HU": "budapest debrecen szeged pecs",
    "IT": "roma milano torino venezia bologna firenze genova napoli verona",
    "LT": "vilnius kaunas klaipeda panevezys",
    "LU": "luxembourg",
    "LV": "riga liepaja daugavpils ventspils",
    "ME": "podgorica niksic",
    "MK": "skopje bitola",
    "NL": "amsterdam rotterdam groningen eindhoven europoort",
    "NO": "oslo bergen stavanger kristiansand",
    "PL": "warszawa krakow gdansk poznan wroclaw szczecin lodz katowice",
    "PT": "lisboa porto faro",
    "RO": "bucuresti cluj constanta timisoara sibiu",
    "RS": "beograd novi_sad nis",
    "RU": "kaliningrad st_petersburg pskov luga vyborg",
    "SE": "stockholm goteborg malmo uppsala helsingborg",
    "SI": "ljubljana maribor",
    "SK": "bratislava kosice bystrica",
    "TR": "istanbul edirne tekirdag",
    "XK": "pristina",
}


def _invert(table: Mapping[str, str]) -> dict[str, str]:
    return {city: region for region, cities in table.items() for city in cities.split()}


CITY_REGIONS: Final[Mapping[Game, Mapping[str, str]]] = {
    Game.ATS: _invert(_ATS_CITIES),
    Game.ETS2: _invert(_ETS2_CITIES),
}
REGIONS: Final[Mapping[Game, Mapping[str, str]]] = {
    Game.ATS: ATS_STATES,
    Game.ETS2: ETS2_COUNTRIES,
}


def region_of(game: Game, city_id: str) -> str | None:
    """The state (ATS) / country (ETS2) code of a city id; None when unknown."""
    return CITY_REGIONS.get(game, {}).get(city_id.strip().casefold())


# --- model ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Achievement:
    id: str
    title: str
    description: str
    target: float
    unit: str  # what ``current`` / ``target`` count: "jobs", "mi", "km", "$" …
    game: Game | None  # None: over all games
    dashboard: bool  # one of the seven the web dashboard seeds


@dataclass(frozen=True, slots=True)
class Unlocked:
    achievement: Achievement
    job: FinishedJob  # the job after which the condition first held
    index: int  # its position in the history


@dataclass(frozen=True, slots=True)
class Progress:
    achievement: Achievement
    current: float
    target: float

    @property
    def unlocked(self) -> bool:
        return self.current >= self.target

    @property
    def fraction(self) -> float:
        """0..1 for a progress bar."""
        if self.target <= 0:
            return 1.0
        return min(1.0, max(0.0, self.current / self.target))


@dataclass(slots=True)
class _Tally:
    """Running totals over a history prefix (private, mutable: one pass)."""

    delivered: int = 0
    miles: float = 0.0
    dashboard_profit: float = 0.0
    fuel_miles: float = 0.0  # miles of jobs with measured fuel
    fuel_gal: float = 0.0
    on_time_streak: int = 0
    best_on_time_streak: int = 0
    clean_streak: int = 0
    best_clean_streak: int = 0
    distance_km: dict[Game, float] = field(default_factory=dict)
    revenue: dict[Game, int] = field(default_factory=dict)
    regions: dict[Game, set[str]] = field(default_factory=dict)

    def add(self, job: FinishedJob) -> None:
        if job.status is JobStatus.CANCELLED:
            self.on_time_streak = self.clean_streak = 0
            self._visit(job.game, job.source_city_id)
            return
        if job.status is not JobStatus.DELIVERED:
            return
        distance = job.distance_km if math.isfinite(job.distance_km) else 0.0
        distance = max(0.0, distance)
        self.delivered += 1
        self.miles += km_to_miles(distance)
        if math.isfinite(job.dashboard_profit):
            self.dashboard_profit += job.dashboard_profit
        if job.fuel_used_l > 0 and distance > 0 and math.isfinite(job.fuel_used_l):
            self.fuel_miles += km_to_miles(distance)
            self.fuel_gal += litres_to_gallons(job.fuel_used_l)
        self.on_time_streak = 0 if job.delivered_late else self.on_time_streak + 1
        self.best_on_time_streak = max(self.best_on_time_streak, self.on_time_streak)
        clean = math.isfinite(job.cargo_damage) and job.cargo_damage <= ZERO_DAMAGE
        self.clean_streak = self.clean_streak + 1 if clean else 0
        self.best_clean_streak = max(self.best_clean_streak, self.clean_streak)
        self.distance_km[job.game] = self.distance_km.get(job.game, 0.0) + distance
        self.revenue[job.game] = self.revenue.get(job.game, 0) + max(0, job.revenue)
        self._visit(job.game, job.source_city_id)
        self._visit(job.game, job.destination_city_id)

    def _visit(self, game: Game, city_id: str) -> None:
        region = region_of(game, city_id)
        if region is not None:
            self.regions.setdefault(game, set()).add(region)

    def average_mpg(self) -> float:
        if self.fuel_miles < FUEL_EFFICIENT_MIN_MILES or self.fuel_gal <= 0:
            return 0.0
        return self.fuel_miles / self.fuel_gal

    def game_distance(self, game: Game) -> float:
        """In the game's unit: miles for ATS, km for ETS2."""
        km = self.distance_km.get(game, 0.0)
        return km_to_miles(km) if game is Game.ATS else km


Measure = Callable[[_Tally], float]


@dataclass(frozen=True, slots=True)
class _Rule:
    achievement: Achievement
    measure: Measure


def _rules() -> tuple[_Rule, ...]:
    def dash(
        id_: str, title: str, description: str, target: float, unit: str, measure: Measure
    ) -> _Rule:
        return _Rule(Achievement(id_, title, description, target, unit, None, True), measure)

    rules = [
        dash("first_job", "First Job", "Deliver your first job.", 1, "jobs", lambda t: t.delivered),
        dash("hundred_jobs", "Century", "Deliver 100 jobs.", 100, "jobs", lambda t: t.delivered),
        dash(
            "thousand_miles",
            "Thousand Miles",
            "Drive 1,000 miles on jobs.",
            1000,
            "mi",
            lambda t: t.miles,
        ),
        dash(
            "profitable_hauler",
            "Profitable Hauler",
            "Make 10,000 in profit.",
            10_000,
            "$",  # the dashboard's formulas are in dollars
            lambda t: t.dashboard_profit,
        ),
        dash(
            "fuel_efficient",
            "Fuel Efficient",
            "Average 8 mpg over your jobs.",
            8,
            "mpg",
            lambda t: t.average_mpg(),
        ),
        dash(
            "perfect_delivery",
            "Perfect Record",
            "Deliver 10 jobs on time in a row.",
            10,
            "jobs",
            lambda t: t.best_on_time_streak,
        ),
        dash(
            "no_damage",
            "Handle With Care",
            "Deliver a job without cargo damage.",
            1,
            "jobs",
            lambda t: min(1, t.best_clean_streak),
        ),
    ]
    for target, label in ((5, "5"), (25, "25")):
        rules.append(
            _Rule(
                Achievement(
                    f"no_damage_streak_{label}",
                    f"Spotless x{label}",
                    f"Deliver {label} jobs in a row without cargo damage.",
                    target,
                    "jobs",
                    None,
                    False,
                ),
                lambda t: t.best_clean_streak,
            )
        )
    for game, unit in ((Game.ATS, "mi"), (Game.ETS2, "km")):
        rules.extend(_game_rules(game, unit))
    return tuple(rules)


def _distance_of(game: Game) -> Measure:
    return lambda tally: tally.game_distance(game)


def _revenue_of(game: Game) -> Measure:
    return lambda tally: float(tally.revenue.get(game, 0))


def _regions_of(game: Game) -> Measure:
    targets = frozenset(REGIONS[game])
    return lambda tally: float(len(tally.regions.get(game, set()) & targets))


def _game_rules(game: Game, unit: str) -> list[_Rule]:
    prefix = game.value
    name = "ATS" if game is Game.ATS else "ETS2"
    rules: list[_Rule] = []
    for target, label in ((1_000, "1k"), (10_000, "10k"), (100_000, "100k"), (1_000_000, "1m")):
        rules.append(
            _Rule(
                Achievement(
                    f"{prefix}.distance_{label}",
                    f"{name}: {target:,} {unit}",
                    f"Drive {target:,} {unit} on {name} jobs.",
                    target,
                    unit,
                    game,
                    False,
                ),
                _distance_of(game),
            )
        )
    for target, label in ((10_000, "10k"), (100_000, "100k")):
        rules.append(
            _Rule(
                Achievement(
                    f"{prefix}.earnings_{label}",
                    f"{name}: earned {target:,}",
                    f"Get paid {target:,} for {name} deliveries.",
                    target,
                    "$" if game is Game.ATS else "€",  # what the game pays in
                    game,
                    False,
                ),
                _revenue_of(game),
            )
        )
    regions = REGIONS[game]
    word = "state" if game is Game.ATS else "country"
    rules.append(
        _Rule(
            Achievement(
                f"{prefix}.every_{word}",
                f"{name}: every {word}",
                f"Load or deliver in every {word} of the {name} map ({len(regions)}).",
                len(regions),
                "states" if game is Game.ATS else "countries",
                game,
                False,
            ),
            _regions_of(game),
        )
    )
    return rules


RULES: Final = _rules()
ACHIEVEMENTS: Final[tuple[Achievement, ...]] = tuple(r.achievement for r in RULES)


def evaluate(history: Sequence[FinishedJob], already_unlocked: set[str]) -> list[Unlocked]:
    """Achievements newly unlocked by ``history`` (chronological), each with the job
    after which its condition first held; ids in ``already_unlocked`` are skipped.

    Replaying the whole history (rather than only the newest job) keeps this pure
    and lets an achievement added in a later version unlock at the right job."""
    pending = [r for r in RULES if r.achievement.id not in already_unlocked]
    unlocked: list[Unlocked] = []
    tally = _Tally()
    for index, job in enumerate(history):
        if not pending:
            break
        tally.add(job)
        still: list[_Rule] = []
        for rule in pending:
            if rule.measure(tally) >= rule.achievement.target:
                unlocked.append(Unlocked(rule.achievement, job, index))
            else:
                still.append(rule)
        pending = still
    return unlocked


def progress(history: Sequence[FinishedJob], game: Game | None = None) -> list[Progress]:
    """Current vs target of every achievement (optionally only the all-games ones
    and ``game``'s own), for the UI."""
    tally = _Tally()
    for job in history:
        tally.add(job)
    return [
        Progress(rule.achievement, float(rule.measure(tally)), float(rule.achievement.target))
        for rule in RULES
        if game is None or rule.achievement.game in (None, game)
    ]
