"""The runtime: the running app under any face.

One object owns the capture thread (source → tracker → local log), the sync wiring and
the demo server.  Faces use three things only:

- **commands**: :meth:`Runtime.start` / :meth:`Runtime.stop_capture` (the capture
  thread), :meth:`Runtime.run` (capture on the caller's thread: ``headless``),
  :meth:`Runtime.sync_now`, :meth:`Runtime.retry_dead`, :meth:`Runtime.apply_settings`,
  :meth:`Runtime.shutdown`;
- **queries**: :meth:`latest` (reading), :meth:`hos`, :meth:`live` (Roadie's snapshot),
  :meth:`progress`, :meth:`sync`,
  :meth:`outbox_counts`, :meth:`last_finished_job` — immutable values, from any thread
  (the last two read the log: call them off the GUI thread);
- **one stream of events** (:mod:`roadmaster.runtime.snapshots`): subscribers are
  called on the runtime's threads (capture, control, sync wiring); the window's bridge
  turns them into Qt signals.

Shutdown has the order of DESIGN.md: stop capture → its last commit → a bounded sync
flush → close the log; every thread is joined with a timeout.  No Qt here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import TYPE_CHECKING, Any

from roadmaster.errors import UserError
from roadmaster.jobs.events import Event
from roadmaster.runtime import imports
from roadmaster.runtime.cloud import SyncWiring
from roadmaster.runtime.config import RuntimeConfig, SourceFactory, sync_target
from roadmaster.runtime.snapshots import (
    CaptureProgress,
    CaptureStateChanged,
    EventsCommitted,
    ProblemReported,
    ProgressChanged,
    RuntimeEvent,
    SettingsApplied,
    SourceOpened,
    StoreOpened,
    SyncChanged,
    SyncSnapshot,
)
from roadmaster.settings import Settings
from roadmaster.telemetry.source import Source, SpeedDial
from roadmaster.telemetry.status import Reading

if TYPE_CHECKING:  # storage (SQLAlchemy) loads on the capture thread, after the first paint
    from roadmaster.capture import CaptureSummary, HosStatus
    from roadmaster.dispatcher.live import LiveSnapshot
    from roadmaster.runtime.pipeline import CommittingCapture
    from roadmaster.storage.store import Store

log = logging.getLogger(__name__)

Subscriber = Callable[[RuntimeEvent], None]
SETTINGS_SECTIONS = (
    "cloud",
    "dispatcher",
    "game",
    "display",
    "economy",
    "capture",
    "overlay",
    "startup",
)


class Runtime:
    """See the module docstring."""

    def __init__(self, config: RuntimeConfig) -> None:
        self.config = config
        self._settings = config.settings
        # The demo's speed control turns this dial while the capture plays.
        self.speed_dial = SpeedDial(config.speed)
        self._session_secrets: dict[str, str] = {}
        self._source_factory: SourceFactory = (
            config.source_for(config.settings)
            if config.source_for is not None
            else config.source_factory
        )
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reopen = threading.Event()
        self._thread: threading.Thread | None = None
        self._capture: CommittingCapture | None = None
        self._store: Store | None = None
        self._summary: CaptureSummary | None = None
        self._control = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roadmaster-runtime")
        self._pending: list[Future[None]] = []
        self._shut_down = False
        self.sync_wiring = SyncWiring(
            demo=config.demo,
            data_dir=config.data_dir,
            flush_s=config.sync_flush_s,
            announce=lambda snapshot: self._publish(SyncChanged(snapshot)),
            factory=config.sync_factory,
        )

    # --- the event stream --------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every event from now on (on the runtime's threads:
        keep it cheap, hand values on).  Returns a function that unsubscribes."""
        with self._lock:
            self._subscribers = [*self._subscribers, subscriber]

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = [s for s in self._subscribers if s is not subscriber]

        return unsubscribe

    def _publish(self, event: RuntimeEvent) -> None:
        for subscriber in self._subscribers:  # a copy-on-write list: no lock needed
            try:
                subscriber(event)
            except Exception:
                log.exception("a runtime subscriber failed on %s", type(event).__name__)

    # --- queries (any thread) ----------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def running(self) -> bool:
        """The capture thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def capture(self) -> CommittingCapture | None:
        """The current capture (its ``summary``, for tests and benchmarks)."""
        return self._capture

    @property
    def summary(self) -> CaptureSummary | None:
        """What the last capture run did (set when it ended)."""
        return self._summary

    def latest(self) -> Reading | None:
        """The newest reading (the capture's mailbox)."""
        capture = self._capture
        return None if capture is None else capture.latest

    def hos(self) -> HosStatus | None:
        """The hours-of-service clock as of the latest reading."""
        capture = self._capture
        return None if capture is None else capture.hos

    def live(self) -> LiveSnapshot | None:
        """What Roadie knows of the truck now (the latest reading and the driving-time
        clock), None when no game is seen."""
        from roadmaster.dispatcher.live import live_from

        hos = self.hos()
        return live_from(self.latest(), None if hos is None else hos.remaining)

    def progress(self) -> CaptureProgress:
        capture = self._capture
        if capture is None:
            return CaptureProgress(job=None, game_time_min=None)
        return capture.progress()

    def sync(self) -> SyncSnapshot:
        """What sync is doing now (the worker's status is a mailbox too)."""
        return self.sync_wiring.snapshot()

    def engine(self) -> Any:
        """The log's engine for read-only queries on other threads (the dispatcher's
        tools), None until the log is open or after it closed."""
        store = self._store
        return None if store is None else store.engine

    def job_log(self) -> Any:
        """The job log's query facade (:class:`roadmaster.runtime.joblog.JobLogService`)
        over the open log, None until it is open.  Its calls do SQL: pool threads only."""
        engine = self.engine()
        if engine is None:
            return None
        from roadmaster.runtime.joblog import JobLogService

        return JobLogService(engine, on_outbox=self.sync_wiring.wake)

    def outbox_counts(self) -> tuple[int, int]:
        """(waiting, parked) rows of the cloud queue.  Reads the log: not on the GUI
        thread.  (0, 0) while the log is not open."""
        engine = self.engine()
        if engine is None:
            return (0, 0)
        from roadmaster.storage import outbox as ob

        return ob.counts(engine)

    def last_finished_job(self) -> Any:
        """The last finished job's row of the log (a frozen ``JobRow``) or None.  Reads
        the log: not on the GUI thread."""
        engine = self.engine()
        if engine is None:
            return None
        from roadmaster.storage.queries import job_page

        rows = job_page(engine, sort="ended_at", descending=True, limit=1).rows
        return rows[0] if rows and rows[0].ended_at is not None else None

    # --- commands ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the capture thread (returns at once; the log opens on that thread)."""
        with self._lock:
            if self._shut_down or self.running:
                return
            self._stop.clear()
            self._reopen.clear()
            self._thread = threading.Thread(
                target=self._thread_main, name="roadmaster-capture", daemon=True
            )
            self._thread.start()

    def run(self, *, duration_s: float | None = None) -> CaptureSummary:
        """Capture on the calling thread until the source ends, :meth:`stop_capture`
        or ``duration_s`` of the source's clock; then a bounded sync flush and the log
        closed.  Errors are raised (``headless`` reports them)."""
        self._stop.clear()
        return self._capture_loop(duration_s)

    def stop_capture(self) -> None:
        """Ask capture to stop: it commits what it has, flushes sync (bounded) and
        closes the log, on its own thread.  Safe from a signal handler."""
        self._stop.set()
        capture = self._capture
        if capture is not None:
            capture.stop()

    def join(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the capture thread; True when it has ended."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    def set_speed(self, speed: float | None) -> None:
        """Play a recorded source (the demo's simulator) this many times faster, from
        the next snapshot on; None: as fast as it goes."""
        self.speed_dial.set(speed)

    def sync_now(self) -> bool:
        """Ask sync to send now (it does the HTTP on its own thread); False when sync
        is not set up."""
        worker = self.sync_wiring.worker
        if worker is None:
            return False
        worker.wake()
        return True

    def retry_dead(self) -> int:
        """Queue the parked rows again and wake sync; how many.  Writes to the log:
        not on the GUI thread."""
        engine = self.engine()
        if engine is None:
            return 0
        from roadmaster.storage import outbox as ob

        with engine.connect() as conn:
            count = ob.retry_dead(conn)  # its own transaction
        self.sync_wiring.wake()
        return count

    def apply_settings(
        self, settings: Settings, session_secrets: dict[str, str] | None = None
    ) -> frozenset[str]:
        """New settings take effect now, without a restart: the economy for the jobs
        that end from now on, the telemetry source reopened when it changed, sync wired
        again when the server, sync switch or session key changed.  ``session_secrets``:
        keys typed where no secure keyring exists (name → key), used for this session.
        Returns at once (re-wiring runs on the control thread); the sections that
        changed are announced in :class:`SettingsApplied`."""
        old = self._settings
        changed = frozenset(
            name for name in SETTINGS_SECTIONS if getattr(old, name) != getattr(settings, name)
        )
        if session_secrets is not None:
            if session_secrets != self._session_secrets:
                changed |= {"cloud"}
            self._session_secrets = dict(session_secrets)
        self._settings = settings
        capture = self._capture
        if capture is not None:
            capture.economy = settings.economy.economy()  # an immutable value: swapped whole
        if "game" in changed and self.config.source_for is not None:
            self._source_factory = self.config.source_for(settings)
            self._reopen_source()
        target = sync_target(settings, self._session_secrets)
        self._submit(lambda: self.sync_wiring.rewire(target))
        self._publish(SettingsApplied(settings, changed))
        return changed

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Stop everything in order (capture → last commit → bounded sync flush → the log
        closed) and join; False when a thread did not end in time (it is a daemon: the
        process still exits, and SQLite's WAL keeps what was committed)."""
        with self._lock:
            self._shut_down = True
        _done, not_done = wait_futures(list(self._pending), timeout=timeout_s)
        self._control.shutdown(wait=False, cancel_futures=True)
        self.stop_capture()
        joined = self.join(timeout_s)
        if not joined:
            log.error("the capture thread did not stop within %.0f s", timeout_s)
        if self._thread is None:
            self.sync_wiring.close()  # never started: nothing else will close it
        return joined and not not_done

    # --- inside -----------------------------------------------------------------------

    def _submit(self, fn: Callable[[], None]) -> None:
        with self._lock:
            if self._shut_down:
                return
            self._pending = [f for f in self._pending if not f.done()]
            self._pending.append(self._control.submit(fn))

    def _reopen_source(self) -> None:
        """Close the source and open the settings' new one; the log stays open and the
        open job carries on.  Capture that ended on its own (the old source failed)
        starts again; capture the player stopped stays stopped."""
        if self.running:
            self._reopen.set()
            capture = self._capture
            if capture is not None:
                capture.stop()
        elif self._thread is not None and not self._stop.is_set():
            self.start()  # it ended on its own (the source failed): try the new one

    def _thread_main(self) -> None:
        failure: BaseException | None = None
        try:
            self._capture_loop(None)
        except UserError:
            pass  # already reported (ProblemReported) by _capture_loop
        except Exception as exc:  # a bug: the crash handler reports it after cleanup
            failure = exc
        if failure is not None:
            raise failure  # → threading.excepthook → the crash dialog

    def _open_source(self) -> Source:
        source = self._source_factory()
        self._publish(SourceOpened(source.name))
        return source

    def _capture_loop(self, duration_s: float | None) -> CaptureSummary:
        source: Source | None = None
        store: Store | None = None
        reason = ""
        self._summary = None
        try:
            with imports.LOCK:  # first imports, perhaps beside another thread's
                from roadmaster.runtime.pipeline import CommittingCapture
                from roadmaster.storage.store import Store

            source = self._open_source()
            if self.config.data_dir is not None:
                store = Store.open(self.config.data_dir)
                self._store = store
                self._publish(StoreOpened(store.data_file, source.name))
                self.sync_wiring.start(store, sync_target(self._settings, self._session_secrets))
            self._publish(CaptureStateChanged(True, ""))
            while True:
                capture = CommittingCapture(
                    source,
                    store,
                    on_committed=self._committed,
                    after_commit=self.sync_wiring.wake,
                    speed=self.speed_dial,
                    sample_interval_s=self.config.sample_interval_s,
                    economy=self._settings.economy.economy(),
                    on_reading=self.config.on_reading,
                )
                self._capture = capture
                if self._stop.is_set() or self._reopen.is_set():
                    capture.stop()  # asked before this capture existed
                self._publish(ProgressChanged(capture.progress()))
                summary = capture.run(duration_s=duration_s)
                self._summary = summary
                if self._reopen.is_set() and not self._stop.is_set():
                    self._reopen.clear()
                    log.info("the telemetry source changed in the settings: reopening")
                    source.close()
                    source = None
                    source = self._open_source()
                    continue
                break
            if summary.stopped_by not in ("stop", "duration"):
                reason = f"the telemetry source ended ({summary.stopped_by})"
            return summary
        except UserError as exc:
            reason = str(exc)
            self._publish(ProblemReported(reason))
            raise
        except Exception as exc:
            reason = f"internal error ({type(exc).__name__}); see the log"
            raise
        finally:
            capture_now = self._capture
            if capture_now is not None and self._summary is None:
                self._summary = capture_now.summary
            try:
                self.sync_wiring.close()
            except Exception:
                log.exception("stopping sync failed; closing the data file anyway")
            if source is not None:
                source.close()
            if store is not None:
                self._store = None
                store.close()
            self._publish(CaptureStateChanged(False, reason))

    def _committed(self, events: tuple[Event, ...], progress: CaptureProgress) -> None:
        self._publish(EventsCommitted(events))
        self._publish(ProgressChanged(progress))
