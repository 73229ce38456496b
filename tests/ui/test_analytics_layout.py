"""The analytics page in the main window at the sizes players have: the charts
reflow to the width of the tab (docks shown), the page never scrolls sideways, and
every chart's "PNG…" button is on screen; money axes read "€1.4M", not "1.4e+06"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QPushButton, QScrollArea

from roadmaster import cli
from roadmaster.runtime.joblog import JobLogService
from roadmaster.storage.readonly import open_for_reading
from tests.ui import test_integration

make_app = test_integration.make_app  # the app fixture, shared
TIMEOUT_MS = 20_000


def _analytics_shown(request, make_app, qtbot, tmp_path: Path, width: int, height: int):
    assert cli.main(["demo-data", "--jobs", "400", "--seed", "5",
                     "--data-dir", str(tmp_path / "data")]) == 0  # fmt: skip
    w = test_integration.shown_window(make_app, qtbot, width, height)
    pages = w.job_log
    engine = open_for_reading(tmp_path / "data")
    request.addfinalizer(engine.dispose)
    pages.set_service(JobLogService(engine))
    pages.load_analytics()
    pages.show_analytics()
    view = pages.analytics
    qtbot.waitUntil(lambda: view.data is not None and view.data.jobs > 50, timeout=TIMEOUT_MS)
    _settle()
    return w, view


def _settle() -> None:
    """Let the layouts run their queued requests (new figures change size hints)."""
    for _ in range(5):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def _offside(view) -> list[str]:
    """Charts whose "PNG…" button is not wholly inside the scroll area's viewport."""
    scroll = view.findChild(QScrollArea)
    viewport = scroll.viewport()
    problems = []
    for chart in view.charts:
        button = next(b for b in chart.findChildren(QPushButton) if b.text() == "PNG…")
        left = button.mapTo(viewport, QPoint(0, 0)).x()
        right = left + button.width()
        if left < 0 or right > viewport.width():
            problems.append(f"{chart.title}: {left}..{right} of {viewport.width()}")
    return problems


@pytest.mark.parametrize(("width", "height"), [(1024, 600), (1366, 768)])
def test_the_charts_fit_the_width_of_the_page(
    request, make_app, qtbot, tmp_path, width, height
) -> None:
    w, view = _analytics_shown(request, make_app, qtbot, tmp_path, width, height)
    # the window's docks are there and take their part of the width
    assert w.job_dock.isVisible() and w.job_dock.width() > 150
    scroll = view.findChild(QScrollArea)
    assert not scroll.horizontalScrollBar().isVisible()
    assert _offside(view) == []
    for chart in view.charts:  # a readable height in one column as in two
        assert chart.plot.height() >= 200, chart.title


def test_two_columns_when_wide_one_when_narrow(request, make_app, qtbot, tmp_path) -> None:
    w, view = _analytics_shown(request, make_app, qtbot, tmp_path, 1366, 768)
    # two columns: the first two charts side by side
    qtbot.waitUntil(lambda: view.fuel.x() > view.income.x() + view.income.width() // 2,
                    timeout=5000)  # fmt: skip
    w.resize(1024, 600)
    qtbot.waitUntil(lambda: view.fuel.y() > view.income.y() + view.income.height() // 2,
                    timeout=5000)  # fmt: skip
    assert view.fuel.x() == view.income.x()
    assert _offside(view) == []


def test_money_axes_read_like_money(request, make_app, qtbot, tmp_path) -> None:
    _w, view = _analytics_shown(request, make_app, qtbot, tmp_path, 1366, 768)
    game = view.data.game
    symbol = "$" if game.value == "ats" else "€"
    axis = view.income.plot.getPlotItem().getAxis("left")
    values = [0.0, 200_000.0, 900_000.0, 1_400_000.0]
    assert axis.tickStrings(values, 1.0, 100_000.0) == [
        f"{symbol}0", f"{symbol}200k", f"{symbol}900k", f"{symbol}1.4M",
    ]  # fmt: skip
    # the ticks pyqtgraph picks for the drawn data: money, none in scientific notation
    levels = axis.tickValues(*axis.range, axis.geometry().height())
    shown = [s for spacing, ticks in levels for s in axis.tickStrings(ticks, 1.0, spacing)]
    assert shown and all(s.lstrip("-").startswith(symbol) for s in shown), shown
    assert not any("e+" in s for s in shown), shown
    # the other game: its own currency
    other = "ats" if game.value == "ets2" else "ets2"
    with qtbot.waitSignal(view.refreshed, timeout=TIMEOUT_MS):
        view.game.setCurrentIndex(view.game.findData(other))
    months = view.months.plot.getPlotItem().getAxis("left")
    want = "$" if other == "ats" else "€"
    assert months.tickStrings([-50_000.0, 0.0, 50_000.0], 1.0, 50_000.0) == [
        f"-{want}50k", f"{want}0", f"{want}50k",
    ]  # fmt: skip
    hos = view.hos.plot.getPlotItem().getAxis("left")
    assert hos.tickStrings([0.0, 9.0], 1.0, 3.0) == ["0 h", "9 h"]


def _wheel(widget, point: QPoint, modifiers=Qt.KeyboardModifier.NoModifier) -> bool:
    """One notch of the mouse wheel, turned towards the player, over ``point``;
    whether ``widget`` kept it (an event it ignores goes on to the page)."""
    event = QWheelEvent(
        QPointF(point), QPointF(widget.mapToGlobal(point)), QPoint(0, 0), QPoint(0, -120),
        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_the_wheel_over_a_chart_is_left_to_the_page(request, make_app, qtbot, tmp_path) -> None:
    """Charts cover most of the page: the wheel over one does not zoom it but goes on
    to the page, which scrolls (Qt hands an ignored wheel to the parent: checked by
    hand under Xvfb, a synthetic event is not passed on); Ctrl+wheel zooms."""
    _w, view = _analytics_shown(request, make_app, qtbot, tmp_path, 1366, 768)
    plot = view.income.plot
    box = plot.getPlotItem().getViewBox()
    before = box.viewRange()
    middle = QPoint(plot.viewport().width() // 2, plot.viewport().height() // 2)
    assert not _wheel(plot.viewport(), middle)
    assert box.viewRange() == before
    assert _wheel(plot.viewport(), middle, Qt.KeyboardModifier.ControlModifier)
    assert box.viewRange() != before
    # the page itself scrolls on the wheel
    scroll = view.findChild(QScrollArea)
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    _wheel(bar, QPoint(bar.width() // 2, bar.height() // 2))
    assert bar.value() > 0
