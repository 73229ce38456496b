"""Small pyqtgraph helpers shared by the job detail and the analytics: a plot with
a hover read-out (the numbers under the mouse) and a PNG export."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from roadmaster.ui import theme

Describe = Callable[[int], str]  # index of the nearest point → text


class Chart(QWidget):
    """A titled plot, its hover read-out and a "PNG…" button."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)  # its export menu offers SVG, broken with this Qt
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMinimumHeight(150)
        self.readout = QLabel(" ")
        self.readout.setObjectName("dim")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading = QLabel(f"<b>{title}</b>")
        png = QPushButton("PNG…")
        png.setToolTip("Save this chart as a PNG image")
        png.clicked.connect(lambda: self.save_png())
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.readout)
        top.addWidget(png)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self.plot, 1)
        self._xs: Sequence[float] = ()
        self._describe: Describe | None = None
        self._describe_y: Callable[[float], str] | None = None
        self.plot.scene().sigMouseMoved.connect(self._moved)
        self.apply_colours()

    def apply_colours(self) -> None:
        c = theme.current()
        self.plot.setBackground(c.panel)
        for name in ("left", "bottom"):
            axis = self.plot.getPlotItem().getAxis(name)
            axis.setTextPen(c.dim)
            axis.setPen(c.panel_edge)

    def set_hover(self, xs: Sequence[float], describe: Describe) -> None:
        """Hovering at x shows ``describe(i)`` of the point nearest x (xs ascending)."""
        self._xs = xs
        self._describe = describe
        self._describe_y = None

    def set_hover_y(self, describe_y: Callable[[float], str]) -> None:
        """Hovering at height y shows ``describe_y(y)`` (horizontal bar charts)."""
        self._xs = ()
        self._describe = None
        self._describe_y = describe_y

    def hover_text_at(self, x: float) -> str:
        if not self._xs or self._describe is None:
            return ""
        i = bisect.bisect_left(self._xs, x)
        if i >= len(self._xs) or (i > 0 and x - self._xs[i - 1] < self._xs[i] - x):
            i -= 1
        return self._describe(max(0, i))

    def _moved(self, pos: QPointF) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        if not self.plot.sceneBoundingRect().contains(pos):
            return
        point = vb.mapSceneToView(pos)
        if self._describe_y is not None:
            self.readout.setText(self._describe_y(point.y()) or " ")
        else:
            self.readout.setText(self.hover_text_at(point.x()) or " ")

    def save_png(self, path: str | None = None) -> Path | None:
        if path is None:
            name = self.title.lower().replace(" ", "-").replace("/", "-")
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the chart", f"{name}.png", "PNG (*.png)"
            )
            if not path:
                return None
        from pyqtgraph.exporters import ImageExporter

        exporter = ImageExporter(self.plot.getPlotItem())
        exporter.parameters()["width"] = max(800, self.plot.width())
        exporter.export(path)
        return Path(path)


def pen(colour: str, width: float = 1.5, dashed: bool = False) -> object:
    style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
    return pg.mkPen(colour, width=width, style=style)
