"""From an outbox row (game units, as stored) to the contract's request body.

The outbox stores each event's own fields (``storage.outbox.game_unit_payload``);
here they become the event again and go through :mod:`roadmaster.sync.payloads`,
so a unit or contract fix applies to rows queued before it.  Clamps are reported
once per (endpoint, field, reason) for the life of the worker: a truck that idles
at 0 gal for an hour would otherwise log 3,600 lines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from roadmaster.jobs.economics import Expenses, JobEconomics
from roadmaster.jobs.events import (
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobInfo,
    JobStats,
    Sample,
    Wear,
)
from roadmaster.storage.outbox import OutboxRow
from roadmaster.sync import payloads
from roadmaster.telemetry.frame import Game

log = logging.getLogger(__name__)


class BadRecordError(ValueError):
    """A stored payload that cannot be turned back into an event (a bug, or a row
    written by another version): dead-lettered with this reason."""


def _wear(value: Any) -> Wear:
    return Wear(**value) if isinstance(value, dict) else Wear()


def sample_of(p: dict[str, Any]) -> Sample:
    fields = {k: v for k, v in p.items() if k not in ("event", "wear")}
    return Sample(wear=_wear(p.get("wear")), **fields)


def info_of(p: dict[str, Any]) -> JobInfo:
    return JobInfo(**{**p, "game": Game(p["game"])})


def stats_of(p: dict[str, Any]) -> JobStats:
    return JobStats(
        **{
            **p,
            "wear_start": _wear(p.get("wear_start")),
            "wear_end": _wear(p.get("wear_end")),
        }
    )


def economics_of(p: dict[str, Any] | None) -> JobEconomics | None:
    """The settled P&L stored with a job end (None in rows queued before it was)."""
    if not isinstance(p, dict):
        return None
    return JobEconomics(**{**p, "expenses": Expenses(**p["expenses"])})


def _job_end(p: dict[str, Any]) -> JobDelivered | JobCancelled | JobAbandoned:
    fields = {k: v for k, v in p.items() if k != "event"}
    fields["info"] = info_of(p["info"])
    fields["stats"] = stats_of(p["stats"])
    fields["economics"] = economics_of(p.get("economics"))
    event = p.get("event")
    if event == "JobDelivered":
        return JobDelivered(**fields)
    if event == "JobCancelled":
        return JobCancelled(**fields)
    if event == "JobAbandoned":
        return JobAbandoned(**fields)
    raise BadRecordError(f"unknown job end event {event!r}")


@dataclass(slots=True)
class BodyBuilder:
    """Builds request bodies; ``client_timestamps`` adds the reference server's
    ``recorded_at`` / ``started_at`` / ``completed_at`` / ``cancelled_at``."""

    client_timestamps: bool = False
    _reported: set[tuple[str, str, str]] = field(default_factory=set)

    def telemetry(self, row: OutboxRow, server_job_id: str | None) -> dict[str, Any]:
        sample = self._decode(row, sample_of)
        when = row.created_at if self.client_timestamps else None
        return self._report(
            row.kind, payloads.telemetry_payload(sample, server_job_id, recorded_at_utc=when)
        )

    def job_start(self, row: OutboxRow) -> dict[str, Any]:
        info = self._decode(row, lambda p: info_of(p["info"]))
        when: datetime | None = None
        if self.client_timestamps:
            when = row.job_started_at or row.created_at
        return self._report(row.kind, payloads.job_start_payload(info, when))

    def job_end(self, row: OutboxRow, server_job_id: str) -> dict[str, Any]:
        event = self._decode(row, _job_end)
        when = row.created_at if self.client_timestamps else None
        if isinstance(event, JobDelivered):
            payload = payloads.job_complete_payload(event, server_job_id, completed_at_utc=when)
        else:
            payload = payloads.job_cancel_payload(event, server_job_id, cancelled_at_utc=when)
        return self._report(row.kind, payload)

    def is_delivery(self, row: OutboxRow) -> bool:
        return row.payload.get("event") == "JobDelivered"

    def _decode(self, row: OutboxRow, build: Any) -> Any:
        try:
            return build(row.payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRecordError(
                f"outbox row {row.id} ({row.kind}) cannot be read back: {type(exc).__name__}: {exc}"
            ) from exc

    def _report(self, kind: str, payload: payloads.Payload) -> dict[str, Any]:
        for clamp in payload.clamped:
            key = (kind, clamp.field, clamp.reason)
            if key not in self._reported:
                self._reported.add(key)
                log.warning(
                    "%s.%s was %s: %r sent as %r (logged once per field)",
                    kind,
                    clamp.field,
                    clamp.reason,
                    clamp.original,
                    clamp.sent,
                )
        return dict(payload.body)
