"""Colours and the application style: a dark theme readable from a chair.

The palette lives here (not in each widget) so the gauges, the route plot and the
style sheet agree.  Severity levels ("ok", "warn", "error", "idle") map to colours
in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND: Final = QColor("#121418")
PANEL: Final = QColor("#1b1f26")
PANEL_EDGE: Final = QColor("#2a303a")
TRACK: Final = QColor("#2c333e")
TEXT: Final = QColor("#e8ebf0")
DIM: Final = QColor("#8b95a3")
ACCENT: Final = QColor("#3ea6ff")
OK: Final = QColor("#46d27a")
WARN: Final = QColor("#ffb43a")
ERROR: Final = QColor("#ff4d4f")
CRUISE: Final = QColor("#35d0c0")
LIMIT: Final = QColor("#ff5a5f")

LEVEL_COLOURS: Final = {"ok": OK, "warn": WARN, "error": ERROR, "idle": DIM}

RESOURCES: Final = Path(__file__).resolve().parents[3] / "resources"

STYLE: Final = """
QMainWindow, QDialog { background: #121418; }
QWidget { color: #e8ebf0; }
QDockWidget { color: #8b95a3; font-weight: bold; }
QDockWidget::title { background: #1b1f26; padding: 6px 8px; }
QStatusBar { background: #0d0f12; border-top: 1px solid #2a303a; }
QStatusBar QLabel { padding: 2px 10px; }
QMenuBar { background: #0d0f12; }
QMenuBar::item:selected, QMenu::item:selected { background: #2a303a; }
QMenu { background: #1b1f26; border: 1px solid #2a303a; }
QToolTip { background: #1b1f26; color: #e8ebf0; border: 1px solid #2a303a; }
QFrame#card { background: #1b1f26; border: 1px solid #2a303a; border-radius: 8px; }
QLabel#title { font-size: 15pt; font-weight: bold; }
QLabel#dim { color: #8b95a3; }
QLabel#big { font-size: 13pt; }
QListWidget { background: #1b1f26; border: none; }
QPushButton { background: #2a303a; border: 1px solid #3a4250; border-radius: 4px;
              padding: 4px 12px; }
QPushButton:hover { background: #343c48; }
"""


def level_colour(level: str) -> QColor:
    return LEVEL_COLOURS.get(level, DIM)


def app_icon() -> QIcon:
    path = RESOURCES / "icons" / "roadmaster.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def apply(app: QApplication) -> None:
    """The dark palette and style sheet, on the whole application."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, BACKGROUND),
        (QPalette.ColorRole.Base, PANEL),
        (QPalette.ColorRole.AlternateBase, PANEL_EDGE),
        (QPalette.ColorRole.WindowText, TEXT),
        (QPalette.ColorRole.Text, TEXT),
        (QPalette.ColorRole.ButtonText, TEXT),
        (QPalette.ColorRole.Button, PANEL),
        (QPalette.ColorRole.Highlight, ACCENT),
        (QPalette.ColorRole.HighlightedText, BACKGROUND),
        (QPalette.ColorRole.ToolTipBase, PANEL),
        (QPalette.ColorRole.ToolTipText, TEXT),
        (QPalette.ColorRole.PlaceholderText, DIM),
    ):
        palette.setColor(role, colour)
    app.setPalette(palette)
    app.setStyleSheet(STYLE)
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    app.setWindowIcon(app_icon())
