"""The application: builds the controller and the windows, wires part B's overlay,
tray, settings dialog and first-run banner, the theme and font scale, runs the
event loop, shuts down.

Notifications: with a tray they are balloons; without one (some Linux desktops,
bare X) they show in the status bar, and always in the job panel's recent events.
Closing the main window hides it to the tray only when a tray icon is showing;
otherwise it quits — never an invisible app.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QProcess, QSettings, QTimer
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QApplication

from roadmaster import fatal, paths
from roadmaster.runtime.keys import CLOUD_API_KEY, cloud_key_stored
from roadmaster.ui import theme
from roadmaster.ui.controller import AppController, AppOptions
from roadmaster.ui.crash import CrashNotice, CrashReporter
from roadmaster.ui.main_window import MainWindow
from roadmaster.ui.single_instance import SingleInstance, instance_key
from roadmaster.ui.stop_signals import StopSignals
from roadmaster.ui.ticks import TICKS

log = logging.getLogger(__name__)

GAME_SEEN_KEY = "hints/game_seen"
# Capture and the map wait for the first paint; this bounds the wait when no paint
# comes (started minimised, a window manager that never exposes the window).
FIRST_PAINT_FALLBACK_MS = 1500

Launcher = Callable[[str, Sequence[str]], bool]


def demo_command() -> tuple[str, list[str]]:
    """How to start ``roadmaster --demo`` as a new process, from a source checkout
    or from a frozen (PyInstaller) build."""
    if getattr(sys, "frozen", False):
        return sys.executable, ["--demo"]
    return sys.executable, ["-m", "roadmaster.gui", "--demo"]


def launch_detached(program: str, args: Sequence[str]) -> bool:
    result = QProcess.startDetached(program, list(args))
    # PySide6 returns (ok, pid) for this overload; older bindings a bare bool.
    return bool(result[0] if isinstance(result, tuple) else result)


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
    ticks_file: Path | None = None  # bench_soak: tick timings, rewritten every few seconds


class RoadMasterApp:
    """One running app: controller, main window and the optional part-B pieces."""

    def __init__(
        self,
        options: AppOptions,
        qsettings: QSettings | None = None,
        *,
        launcher: Launcher = launch_detached,
        check_installs: bool = True,
    ) -> None:
        self.options = options
        self.qsettings = qsettings if qsettings is not None else window_settings()
        self.controller = AppController(options)
        self.window = MainWindow(self.controller, qsettings=self.qsettings)
        self.window.restore_layout(self.qsettings)
        self.overlay: Any = None
        self.crash_notice: CrashNotice | None = None  # the last run ended in a fatal error
        self.tray: Any = None
        self.in_tray = False  # closing the window hides it (a tray icon shows)
        self._told_tray = False
        self._started = False
        self._launcher = launcher
        self._attach_overlay()
        self._attach_tray()
        c = self.controller
        c.show_window_requested.connect(self.window.bring_to_front)
        c.dashboard_toggle_requested.connect(self.toggle_dashboard)
        c.settings_requested.connect(self.open_settings)
        # Keys typed where no secure keyring exists live here, for this session only.
        self.session_secrets: dict[str, str] = {}
        self.window.roadie.host.session_secrets = lambda: self.session_secrets
        self.window.roadie.settings_requested.connect(lambda: self.open_settings("Dispatcher"))
        c.overlay_toggle_requested.connect(self.toggle_overlay)
        c.click_through_toggle_requested.connect(self._toggle_click_through)
        c.notified.connect(self.show_notification)
        c.bridge.settings_applied.connect(self._settings_applied)
        self.window.closing.connect(self._window_closing)
        self.theme_mode = theme.saved_mode(self.qsettings)
        self.window.show_theme_mode(self.theme_mode)
        self.window.theme_requested.connect(self.set_theme)
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._system_scheme_changed)
        # first run: what to say is known only after two background checks
        self._hint_state: dict[str, Any] = {
            "has_cloud_key": True,  # until the keyring says otherwise: no false alarm
            "game_seen": options.demo or bool(self.qsettings.value(GAME_SEEN_KEY, False, bool)),
            "installs": None,
            "detail": "",
        }
        self._check_installs = check_installs
        self.window.hints.settings_requested.connect(self.controller.open_settings)
        self.window.hints.demo_requested.connect(self.try_demo)
        c.game_seen.connect(self._game_seen)
        self._update_hints()

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
        app = cast(QApplication, QApplication.instance())
        if not tray_available():
            # No tray on this desktop: the main window stays the way in (closing it
            # quits), and notifications go to the status bar and the job panel.
            self.in_tray = apply_close_policy(app, None)
            return
        self.tray = TrayIcon(self.controller)
        self.tray.show()
        self.in_tray = apply_close_policy(app, self.tray)

    # --- notifications, first run, theme -----------------------------------------------

    def show_notification(self, note: Any) -> None:
        """A tray balloon where a tray icon shows, else the status bar (the job
        panel has logged it already)."""
        if self.tray is not None and self.tray.isVisible():
            self.tray.show_notification(note)
        else:
            self.window.status_line.show_notice(note.title, note.message, warning=note.warning)

    def check_first_run(self) -> None:
        """Ask the keyring and the Steam libraries, on pool threads (the keyring may
        wait on D-Bus, the Steam scan on a slow disk); the banner updates when they
        answer."""
        if self.options.demo:
            return  # the demo has its own key and its own "game"
        tasks = self.controller.tasks

        session_key = bool(self.session_secrets.get(CLOUD_API_KEY))

        def has_key() -> bool:
            return session_key or cloud_key_stored()

        tasks.run(
            has_key,
            lambda found: self._set_hint(has_cloud_key=bool(found)),
            lambda _message: self._set_hint(has_cloud_key=False),
        )
        if self._check_installs and not self._hint_state["game_seen"]:
            tasks.run(_scan_installs, self._installs_found)

    def _installs_found(self, result: tuple[Any, str]) -> None:
        installs, detail = result
        self._set_hint(installs=installs, detail=detail)

    def _set_hint(self, **changes: Any) -> None:
        self._hint_state.update(changes)
        self._update_hints()

    def _update_hints(self) -> None:
        s = self._hint_state
        self.window.hints.update_state(
            has_cloud_key=s["has_cloud_key"],
            game_seen=s["game_seen"],
            installs=s["installs"],
            detail=s["detail"],
        )

    def _game_seen(self) -> None:
        self.qsettings.setValue(GAME_SEEN_KEY, True)
        self._set_hint(game_seen=True)

    def try_demo(self) -> None:
        """Start ``roadmaster --demo`` as a new process and quit this one: the demo
        keeps its own data folder, so the player's log never holds simulated jobs,
        and a fresh process is the honest way to say "this is not your game"."""
        program, args = demo_command()
        if self._launcher(program, args):
            log.info("started the demo (%s %s); quitting", program, " ".join(args))
            self.controller.quit()
        else:
            self.window.status_line.show_notice(
                "Demo", "could not start the demo: run `roadmaster --demo`", warning=True
            )

    def set_theme(self, mode: str) -> None:
        """View → Theme: apply and remember."""
        self.theme_mode = mode if mode in theme.THEME_MODES else "system"
        self.qsettings.setValue(theme.THEME_KEY, self.theme_mode)
        self._apply_theme()
        self.window.show_theme_mode(self.theme_mode)

    def _system_scheme_changed(self, *_: object) -> None:
        if self.theme_mode == "system":
            self._apply_theme()

    def _apply_theme(self, scale: float | None = None) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app, self.theme_mode, scale)
            self.window.theme_applied()

    def fit_to_screen(self, screen: QScreen | None = None) -> None:
        """Font size for the screen the window is on (called again when it moves)."""
        scale = theme.font_scale_for(screen or self.window.screen())
        if scale != theme.font_scale():
            self._apply_theme(scale)

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

    def open_settings(self, tab: str | None = None) -> None:
        settings = self.controller.settings
        try:
            from roadmaster.ui.settings_dialog import SettingsDialog
        except ImportError:
            self.controller.notification_posted.emit("Settings", "not available in this build")
            return
        if settings is None:
            return
        dialog = SettingsDialog(settings, self.window, session_secrets=self.session_secrets)
        if tab is not None:
            names = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
            if tab in names:
                dialog.tabs.setCurrentIndex(names.index(tab))
        if dialog.exec():
            kept = getattr(dialog, "session_secrets", None)
            if callable(kept):  # keys with no secure keyring to go to: this session only
                self.session_secrets = kept()
            getter = getattr(dialog, "result_settings", None)
            updated = getter() if callable(getter) else None
            if updated is not None:
                # the runtime re-wires sync with the session's key too
                self.controller.apply_settings(updated, dict(self.session_secrets))
        self.check_first_run()  # a key may have been added (or removed)
        self.window.roadie.check_key()

    def _settings_applied(self, applied: Any) -> None:
        """The runtime took new settings: the overlay shows them now, too."""
        if "overlay" in applied.changed and self.overlay is not None:
            self.overlay.set_click_through(applied.settings.overlay.click_through)
            self.overlay.update()

    def _save_settings(self) -> None:
        if self.controller.settings is not None:
            self.controller.apply_settings(self.controller.settings)

    def _window_closing(self) -> None:
        if self.in_tray and self.tray is not None and self.tray.isVisible():
            # Lives on in the tray (apply_close_policy decided); say so once, or the
            # player thinks it quit and stops recording is what they will fear.
            if not self._told_tray:
                self._told_tray = True
                from roadmaster.ui.view_models.notifications import Notification

                self.tray.show_notification(
                    Notification(
                        "RoadMaster is still running",
                        "It keeps recording in the tray. Right-click the icon to quit.",
                    )
                )
            return
        self.controller.quit()  # no tray: closing the window ends the app

    # --- lifecycle ---------------------------------------------------------------------

    def start(self, *, show: bool = True) -> None:
        """Show the window first; start capture and build the map once it has been
        painted.  The capture thread's start-up (SQLAlchemy, migrations, the demo
        server's FastAPI/uvicorn/httpx) and pyqtgraph's imports would otherwise
        compete for the GIL with the first paint."""
        if show:
            self.fit_to_screen(QGuiApplication.primaryScreen())
            self.window.first_painted.connect(self._after_first_paint)
            self.window.show()
            QTimer.singleShot(FIRST_PAINT_FALLBACK_MS, self._after_first_paint)
            handle = self.window.windowHandle()
            if handle is not None:
                handle.screenChanged.connect(self.fit_to_screen)
        else:
            self.controller.start()
            self.check_first_run()

    def start_shown(self, *, minimised: bool = False) -> None:
        """Start with the window shown, or minimised (``--minimised``, the autostart
        entry): into the tray where a tray icon shows (its icon brings the window
        back), else minimised to the task bar, never out of reach."""
        self.start(show=True)
        if not minimised:
            return
        if self.in_tray and self.tray is not None and self.tray.isVisible():
            self.window.hide()
        else:
            self.window.showMinimized()

    def show_previous_crash(self, report: fatal.FatalReport) -> None:
        """The last run ended in a fatal error: say so above the dashboard."""
        self.crash_notice = CrashNotice(report.text, report.path)
        self.window.add_notice(self.crash_notice)

    def _after_first_paint(self) -> None:
        if self._started:
            return
        self._started = True
        self.controller.start()
        self.fit_to_screen()  # the screen the window really landed on
        self.check_first_run()
        self.window.roadie.check_key()
        # Last: building the map blocks this thread for the pyqtgraph imports.
        QTimer.singleShot(0, self.window.load_route_view)

    def shutdown(self) -> bool:
        self.window.save_layout(self.qsettings)
        if self.overlay is not None:
            self.overlay.hide()
        if self.tray is not None:
            self.tray.hide()
        self.window.roadie.shutdown()  # a stream in flight stops before the store closes
        ok = self.controller.shutdown()
        self.qsettings.sync()
        return ok


def _scan_installs() -> tuple[Any, str]:
    """The Steam check (a pool task): installs found, and what to tell the user."""
    from roadmaster import steam

    roots = steam.steam_roots()
    installs = steam.find_games(roots)
    return installs, steam.describe_installs(installs, roots_found=bool(roots))


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


HEAVY_MODULES = ("httpx", "anthropic", "sqlalchemy", "fastapi", "uvicorn", "pyqtgraph")


def _install_bench(app: QApplication, rm: RoadMasterApp, bench: BenchOptions) -> None:
    """Benchmark mode (bench/bench_gui.py): measure after a warm-up, then quit and
    write the figures as JSON.  Not a user feature."""
    import json

    marks: dict[str, Any] = {}

    def first_paint() -> None:
        marks["painted_monotonic"] = time.monotonic()
        marks["process_age_s"] = _process_age_s()
        # What must not be loaded before the first paint (DESIGN: lazy imports).
        marks["loaded_before_paint"] = sorted(name for name in HEAVY_MODULES if name in sys.modules)

    # The dashboard's first paint has finished (not just "show() was called").
    rm.window.first_painted.connect(first_paint)

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
            "loaded_before_paint": marks.get("loaded_before_paint"),
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
            "sync": rm.controller.runtime.sync().configured,
        }
        text = json.dumps(report)
        if bench.report is not None:
            bench.report.write_text(text)
        else:
            print(text)
        app.quit()

    QTimer.singleShot(int(bench.warmup_s * 1000), begin)
    QTimer.singleShot(int((bench.warmup_s + bench.seconds) * 1000), finish)


def start_fatal_trace(log_dir: Path) -> fatal.FatalReport | None:
    """A crash in C code or an abort ends the process before any Python handler (the
    crash dialog) runs: faulthandler leaves its trace in the log folder from now on.
    Returns what the last run left, to be shown (:meth:`RoadMasterApp.show_previous_crash`)."""
    previous = fatal.previous_crash(log_dir, "window")
    if previous is not None:
        log.warning("RoadMaster closed unexpectedly last time; the report is in %s", previous.path)
    # Started from the desktop, stderr goes nowhere: send it to the same file, or
    # CPython's own fatal errors (written to stderr) would leave no trace.
    fatal.enable(log_dir, "window", stderr_too=not _is_terminal(2))
    return previous


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


TICKS_REPORT_MS = 5000


def _install_tick_report(app: QApplication, path: Path) -> None:
    """bench/bench_soak.py reads the GUI tick timings from outside: the slowest tick
    and the count over budget so far, rewritten atomically every few seconds (the
    last one written survives a crash)."""
    import json

    def write() -> None:
        report = {
            "tick_max_ms": TICKS.worst_s * 1000,
            "tick_max_by_name_ms": {k: v * 1000 for k, v in TICKS.max_s.items()},
            "ticks": dict(TICKS.count),
            "over_budget": TICKS.over_budget,
        }
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(report), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            log.warning("could not write the tick report %s: %s", path, exc.strerror)

    timer = QTimer(app)
    timer.timeout.connect(write)
    timer.start(TICKS_REPORT_MS)


def run(argv: list[str], options: AppOptions, bench: BenchOptions | None = None) -> int:
    """Create the QApplication and run the app until it quits; the exit code."""
    app = cast(QApplication, QApplication.instance() or QApplication(argv[:1] or ["roadmaster"]))
    app.setApplicationName("RoadMaster")
    app.setOrganizationName("RoadMaster")
    qsettings = window_settings()
    theme.apply(app, theme.saved_mode(qsettings), theme.font_scale_for(app.primaryScreen()))
    instance = SingleInstance(instance_key(options.data_dir))
    if instance.activate_existing():
        log.info("RoadMaster is already running: raised its window")
        return 0
    instance.listen()
    log_dir = paths.log_dir()
    crash = CrashReporter(log_dir / "roadmaster.log")
    crash.install()
    previous = start_fatal_trace(log_dir)
    rm = RoadMasterApp(options, qsettings)
    if previous is not None:
        rm.show_previous_crash(previous)
    instance.activation_requested.connect(rm.window.bring_to_front)
    rm.controller.quit_requested.connect(app.quit)
    stops = StopSignals(rm.controller.quit, app)
    stops.install()
    if bench is not None and bench.seconds > 0:
        _install_bench(app, rm, bench)
    if bench is not None and bench.ticks_file is not None:
        _install_tick_report(app, bench.ticks_file)
    start_minimised = options.start_minimised or bool(
        options.settings is not None and options.settings.startup.start_minimised
    )
    rm.start_shown(minimised=start_minimised)
    try:
        return app.exec()
    finally:
        if rm.shutdown():
            log.info("stopped: the log is closed")
        else:
            log.warning("some background work did not stop in time")
        stops.uninstall()  # after the shutdown: a second Ctrl-C must not interrupt it
        instance.close()
        fatal.disable()
