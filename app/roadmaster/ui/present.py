"""What the windows show, decided here: immutable view models built from core values.

Views lay out, controllers decide (DESIGN.md).  Everything a widget displays — the
number on a gauge, whether a warning is lit, the words in the status bar — is
computed by the pure functions of this module from a Reading, the job progress and
the unit system, so it can be tested without a widget and every view (main window,
overlay, tray tooltip) says the same thing.  No Qt here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from roadmaster.jobs.accumulate import SPEEDING_MARGIN_MPS
from roadmaster.jobs.economics import Expenses, job_economics, truck_damage_fraction
from roadmaster.jobs.events import JobCancelled, JobDelivered, JobInfo, JobStats
from roadmaster.jobs.hos import Limit, Remaining
from roadmaster.telemetry.frame import Frame, Game
from roadmaster.telemetry.status import GameState, Reading
from roadmaster.units import (
    Currency,
    UnitPreference,
    UnitSystem,
    currency_for,
    format_distance,
    format_duration,
    format_game_time,
    format_mass,
    format_money,
    format_route_distance,
    format_volume,
    km_to_miles,
    mps_to_kmh,
    mps_to_mph,
    unit_system,
)

if TYPE_CHECKING:  # the storage stack is imported off the start-up path
    from roadmaster.runtime.records import JobRow

# Gauge scales per unit system: a truck is governed near 90 km/h / 65 mph, so a dial
# to 140 km/h / 90 mph keeps the working range wide and readable.
SPEED_SCALE: Final = {UnitSystem.METRIC: 140.0, UnitSystem.IMPERIAL: 90.0}
DEFAULT_RPM_MAX: Final = 2500.0
# Overheating: the game's own warning flag, or the coolant within this margin of the
# configured warning temperature (the flag lags the needle by a few seconds).
OVERHEAT_MARGIN_C: Final = 0.0
# Below this much distance the measured consumption is noise (idling, a refuel stop).
MIN_MEASURED_KM: Final = 2.0

DAMAGE_PARTS: Final = ("Engine", "Transmission", "Cabin", "Chassis", "Wheels", "Trailer", "Cargo")


def expenses_of(stats: JobStats) -> Expenses:
    """A job's expenses so far, as the capture's economics count them."""
    return Expenses(
        fines=stats.fines_total,
        tolls=stats.tolls_total,
        ferry=stats.ferry_total,
        train=stats.train_total,
    )


def units_for(game: Game, preference: UnitPreference = "auto") -> UnitSystem:
    """The display system: the user's choice, else the game's own (ATS imperial)."""
    return unit_system(game, preference)


def speed_in(mps: float, system: UnitSystem) -> float:
    """A speed in the display unit (magnitude: a speedometer shows no minus)."""
    mps = abs(mps)
    return mps_to_mph(mps) if system is UnitSystem.IMPERIAL else mps_to_kmh(mps)


def speed_unit(system: UnitSystem) -> str:
    return "mph" if system is UnitSystem.IMPERIAL else "km/h"


def gear_text(frame: Frame) -> str:
    """The gear as the truck's dashboard shows it: N, R1…, 1…, with the crawler gears
    the game reports as the dashboard gear."""
    gear = frame.truck.gear_dashboard
    if gear == 0:
        return "N"
    if gear < 0:
        return f"R{-gear}"
    return str(gear)


class ConsumptionMeter:
    """Measures fuel used per km from the odometer and the tank, refuels excluded.

    The game's own average resets with its trip computer and is missing in older
    plugin revisions; what the driver has actually burnt since the app started is
    what predicts the range of this truck with this load."""

    def __init__(self) -> None:
        self._last: tuple[float, float] | None = None  # odometer km, fuel l
        self.distance_km = 0.0
        self.fuel_used_l = 0.0

    def observe(self, odometer_km: float, fuel_l: float) -> None:
        last, self._last = self._last, (odometer_km, fuel_l)
        if last is None:
            return
        d_km = odometer_km - last[0]
        d_fuel = last[1] - fuel_l
        # A jump (teleport, profile change) or a refuel is not driving.
        if d_km < 0 or d_km > 5.0:
            return
        self.distance_km += d_km
        if d_fuel > 0:
            self.fuel_used_l += d_fuel

    @property
    def l_per_km(self) -> float | None:
        if self.distance_km < MIN_MEASURED_KM or self.fuel_used_l <= 0:
            return None
        return self.fuel_used_l / self.distance_km


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


def _fraction(value: float) -> float:
    if not math.isfinite(value):
        return 0.0
    return min(1.0, max(0.0, value))


def dashboard_model(
    reading: Reading | None, system: UnitSystem, measured_l_per_km: float | None = None
) -> DashboardModel:
    """The dashboard for one reading; an idle model (all zero, nothing lit) when the
    game is not running."""
    frame = reading.frame if reading is not None else None
    if frame is None or reading is None or reading.state is GameState.NOT_RUNNING:
        return _idle(system)
    t = frame.truck
    speed = speed_in(t.speed_mps, system)
    limit = speed_in(t.speed_limit_mps, system) if t.speed_limit_mps > 0.5 else None
    cruise = (
        speed_in(t.cruise_control_speed_mps, system)
        if t.cruise_control and t.cruise_control_speed_mps > 0
        else None
    )
    speeding = t.speed_limit_mps > 0.5 and abs(t.speed_mps) > t.speed_limit_mps + (
        SPEEDING_MARGIN_MPS
    )
    capacity = t.fuel_capacity_l if t.fuel_capacity_l > 0 else 1.0
    fuel_fraction = _fraction(t.fuel_l / capacity)
    fuel_low = t.fuel_warning or (
        t.fuel_warning_factor > 0 and fuel_fraction < t.fuel_warning_factor
    )
    rate = measured_l_per_km or (
        t.fuel_avg_consumption_l_per_km if t.fuel_avg_consumption_l_per_km > 0 else None
    )
    if rate:
        range_km = t.fuel_l / rate
        basis = "measured" if measured_l_per_km else "game avg"
        range_text = f"range {format_distance(range_km, system)} ({basis})"
    else:
        range_text = "range: measuring…"
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
                _fraction(t.wear_engine),
                _fraction(t.wear_transmission),
                _fraction(t.wear_cabin),
                _fraction(t.wear_chassis),
                _fraction(t.wear_wheels),
                _fraction(trailer),
                _fraction(cargo),
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
        gear=gear_text(frame),
        fuel_fraction=fuel_fraction,
        fuel_text=format_volume(t.fuel_l, system),
        range_text=range_text,
        fuel_low=fuel_low,
        air_psi=t.air_pressure_psi,
        air_fraction=_fraction(t.air_pressure_psi / air_max),
        air_text=f"{t.air_pressure_psi:.0f} psi",
        air_warning_fraction=_fraction(t.air_pressure_warning_psi / air_max),
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


def _idle(system: UnitSystem) -> DashboardModel:
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
        warnings=(),
    )


# --- the job panel ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobProgress:
    """The open job as the capture thread last saw it (immutable; crosses threads)."""

    job_key: str
    info: JobInfo
    stats: JobStats


@dataclass(frozen=True, slots=True)
class JobPanelModel:
    has_job: bool
    cargo: str  # "Machinery · 18,000 kg"
    route: str  # "Berlin → Praha"
    companies: str  # "Tree-ET → Kaarfor"
    income: str
    distance: str  # "driven 12 km of 210 km"
    deadline: str  # "due in 3 h 05 min (Day 2 14:05)"
    overdue: bool
    profit: str  # "projected profit €8,412"
    expenses: str  # "fines €0 · tolls €120"
    hos: str  # "break due in 2 h 10 min"
    hos_urgent: bool
    last_job: str  # one-line summary of the last finished job


def hos_text(remaining: Remaining | None) -> tuple[str, bool]:
    """ "break due in 2 h 10 min" and whether it is urgent (under 30 game minutes)."""
    if remaining is None:
        return "waiting for the game", False
    what = {
        Limit.BREAK: "break",
        Limit.DAILY_DRIVING: "daily rest",
        Limit.DUTY_WINDOW: "end of duty window",
    }[remaining.next_limit]
    minutes = remaining.next_in_min
    if minutes < 0:
        return f"{what} overdue by {format_duration(-minutes)}", True
    return f"{what} due in {format_duration(minutes)}", minutes < 30


def job_panel_model(
    progress: JobProgress | None,
    game_time_min: int | None,
    system: UnitSystem,
    hos: Remaining | None,
    last_job: str,
) -> JobPanelModel:
    """The job panel for the open job (None: no job) at ``game_time_min``."""
    hos_line, hos_urgent = hos_text(hos)
    if progress is None:
        return JobPanelModel(
            has_job=False,
            cargo="No job",
            route="Take a job in the game: it is recorded from the moment you accept it.",
            companies="",
            income="",
            distance="",
            deadline="",
            overdue=False,
            profit="",
            expenses="",
            hos=hos_line,
            hos_urgent=hos_urgent,
            last_job=last_job,
        )
    info, stats = progress.info, progress.stats
    money = currency_for(info.game)
    econ = job_economics(
        income=info.income,
        revenue=None,
        fuel_used_l=stats.fuel_used_l,
        damage_taken=truck_damage_fraction(stats.damage_taken),
        distance_km=stats.distance_km,
        delivered_late=game_time_min is not None and game_time_min > info.deadline_game_min,
        avg_speed_mps=stats.avg_speed_mps,
        expenses=expenses_of(stats),
    )
    overdue = False
    if game_time_min is None or info.deadline_game_min <= 0:
        deadline = ""
    else:
        left = info.deadline_game_min - game_time_min
        overdue = left < 0
        when = format_game_time(info.deadline_game_min, weekday=True)
        deadline = (
            f"late by {format_duration(-left)} (was due {when})"
            if overdue
            else f"due in {format_duration(left)} ({when})"
        )
    planned = (
        f" of {format_distance(info.planned_distance_km, system)} planned"
        if info.planned_distance_km > 0
        else ""
    )
    expenses = expenses_of(stats)
    return JobPanelModel(
        has_job=True,
        cargo=f"{info.cargo} · {format_mass(info.cargo_mass_kg, system)}",
        route=f"{info.source_city} → {info.destination_city}",
        companies=f"{info.source_company} → {info.destination_company}",
        income=f"pays {format_money(info.income, money)}",
        distance=f"driven {format_distance(stats.distance_km, system)}{planned}",
        deadline=deadline,
        overdue=overdue,
        profit=f"projected profit {format_money(econ.net_profit, money)}",
        expenses=(
            f"fines {format_money(expenses.fines, money)} · "
            f"tolls {format_money(expenses.tolls, money)}"
            + (
                f" · ferry/train {format_money(expenses.transport, money)}"
                if expenses.transport
                else ""
            )
        ),
        hos=hos_line,
        hos_urgent=hos_urgent,
        last_job=last_job,
    )


def _expenses_text(expenses: Expenses, money: Currency) -> str:
    text = (
        f"fines {format_money(expenses.fines, money)} · tolls {format_money(expenses.tolls, money)}"
    )
    if expenses.transport:
        text += f" · ferry/train {format_money(expenses.transport, money)}"
    return text


def finished_job_text(event: JobDelivered | JobCancelled, system: UnitSystem) -> str:
    """One line about a job that just ended, for the "last job" line."""
    info = event.info
    money = currency_for(info.game)
    route = f"{info.cargo}, {info.source_city} → {info.destination_city}"
    if isinstance(event, JobDelivered):
        late = " (late)" if event.late else ""
        return (
            f"Delivered{late}: {route} · {format_money(event.revenue, money)} · "
            f"{format_distance(event.stats.distance_km, system)}"
        )
    return f"Cancelled: {route} · penalty {format_money(event.penalty, money)}"


def job_row_text(row: JobRow, system: UnitSystem) -> str:
    """The same line for a finished job read back from the log (at start-up)."""
    money = currency_for(row.game)
    route = f"{row.cargo}, {row.source_city} → {row.destination_city}"
    if row.status.value == "delivered":
        late = " (late)" if row.late else ""
        return (
            f"Delivered{late}: {route} · {format_money(row.revenue, money)} · "
            f"{format_distance(row.distance_km, system)}"
        )
    return f"{row.status.value.capitalize()}: {route}"


# --- route / navigation ---------------------------------------------------------------


def navigation_text(frame: Frame | None, system: UnitSystem) -> str:
    """ "142 km to go · ETA Day 2 14:05" from the game's route advisor; "" without a
    route.  The ETA is in game time: route_time_s is game seconds."""
    if frame is None or frame.navigation.route_distance_m <= 0:
        return ""
    nav = frame.navigation
    eta_min = frame.header.game_time_min + int(nav.route_time_s // 60)
    return (
        f"{format_route_distance(nav.route_distance_m, system)} to go · "
        f"ETA {format_game_time(eta_min, weekday=True)} "
        f"({format_duration(nav.route_time_s / 60)})"
    )


def distance_unit_scale(system: UnitSystem) -> float:
    """km → display distance (for axis labels)."""
    return km_to_miles(1.0) if system is UnitSystem.IMPERIAL else 1.0


# --- the status bar -------------------------------------------------------------------

GAME_STATE_TEXT: Final = {
    GameState.NOT_RUNNING: "Game not running",
    GameState.MENU: "Game paused / in menu",
    GameState.DRIVING: "Driving",
    GameState.STALE: "Game not responding",
    GameState.UNSUPPORTED: "Unsupported plugin",
    GameState.CORRUPT: "Telemetry unreadable",
}


@dataclass(frozen=True, slots=True)
class StatusModel:
    game: str
    game_level: str  # "ok" | "warn" | "error" | "idle" (the view picks colours)
    game_tooltip: str
    plugin: str
    recording: str
    recording_level: str
    sync: str
    sync_level: str
    sync_tooltip: str


@dataclass(frozen=True, slots=True)
class SyncInfo:
    """What the status bar knows about sync, normalised from whatever the sync worker
    reports (see :func:`sync_info_from`)."""

    enabled: bool
    online: bool | None = None  # None: not tried yet
    pending: int = 0
    dead: int = 0
    last_error: str = ""
    key_state: str = "ok"  # "ok" | "missing" | "invalid"
    detail: str = ""  # why sync is off, when it is
    parked: str = ""  # e.g. "1 delivery not accepted by the server: Failed to complete job"


def sync_info_from(status: object, pending: int, dead: int) -> SyncInfo:
    """Normalise the sync worker's status (``roadmaster.sync.worker.SyncStatus``: a
    ``state`` and ``last_error``) with the outbox counts."""
    state = str(getattr(status, "state", "") or "")
    last_error = str(getattr(status, "last_error", "") or "")
    key_state = {"no_key": "missing", "unauthorized": "invalid"}.get(state, "ok")
    online: bool | None
    if state in ("idle", "sending", "pacing", "rate_limited", "server_error"):
        online = True
    elif state == "offline":
        online = False
    else:
        online = None  # not started yet, stopped, or waiting for a key
    return SyncInfo(
        enabled=True,
        online=online,
        pending=pending,
        dead=dead,
        last_error=last_error,
        key_state=key_state,
        detail={
            "rate_limited": "rate limited: sending slower",
            "server_error": "the server answered with an error: retrying",
        }.get(state, ""),
        parked=str(getattr(status, "parked", "") or ""),
    )


def _sync_parts(sync: SyncInfo) -> tuple[str, str, str]:
    counts = []
    if sync.pending:
        counts.append(f"{sync.pending} pending")
    if sync.dead:
        counts.append(f"{sync.dead} dead")
    suffix = f" · {', '.join(counts)}" if counts else ""
    if not sync.enabled:
        text = f"Sync off{suffix}"
        return text, "idle", sync.detail or "Cloud sync is not set up: jobs stay in the local log."
    if sync.key_state == "missing":
        return (
            f"Sync: API key missing{suffix}",
            "error",
            "Add your RoadMaster API key in Settings; jobs wait in the local log until then.",
        )
    if sync.key_state == "invalid":
        return (
            f"Sync: API key rejected{suffix}",
            "error",
            "The cloud rejected the API key: check it in Settings. Jobs wait in the local log.",
        )
    level = "warn" if sync.dead else "ok"
    if sync.online is False:
        error = f": {sync.last_error}" if sync.last_error else ""
        return (
            f"Sync offline{suffix}",
            "warn",
            f"The cloud can't be reached{error}. Jobs are kept locally and sent later.",
        )
    tip = sync.last_error or "Jobs and telemetry are mirrored to the cloud."
    if sync.detail:
        tip = f"{sync.detail}. {tip}"
    if sync.dead:
        parked = sync.parked or f"{sync.dead} item(s) were refused by the cloud"
        tip = f"{parked} (parked; retried daily, or by `roadmaster sync --retry-dead`). {tip}"
    state = "Sync online" if sync.online else "Sync starting"
    if sync.dead and sync.parked:
        waiting = f" · {sync.pending} pending" if sync.pending else ""
        return f"{state}{waiting} · {sync.parked}", level, tip
    return f"{state}{suffix}", level, tip


def status_model(
    reading: Reading | None,
    *,
    capture_running: bool,
    capture_problem: str,
    job: JobProgress | None,
    sync: SyncInfo,
) -> StatusModel:
    """The status bar: game, plugin, recording and sync, each with a severity."""
    state = reading.state if reading is not None else GameState.NOT_RUNNING
    game = GAME_STATE_TEXT[state]
    if reading is not None and reading.frame is not None and state is GameState.DRIVING:
        game = f"Driving · {reading.frame.header.game.name}"
    game_level = {
        GameState.DRIVING: "ok",
        GameState.MENU: "idle",
        GameState.NOT_RUNNING: "idle",
        GameState.STALE: "warn",
        GameState.UNSUPPORTED: "error",
        GameState.CORRUPT: "error",
    }[state]
    revision = reading.revision if reading is not None else None
    plugin = f"plugin rev {revision}" if revision else "plugin: –"
    if not capture_running:
        why = capture_problem or "capture is stopped"
        recording, rec_level = f"NOT RECORDING: {why}", "error"
    elif capture_problem:
        recording, rec_level = f"NOT RECORDING: {capture_problem}", "error"
    elif state in (GameState.UNSUPPORTED, GameState.CORRUPT):
        recording, rec_level = "NOT RECORDING: telemetry can't be read", "error"
    elif job is not None:
        recording = f"● Recording delivery to {job.info.destination_city}"
        rec_level = "ok" if state is GameState.DRIVING else "idle"
    elif state is GameState.NOT_RUNNING:
        recording, rec_level = "Ready to record (waiting for the game)", "idle"
    else:
        recording, rec_level = "● Recording (no job)", "ok"
    sync_text, sync_level, sync_tip = _sync_parts(sync)
    return StatusModel(
        game=game,
        game_level=game_level,
        game_tooltip=reading.message if reading is not None else "",
        plugin=plugin,
        recording=recording,
        recording_level=rec_level,
        sync=sync_text,
        sync_level=sync_level,
        sync_tooltip=sync_tip,
    )
