"""The capture pipeline, on one thread: a source → the status monitor → the tracker →
storage (events, samples and their outbox rows, with the job's economics).

Used alike by ``roadmaster headless`` and by the GUI.  The latest reading is kept in
a mailbox (``latest``) that other threads may read at any time: a Reading is an
immutable value.  So is ``hos``, the hours-of-service clock fed from the readings.

After each flush that committed a finished job, the achievements are brought up to
date from the stored history (:class:`~roadmaster.storage.history.CareerKeeper`,
incremental) and each newly unlocked one is reported through ``on_events`` as an
:class:`~roadmaster.jobs.events.AchievementUnlocked`, after the commit, so a
notification never announces something the database does not hold.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from roadmaster.errors import UserError
from roadmaster.jobs.economics import (
    EconomySettings,
    economics_columns,
    settle,
)
from roadmaster.jobs.events import (
    AchievementUnlocked,
    Event,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    Sample,
)
from roadmaster.jobs.hos import HosClock, Remaining, is_driving, rules_for
from roadmaster.jobs.tracker import Tracker
from roadmaster.storage.errors import DataFileError
from roadmaster.storage.history import CareerKeeper
from roadmaster.storage.store import Store
from roadmaster.telemetry.frame import Game
from roadmaster.telemetry.source import Source, SpeedDial, iterate
from roadmaster.telemetry.status import GameState, Monitor, Reading

log = logging.getLogger(__name__)

# Recorded sources (replays) run far faster than real time: their writes are grouped
# into one transaction per this many events or this much wall time.
BATCH_EVENTS = 500
BATCH_WALL_S = 0.5


@dataclass(frozen=True, slots=True)
class HosStatus:
    """The hours-of-service clock as of the latest reading (immutable: the UI reads it
    from its own thread)."""

    game: Game
    clock: HosClock

    @property
    def remaining(self) -> Remaining:
        """What the driver has left (computed on the reader's thread, on demand)."""
        return self.clock.remaining()


@dataclass
class CaptureSummary:
    readings: int = 0
    events: int = 0
    samples: int = 0
    jobs_finished: int = 0
    achievements: int = 0
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
        speed: float | SpeedDial | None = 1.0,
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
        self.hos: HosStatus | None = None  # mailbox for other threads
        self.stop_event = threading.Event()
        self.summary = CaptureSummary()
        self.career = CareerKeeper(store) if store is not None else None
        self._pending: list[Event] = []
        self._economics: dict[str, dict[str, float | None]] = {}
        # Finished jobs committed (or pending) whose achievements are not evaluated
        # yet, by job key, with the event that finished each.
        self._unevaluated: dict[str, Event] = {}
        self._career_due = store is not None  # catch up once at start (crash, demo data)
        self._hos_input: tuple[int, bool, int] | None = None
        self._last_flush = time.monotonic()

    def stop(self) -> None:
        self.stop_event.set()

    def run(self, *, duration_s: float | None = None) -> CaptureSummary:
        """Capture until the source ends, ``stop()`` is called, or ``duration_s`` of the
        source's clock has passed.  Everything captured is committed before it returns."""
        summary = self.summary
        start_t: float | None = None
        try:
            self._evaluate_career()
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
                self._observe_hos(reading)
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
        except DataFileError:
            # The database refused a write (disk full, file gone read-only …): another
            # attempt now would fail the same way and hide this error.
            raise
        except BaseException:
            self.flush()  # e.g. Ctrl-C or a damaged recording: keep what was read
            raise
        self.flush()
        return summary

    def _take(self, events: list[Event]) -> None:
        s = self.summary
        for i, e in enumerate(events):
            s.events += 1
            name = type(e).__name__
            s.counts[name] = s.counts.get(name, 0) + 1
            if isinstance(e, Sample):
                s.samples += 1
                continue
            econ = settle(e, self.economy)
            if econ is not None:
                s.jobs_finished += 1
                assert isinstance(e, JobDelivered | JobCancelled | JobAbandoned)
                # Settled once, here: the event carries its P&L to storage, the
                # outbox (the cloud), and the views, which read it, never recompute.
                e = dataclasses.replace(e, economics=econ)
                events[i] = e
                self._economics[e.job_key] = economics_columns(econ)
                self._unevaluated[e.job_key] = e
        self._pending.extend(events)
        if self.on_events is not None:
            self.on_events(tuple(events))

    def _flush_if_due(self) -> None:
        if not self._pending:
            return
        speed = self.speed.get() if isinstance(self.speed, SpeedDial) else self.speed
        if self.source.recorded and speed is None:
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
        if self._unevaluated:
            self._career_due = True
        self._evaluate_career()

    def _evaluate_career(self) -> None:
        """Bring the achievements up to date with the committed jobs and report what
        unlocked.  Runs only after a commit that finished a job (and once at start):
        the catch-up reads just the jobs finished since the last one."""
        if not self._career_due or self.career is None:
            return
        unlocked = self.career.catch_up()
        finished, self._unevaluated = self._unevaluated, {}
        self._career_due = False
        if not unlocked:
            return
        events: list[Event] = []
        for u in unlocked:
            # Stamp the notification with the event that finished its job when this
            # run saw it, else with the latest reading's clocks.
            ended = finished.get(u.job.job_key)
            t_s, gmin = self._clocks() if ended is None else (ended.t_s, ended.game_time_min)
            log.info("achievement unlocked: %s (%s)", u.achievement.title, u.achievement.id)
            events.append(
                AchievementUnlocked(
                    t_s=t_s,
                    game_time_min=gmin,
                    achievement_id=u.achievement.id,
                    title=u.achievement.title,
                    description=u.achievement.description,
                    job_key=u.job.job_key,
                )
            )
        self.summary.achievements += len(events)
        self.summary.counts["AchievementUnlocked"] = self.summary.counts.get(
            "AchievementUnlocked", 0
        ) + len(events)
        if self.on_events is not None:
            self.on_events(tuple(events))

    def _clocks(self) -> tuple[float, int]:
        latest = self.latest
        if latest is None:
            return 0.0, 0
        gmin = latest.frame.header.game_time_min if latest.frame is not None else 0
        return latest.t_s or 0.0, gmin

    def _observe_hos(self, reading: Reading) -> None:
        """Feed the hours-of-service clock with the game clock and whether the driver
        is at the wheel.  Only while the game runs: paused, the game clock stands
        still; closed or frozen, nothing can be known.  A new ``HosStatus`` is made
        only when an input changed (the game minute ticks every few readings)."""
        frame = reading.frame
        if frame is None or reading.state is not GameState.DRIVING:
            return
        header, truck = frame.header, frame.truck
        driving = is_driving(truck.speed_mps, truck.engine_enabled, truck.park_brake)
        observed = (header.game_time_min, driving, header.rest_stop_min)
        if observed == self._hos_input:
            return
        self._hos_input = observed
        hos = self.hos
        if hos is None or hos.game is not header.game:
            # First sight of the game, or another game: its own rules, fully rested
            # (nothing is known of the time before).
            hos = HosStatus(header.game, HosClock(rules_for(header.game)))
        self.hos = HosStatus(
            hos.game, hos.clock.observe(header.game_time_min, driving, header.rest_stop_min)
        )
