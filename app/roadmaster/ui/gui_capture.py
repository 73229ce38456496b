"""The GUI's Capture: events announced only once committed.  Imported on the
capture thread (it pulls in storage).

The hours-of-service clock is the core's (``Capture.hos``, fed on every reading
on the capture thread, so it keeps counting while the window is hidden); the GUI
reads that mailbox and keeps no clock of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from roadmaster.capture import Capture
from roadmaster.jobs.events import Event
from roadmaster.storage.store import Store
from roadmaster.telemetry.source import Source
from roadmaster.ui.capture_service import CaptureProgress, Publisher
from roadmaster.ui.view_models import JobProgress


class GuiCapture(Capture):
    """A Capture that tells the GUI about events only once they are committed."""

    def __init__(self, source: Source, store: Store | None, publisher: Publisher, **kw: object):
        super().__init__(
            source,
            store,
            on_events=self._collect,
            **kw,  # type: ignore[arg-type]
        )
        self._publisher = publisher
        self._committed: list[Event] = []

    def _collect(self, events: Sequence[Event]) -> None:
        self._committed.extend(events)

    def progress(self) -> CaptureProgress:
        open_job = self.tracker.open_job
        job = None if open_job is None else JobProgress(*open_job)
        latest = self.latest
        minute = None
        if latest is not None and latest.frame is not None:
            minute = latest.frame.header.game_time_min
        return CaptureProgress(job=job, game_time_min=minute)

    def flush(self) -> None:
        super().flush()  # raises UserError (disk full…) before anything is announced
        events, self._committed = self._committed, []
        if events:
            self._publisher.publish_events(tuple(events))
            self._publisher.publish_progress(self.progress())
