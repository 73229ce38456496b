"""The overlay window: flags a user depends on, remembered geometry and options,
pulled repaints, and the text computed from real simulator frames."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, QSize, Qt
from PySide6.QtGui import QKeySequence

from roadmaster.settings import Settings
from roadmaster.telemetry.frame import Game
from roadmaster.telemetry.sim.simulator import Simulator
from roadmaster.telemetry.source import Snapshot
from roadmaster.telemetry.status import GameState, Monitor, Reading
from roadmaster.ui.overlay import CLICK_THROUGH_SHORTCUT, GEOMETRY_KEY, Overlay
from roadmaster.ui.view_models.overlay import overlay_view


@cache
def driving_reading(game: str = "ats") -> Reading:
    """A real reading from the simulator: on a job, moving, with a route."""
    sim = Simulator(game, seed=1)
    monitor = Monitor()
    for _ in range(50_000):
        reading = monitor.update(Snapshot(sim.step(), sim.t_s))
        f = reading.frame
        if f and f.job.on_job and f.truck.speed_mps > 15 and f.navigation.route_distance_m > 0:
            return reading
    raise AssertionError("the simulator never started driving a job")


def with_truck(reading: Reading, **changes: object) -> Reading:
    assert reading.frame is not None
    frame = reading.frame._replace(truck=reading.frame.truck._replace(**changes))
    return reading._replace(frame=frame)


def not_running() -> Reading:
    return Reading(GameState.NOT_RUNNING, None, None, "Game not running", None, True)


class Host:
    def __init__(self, reading: Reading | None = None) -> None:
        self.settings = Settings()
        self.reading = reading
        self.calls = 0

    def latest_reading(self) -> Reading | None:
        self.calls += 1
        return self.reading


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_overlay(qtbot, qsettings):
    def make(host: Host) -> Overlay:
        overlay = Overlay(host, qsettings)
        qtbot.addWidget(overlay)
        return overlay

    return make


def test_window_is_a_frameless_translucent_always_on_top_tool(make_overlay) -> None:
    overlay = make_overlay(Host(driving_reading()))
    flags = overlay.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    assert flags & Qt.WindowType.Tool  # no taskbar button
    assert flags & Qt.WindowType.WindowDoesNotAcceptFocus  # never steals the game's focus
    assert not flags & Qt.WindowType.WindowTransparentForInput
    assert overlay.testAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
    assert not overlay.testAttribute(Qt.WidgetAttribute.WA_QuitOnClose)


def test_click_through_makes_the_window_transparent_for_input_and_is_remembered(
    make_overlay, qtbot
) -> None:
    host = Host(driving_reading())
    overlay = make_overlay(host)
    overlay.set_wanted(True)
    qtbot.waitExposed(overlay)
    with qtbot.waitSignal(overlay.options_changed) as changed:
        overlay.toggle_click_through()
    assert overlay.windowFlags() & Qt.WindowType.WindowTransparentForInput
    assert overlay.isVisible()  # changing flags must not lose the window
    assert changed.args[0].click_through is True
    assert host.settings.overlay.click_through is True
    assert overlay.click_through_action.isChecked()

    # The shortcut, as part A installs it on the main window, turns it off again.
    assert overlay.click_through_action.shortcut() == QKeySequence(CLICK_THROUGH_SHORTCUT)
    assert overlay.click_through_action.shortcutContext() == Qt.ShortcutContext.ApplicationShortcut
    emitted: list[object] = []
    overlay.options_changed.connect(emitted.append)
    overlay.click_through_action.trigger()
    assert not overlay.windowFlags() & Qt.WindowType.WindowTransparentForInput
    assert len(emitted) == 1 and host.settings.overlay.click_through is False


def test_click_through_from_the_settings_applies_at_start(make_overlay) -> None:
    host = Host(driving_reading())
    host.settings.overlay.click_through = True
    overlay = make_overlay(host)
    assert overlay.windowFlags() & Qt.WindowType.WindowTransparentForInput


def test_position_and_size_are_remembered(make_overlay, qtbot, qsettings) -> None:
    host = Host(driving_reading())
    first = make_overlay(host)
    first.set_wanted(True)
    qtbot.waitExposed(first)
    first.move(QPoint(120, 140))
    first.resize(QSize(360, 210))
    first.set_wanted(False)
    assert qsettings.value(GEOMETRY_KEY) is not None

    second = make_overlay(host)
    assert second.pos() == QPoint(120, 140)
    assert second.size() == QSize(360, 210)


def test_drag_moves_the_window_and_saves_where_it_was_dropped(make_overlay, qtbot, qsettings):
    overlay = make_overlay(Host(driving_reading()))
    overlay.set_wanted(True)
    qtbot.waitExposed(overlay)
    start = overlay.pos()
    qtbot.mousePress(overlay, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    # The offscreen platform has no system move: this exercises the manual drag.
    qtbot.mouseMove(overlay, QPoint(60, 50))
    qtbot.mouseRelease(overlay, Qt.MouseButton.LeftButton, pos=QPoint(60, 50))
    assert overlay.pos() == start + QPoint(40, 30)
    again = make_overlay(Host(driving_reading()))
    assert again.pos() == start + QPoint(40, 30)


def test_opacity_and_items_are_remembered_in_the_settings(make_overlay, qtbot) -> None:
    host = Host(driving_reading())
    overlay = make_overlay(host)
    overlay.resize(300, 180)
    opaque = overlay.grab().toImage().pixelColor(40, 170).alpha()
    with qtbot.waitSignal(overlay.options_changed):
        overlay.set_opacity(0.4)
    assert host.settings.overlay.opacity == 0.4
    faint = overlay.grab().toImage().pixelColor(40, 170).alpha()
    assert faint < opaque * 0.6

    overlay.set_item_shown("fuel", False)
    assert "fuel" not in host.settings.overlay.items
    overlay.set_item_shown("fuel", True)
    assert host.settings.overlay.items[2] == "fuel"  # back in its place


def test_a_lower_opacity_fades_the_whole_overlay_evenly(make_overlay) -> None:
    """Text, sign and panel fade as one piece: every pixel keeps its colour and its
    alpha is the opacity times what it is when opaque."""
    from PySide6.QtGui import QImage

    host = Host(driving_reading())
    overlay = make_overlay(host)
    overlay.resize(300, 180)
    fmt = QImage.Format.Format_ARGB32
    overlay.set_opacity(1.0)
    opaque = overlay.grab().toImage().convertToFormat(fmt)
    overlay.set_opacity(0.55)
    faded = overlay.grab().toImage().convertToFormat(fmt)
    checked = 0
    for y in range(0, opaque.height(), 3):
        for x in range(0, opaque.width(), 3):
            a, b = opaque.pixelColor(x, y), faded.pixelColor(x, y)
            assert abs(b.alpha() - a.alpha() * 0.55) <= 2, (x, y)
            if a.alpha() >= 200:  # the panel (colours of faint pixels round coarsely)
                checked += 1
                for ca, cb in ((a.red(), b.red()), (a.green(), b.green()), (a.blue(), b.blue())):
                    assert abs(ca - cb) <= 4, (x, y)
    assert checked > 1000  # the panel, the text on it and the sign


def test_the_menu_offers_opacity_items_and_click_through(make_overlay) -> None:
    overlay = make_overlay(Host(driving_reading()))
    menu = overlay.build_menu()
    texts = [a.text() for a in menu.actions()]
    assert texts[:2] == ["Opacity", "Show"]
    assert any(CLICK_THROUGH_SHORTCUT in t for t in texts)
    show_menu = menu.actions()[1].menu()
    fuel = next(a for a in show_menu.actions() if a.text() == "Fuel and range")
    fuel.toggle()
    assert "fuel" not in overlay._host.settings.overlay.items


def test_repaints_at_the_refresh_rate_only_when_visible_and_only_when_new(
    make_overlay, qtbot
) -> None:
    host = Host(driving_reading())
    host.settings.overlay.refresh_hz = 20
    overlay = make_overlay(host)
    assert not overlay.timer_active()  # never shown: nothing runs
    overlay.set_wanted(True)
    qtbot.waitExposed(overlay)
    assert overlay.timer_active()
    assert overlay._paint_timer.interval() == 50
    qtbot.waitUntil(lambda: overlay.paint_count > 0)

    # The same reading again: pulled, but not repainted.
    painted, calls = overlay.paint_count, host.calls
    qtbot.waitUntil(lambda: host.calls >= calls + 3)
    assert overlay.paint_count == painted

    # A new reading: repainted.
    host.reading = with_truck(driving_reading(), gear_dashboard=3)
    qtbot.waitUntil(lambda: overlay.view().gear == "3")
    qtbot.waitUntil(lambda: overlay.paint_count > painted)

    overlay.set_wanted(False)
    assert not overlay.timer_active() and not overlay.isVisible()
    assert not overlay._watch_timer.isActive()  # hidden on purpose: nothing polls


def test_hides_while_the_game_is_not_running_and_comes_back(make_overlay, qtbot) -> None:
    host = Host(not_running())
    overlay = make_overlay(host)
    overlay.set_wanted(True)
    assert overlay.is_wanted() and not overlay.isVisible()
    assert not overlay.timer_active()
    host.reading = driving_reading()
    qtbot.waitUntil(overlay.isVisible, timeout=3000)  # the 1 Hz watch brings it back
    assert overlay.timer_active()

    host.reading = not_running()
    overlay.refresh()
    assert not overlay.isVisible() and overlay.is_wanted()


def test_stays_visible_when_the_user_does_not_want_it_hidden(make_overlay, qtbot) -> None:
    host = Host(not_running())
    host.settings.overlay.hide_when_game_not_running = False
    overlay = make_overlay(host)
    overlay.set_wanted(True)
    qtbot.waitExposed(overlay)
    assert overlay.view().warning == "Game not running"


# --- the text ------------------------------------------------------------------------


def test_ats_shows_mph_a_us_sign_gear_fuel_route_and_deadline() -> None:
    reading = driving_reading()
    assert reading.frame is not None and reading.frame.game is Game.ATS
    view = overlay_view(reading, Settings())
    assert view.live and view.speed_unit == "mph" and view.imperial_sign
    assert view.speed == str(round(reading.frame.truck.speed_mps / 0.44704))
    assert view.gear == str(reading.frame.truck.gear_dashboard)
    assert view.fuel.startswith("Fuel ") and " gal" in view.fuel and " mi" in view.fuel
    assert "to go · ETA" in view.route
    assert view.deadline.startswith("Deadline in ")


def test_metric_preference_and_reverse_gear() -> None:
    s = Settings()
    s.display.units = "metric"
    reading = with_truck(driving_reading(), speed_mps=-2.5, gear_dashboard=-1)
    view = overlay_view(reading, s)
    assert view.speed_unit == "km/h" and view.speed == "9" and view.gear == "R1"
    assert not view.imperial_sign


def test_speeding_turns_red_with_a_warning() -> None:
    s = Settings()
    s.display.units = "metric"
    view = overlay_view(with_truck(driving_reading(), speed_mps=25.0, speed_limit_mps=80 / 3.6), s)
    assert view.speeding and view.limit == "80" and view.critical
    assert view.warning == "Speeding: 10 km/h over the limit"


def test_air_emergency_beats_every_other_warning() -> None:
    reading = with_truck(
        driving_reading(), speed_mps=40.0, air_pressure_emergency=True, fuel_warning=True
    )
    assert overlay_view(reading, Settings()).warning.startswith("AIR PRESSURE EMERGENCY")


def test_low_fuel_is_a_warning_but_not_critical() -> None:
    view = overlay_view(with_truck(driving_reading(), fuel_warning=True), Settings())
    assert view.warning == "Low fuel: refuel soon" and not view.critical


def test_late_delivery() -> None:
    reading = driving_reading()
    assert reading.frame is not None
    header = reading.frame.header._replace(game_time_min=reading.frame.job.deadline_game_min + 75)
    late = reading._replace(frame=reading.frame._replace(header=header))
    view = overlay_view(late, Settings())
    assert view.late and view.deadline == "Late by 1 h 15 min"


def test_no_reading_and_game_states() -> None:
    assert overlay_view(None, Settings()).warning == "Waiting for telemetry…"
    assert not overlay_view(not_running(), Settings()).live
    paused = driving_reading()._replace(state=GameState.MENU)
    assert overlay_view(paused, Settings()).warning == "Paused"


def test_shown_before_driving_it_previews_so_it_can_be_placed(make_overlay, qtbot) -> None:
    host = Host(not_running())
    overlay = make_overlay(host)
    overlay.toggle()  # View → Overlay, or the tray, with no game running
    qtbot.waitExposed(overlay)
    assert overlay.previewing() and overlay.view().live
    assert overlay.view().warning.startswith("Preview: drag to place")
    assert overlay.view().speed != "–"
    overlay.refresh()
    assert overlay.isVisible()  # the missing game does not hide the preview
    host.reading = driving_reading()
    qtbot.waitUntil(lambda: not overlay.previewing(), timeout=3000)
    assert not overlay.view().warning.startswith("Preview")
    overlay.toggle()
    assert not overlay.isVisible()


def test_a_new_speed_repaints_the_top_row_at_most_five_times_a_second(qtbot, qsettings):
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtGui import QImage, QRegion
    from PySide6.QtWidgets import QApplication

    now = [0.0]
    host = Host(driving_reading())
    overlay = Overlay(host, qsettings, clock=lambda: now[0])
    qtbot.addWidget(overlay)
    overlay.set_wanted(True)
    qtbot.waitExposed(overlay)
    overlay._paint_timer.stop()  # ticks by hand, on the test's clock
    qtbot.waitUntil(lambda: overlay.paint_count > 0)  # the first, whole paint
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
    regions: list[QRegion] = []

    class Spy(QObject):
        def eventFilter(self, obj, event) -> bool:
            if obj is overlay and event.type() == QEvent.Type.Paint:
                regions.append(QRegion(event.region()))
            return False

    spy = Spy(overlay)
    overlay.installEventFilter(spy)
    base = driving_reading().frame.truck.speed_mps
    views = []
    for i in range(1, 11):  # a second of 10 Hz readings, the speed changing each time
        now[0] += 0.1
        # slowing down (no speeding warning comes or goes)
        host.reading = with_truck(driving_reading(), speed_mps=base - i * 0.3)
        overlay.refresh()
        views.append(overlay.view().speed)
        for _ in range(3):  # the posted paint runs (no waiting on a clock)
            QApplication.sendPostedEvents()
            QApplication.processEvents()
    assert regions
    assert len(set(views)) <= 6  # at most one new text per 0.2 s
    whole = overlay.width() * overlay.height()
    assert all(sum(r.width() * r.height() for r in reg) < whole / 2 for reg in regions)
    # what is on screen is exactly a full paint of what is shown
    on_screen = overlay.screen().grabWindow(overlay.winId()).toImage()
    fresh = overlay.grab().toImage()
    fmt = QImage.Format.Format_ARGB32_Premultiplied
    assert on_screen.convertToFormat(fmt) == fresh.convertToFormat(fmt)
