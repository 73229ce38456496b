"""The route view: the truck's trail on world coordinates (pyqtgraph).

SCS world coordinates: x east, z south.  The plot shows x against -z, so north is
up.  Trails come from the stored samples (the controller's RouteState), the truck's
marker and heading from the latest reading.  Curves downsample and clip to the
view, so a long session stays cheap to draw.
"""

from __future__ import annotations

import math
import os

# pyqtgraph looks for PyQt6 first; the app ships PySide6 only.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
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
from roadmaster.ui.controller import AppController

FOLLOW_SPAN_M = 4000.0  # the default view while following: about 4 km across
MIN_SPAN_M = 200.0


class RouteView(QWidget):
    """Trail, truck, source and destination; zoom/pan with the mouse, follow mode."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._revision = -1
        self.follow = True
        self._position: tuple[float, float] | None = None

        pg.setConfigOptions(antialias=True)
        self.plot = pg.PlotWidget()
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
        self.ends = pg.ScatterPlotItem(size=14, pxMode=True)
        self.plot.addItem(self.ends)
        self.source_label = pg.TextItem("", anchor=(0.5, 1.4))
        self.destination_label = pg.TextItem("", anchor=(0.5, 1.4))
        self.plot.addItem(self.source_label)
        self.plot.addItem(self.destination_label)
        self.heading = pg.PlotDataItem()
        self.plot.addItem(self.heading)
        self.truck = pg.ScatterPlotItem(size=16, pxMode=True)
        self.plot.addItem(self.truck)
        self.apply_colours()
        self.plot.getViewBox().sigRangeChangedManually.connect(self._user_moved)

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

    def apply_colours(self) -> None:
        """Plot colours from the current theme (pyqtgraph does not follow the Qt
        palette by itself)."""
        c = theme.current()
        self.plot.setBackground(c.background)
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.setPen(c.panel_edge)
            axis.setTextPen(c.dim)
        self.session_curve.setPen(pg.mkPen(c.dim, width=2))
        self.job_curve.setPen(pg.mkPen(c.accent, width=3))
        self.source_label.setColor(c.ok)
        self.destination_label.setColor(c.limit)
        self.heading.setPen(pg.mkPen(c.warn, width=3))
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
            self._centre(*self._position)

    def _user_moved(self, *_: object) -> None:
        # Panning or zooming by hand means "let me look around".
        if self.follow:
            self.set_follow(False)

    def refresh_trails(self) -> None:
        route = self.controller.route
        if route.revision == self._revision:
            return
        self._revision = route.revision
        self.session_curve.setData(route.session.xs, route.session.ys)
        self.job_curve.setData(route.job.xs, route.job.ys)
        spots = []
        c = theme.current()
        for xy, colour, label, text in (
            (route.source_xy, c.ok, self.source_label, "source"),
            (route.destination_xy, c.limit, self.destination_label, "destination"),
        ):
            if xy is None:
                self._set_label(label, "")
                continue
            spots.append({"pos": xy, "brush": pg.mkBrush(colour), "pen": pg.mkPen(c.text)})
            self._set_label(label, text)
            label.setPos(*xy)
        self.ends.setData(spots)
        job = self.controller.job_model
        if job is not None and job.has_job:
            src, _, dst = job.route.partition(" → ")
            self._set_label(self.source_label, src)
            self._set_label(self.destination_label, dst)

    @staticmethod
    def _set_label(label: pg.TextItem, text: str) -> None:
        # setText re-lays out HTML and repaints the plot: only when it changes.
        if label.toPlainText() != text:
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
        self.truck.setData([x], [y])
        # heading: fraction of a turn from north, counter-clockwise
        angle = math.pi / 2 + t.heading * 2 * math.pi
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        length = (x1 - x0) * 0.06
        self.heading.setData([x, x + length * math.cos(angle)], [y, y + length * math.sin(angle)])
        self.nav.setText(
            vm.navigation_text(frame, self.controller.units) or "No route set in the game"
        )
        if self.follow:
            self._centre(x, y)

    def _centre(self, x: float, y: float) -> None:
        box = self.plot.getViewBox()
        (x0, x1), (y0, y1) = box.viewRange()
        # Keep the user's zoom, unless it is degenerate (auto-range on one point
        # gives a span of millimetres) or absurd (the whole map before any trail).
        sane = MIN_SPAN_M < x1 - x0 < FOLLOW_SPAN_M * 50
        half_w = (x1 - x0) / 2 if sane else FOLLOW_SPAN_M / 2
        half_h = (y1 - y0) / 2 if sane else FOLLOW_SPAN_M / 2
        if not sane or not (x0 < x < x1 and y0 < y < y1) or abs((x0 + x1) / 2 - x) > half_w * 0.02:
            box.setRange(
                xRange=(x - half_w, x + half_w), yRange=(y - half_h, y + half_h), padding=0
            )

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
