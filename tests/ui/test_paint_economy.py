"""The dashboard paints only what changed: real widgets, paints counted.

Pending paints are flushed with ``processEvents`` (an ``update()`` is a posted
event), so a count after it is final: no waiting on a clock."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QImage, QRegion
from PySide6.QtWidgets import QApplication

from roadmaster.ui import view_models as vm
from roadmaster.ui.dashboard import DashboardView
from roadmaster.ui.gauges import DialGauge
from roadmaster.units import UnitSystem
from tests.ui.frames import KMH, reading


def _flush() -> None:
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def _model(**overrides):
    return vm.dashboard_model(reading(**overrides), UnitSystem.METRIC)


def _shown_dashboard(qtbot) -> DashboardView:
    view = DashboardView()
    qtbot.addWidget(view)
    view.resize(1000, 650)
    view.show()
    qtbot.waitExposed(view)
    view.show_model(_model())
    qtbot.waitUntil(lambda: not view.speed.easing() and not view.rpm.easing(), timeout=5000)
    _flush()
    return view


def _shown_dial(
    qtbot, title: str, maximum: float, step: float, *, width: int, start: float = 0.0
) -> tuple[DialGauge, list[float]]:
    """A dial shown at ``width`` × 300 on a test clock; the clock's cell to move it."""
    now = [start]
    dial = DialGauge(title, clock=lambda: now[0])
    qtbot.addWidget(dial)
    dial.resize(width, 300)
    dial.set_scale(maximum, step)
    dial.show()
    qtbot.waitExposed(dial)
    return dial, now


def test_an_unchanged_reading_paints_nothing(qtbot):
    view = _shown_dashboard(qtbot)
    before = view.paint_count()
    for _ in range(10):
        view.show_model(_model())  # the same reading again and again
        _flush()
    # 72.02 km/h still shows "72" and moves the needle by a fraction of a pixel
    view.show_model(_model(**{"truck_f.speed": 72.02 * KMH}))
    _flush()
    assert view.paint_count() == before


def test_a_small_step_of_the_needle_is_one_paint_and_no_animation(qtbot):
    view = _shown_dashboard(qtbot)
    speed = view.speed
    before = speed.paint_count
    view.show_model(_model(**{"truck_f.speed": 74 * KMH}))  # a 10 Hz step while accelerating
    assert not speed.easing()
    _flush()
    assert speed.paint_count == before + 1
    assert speed.value_text == "74" and speed.shown == speed.value


def test_the_rpm_number_shows_whole_tens(qtbot):
    view = _shown_dashboard(qtbot)
    view.show_model(_model(**{"truck_f.engineRpm": 1353.0}))
    assert view.rpm.value_text == "1350"
    view.show_model(_model(**{"truck_f.engineRpm": 1357.0}))
    assert view.rpm.value_text == "1360"


def test_a_dial_is_opaque_in_the_cards_colour(qtbot):
    dial = DialGauge("Speed")
    qtbot.addWidget(dial)
    dial.resize(300, 300)
    dial.show()
    qtbot.waitExposed(dial)
    image = dial.grab().toImage()
    # the corner, outside the arc, is the card's colour (nothing of the parent shows)
    assert image.pixelColor(2, 2).name() == dial.colours().panel.name()


def test_a_big_jump_eases_once_and_jumps_that_keep_coming_are_drawn_at_once(qtbot):
    dial, now = _shown_dial(qtbot, "Speed", 140.0, 20.0, width=300)
    dial.set_reading(80.0, "80", "km/h")  # the first big jump eases
    assert dial.easing()
    qtbot.waitUntil(lambda: not dial.easing(), timeout=5000)  # and the timer stops
    assert dial.shown == dial.value == 80.0
    _flush()
    settled = dial.paint_count
    dial.set_reading(80.0, "80", "km/h")
    _flush()
    assert dial.paint_count == settled  # arrived: nothing more to paint
    now[0] = 0.1  # a fast feed: the next big jump a reading later
    before = dial.paint_count
    dial.set_reading(40.0, "40", "km/h")
    assert not dial.easing() and dial.shown == 40.0
    _flush()
    assert dial.paint_count == before + 1
    now[0] = 5.0  # after a quiet while, a jump eases again
    dial.set_reading(100.0, "100", "km/h")
    assert dial.easing()


def test_a_window_started_minimised_keeps_the_map_and_dashboard_idle(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from roadmaster.ui.controller import AppController, AppOptions
    from roadmaster.ui.main_window import MainWindow
    from tests.ui.frames import EndlessSource

    controller = AppController(AppOptions(source_factory=EndlessSource, data_dir=None))
    window = MainWindow(
        controller, qsettings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    window.showMinimized()  # Settings → start minimised
    qtbot.waitUntil(window.isMinimized, timeout=5000)
    window.load_route_view()  # built after start-up, into the minimised window
    _flush()
    assert not controller.is_view_active("dashboard")
    assert not controller.is_view_active("route")
    window.showNormal()  # the player opens it: the map works again
    qtbot.waitUntil(lambda: controller.is_view_active("route"), timeout=5000)


def test_air_pressure_wobbling_by_a_fraction_of_a_psi_repaints_nothing(qtbot):
    view = _shown_dashboard(qtbot)
    before = view.paint_count()
    for psi in (130.1, 130.2, 129.9, 130.05):  # the compressor and the brakes, all day long
        view.show_model(_model(**{"truck_f.airPressure": psi}))
        _flush()
    assert view.air.value_text == "9.0 bar"  # ETS2: bar, as its trucks show it
    assert view.paint_count() == before


def test_bars_and_the_damage_panel_are_opaque_in_the_cards_colour(qtbot):
    view = _shown_dashboard(qtbot)
    for widget in (view.fuel, view.damage):
        image = widget.grab().toImage()
        assert image.pixelColor(1, image.height() - 2).name() == widget.colours().panel.name()


def _on_screen(widget) -> QImage:
    """What the window system shows of ``widget`` (its backing store), not a fresh
    paint: a repaint that missed a changed pixel shows here."""
    screen = widget.screen()
    return screen.grabWindow(widget.winId()).toImage().convertToFormat(QImage.Format.Format_RGB32)


def test_a_moving_needle_repaints_only_its_part_and_the_dial_stays_whole(qtbot):
    dial, now = _shown_dial(qtbot, "Speed", 140.0, 20.0, width=320)
    dial.set_reading(60.0, "60", "km/h", caption="limit 80", limit=80.0)
    qtbot.waitUntil(lambda: not dial.easing(), timeout=5000)
    _flush()
    regions: list[QRegion] = []
    dial.installEventFilter(_RegionSpy(regions, dial))
    # 10 Hz readings while accelerating, braking and cruising; a big jump eases
    for kmh in (61.0, 62.5, 64.0, 63.2, 63.9, 90.0, 89.5, 88.0, 30.0, 31.0):
        now[0] += 0.1
        dial.set_reading(kmh, f"{kmh:.0f}", "km/h", caption="limit 80", limit=80.0)
        qtbot.waitUntil(lambda: not dial.easing(), timeout=5000)
        _flush()
    qtbot.waitUntil(lambda: dial.value_text == "31", timeout=5000)  # the last number shows
    _flush()
    assert regions, "the needle moved"
    whole = dial.width() * dial.height()
    # a small step repaints a small part of the dial, not all of it
    assert min(_area(r) for r in regions) < whole / 4
    # and what is on screen is exactly a full paint of the final state
    assert _on_screen(dial) == dial.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def _area(region: QRegion) -> int:
    return sum(r.width() * r.height() for r in region)


class _RegionSpy(QObject):
    def __init__(self, regions: list[QRegion], parent: QObject) -> None:
        super().__init__(parent)
        self.regions = regions

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.regions.append(QRegion(event.region()))
        return False


def test_the_number_changes_at_most_five_times_a_second_and_the_last_one_shows(qtbot):
    dial, now = _shown_dial(qtbot, "Engine rpm", 2500.0, 500.0, width=320, start=10.0)
    dial.set_reading(1350.0, "1350", "rpm")
    qtbot.waitUntil(lambda: not dial.easing(), timeout=5000)
    _flush()
    shown: list[str] = []
    for i in range(1, 10):  # 10 Hz readings, each with a new number
        now[0] += 0.1
        dial.set_reading(1350.0 + 10 * i, f"{1350 + 10 * i}", "rpm")
        shown.append(dial.value_text)
    # at most one new number in each 0.2 s, not one per reading
    changes = sum(a != b for a, b in itertools.pairwise(shown))
    assert changes <= 5
    qtbot.waitUntil(lambda: dial.value_text == "1440", timeout=5000)  # the newest, soon


def test_a_minimised_window_computes_no_job_card_and_catches_up_when_restored(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from roadmaster.runtime import CaptureProgress
    from roadmaster.ui.controller import AppController, AppOptions
    from roadmaster.ui.main_window import MainWindow
    from tests.factories import make_delivered
    from tests.ui.frames import EndlessSource

    now = [100.0]
    controller = AppController(
        AppOptions(source_factory=EndlessSource, data_dir=None), clock=lambda: now[0]
    )
    window = MainWindow(
        controller, qsettings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.showMinimized()  # overlay and tray only
    qtbot.waitUntil(lambda: not controller.is_view_active("window"), timeout=5000)
    cards: list[object] = []
    controller.job_changed.connect(cards.append)
    for minute in range(1000, 1010):  # a delivery, then game minutes passing
        if minute == 1000:
            controller.bridge.events_committed.emit((make_delivered(),))
        controller.bridge.progress_changed.emit(CaptureProgress(job=None, game_time_min=minute))
        now[0] += 5.0
        controller.tick()
    assert cards == []  # nothing computed for a card nobody sees
    window.showNormal()  # the player looks: the card is up to date at once
    qtbot.waitUntil(lambda: len(cards) == 1, timeout=5000)
    assert window.job_panel.last_job.text() == cards[0].last_job
    assert cards[0].last_job.startswith("Delivered")


def test_a_moving_bar_repaints_only_the_stretch_that_changed(qtbot):
    from roadmaster.ui.gauges import BarGauge

    bar = BarGauge("Air pressure")
    qtbot.addWidget(bar)
    bar.resize(420, 92)
    bar.show()
    qtbot.waitExposed(bar)
    bar.set_state(0.80, "9.0 bar", "", mark=0.45)
    _flush()
    regions: list[QRegion] = []
    bar.installEventFilter(_RegionSpy(regions, bar))
    for fraction in (0.78, 0.75, 0.79, 0.70):  # the brakes use air, the compressor refills
        bar.set_state(fraction, "9.0 bar", "", mark=0.45)
        _flush()
    assert len(regions) == 4
    whole = bar.width() * bar.height()
    assert all(_area(r) < whole / 4 for r in regions)
    assert _on_screen(bar) == bar.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
