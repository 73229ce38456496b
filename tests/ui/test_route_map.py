"""The route map does only the work a player can see: it follows the truck without
moving the view for every reading, and does nothing while its dock is hidden.
Real widgets offscreen; what is counted is updates of the plot, never time."""

from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtWidgets import QApplication, QGraphicsItem, QLabel, QTabWidget

from roadmaster.ui.controller import AppController, AppOptions
from roadmaster.ui.route_view import DEADBAND_SHARE, MARKER_STEP_PX, TAIL_POINTS, RouteView
from tests.factories import make_sample
from tests.ui.frames import EndlessSource, reading


def _flush() -> None:
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def _at(x_m: float, y_m: float):
    """A driving reading with the truck at plot position (x, y) (y is north = -z)."""
    return reading(
        **{
            "truck_dp.coordinateX": x_m,
            "truck_dp.coordinateZ": -y_m,
        }
    )


def _samples(controller: AppController, xs: range) -> None:
    """Stored samples arrive (as the capture thread's commits do, via the bridge)."""
    controller.bridge.events_committed.emit(tuple(make_sample(float(x), None) for x in xs))


def _map(qtbot) -> tuple[AppController, QTabWidget, RouteView]:
    controller = AppController(AppOptions(source_factory=EndlessSource, data_dir=None))
    tabs = QTabWidget()  # the route dock tabbed with another one, as in a short window
    qtbot.addWidget(tabs)
    view = RouteView(controller)
    tabs.addTab(view, "Route")
    tabs.addTab(QLabel("job"), "Job")
    tabs.resize(700, 500)
    tabs.show()
    qtbot.waitExposed(tabs)
    _flush()
    return controller, tabs, view


def test_the_map_follows_the_truck_without_moving_while_it_stays_in_the_middle(qtbot):
    _controller, _tabs, view = _map(qtbot)
    view.show_position(_at(0.0, 0.0))
    box = view.plot.getViewBox()
    (x0, x1), (y0, y1) = box.viewRange()
    assert x0 < 0.0 < x1 and y0 < 0.0 < y1
    half = (x1 - x0) / 2
    changes = view.range_changes
    # driving east inside the middle of the view: the truck moves, the view does not
    steps = [half * DEADBAND_SHARE * k / 10 for k in range(1, 10)]
    for x in steps:
        view.show_position(_at(x, 0.0))
        _flush()
    assert view.range_changes == changes
    assert box.viewRange()[0] == [x0, x1]
    assert view.truck.pos().x() == steps[-1]  # the marker did move
    # leaving the middle: the view re-centres on the truck once, keeping the zoom
    far = half * (DEADBAND_SHARE + 0.1)
    view.show_position(_at(far, 0.0))
    assert view.range_changes == changes + 1
    (nx0, nx1), _ = box.viewRange()
    assert abs((nx0 + nx1) / 2 - far) < 1.0 and abs((nx1 - nx0) - (x1 - x0)) < 1.0


def test_following_switched_back_on_centres_on_the_truck_at_once(qtbot):
    _controller, _tabs, view = _map(qtbot)
    view.show_position(_at(0.0, 0.0))
    view.set_follow(False)
    (x0, x1), _ = view.plot.getViewBox().viewRange()
    x = (x1 - x0) * 0.2  # inside the middle, but not in the centre
    view.show_position(_at(x, 0.0))
    view.set_follow(True)
    (nx0, nx1), _ = view.plot.getViewBox().viewRange()
    assert abs((nx0 + nx1) / 2 - x) < 1.0


def test_a_hidden_map_draws_nothing_and_catches_up_when_shown(qtbot):
    controller, tabs, view = _map(qtbot)
    controller.set_view_active("route", view.seen())
    _samples(controller, range(0, 10))
    view.show_position(_at(9.0, 0.0))
    assert len(view.trail_points()) == 10
    tabs.setCurrentIndex(1)  # the player looks at the job tab: the map is hidden
    _flush()
    assert not controller.is_view_active("route")
    updates, ranges = view.trail_updates, view.range_changes
    seen: list[object] = []
    controller.position_changed.connect(seen.append)
    for start in range(10, 100, 10):  # a minute and a half of driving
        _samples(controller, range(start, start + 10))
        controller.tick()
    assert seen == []  # no reading reaches the hidden map
    assert (view.trail_updates, view.range_changes) == (updates, ranges)
    assert len(view.trail_points()) == 10
    tabs.setCurrentIndex(0)  # shown again: the whole trail at once
    _flush()
    assert controller.is_view_active("route")
    assert view.trail_updates == updates + 1
    assert len(view.trail_points()) == 100


def test_end_markers_and_labels_are_set_once_not_per_sample(qtbot):
    controller, _tabs, view = _map(qtbot)
    controller.route.source_xy = (0.0, 0.0)
    controller.route.destination_xy = (5000.0, 0.0)
    calls: list[object] = []
    view.ends.sigPlotChanged.connect(calls.append)
    for start in range(0, 50, 10):
        _samples(controller, range(start, start + 10))
        view.show_position(_at(float(start), 0.0))
    assert len(view.trail_points()) == 50  # the trail followed every sample
    assert len(calls) == 1  # the markers were drawn once
    assert view.source_label.toPlainText() == "source"
    assert view.destination_label.toPlainText() == "destination"


def test_new_samples_draw_a_short_tail_not_the_whole_trail_again(qtbot):
    controller, _tabs, view = _map(qtbot)
    _samples(controller, range(0, 500))  # a long session already
    view.show_position(_at(499.0, 0.0))
    whole: list[object] = []
    view.session_curve.sigPlotChanged.connect(whole.append)
    for start in range(500, 530, 2):  # a sample a second, the map every two
        _samples(controller, range(start, start + 2))
        view.show_position(_at(float(start + 1), 0.0))
    assert whole == []  # the 500-point curve was not set again
    assert len(view.session_tail.points) == 31  # the new points, joined to the curve
    assert view.session_tail.item.path().elementCount() == 31  # and drawn
    assert [x for x, _ in view.trail_points()] == [float(x) for x in range(530)]


def test_the_truck_marker_moves_only_by_whole_steps_of_pixels(qtbot):
    """A reading that moves the truck by less than MARKER_STEP_PX pixels repaints
    nothing; the marker is never more than that behind the truck."""
    _controller, _tabs, view = _map(qtbot)
    view.show_position(_at(0.0, 0.0))
    _flush()
    px = view.plot.getViewBox().viewPixelSize()[0]
    moves = view.marker_moves
    creep = [px * MARKER_STEP_PX * k / 5 for k in range(1, 5)]  # under the step each time
    for x in creep:
        view.show_position(_at(x, 0.0))
    assert view.marker_moves == moves and view.truck.pos().x() == 0.0
    view.show_position(_at(px * MARKER_STEP_PX, 0.0))  # a whole step from where it is drawn
    assert view.marker_moves == moves + 1
    assert view.truck.pos().x() == px * MARKER_STEP_PX
    assert view.heading.pos().x() == view.truck.pos().x()  # the arrow goes with it


def test_the_cached_map_looks_exactly_as_drawn_afresh(qtbot):
    """The axes (with the grid) and the trails are drawn from pixmap caches between
    their own changes, so that a moving marker repaints a few pixels cheaply.  After
    marker moves, new samples, the whole trail set again and a re-centre, the map
    must look exactly as it does with no cache at all."""
    controller, _tabs, view = _map(qtbot)

    def drive(ts: range) -> tuple[float, float]:
        events = tuple(
            replace(make_sample(float(t), None), x_m=t * 20.0, z_m=-300.0 * math.sin(t / 20))
            for t in ts
        )
        controller.bridge.events_committed.emit(events)
        last = events[-1]
        return last.x_m, -last.z_m

    x, y = drive(range(0, 100))
    view.show_position(_at(x, y))
    _flush()
    px = view.plot.getViewBox().viewPixelSize()[0]
    for k in range(1, 8):  # the marker creeps: partial repaints over the caches
        view.show_position(_at(x + k * MARKER_STEP_PX * px, y))
        _flush()
    changes = view.range_changes
    x, y = drive(range(100, 100 + TAIL_POINTS + 40))  # the whole trail is set again
    view.show_position(_at(x, y))
    _flush()
    assert view.range_changes > changes  # the truck left the middle: re-centred
    cached = view.plot.viewport().grab().toImage()
    for item in view.cached_items():
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    fresh = view.plot.viewport().grab().toImage()
    assert cached == fresh
