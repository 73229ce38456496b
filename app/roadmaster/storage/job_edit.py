"""The player's verdict on a job the tracker could not close ("abandoned" /
"needs review"): the local change and what the cloud must learn of it, in one
transaction (DESIGN.md: the cloud never learns of something the log lacks, nor
misses something it has).

* **Delivered**: the job's completion is queued exactly as if the tracker had seen
  the delivery (a ``JobDelivered`` rebuilt from the stored row, its stored
  figures and P&L; the sync worker turns it into the contract's body with
  ``sync.payloads``).  A job that never reached the server gets its start queued
  first.
* **Cancelled**: a ``JobCancelled`` is queued; the sync worker sends it where the
  server has the ``cancel`` extension and drops it with a note on the hosted
  contract (there the job is simply never completed).  When the tracker's own
  "abandoned" cancel already went out, the server counts the job as cancelled
  and nothing more is sent.
* An end row of the job not sent yet (the abandonment's cancel) is superseded
  (``done`` with a note), so the server hears one verdict.
* **Delete**: the job's rows go, with its unsent outbox rows (ON DELETE CASCADE).
  The contract has no delete: a server that has the job keeps it, and the
  outcome says so.

The status change only applies to an unfinished job, so a second edit (a double
click, a retry after a crash) finds nothing to change and queues nothing.

The stored career (settings ``career``) is dropped in the same transaction: the
achievements' running totals no longer match the history, and whoever reads it
next rebuilds it (``storage.history``), even after a crash right after the commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from roadmaster.jobs.economics import Expenses, job_economics
from roadmaster.jobs.events import (
    JobCancelled,
    JobDelivered,
    JobStarted,
    JobStatus,
)
from roadmaster.jobs.pnl import JobEconomics
from roadmaster.storage import hos_log
from roadmaster.storage import outbox as ob
from roadmaster.storage.rows import info_from_row, stats_from_row
from roadmaster.storage.tables import jobs, outbox, settings

#: The statuses the player may resolve or delete.
UNFINISHED: Final = (JobStatus.ABANDONED.value, JobStatus.NEEDS_REVIEW.value)
CAREER_KEY: Final = "career"  # as storage.history stores it
_END_KINDS: Final = ("job_complete", "job_cancel")


@dataclass(frozen=True, slots=True)
class EditOutcome:
    """What an edit did: whether the log changed, what was queued for the cloud
    (outbox kinds, in order) and, in words, what the cloud will learn."""

    changed: bool
    queued: tuple[str, ...] = ()
    cloud: str = ""


def superseded_note(status: JobStatus) -> str:
    return f"not sent: the player marked the job {status.value} before it went out"


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    kind: str
    state: str
    last_error: str | None

    @property
    def reached_server(self) -> bool:
        """Sent (or being sent): acknowledged without a note, or claimed."""
        return self.state == "in_flight" or (self.state == "done" and self.last_error is None)


def _job(conn: Connection, job_id: int) -> Mapping[Any, Any] | None:
    found = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).mappings().first()
    if found is None or found["status"] not in UNFINISHED:
        return None
    return found


def _rows(conn: Connection, job_id: int) -> list[_Row]:
    o = outbox.c
    stmt = (
        sa.select(o.id, o.kind, o.state, o.last_error)
        .where(o.job_id == job_id, o.kind != "telemetry")
        .order_by(o.id)
    )
    return [_Row(int(r.id), r.kind, r.state, r.last_error) for r in conn.execute(stmt)]


def _economics(row: Mapping[str, Any], delivered: bool) -> JobEconomics:
    """The job's P&L as stored (the economics columns), completed with the ratios."""
    econ = job_economics(
        income=int(row["income"]),
        revenue=int(row["revenue"]),
        fuel_used_l=float(row["fuel_used_l"]),
        damage_taken=float(row["damage_taken"]),
        distance_km=float(row["distance_km"] or row["planned_distance_km"]),
        delivered_late=bool(row["late"]) if delivered else False,
        avg_speed_mps=float(row["avg_speed_mps"]),
        penalty=int(row["penalty"]),
        expenses=Expenses(
            fines=int(row["fines"]), tolls=int(row["tolls"]), ferry=int(row["transport_cost"])
        ),
    )

    def stored(column: str, computed: float) -> float:
        value = row[column]
        return computed if value is None else float(value)

    return dataclasses.replace(
        econ,
        fuel_cost=stored("fuel_cost", econ.fuel_cost),
        damage_cost=stored("damage_cost", econ.damage_cost),
        net_profit=stored("profit", econ.net_profit),
        safety_score=stored("safety_score", econ.safety_score),
    )


def _delivered(row: Mapping[str, Any]) -> JobDelivered:
    ended = int(row["ended_game_min"] or row["started_game_min"])
    return JobDelivered(
        t_s=float(row["real_s"]),
        game_time_min=ended,
        job_key=row["job_key"],
        info=info_from_row(row),
        stats=stats_from_row(row),
        revenue=int(row["revenue"]),
        xp=int(row["xp"]),
        cargo_damage=float(row["cargo_damage"]),
        distance_km=float(row["reported_distance_km"] or row["distance_km"]),
        delivery_time_min=int(row["delivery_time_min"] or 0),
        finished_game_min=ended,
        autopark_used=bool(row["autopark_used"]),
        autoload_used=bool(row["autoload_used"]),
        late=bool(row["late"]),
        economics=_economics(row, delivered=True),
    )


def _cancelled(row: Mapping[str, Any]) -> JobCancelled:
    ended = int(row["ended_game_min"] or row["started_game_min"])
    return JobCancelled(
        t_s=float(row["real_s"]),
        game_time_min=ended,
        job_key=row["job_key"],
        info=info_from_row(row),
        stats=stats_from_row(row),
        penalty=int(row["penalty"]),
        finished_game_min=ended,
        economics=_economics(row, delivered=False),
    )


def _drop_career(conn: Connection) -> None:
    conn.execute(settings.delete().where(settings.c.key == CAREER_KEY))


def resolve_job(conn: Connection, job_id: int, status: JobStatus, now: datetime) -> EditOutcome:
    """Mark an unfinished job delivered or cancelled and queue what the cloud must
    learn, inside ``conn``'s transaction (begin it IMMEDIATE).  Unchanged (and
    nothing queued) when the job is gone or no longer unfinished."""
    if status not in (JobStatus.DELIVERED, JobStatus.CANCELLED):
        raise ValueError(f"a job can be marked delivered or cancelled, not {status.value}")
    row = _job(conn, job_id)
    if row is None:
        return EditOutcome(False)
    changed = conn.execute(
        jobs.update()
        .where(jobs.c.id == job_id, jobs.c.status.in_(UNFINISHED))
        .values(status=status.value, updated_at=now)
    )
    if changed.rowcount != 1:
        return EditOutcome(False)
    _drop_career(conn)
    rows = _rows(conn, job_id)
    ends = [r for r in rows if r.kind in _END_KINDS]
    unsent = [r.id for r in ends if r.state in ("ready", "dead")]
    if unsent:
        conn.execute(
            outbox.update()
            .where(outbox.c.id.in_(unsent))
            .values(state="done", next_attempt_at=None, last_error=superseded_note(status))
        )
    cancel_went_out = any(r.reached_server and r.kind == "job_cancel" for r in ends)
    if status is JobStatus.CANCELLED and cancel_went_out:
        return EditOutcome(
            True,
            (),
            "The server was already told this job ended without a delivery: "
            "it counts it as cancelled, nothing more is sent.",
        )
    queued: list[str] = []
    starts = [r for r in rows if r.kind == "job_start"]
    if row["server_id"] is None and not starts:
        # Never queued for the cloud (recorded before sync was set up, or imported):
        # its start goes first, as for a job the tracker saw only at its end.
        info = info_from_row(row)
        start = JobStarted(
            t_s=0.0,
            game_time_min=info.started_game_min,
            job_key=row["job_key"],
            info=info,
            resumed=True,
        )
        payload = ob.game_unit_payload(start)
        assert payload is not None
        ob.enqueue(conn, "job_start", payload, job_id=job_id, now=now)
        queued.append("job_start")
    if status is JobStatus.DELIVERED:
        payload = ob.game_unit_payload(_delivered(row))
        assert payload is not None
        ob.enqueue(conn, "job_complete", payload, job_id=job_id, now=now)
        queued.append("job_complete")
        cloud = "Its completion is queued for the cloud, as for a delivery the tracker saw."
    else:
        payload = ob.game_unit_payload(_cancelled(row))
        assert payload is not None
        ob.enqueue(conn, "job_cancel", payload, job_id=job_id, now=now)
        queued.append("job_cancel")
        cloud = (
            "Its cancel goes to servers with the cancel extension (the reference server); "
            "the hosted service has no cancel, so there the job is simply never completed."
        )
    return EditOutcome(True, tuple(queued), cloud)


def delete_job(conn: Connection, job_id: int) -> EditOutcome:
    """Delete an unfinished job with its samples, events and unsent outbox rows,
    inside ``conn``'s transaction.  The contract has no delete: if the server has
    the job, it keeps it (the outcome says so)."""
    row = _job(conn, job_id)
    if row is None:
        return EditOutcome(False)
    on_server = row["server_id"] is not None or any(
        r.kind == "job_start" and r.reached_server for r in _rows(conn, job_id)
    )
    gone = conn.execute(
        jobs.delete().where(jobs.c.id == job_id, jobs.c.status.in_(UNFINISHED))
    ).rowcount
    if gone != 1:
        return EditOutcome(False)
    _drop_career(conn)
    hos_log.drop(conn)  # its samples went: the hours-of-service history is folded again
    if on_server:
        cloud = "The server keeps its copy of this job: the cloud API has no way to delete a job."
    else:
        cloud = "The job never reached the server: nothing is left to sync."
    return EditOutcome(True, (), cloud)


def sync_state(conn: Connection, job_id: int) -> str:
    """One line on where the job stands with the cloud, from its outbox rows."""
    rows = _rows(conn, job_id)
    if not rows:
        return "Not synced: nothing of this job is queued for the cloud."
    last = rows[-1]
    what = {"job_start": "start", "job_complete": "completion", "job_cancel": "cancel"}[last.kind]
    if last.state == "ready":
        return f"Sync: the {what} is waiting to be sent."
    if last.state == "in_flight":
        return f"Sync: the {what} is being sent."
    if last.state == "dead":
        return f"Sync: the {what} was refused and parked ({last.last_error or 'no reason'})."
    if last.last_error:
        return f"Sync: the {what} was {last.last_error}."
    return f"Sync: the server has the {what}."
