"""The capture thread of the GUI: opens the store, runs the capture, closes in order.

The store is opened *on the capture thread* because its write connection belongs to
that thread; the GUI only ever gets the store's Engine (through the bridge) for
read-only pool tasks.  Everything reaches the GUI through the bridge: committed
events, the open job's progress, and whether capture runs.  The driving-time
clock is read from the capture's own mailbox (:meth:`CaptureService.hos`).  No Qt
is used here directly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from roadmaster.errors import UserError
from roadmaster.jobs.economics import EconomySettings
from roadmaster.jobs.events import Event
from roadmaster.telemetry.source import Source, SpeedDial
from roadmaster.telemetry.status import Reading
from roadmaster.ui.view_models import JobProgress

if TYPE_CHECKING:  # storage (SQLAlchemy) loads on the capture thread, after the first paint
    from roadmaster.capture import HosStatus
    from roadmaster.storage.store import Store
    from roadmaster.ui.gui_capture import GuiCapture

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """What the capture thread needs of the bridge (CoreBridge implements it)."""

    def publish_events(self, events: Sequence[Event]) -> None: ...
    def publish_progress(self, progress: object) -> None: ...
    def publish_capture_running(self, running: bool, reason: str = "") -> None: ...
    def publish_problem(self, message: str) -> None: ...
    def publish_store_opened(self, engine: object) -> None: ...


@dataclass(frozen=True, slots=True)
class CaptureProgress:
    """The open job after a commit (immutable)."""

    job: JobProgress | None
    game_time_min: int | None


class CaptureService:
    """Owns the capture thread.  ``start()`` returns at once; ``stop()`` asks the
    thread to finish; ``join(timeout)`` waits for it.  In the thread, after capture
    ends: flush → ``before_close`` hooks (a bounded sync flush) → close the store."""

    def __init__(
        self,
        *,
        source_factory: Callable[[], Source],
        data_dir: Path | None,
        publisher: Publisher,
        speed: float | None = 1.0,
        sample_interval_s: float = 1.0,
        economy: EconomySettings | None = None,
    ) -> None:
        self._source_factory = source_factory
        self._economy = economy
        self._data_dir = data_dir
        self._publisher = publisher
        # The demo's speed control turns this dial while the capture plays.
        self.speed_dial = SpeedDial(speed)
        self._sample_interval_s = sample_interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.capture: GuiCapture | None = None  # set on the capture thread
        self.before_close: list[Callable[[], None]] = []
        self.on_store_open: list[Callable[[Store], None]] = []

    def set_economy(self, economy: EconomySettings) -> None:
        """The player's prices for jobs that end from now on (an immutable value,
        read by the capture thread when it settles a job)."""
        self._economy = economy
        if self.capture is not None:
            self.capture.economy = economy

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def latest(self) -> Reading | None:
        """The newest reading (the capture's mailbox), from any thread."""
        capture = self.capture
        return None if capture is None else capture.latest

    def hos(self) -> HosStatus | None:
        """The hours-of-service clock as of the latest reading (the capture's
        mailbox: an immutable value), from any thread."""
        capture = self.capture
        return None if capture is None else capture.hos

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="roadmaster-capture", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the thread; True when it has ended."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    def _run(self) -> None:
        source: Source | None = None
        store: Store | None = None
        reason = ""
        failure: BaseException | None = None
        try:
            from roadmaster.storage.store import Store
            from roadmaster.ui.gui_capture import GuiCapture

            source = self._source_factory()
            if self._data_dir is not None:
                store = Store.open(self._data_dir)
            capture = GuiCapture(
                source,
                store,
                self._publisher,
                speed=self.speed_dial,
                sample_interval_s=self._sample_interval_s,
                economy=self._economy,
            )
            capture.stop_event = self._stop  # stop() works even before run() starts
            self.capture = capture
            if store is not None:
                self._publisher.publish_store_opened(store.engine)
                for hook in self.on_store_open:
                    hook(store)
            self._publisher.publish_capture_running(True, "")
            self._publisher.publish_progress(capture.progress())
            summary = capture.run()
            if summary.stopped_by != "stop":
                reason = f"the telemetry source ended ({summary.stopped_by})"
        except UserError as exc:
            reason = str(exc)
            self._publisher.publish_problem(reason)
        except Exception as exc:  # a bug: the crash handler reports it after cleanup
            reason = f"internal error ({type(exc).__name__}); see the log"
            failure = exc
        finally:
            for close_hook in self.before_close:
                try:
                    close_hook()
                except Exception:
                    log.exception("a shutdown step failed; closing the data file anyway")
            if source is not None:
                source.close()
            if store is not None:
                store.close()
            self._publisher.publish_capture_running(False, reason)
        if failure is not None:
            raise failure  # → threading.excepthook → the crash dialog
