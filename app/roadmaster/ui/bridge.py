"""The one adapter between the runtime's threads and widgets.

The runtime (:mod:`roadmaster.runtime`) calls its subscribers on its own threads (the
capture thread, its control thread); :meth:`CoreBridge.deliver` is such a subscriber
and turns each event into a Qt signal, which Qt delivers on the GUI thread (queued
connections, since the bridge lives there).  Only immutable values cross: tuples of
events, frozen snapshots.

Live telemetry is NOT pushed through here at 10 Hz: the GUI pulls the latest Reading
from the runtime's mailbox (:meth:`Runtime.latest`) on a ~30 Hz QTimer while visible.
"""

from __future__ import annotations

from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QObject, Signal

from roadmaster.jobs.events import Event
from roadmaster.runtime import (
    CaptureStateChanged,
    EventsCommitted,
    ProblemReported,
    ProgressChanged,
    RuntimeEvent,
    SettingsApplied,
    StoreOpened,
    SyncChanged,
)


class CoreBridge(QObject):
    # tuple[Event, ...] from the capture thread, after they were committed
    events_committed = Signal(object)
    # a frozen sync status object from the sync thread (see roadmaster.sync)
    sync_status_changed = Signal(object)
    # capture started / stopped (True/False), and why it stopped (message or "")
    capture_running_changed = Signal(bool, str)
    # a user-fixable problem from a background thread (one line, what to do)
    problem_reported = Signal(str)
    # the capture thread opened the log (a runtime.StoreOpened): reads may start
    store_opened = Signal(object)
    # the open job and driving-time state after a commit (a frozen CaptureProgress)
    progress_changed = Signal(object)
    # sync was started, stopped or re-wired (a frozen runtime.SyncSnapshot)
    sync_changed = Signal(object)
    # new settings are in force in the runtime (a runtime.SettingsApplied)
    settings_applied = Signal(object)

    def deliver(self, event: RuntimeEvent) -> None:
        """The runtime's subscriber: called on the runtime's threads."""
        if not shiboken6.isValid(self):
            return  # the window is gone; the runtime is still stopping
        if isinstance(event, EventsCommitted):
            self.events_committed.emit(event.events)
        elif isinstance(event, ProgressChanged):
            self.progress_changed.emit(event.progress)
        elif isinstance(event, CaptureStateChanged):
            self.capture_running_changed.emit(event.running, event.reason)
        elif isinstance(event, ProblemReported):
            self.problem_reported.emit(event.message)
        elif isinstance(event, StoreOpened):
            self.store_opened.emit(event)
        elif isinstance(event, SyncChanged):
            self.sync_changed.emit(event.sync)
        elif isinstance(event, SettingsApplied):
            self.settings_applied.emit(event)

    def publish_events(self, events: Sequence[Event]) -> None:
        self.events_committed.emit(tuple(events))

    def publish_sync_status(self, status: object) -> None:
        self.sync_status_changed.emit(status)

    def publish_progress(self, progress: object) -> None:
        self.progress_changed.emit(progress)
