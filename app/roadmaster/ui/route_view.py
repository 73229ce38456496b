"""The route view: the truck's trail on world coordinates (pyqtgraph).

SCS world coordinates: x east, z south.  The plot shows x against -z, so north is
up.  Trails come from the stored samples (the controller's RouteState), the truck's
marker and heading from the latest reading.  Curves downsample and clip to the
view, so a long session stays cheap to draw.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

# pyqtgraph looks for PyQt6 first; the app ships PySide6 only.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QPainterPath, QPen, QShowEvent
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from roadmaster.telemetry.status import Reading
from roadmaster.ui import theme
from roadmaster.ui import view_models as vm
from roadmaster.ui.controller import AppController, Trail

FOLLOW_SPAN_M = 4000.0  # the default view while following: about 4 km across
MIN_SPAN_M = 200.0
# Following, the view re-centres only when the truck leaves the middle of the view
# (this share of its width and height): a range change repaints the whole plot, axes
# and grid included, so moving it every reading cost more than the rest of the map.
DEADBAND_SHARE = 0.6
# New trail points drawn by the trail's small tail curve before the whole trail is
# set again (one sample a second: about a minute).
TAIL_POINTS = 60
# The heading arrow is redrawn only when its tip would move by this many pixels.
HEADING_STEP_PX = 1.0
# The truck marker moves only when it would move by this many pixels: every move
# repaints the plot under both places (the trail's whole path is drawn, clipped), and
# at 10 readings a second the truck covers a pixel every few readings.
MARKER_STEP_PX = 2.0


class _Tail:
    """The newest points of a trail as a plain path item: setting a few dozen points
    on a pyqtgraph curve went through its dataset, bounds and downsampling machinery
    (milliseconds a call); a path of short lines costs microseconds."""

    def __init__(self) -> None:
        self.item = QGraphicsPathItem()
        self.points: list[tuple[float, float]] = []

    def setData(self, xs: Sequence[float], ys: Sequence[float]) -> None:  # noqa: N802 (as pyqtgraph's)
        self.points = list(zip(xs, ys, strict=True))
        path = QPainterPath()
        if self.points:
            path.moveTo(*self.points[0])
            for x, y in self.points[1:]:
                path.lineTo(x, y)
        self.item.setPath(path)

    def setPen(self, pen: QPen) -> None:  # noqa: N802
        self.item.setPen(pen)


class RouteView(QWidget):
    """Trail, truck, source and destination; zoom/pan with the mouse, follow mode."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._revision = -1
        self.follow = True
        self._position: tuple[float, float] | None = None
        self._ends_key: object = None  # what the end markers show (skip equal setData)
        self._heading_key: tuple[float, float] | None = None
        self._marker_at: tuple[float, float] | None = None  # where the truck is drawn
        # counts for tests (what a hidden or still map must not do)
        self.trail_updates = 0
        self.range_changes = 0
        self.marker_moves = 0

        pg.setConfigOptions(antialias=True)
        self.plot = pg.PlotWidget()
        # pyqtgraph's own items antialias by the config above; the plain Qt items
        # (the trails' tails, the heading arrow) follow the view's hint.
        self.plot.setAntialiasing(True)
        self.plot.setAspectLocked(True)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self._axis_unit = ""
        self.apply_units(self.controller.units)
        self.plot.hideButtons()
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        # Never zoom below 100 m (an empty plot would otherwise show millimetres), and
        # start on a city-sized view until the first position arrives.
        item.getViewBox().setLimits(minXRange=100, minYRange=100)
        self.plot.setRange(xRange=(-1000, 1000), yRange=(-1000, 1000), padding=0)
        self.session_curve = pg.PlotDataItem()
        self.job_curve = pg.PlotDataItem()
        for curve in (self.session_curve, self.job_curve):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.plot.addItem(curve)
        # The newest points of each trail, drawn by a small curve of their own: a new
        # sample then repaints a few pixels, not the whole trail (and the plot under
        # it); the whole trail is set again every TAIL_POINTS points.
        self.session_tail = _Tail()
        self.job_tail = _Tail()
        for tail in (self.session_tail, self.job_tail):
            self.plot.addItem(tail.item)
        self._trail_set: dict[str, tuple[object, int]] = {}
        self.ends = pg.ScatterPlotItem(size=14, pxMode=True)
        self.plot.addItem(self.ends)
        self.source_label = pg.TextItem("", anchor=(0.5, 1.4))
        self.destination_label = pg.TextItem("", anchor=(0.5, 1.4))
        self.plot.addItem(self.source_label)
        self.plot.addItem(self.destination_label)
        # The truck and its heading are drawn once at the origin and moved with
        # setPos: a new position costs no setData (no new bounds, no re-layout).
        # A plain line item: moving a pyqtgraph curve with setPos made it recompute its
        # display data as if the view had changed (most of a position update's cost).
        self.heading = QGraphicsLineItem()
        self.heading.setVisible(False)
        self.plot.addItem(self.heading)
        self.truck = pg.ScatterPlotItem(size=16, pxMode=True)
        self.truck.setData([0.0], [0.0])
        self.truck.setVisible(False)
        self.plot.addItem(self.truck)
        self.apply_colours()
        self.plot.getViewBox().sigRangeChangedManually.connect(self._user_moved)
        # The truck marker moving repaints a few pixels of the map; without a cache
        # every item under them (the axes, which draw the grid across the whole plot,
        # and the trails) replays its whole drawing, in Python, clipped to those pixels.
        # Cached, they are copied from a pixmap until the view or the trail changes.
        for item in self.cached_items():
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

        self.nav = QLabel("No route set in the game")
        self.nav.setObjectName("big")
        # Wraps rather than widening the dock: a long "… to go · ETA …" line made the
        # window wider than a 1024-pixel screen.
        self.nav.setWordWrap(True)
        self.nav.setMinimumWidth(120)
        self.nav.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.follow_button = QPushButton("Follow truck")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the truck in the middle (F)")
        self.follow_button.toggled.connect(self.set_follow)
        fit = QPushButton("Whole job")
        fit.setToolTip("Zoom to the current job's trail")
        fit.clicked.connect(self.fit_job)
        top = QHBoxLayout()
        top.addWidget(self.nav, 1)
        top.addWidget(fit)
        top.addWidget(self.follow_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        controller.position_changed.connect(self.show_position)

    def cached_items(self) -> tuple[QGraphicsItem, ...]:
        """The items drawn from a pixmap cache between changes of their own."""
        axes = tuple(self.plot.getAxis(side) for side in ("left", "bottom"))
        return (*axes, self.session_curve.curve, self.job_curve.curve)

    def apply_colours(self) -> None:
        """Plot colours from the current theme (pyqtgraph does not follow the Qt
        palette by itself)."""
        c = theme.current()
        self.plot.setBackground(c.background)
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.setPen(c.panel_edge)
            axis.setTextPen(c.dim)
        for curve in (self.session_curve, self.session_tail):
            curve.setPen(pg.mkPen(c.dim, width=2))
        for curve in (self.job_curve, self.job_tail):
            curve.setPen(pg.mkPen(c.accent, width=3))
        self.source_label.setColor(c.ok)
        self.destination_label.setColor(c.limit)
        self.heading.setPen(pg.mkPen(c.warn, width=3))  # cosmetic: 3 px at any zoom
        self.truck.setBrush(pg.mkBrush(c.warn))
        self.truck.setPen(pg.mkPen(c.background))
        self._revision = -1  # the end markers are drawn in theme colours too
        self.refresh_trails()

    # --- visibility --------------------------------------------------------------------

    def seen(self) -> bool:
        """Shown in a window that is not minimised (a view built into a window
        started minimised is "visible" to Qt, but nobody can see it)."""
        return self.isVisible() and not self.window().isMinimized()

    def sync_active(self) -> None:
        """Tell the controller whether the map is seen (also called by the main
        window when it is minimised or restored)."""
        active = self.seen()
        if active != self.controller.is_view_active("route"):
            self.controller.set_view_active("route", active)
            if active:
                self.refresh_trails()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.sync_active()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.controller.set_view_active("route", False)

    # --- updates -----------------------------------------------------------------------

    def set_follow(self, on: bool) -> None:
        self.follow = on
        if self.follow_button.isChecked() != on:
            self.follow_button.setChecked(on)
        if on and self._position is not None:
            self._centre(*self._position, force=True)

    def _user_moved(self, *_: object) -> None:
        # Panning or zooming by hand means "let me look around".
        if self.follow:
            self.set_follow(False)

    def refresh_trails(self) -> None:
        """Trails, end markers and their labels from the controller's RouteState:
        only what changed (the ends and labels change once per job, the trails with
        every stored sample)."""
        route = self.controller.route
        if route.revision == self._revision:
            return
        self._revision = route.revision
        self.trail_updates += 1
        self._draw_trail("session", route.session, self.session_curve, self.session_tail)
        self._draw_trail("job", route.job, self.job_curve, self.job_tail)
        c = theme.current()
        ends = (route.source_xy, route.destination_xy, c)
        if ends != self._ends_key:
            self._ends_key = ends
            spots = []
            for xy, colour in ((route.source_xy, c.ok), (route.destination_xy, c.limit)):
                if xy is not None:
                    spots.append({"pos": xy, "brush": pg.mkBrush(colour), "pen": pg.mkPen(c.text)})
            self.ends.setData(spots)
            for xy, label in (
                (route.source_xy, self.source_label),
                (route.destination_xy, self.destination_label),
            ):
                if xy is not None:
                    label.setPos(*xy)
        texts = ["source" if route.source_xy else "", "destination" if route.destination_xy else ""]
        job = self.controller.job_model
        if job is not None and job.has_job:
            src, _, dst = job.route.partition(" → ")
            texts = [src if route.source_xy else "", dst if route.destination_xy else ""]
        self._set_label(self.source_label, texts[0])
        self._set_label(self.destination_label, texts[1])

    def _draw_trail(self, key: str, trail: Trail, curve: pg.PlotDataItem, tail: _Tail) -> None:
        xs, ys = trail.xs, trail.ys
        n = len(xs)
        shown_xs, shown_n = self._trail_set.get(key, (None, 0))
        if xs is not shown_xs or shown_n == 0 or n < shown_n or n - shown_n > TAIL_POINTS:
            # new or thinned arrays, a cleared trail, or a long tail: all at once
            curve.setData(xs, ys)
            tail.setData([], [])
            self._trail_set[key] = (xs, n)
        elif n > shown_n:
            # the tail starts at the last point of the whole curve: no gap
            tail.setData(xs[shown_n - 1 :], ys[shown_n - 1 :])

    def trail_points(self, key: str = "session") -> list[tuple[float, float]]:
        """The points drawn for a trail ("session" or "job"), whole curve and tail
        together (for tests: what the player sees)."""
        curve, tail = (
            (self.session_curve, self.session_tail)
            if key == "session"
            else (self.job_curve, self.job_tail)
        )
        points: list[tuple[float, float]] = []
        if curve.xData is not None and curve.yData is not None:
            points.extend(zip(curve.xData.tolist(), curve.yData.tolist(), strict=True))
        points.extend(tail.points)
        # the tail repeats the curve's last point
        return list(dict.fromkeys(points))

    @staticmethod
    def _set_label(label: pg.TextItem, text: str) -> None:
        # setText re-lays out HTML and repaints the plot: only when it changes (the
        # text is remembered here: asking the item for it is a Qt call per reading).
        if getattr(label, "_shown_text", None) != text:
            label._shown_text = text
            label.setText(text)

    def apply_units(self, system) -> None:
        """Axis ticks in the player's distance unit (miles on an imperial map)."""
        unit, metres = vm.map_axis_unit(system)
        if unit == self._axis_unit:
            return
        self._axis_unit = unit
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.enableAutoSIPrefix(False)  # "kmi" otherwise; the unit is chosen here
            axis.setScale(1.0 / metres)
            axis.setLabel(units=unit)

    def axis_unit(self) -> str:
        return self._axis_unit

    def show_position(self, reading: Reading) -> None:
        """A new reading while visible: move the truck, its heading and the view."""
        frame = reading.frame
        if frame is None or not self.seen():
            return
        self.apply_units(self.controller.units)
        self.refresh_trails()
        t = frame.truck
        x, y = t.x_m, -t.z_m
        self._position = (x, y)
        if self.follow:
            self._centre(x, y)
        box = self.plot.getViewBox()
        px_w, px_h = box.viewPixelSize()
        px = px_w or 1.0
        at = self._marker_at
        if (
            at is None
            or not self.truck.isVisible()
            or math.hypot((x - at[0]) / px, (y - at[1]) / (px_h or 1.0)) >= MARKER_STEP_PX
        ):
            self._marker_at = (x, y)
            self.marker_moves += 1
            self.truck.setPos(x, y)
            self.heading.setPos(x, y)
            self.truck.setVisible(True)
            self.heading.setVisible(True)
        # heading: fraction of a turn from north, counter-clockwise; drawn from the
        # origin and moved with the truck, redrawn only when its tip moves visibly
        angle = math.pi / 2 + t.heading * 2 * math.pi
        (x0, x1), _ = box.viewRange()
        length = (x1 - x0) * 0.06
        tip = (length * math.cos(angle), length * math.sin(angle))
        old = self._heading_key
        if old is None or math.hypot(tip[0] - old[0], tip[1] - old[1]) >= HEADING_STEP_PX * px:
            self._heading_key = tip
            self.heading.setLine(0.0, 0.0, tip[0], tip[1])
        nav = vm.navigation_text(frame, self.controller.units)
        self._set_nav(nav or "No route set in the game")

    def _set_nav(self, text: str) -> None:
        if self.nav.text() != text:
            self.nav.setText(text)

    def _centre(self, x: float, y: float, *, force: bool = False) -> None:
        """Keep the truck in view: re-centre on it only when it leaves the middle
        of the view (:data:`DEADBAND_SHARE`), or when ``force``d (follow switched on)."""
        box = self.plot.getViewBox()
        (x0, x1), (y0, y1) = box.viewRange()
        # Keep the user's zoom, unless it is degenerate (auto-range on one point
        # gives a span of millimetres) or absurd (the whole map before any trail).
        sane = MIN_SPAN_M < x1 - x0 < FOLLOW_SPAN_M * 50
        half_w = (x1 - x0) / 2 if sane else FOLLOW_SPAN_M / 2
        half_h = (y1 - y0) / 2 if sane else FOLLOW_SPAN_M / 2
        inside = (
            abs((x0 + x1) / 2 - x) <= half_w * DEADBAND_SHARE
            and abs((y0 + y1) / 2 - y) <= half_h * DEADBAND_SHARE
        )
        if sane and inside and not force:
            return
        self.range_changes += 1
        box.setRange(xRange=(x - half_w, x + half_w), yRange=(y - half_h, y + half_h), padding=0)
        # a new zoom may change the heading's length
        self._heading_key = None

    def fit_job(self) -> None:
        route = self.controller.route
        trail = route.job if len(route.job.xs) > 1 else route.session
        if len(trail.xs) < 2:
            return
        self.set_follow(False)
        self.plot.getViewBox().setRange(
            xRange=(min(trail.xs), max(trail.xs)), yRange=(min(trail.ys), max(trail.ys))
        )

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_F:
            self.set_follow(not self.follow)
            return
        super().keyPressEvent(event)
