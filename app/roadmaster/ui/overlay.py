"""The overlay: a small always-on-top window beside the game (never injected into it).

Frameless, translucent, on top of the game, showing speed against the limit, gear,
fuel and range, distance and ETA to the destination, the deadline and one warning
line.  It can be dragged and resized; its position and size live in ``QSettings``,
its opacity and items in the user's settings.  In click-through mode the window is
transparent for input (``Qt.WindowTransparentForInput``) so clicks reach the game;
since it then cannot be clicked, it is switched back from the tray or with
:data:`CLICK_THROUGH_SHORTCUT` (an application shortcut: it works while a RoadMaster
window has focus; there is no system-wide hot key).

Painting is pulled, never pushed: a QTimer at ``settings.overlay.refresh_hz``
(10–30 Hz) asks the host for the latest Reading while the window is visible, and
repaints only when the reading or the computed text changed.  While hidden, no
timer paints; a 1 Hz check runs only while the overlay is wanted but hidden because
the game is not running, to bring it back when the game starts.

What is shown is computed by :func:`roadmaster.ui.view_models.overlay.overlay_view`
(the dashboard's helpers: same speeding rule, range and ETA words); the widget
only paints it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QByteArray, QPoint, QRect, QRectF, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QRegion,
)
from PySide6.QtWidgets import QMenu, QSizeGrip, QWidget

from roadmaster.settings import OVERLAY_ITEMS, OverlayItem, OverlaySettings, Settings
from roadmaster.telemetry.status import GameState, Reading
from roadmaster.ui.painting import copy_region
from roadmaster.ui.view_models.overlay import OverlayView, overlay_preview, overlay_view

CLICK_THROUGH_SHORTCUT = "Ctrl+Shift+O"
GEOMETRY_KEY = "overlay/geometry"
BASE_WIDTH = 300  # the layout's design width; fonts scale with the window's width
OPACITY_CHOICES = (1.0, 0.85, 0.7, 0.55, 0.4)
# The text changes at most this often, whatever the refresh rate (which is how often
# a new reading is looked for): a speed that changes ten times a second only
# flickers, and every repaint of a translucent window costs the player's CPU.
MIN_VIEW_INTERVAL_S = 0.2
ITEM_LABELS: dict[OverlayItem, str] = {
    "speed": "Speed and limit",
    "gear": "Gear",
    "fuel": "Fuel and range",
    "route": "Distance and ETA",
    "deadline": "Deadline",
    "warning": "Warnings",
}


class OverlayHost(Protocol):
    """What the overlay needs from the application (part A's AppController).

    ``latest_reading()`` is called on the GUI thread at the refresh rate: it must be
    a cheap mailbox read (``Capture.latest``), never I/O.  ``settings`` is read on
    every tick, so replacing it (after the settings dialog) takes effect at once.
    When the user changes an overlay option on the overlay itself (opacity, items,
    click-through) the overlay assigns ``host.settings.overlay`` and emits
    :attr:`Overlay.options_changed`; the host persists the settings then.
    """

    settings: Settings

    def latest_reading(self) -> Reading | None: ...

    # Optional (probed): ``measured_l_per_km() -> float | None``, the consumption the
    # dashboard's range uses, so that both show the same range.


# --- what is shown (pure) ------------------------------------------------------------------


def displayed(view: OverlayView, items: list[OverlayItem]) -> tuple[object, ...]:
    """The parts of ``view`` that :func:`paint_view` draws with ``items`` shown."""
    shown = set(items)
    return (
        view.live,
        (view.speed, view.speed_unit, view.limit, view.speeding, view.imperial_sign)
        if "speed" in shown
        else None,
        view.gear if "gear" in shown else None,
        view.fuel if "fuel" in shown else None,
        view.route if "route" in shown else None,
        (view.deadline, view.late) if "deadline" in shown else None,
        (view.warning, view.critical) if "warning" in shown else None,
    )


def displayed_rows(view: OverlayView, items: list[OverlayItem]) -> dict[str, object]:
    """What each row of :func:`paint_view` draws: "top" (speed, limit and gear) and
    one per text line shown; a row whose part is unchanged need not be repainted."""
    shown = set(items)
    rows: dict[str, object] = {}
    if "speed" in shown or "gear" in shown:
        rows["top"] = (
            view.live,
            (view.speed, view.speed_unit, view.limit, view.speeding, view.imperial_sign)
            if "speed" in shown
            else None,
            view.gear if "gear" in shown else None,
        )
    for key, text, part in _line_parts(view, items):
        rows[key] = (view.live, text, part)
    return rows


def _line_parts(view: OverlayView, items: list[OverlayItem]) -> list[tuple[str, str, object]]:
    """The text lines shown, in order: (row key, text, what colours it)."""
    lines: list[tuple[str, str, object]] = []
    if "fuel" in items and view.fuel:
        lines.append(("fuel", view.fuel, None))
    if "route" in items and view.route:
        lines.append(("route", view.route, None))
    if "deadline" in items and view.deadline:
        lines.append(("deadline", view.deadline, view.late))
    if "warning" in items and view.warning:
        lines.append(("warning", view.warning, view.critical))
    return lines


# --- the window ----------------------------------------------------------------------


class Overlay(QWidget):
    """The overlay window.  ``Overlay(host)``; show it with :meth:`set_wanted`."""

    # The overlay settings after the user changed them on the overlay (persist them).
    options_changed = Signal(object)
    # True/False when click-through was switched (for the tray's check mark).
    click_through_changed = Signal(bool)

    def __init__(
        self,
        host: OverlayHost,
        qsettings: QSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(None)
        self._host = host
        self._clock = clock
        self._view_at = -MIN_VIEW_INTERVAL_S  # when the shown text was last computed
        self._buffer: QImage | None = None  # the rows drawn opaque (see paintEvent)
        self._qsettings = qsettings if qsettings is not None else QSettings()
        self._wanted = False
        self._preview = False  # sample figures shown to place it before driving
        self._last_reading: Reading | None = None
        self._view = OverlayView()
        self.paint_count = 0  # for tests and the benchmark: paints actually done
        self.setWindowTitle("RoadMaster overlay")
        # Tool: no taskbar entry; DoesNotAcceptFocus: never steals focus from the game.
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowDoesNotAcceptFocus
        )
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        # The overlay alone must never keep the application alive.
        self.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self.setMinimumSize(180, 60)
        self._grip = QSizeGrip(self)
        self._grip.resize(14, 14)
        self._drag_offset: QPoint | None = None

        self._paint_timer = QTimer(self)
        self._paint_timer.timeout.connect(self._tick)
        self._watch_timer = QTimer(self)
        self._watch_timer.setInterval(1000)
        self._watch_timer.timeout.connect(self._watch)

        self.click_through_action = QAction("Overlay click-through", self)
        self.click_through_action.setCheckable(True)
        self.click_through_action.setShortcut(QKeySequence(CLICK_THROUGH_SHORTCUT))
        self.click_through_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.click_through_action.toggled.connect(self.set_click_through)
        self.addAction(self.click_through_action)

        self._restore_geometry()
        self._apply_click_through(self._options.click_through)

    # --- public API -----------------------------------------------------------------

    @property
    def _options(self) -> OverlaySettings:
        return self._host.settings.overlay

    def is_wanted(self) -> bool:
        """The user wants the overlay (it may still be hidden: game not running)."""
        return self._wanted

    def set_wanted(self, wanted: bool) -> None:
        self._wanted = wanted
        if not wanted:
            self._preview = False
            self._watch_timer.stop()
            self.hide()
            return
        self._show_or_wait(self._host.latest_reading())

    def show_preview(self) -> None:
        """Show sample figures until a live reading arrives."""
        self._preview = True
        self._watch_timer.stop()
        self._view = overlay_preview(self._host.settings)
        self._last_reading = None
        self.show()
        self.update()

    def previewing(self) -> bool:
        return self._preview

    def toggle(self) -> None:
        """Show/hide (the tray's "Show/hide overlay", View → Overlay).  Shown by the
        player while no game runs, it shows sample figures so that it can be placed
        and sized now, not only once driving (the game's figures replace them)."""
        self.set_wanted(not self._wanted)
        if self._wanted and not self.isVisible():
            self.show_preview()

    def click_through(self) -> bool:
        return bool(self.windowFlags() & Qt.WindowType.WindowTransparentForInput)

    def set_click_through(self, enabled: bool) -> None:
        if enabled == self.click_through() and enabled == self._options.click_through:
            return
        self._apply_click_through(enabled)
        self._change_options(click_through=enabled)
        self.click_through_changed.emit(enabled)

    def toggle_click_through(self) -> None:
        self.set_click_through(not self.click_through())

    def set_opacity(self, opacity: float) -> None:
        self._change_options(opacity=opacity)
        self.update()

    def set_item_shown(self, item: OverlayItem, shown: bool) -> None:
        items = set(self._options.items)
        items.add(item) if shown else items.discard(item)
        self._change_options(items=[i for i in OVERLAY_ITEMS if i in items])
        self.update()

    def view(self) -> OverlayView:
        """What is currently shown."""
        return self._view

    def refresh(self) -> None:
        """Pull the latest reading now (as a timer tick does)."""
        self._tick()

    # --- visibility and timers --------------------------------------------------------

    def _should_hide(self, reading: Reading | None) -> bool:
        if self._preview:
            return False
        if not self._options.hide_when_game_not_running:
            return False
        return reading is None or reading.state is GameState.NOT_RUNNING

    def _show_or_wait(self, reading: Reading | None) -> None:
        if self._should_hide(reading):
            self.hide()
            self._watch_timer.start()
        else:
            self._watch_timer.stop()
            self._update_view(reading)
            self.show()

    def _watch(self) -> None:
        if self._wanted and not self.isVisible():
            self._show_or_wait(self._host.latest_reading())
        else:
            self._watch_timer.stop()

    def _tick(self) -> None:
        reading = self._host.latest_reading()
        if self._preview:
            if (
                reading is None
                or reading.frame is None
                or reading.state
                not in (
                    GameState.DRIVING,
                    GameState.MENU,
                )
            ):
                return  # keep the sample figures until the game is there
            self._preview = False
        if self._should_hide(reading):
            self._show_or_wait(reading)
            return
        hz = self._options.refresh_hz
        if self._paint_timer.interval() != 1000 // hz:
            self._paint_timer.setInterval(1000 // hz)
        if reading is self._last_reading:
            return  # nothing new: no repaint
        now = self._clock()
        if now - self._view_at < MIN_VIEW_INTERVAL_S:
            return  # a later tick shows the newest reading
        self._view_at = now
        self._update_view(reading)

    def _update_view(self, reading: Reading | None) -> None:
        self._last_reading = reading
        measured = getattr(self._host, "measured_l_per_km", None)
        view = overlay_view(reading, self._host.settings, measured() if measured else None)
        if view == self._view:
            return
        items = self._options.items
        # Only what is drawn counts: a new ETA behind a hidden "route" line must not
        # cost a repaint, and a new speed repaints the top row only.
        old, new = displayed_rows(self._view, items), displayed_rows(view, items)
        self._view = view
        if old == new:
            return
        if list(old) != list(new):
            self.update()  # a line came or went: the lines below it move
            return
        rects = _row_rects(QRectF(self.rect()), view, items)
        region = QRegion()
        for key in new:
            if new[key] != old[key]:
                region += rects[key].toAlignedRect()
        self.update(region)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._paint_timer.start(1000 // self._options.refresh_hz)
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802
        # Not painting while hidden is the point: stop the timer, and remember
        # where the window was.
        self._paint_timer.stop()
        self._save_geometry()
        super().hideEvent(event)

    def timer_active(self) -> bool:
        return self._paint_timer.isActive()

    # --- options ----------------------------------------------------------------------

    def _change_options(self, **changes: object) -> None:
        new = self._options.model_copy(update=changes)
        # model_copy does not validate: re-validate so a bad value never reaches the file.
        new = OverlaySettings.model_validate(new.model_dump())
        self._host.settings.overlay = new
        self.options_changed.emit(new)

    def _apply_click_through(self, enabled: bool) -> None:
        visible = self.isVisible()
        # Changing window flags re-creates the native window and hides it.
        self.setWindowFlag(Qt.WindowType.WindowTransparentForInput, enabled)
        self._grip.setVisible(not enabled)
        # Without blocking, the action's toggled signal would re-enter set_click_through.
        blocked = self.click_through_action.blockSignals(True)
        self.click_through_action.setChecked(enabled)
        self.click_through_action.blockSignals(blocked)
        if visible:
            self.show()

    # --- geometry ---------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        data = self._qsettings.value(GEOMETRY_KEY)
        restored = isinstance(data, QByteArray | bytes) and self.restoreGeometry(QByteArray(data))
        if restored and self._on_a_screen(self.frameGeometry()):
            return
        # First run, or the monitor it was on is gone: top right of the primary screen.
        self.resize(BASE_WIDTH, 176)
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            self.move(area.right() - self.width() - 40, area.top() + 80)

    @staticmethod
    def _on_a_screen(rect: QRect) -> bool:
        return any(s.availableGeometry().intersects(rect) for s in QGuiApplication.screens())

    def _save_geometry(self) -> None:
        self._qsettings.setValue(GEOMETRY_KEY, self.saveGeometry())

    def resizeEvent(self, event) -> None:  # noqa: N802
        self._grip.move(self.width() - self._grip.width(), self.height() - self._grip.height())
        super().resizeEvent(event)

    # --- dragging and the menu --------------------------------------------------------

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            handle = self.windowHandle()
            # A system move works on Wayland too, where windows cannot place themselves.
            if handle is not None and handle.startSystemMove():
                self._drag_offset = None
            else:
                self._drag_offset = event.globalPosition().toPoint() - self.pos()
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._drag_offset is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.move(event.globalPosition().toPoint() - self._drag_offset)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._drag_offset = None
        self._save_geometry()
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        self.build_menu().exec(event.globalPos())

    def build_menu(self) -> QMenu:
        """The right-click menu: opacity, items, click-through, hide."""
        menu = QMenu(self)
        opacity = menu.addMenu("Opacity")
        group = QActionGroup(opacity)
        for value in OPACITY_CHOICES:
            action = opacity.addAction(f"{round(value * 100)} %")
            action.setCheckable(True)
            action.setChecked(abs(value - self._options.opacity) < 0.01)
            action.triggered.connect(lambda _=False, v=value: self.set_opacity(v))
            group.addAction(action)
        items = menu.addMenu("Show")
        for item in OVERLAY_ITEMS:
            action = items.addAction(ITEM_LABELS[item])
            action.setCheckable(True)
            action.setChecked(item in self._options.items)
            action.toggled.connect(lambda on, i=item: self.set_item_shown(i, on))
        click = menu.addAction(f"Click-through (undo from the tray or {CLICK_THROUGH_SHORTCUT})")
        click.triggered.connect(lambda: self.set_click_through(True))
        menu.addSeparator()
        menu.addAction("Hide overlay").triggered.connect(lambda: self.set_wanted(False))
        return menu

    # --- painting ---------------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802
        self.paint_count += 1
        region = event.region()
        opacity = self._options.opacity
        painter = QPainter(self)
        if opacity >= 1.0:
            self._paint(painter, region)
        else:
            # Every shape and glyph drawn at a reduced opacity cost twice what it costs
            # opaque: the rows are drawn opaque into a buffer and copied at the
            # opacity (which also fades the overlay as one piece, text and panel alike).
            buffer = self._opaque_buffer()
            inner = QPainter(buffer)
            inner.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
            for r in region:  # (PySide6 iterates a QRegion)
                inner.fillRect(r, Qt.GlobalColor.transparent)
            inner.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            inner.setClipRegion(region)
            self._paint(inner, region)
            inner.end()
            painter.setOpacity(opacity)
            copy_region(painter, region, buffer)
        painter.end()

    def _paint(self, painter: QPainter, region: QRegion) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        paint_view(painter, QRectF(self.rect()), self._view, self._options.items, region)

    def _opaque_buffer(self) -> QImage:
        ratio = self.devicePixelRatioF()
        size = self.size() * ratio
        buffer = self._buffer
        if buffer is None or buffer.size() != size or buffer.devicePixelRatio() != ratio:
            buffer = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
            buffer.setDevicePixelRatio(ratio)
            buffer.fill(Qt.GlobalColor.transparent)
            self._buffer = buffer
        return buffer


_BG = QColor(18, 22, 28, 215)
_TEXT = QColor(236, 240, 244)
_DIM = QColor(150, 160, 172)
_RED = QColor(235, 64, 52)
_AMBER = QColor(255, 184, 48)


def _font(px: float, bold: bool = False) -> QFont:
    return _font_px(max(6, round(px)), bold)


@functools.lru_cache(maxsize=64)
def _font_px(px: int, bold: bool) -> QFont:
    # shared per size (callers never modify it): building fonts was part of every paint
    font = QFont()
    font.setPixelSize(px)
    font.setBold(bold)
    return font


def _row_rects(rect: QRectF, view: OverlayView, items: list[OverlayItem]) -> dict[str, QRectF]:
    """Where each row of :func:`paint_view` is drawn (with a margin for the limit
    sign's ring and antialiased glyphs), by the keys of :func:`displayed_rows`."""
    s = rect.width() / BASE_WIDTH
    pad = 12 * s
    y = rect.top() + pad * 0.8
    rows: dict[str, QRectF] = {}
    if "speed" in items or "gear" in items:
        row_h = 54 * s
        rows["top"] = QRectF(rect.left(), y - 7 * s, rect.width(), row_h + 10 * s)
        y += row_h + 4 * s
    line_h = 22 * s
    for key, _text, _part in _line_parts(view, items):
        rows[key] = QRectF(rect.left(), y - 3 * s, rect.width(), line_h + 6 * s)
        y += line_h
    return rows


def paint_view(
    painter: QPainter,
    rect: QRectF,
    view: OverlayView,
    items: list[OverlayItem],
    region: QRegion | None = None,
) -> None:
    """Paint ``view`` into ``rect`` (scaled with the width); with ``region``, only
    the rows that reach into it (the painter clips to it anyway)."""
    s = rect.width() / BASE_WIDTH
    radius = 10 * s
    path = QPainterPath()
    path.addRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
    painter.fillPath(path, _BG)
    pad = 12 * s
    x, y, w = rect.left() + pad, rect.top() + pad * 0.8, rect.width() - 2 * pad
    figures = _TEXT if view.live else _DIM
    wanted = _row_rects(rect, view, items)

    def seen(key: str) -> bool:
        return region is None or region.intersects(wanted[key].toAlignedRect())

    if ("speed" in items or "gear" in items) and not seen("top"):
        y += 58 * s
    elif "speed" in items or "gear" in items:
        row_h = 54 * s
        right = x + w
        if "gear" in items and view.gear:
            box = QRectF(right - 44 * s, y + 4 * s, 44 * s, row_h - 8 * s)
            painter.setPen(QPen(_DIM, 1.5 * s))
            painter.drawRoundedRect(box, 6 * s, 6 * s)
            painter.setPen(figures)
            painter.setFont(_font(26 * s, bold=True))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, view.gear)
            right = box.left() - 10 * s
        if "speed" in items:
            if view.limit:
                _paint_limit(painter, QRectF(right - row_h, y, row_h, row_h), view, s)
            painter.setPen(_RED if view.speeding else figures)
            painter.setFont(_font(44 * s, bold=True))
            speed_rect = QRectF(x, y - 4 * s, w, row_h + 4 * s)
            painter.drawText(
                speed_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, view.speed
            )
            advance = painter.fontMetrics().horizontalAdvance(view.speed)
            painter.setPen(_DIM)
            painter.setFont(_font(15 * s))
            painter.drawText(
                QRectF(x + advance + 6 * s, y + 8 * s, 60 * s, row_h - 12 * s),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                view.speed_unit,
            )
        y += row_h + 4 * s

    line_h = 22 * s
    for key, text, part in _line_parts(view, items):
        if key == "warning":
            color = _RED if part else _AMBER
        elif key == "deadline":
            color = _AMBER if part else figures
        else:
            color = figures
        if y + line_h > rect.bottom() + 2 * s:
            break  # the user made the window too small for every line: drop the rest
        if not seen(key):
            y += line_h
            continue
        painter.setPen(color)
        painter.setFont(_font(15 * s, bold=color in (_RED, _AMBER)))
        elided = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, round(w))
        painter.drawText(
            QRectF(x, y, w, line_h),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            elided,
        )
        y += line_h


def _paint_limit(painter: QPainter, box: QRectF, view: OverlayView, s: float) -> None:
    """A speed-limit sign: the red-ringed disc of Europe, or the white US plate."""
    if view.imperial_sign:
        plate = box.adjusted(8 * s, 0, -8 * s, 0)
        painter.setPen(QPen(QColor(20, 20, 20), 2 * s))
        painter.setBrush(QColor(250, 250, 250))
        painter.drawRoundedRect(plate, 4 * s, 4 * s)
        painter.setPen(QColor(20, 20, 20))
        painter.setFont(_font(7 * s, bold=True))
        painter.drawText(
            plate.adjusted(0, 3 * s, 0, 0),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            "SPEED\nLIMIT",
        )
        painter.setFont(_font(19 * s, bold=True))
        painter.drawText(
            plate.adjusted(0, 0, 0, -3 * s),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
            view.limit,
        )
        return
    disc = box.adjusted(3 * s, 3 * s, -3 * s, -3 * s)
    painter.setPen(QPen(_RED, 5 * s))
    painter.setBrush(QColor(250, 250, 250))
    painter.drawEllipse(disc)
    painter.setPen(QColor(20, 20, 20))
    painter.setFont(_font(18 * s if len(view.limit) < 3 else 15 * s, bold=True))
    painter.drawText(disc, Qt.AlignmentFlag.AlignCenter, view.limit)
