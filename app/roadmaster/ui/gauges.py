"""Painted instruments: dials, bars, lamps, the gear box and the warning strip.

Each widget shows what it is given (views lay out, the controller decides) and
repaints only when what it shows changed.  Dials cache their static face (arc,
ticks, numbers) in a pixmap per size, so a frame paints one pixmap, a needle and
a number.  A dial is opaque (its face carries the card's colour), so a repaint
does not make Qt repaint the card beneath it.

A needle is redrawn only when its tip would move by a visible amount
(:data:`NEEDLE_STEP_PX`) or its text changed: the small steps of 10 Hz telemetry
are drawn at once, one paint per reading at most; only a big jump (a unit change,
the first reading) eases on a ~30 Hz timer, which stops as soon as the needle has
arrived; jumps that keep coming (a fast feed) are drawn at once, at the feed's
rate.  ``paint_count`` lets tests count paints (none while hidden, none for an
unchanged reading).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QRegion,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from roadmaster.ui import theme
from roadmaster.ui.painting import copy_region
from roadmaster.ui.ticks import TICKS

EASE_INTERVAL_MS = 33
EASE_FACTOR = 0.45  # share of the remaining distance covered per frame
# A jump larger than this share of the scale eases; smaller steps are drawn at once.
EASE_JUMP_SHARE = 0.04
# A needle move smaller than this at the needle's tip is not worth a repaint (a
# slow, steady change then moves the needle in 1.5-pixel steps at 5-10 Hz).
NEEDLE_STEP_PX = 1.5
# The number under the needle changes at most this often (a truck's own display is
# no faster; at the telemetry's 10 Hz the last digit only flickers); the newest one
# is always shown, at most this late.
TEXT_INTERVAL_S = 0.2
TEXT_GRACE_S = 0.15
# Big jumps one after another (a fast feed, a replay) are drawn at once, not eased:
# the ~30 Hz animation would then run all the time.
EASE_QUIET_S = 1.0
START_DEG = 225.0  # dial sweep: from lower left, clockwise, to lower right
SWEEP_DEG = 270.0
LAMP_REFERENCE_TEXT = "ENGINE BRAKE"


def _around(rect: QRectF) -> QRect:
    """``rect`` in whole pixels with a margin (antialiased glyphs reach past it)."""
    return rect.toAlignedRect().adjusted(-4, -4, 4, 4)


def _font(px: float, bold: bool = False) -> QFont:
    """A shared font per pixel size (a paint needs several; building them was a
    visible share of a paint).  Callers must not modify it: copy with ``QFont(f)``."""
    return _font_px(max(6, int(px)), bold)


@functools.lru_cache(maxsize=128)
def _font_px(px: int, bold: bool) -> QFont:
    font = QFont()
    font.setPixelSize(px)
    font.setBold(bold)
    return font


class Instrument(QWidget):
    """Common parts: paint counting, a transparent background, and colours taken
    from the widget's palette at paint time (so a light/dark switch shows at the
    repaint Qt does on a palette change).

    Size changes come through :meth:`fit_to_font`.  (The theme-switch crashes once
    blamed on ``changeEvent`` were PySide6 6.12.0 on CPython 3.11 dropping a
    reference to None on *every* override call; pyproject keeps that binding out.)"""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paint_count = 0
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self._colours: tuple[tuple[int, int], theme.Colours] | None = None

    def _count(self) -> None:
        self.paint_count += 1

    def colours(self) -> theme.Colours:
        # Rebuilt only when the palette or the theme changed, not on every paint.
        palette = self.palette()
        key = (palette.cacheKey(), id(theme.current()))
        if self._colours is None or self._colours[0] != key:
            self._colours = (key, theme.widget_colours(palette))
        return self._colours[1]

    def _fill_card(self, p: QPainter, c: theme.Colours) -> None:
        """Paint the card's colour under an opaque instrument.  The dials, bars and
        the damage panel sit inside a card (whose background is the palette's Base):
        painting it themselves spares Qt repainting the card, the dashboard and the
        window beneath them at every change."""
        p.fillRect(self.rect(), c.panel)

    def fit_to_font(self) -> None:
        """The font scale changed (theme.font_scale): re-fit sizes that follow it."""
        _font_px.cache_clear()  # fonts follow the application's font
        self.updateGeometry()


class DialGauge(Instrument):
    """A round dial: needle, big number in the middle, unit below, optional red
    zone from ``red_from`` and markers for a limit (red tick) and a set speed (teal
    triangle)."""

    def __init__(
        self,
        title: str,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.title = title
        self._clock = clock
        self.maximum = 100.0
        self.major_step = 20.0
        self.red_from: float | None = None
        self.value = 0.0  # the target (what the truck reports)
        self.shown = 0.0  # where the needle is drawn (eases towards value)
        self.value_text = "–"
        self.unit = ""
        self.caption = ""  # small line under the unit ("limit 80")
        self.limit: float | None = None
        self.cruise: float | None = None
        self.alarm = False  # number drawn in the alarm colour (speeding)
        self._face: QPixmap | None = None
        self._face_key: tuple[object, ...] = ()
        self._ease = QTimer(self)
        self._ease.setInterval(EASE_INTERVAL_MS)
        self._ease.timeout.connect(TICKS.wrap("gauge.ease", self._step))
        self._eased_at = -EASE_QUIET_S  # when the last big jump came
        self._text_at = -TEXT_INTERVAL_S  # when the number last changed
        self._pending_text: str | None = None
        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.timeout.connect(TICKS.wrap("gauge.text", self._show_pending_text))
        # Small enough for a 1024×600 window (the dials take what the screen gives).
        self.setMinimumSize(150, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # The face fills the whole widget in the card's colour (the palette's Base,
        # which the theme gives the cards): Qt need not repaint the card beneath.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(300, 300)

    def caption_alarm(self) -> bool:
        """Whether the caption ("limit 80") is drawn as a warning (red)."""
        return bool(self.caption) and self.alarm

    def set_scale(self, maximum: float, major_step: float, red_from: float | None = None) -> None:
        if (maximum, major_step, red_from) != (self.maximum, self.major_step, self.red_from):
            self.maximum, self.major_step, self.red_from = maximum, major_step, red_from
            self._face = None
            self.update()

    def set_reading(
        self,
        value: float,
        text: str,
        unit: str,
        *,
        caption: str = "",
        limit: float | None = None,
        cruise: float | None = None,
        alarm: bool = False,
    ) -> None:
        static = (unit, caption, limit, cruise, alarm)
        if static != (self.unit, self.caption, self.limit, self.cruise, self.alarm):
            self.unit, self.caption = unit, caption
            self.limit, self.cruise, self.alarm = limit, cruise, alarm
            self._set_text(text)
            self.update()
        elif text != (self.value_text if self._pending_text is None else self._pending_text):
            now = self._clock()
            wait = TEXT_INTERVAL_S - (now - self._text_at)
            if wait <= 0:
                self._set_text(text)
                self.update(self._number_rect())  # only the number changed
            else:
                # Shown with a later reading's repaint (one repaint, not two); the
                # timer only when no reading comes in time (the feed stopped).
                self._pending_text = text
                if not self._text_timer.isActive():
                    self._text_timer.start(max(1, math.ceil((wait + TEXT_GRACE_S) * 1000)))
        elif self._pending_text is not None and self._clock() - self._text_at >= TEXT_INTERVAL_S:
            self._show_pending_text()
        self.value = max(0.0, min(value, self.maximum * 1.05))
        if not self.isVisible():
            self.shown = self.value  # nothing to animate on a hidden dial
            return
        if self._ease.isActive():
            return  # the running ease heads for the new value
        gap = abs(self.value - self.shown)
        if gap > self.maximum * EASE_JUMP_SHARE:
            now = self._clock()
            quiet = now - self._eased_at >= EASE_QUIET_S
            self._eased_at = now
            if quiet:
                self._ease.start()
                return
        if self._visible_move(gap):
            self._move_needle(self.value)

    def _set_text(self, text: str) -> None:
        self._pending_text = None
        self._text_timer.stop()
        if text != self.value_text:
            self.value_text = text
            self._text_at = self._clock()

    def _show_pending_text(self) -> None:
        if self._pending_text is not None:
            self._set_text(self._pending_text)
            self.update(self._number_rect())

    def _move_needle(self, to: float) -> None:
        """Draw the needle at ``to``: only the part of the dial that changes (the
        needle's old and new places and the arc between them) is repainted."""
        if to == self.shown:
            return
        region = self._needle_region(self.shown, to)
        self.shown = to
        self.update(region)

    def _number_rect(self) -> QRect:
        centre, radius = self._geometry()
        rect = QRectF(centre.x() - radius, centre.y() - radius * 0.32, 2 * radius, radius * 0.5)
        return _around(rect)

    def _needle_region(self, a: float, b: float) -> QRegion:
        """The pixels that differ between the needle (and the filled arc) at ``a``
        and at ``b``: the two needles' boxes and the box of the arc between them."""
        centre, radius = self._geometry()
        width = max(4.0, radius * 0.07)
        pen = max(3.0, radius * 0.03)
        region = QRegion()
        for v in (a, b):
            ang = self._angle(v)
            c, s_ = math.cos(ang), math.sin(ang)
            r0, r1 = radius * 0.5, radius - width * 1.4
            x0, y0 = centre.x() + r0 * c, centre.y() - r0 * s_
            x1, y1 = centre.x() + r1 * c, centre.y() - r1 * s_
            box = QRectF(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))
            m = pen / 2 + 2
            region += box.adjusted(-m, -m, m, m).toAlignedRect()
        # the filled arc between the two values (drawn with a flat cap on a circle
        # of radius - width / 2, ``width`` wide)
        lo, hi = sorted((a, b))
        ra = radius - width / 2
        steps = max(2, math.ceil(abs(self._angle(lo) - self._angle(hi)) / math.radians(10)))
        xs, ys = [], []
        for i in range(steps + 1):
            ang = self._angle(lo + (hi - lo) * i / steps)
            xs.append(centre.x() + ra * math.cos(ang))
            ys.append(centre.y() - ra * math.sin(ang))
        m = width / 2 + 3
        region += QRectF(
            min(xs) - m, min(ys) - m, max(xs) - min(xs) + 2 * m, max(ys) - min(ys) + 2 * m
        ).toAlignedRect()
        return region

    def _visible_move(self, gap: float) -> bool:
        """Would moving the needle by ``gap`` (in scale units) show?"""
        if self.maximum <= 0:
            return False
        radius = min(self.width(), self.height()) * 0.45
        return radius * math.radians(SWEEP_DEG * gap / self.maximum) >= NEEDLE_STEP_PX

    def easing(self) -> bool:
        """The needle animation runs (tests: it stops once the needle has arrived)."""
        return self._ease.isActive()

    def _step(self) -> None:
        to = self.shown + (self.value - self.shown) * EASE_FACTOR
        if not self.isVisible() or not self._visible_move(abs(self.value - to)):
            to = self.value
            self._ease.stop()
        self._move_needle(to)

    def _angle(self, value: float) -> float:
        share = 0.0 if self.maximum <= 0 else min(max(value / self.maximum, 0.0), 1.05)
        return math.radians(START_DEG - SWEEP_DEG * share)

    def _geometry(self) -> tuple[QPointF, float]:
        side = min(self.width(), self.height())
        return QPointF(self.width() / 2, self.height() / 2 + side * 0.03), side * 0.45

    def _build_face(self) -> QPixmap:
        ratio = self.devicePixelRatioF()
        pix = QPixmap(int(self.width() * ratio), int(self.height() * ratio))
        pix.setDevicePixelRatio(ratio)
        c = self.colours()
        pix.fill(c.panel)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        centre, radius = self._geometry()
        rect = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
        width = max(4.0, radius * 0.07)
        inner = rect.adjusted(width / 2, width / 2, -width / 2, -width / 2)
        p.setPen(QPen(c.track, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        p.drawArc(inner, int(START_DEG * 16), int(-SWEEP_DEG * 16))
        if self.red_from is not None and self.maximum > 0:
            start = START_DEG - SWEEP_DEG * self.red_from / self.maximum
            span = SWEEP_DEG * (1 - self.red_from / self.maximum)
            p.setPen(QPen(c.error, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
            p.drawArc(inner, int(start * 16), int(-span * 16))
        # ticks and numbers
        p.setFont(_font(radius * 0.11))
        minor = self.major_step / 2
        steps = round(self.maximum / minor)
        for i in range(steps + 1):
            v = i * minor
            a = self._angle(v)
            major = i % 2 == 0
            r0 = radius - width * (2.2 if major else 1.6)
            r1 = radius - width * 1.05
            p.setPen(QPen(c.text if major else c.dim, 2.0 if major else 1.0))
            p.drawLine(
                QPointF(centre.x() + r0 * math.cos(a), centre.y() - r0 * math.sin(a)),
                QPointF(centre.x() + r1 * math.cos(a), centre.y() - r1 * math.sin(a)),
            )
            if major:
                rt = radius - width * 3.6
                label = f"{v / 1000:g}" if self.maximum >= 1000 else f"{v:g}"
                box = QRectF(
                    centre.x() + rt * math.cos(a) - radius * 0.2,
                    centre.y() - rt * math.sin(a) - radius * 0.08,
                    radius * 0.4,
                    radius * 0.16,
                )
                p.setPen(c.dim)
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        p.setPen(c.dim)
        p.setFont(_font(radius * 0.1, bold=True))
        title = QRectF(centre.x() - radius, centre.y() + radius * 0.62, 2 * radius, radius * 0.2)
        p.drawText(title, Qt.AlignmentFlag.AlignCenter, self.title.upper())
        p.end()
        return pix

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        self._face = None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self._count()
        # The palette's key: the cached face was drawn in the colours of one theme.
        key = (
            self.width(),
            self.height(),
            self.devicePixelRatioF(),
            self.maximum,
            self.red_from,
            self.title,
            self.palette().cacheKey(),
        )
        if self._face is None or key != self._face_key:
            self._face, self._face_key = self._build_face(), key
        p = QPainter(self)
        c = self.colours()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Only the parts asked for (a moving needle repaints a small region): the
        # face is copied rect by rect, and texts outside the region are not drawn.
        region = event.region()
        copy_region(p, region, self._face)
        centre, radius = self._geometry()
        width = max(4.0, radius * 0.07)
        inner = QRectF(
            centre.x() - radius + width / 2,
            centre.y() - radius + width / 2,
            2 * radius - width,
            2 * radius - width,
        )
        # the filled part of the arc, up to the needle
        share = min(max(self.shown / self.maximum, 0.0), 1.0) if self.maximum else 0.0
        colour = c.error if self.alarm else c.accent
        p.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        p.drawArc(inner, int(START_DEG * 16), int(-SWEEP_DEG * share * 16))
        if self.limit is not None:
            self._marker(p, centre, radius, width, self.limit, c.limit, tick=True)
        if self.cruise is not None:
            self._marker(p, centre, radius, width, self.cruise, c.cruise, tick=False)
        # needle
        a = self._angle(self.shown)
        tip = QPointF(
            centre.x() + (radius - width * 1.4) * math.cos(a),
            centre.y() - (radius - width * 1.4) * math.sin(a),
        )
        base = QPointF(
            centre.x() + radius * 0.5 * math.cos(a), centre.y() - radius * 0.5 * math.sin(a)
        )
        p.setPen(
            QPen(colour, max(3.0, radius * 0.03), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        )
        p.drawLine(base, tip)
        # the number: the biggest thing on the dial
        number = QRectF(centre.x() - radius, centre.y() - radius * 0.32, 2 * radius, radius * 0.5)
        if region.intersects(_around(number)):
            p.setPen(c.error if self.alarm else c.text)
            p.setFont(_font(radius * 0.42, bold=True))
            p.drawText(number, Qt.AlignmentFlag.AlignCenter, self.value_text)
        unit = QRectF(centre.x() - radius, centre.y() + radius * 0.17, 2 * radius, radius * 0.18)
        if region.intersects(_around(unit)):
            p.setPen(c.dim)
            p.setFont(_font(radius * 0.13))
            p.drawText(unit, Qt.AlignmentFlag.AlignCenter, self.unit)
        cap = QRectF(centre.x() - radius, centre.y() + radius * 0.36, 2 * radius, radius * 0.2)
        if self.caption and region.intersects(_around(cap)):
            # The limit is information until it is broken: red only while speeding.
            p.setPen(c.limit if self.caption_alarm() else c.dim)
            p.setFont(_font(radius * 0.12, bold=True))
            p.drawText(cap, Qt.AlignmentFlag.AlignCenter, self.caption)
        p.end()

    def _marker(
        self,
        p: QPainter,
        centre: QPointF,
        radius: float,
        width: float,
        value: float,
        colour: QColor,
        *,
        tick: bool,
    ) -> None:
        a = self._angle(value)
        if tick:
            r0, r1 = radius - width * 2.4, radius + width * 0.2
            p.setPen(
                QPen(colour, max(3.0, width * 0.6), Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
            )
            p.drawLine(
                QPointF(centre.x() + r0 * math.cos(a), centre.y() - r0 * math.sin(a)),
                QPointF(centre.x() + r1 * math.cos(a), centre.y() - r1 * math.sin(a)),
            )
            return
        # a small triangle just outside the arc, pointing inwards
        r_tip, r_base, half = radius - width * 0.1, radius + width * 1.1, math.radians(3.5)
        path = QPainterPath(
            QPointF(centre.x() + r_tip * math.cos(a), centre.y() - r_tip * math.sin(a))
        )
        for d in (half, -half):
            path.lineTo(
                QPointF(
                    centre.x() + r_base * math.cos(a + d), centre.y() - r_base * math.sin(a + d)
                )
            )
        path.closeSubpath()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawPath(path)
        p.setBrush(Qt.BrushStyle.NoBrush)


class BarGauge(Instrument):
    """A horizontal bar with a title, a value text and a sub-line (fuel, air)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.fraction = 0.0
        self.value_text = "–"
        self.detail = ""
        self.mark: float | None = None  # a threshold tick (air warning)
        self.alarm = False
        self.setMinimumHeight(54)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)  # see _fill_card

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(320, 92)

    def set_state(
        self,
        fraction: float,
        text: str,
        detail: str = "",
        *,
        mark: float | None = None,
        alarm: bool = False,
    ) -> None:
        # What is drawn: the fill moves only by a whole pixel or more (air pressure
        # wobbles by fractions of a psi all the time), and the texts.
        # (Hidden, the size is not final: keep the exact value.)
        bar = self._bar()
        moved = not self.isVisible() or abs(fraction - self.fraction) * bar.width() >= 1.0
        same_texts = (text, detail, mark, alarm) == (
            self.value_text,
            self.detail,
            self.mark,
            self.alarm,
        )
        if moved and same_texts and self.isVisible():
            # Only the end of the fill moved: repaint that stretch of the bar.
            ends = sorted(
                bar.left() + bar.width() * min(max(f, 0.0), 1.0) for f in (self.fraction, fraction)
            )
            self.fraction = fraction
            stretch = QRectF(ends[0] - 6, bar.top() - 4, ends[1] - ends[0] + 12, bar.height() + 8)
            self.update(stretch.toAlignedRect())
        elif moved or not same_texts:
            self.fraction, self.value_text, self.detail, self.mark, self.alarm = (
                fraction,
                text,
                detail,
                mark,
                alarm,
            )
            self.update()

    def _bar(self) -> QRectF:
        w, h = self.width(), self.height()
        pad = 8.0
        return QRectF(pad, h * 0.44, w - 2 * pad, min(30.0, max(8.0, h * 0.2)))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self._count()
        p = QPainter(self)
        c = self.colours()
        self._fill_card(p, c)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        pad = 8.0
        p.setPen(c.dim)
        p.setFont(_font(min(28, h * 0.17), bold=True))
        p.drawText(
            QRectF(pad, 0, w / 2, h * 0.34), Qt.AlignmentFlag.AlignVCenter, self.title.upper()
        )
        p.setPen(c.error if self.alarm else c.text)
        p.setFont(_font(min(64, h * 0.32), bold=True))
        p.drawText(
            QRectF(w / 3, 0, w * 2 / 3 - pad, h * 0.38),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            self.value_text,
        )
        bar = self._bar()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c.track)
        p.drawRoundedRect(bar, 4, 4)
        fill = QRectF(bar)
        fill.setWidth(bar.width() * min(max(self.fraction, 0.0), 1.0))
        p.setBrush(c.error if self.alarm else c.accent)
        p.drawRoundedRect(fill, 4, 4)
        if self.mark is not None:
            x = bar.left() + bar.width() * self.mark
            p.setPen(QPen(c.warn, 2))
            p.drawLine(QPointF(x, bar.top() - 3), QPointF(x, bar.bottom() + 3))
        if self.detail:
            p.setPen(c.dim)
            p.setFont(_font(min(26, h * 0.16)))
            p.drawText(
                QRectF(pad, bar.bottom() + 2, w - 2 * pad, h - bar.bottom() - 2),
                Qt.AlignmentFlag.AlignVCenter,
                self.detail,
            )
        p.end()


class DamagePanel(Instrument):
    """Wear per component: a thin bar and a percentage each, worst in warning colours."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parts: tuple[tuple[str, float], ...] = ()
        self.setMinimumSize(200, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)  # see _fill_card

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(300, 200)

    def set_parts(self, parts: tuple[tuple[str, float], ...]) -> None:
        rounded = tuple((name, round(value, 3)) for name, value in parts)
        if rounded != self.parts:
            self.parts = rounded
            self.update()

    def percent_text(self, name: str) -> str:
        """The percentage shown for ``name`` (for tests and tooltips)."""
        for part, value in self.parts:
            if part == name:
                return f"{value * 100:.0f}%"
        return ""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self._count()
        p = QPainter(self)
        c = self.colours()
        self._fill_card(p, c)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        pad = 8.0
        p.setPen(c.dim)
        head = min(28.0, h * 0.14)
        p.setFont(_font(head * 0.6, bold=True))
        p.drawText(QRectF(pad, 0, w, head), Qt.AlignmentFlag.AlignVCenter, "DAMAGE")
        n = max(1, len(self.parts))
        row = (h - head) / n
        font = _font(min(26.0, row * 0.5))
        p.setFont(font)
        metrics = p.fontMetrics()
        # Columns sized to the text, so no part name or percentage is ever clipped.
        label_w: float = max((metrics.horizontalAdvance(name) for name, _ in self.parts), default=0)
        label_w = min(w * 0.45, label_w + 14.0)
        pct_w = metrics.horizontalAdvance("100%") + 6.0
        for i, (name, value) in enumerate(self.parts):
            y = head + i * row
            colour = c.ok if value < 0.05 else c.warn if value < 0.2 else c.error
            p.setFont(font)
            p.setPen(c.text)
            p.drawText(QRectF(pad, y, label_w, row), Qt.AlignmentFlag.AlignVCenter, name)
            bar = QRectF(pad + label_w, y + row * 0.38, w - 2 * pad - label_w - pct_w, row * 0.26)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(c.track)
            p.drawRoundedRect(bar, 3, 3)
            fill = QRectF(bar)
            fill.setWidth(max(2.0, bar.width() * value))
            p.setBrush(colour)
            p.drawRoundedRect(fill, 3, 3)
            p.setPen(colour if value >= 0.05 else c.text)
            p.drawText(
                QRectF(w - pad - pct_w, y, pct_w, row),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{value * 100:.0f}%",
            )
        p.end()


class Lamp(Instrument):
    """An indicator pill: dim outline when off, filled in its colour when on."""

    def __init__(self, text: str, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = text
        self.role = role  # a theme colour name ("error", "warn" …): follows the theme
        self.on = False
        self._fit_height()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def _fit_height(self) -> None:
        # Heights follow the font, which grows on a large screen (theme.font_scale):
        # fixed pixel sizes made the lamps look tiny at 2560×1440.
        self.setMaximumHeight(round(60 * theme.font_scale()))

    def fit_to_font(self) -> None:
        self._fit_height()
        super().fit_to_font()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(140, max(38, round(self.fontMetrics().height() * 2.4)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(96, max(26, round(self.fontMetrics().height() * 1.6)))

    def set_state(self, on: bool, text: str | None = None) -> None:
        text = self.text if text is None else text
        if (on, text) != (self.on, self.text):
            self.on, self.text = on, text
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self._count()
        p = QPainter(self)
        c = self.colours()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        if self.on:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(c.role(self.role))
        else:
            p.setPen(QPen(c.panel_edge, 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(r, r.height() / 2, r.height() / 2)
        p.setPen(c.on_fill if self.on else c.dim)
        # Shrink the text to fit a narrow column rather than clip it.
        px = min(22.0 * theme.font_scale(), r.height() * 0.42)
        font = QFont(_font(px, bold=True))  # a copy: it is resized below
        p.setFont(font)
        # Fitted to the longest usual label, not to this one's text, so the lamps
        # of a column share one size instead of "CRUISE" shouting over the rest.
        longest = max(self.text, LAMP_REFERENCE_TEXT, key=len)
        while px > 7 and p.fontMetrics().horizontalAdvance(longest) > r.width() - 14:
            px -= 1
            font.setPixelSize(int(px))
            p.setFont(font)
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.text)
        p.end()


class GearBox(Instrument):
    """The gear, very large."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gear = "–"
        self.setMinimumSize(80, 64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(160, 160)

    def set_gear(self, gear: str) -> None:
        if gear != self.gear:
            self.gear = gear
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self._count()
        p = QPainter(self)
        c = self.colours()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height()) - 8
        box = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        p.setPen(QPen(c.panel_edge, 2))
        p.setBrush(c.panel)
        p.drawRoundedRect(box, 12, 12)
        p.setPen(c.dim)
        p.setFont(_font(side * 0.1, bold=True))
        p.drawText(box.adjusted(0, side * 0.05, 0, 0), Qt.AlignmentFlag.AlignHCenter, "GEAR")
        p.setPen(c.text)
        p.setFont(_font(side * (0.5 if len(self.gear) <= 2 else 0.38), bold=True))
        p.drawText(box.adjusted(0, side * 0.12, 0, 0), Qt.AlignmentFlag.AlignCenter, self.gear)
        p.end()


class WarningStrip(Instrument):
    """The warnings as red/amber pills across the top; a quiet line when all is well."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.warnings: tuple[str, ...] = ()
        self.live = False
        self._fit_height()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def _fit_height(self) -> None:
        # Grows with the font scale, like the lamps: a warning must not be the
        # smallest thing on a large screen.
        self.setMinimumHeight(round(44 * theme.font_scale()))

    def fit_to_font(self) -> None:
        self._fit_height()
        super().fit_to_font()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(600, round(48 * theme.font_scale()))

    def set_warnings(self, warnings: tuple[str, ...], live: bool) -> None:
        if (warnings, live) != (self.warnings, self.live):
            self.warnings, self.live = warnings, live
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self._count()
        p = QPainter(self)
        c = self.colours()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        h = self.height()
        if not self.warnings:
            p.setPen(c.dim)
            p.setFont(_font(h * 0.36))
            text = "No warnings" if self.live else "Waiting for the game…"
            p.drawText(self.rect().adjusted(12, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, text)
            p.end()
            return
        font = _font(h * 0.42, bold=True)
        p.setFont(font)
        x = 8.0
        metrics = p.fontMetrics()
        for warning in self.warnings:
            w = metrics.horizontalAdvance(warning) + h * 0.9
            r = QRectF(x, 4, w, h - 8)
            colour = c.warn if warning in ("SPEEDING", "LOW AIR") else c.error
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRoundedRect(r, 6, 6)
            p.setPen(c.on_fill)
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, warning)
            x += w + 10
        p.end()
