"""The outbox: what the cloud must learn, written in the same transaction as the
local change it describes (DESIGN.md), in global order (``outbox.id``).

This module enqueues (inside the caller's transaction) and counts; the sync issue
adds claiming, acknowledging and dead-lettering on the same table.

Payloads are stored in the game's units (the event's own fields): the sync worker
builds the contract's request from them at send time, so a unit or contract fix
applies to rows queued before the fix.  :data:`PayloadBuilder` lets a caller store
something else.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine

from roadmaster.jobs.events import (
    Event,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobStarted,
    Sample,
)
from roadmaster.storage.fastinsert import FastInsert
from roadmaster.storage.tables import outbox

OutboxKind = Literal["job_start", "job_complete", "job_cancel", "telemetry"]

#: Builds the stored payload for an event, or None to enqueue nothing for it.
PayloadBuilder = Callable[[Event], dict[str, Any] | None]

_COLUMNS: Final = ("kind", "job_id", "event_id", "payload", "state", "attempts", "created_at")
# One compiled insert per dialect (the JSON serializer is the engine's).
_fast_inserts: weakref.WeakKeyDictionary[Dialect, FastInsert] = weakref.WeakKeyDictionary()


def kind_of(event: Event) -> OutboxKind | None:
    """The outbox kind an event produces (None: the cloud does not hear of it).

    An abandoned job goes out as a cancel: the hosted contract has no cancel, so
    such a job is simply never completed there; the reference server records it.
    """
    if isinstance(event, Sample):
        return "telemetry"
    if isinstance(event, JobStarted):
        return "job_start"
    if isinstance(event, JobDelivered):
        return "job_complete"
    if isinstance(event, JobCancelled | JobAbandoned):
        return "job_cancel"
    return None


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def game_unit_payload(event: Event) -> dict[str, Any] | None:
    """The default payload: the event's fields as JSON values, in game units, plus
    ``"event"`` (the event's class name).  Samples take a flat fast path (1 Hz)."""
    if isinstance(event, Sample):
        w = event.wear
        return {
            "event": "Sample",
            "t_s": event.t_s,
            "game_time_min": event.game_time_min,
            "job_key": event.job_key,
            "speed_mps": event.speed_mps,
            "engine_rpm": event.engine_rpm,
            "gear_dashboard": event.gear_dashboard,
            "fuel_l": event.fuel_l,
            "fuel_capacity_l": event.fuel_capacity_l,
            "wear": {
                "engine": w.engine,
                "transmission": w.transmission,
                "cabin": w.cabin,
                "chassis": w.chassis,
                "wheels": w.wheels,
                "trailer": w.trailer,
            },
            "cargo_damage": event.cargo_damage,
            "x_m": event.x_m,
            "y_m": event.y_m,
            "z_m": event.z_m,
            "heading": event.heading,
            "cruise_control": event.cruise_control,
            "cruise_control_speed_mps": event.cruise_control_speed_mps,
            "park_brake": event.park_brake,
            "motor_brake": event.motor_brake,
            "retarder_level": event.retarder_level,
            "air_pressure_psi": event.air_pressure_psi,
            "brake_temperature_c": event.brake_temperature_c,
            "route_distance_m": event.route_distance_m,
            "route_time_s": event.route_time_s,
            "speed_limit_mps": event.speed_limit_mps,
        }
    plain = _plain(event)
    assert isinstance(plain, dict)
    return {"event": type(event).__name__, **plain}


def enqueue(
    conn: Connection,
    kind: OutboxKind,
    payload: dict[str, Any],
    *,
    job_id: int | None,
    now: datetime,
) -> None:
    """Queue one row for the cloud.  Runs in ``conn``'s current transaction: the row
    commits (or rolls back) together with the change it describes."""
    fast = _fast_inserts.get(conn.dialect)
    if fast is None:
        fast = _fast_inserts[conn.dialect] = FastInsert(outbox, _COLUMNS, conn.dialect)
    fast.execute(
        conn,
        {
            "kind": kind,
            "job_id": job_id,
            "event_id": uuid.uuid4().hex,
            "payload": payload,
            "state": "ready",
            "attempts": 0,
            "created_at": now,
        },
    )


def _count(source: Engine | Connection, *states: str) -> int:
    stmt = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.state.in_(states))
    if isinstance(source, Engine):
        with source.connect() as conn:
            return int(conn.execute(stmt).scalar_one())
    return int(source.execute(stmt).scalar_one())


def pending_count(source: Engine | Connection) -> int:
    """Rows the cloud has not acknowledged yet (ready or in flight)."""
    return _count(source, "ready", "in_flight")


def dead_count(source: Engine | Connection) -> int:
    """Rows parked for good (the server will never accept them as they are)."""
    return _count(source, "dead")
