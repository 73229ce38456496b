"""The application: builds the controller and the windows, wires part B's overlay,
tray and settings dialog when they are there, runs the event loop, shuts down."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from roadmaster import paths
from roadmaster.ui import theme
from roadmaster.ui.controller import AppController, AppOptions
from roadmaster.ui.crash import CrashReporter
from roadmaster.ui.main_window import MainWindow
from roadmaster.ui.single_instance import SingleInstance, instance_key
from roadmaster.ui.ticks import TICKS

log = logging.getLogger(__name__)


def window_settings() -> QSettings:
    """Window geometry and docks: an INI file in the config folder (ROADMASTER_HOME
    honoured, so tests and the demo never touch the user's real layout)."""
    path = paths.config_dir() / "window.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


@dataclass
class BenchOptions:
    seconds: float = 0.0
    report: Path | None = None
    hide_dashboard: bool = False
    warmup_s: float = 5.0


class RoadMasterApp:
    """One running app: controller, main window and the optional part-B pieces."""

    def __init__(self, options: AppOptions, qsettings: QSettings | None = None) -> None:
        self.options = options
        self.qsettings = qsettings if qsettings is not None else window_settings()
        self.controller = AppController(options)
        self.window = MainWindow(self.controller)
        self.window.restore_layout(self.qsettings)
        self.overlay: Any = None
        self.tray: Any = None
        self._attach_overlay()
        self._attach_tray()
        c = self.controller
        c.show_window_requested.connect(self.window.bring_to_front)
        c.dashboard_toggle_requested.connect(self.toggle_dashboard)
        c.settings_requested.connect(self.open_settings)
        c.overlay_toggle_requested.connect(self.toggle_overlay)
        c.click_through_toggle_requested.connect(self._toggle_click_through)
        self.window.closing.connect(self._window_closing)

    # --- part B, when present ----------------------------------------------------------

    def _attach_overlay(self) -> None:
        try:
            from roadmaster.ui.overlay import Overlay
        except ImportError:
            self.window.overlay_action.setEnabled(False)
            return
        if self.controller.settings is None:
            self.window.overlay_action.setEnabled(False)
            return
        self.overlay = Overlay(self.controller, self.qsettings)
        self.overlay.options_changed.connect(lambda _o: self._save_settings())
        if self.controller.settings.overlay.enabled:
            self.overlay.set_wanted(True)
        self.window.overlay_action.setChecked(self.overlay.is_wanted())

    def _attach_tray(self) -> None:
        try:
            from roadmaster.ui.tray import TrayIcon, apply_close_policy, tray_available
        except ImportError:
            return
        app = QApplication.instance()
        if not tray_available():
            # No tray on this desktop: the main window stays the way in, and
            # notifications go to the job panel only.
            return
        self.tray = TrayIcon(self.controller)
        self.tray.show()
        self.controller.bridge.events_committed.connect(self.tray.notify_events)
        apply_close_policy(app, self.tray)

    # --- commands ----------------------------------------------------------------------

    def toggle_overlay(self) -> None:
        if self.overlay is None:
            return
        self.overlay.toggle()
        self.controller.set_view_active("overlay", self.overlay.isVisible())
        self.window.overlay_action.setChecked(self.overlay.is_wanted())

    def _toggle_click_through(self) -> None:
        if self.overlay is not None:
            self.overlay.toggle_click_through()

    def toggle_dashboard(self) -> None:
        if self.window.dashboard_visible():
            self.window.hide()
        else:
            self.window.bring_to_front()

    def open_settings(self) -> None:
        settings = self.controller.settings
        try:
            from roadmaster.ui.settings_dialog import SettingsDialog
        except ImportError:
            self.controller.notification_posted.emit("Settings", "not available in this build")
            return
        if settings is None:
            return
        dialog = SettingsDialog(settings, self.window)
        if dialog.exec():
            getter = getattr(dialog, "result_settings", None)
            updated = getter() if callable(getter) else None
            if updated is not None:
                self.controller.apply_settings(updated)

    def _save_settings(self) -> None:
        if self.controller.settings is not None:
            self.controller.apply_settings(self.controller.settings)

    def _window_closing(self) -> None:
        if self.tray is not None and self.tray.isVisible():
            return  # lives on in the tray (apply_close_policy decided)
        QApplication.instance().quit()

    # --- lifecycle ---------------------------------------------------------------------

    def start(self, *, show: bool = True) -> None:
        """Show the window first, then start capture on the next event-loop turn: the
        capture thread's start-up (migrations, the demo server's imports) would
        otherwise compete for the GIL with the first paint."""
        if show:
            self.window.show()
            QTimer.singleShot(0, self.controller.start)
        else:
            self.controller.start()

    def shutdown(self) -> bool:
        self.window.save_layout(self.qsettings)
        if self.overlay is not None:
            self.overlay.hide()
        if self.tray is not None:
            self.tray.hide()
        ok = self.controller.shutdown()
        self.qsettings.sync()
        return ok


def _rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _process_age_s() -> float | None:
    """Seconds since this process was started (Linux /proc), for the cold-start figure
    without the display server's own start-up."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _install_bench(app: QApplication, rm: RoadMasterApp, bench: BenchOptions) -> None:
    """Benchmark mode (bench/bench_gui.py): measure after a warm-up, then quit and
    write the figures as JSON.  Not a user feature."""
    import json

    marks: dict[str, float] = {}

    def first_paint() -> None:
        marks["painted_monotonic"] = time.monotonic()
        marks["process_age_s"] = _process_age_s()

    QTimer.singleShot(0, first_paint)  # runs after the first show/paint cycle

    def begin() -> None:
        if bench.hide_dashboard:
            rm.window.showMinimized()
            if rm.overlay is not None and not rm.overlay.is_wanted():
                rm.toggle_overlay()
        TICKS.reset()
        marks["paints0"] = rm.window.dashboard.paint_count()
        marks["cpu0"] = time.process_time()
        marks["wall0"] = time.monotonic()

    def finish() -> None:
        cpu = time.process_time() - marks["cpu0"]
        wall = time.monotonic() - marks["wall0"]
        report = {
            "painted_monotonic": marks.get("painted_monotonic"),
            "start_to_paint_s": marks.get("process_age_s"),
            "cpu_percent": 100.0 * cpu / wall if wall > 0 else 0.0,
            "wall_s": wall,
            "tick_max_ms": TICKS.worst_s * 1000,
            "tick_max_by_name_ms": {k: v * 1000 for k, v in TICKS.max_s.items()},
            "ticks": dict(TICKS.count),
            "over_budget": TICKS.over_budget,
            "rss_mb": _rss_mb(),
            "dashboard_paints": rm.window.dashboard.paint_count() - marks["paints0"],
            "overlay": rm.overlay is not None,
            "sync": rm.controller.sync_worker is not None,
        }
        text = json.dumps(report)
        if bench.report is not None:
            bench.report.write_text(text)
        else:
            print(text)
        app.quit()

    QTimer.singleShot(int(bench.warmup_s * 1000), begin)
    QTimer.singleShot(int((bench.warmup_s + bench.seconds) * 1000), finish)


def run(argv: list[str], options: AppOptions, bench: BenchOptions | None = None) -> int:
    """Create the QApplication and run the app until it quits; the exit code."""
    app = QApplication.instance() or QApplication(argv[:1] or ["roadmaster"])
    app.setApplicationName("RoadMaster")
    app.setOrganizationName("RoadMaster")
    theme.apply(app)
    instance = SingleInstance(instance_key(options.data_dir))
    if instance.activate_existing():
        log.info("RoadMaster is already running: raised its window")
        return 0
    instance.listen()
    crash = CrashReporter(paths.log_dir() / "roadmaster.log")
    crash.install()
    rm = RoadMasterApp(options)
    instance.activation_requested.connect(rm.window.bring_to_front)
    rm.controller.quit_requested.connect(app.quit)
    if bench is not None and bench.seconds > 0:
        _install_bench(app, rm, bench)
    start_minimised = bool(
        options.settings is not None and options.settings.startup.start_minimised
    )
    rm.start(show=True)
    if start_minimised:
        rm.window.showMinimized()
    try:
        return app.exec()
    finally:
        if not rm.shutdown():
            log.warning("some background work did not stop in time")
        instance.close()
