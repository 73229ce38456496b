"""The Qt steps of ``roadmaster --self-test``: start Qt offscreen, render the
dashboard of a simulated reading to a PNG, and check the binding's reference
counts (:mod:`roadmaster.ui.binding_check`)."""

from __future__ import annotations

import os
from typing import Any

from roadmaster.selftest import Context, Step, check


def start_qt(ctx: Context) -> str:
    """A QApplication on the offscreen platform (no display needed)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6 import __version__ as pyside_version
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["roadmaster-self-test"])
    ctx.notes["qt_app"] = type(app).__name__
    _keep.append(app)
    return f"PySide6 {pyside_version}, platform {QApplication.platformName()}"


_keep: list[Any] = []  # the QApplication lives as long as the process


def render_dashboard(ctx: Context) -> str:
    """The dashboard of the last simulated reading, grabbed into an image."""
    from PySide6.QtWidgets import QApplication

    from roadmaster.ui import theme
    from roadmaster.ui.dashboard import DashboardView
    from roadmaster.ui.view_models import dashboard_model, units_for

    app = QApplication.instance()
    check(isinstance(app, QApplication), "Qt is not started")
    assert isinstance(app, QApplication)
    check(ctx.reading is not None and ctx.reading.frame is not None, "no reading to show")
    assert ctx.reading is not None and ctx.reading.frame is not None
    theme.apply(app, "dark", 1.0)
    view = DashboardView()
    view.resize(1000, 560)
    model = dashboard_model(ctx.reading, units_for(ctx.reading.frame.header.game))
    view.show_model(model)
    # Rendered without showing it: no window, so no platform-plugin chatter.
    view.ensurePolished()
    layout = view.layout()
    assert layout is not None  # the dashboard builds its layout in __init__
    layout.activate()
    try:
        image = view.grab().toImage()
    finally:
        view.deleteLater()
    check(not image.isNull(), "the dashboard rendered no image")
    path = ctx.tmp / "dashboard.png"
    ctx.notes["dashboard_png"] = str(path)
    check(image.save(str(path)), f"the image could not be saved as PNG ({path})")
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    check(len(colours) > 20, f"the dashboard looks blank ({len(colours)} colours)")
    check(view.paint_count() > 0, "no instrument painted")
    icon = theme.app_icon().pixmap(64, 64)
    check(not icon.isNull(), f"the app icon is missing or unreadable ({theme.RESOURCES})")
    return f"{image.width()}x{image.height()} px, speed {model.speed_text} {model.speed_unit}"


def draw_plot(ctx: Context) -> str:
    """The route map's plotting library (pyqtgraph, numpy, QtOpenGL for its curves)
    loads and draws a line."""
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    import numpy as np
    import pyqtgraph as pg

    widget = pg.PlotWidget()
    widget.resize(240, 160)
    xs = np.linspace(0.0, 10.0, 200)
    widget.plot(xs, np.sin(xs))
    try:
        image = widget.grab().toImage()
    finally:
        widget.deleteLater()
    check(not image.isNull() and image.width() == 240, "the plot rendered no image")
    return f"pyqtgraph {pg.__version__}, numpy {np.__version__}"


def binding_refcounts(ctx: Context) -> str:
    from roadmaster.ui import binding_check

    drift = binding_check.measure()
    check(
        drift.ok(),
        f"reference counts drift ({drift.describe()}): this PySide6 build corrupts the "
        "interpreter; rebuild with a binding that passes (PySide6-Essentials 6.11.3 on "
        "CPython 3.11, or CPython >= 3.12)",
    )
    return drift.describe()


# In the order they run between the core steps (the GUI entry point assembles them).
FIRST: tuple[Step, ...] = (("start Qt offscreen", start_qt),)
LAST: tuple[Step, ...] = (
    ("render the dashboard", render_dashboard),
    ("draw the route map's plot", draw_plot),
    ("binding reference counts", binding_refcounts),
)
