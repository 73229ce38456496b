"""The runtime's capture: a :class:`~roadmaster.capture.Capture` that announces events
only once they are committed, then wakes sync (new outbox rows go now, not at the next
poll), and can describe the open job as an immutable :class:`CaptureProgress`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from roadmaster.capture import Capture
from roadmaster.jobs.events import Event
from roadmaster.runtime.snapshots import CaptureProgress, OpenJob
from roadmaster.storage.store import Store
from roadmaster.telemetry.source import Source


class CommittingCapture(Capture):
    """Events reach ``on_committed`` after the transaction that stored them."""

    def __init__(
        self,
        source: Source,
        store: Store | None,
        *,
        on_committed: Callable[[tuple[Event, ...], CaptureProgress], None],
        after_commit: Callable[[], None],
        **kw: object,
    ) -> None:
        super().__init__(source, store, on_events=self._collect, **kw)  # type: ignore[arg-type]
        self._on_committed = on_committed
        self._after_commit = after_commit
        self._committed: list[Event] = []

    def _collect(self, events: Sequence[Event]) -> None:
        self._committed.extend(events)

    def progress(self) -> CaptureProgress:
        open_job = self.tracker.open_job
        job = None if open_job is None else OpenJob(*open_job)
        latest = self.latest
        minute = None
        if latest is not None and latest.frame is not None:
            minute = latest.frame.header.game_time_min
        return CaptureProgress(job=job, game_time_min=minute)

    def flush(self) -> None:
        had_pending = bool(self._pending)
        super().flush()  # raises UserError (disk full…) before anything is announced
        events, self._committed = self._committed, []
        if had_pending:
            self._after_commit()
        if events:
            self._on_committed(tuple(events), self.progress())
