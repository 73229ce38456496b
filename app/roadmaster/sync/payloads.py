"""JSON bodies of the cloud contract (``specs/cloud-api.md``) from our events.

Events are in game units; bodies are in the contract's: mph, US gallons, miles,
minutes, pounds (integer), damage as a fraction 0..1, money as whole units.
Every value is brought inside the contract's bounds, because a body the service
calls invalid is rejected with 400 and lost.  Each payload comes with a
``clamped`` report (field, value before, value sent, why) so the caller can log
each kind of clamp once.

Rules kept here (and the old plugin's defects they fix):

* damage is sent as the 0..1 fraction, never × 100;
* the job distance is the planned distance converted from km to **miles**;
* job completion always carries ``cargo_damage`` and the real ``delivered_late``;
* optional fields are **absent**, never ``null`` (no ``"job_id": null`` between
  jobs); NaN/inf are never sent: an optional one is dropped, a required one is
  set to a bound, and both are reported;
* reverse speed is sent as a positive speed (the contract's speed is ≥ 0);
* integers where the contract says integer (rpm, gear, retarder, cargo weight,
  income, distance, avg rpm), JSON booleans for booleans;
* strings 1–100 characters (counted in UTF-16 code units, as the JavaScript
  service counts them), truncated, never split inside a surrogate pair;
* timestamps are UTC ISO 8601 with a literal ``Z`` (``2026-01-18T15:04:05Z``).

``api_key`` is added by the sync client, not here.  The job start response's
``{"job": {"id": …}}`` is parsed by the client, not here.

Game-clock datetimes (``game_time``, ``deadline``) are off by default: the game
clock has no date, so they could only be sent as minutes after 0001-01-01 (a
Monday, as the SCS plugin's C# side does), and whether the hosted service
accepts year-0001 dates is unverified — a rejected optional field would lose the
whole sample.  Pass ``include_game_clock=True`` to send them.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from roadmaster.jobs.economics import truck_damage_fraction
from roadmaster.jobs.events import JobAbandoned, JobCancelled, JobDelivered, JobInfo, Sample
from roadmaster.units import (
    kg_to_lb,
    km_to_miles,
    litres_to_gallons,
    m_to_miles,
    mps_to_mph,
)

JsonScalar = str | int | float | bool

SPEED_MAX_MPH: Final = 150.0
RPM_MAX: Final = 3000
GEAR_MIN: Final = -6
GEAR_MAX: Final = 18
RETARDER_MAX: Final = 5
AIR_PRESSURE_MAX_PSI: Final = 200.0
BRAKE_TEMPERATURE_MAX: Final = 1000.0
INCOME_MAX: Final = 1_000_000
PROFIT_MAX: Final = 10_000_000  # the contract extension's bound on a settled profit
DISTANCE_MIN_MI: Final = 1
DISTANCE_MAX_MI: Final = 10_000
CARGO_WEIGHT_MAX_LB: Final = 100_000
STRING_MAX: Final = 100
# fuel_capacity must be > 0: a tank of 0 (plugin not ready) is sent as this much.
FUEL_CAPACITY_FLOOR_GAL: Final = 0.01
UNKNOWN: Final = "Unknown"

_GAME_EPOCH: Final = datetime(1, 1, 1, tzinfo=UTC)  # a Monday, as the plugin counts


@dataclass(frozen=True, slots=True)
class Clamp:
    """One value that could not be sent as it was."""

    field: str
    original: float | str  # in the contract's unit, before the fix
    sent: JsonScalar | None  # None: dropped (optional field)
    reason: str  # "clamped" | "not finite" | "truncated" | "empty" | "invalid"


@dataclass(frozen=True, slots=True)
class Payload:
    body: dict[str, JsonScalar]
    clamped: tuple[Clamp, ...] = ()

    @property
    def clamped_fields(self) -> frozenset[str]:
        return frozenset(c.field for c in self.clamped)


# --- formatting helpers --------------------------------------------------------------


def utc_iso(moment: datetime) -> str:
    """``2026-01-18T15:04:05Z``: UTC, whole seconds, literal Z.  A naive datetime is
    refused: sending local time as UTC would shift the job by hours."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: give an aware datetime (UTC or with offset)")
    return _iso(moment.astimezone(UTC))


def game_clock_iso(game_time_min: int) -> str:
    """Absolute game minutes as a datetime after 0001-01-01T00:00Z (day 1, Monday)."""
    return _iso(_GAME_EPOCH + timedelta(minutes=max(0, game_time_min)))


def _iso(moment: datetime) -> str:
    # Not strftime: "%Y" does not zero-pad years below 1000 on every platform.
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _utf16_len(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _truncate_utf16(text: str, limit: int) -> str:
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def _job_uuid(job_server_id: str) -> str | None:
    try:
        return str(uuid.UUID(job_server_id.strip()))
    except (ValueError, AttributeError):
        return None


@dataclass(slots=True)
class _Body:
    """Collects fields and what had to be fixed on the way."""

    body: dict[str, JsonScalar] = field(default_factory=dict)
    clamps: list[Clamp] = field(default_factory=list)

    def payload(self) -> Payload:
        return Payload(dict(self.body), tuple(self.clamps))

    def number(
        self,
        name: str,
        value: float,
        lo: float,
        hi: float = math.inf,
        *,
        required: bool,
        integer: bool = False,
    ) -> None:
        if not math.isfinite(value):
            if not required:
                self.clamps.append(Clamp(name, value, None, "not finite"))
                return
            # +inf to the top bound where there is one, NaN / -inf to the bottom.
            fixed = hi if value > 0 and math.isfinite(hi) else lo
            sent: JsonScalar = int(fixed) if integer else float(fixed)
            self.clamps.append(Clamp(name, value, sent, "not finite"))
            self.body[name] = sent
            return
        number = float(math.floor(value + 0.5)) if integer else float(value)
        bounded = min(hi, max(lo, number))
        if bounded != number:
            self.clamps.append(Clamp(name, value, int(bounded) if integer else bounded, "clamped"))
        self.body[name] = int(bounded) if integer else bounded

    def string(self, name: str, *candidates: str, required: bool) -> None:
        """The first non-blank candidate, truncated to 100; a required field with no
        candidate gets "Unknown" (reported), an optional one is left out."""
        texts = [c.strip() for c in candidates if c and c.strip()]
        if not texts:
            if required:
                self.clamps.append(Clamp(name, "", UNKNOWN, "empty"))
                self.body[name] = UNKNOWN
            return
        text = texts[0]
        if _utf16_len(text) > STRING_MAX:
            short = _truncate_utf16(text, STRING_MAX)
            self.clamps.append(Clamp(name, text, short, "truncated"))
            text = short
        self.body[name] = text

    def flag(self, name: str, value: bool) -> None:
        self.body[name] = bool(value)


# --- the three endpoints (and the reference server's cancel) --------------------------


def telemetry_payload(
    sample: Sample,
    job_server_id: str | None,
    *,
    include_game_clock: bool = False,
    recorded_at_utc: datetime | None = None,
) -> Payload:
    """``POST /api/telemetry`` body (without ``api_key``).

    ``job_server_id`` is the server's uuid of the job (absent between jobs or while
    unmapped).  ``recorded_at_utc`` adds ``recorded_at`` for the reference server's
    batch extension (the hosted service ignores unknown keys)."""
    out = _Body()
    out.number("speed", mps_to_mph(abs(sample.speed_mps)), 0.0, SPEED_MAX_MPH, required=True)
    out.number("rpm", sample.engine_rpm, 0, RPM_MAX, required=True, integer=True)
    out.number("gear", sample.gear_dashboard, GEAR_MIN, GEAR_MAX, required=True, integer=True)
    fuel_gal = litres_to_gallons(sample.fuel_l)
    out.number("fuel_current", fuel_gal, 0.0, required=True)
    capacity = litres_to_gallons(sample.fuel_capacity_l)
    if math.isfinite(capacity) and capacity > 0:
        out.body["fuel_capacity"] = capacity
    else:
        # > 0 is required; no better figure than the fuel we know is in the tank.
        known = fuel_gal if math.isfinite(fuel_gal) else 0.0
        fixed = max(known, FUEL_CAPACITY_FLOOR_GAL)
        out.clamps.append(Clamp("fuel_capacity", capacity, fixed, "clamped"))
        out.body["fuel_capacity"] = fixed
    wear = sample.wear
    out.number("engine_damage", wear.engine, 0.0, 1.0, required=True)
    out.number("transmission_damage", wear.transmission, 0.0, 1.0, required=True)
    out.number("chassis_damage", wear.chassis, 0.0, 1.0, required=True)
    out.number("wheels_damage", wear.wheels, 0.0, 1.0, required=True)
    out.number("cabin_damage", wear.cabin, 0.0, 1.0, required=True)
    out.number("cargo_damage", sample.cargo_damage, 0.0, 1.0, required=True)
    positions = (("position_x", sample.x_m), ("position_y", sample.y_m), ("position_z", sample.z_m))
    for name, value in positions:
        if math.isfinite(value):
            out.body[name] = float(value)
        else:
            # "Any number", but JSON has no NaN/inf: the origin is the least-bad stand-in.
            out.clamps.append(Clamp(name, value, 0.0, "not finite"))
            out.body[name] = 0.0
    if include_game_clock:
        out.body["game_time"] = game_clock_iso(sample.game_time_min)
    if job_server_id is not None:
        job_id = _job_uuid(job_server_id)
        if job_id is None:
            out.clamps.append(Clamp("job_id", job_server_id, None, "invalid"))
        else:
            out.body["job_id"] = job_id
    out.number(
        "cruise_control_speed",
        mps_to_mph(abs(sample.cruise_control_speed_mps)),
        0.0,
        SPEED_MAX_MPH,
        required=False,
    )
    out.flag("cruise_control_enabled", sample.cruise_control)
    out.flag("parking_brake", sample.park_brake)
    out.flag("motor_brake", sample.motor_brake)
    out.number(
        "retarder_level", sample.retarder_level, 0, RETARDER_MAX, required=False, integer=True
    )
    out.number("air_pressure", sample.air_pressure_psi, 0.0, AIR_PRESSURE_MAX_PSI, required=False)
    out.number(
        "brake_temperature", sample.brake_temperature_c, 0.0, BRAKE_TEMPERATURE_MAX, required=False
    )
    # No route: the game reports 0 distance and 0 time; "absent" says "no route"
    # better than a 0 that reads as "arrived".
    if sample.route_distance_m > 0 or sample.route_time_s > 0:
        out.number("navigation_distance", m_to_miles(sample.route_distance_m), 0.0, required=False)
        out.number("navigation_time", sample.route_time_s / 60.0, 0.0, required=False)
    # A limit of 0 means "no limit known" in the SDK: leave it out.
    if sample.speed_limit_mps > 0:
        out.number(
            "speed_limit", mps_to_mph(sample.speed_limit_mps), 0.0, SPEED_MAX_MPH, required=False
        )
    if recorded_at_utc is not None:
        out.body["recorded_at"] = utc_iso(recorded_at_utc)
    return out.payload()


def job_start_payload(
    info: JobInfo,
    started_at_utc: datetime | None = None,
    *,
    include_game_clock: bool = False,
) -> Payload:
    """``POST /api/jobs/start`` body.  ``started_at_utc`` (when the job began, for a
    job recorded offline) goes in ``started_at`` for the reference server; the
    hosted service ignores it and stamps its own clock."""
    out = _Body()
    out.string("source_city", info.source_city, info.source_city_id, required=True)
    out.string("destination_city", info.destination_city, info.destination_city_id, required=True)
    out.string("source_company", info.source_company, info.source_company_id, required=False)
    out.string(
        "destination_company",
        info.destination_company,
        info.destination_company_id,
        required=False,
    )
    out.string("cargo_type", info.cargo, info.cargo_id, required=True)
    out.number(
        "cargo_weight",
        kg_to_lb(info.cargo_mass_kg),
        0,
        CARGO_WEIGHT_MAX_LB,
        required=False,
        integer=True,
    )
    out.number("income", info.income, 0, INCOME_MAX, required=True, integer=True)
    # Miles, not km (the old plugin sent km).  At least 1: a job under half a mile
    # (or a resumed job with no planned distance) would be rejected otherwise.
    out.number(
        "distance",
        km_to_miles(info.planned_distance_km),
        DISTANCE_MIN_MI,
        DISTANCE_MAX_MI,
        required=True,
        integer=True,
    )
    if include_game_clock and info.deadline_game_min > 0:
        out.body["deadline"] = game_clock_iso(info.deadline_game_min)
    if started_at_utc is not None:
        out.body["started_at"] = utc_iso(started_at_utc)
    return out.payload()


def _require_job_id(job_server_id: str) -> str:
    job_id = _job_uuid(job_server_id)
    if job_id is None:
        # Programming error: the outbox must map the local job to the server's id
        # before sending; a made-up id would be a 403/404 and lose the completion.
        raise ValueError(f"not a server job id (uuid): {job_server_id!r}")
    return job_id


def _stats_fields(out: _Body, event: JobDelivered | JobCancelled | JobAbandoned) -> None:
    stats = event.stats
    out.number("fuel_consumed", litres_to_gallons(stats.fuel_used_l), 0.0, required=False)
    out.number("damage_taken", truck_damage_fraction(stats.damage_taken), 0.0, 1.0, required=False)
    out.number(
        "avg_speed", mps_to_mph(abs(stats.avg_speed_mps)), 0.0, SPEED_MAX_MPH, required=False
    )
    out.number("avg_rpm", stats.avg_rpm, 0, RPM_MAX, required=False, integer=True)
    econ = event.economics
    if econ is not None:
        # The P&L settled once on the player's machine (extension: the hosted
        # service ignores these keys; the reference server stores them).
        out.number("fuel_cost", econ.fuel_cost, 0.0, required=False)
        out.number("damage_cost", econ.damage_cost, 0.0, required=False)
        out.number("profit", econ.net_profit, -PROFIT_MAX, PROFIT_MAX, required=False)
        if isinstance(event, JobDelivered):
            out.number("safety_score", econ.safety_score, 0.0, 100.0, required=False)


def job_complete_payload(
    delivered: JobDelivered,
    job_server_id: str,
    *,
    completed_at_utc: datetime | None = None,
) -> Payload:
    """``POST /api/jobs/complete`` body for a delivered job.

    Only deliveries are completed: the hosted contract has no cancel, and sending a
    cancelled job as complete would book its income as profit on the dashboard —
    see :func:`job_cancel_payload`.  Raises ValueError if ``job_server_id`` is not
    the server's uuid."""
    out = _Body()
    out.body["job_id"] = _require_job_id(job_server_id)
    out.number("cargo_damage", delivered.cargo_damage, 0.0, 1.0, required=True)
    out.flag("delivered_late", delivered.late)
    _stats_fields(out, delivered)
    if completed_at_utc is not None:
        out.body["completed_at"] = utc_iso(completed_at_utc)
    return out.payload()


def job_cancel_payload(
    event: JobCancelled | JobAbandoned,
    job_server_id: str,
    *,
    cancelled_at_utc: datetime | None = None,
) -> Payload:
    """Body for the reference server's ``POST /api/jobs/cancel`` extension (the
    hosted service has no cancel: there the job is simply never completed).
    Fields as completion, plus ``penalty`` (whole currency units, ≥ 0) and
    ``abandoned`` (ended with no game event)."""
    out = _Body()
    out.body["job_id"] = _require_job_id(job_server_id)
    out.number("cargo_damage", event.stats.cargo_damage, 0.0, 1.0, required=True)
    _stats_fields(out, event)
    penalty = event.penalty if isinstance(event, JobCancelled) else 0
    out.number("penalty", penalty, 0, INCOME_MAX, required=True, integer=True)
    out.flag("abandoned", isinstance(event, JobAbandoned))
    if cancelled_at_utc is not None:
        out.body["cancelled_at"] = utc_iso(cancelled_at_utc)
    return out.payload()
