"""The main window at the sizes players have: 1024×600 works (the docks become tabs),
1366×768 shows the job card whole, and View → Reset layout brings every panel back."""

from __future__ import annotations

import itertools

from PySide6.QtWidgets import QLabel

from roadmaster.ui.view_models import JobPanelModel
from tests.ui import test_integration

make_app = test_integration.make_app  # the app fixture, shared
shown_window = test_integration.shown_window


def test_the_window_works_at_1024_by_600(make_app, qtbot) -> None:
    w = shown_window(make_app, qtbot, 1024, 600)
    assert w.minimumSizeHint().width() <= 1024 and w.minimumSizeHint().height() <= 600
    assert w.is_compact()
    # the three panels share one place as tabs, each a click away
    assert set(w.tabifiedDockWidgets(w.job_dock)) == {w.route_dock, w.roadie_dock}
    # the dashboard is not squeezed below what its gauges need (by the banner either)
    assert w.dashboard.height() >= w.dashboard.minimumSizeHint().height()
    assert not w.job_dock.visibleRegion().isEmpty()
    # taller again: stacked as before
    w.resize(1366, 768)
    qtbot.waitUntil(lambda: not w.is_compact(), timeout=5000)
    assert w.tabifiedDockWidgets(w.job_dock) == []
    qtbot.waitUntil(
        lambda: w.route_dock.geometry().top() > w.job_dock.geometry().bottom() > 0, timeout=5000
    )


def _overlaps(labels: list[QLabel]) -> list[str]:
    shown = [label for label in labels if label.isVisible()]
    problems = []
    for upper, lower in itertools.pairwise(shown):
        if upper.geometry().bottom() >= lower.geometry().top():
            problems.append(f"{upper.text()!r} overlaps {lower.text()!r}")
    for label in shown:
        if label.height() < label.heightForWidth(label.width()):
            problems.append(f"{label.text()!r} is clipped")
    return problems


def test_a_long_last_job_line_neither_clips_nor_overlaps_at_1366_by_768(make_app, qtbot) -> None:
    w = shown_window(make_app, qtbot, 1366, 768)
    panel = w.job_panel
    long = (
        "Delivered (late): Heavy Machinery Parts, Klaipėda → Santiago de Compostela · "
        "€112,345 · profit €98,765 · 3,456 km"
    )
    panel.show_model(
        JobPanelModel(
            has_job=True,
            cargo="Heavy Machinery Parts · 24,000 kg",
            route="Klaipėda → Santiago de Compostela",
            companies="Tree-ET → Kaarfor",
            income="pays €112,345",
            distance="driven 1,234 km of 3,456 km planned",
            deadline="due in 13 h 05 min (Day 2 (Tue) 14:05)",
            overdue=False,
            profit="projected profit €98,765",
            expenses="fines €0 · tolls €120 · ferry/train €450",
            hos="break due in 2 h 10 min",
            hos_urgent=False,
            last_job=long,
        )
    )
    qtbot.waitUntil(lambda: panel.last_job.text() == long)
    qtbot.wait(0)  # let the layout settle (no fixed delay)
    labels = [
        panel.cargo, panel.route, panel.companies, panel.income, panel.profit,
        panel.distance, panel.deadline, panel.expenses, panel.hos,
    ]  # fmt: skip
    qtbot.waitUntil(lambda: _overlaps(labels) == [], timeout=5000)
    qtbot.waitUntil(
        lambda: panel.last_job.height() >= panel.last_job.heightForWidth(panel.last_job.width()),
        timeout=5000,
    )
    assert panel.last_job.mapTo(panel, panel.last_job.rect().topLeft()).y() > (
        panel.hos.mapTo(panel, panel.hos.rect().bottomLeft()).y()
    )


def test_reset_layout_brings_back_a_closed_route_panel(make_app, qtbot) -> None:
    w = shown_window(make_app, qtbot, 1366, 768)
    w.route_dock.close()
    w.job_dock.setFloating(True)
    w.reset_layout()
    qtbot.waitUntil(lambda: w.route_dock.isVisible() and not w.job_dock.isFloating())
    qtbot.waitUntil(lambda: not w.route_dock.visibleRegion().isEmpty(), timeout=5000)
    assert w.route_dock.height() > 150
    assert w.route_dock.geometry().top() > w.job_dock.geometry().bottom()


def test_about_names_the_version(make_app, qtbot) -> None:
    from roadmaster.version import version

    w = make_app().window
    assert version() != "unknown" and f"RoadMaster Desktop {version()}" in w.about_text()


def test_route_axes_follow_the_units(make_app, qtbot) -> None:
    app = make_app(unit_preference="imperial")
    app.window.load_route_view()
    route = app.window.route_view
    assert route.axis_unit() == "mi"
    assert route.plot.getAxis("bottom").labelUnits == "mi"
    app.controller.set_unit_preference("metric")
    route.apply_units(app.controller.units)
    assert route.axis_unit() == "km"


def test_capture_stops_and_starts_from_the_window_and_the_gauges_say_stopped(
    make_app, qtbot
) -> None:
    from tests.ui.frames import EndlessSource

    app = make_app(source=lambda: EndlessSource())
    w, c = app.window, app.controller
    w.show()
    qtbot.waitExposed(w)
    c.start()
    qtbot.waitUntil(lambda: c.capture_running() and w.dashboard.model is not None, timeout=15000)
    qtbot.waitUntil(lambda: w.dashboard.model.live, timeout=15000)
    button = w.status_line.capture_button
    assert button.text() == "■ Stop capture"
    button.click()
    qtbot.waitUntil(lambda: not c.capture_running(), timeout=15000)
    # not frozen on the last reading: the dashboard says capture is stopped
    qtbot.waitUntil(lambda: not w.dashboard.model.live, timeout=15000)
    assert w.dashboard.model.warnings == ("CAPTURE STOPPED",)
    assert w.dashboard.speed.value_text == "–"
    qtbot.waitUntil(lambda: button.text() == "▶ Start capture", timeout=15000)
    button.click()
    qtbot.waitUntil(lambda: c.capture_running() and w.dashboard.model.live, timeout=15000)
    assert button.text() == "■ Stop capture"


def test_a_long_route_line_does_not_widen_the_window_past_1024(make_app, qtbot) -> None:
    w = shown_window(make_app, qtbot, 1024, 600)
    w.load_route_view()
    w.route_view.nav.setText(
        "1,234 km to go · ETA Day 12 (Wed) 23:59 (18 h 45 min) via Klaipėda and Santiago"
    )
    w.route_view.layout().activate()
    assert w.minimumSizeHint().width() <= 1024
    assert w.route_dock.minimumSizeHint().width() < 400
