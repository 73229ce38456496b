"""The capture pipeline, on one thread: a source → the status monitor → the tracker →
storage (events, samples and their outbox rows, with the job's economics).

Used alike by ``roadmaster headless`` and by the GUI.  The latest reading is kept in
a mailbox (``latest``) that other threads may read at any time: a Reading is an
immutable value.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from roadmaster.errors import UserError
from roadmaster.jobs.economics import (
    EconomySettings,
    Expenses,
    JobEconomics,
    cancelled_economics,
    delivered_economics,
    job_economics,
    truck_damage_fraction,
)
from roadmaster.jobs.events import (
    Event,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobStats,
    Sample,
)
from roadmaster.jobs.tracker import Tracker
from roadmaster.storage.store import Store
from roadmaster.telemetry.source import Source, iterate
from roadmaster.telemetry.status import Monitor, Reading

log = logging.getLogger(__name__)

# Recorded sources (replays) run far faster than real time: their writes are grouped
# into one transaction per this many events or this much wall time.
BATCH_EVENTS = 500
BATCH_WALL_S = 0.5


def expenses_of(stats: JobStats) -> Expenses:
    return Expenses(
        fines=stats.fines_total,
        tolls=stats.tolls_total,
        ferry=stats.ferry_total,
        train=stats.train_total,
    )


def economics_of(event: Event, settings: EconomySettings) -> JobEconomics | None:
    """The P&L of a job that ended with ``event`` (None for other events)."""
    if isinstance(event, JobDelivered):
        return delivered_economics(event, expenses_of(event.stats), settings)
    if isinstance(event, JobCancelled):
        return cancelled_economics(event, expenses_of(event.stats), settings)
    if isinstance(event, JobAbandoned):
        s = event.stats
        return job_economics(
            income=event.info.income,
            revenue=0,
            fuel_used_l=s.fuel_used_l,
            damage_taken=truck_damage_fraction(s.damage_taken),
            distance_km=s.distance_km,
            delivered_late=False,
            avg_speed_mps=s.avg_speed_mps,
            expenses=expenses_of(s),
            settings=settings,
        )
    return None


def economics_columns(e: JobEconomics) -> dict[str, float | None]:
    return {
        "fuel_cost": e.fuel_cost,
        "damage_cost": e.damage_cost,
        "profit": e.net_profit,
        "safety_score": e.safety_score,
    }


@dataclass
class CaptureSummary:
    readings: int = 0
    events: int = 0
    samples: int = 0
    jobs_finished: int = 0
    source_seconds: float = 0.0
    stopped_by: str = "end of source"
    counts: dict[str, int] = field(default_factory=dict)


class Capture:
    """Runs one source through the tracker into the store until stopped.

    ``store`` None runs without storage (watch-like).  ``on_reading`` and ``on_events``
    are called on the capture thread; keep them cheap (the GUI passes a bridge that
    emits Qt signals).
    """

    def __init__(
        self,
        source: Source,
        store: Store | None,
        *,
        sample_interval_s: float = 1.0,
        speed: float | None = 1.0,
        poll_interval_s: float = 0.1,
        economy: EconomySettings | None = None,
        on_reading: Callable[[Reading], None] | None = None,
        on_events: Callable[[Sequence[Event]], None] | None = None,
    ) -> None:
        self.source = source
        self.store = store
        self.speed = speed
        self.poll_interval_s = poll_interval_s
        self.economy = economy or EconomySettings()
        self.on_reading = on_reading
        self.on_events = on_events
        self.monitor = Monitor()
        open_job = store.open_job() if store is not None else None
        if open_job is not None:
            log.info("resuming the open job %s", open_job[0])
        self.tracker = Tracker(sample_interval_s=sample_interval_s, open_job=open_job)
        self.latest: Reading | None = None  # mailbox for other threads
        self.stop_event = threading.Event()
        self.summary = CaptureSummary()
        self._pending: list[Event] = []
        self._economics: dict[str, dict[str, float | None]] = {}
        self._last_flush = time.monotonic()

    def stop(self) -> None:
        self.stop_event.set()

    def run(self, *, duration_s: float | None = None) -> CaptureSummary:
        """Capture until the source ends, ``stop()`` is called, or ``duration_s`` of the
        source's clock has passed.  Everything captured is committed before it returns."""
        summary = self.summary
        start_t: float | None = None
        try:
            for snapshot in iterate(
                self.source,
                poll_interval_s=self.poll_interval_s,
                speed=self.speed,
                stop=self.stop_event,
            ):
                reading = self.monitor.update(snapshot)
                self.latest = reading
                summary.readings += 1
                if self.on_reading is not None:
                    self.on_reading(reading)
                events = self.tracker.feed(reading)
                if events:
                    self._take(events)
                self._flush_if_due()
                if snapshot is not None:
                    start_t = snapshot.t_s if start_t is None else start_t
                    summary.source_seconds = snapshot.t_s - start_t
                    if duration_s is not None and summary.source_seconds >= duration_s:
                        summary.stopped_by = "duration"
                        break
            else:
                if self.stop_event.is_set():
                    summary.stopped_by = "stop"
        finally:
            self.flush()
        return summary

    def _take(self, events: list[Event]) -> None:
        s = self.summary
        for e in events:
            s.events += 1
            name = type(e).__name__
            s.counts[name] = s.counts.get(name, 0) + 1
            if isinstance(e, Sample):
                s.samples += 1
                continue
            econ = economics_of(e, self.economy)
            if econ is not None:
                s.jobs_finished += 1
                assert isinstance(e, JobDelivered | JobCancelled | JobAbandoned)
                self._economics[e.job_key] = economics_columns(econ)
        self._pending.extend(events)
        if self.on_events is not None:
            self.on_events(tuple(events))

    def _flush_if_due(self) -> None:
        if not self._pending:
            return
        if self.source.recorded and self.speed is None:
            due = (
                len(self._pending) >= BATCH_EVENTS
                or time.monotonic() - self._last_flush >= BATCH_WALL_S
            )
            if not due:
                return
        self.flush()

    def flush(self) -> None:
        """Commit what is pending (one transaction), with the open job's progress."""
        self._last_flush = time.monotonic()
        if self.store is None or not self._pending:
            self._pending.clear()
            return
        pending, self._pending = self._pending, []
        economics, self._economics = self._economics, {}
        try:
            self.store.apply(pending, economics=economics, progress=self.tracker.open_job)
        except UserError:
            # Keep what was not written so that a caller that recovers (disk freed)
            # can flush again; nothing already committed is touched.
            self._pending = pending + self._pending
            self._economics = {**economics, **self._economics}
            raise
