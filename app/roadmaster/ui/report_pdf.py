"""The career report as a PDF, drawn with Qt's own PDF writer (QPdfWriter + QPainter).

Per game (money never mixes dollars and euros): a summary page (totals, the
monthly net as bars, profit per km by cargo) and the monthly P&L table; then the
job table (the newest ``MAX_TABLE_JOBS`` jobs of the filter).  Runs on any thread
with a QGuiApplication (fonts); no widgets.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from roadmaster.exports.files import atomic_path, check_target
from roadmaster.jobs.hos import rules_for
from roadmaster.runtime.joblog import Analytics, JobLogService, JobQuery, JobRow
from roadmaster.telemetry.frame import Game
from roadmaster.units import currency_for, format_money

MAX_TABLE_JOBS = 500
DPI = 96
ACCENT = QColor("#2f7fd0")
GOOD = QColor("#3b9c52")
BAD = QColor("#c8493a")


@dataclass
class _Pages:
    writer: QPdfWriter
    painter: QPainter
    count: int = 1

    def new_page(self) -> None:
        self.writer.newPage()
        self.count += 1


def ensure_gui_application() -> QGuiApplication:
    """The application object fonts need (the CLI has none); kept by the caller."""
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        return app
    return QGuiApplication(["roadmaster"])


def _font(size: float, bold: bool = False) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def write_report(
    service: JobLogService,
    out: Path,
    query: JobQuery | None = None,
    *,
    now_text: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the report to ``out`` (atomically); the number of pages."""
    query = query or JobQuery()
    check_target(out)  # a bad folder is said before the work, not after
    games = [query.game] if query.game is not None else [Game.ATS, Game.ETS2]
    per_game = [(g, service.analytics("all", g, query)) for g in games]
    per_game = [(g, a) for g, a in per_game if a.jobs] or per_game[:1]
    rows, total = service.report_rows(query, MAX_TABLE_JOBS)
    with atomic_path(out) as tmp:
        writer = QPdfWriter(str(tmp))
        writer.setResolution(DPI)
        writer.setTitle("RoadMaster career report")
        writer.setCreator("RoadMaster Desktop")
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(15, 15, 15, 15),
                QPageLayout.Unit.Millimeter,
            )
        )
        painter = QPainter(writer)
        if not painter.isActive():
            raise OSError(f"Qt could not open {tmp} for the PDF")
        pages = _Pages(writer, painter)
        try:
            for i, (game, analytics) in enumerate(per_game):
                if i:
                    pages.new_page()
                _summary_page(pages, game, analytics, now_text, query)
                pages.new_page()
                _months_page(pages, game, analytics)
                if progress is not None:
                    progress(i + 1, len(per_game) + 1)
            pages.new_page()
            _jobs_pages(pages, rows, total)
        finally:
            ended = painter.end()
        if not ended or tmp.stat().st_size == 0:  # Qt reports a failed write only here
            raise OSError(errno.EIO, "the PDF could not be written completely")
    if progress is not None:
        progress(len(per_game) + 1, len(per_game) + 1)
    return pages.count


def _area(pages: _Pages) -> QRectF:
    rect = pages.writer.pageLayout().paintRectPixels(DPI)
    return QRectF(0, 0, rect.width(), rect.height())


def _summary_page(
    pages: _Pages, game: Game, a: Analytics, now_text: str, query: JobQuery | None = None
) -> None:
    p = pages.painter
    area = _area(pages)
    money = currency_for(game)
    p.setFont(_font(20, True))
    p.drawText(QPointF(0, 30), f"RoadMaster career report — {game.name}")
    p.setFont(_font(9))
    p.setPen(QColor("#666666"))
    p.drawText(QPointF(0, 52), now_text)
    p.setPen(QColor("#000000"))
    delivered = sum(s.delivered for s in a.standings)
    margin = f"{100 * a.profit / a.revenue:.1f} %" if a.revenue else "—"
    facts = [
        ("Jobs finished", f"{a.jobs:,}"),
        ("Delivered", f"{delivered:,}"),
        ("Revenue", format_money(a.revenue, money)),
        ("Net profit", format_money(a.profit, money)),
        ("Margin", margin),
        ("Distance", f"{a.distance_km:,.0f} km"),
    ]
    y = 90.0
    for label, value in facts:
        p.setFont(_font(10))
        p.drawText(QPointF(0, y), label)
        p.setFont(_font(10, True))
        p.drawText(QPointF(180, y), value)
        y += 22
    months = a.months[-24:]
    _bar_chart(
        p,
        QRectF(0, y + 16, area.width(), 220),
        "Net profit per month",
        [m.month[2:] for m in months],
        [m.net for m in months],
    )
    top = a.cargo_top[:8]
    _bar_chart(
        p,
        QRectF(0, y + 246, area.width(), 220),
        f"Profit per km by cargo, best ({money.symbol}/km; jobs)",
        [f"{r.key[:14]} ({r.jobs})" for r in top],
        [r.profit_per_km or 0.0 for r in top],
    )
    days = a.hos[-31:]
    limit_h = rules_for(game).daily_driving_min / 60.0
    _bar_chart(
        p,
        QRectF(0, y + 476, area.width(), 220),
        f"Hours of service per game day (limit {limit_h:g} h; red: over; !: violation)",
        [("! " if d.violations else "") + f"day {d.day}" for d in days],
        [d.driving_min / 60.0 for d in days],
        colours=[BAD if d.over_limit else GOOD for d in days],
        limit=limit_h,
        empty="no samples with driving in this period",
    )
    p.setFont(_font(8))
    p.setPen(QColor("#666666"))
    p.drawText(
        QRectF(0, y + 700, area.width(), 40),
        Qt.TextFlag.TextWordWrap,
        hos_caption(query or JobQuery(), len(days)),
    )
    p.setPen(QColor("#000000"))


def hos_caption(query: JobQuery, days: int) -> str:
    """What the report's hours-of-service chart covers: every stored drive of the
    game, per game day (the game's clock, not the wall date), whatever the report's
    other filters; those filters are named when set."""
    others = [
        name
        for name, on in (
            ("dates", query.started_from is not None or query.started_to is not None),
            ("game time", query.game_min_from is not None or query.game_min_to is not None),
            ("cities", bool(query.source_city or query.destination_city or query.city)),
            ("company", bool(query.company)),
            ("cargo", bool(query.cargo)),
            ("status", query.status is not None),
            ("late only", query.late_only),
            ("search", bool(query.text)),
        )
        if on
    ]
    text = (
        f"{days} game day{'' if days == 1 else 's'} (the last 31 at most) of all the game's "
        "stored driving, by the game's own clock (a game day is not a calendar date)"
    )
    if others:
        return text + f"; the report's other filters ({', '.join(others)}) do not apply here."
    return text + "."


def _bar_chart(
    p: QPainter,
    rect: QRectF,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    colours: Sequence[QColor] | None = None,
    limit: float | None = None,
    empty: str = "no jobs",
) -> None:
    """Bars (green ≥ 0, red < 0, or ``colours``), and ``limit`` as a dashed line."""
    p.setFont(_font(11, True))
    p.drawText(QPointF(rect.left(), rect.top() + 14), title)
    plot = rect.adjusted(40, 28, -4, -44)
    p.setPen(QPen(QColor("#999999"), 1))
    p.drawRect(plot)
    if not values:
        p.setFont(_font(9))
        p.drawText(plot, Qt.AlignmentFlag.AlignCenter, empty)
        return
    hi = max(0.0, *values, *(() if limit is None else (limit * 1.1,)))
    lo = min(0.0, *values)
    span = (hi - lo) or 1.0
    zero_y = plot.bottom() - (0 - lo) / span * plot.height()
    width = plot.width() / len(values)
    p.setFont(_font(7))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = plot.left() + i * width
        top = plot.bottom() - (value - lo) / span * plot.height()
        bar = QRectF(x + width * 0.15, min(top, zero_y), width * 0.7, abs(zero_y - top))
        p.fillRect(bar, colours[i] if colours is not None else GOOD if value >= 0 else BAD)
        p.save()
        p.translate(x + width / 2, plot.bottom() + 6)
        p.rotate(35)
        p.setPen(QColor("#333333"))
        p.drawText(QPointF(0, 6), label)
        p.restore()
    if limit is not None:
        line_y = plot.bottom() - (limit - lo) / span * plot.height()
        p.setPen(QPen(QColor("#d08a1c"), 2, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(plot.left(), line_y), QPointF(plot.right(), line_y))
    p.setPen(QColor("#333333"))
    p.drawText(QPointF(rect.left(), plot.top() + 8), f"{hi:,.0f}")
    p.drawText(QPointF(rect.left(), plot.bottom()), f"{lo:,.0f}")


def _table(
    pages: _Pages,
    title: str,
    headers: Sequence[str],
    widths: Sequence[float],
    rows: Sequence[Sequence[str]],
    note: str = "",
) -> None:
    """A table over as many pages as it needs (the header repeated on each)."""
    p = pages.painter
    area = _area(pages)
    line = 15.0
    scale = area.width() / sum(widths)

    def header(y: float) -> float:
        p.setFont(_font(8, True))
        x = 0.0
        for h, w in zip(headers, widths, strict=True):
            p.drawText(QRectF(x, y, w * scale - 4, line), Qt.AlignmentFlag.AlignLeft, h)
            x += w * scale
        p.drawLine(QPointF(0, y + line), QPointF(area.width(), y + line))
        p.setFont(_font(7.5))
        return y + line + 3

    p.setFont(_font(14, True))
    p.drawText(QPointF(0, 20), title)
    y = 30.0
    if note:
        p.setFont(_font(8))
        p.drawText(QPointF(0, 44), note)
        y = 52.0
    y = header(y)
    for row in rows:
        if y + line > area.height():
            pages.new_page()
            y = header(0.0)
        x = 0.0
        for cell, w in zip(row, widths, strict=True):
            p.drawText(
                QRectF(x, y, w * scale - 4, line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                cell,
            )
            x += w * scale
        y += line


def _months_page(pages: _Pages, game: Game, a: Analytics) -> None:
    money = currency_for(game)

    def m(v: float) -> str:
        return format_money(v, money)

    rows = [
        (
            x.month,
            f"{x.jobs:,}",
            m(x.revenue),
            m(x.fuel),
            m(x.repairs),
            m(x.fines),
            m(x.tolls),
            m(x.transport),
            m(x.penalties),
            m(x.net),
            "—" if x.margin is None else f"{100 * x.margin:.0f} %",
        )
        for x in reversed(a.months)
    ]
    _table(
        pages,
        f"Monthly P&L — {game.name}",
        (
            "Month",
            "Jobs",
            "Revenue",
            "Fuel",
            "Repairs",
            "Fines",
            "Tolls",
            "Ferry/train",
            "Penalties",
            "Net",
            "Margin",
        ),
        (7, 4, 9, 7, 7, 6, 6, 7, 7, 9, 6),
        rows,
        "Net = revenue − fuel − repairs − fines − tolls − ferries/trains − penalties "
        "(each job's stored economics).",
    )


def _jobs_pages(pages: _Pages, rows: Sequence[JobRow], total: int) -> None:
    def money(r: JobRow, v: float | None) -> str:
        return "—" if v is None else format_money(v, currency_for(r.game))

    table = [
        (
            r.started_at.strftime("%Y-%m-%d"),
            r.game.value.upper(),
            f"{r.source_city} → {r.destination_city}"[:38],
            r.cargo[:18],
            f"{r.distance_km:,.0f}",
            money(r, r.revenue),
            money(r, r.profit),
            r.status.value,
        )
        for r in rows
    ]
    note = (
        f"The newest {len(rows):,} of {total:,} jobs; the CSV export has them all."
        if total > len(rows)
        else f"{total:,} jobs."
    )
    _table(
        pages,
        "Jobs",
        ("Started", "Game", "Route", "Cargo", "km", "Revenue", "Profit", "Status"),
        (8, 4, 22, 12, 6, 8, 8, 8),
        table,
        note,
    )
