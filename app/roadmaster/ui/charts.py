"""Small pyqtgraph helpers shared by the job detail and the analytics: a plot with
a hover read-out (the numbers under the mouse), a PNG export, and axes whose
numbers a player reads at a glance ("€1.4M", "900 km", "9 h") instead of
pyqtgraph's "1.4e+06"."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from roadmaster.ui import theme
from roadmaster.units import Currency

Describe = Callable[[int], str]  # index of the nearest point → text
TickFormat = Callable[[float, float], str]  # (value, spacing between ticks) → text

_SUFFIXES = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def compact_number(value: float, spacing: float = 0.0) -> str:
    """ "1.4M", "900k", "12", "0.5": a tick's number, shortened by its own size,
    with as many decimals as the ticks' ``spacing`` needs (none where 0)."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else ""
    size = abs(value)
    divisor, suffix = next(((d, x) for d, x in _SUFFIXES if size >= d * 0.9995), (1.0, ""))
    step = abs(spacing) / divisor
    # the fewest decimals that tell the ticks apart: 0.25 → 2, 2.5 → 1, 200 → 0
    decimals = next((d for d in range(4) if abs(step * 10**d - round(step * 10**d)) < 1e-6), 3)
    if not spacing and divisor > 1:
        decimals = 1  # a lone value (a hover): "1.4M", not "1M"
    text = f"{size / divisor:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("-" if value < 0 else "") + text + suffix


def money_ticks(currency: Currency) -> TickFormat:
    """ "€1.4M", "-€200k", "€0"."""

    def fmt(value: float, spacing: float) -> str:
        text = compact_number(value, spacing)
        sign = "-" if text.startswith("-") else ""
        return f"{sign}{currency.symbol}{text.lstrip('-')}"

    return fmt


def unit_ticks(unit: str) -> TickFormat:
    """ "900 km", "9 h", "4 %": the number and its unit."""
    return lambda value, spacing: f"{compact_number(value, spacing)} {unit}"


class ValueAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph has no stubs
    """An axis whose tick strings come from a :data:`TickFormat`."""

    def __init__(self, orientation: str, fmt: TickFormat, **kw: object) -> None:
        super().__init__(orientation, **kw)
        self.fmt = fmt
        self.enableAutoSIPrefix(False)  # our formats shorten the numbers themselves

    def set_format(self, fmt: TickFormat) -> None:
        self.fmt = fmt
        self.picture = None  # pyqtgraph caches the drawn ticks
        self.update()

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return [self.fmt(v * scale, spacing * scale) for v in values]


class PageViewBox(pg.ViewBox):  # type: ignore[misc]  # pyqtgraph has no stubs
    """A plot's view on a scrolling page: the wheel scrolls the page, Ctrl+wheel
    zooms (a plain wheel over a chart would zoom it instead of scrolling on)."""

    def wheelEvent(self, ev, axis=None):  # noqa: N802 (Qt's name)
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
        else:
            ev.ignore()


class Chart(QWidget):
    """A titled plot, its hover read-out and a "PNG…" button.  ``on_page``: the
    chart sits on a scrolling page (the wheel scrolls, Ctrl+wheel zooms)."""

    def __init__(self, title: str, parent: QWidget | None = None, *, on_page: bool = False) -> None:
        super().__init__(parent)
        self.title = title
        self.plot = pg.PlotWidget(viewBox=PageViewBox()) if on_page else pg.PlotWidget()
        self.plot.setMenuEnabled(False)  # its export menu offers SVG, broken with this Qt
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMinimumHeight(150)
        # The read-out has a line of its own under the title: beside it, a long hover
        # text would widen the chart past a narrow page.  Ignored width: it never
        # asks for room, it shows what fits (the full text is in its tooltip).
        self.readout = QLabel(" ")
        self.readout.setObjectName("dim")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        heading = QLabel(f"<b>{title}</b>")
        heading.setWordWrap(True)  # a long title wraps rather than widen the page
        self.png_button = png = QPushButton("PNG…")
        png.setToolTip("Save this chart as a PNG image")
        png.clicked.connect(lambda: self.save_png())
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(png, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(top)
        column.addWidget(self.readout)
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
            # the axis title ("km/h", "l") in the ticks' colour: pyqtgraph's default
            # is dark grey, unreadable on the dark theme (setLabel keeps this style)
            axis.labelStyle = {"color": c.dim.name()}
            axis.enableAutoSIPrefix(False)  # no "minutes (x0.001)": our labels say the unit
            axis.setLabel(axis.labelText)
            axis.showLabel(bool(axis.labelText))

    def format_axis(self, name: str, fmt: TickFormat) -> ValueAxis:
        """Tick strings of axis ``name`` ("left", "bottom") through ``fmt``."""
        axis = ValueAxis(name, fmt)
        self.plot.setAxisItems({name: axis})
        self.apply_colours()
        return axis

    def keep_min_span(self, values: Sequence[float], span: float) -> None:
        """Show at least ``span`` of y around ``values`` (a few litres' change is not
        blown up to the plot's height, nor its axis to "223.85, 223.90")."""
        finite = [v for v in values if math.isfinite(v)]
        if not finite:
            return
        low, high = min(finite), max(finite)
        if high - low < span:
            middle = (low + high) / 2
            self.plot.setYRange(middle - span / 2, middle + span / 2, padding=0.05)
        else:
            self.plot.enableAutoRange(axis="y")  # a range set for an earlier job

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
            text = self._describe_y(point.y())
        else:
            text = self.hover_text_at(point.x())
        self.readout.setText(text or " ")
        self.readout.setToolTip(text)

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
