"""Does this Qt binding keep Python's reference counts straight?

PySide6 6.12.0 on CPython 3.11 lowers ``None``'s reference count by one on every
call Qt makes into a Python override (even an empty ``paintEvent``); a live
dashboard repaints often enough that the interpreter aborts with
``Fatal Python error: none_dealloc`` within minutes.  The check: repaint a real
widget whose ``paintEvent`` is Python a couple of thousand times and see whether the
counts of ``None``, ``True`` and ``False`` drift.  On CPython >= 3.12 these objects are
immortal and their counts never move, so the check passes there by construction.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

REPAINTS = 2000
# Unrelated code (the garbage collector, Qt's own bookkeeping) may move a count by a
# few; the broken binding moves None's by one per repaint.
TOLERANCE = 50


class _Painted(QWidget):
    def __init__(self, on_paint: Callable[[], None] | None) -> None:
        super().__init__()
        self.paints = 0
        self._on_paint = on_paint
        self.resize(48, 48)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self.paints += 1
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(40, 120, 200))
        painter.end()
        if self._on_paint is not None:
            self._on_paint()


@dataclass(frozen=True)
class Drift:
    repaints: int
    by_name: dict[str, int]  # "None" / "True" / "False" -> count after - before

    @property
    def worst(self) -> int:
        return max(abs(d) for d in self.by_name.values())

    def ok(self, tolerance: int = TOLERANCE) -> bool:
        return self.worst <= tolerance

    def describe(self) -> str:
        parts = ", ".join(f"{name} {d:+d}" for name, d in self.by_name.items())
        return f"{self.repaints} repaints: {parts}"


def _counts() -> dict[str, int]:
    return {
        "None": sys.getrefcount(None),
        "True": sys.getrefcount(True),
        "False": sys.getrefcount(False),
    }


def measure(repaints: int = REPAINTS, on_paint: Callable[[], None] | None = None) -> Drift:
    """Repaint a widget ``repaints`` times (synchronously) and return how far
    the counts moved.  Needs a QApplication.  ``on_paint`` runs inside every
    ``paintEvent`` (tests use it to hold references and prove the check sees it)."""
    if QApplication.instance() is None:
        raise RuntimeError("the binding check needs a QApplication")
    widget = _Painted(on_paint)
    target = QPixmap(widget.size())
    try:
        # render() calls paintEvent synchronously, shown or not, with no event loop.
        widget.render(target)  # the first paint sets up caches
        before = _counts()
        for _ in range(repaints):
            widget.render(target)
        after = _counts()
        done = widget.paints - 1
    finally:
        widget.deleteLater()
    if done < repaints:
        raise RuntimeError(f"only {done} of {repaints} repaints reached paintEvent")
    return Drift(repaints, {name: after[name] - before[name] for name in before})
