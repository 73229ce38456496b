"""The GUI's Capture: events announced only once committed, and the hours-of-service
clock kept on every reading.  Imported on the capture thread (it pulls in storage)."""

from __future__ import annotations

from collections.abc import Sequence

from roadmaster.capture import Capture
from roadmaster.jobs.events import Event
from roadmaster.jobs.hos import HosClock, is_driving, rules_for
from roadmaster.storage.store import Store
from roadmaster.telemetry.frame import Game
from roadmaster.telemetry.source import Source
from roadmaster.telemetry.status import GameState, Reading
from roadmaster.ui.capture_service import CaptureProgress, Publisher
from roadmaster.ui.present import JobProgress


class GuiCapture(Capture):
    """A Capture that tells the GUI about events only once they are committed, and
    keeps the hours-of-service clock on every reading (so it keeps counting while
    the window is hidden: the GUI samples only while something is visible)."""

    def __init__(self, source: Source, store: Store | None, publisher: Publisher, **kw: object):
        super().__init__(
            source,
            store,
            on_events=self._collect,
            on_reading=self._observe,
            **kw,  # type: ignore[arg-type]
        )
        self._publisher = publisher
        self._committed: list[Event] = []
        self._hos: HosClock | None = None
        self._hos_game: Game | None = None
        self._hos_minute: int | None = None

    def _collect(self, events: Sequence[Event]) -> None:
        self._committed.extend(events)

    def _observe(self, reading: Reading) -> None:
        frame = reading.frame
        if frame is None or reading.state not in (GameState.DRIVING, GameState.MENU):
            return
        game, minute = frame.header.game, frame.header.game_time_min
        if game is not self._hos_game or self._hos is None:
            self._hos, self._hos_game = HosClock(rules_for(game)), game
        if minute == self._hos_minute:  # the clock only moves in whole game minutes
            return
        self._hos_minute = minute
        t = frame.truck
        driving = reading.state is GameState.DRIVING and is_driving(
            t.speed_mps, t.engine_enabled, t.park_brake
        )
        self._hos = self._hos.observe(minute, driving, frame.header.rest_stop_min or None)

    def progress(self) -> CaptureProgress:
        open_job = self.tracker.open_job
        job = None if open_job is None else JobProgress(*open_job)
        return CaptureProgress(
            job=job,
            hos=None if self._hos is None else self._hos.remaining(),
            game_time_min=self._hos_minute,
        )

    def flush(self) -> None:
        super().flush()  # raises UserError (disk full…) before anything is announced
        events, self._committed = self._committed, []
        if events:
            self._publisher.publish_events(tuple(events))
            self._publisher.publish_progress(self.progress())
