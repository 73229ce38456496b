"""The application controller: runs the window on the runtime (:mod:`roadmaster.runtime`:
capture thread, sync, demo server), owns the pool tasks and the GUI's one timer, and
decides what every view shows.

It lives on the GUI thread.  The runtime's events reach it only through the
:class:`~roadmaster.ui.bridge.CoreBridge`; views only get immutable view models
(:mod:`roadmaster.ui.view_models`) through its signals, and tell it which of them are
visible (:meth:`set_view_active`) so nothing is computed for a hidden window.

Part B's overlay and tray are built on this API: ``Overlay(controller)`` listens to
``dashboard_changed`` / ``job_changed`` / ``status_changed`` and calls
``set_view_active("overlay", visible)``; ``TrayIcon(app_controller)`` uses
``status_changed`` and the command methods (``show_main_window``,
``toggle_overlay``, ``sync_now``, ``open_settings``, ``quit``).
"""

from __future__ import annotations

import logging
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from roadmaster.jobs.events import (
    Event,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobStarted,
    Sample,
)
from roadmaster.jobs.hos import Remaining
from roadmaster.runtime import (
    CaptureProgress,
    Runtime,
    RuntimeConfig,
    SettingsApplied,
    SyncSnapshot,
)
from roadmaster.settings import DisplaySettings, Settings
from roadmaster.telemetry.frame import Game
from roadmaster.telemetry.source import Source
from roadmaster.telemetry.status import Reading
from roadmaster.ui import view_models as vm
from roadmaster.ui.bridge import CoreBridge
from roadmaster.ui.tasks import TaskRunner
from roadmaster.ui.ticks import TICKS, TickStats
from roadmaster.ui.view_models.notifications import (
    Notification,
    event_line,
    limit_batch,
    notification_for,
    sync_blocked_notification,
)
from roadmaster.units import UnitPreference, UnitSystem

log = logging.getLogger(__name__)

# 10 Hz while a live view is visible: the telemetry's own rate, so every reading is
# shown, within 100 ms of its arrival.  (20 Hz halved that delay, which nobody sees,
# and cost a tick, and often a separate repaint, for nothing every other time.)
ACTIVE_INTERVAL_MS = 100
IDLE_INTERVAL_MS = 1000  # status only (tray tooltip, status bar) while all are hidden
OUTBOX_POLL_MS = 5000  # the sync queue's counts while the window shows them
# ... and while it is hidden or minimised (overlay only, tray): the tray's tooltip
# still says how much waits, but counting a large unsynced queue is a table scan.
OUTBOX_IDLE_POLL_MS = 30_000
SHUTDOWN_TIMEOUT_S = 10.0
TASKS_TIMEOUT_MS = 2000
# Views fed by this timer at full rate.  The overlay polls latest_reading() on its
# own timer, so it alone does not need the fast tick.
LIVE_VIEWS = frozenset({"dashboard", "route"})
ROUTE_INTERVAL_S = 2.0  # the map moves slowly: every 2 s is plenty (and cheap)
# The job card's live figures (distance, deadline, driving time) change with every
# commit and game minute, which a fast feed makes many per second: at most this often.
JOB_INTERVAL_S = 1.0
# A trail keeps at most this many points: past it, every second point is dropped, so
# a whole evening (or a fast feed) keeps its shape at a bounded cost per redraw.
MAX_TRAIL_POINTS = 8000


@dataclass
class Trail:
    """The truck's track in plot coordinates (x east, y north = -z), appended from
    stored samples (so it grows while the window is hidden too)."""

    xs: array[float] = field(default_factory=lambda: array("d"))
    ys: array[float] = field(default_factory=lambda: array("d"))
    max_points: int = MAX_TRAIL_POINTS

    def add(self, x_m: float, z_m: float) -> None:
        self.xs.append(x_m)
        self.ys.append(-z_m)
        if len(self.xs) > self.max_points:
            # Thin the older part evenly; the newest point always stays.
            last_x, last_y = self.xs[-1], self.ys[-1]
            self.xs, self.ys = self.xs[:-1:2], self.ys[:-1:2]
            self.xs.append(last_x)
            self.ys.append(last_y)

    def clear(self) -> None:
        del self.xs[:]
        del self.ys[:]


@dataclass
class RouteState:
    """What the route view draws; ``revision`` grows on every change of the trails."""

    session: Trail = field(default_factory=Trail)
    job: Trail = field(default_factory=Trail)
    source_xy: tuple[float, float] | None = None
    destination_xy: tuple[float, float] | None = None
    revision: int = 0
    # where cities were seen (job start = source company, delivery = destination),
    # so a destination visited before in this session is marked from the start
    city_xy: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AppOptions:
    """How the app was started (from the command line)."""

    source_factory: Callable[[], Source]
    data_dir: Path | None
    demo: bool = False
    speed: float | None = 1.0
    unit_preference: UnitPreference = "auto"
    sample_interval_s: float = 1.0
    source_name: str = "the game"
    settings: Any = None  # roadmaster.settings.Settings (the overlay and tray read it)
    start_minimised: bool = False  # --minimised (the installer's autostart entry)
    # the source under given settings (Settings → Game applied live); None: fixed
    source_for: Callable[[Settings], Callable[[], Source]] | None = None


class AppController(QObject):
    """Owns the background work and decides what the views show."""

    dashboard_changed = Signal(object)  # vm.DashboardModel
    job_changed = Signal(object)  # vm.JobPanelModel
    status_changed = Signal(object)  # vm.StatusModel
    position_changed = Signal(object)  # Reading with a frame, for the route view
    notification_posted = Signal(str, str)  # title, text: every event, for the job panel's log
    # the notable ones (job started, delivered, fined, achievement, sync blocked), at
    # most a few per batch: a tray balloon, or the status bar where there is no tray
    notified = Signal(object)  # tray.Notification
    game_seen = Signal()  # the first frame from a game in this run (not in the demo)
    # commands for the window layer (the tray and menus ask; the app does)
    show_window_requested = Signal()
    overlay_toggle_requested = Signal()
    settings_requested = Signal()
    quit_requested = Signal()
    dashboard_toggle_requested = Signal()
    click_through_toggle_requested = Signal()

    def __init__(
        self,
        options: AppOptions,
        parent: QObject | None = None,
        *,
        ticks: TickStats = TICKS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.options = options
        self.ticks = ticks
        self._clock = clock
        self.bridge = CoreBridge(self)
        self.tasks = TaskRunner(self)
        self.unit_preference: UnitPreference = options.unit_preference
        self.settings: Any = options.settings
        runtime_settings = (
            options.settings
            if isinstance(options.settings, Settings)
            else Settings(display=DisplaySettings(units=options.unit_preference))
        )
        self.runtime = Runtime(
            RuntimeConfig(
                source_factory=options.source_factory,
                data_dir=options.data_dir,
                settings=runtime_settings,
                demo=options.demo,
                speed=options.speed,
                sample_interval_s=options.sample_interval_s,
                source_for=options.source_for,
            )
        )
        self._unsubscribe = self.runtime.subscribe(self.bridge.deliver)
        self.route = RouteState()
        self._sync = self.runtime.sync()
        self._store_open = False
        self._active: set[str] = set()
        self._reported: set[str] = set()  # views that ever said whether they are seen
        self._reading: Reading | None = None
        self._game = Game.UNKNOWN
        self._consumption = vm.ConsumptionMeter()
        self._progress = CaptureProgress(job=None, game_time_min=None)
        self._hos_status: object | None = None  # the capture's HosStatus last shown
        self._hos: Remaining | None = None
        self._game_seen = False
        self._capture_running = False
        self._capture_stopped = False  # stopped after running (not: not started yet)
        self._capture_problem = ""
        self._last_job = ""
        self._sync_status: object | None = None
        self._outbox_counts = (0, 0)
        self._dashboard: vm.DashboardModel | None = None
        self._job_model: vm.JobPanelModel | None = None
        self._status: vm.StatusModel | None = None
        self._status_key: object = ()  # the reading's part of the status, as last shown
        self._shut_down = False
        self._route_at = -ROUTE_INTERVAL_S
        self._job_at = -JOB_INTERVAL_S
        self._job_pending = False

        self._timer = QTimer(self)
        self._timer.setInterval(IDLE_INTERVAL_MS)
        self._timer.timeout.connect(ticks.wrap("controller.tick", self.tick))
        self._outbox_timer = QTimer(self)
        self._outbox_timer.setInterval(OUTBOX_IDLE_POLL_MS)
        self._outbox_timer.timeout.connect(ticks.wrap("controller.outbox", self.refresh_outbox))

        b = self.bridge
        b.events_committed.connect(self._on_events)
        b.progress_changed.connect(self._on_progress)
        b.capture_running_changed.connect(self._on_capture_running)
        b.problem_reported.connect(self._on_problem)
        b.store_opened.connect(self._on_store_opened)
        b.sync_status_changed.connect(self._on_sync_status)
        b.sync_changed.connect(self._on_sync_changed)
        b.settings_applied.connect(self._on_settings_applied)

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start capturing (the store opens on the capture thread) and the timers."""
        self.runtime.start()
        self._timer.start()
        self._outbox_timer.start()
        self._emit_status()
        self._emit_job()

    def shutdown(self, timeout_s: float = SHUTDOWN_TIMEOUT_S) -> bool:
        """Stop everything in order: timers and pool reads → the runtime's shutdown
        (stop capture → its last commit → bounded sync flush → close the database).
        Returns False when a thread did not end in time (it is a daemon: the
        process still exits, and SQLite's WAL keeps what was committed)."""
        if self._shut_down:
            return True
        self._shut_down = True
        self._timer.stop()
        self._outbox_timer.stop()
        # No read may start on an engine that is about to be disposed.
        self._store_open = False
        tasks_done = self.tasks.wait(TASKS_TIMEOUT_MS)
        joined = self.runtime.shutdown(timeout_s)
        # Even if a thread did not stop in time: nothing it says later may reach the
        # bridge, which is deleted with this controller.
        self._unsubscribe()
        return joined and tasks_done

    # --- what is visible ---------------------------------------------------------------

    def set_view_active(self, key: str, active: bool) -> None:
        """Views report whether they are visible; the timer runs fast only while a
        live view is, and computes only what a visible view shows."""
        was = key in self._active
        self._reported.add(key)
        if active:
            self._active.add(key)
        else:
            self._active.discard(key)
        if key == "window" and active and not was and self._job_pending:
            self._emit_job()  # what changed while the window was hidden
        fast = bool(self._active & LIVE_VIEWS)
        # (setInterval restarts a running timer: only when the interval changes.)
        _set_interval(self._timer, ACTIVE_INTERVAL_MS if fast else IDLE_INTERVAL_MS)
        seen = "dashboard" in self._active
        _set_interval(self._outbox_timer, OUTBOX_POLL_MS if seen else OUTBOX_IDLE_POLL_MS)
        if key == "dashboard" and active and not was:
            self.refresh_outbox()  # the status bar shows current counts at once
        if active and key in LIVE_VIEWS:
            self._dashboard = None  # a view that reappears gets a fresh model at once
            self.tick()

    def is_view_active(self, key: str) -> bool:
        return key in self._active

    # --- properties for views ----------------------------------------------------------

    @property
    def units(self) -> UnitSystem:
        return vm.units_for(self._game, self.unit_preference)

    @property
    def reading(self) -> Reading | None:
        return self._reading

    def capture_running(self) -> bool:
        return self._capture_running

    def latest_reading(self) -> Reading | None:
        """The newest reading (a mailbox read; the overlay polls it)."""
        return self.runtime.latest()

    def state_text(self) -> str:
        """One line for the tray tooltip: game, recording, sync."""
        s = self._status
        return "RoadMaster" if s is None else f"{s.game} · {s.recording} · {s.sync}"

    def dashboard_visible(self) -> bool:
        return "dashboard" in self._active

    def overlay_visible(self) -> bool:
        return "overlay" in self._active

    def click_through_enabled(self) -> bool:
        return bool(self.settings is not None and self.settings.overlay.click_through)

    @property
    def dashboard(self) -> vm.DashboardModel:
        return self._dashboard or vm.dashboard_model(self._reading, self.units)

    @property
    def job_model(self) -> vm.JobPanelModel | None:
        return self._job_model

    @property
    def status(self) -> vm.StatusModel | None:
        return self._status

    def set_unit_preference(self, preference: UnitPreference) -> None:
        self.unit_preference = preference
        self._dashboard = None
        self.tick()
        self._emit_job()

    # --- commands (menus, tray, shortcuts) ---------------------------------------------

    def show_main_window(self) -> None:
        self.show_window_requested.emit()

    def toggle_dashboard(self) -> None:
        self.dashboard_toggle_requested.emit()

    def toggle_click_through(self) -> None:
        self.click_through_toggle_requested.emit()

    def start_capture(self) -> None:
        self.runtime.start()

    def stop_capture(self) -> None:
        """Ask capture to stop; the capture thread commits and closes the store."""
        self.runtime.stop_capture()

    def open_data_folder(self) -> None:
        folder = self.options.data_dir
        if folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def measured_l_per_km(self) -> float | None:
        """The fuel this truck burns per km as measured (the range's basis)."""
        return self._consumption.l_per_km

    def _currency(self) -> Any:
        """The player's currency label choice ("game" before settings exist)."""
        return self.settings.display.currency if self.settings is not None else "game"

    def apply_settings(self, settings: Any, session_secrets: dict[str, str] | None = None) -> None:
        """New settings from the dialog: the runtime applies them now (source, sync,
        economy), the views follow (units, currency …); saved on a pool thread.
        ``session_secrets``: keys kept for this session where no keyring exists."""
        self.settings = settings
        self.runtime.apply_settings(settings, session_secrets)
        self.set_unit_preference(settings.display.units)
        from roadmaster.settings import save_settings

        self.tasks.run(
            lambda: save_settings(settings),
            lambda _path: None,
            lambda message: self.notification_posted.emit(
                "Settings", f"could not be saved ({message})"
            ),
        )

    def toggle_overlay(self) -> None:
        self.overlay_toggle_requested.emit()

    def open_settings(self) -> None:
        self.settings_requested.emit()

    def quit(self) -> None:
        self.quit_requested.emit()

    def sync_now(self) -> None:
        """Ask the sync worker to send now (it does the HTTP on its own thread)."""
        if not self.runtime.sync_now():
            self.notification_posted.emit(
                "Sync", "Cloud sync is not set up: jobs are kept in the local log."
            )

    def retry_dead(self) -> None:
        """Queue the parked (refused) rows again and send them (on a pool thread: it
        writes to the log)."""
        self.tasks.run(
            self.runtime.retry_dead,
            lambda count: self.notification_posted.emit(
                "Sync", f"{count} parked rows queued again" if count else "Nothing is parked."
            ),
        )
        self.refresh_outbox()

    # --- the tick ----------------------------------------------------------------------

    def tick(self) -> None:
        """Pull the latest reading (a mailbox read, no waiting) and update the models
        of the visible views."""
        sync = self.runtime.sync()
        if sync.status is not None and sync.status is not self._sync_status:
            self._on_sync_status(sync.status)  # the worker's status is a mailbox too
        if (
            self._job_pending
            and self._clock() - self._job_at >= JOB_INTERVAL_S
            and ("window" in self._active or "window" not in self._reported)
        ):
            self._emit_job()
        reading = self.runtime.latest()
        if reading is self._reading and self._dashboard is not None:
            return
        self._reading = reading
        frame = reading.frame if reading is not None else None
        if frame is not None:
            if not self._game_seen and not self.options.demo:
                self._game_seen = True
                self.game_seen.emit()
            if frame.header.game is not Game.UNKNOWN and frame.header.game is not self._game:
                self._game = frame.header.game
                self._emit_job()
            self._consumption.observe(frame.truck.odometer_km, frame.truck.fuel_l)
        # (The overlay computes its own view from the reading: not for it.)
        if "dashboard" in self._active or self._dashboard is None:
            model = vm.dashboard_model(
                reading,
                self.units,
                self._consumption.l_per_km,
                capture_running=not self._capture_stopped,
            )
            if model != self._dashboard:
                self._dashboard = model
                self.dashboard_changed.emit(model)
        if "route" in self._active and frame is not None:
            now = self._clock()
            if now - self._route_at >= ROUTE_INTERVAL_S:
                self._route_at = now
                self.position_changed.emit(reading)
        # The status bar shows the reading's state, not its figures: recomputed only
        # when that changed (every other input of it emits on its own change).
        status_key = (
            None if reading is None else (reading.state, reading.revision, reading.message),
            None if frame is None else frame.header.game,
        )
        if status_key != self._status_key:
            self._status_key = status_key
            self._emit_status()
        hos = self.runtime.hos()
        if hos is not self._hos_status:
            # The core's clock (capture.hos) is a new immutable value whenever an
            # input changed: only then is "break due in …" worth recomputing.
            self._hos_status = hos
            self._hos = None if hos is None else hos.remaining
            self._emit_job(live=True)
        elif frame is not None and frame.header.game_time_min != self._progress.game_time_min:
            self._emit_job(live=True)

    # --- models ------------------------------------------------------------------------

    def _emit_status(self) -> None:
        pending, dead = self._outbox_counts
        if not self._sync.configured:
            settings = self.runtime.settings
            wanted = self.options.demo or (
                settings.cloud.sync_enabled and bool(settings.cloud.server_url)
            )
            if wanted and not self._store_open and self.options.data_dir is not None:
                detail = "Cloud sync starts once the data file is open."
            else:
                detail = self._sync.detail
            sync = vm.SyncInfo(enabled=False, pending=pending, dead=dead, detail=detail)
        else:
            sync = vm.sync_info_from(self._sync_status, pending, dead)
        model = vm.status_model(
            self._reading,
            capture_running=self._capture_running,
            capture_problem=self._capture_problem,
            job=self._progress.job,
            sync=sync,
        )
        if model != self._status:
            self._status = model
            self.status_changed.emit(model)

    def _emit_job(self, *, live: bool = False) -> None:
        """Recompute the job card.  ``live``: only its running figures moved (game
        time, progress): coalesced to one update per :data:`JOB_INTERVAL_S`."""
        now = self._clock()
        if live and now - self._job_at < JOB_INTERVAL_S:
            self._job_pending = True  # the tick shows it when the interval is over
            return
        if "window" in self._reported and "window" not in self._active:
            # The job card is in the main window: nothing to compute while it is
            # hidden or minimised (overlay and tray only); shown again, it catches up.
            self._job_pending = True
            return
        self._job_at, self._job_pending = now, False
        reading = self._reading
        minute = None
        if reading is not None and reading.frame is not None:
            minute = reading.frame.header.game_time_min
        minute = minute if minute is not None else self._progress.game_time_min
        model = vm.job_panel_model(
            self._progress.job,
            minute,
            self.units,
            self._hos,
            self._last_job,
            economy=self.settings.economy.economy() if self.settings is not None else None,
            currency=self._currency(),
        )
        if model != self._job_model:
            self._job_model = model
            self.job_changed.emit(model)

    # --- from the bridge ---------------------------------------------------------------

    def _on_events(self, events: tuple[Event, ...]) -> None:
        route = self.route
        changed = False
        notable: list[Notification] = []
        for event in events:
            if isinstance(event, Sample):
                route.session.add(event.x_m, event.z_m)
                if event.job_key is not None:
                    route.job.add(event.x_m, event.z_m)
                changed = True
                continue
            if isinstance(event, JobStarted):
                self._job_started(event)
                changed = True
            elif isinstance(event, JobDelivered | JobCancelled | JobAbandoned):
                self._job_ended(event)
                changed = True
            note = self._notify(event)
            if note is not None:
                notable.append(note)
        for note in limit_batch(notable):
            self.notified.emit(note)
        if changed:
            route.revision += 1

    def _job_started(self, event: JobStarted) -> None:
        route = self.route
        route.job.clear()
        info = event.info
        here = self._position()
        if here is not None and not event.resumed:
            route.city_xy.setdefault(info.source_city_id, here)
        route.source_xy = route.city_xy.get(info.source_city_id)
        route.destination_xy = route.city_xy.get(info.destination_city_id)

    def _job_ended(self, event: JobDelivered | JobCancelled | JobAbandoned) -> None:
        route = self.route
        if isinstance(event, JobDelivered):
            here = self._position()
            if here is not None:
                route.city_xy[event.info.destination_city_id] = here
                route.destination_xy = here
        if isinstance(event, JobDelivered | JobCancelled):
            self._last_job = vm.finished_job_text(event, self.units, self._currency())
        else:
            self._last_job = f"Closed unfinished: {event.info.cargo} ({event.reason})"

    def _position(self) -> tuple[float, float] | None:
        reading = self.runtime.latest()
        if reading is None or reading.frame is None:
            return None
        t = reading.frame.truck
        return (t.x_m, -t.z_m)

    def _post(self, note: Notification, *, notable: bool) -> None:
        self.notification_posted.emit(note.title, note.message)
        if notable:
            self.notified.emit(note)

    def _notify(self, event: Event) -> Notification | None:
        """Log ``event`` in the job panel; return its notification when it is one
        the player should see wherever they are (tray balloon or status bar).  The
        texts of those come from the tray's logic, so both places say the same."""
        settings = self.settings if isinstance(self.settings, Settings) else None
        note = notification_for(event, settings, self._game)
        if note is not None:
            self.notification_posted.emit(note.title, note.message)
            return note
        text = event_line(event, settings, self._game)
        if text is not None:
            self.notification_posted.emit(*text)
        return None

    def _on_progress(self, progress: CaptureProgress) -> None:
        if progress.game_time_min is None:
            progress = replace(progress, game_time_min=self._progress.game_time_min)
        changed_job = (progress.job is None) != (self._progress.job is None) or (
            progress.job is not None
            and self._progress.job is not None
            and progress.job.job_key != self._progress.job.job_key
        )
        self._progress = progress
        self._emit_job(live=not changed_job)
        self._emit_status()

    def _on_capture_running(self, running: bool, reason: str) -> None:
        self._capture_running = running
        self._capture_stopped = not running  # the gauges say so, not freeze
        self._dashboard = None  # recomputed at the next tick
        if running:
            self._capture_problem = ""
        elif reason:
            self._capture_problem = reason
        self._emit_status()

    def _on_problem(self, message: str) -> None:
        self._capture_problem = message
        self.notification_posted.emit("Problem", message)
        self._emit_status()

    def _on_sync_status(self, status: object) -> None:
        previous, self._sync_status = self._sync_status, status
        if _sync_state(status) == "unauthorized" and _sync_state(previous) != "unauthorized":
            # Once per change, not per retry: the status bar keeps saying it meanwhile.
            reason = str(getattr(status, "last_error", "") or "")
            self._post(sync_blocked_notification(reason), notable=True)
        self._emit_status()

    def _on_sync_changed(self, sync: SyncSnapshot) -> None:
        """Sync started, stopped or was re-wired (a settings change): say so now."""
        self._sync = sync
        if not sync.configured:
            self._sync_status = None
        self.refresh_outbox()
        self._emit_status()

    def _on_settings_applied(self, applied: SettingsApplied) -> None:
        self._emit_status()

    def _on_store_opened(self, _opened: object) -> None:
        self._store_open = True
        self.refresh_outbox()
        self.tasks.run(self.runtime.last_finished_job, self._on_last_job_row)

    def _on_last_job_row(self, row: object) -> None:
        if row is not None and not self._last_job:
            self._last_job = vm.job_row_text(row, self.units, self._currency())  # type: ignore[arg-type]
            self._emit_job()

    def refresh_outbox(self) -> None:
        """Count what waits for the cloud, on a pool thread."""
        if not self._store_open:
            return
        self.tasks.run(self.runtime.outbox_counts, self._on_outbox_counts)

    def _on_outbox_counts(self, counts: tuple[int, int]) -> None:
        self._outbox_counts = counts
        self._emit_status()


def _set_interval(timer: QTimer, interval_ms: int) -> None:
    if timer.interval() != interval_ms:
        timer.setInterval(interval_ms)


def _sync_state(status: object | None) -> str:
    return str(getattr(status, "state", "") or "")
