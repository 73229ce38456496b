"""The cloud contract (``specs/cloud-api.md``) as pydantic v2 models, shared by the
sync client and the reference server (:mod:`roadmaster.server`).

Request models are **strict** and say exactly what the hosted service accepts:

* unknown keys are ignored (stripped), as the service does;
* optional means **absent**: an optional field sent as ``null`` is rejected;
* integers are whole numbers: ``3`` (and ``3.0``, which is the same JSON number to
  the JavaScript service) is accepted, ``3.5`` is not; booleans are never numbers;
* booleans are JSON booleans (no ``"true"``, no ``0``/``1``);
* strings are 1–100 characters, counted in UTF-16 code units as the service counts;
* timestamps are ISO 8601 in UTC with a literal ``Z`` (``2026-01-18T15:04:05Z``,
  fractional seconds allowed); ``+00:00`` and other offsets are rejected.

Extensions of the reference server (a client discovers them with ``GET
/api/health``; the hosted service ignores the extra keys): ``event_id`` (an
idempotency key in the body, like the ``Idempotency-Key`` header), ``recorded_at``
on telemetry, ``started_at`` / ``completed_at`` on jobs, the client's settled
economics on job ends (``fuel_cost``, ``damage_cost``, ``profit``,
``safety_score``), :class:`TelemetryBatch` and :class:`JobCancel`.

Building a body on the client: ``JobStart(api_key=key, **fields).model_dump(
mode="json", exclude_none=True)`` — ``exclude_none`` keeps optional fields absent.
Validating one on the server: ``JobStart.model_validate_json(raw)``.

Response models are **lenient** (only what a client needs is required, unknown keys
ignored) so that the same models parse the hosted service's answers too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
)
from pydantic_core import PydanticCustomError

# --- constants of the contract --------------------------------------------------------

API_KEY_PATTERN: Final = r"^rm_[a-f0-9]{64}$"
MAX_BATCH_SAMPLES: Final = 1000
"""Most samples in one ``POST /api/telemetry/batch`` (the reference server's limit)."""
TELEMETRY_PER_HOUR: Final = 7200
JOBS_PER_HOUR: Final = 100

# Reference-server extensions advertised by ``GET /api/health``.
FEATURE_BATCH: Final = "batch_telemetry"
FEATURE_IDEMPOTENCY: Final = "idempotency"
FEATURE_CLIENT_TIMESTAMPS: Final = "client_timestamps"
FEATURE_CANCEL: Final = "cancel"
FEATURE_CLIENT_ECONOMICS: Final = "client_economics"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"

# Error bodies' ``error`` strings, exactly as the service sends them.
ERROR_VALIDATION: Final = "Validation failed"
ERROR_INVALID_KEY: Final = "Invalid API key"
ERROR_AUTH_REQUIRED: Final = "Authentication required"
ERROR_UNAUTHORIZED: Final = "Unauthorized"
ERROR_JOB_NOT_FOUND: Final = "Job not found"
ERROR_RATE_LIMITED: Final = "Rate limit exceeded"
ERROR_TOO_LARGE: Final = "Payload too large"

_UUID_RE: Final = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# Literal Z only: the service's datetime rule rejects offsets, even +00:00.
_UTC_Z_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


# --- field types ----------------------------------------------------------------------


def _present(value: object) -> object:
    # Runs only when the key is in the body: absent optional fields never get here.
    if value is None:
        raise PydanticCustomError("null_optional", "Optional field may be left out, not null")
    return value


def _whole(value: object) -> object:
    # JSON has a single number type: to the JavaScript service 3.0 *is* 3.  A bool is
    # an int in Python, but never a number on the wire: the strict int check refuses it.
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _utf16_len(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _text_1_100(value: str) -> str:
    length = _utf16_len(value)
    if length < 1:
        raise PydanticCustomError("string_too_short", "String must contain at least 1 character")
    if length > 100:
        raise PydanticCustomError("string_too_long", "String must contain at most 100 characters")
    return value


def _canonical_uuid(value: str) -> str:
    if not _UUID_RE.match(value):
        raise PydanticCustomError("uuid", "Invalid uuid")
    return value.lower()


def parse_utc_z(value: object) -> datetime:
    """``2026-01-18T15:04:05Z`` (optionally with a fraction) → an aware UTC datetime."""
    if not isinstance(value, str) or not _UTC_Z_RE.match(value):
        raise PydanticCustomError(
            "datetime_utc_z", "Invalid datetime: ISO 8601 in UTC with a literal Z expected"
        )
    text = value[:-1]
    if "." in text:  # Python takes at most 6 fraction digits
        head, fraction = text.split(".")
        text = f"{head}.{fraction[:6]:0<6}"
    try:
        # The offset parsed with the rest gives the same datetime (tzinfo is UTC) as
        # ``.replace(tzinfo=UTC)`` afterwards, at a sixth of the cost: this runs for
        # every timestamp of every batch the server takes.
        return datetime.fromisoformat(text + "+00:00")
    except ValueError:  # 2026-02-30 and the like
        raise PydanticCustomError("datetime_utc_z", "Invalid datetime") from None


def format_utc_z(moment: datetime) -> str:
    """An aware datetime as the contract's ``…Z`` string (whole seconds unless the
    datetime has microseconds)."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    base = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    return f"{base}.{moment.microsecond:06d}Z" if moment.microsecond else f"{base}Z"


NotNull = BeforeValidator(_present)
Whole = BeforeValidator(_whole)

ApiKey = Annotated[str, Field(pattern=API_KEY_PATTERN)]
Text = Annotated[str, AfterValidator(_text_1_100)]
JobId = Annotated[str, AfterValidator(_canonical_uuid)]
UtcTimestamp = Annotated[datetime, PlainValidator(parse_utc_z), PlainSerializer(format_utc_z)]
EventId = Annotated[str, Field(min_length=1, max_length=200)]
Fraction = Annotated[float, Field(ge=0, le=1)]
SpeedMph = Annotated[float, Field(ge=0, le=150)]
NonNegative = Annotated[float, Field(ge=0)]
Rpm = Annotated[int, Whole, Field(ge=0, le=3000)]


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, allow_inf_nan=False)


class _Authenticated(_Request):
    api_key: ApiKey
    # Reference-server extension: the body form of the Idempotency-Key header.
    event_id: Annotated[EventId | None, NotNull] = None


# --- POST /api/telemetry --------------------------------------------------------------


class TelemetryFields(_Request):
    """One telemetry sample's fields (without ``api_key``): the batch's element."""

    speed: SpeedMph
    rpm: Rpm
    gear: Annotated[int, Whole, Field(ge=-6, le=18)]
    fuel_current: NonNegative
    fuel_capacity: Annotated[float, Field(gt=0)]
    engine_damage: Fraction
    transmission_damage: Fraction
    chassis_damage: Fraction
    wheels_damage: Fraction
    cabin_damage: Fraction
    cargo_damage: Fraction
    position_x: float
    position_y: float
    position_z: float
    game_time: Annotated[UtcTimestamp | None, NotNull] = None
    job_id: Annotated[JobId | None, NotNull] = None
    cruise_control_speed: Annotated[SpeedMph | None, NotNull] = None
    cruise_control_enabled: Annotated[bool | None, NotNull] = None
    parking_brake: Annotated[bool | None, NotNull] = None
    motor_brake: Annotated[bool | None, NotNull] = None
    retarder_level: Annotated[Annotated[int, Whole, Field(ge=0, le=5)] | None, NotNull] = None
    air_pressure: Annotated[Annotated[float, Field(ge=0, le=200)] | None, NotNull] = None
    brake_temperature: Annotated[Annotated[float, Field(ge=0, le=1000)] | None, NotNull] = None
    navigation_distance: Annotated[NonNegative | None, NotNull] = None
    navigation_time: Annotated[NonNegative | None, NotNull] = None
    speed_limit: Annotated[SpeedMph | None, NotNull] = None
    # Extension: when the sample was taken (a sample sent late keeps its time).
    recorded_at: Annotated[UtcTimestamp | None, NotNull] = None


class Telemetry(TelemetryFields):
    """``POST /api/telemetry``."""

    api_key: ApiKey
    event_id: Annotated[EventId | None, NotNull] = None


class TelemetryBatch(_Authenticated):
    """``POST /api/telemetry/batch`` (extension): all samples are stored, or none."""

    samples: Annotated[list[TelemetryFields], Field(min_length=1, max_length=MAX_BATCH_SAMPLES)]


# --- jobs -----------------------------------------------------------------------------


class JobStart(_Authenticated):
    """``POST /api/jobs/start``.  The server assigns the job id."""

    source_city: Text
    destination_city: Text
    source_company: Annotated[Text | None, NotNull] = None
    destination_company: Annotated[Text | None, NotNull] = None
    cargo_type: Text
    cargo_weight: Annotated[Annotated[int, Whole, Field(ge=0, le=100_000)] | None, NotNull] = None
    income: Annotated[int, Whole, Field(ge=0, le=1_000_000)]
    distance: Annotated[int, Whole, Field(ge=1, le=10_000)]
    deadline: Annotated[UtcTimestamp | None, NotNull] = None
    # Extension: when the job really began (a job recorded offline keeps its time).
    started_at: Annotated[UtcTimestamp | None, NotNull] = None


class _JobEnd(_Authenticated):
    job_id: JobId
    cargo_damage: Fraction
    fuel_consumed: Annotated[NonNegative | None, NotNull] = None
    damage_taken: Annotated[Fraction | None, NotNull] = None
    avg_speed: Annotated[SpeedMph | None, NotNull] = None
    avg_rpm: Annotated[Rpm | None, NotNull] = None
    # Extension: the job's P&L as the player's app settled it (its fuel price, its
    # repair costs, the revenue and expenses the game reported), in the game's
    # currency; the reference server stores these instead of its defaults, so the
    # web shows the profit the app shows.  The hosted service ignores them.
    fuel_cost: Annotated[NonNegative | None, NotNull] = None
    damage_cost: Annotated[NonNegative | None, NotNull] = None
    profit: Annotated[Annotated[float, Field(ge=-10_000_000, le=10_000_000)] | None, NotNull] = None
    safety_score: Annotated[Annotated[float, Field(ge=0, le=100)] | None, NotNull] = None


class JobComplete(_JobEnd):
    """``POST /api/jobs/complete``."""

    delivered_late: bool
    # Extension: when the job was delivered.
    completed_at: Annotated[UtcTimestamp | None, NotNull] = None


class JobCancel(_JobEnd):
    """``POST /api/jobs/cancel`` (extension).  ``penalty`` (whole currency units)
    defaults to 0 and ``abandoned`` (ended with no game event) to false."""

    penalty: Annotated[Annotated[int, Whole, Field(ge=0, le=1_000_000)] | None, NotNull] = None
    abandoned: Annotated[bool | None, NotNull] = None
    cancelled_at: Annotated[UtcTimestamp | None, NotNull] = None


# --- responses (lenient) --------------------------------------------------------------


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Success(_Response):
    """``200 {"success": true}``."""

    success: bool = True


class BatchAccepted(Success):
    """``200 {"success": true, "accepted": n}`` from the batch endpoint."""

    accepted: int


class Job(_Response):
    """A job row as the server returns it.  Only ``id`` is required: it is all a
    client needs, and the hosted service's columns may differ from ours."""

    id: str
    user_id: str | None = None
    status: str | None = None
    source_city: str | None = None
    destination_city: str | None = None
    source_company: str | None = None
    destination_company: str | None = None
    cargo_type: str | None = None
    cargo_weight: int | None = None
    income: int | None = None
    distance: int | None = None
    deadline: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    cancelled_at: str | None = None
    cargo_damage: float | None = None
    delivered_late: bool | None = None
    fuel_consumed: float | None = None
    damage_taken: float | None = None
    avg_speed: float | None = None
    avg_rpm: int | None = None
    penalty: int | None = None
    abandoned: bool | None = None
    fuel_cost: float | None = None
    damage_cost: float | None = None
    profit: float | None = None
    profit_per_mile: float | None = None
    fuel_economy: float | None = None
    safety_score: float | None = None


class JobStarted(_Response):
    """``200 {"job": {...every column}}`` from job start."""

    job: Job


class ErrorBody(_Response):
    """Any error: ``{"error": "...", "details"?: {...}, "retry_after"?: n}``."""

    error: str
    details: dict[str, Any] | None = None
    retry_after: int | None = None


class Health(_Response):
    """``GET /api/health`` (extension)."""

    status: Literal["ok"] | str
    version: str | None = None
    features: list[str] = Field(default_factory=list)
    max_batch_samples: int | None = None


__all__ = [
    "API_KEY_PATTERN",
    "ERROR_AUTH_REQUIRED",
    "ERROR_INVALID_KEY",
    "ERROR_JOB_NOT_FOUND",
    "ERROR_RATE_LIMITED",
    "ERROR_TOO_LARGE",
    "ERROR_UNAUTHORIZED",
    "ERROR_VALIDATION",
    "FEATURE_BATCH",
    "FEATURE_CANCEL",
    "FEATURE_CLIENT_ECONOMICS",
    "FEATURE_CLIENT_TIMESTAMPS",
    "FEATURE_IDEMPOTENCY",
    "IDEMPOTENCY_HEADER",
    "JOBS_PER_HOUR",
    "MAX_BATCH_SAMPLES",
    "TELEMETRY_PER_HOUR",
    "BatchAccepted",
    "ErrorBody",
    "Health",
    "Job",
    "JobCancel",
    "JobComplete",
    "JobStart",
    "JobStarted",
    "Success",
    "Telemetry",
    "TelemetryBatch",
    "TelemetryFields",
    "format_utc_z",
    "parse_utc_z",
]
