"""The one adapter between background threads and widgets.

Background code (the capture thread, the sync thread, pool tasks) never touches a
widget: it calls the bridge's methods, which emit Qt signals; Qt delivers them on
the GUI thread (queued connections, since the bridge lives on the GUI thread).
Only immutable values cross: Readings, tuples of events, frozen status objects.

Live telemetry is NOT pushed through here at 10 Hz: the GUI pulls the latest
Reading from ``Capture.latest`` (a mailbox) on a ~30 Hz QTimer while visible.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from roadmaster.jobs.events import Event


class CoreBridge(QObject):
    # tuple[Event, ...] from the capture thread, after they were committed
    events_committed = Signal(object)
    # a frozen sync status object from the sync thread (see roadmaster.sync)
    sync_status_changed = Signal(object)
    # capture started / stopped (True/False), and why it stopped (message or "")
    capture_running_changed = Signal(bool, str)
    # a user-fixable problem from a background thread (one line, what to do)
    problem_reported = Signal(str)
    # the capture thread opened the store: its Engine, for read-only pool tasks
    store_opened = Signal(object)
    # the open job and driving-time state after a commit (a frozen CaptureProgress)
    progress_changed = Signal(object)
    # cloud wiring done on the capture thread (a roadmaster.ui.cloud.CloudWiring)
    cloud_started = Signal(object)

    def publish_events(self, events: Sequence[Event]) -> None:
        """Called on the capture thread."""
        self.events_committed.emit(tuple(events))

    def publish_sync_status(self, status: object) -> None:
        """Called on the sync thread."""
        self.sync_status_changed.emit(status)

    def publish_capture_running(self, running: bool, reason: str = "") -> None:
        self.capture_running_changed.emit(running, reason)

    def publish_problem(self, message: str) -> None:
        self.problem_reported.emit(message)

    def publish_store_opened(self, engine: object) -> None:
        """Called on the capture thread once the store is open."""
        self.store_opened.emit(engine)

    def publish_cloud_started(self, wiring: object) -> None:
        """Called on the capture thread once sync (and the demo server) run."""
        self.cloud_started.emit(wiring)

    def publish_progress(self, progress: object) -> None:
        """Called on the capture thread after a commit."""
        self.progress_changed.emit(progress)
