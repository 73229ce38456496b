"""Colours, fonts and the application style: dark (readable from a chair) or light.

The colours live here (not in each widget) so the gauges, the route plot and the
style sheet agree.  Severity levels ("ok", "warn", "error", "idle") map to colours
in one place.  Two sets exist because the status colours that read well on a dark
panel (a bright amber) vanish on a white one: the light set uses deeper tones.

The theme follows the desktop's colour scheme (``QStyleHints.colorScheme()``, Qt
6.5+) unless the user picked one under View → Theme; the choice is remembered in
the window QSettings (:data:`THEME_KEY`).  Fonts scale with the logical size of
the screen the main window is on, so a 2560×1440 monitor at 100 % scaling does not
get 1366×768-sized menus and status text (see :func:`font_scale_for`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPalette, QScreen
from PySide6.QtWidgets import QApplication, QToolTip

ThemeMode = Literal["system", "dark", "light"]
THEME_MODES: Final[tuple[ThemeMode, ...]] = ("system", "dark", "light")
THEME_KEY: Final = "view/theme"
BASE_POINT_SIZE: Final = 10.0
# Logical screen height at which fonts have their base size; above it they grow in
# proportion, up to MAX_FONT_SCALE (a 2560×1440 screen at 100 %: ×1.33).
BASE_SCREEN_HEIGHT: Final = 1080
MAX_FONT_SCALE: Final = 1.6

# From a checkout: the repository's resources/; in the frozen bundle (PyInstaller's
# sys._MEIPASS) the spec puts them beside the packages.
RESOURCES: Final = (
    Path(getattr(sys, "_MEIPASS", "")) / "resources"
    if getattr(sys, "frozen", False)
    else Path(__file__).resolve().parents[3] / "resources"
)


@dataclass(frozen=True, slots=True)
class Colours:
    """One theme's colours.  ``on_fill`` is the text on a filled pill (lit lamp,
    warning); ``bar`` the menu/status bar background; ``error_bg`` a status label
    that must be noticed."""

    name: str
    background: QColor
    panel: QColor
    panel_edge: QColor
    track: QColor
    text: QColor
    dim: QColor
    accent: QColor
    ok: QColor
    warn: QColor
    error: QColor
    cruise: QColor
    limit: QColor
    on_fill: QColor
    bar: QColor
    error_bg: QColor
    hover: QColor

    def level(self, level: str) -> QColor:
        return {"ok": self.ok, "warn": self.warn, "error": self.error}.get(level, self.dim)

    def role(self, name: str) -> QColor:
        """A colour by name ("error", "warn", "cruise" …), for widgets configured
        with a role rather than a colour so they follow a theme switch."""
        value = getattr(self, name, None)
        return value if isinstance(value, QColor) else self.accent


DARK: Final = Colours(
    name="dark",
    background=QColor("#121418"),
    panel=QColor("#1b1f26"),
    panel_edge=QColor("#2a303a"),
    track=QColor("#2c333e"),
    text=QColor("#e8ebf0"),
    dim=QColor("#8b95a3"),
    accent=QColor("#3ea6ff"),
    ok=QColor("#46d27a"),
    warn=QColor("#ffb43a"),
    error=QColor("#ff4d4f"),
    cruise=QColor("#35d0c0"),
    limit=QColor("#ff5a5f"),
    on_fill=QColor("#121418"),
    bar=QColor("#0d0f12"),
    error_bg=QColor("#3a1416"),
    hover=QColor("#343c48"),
)

# Deeper status colours: each keeps at least 4.5:1 contrast against the white panel.
LIGHT: Final = Colours(
    name="light",
    background=QColor("#eef1f5"),
    panel=QColor("#ffffff"),
    panel_edge=QColor("#c9d0da"),
    track=QColor("#dde3ea"),
    text=QColor("#141920"),
    dim=QColor("#56606e"),
    accent=QColor("#0b63c4"),
    ok=QColor("#11773a"),
    warn=QColor("#a85a00"),
    error=QColor("#c62828"),
    cruise=QColor("#00786e"),
    limit=QColor("#c62828"),
    on_fill=QColor("#ffffff"),
    bar=QColor("#e2e7ee"),
    error_bg=QColor("#fbe0e0"),
    hover=QColor("#d5dce6"),
)

_current: Colours = DARK
_scale: float = 1.0
_base_pt: float | None = None  # the desktop's own font size, before any scaling


def current() -> Colours:
    """The colours in use now (views read them at paint time, so a switch shows at
    the next repaint)."""
    return _current


def font_scale() -> float:
    return _scale


def level_colour(level: str) -> QColor:
    return _current.level(level)


def widget_colours(palette: QPalette) -> Colours:
    """The current colours with the neutral ones taken from a widget's palette, so
    painted instruments follow the palette they are shown with (a theme switch,
    or a parent that sets its own)."""
    return replace(
        _current,
        background=palette.color(QPalette.ColorRole.Window),
        panel=palette.color(QPalette.ColorRole.Base),
        panel_edge=palette.color(QPalette.ColorRole.Mid),
        text=palette.color(QPalette.ColorRole.WindowText),
        dim=palette.color(QPalette.ColorRole.PlaceholderText),
        accent=palette.color(QPalette.ColorRole.Highlight),
    )


def system_scheme() -> Literal["dark", "light"]:
    """The desktop's colour scheme; dark when it is unknown (or Qt is older than
    6.5), since dark is the house default for a dashboard read while gaming."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None and scheme() == Qt.ColorScheme.Light:
        return "light"
    return "dark"


def resolve(mode: str) -> Colours:
    if mode == "light":
        return LIGHT
    if mode == "dark":
        return DARK
    return LIGHT if system_scheme() == "light" else DARK


def saved_mode(settings: QSettings) -> ThemeMode:
    value = settings.value(THEME_KEY, "system")
    return value if value in THEME_MODES else "system"


def font_scale_for(screen: QScreen | None) -> float:
    """How much larger than the base size fonts should be on ``screen``.  Logical
    pixels already include the desktop's scaling (a 4K screen at 200 % is 1920×1080
    logical), so only screens that are large *at their scaling* get bigger text."""
    if screen is None:
        return 1.0
    height = screen.availableGeometry().height() + 40  # the task bar is not the screen
    return round(min(MAX_FONT_SCALE, max(1.0, height / BASE_SCREEN_HEIGHT)), 2)


def style_sheet(c: Colours, scale: float, base_pt: float = BASE_POINT_SIZE) -> str:
    def pt(size: float) -> str:
        return f"{size * scale:.1f}pt"

    # The base font size is in the sheet (not only QApplication.setFont): widgets a
    # sheet has polished keep the font they were polished with, so a new app font
    # alone would not reach them when the scale changes at run time.
    return f"""
QMainWindow, QDialog {{ background: {c.background.name()}; }}
QWidget {{ color: {c.text.name()}; font-size: {pt(base_pt)}; }}
QDockWidget {{ color: {c.dim.name()}; font-weight: bold; }}
QDockWidget::title {{ background: {c.panel.name()}; padding: 6px 8px; }}
QStatusBar {{ background: {c.bar.name()}; border-top: 1px solid {c.panel_edge.name()}; }}
QStatusBar QLabel {{ padding: 2px 10px; }}
QMenuBar {{ background: {c.bar.name()}; }}
QMenuBar::item {{ padding: 4px 10px; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: {c.hover.name()}; }}
QMenu {{ background: {c.panel.name()}; border: 1px solid {c.panel_edge.name()}; }}
QToolTip {{ background: {c.panel.name()}; color: {c.text.name()};
            border: 1px solid {c.panel_edge.name()}; }}
QFrame#card {{ background: {c.panel.name()}; border: 1px solid {c.panel_edge.name()};
               border-radius: 8px; }}
QLabel#title {{ font-size: {pt(15)}; font-weight: bold; }}
QLabel#dim {{ color: {c.dim.name()}; }}
QLabel#big {{ font-size: {pt(13)}; }}
QListWidget {{ background: {c.panel.name()}; border: none; }}
QPushButton {{ background: {c.track.name()}; border: 1px solid {c.panel_edge.name()};
               border-radius: 4px; padding: 4px 12px; }}
QPushButton:hover {{ background: {c.hover.name()}; }}
QPushButton:disabled {{ color: {c.dim.name()}; background: {c.panel.name()}; }}
"""


def palette_for(c: Colours) -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, c.background),
        (QPalette.ColorRole.Base, c.panel),
        (QPalette.ColorRole.AlternateBase, c.track),
        (QPalette.ColorRole.WindowText, c.text),
        (QPalette.ColorRole.Text, c.text),
        (QPalette.ColorRole.ButtonText, c.text),
        (QPalette.ColorRole.Button, c.panel),
        (QPalette.ColorRole.Mid, c.panel_edge),
        (QPalette.ColorRole.Highlight, c.accent),
        (QPalette.ColorRole.HighlightedText, c.on_fill),
        (QPalette.ColorRole.ToolTipBase, c.panel),
        (QPalette.ColorRole.ToolTipText, c.text),
        (QPalette.ColorRole.PlaceholderText, c.dim),
        (QPalette.ColorRole.Link, c.accent),
    ):
        palette.setColor(role, colour)
    return palette


def tooltip_palette(c: Colours) -> QPalette:
    """The theme's panel colours for tooltips and Qt's own notification balloons."""
    palette = palette_for(c)
    for role, colour in (
        (QPalette.ColorRole.Window, c.panel),
        (QPalette.ColorRole.WindowText, c.text),
        (QPalette.ColorRole.ToolTipBase, c.panel),
        (QPalette.ColorRole.ToolTipText, c.text),
    ):
        palette.setColor(role, colour)
    return palette


def app_icon() -> QIcon:
    path = RESOURCES / "icons" / "roadmaster.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def apply(app: QApplication, mode: str = "dark", scale: float | None = None) -> Colours:
    """Palette, style sheet and font size on the whole application; returns the
    colours now in use.  ``scale`` None keeps the current font scale."""
    global _current, _scale, _base_pt
    colours = resolve(mode)
    scale = _scale if scale is None else scale
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    _current, _scale = colours, scale
    app.setPalette(palette_for(colours))
    # Tooltips, and the balloon Qt draws itself where the desktop has no notification
    # service, take QToolTip's own palette (pale yellow): under the dark theme its
    # labels got our near-white text on it, unreadable.  Both follow the theme.
    QToolTip.setPalette(tooltip_palette(colours))
    font = QFont(app.font())
    if _base_pt is None:  # a desktop set to large text keeps it
        _base_pt = max(font.pointSizeF(), BASE_POINT_SIZE)
    font.setPointSizeF(_base_pt * scale)
    app.setFont(font)
    # After the font, so that what the new sheet polishes gets the new size too.
    app.setStyleSheet(style_sheet(colours, scale, _base_pt))
    app.setWindowIcon(app_icon())
    return colours
