"""Painting helpers shared by the widgets that repaint only part of themselves."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter, QPixmap, QRegion


def copy_region(painter: QPainter, region: QRegion, source: QImage | QPixmap) -> None:
    """Copy the rectangles of ``region`` from ``source`` (drawn at the widget's size,
    at its own device pixel ratio) to the same place under ``painter``."""
    ratio = source.devicePixelRatio()
    for r in region:  # type: ignore[attr-defined]  # (PySide6 iterates a QRegion)
        part = QRectF(r.x() * ratio, r.y() * ratio, r.width() * ratio, r.height() * ratio)
        if isinstance(source, QImage):
            painter.drawImage(QRectF(r), source, part)
        else:
            painter.drawPixmap(QRectF(r), source, part)
