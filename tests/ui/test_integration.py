"""The two halves of the UI wired together (issue #5): the first-run banner, where
notifications go with and without a tray, closing the window, the driving-time
clock, the theme, the font scale and what loads before the first paint."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QPushButton

from roadmaster.jobs.economics import EconomySettings, settle
from roadmaster.jobs.events import AchievementUnlocked, Fined, JobDelivered, JobStarted
from roadmaster.steam import PLUGIN_DLL, PLUGIN_SO, on_linux
from roadmaster.ui import theme
from roadmaster.ui import view_models as vm
from roadmaster.ui.app import GAME_SEEN_KEY, RoadMasterApp, demo_command
from roadmaster.ui.controller import AppOptions
from roadmaster.ui.view_models.notifications import Notification
from tests.ui.frames import EndlessSource, ListSource, driving_map
from tests.ui.test_controller import _simulated_job_events

TIMEOUT_MS = 15_000
REPO = Path(__file__).resolve().parents[2]


def _qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_app(qtbot, tmp_path, monkeypatch):
    """A RoadMasterApp on the real controller; the demo launcher is recorded, not run."""
    monkeypatch.delenv("ROADMASTER_API_KEY", raising=False)
    made: list[RoadMasterApp] = []

    def make(maps=None, *, qsettings=None, source=None, **kw) -> RoadMasterApp:
        launched: list[tuple[str, list[str]]] = []
        factory = source or (lambda: ListSource(maps or [driving_map()]))
        app = RoadMasterApp(
            AppOptions(source_factory=factory, data_dir=tmp_path / "data", speed=None, **kw),
            qsettings if qsettings is not None else _qsettings(tmp_path),
            launcher=lambda program, args: launched.append((program, list(args))) or True,
        )
        app.launched = launched  # type: ignore[attr-defined]
        qtbot.addWidget(app.window)
        made.append(app)
        return app

    yield make
    for app in made:
        app.shutdown()
    qapp = QApplication.instance()
    theme.apply(qapp, "dark", 1.0)  # other tests expect the default look


def _button(widget, text: str) -> QPushButton:
    for button in widget.findChildren(QPushButton):
        if button.text() == text:
            return button
    raise AssertionError(f"no button {text!r}")


# --- 1. first run --------------------------------------------------------------------------


def test_first_run_banner_says_how_to_connect_and_install_and_offers_the_demo(make_app, qtbot):
    app = make_app()
    hints = app.window.hints
    # the cloud hint waits for the keyring's answer (no false alarm at start)
    assert {h.id for h in hints.hints()} == {"game"}
    app.check_first_run()  # the keyring and the Steam scan, on pool threads
    qtbot.waitUntil(lambda: {h.id for h in hints.hints()} == {"game", "cloud"}, timeout=TIMEOUT_MS)
    assert hints.isVisibleTo(app.window)
    game = next(h for h in hints.hints() if h.id == "game")
    assert (PLUGIN_SO[0] if on_linux() else PLUGIN_DLL) in game.text
    # the Steam check's full report is a hover away (steam.describe_installs)
    qtbot.waitUntil(lambda: "plugins" in hints._detail, timeout=TIMEOUT_MS)

    with qtbot.waitSignal(app.controller.settings_requested, timeout=TIMEOUT_MS):
        _button(hints, "Connect…").click()
    with qtbot.waitSignal(app.controller.quit_requested, timeout=TIMEOUT_MS):
        _button(hints, "Try the demo").click()
    assert app.launched == [demo_command()]
    assert app.launched[0][1][-1] == "--demo"


def test_a_game_seen_once_removes_the_plugin_hint_for_good(make_app, qtbot, tmp_path):
    app = make_app([driving_map()])
    app.start(show=True)  # capture starts after the first paint
    qtbot.waitUntil(lambda: app.window.hints.hints() != [], timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: "game" not in {h.id for h in app.window.hints.hints()}, timeout=TIMEOUT_MS
    )
    app.qsettings.sync()
    assert _qsettings(tmp_path).value(GAME_SEEN_KEY, False, bool)
    again = make_app([driving_map()], qsettings=_qsettings(tmp_path))
    assert again._hint_state["game_seen"] is True


def test_the_demo_shows_no_first_run_banner_and_says_demo(make_app, qtbot):
    app = make_app(demo=True)
    app.check_first_run()
    assert app.window.hints.isHidden()
    app.window.status_line.show_model(
        vm.status_model(
            None,
            capture_running=True,
            capture_problem="",
            job=None,
            sync=vm.SyncInfo(enabled=False),
        )
    )
    assert app.window.status_line.game.text().startswith("DEMO")


# --- 2. notifications and closing ------------------------------------------------------------


def _notable_events():
    events = _simulated_job_events()
    started = next(e for e in events if isinstance(e, JobStarted))
    delivered = next(e for e in events if isinstance(e, JobDelivered))
    # as the capture publishes it: settled, with its P&L
    delivered = dataclasses.replace(delivered, economics=settle(delivered, EconomySettings()))
    fined = Fined(t_s=1.0, game_time_min=1, job_key=None, offence="speeding", amount=250)
    unlocked = AchievementUnlocked(
        t_s=2.0,
        game_time_min=2,
        achievement_id="first-delivery",
        title="First delivery",
        description="Deliver a job",
        job_key=delivered.job_key,
    )
    return started, delivered, fined, unlocked


def test_without_a_tray_notifications_show_in_the_status_bar_and_job_panel(make_app, qtbot):
    app = make_app()
    assert app.tray is None and not app.in_tray  # offscreen: no tray
    line, panel = app.window.status_line, app.window.job_panel
    started, delivered, fined, unlocked = _notable_events()
    for event, title in (
        (started, "Job started"),
        (delivered, "Delivered"),
        (fined, "Fined"),
        (unlocked, "Achievement unlocked: First delivery"),
    ):
        app.controller.bridge.publish_events((event,))
        qtbot.waitUntil(lambda t=title: line.notice.full_text.startswith(t), timeout=TIMEOUT_MS)
        assert line.notice.isVisibleTo(app.window)
        assert panel.events.item(0).text().split("  ", 1)[1].startswith(title)
    assert "revenue" in panel.events.item(2).text() and "profit" in panel.events.item(2).text()
    # the recording indicator stays visible while a notice shows
    assert line.recording.isVisibleTo(app.window)

    blocked = SimpleNamespace(state="unauthorized", last_error="401 key revoked")
    app.controller.bridge.publish_sync_status(blocked)
    qtbot.waitUntil(lambda: line.notice.full_text.startswith("Sync paused"), timeout=TIMEOUT_MS)
    count = panel.events.count()
    app.controller.bridge.publish_sync_status(SimpleNamespace(**vars(blocked)))
    qtbot.waitUntil(lambda: app.controller._sync_status is not blocked, timeout=TIMEOUT_MS)
    assert panel.events.count() == count  # still blocked: not announced twice


class FakeTray:
    """Stands in for a tray icon where the platform has none (offscreen)."""

    def __init__(self) -> None:
        self.balloons: list[Notification] = []

    def isVisible(self) -> bool:
        return True

    def show_notification(self, note: Notification) -> None:
        self.balloons.append(note)

    def hide(self) -> None:
        pass


def test_with_a_tray_notifications_are_balloons(make_app, qtbot):
    app = make_app()
    app.tray, app.in_tray = FakeTray(), True
    started, delivered, *_ = _notable_events()
    app.controller.bridge.publish_events((started, delivered))
    qtbot.waitUntil(lambda: len(app.tray.balloons) == 2, timeout=TIMEOUT_MS)
    assert [n.title for n in app.tray.balloons] == ["Job started", "Delivered"]
    assert app.window.status_line.notice.isHidden()


def test_closing_the_window_without_a_tray_quits(make_app, qtbot):
    app = make_app()
    app.window.show()
    with qtbot.waitSignal(app.controller.quit_requested, timeout=TIMEOUT_MS):
        app.window.close()
    assert QApplication.instance().quitOnLastWindowClosed()


def test_closing_the_window_with_a_tray_hides_it_and_says_so(make_app, qtbot):
    app = make_app()
    app.tray, app.in_tray = FakeTray(), True
    app.window.show()
    with qtbot.assertNotEmitted(app.controller.quit_requested):
        app.window.close()
    assert not app.window.isVisible()
    assert app.tray.balloons[0].title == "RoadMaster is still running"


# --- 3. one driving-time clock ------------------------------------------------------------


def test_the_job_panel_shows_the_core_driving_time_clock(make_app, qtbot):
    app = make_app(source=lambda: EndlessSource())
    app.controller.start()
    qtbot.waitUntil(lambda: app.controller.runtime.hos() is not None, timeout=TIMEOUT_MS)

    def shown_matches_core() -> bool:
        hos = app.controller.runtime.hos()
        model = app.controller.job_model
        return model is not None and model.hos == vm.hos_text(hos.remaining)[0]

    qtbot.waitUntil(shown_matches_core, timeout=TIMEOUT_MS)
    assert "waiting for the game" not in app.window.job_panel.hos.text()


# --- 4. light and dark ----------------------------------------------------------------------


def _luminance(c: QColor) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def _contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("colours", [theme.DARK, theme.LIGHT], ids=["dark", "light"])
def test_both_themes_are_readable(colours):
    for name in ("text", "ok", "warn", "error", "accent", "cruise"):
        assert _contrast(getattr(colours, name), colours.panel) >= 4.5, name
    assert _contrast(colours.dim, colours.panel) >= 4.5
    for fill in (colours.warn, colours.error):  # lamp and warning pills
        assert _contrast(colours.on_fill, fill) >= 3.0


def _number_lightness(dial) -> tuple[int, int]:
    """(darkest, lightest) lightness in the middle of a dial, where its big number is."""
    image = dial.grab().toImage()
    w, h = image.width(), image.height()
    values = [
        image.pixelColor(x, y).lightness()
        for y in range(int(h * 0.40), int(h * 0.55))
        for x in range(int(w * 0.35), int(w * 0.65))
    ]
    return min(values), max(values)


def test_view_theme_switches_the_painted_gauges_and_is_remembered(make_app, qtbot, tmp_path):
    app = make_app()
    window = app.window
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    dial = window.dashboard.speed
    dial.set_reading(88.0, "88", "km/h")
    window.theme_actions["light"].trigger()
    assert window.theme_actions["light"].isChecked()
    assert dial.colours().text == theme.LIGHT.text
    assert window.palette().color(window.backgroundRole()) == theme.LIGHT.background
    darkest, lightest = _number_lightness(dial)
    assert darkest <= theme.LIGHT.text.lightness() + 10  # the number, painted dark
    assert lightest >= 230  # on the light panel

    window.theme_actions["dark"].trigger()
    darkest, lightest = _number_lightness(dial)
    assert lightest >= theme.DARK.text.lightness() - 10  # painted light
    assert darkest <= 40  # on the dark panel

    window.theme_actions["light"].trigger()
    app.qsettings.sync()
    assert _qsettings(tmp_path).value(theme.THEME_KEY) == "light"
    again = make_app(qsettings=_qsettings(tmp_path))
    assert again.theme_mode == "light" and again.window.theme_actions["light"].isChecked()


def test_system_theme_follows_the_desktop(make_app, monkeypatch):
    app = make_app()
    monkeypatch.setattr(theme, "system_scheme", lambda: "light")
    app.set_theme("system")
    assert theme.current() is theme.LIGHT
    monkeypatch.setattr(theme, "system_scheme", lambda: "dark")
    app._system_scheme_changed()
    assert theme.current() is theme.DARK


# --- 5. large and small screens ---------------------------------------------------------------


class _Screen:
    def __init__(self, width: int, height: int) -> None:
        self._rect = SimpleNamespace(height=lambda: height, width=lambda: width)

    def availableGeometry(self):
        return self._rect


def test_fonts_grow_on_a_large_screen_and_not_on_a_small_one(make_app, qtbot):
    assert theme.font_scale_for(_Screen(1366, 728)) == 1.0
    assert theme.font_scale_for(_Screen(1920, 1040)) == 1.0
    big = theme.font_scale_for(_Screen(2560, 1400))
    assert 1.3 <= big <= 1.4
    app = make_app()
    lamp = app.window.dashboard.park_brake
    status, menu = app.window.status_line.recording, app.window.menuBar()
    small = (lamp.sizeHint().height(), status.fontMetrics().height(), menu.sizeHint().height())
    app._apply_theme(big)
    assert QApplication.instance().font().pointSizeF() == pytest.approx(10.0 * big, rel=0.05)
    qtbot.waitUntil(lambda: lamp.sizeHint().height() > small[0], timeout=TIMEOUT_MS)
    assert status.fontMetrics().height() >= small[1] * 1.25
    assert menu.sizeHint().height() >= small[2] * 1.2
    assert lamp.maximumHeight() > 60


def test_nothing_forces_the_window_past_1366x768(make_app, qtbot):
    app = make_app()
    line = app.window.status_line
    app.window.resize(1366, 768)
    app.window.show()
    qtbot.waitExposed(app.window)
    app.controller.set_view_active("dashboard", False)  # its tick would reset the model
    line.show_model(
        vm.status_model(
            None,
            capture_running=False,
            capture_problem="Can't read telemetry: the SCS plugin is not loaded — is the game "
            "running with scs-telemetry.dll in bin/win_x64/plugins?",
            job=None,
            sync=vm.SyncInfo(enabled=False),
        )
    )
    line.show_notice("Delivered", "Machinery to Berlin: revenue €12,345, profit €8,000. " * 3)
    hint = app.window.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768 - 40
    assert app.window.width() <= 1366
    assert line.recording.text().endswith("…")  # elided, full text in the tooltip
    assert line.recording.toolTip().endswith("plugins?")


# --- 6. the first paint comes before the heavy imports ---------------------------------------

PROBE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication
    from roadmaster.telemetry.readers import open_source
    from roadmaster.ui.app import HEAVY_MODULES, RoadMasterApp
    from roadmaster.ui.controller import AppOptions

    app = QApplication([])
    home = Path(sys.argv[1])
    options = AppOptions(source_factory=lambda: open_source("sim", None), data_dir=home,
                         demo=True)
    rm = RoadMasterApp(options, QSettings(str(home / "w.ini"), QSettings.Format.IniFormat))
    seen = {}

    def painted():
        seen["early"] = sorted(m for m in HEAVY_MODULES if m in sys.modules)
        QTimer.singleShot(0, later)

    def later():
        seen["map"] = rm.window.route_view_loaded()
        app.quit()

    rm.window.first_painted.connect(painted)  # before start(): it runs first
    rm.start(show=True)
    QTimer.singleShot(20000, app.quit)
    app.exec()
    rm.shutdown()
    print(json.dumps(seen))
    """
)


def test_nothing_heavy_is_imported_before_the_first_paint(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ROADMASTER_HOME": str(tmp_path)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["early"] == []  # no pyqtgraph, SQLAlchemy, httpx, FastAPI, uvicorn
    assert seen["map"] is False  # the map is built after the paint, not before


# --- 7. the overlay repaints only for what it draws --------------------------------------------


def test_overlay_repaints_only_when_the_drawn_text_changes():
    from dataclasses import replace

    from roadmaster.ui.overlay import OverlayView, displayed

    view = OverlayView(speed="80", speed_unit="km/h", route="12 km to go", live=True)
    moved = replace(view, route="11 km to go")
    assert displayed(view, ["speed", "fuel"]) == displayed(moved, ["speed", "fuel"])
    assert displayed(view, ["speed", "route"]) != displayed(moved, ["speed", "route"])
    assert displayed(view, ["speed"]) != displayed(replace(view, speed="81"), ["speed"])


def shown_window(make_app, qtbot, width: int, height: int):
    """The app's main window shown at ``width`` × ``height`` with the route view loaded."""
    app = make_app()
    w = app.window
    w.load_route_view()
    w.resize(width, height)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: (w.width(), w.height()) == (width, height), timeout=5000)
    return w
