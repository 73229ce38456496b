"""The "Analytics" view: charts over the finished jobs of a period, per game.

One pool task computes everything (:meth:`JobLogService.analytics`); the view
draws what arrives.  Money never mixes currencies: the view shows one game at a
time.  Each chart has a hover read-out and a PNG button.
"""

from __future__ import annotations

from datetime import datetime

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from roadmaster.jobs.hos import rules_for
from roadmaster.runtime.joblog import Analytics, JobLogService, Ranked
from roadmaster.telemetry.frame import Game
from roadmaster.ui import theme
from roadmaster.ui.charts import Chart, ValueAxis, money_ticks, pen, unit_ticks
from roadmaster.ui.tasks import Runner, owned_by
from roadmaster.units import (
    UnitPreference,
    UnitSystem,
    currency_for,
    format_money,
    l_per_100km_to_mpg,
    unit_system,
)

PERIODS = (("Last 10 jobs", "last10"), ("30 days", "30d"), ("90 days", "90d"), ("All", "all"))


def _stamp(label: str) -> float:
    """Seconds since the epoch of a series label (YYYY-MM-DD or YYYY-MM-DD hh:mm)."""
    fmt = "%Y-%m-%d %H:%M" if len(label) > 10 else "%Y-%m-%d"
    return datetime.strptime(label, fmt).timestamp()


class Reflow(QWidget):
    """Cells in two columns where the width allows (``TWO_COLUMNS_MIN``), else in
    one; a wide cell takes a whole row.  The page scrolls down, never sideways."""

    TWO_COLUMNS_MIN = 800  # two charts of ~390 px: their axes, titles and buttons fit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.cells: list[tuple[QWidget, bool]] = []
        self.columns = 0

    def add(self, widget: QWidget, *, wide: bool = False) -> None:
        # Ignored width: the columns share the page evenly, whatever each chart's
        # axis labels would ask for.
        widget.setSizePolicy(QSizePolicy.Policy.Ignored, widget.sizePolicy().verticalPolicy())
        self.cells.append((widget, wide))
        self.columns = 0
        self._place(2 if self.width() >= self.TWO_COLUMNS_MIN else 1)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._place(2 if event.size().width() >= self.TWO_COLUMNS_MIN else 1)

    def _place(self, columns: int) -> None:
        if columns == self.columns:
            return
        self.columns = columns
        for widget, _wide in self.cells:
            self.grid.removeWidget(widget)
        row = column = 0
        for widget, wide in self.cells:
            if wide and column:
                row, column = row + 1, 0
            span = columns if wide else 1
            self.grid.addWidget(widget, row, column, 1, span)
            column += span
            if column >= columns:
                row, column = row + 1, 0
        for c in range(2):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)


class AnalyticsView(QWidget):
    """Period and game selectors above a grid of charts and two tables."""

    refreshed = Signal()  # new figures are drawn

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("analytics")
        self._run = owned_by(self, runner)
        self.service: JobLogService | None = None
        self.preference: UnitPreference = "auto"
        self.data: Analytics | None = None
        self._generation = 0

        self.period = QComboBox()
        for text, key in PERIODS:
            self.period.addItem(text, key)
        self.period.setCurrentIndex(len(PERIODS) - 1)
        self.game = QComboBox()
        # Qt hands enum data back as plain strings: store the values.
        self.game.addItem("ETS2", Game.ETS2.value)
        self.game.addItem("ATS", Game.ATS.value)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)  # two lines on a narrow page, not a wider one
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        self.game.currentIndexChanged.connect(lambda _i: self.refresh())
        top = QHBoxLayout()
        top.addWidget(QLabel("Period"))
        top.addWidget(self.period)
        top.addWidget(QLabel("Game"))
        top.addWidget(self.game)
        top.addWidget(self.summary, 1)
        top.addWidget(refresh)

        self.income = Chart("Income and profit", on_page=True)
        self.income.plot.setAxisItems({"bottom": pg.DateAxisItem()})
        self.income.plot.addLegend(offset=(10, 5))
        self.fuel = Chart("Fuel economy", on_page=True)
        self.fuel.plot.setAxisItems({"bottom": pg.DateAxisItem()})
        self.fuel.plot.addLegend(offset=(10, 5))
        self.cargo = Chart("Profit per distance by cargo (top and bottom, jobs)", on_page=True)
        self.route = Chart("Profit per distance by route (top and bottom, jobs)", on_page=True)
        self.damage = Chart("Damage by route (most damaging)", on_page=True)
        self.months = Chart("Monthly P&L", on_page=True)
        self.months.plot.addLegend(offset=(10, 5))
        self.hos = Chart("Hours of service per game day", on_page=True)
        self.hos.plot.addLegend(offset=(10, 5))
        self.hos.format_axis("left", unit_ticks("h"))
        self.hos.plot.setLabel("left", "driving")
        # Money axes read "€1.4M", "€900k" in the shown game's currency (set on arrival).
        self._money_axes: list[ValueAxis] = [
            self.income.format_axis("left", money_ticks(currency_for(Game.ETS2))),
            self.months.format_axis("left", money_ticks(currency_for(Game.ETS2))),
            self.cargo.format_axis("bottom", money_ticks(currency_for(Game.ETS2))),
            self.route.format_axis("bottom", money_ticks(currency_for(Game.ETS2))),
        ]
        self.damage.format_axis("bottom", unit_ticks("%"))
        self.hos_caption = QLabel("")
        self.hos_caption.setObjectName("dim")
        self.hos_caption.setWordWrap(True)
        self.charts = (
            self.income, self.fuel, self.cargo, self.route, self.damage, self.months, self.hos
        )  # fmt: skip
        self.pnl = QTableWidget(0, 10)
        self.pnl.setHorizontalHeaderLabels(
            ["Month", "Revenue", "Fuel", "Repairs", "Fines", "Tolls", "Ferries/trains",
             "Penalties", "Net", "Margin"]
        )  # fmt: skip
        self.standings = QTableWidget(0, 6)
        self.standings.setHorizontalHeaderLabels(
            ["Company", "Rating", "Delivered", "On time", "Cancelled", "Profit"]
        )
        for table in (self.pnl, self.standings):
            table.verticalHeader().setVisible(False)
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.setMinimumHeight(220)
        self.achievements = QWidget()
        self._achievements_grid = QGridLayout(self.achievements)
        self._achievements_grid.setColumnStretch(1, 1)

        hos_box = QWidget()
        hos_column = QVBoxLayout(hos_box)
        hos_column.setContentsMargins(0, 0, 0, 0)
        hos_column.addWidget(self.hos, 1)
        hos_column.addWidget(self.hos_caption)
        # Each chart keeps a readable height whether the page has one column or two.
        for widget, height in ((self.income, 300), (self.fuel, 300), (self.cargo, 340),
                               (self.damage, 340), (self.route, 480), (hos_box, 360),
                               (self.months, 320)):  # fmt: skip
            widget.setMinimumHeight(height)
        body = Reflow()
        body.add(self.income)
        body.add(self.fuel)
        body.add(self.cargo)
        body.add(self.damage)
        body.add(self.route, wide=True)  # twenty routes need the height
        body.add(hos_box, wide=True)
        body.add(self.months)
        body.add(self._titled("Monthly P&L", self.pnl))
        body.add(self._titled("Company standings", self.standings))
        body.add(self._titled("Achievements", self.achievements))
        self.body = body
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self.scroll_area = scroll
        scroll.setWidget(body)
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 6, 6, 6)
        column.addLayout(top)
        column.addWidget(scroll, 1)

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel(f"<b>{title}</b>"))
        column.addWidget(widget, 1)
        return box

    # --- data --------------------------------------------------------------------------

    def set_service(self, service: JobLogService | None) -> None:
        self.service = service
        self.refresh()

    def set_game(self, game: Game) -> None:
        found = self.game.findData(game.value)
        if found >= 0:
            self.game.setCurrentIndex(found)

    def refresh(self) -> None:
        service = self.service
        if service is None:
            return
        self._generation += 1
        generation = self._generation
        period = self.period.currentData()
        game = Game(self.game.currentData())
        self.summary.setText("Computing…")
        self._run(
            lambda: service.analytics(period, game),
            lambda a: self._arrived(generation, a),
            lambda m: self.summary.setText(f"Could not compute the analytics: {m}"),
        )

    def _arrived(self, generation: int, a: Analytics) -> None:
        if generation != self._generation:
            return
        self.data = a
        game = a.game or Game.ETS2
        money = currency_for(game)
        units = unit_system(game, self.preference)
        margin = f", margin {100 * a.profit / a.revenue:.0f} %" if a.revenue else ""
        self.summary.setText(
            f"{a.jobs:,} jobs · revenue {format_money(a.revenue, money)} · "
            f"net {format_money(a.profit, money)}{margin}"
        )
        c = theme.current()
        for axis in self._money_axes:
            axis.set_format(money_ticks(money))
        for chart in self.charts:
            chart.plot.clear()
        self._draw_series(a, money, units, c)
        self._draw_ranked(self.cargo, a.cargo_top, a.cargo_bottom, money, units, c)
        self._draw_ranked(self.route, a.route_top, a.route_bottom, money, units, c)
        self._draw_damage(a, c)
        self._draw_months(a, money, c)
        self._draw_hos(a, game, c)
        self._fill_tables(a, money)
        self.refreshed.emit()

    # --- drawing -----------------------------------------------------------------------

    def _draw_series(self, a: Analytics, money, units: UnitSystem, c) -> None:
        xs = [_stamp(p.label) for p in a.series]
        income = [float(p.income) for p in a.series]
        profit = [p.profit for p in a.series]
        self.income.plot.plot(
            xs,
            income,
            pen=pen(c.accent.name()),
            name="income",
            symbol="o" if a.per_job else None,
            symbolSize=5,
        )
        self.income.plot.plot(
            xs,
            profit,
            pen=pen(c.ok.name()),
            name="profit",
            symbol="o" if a.per_job else None,
            symbolSize=5,
        )
        self.income.set_hover(
            xs,
            lambda i: (
                f"{a.series[i].label}: income {format_money(income[i], money)}, "
                f"profit {format_money(profit[i], money)} ({a.series[i].jobs} jobs)"
            ),
        )
        imperial = units is UnitSystem.IMPERIAL

        def conv(v: float | None) -> float:
            if v is None:
                return float("nan")
            if imperial:
                return l_per_100km_to_mpg(v) or float("nan")
            return v

        unit = "mpg" if imperial else "l/100 km"
        self.fuel.plot.setLabel("left", unit)
        economy = [conv(v) for v in a.fuel_l_per_100km]
        average = [conv(v) for v in a.fuel_moving_average]
        self.fuel.plot.plot(
            xs, economy, pen=None, symbol="o", symbolSize=4, symbolBrush=c.dim, name=unit
        )
        self.fuel.plot.plot(xs, average, pen=pen(c.warn.name(), 2), name="moving average (7)")
        self.fuel.set_hover(
            xs, lambda i: f"{a.series[i].label}: {economy[i]:.1f} {unit} (avg {average[i]:.1f})"
        )

    def _draw_ranked(
        self,
        chart: Chart,
        top: tuple[Ranked, ...],
        bottom: tuple[Ranked, ...],
        money,
        units: UnitSystem,
        c,
    ) -> None:
        imperial = units is UnitSystem.IMPERIAL
        factor = 1.609344 if imperial else 1.0  # per mile = per km × km per mile
        unit = "mi" if imperial else "km"
        items = []
        seen: set[str] = set()
        for r in (*top, *reversed(bottom)):  # a route in both lists shows once
            if r.key not in seen:
                seen.add(r.key)
                items.append(r)
        values = [(r.profit_per_km or 0.0) * factor for r in items]
        ys = list(range(len(items)))[::-1]
        brushes = [c.ok if i < len(top) else c.error for i in range(len(items))]
        if items:
            chart.plot.addItem(
                pg.BarGraphItem(x0=0, y=ys, height=0.7, width=values, brushes=brushes)
            )
        chart.plot.getAxis("left").setTicks(
            [[(y, f"{r.key[:26]} ({r.jobs})") for y, r in zip(ys, items, strict=True)]]
        )
        chart.plot.setLabel("bottom", f"profit per {unit}")
        by_y = {y: (r, v) for y, r, v in zip(ys, items, values, strict=True)}

        def describe_y(y: float) -> str:
            hit = by_y.get(round(y))
            if hit is None:
                return ""
            r, v = hit
            return f"{r.key}: {format_money(v, money, 2)}/{unit} over {r.jobs} jobs"

        chart.set_hover_y(describe_y)

    def _draw_damage(self, a: Analytics, c) -> None:
        items = a.damage_by_route
        ys = list(range(len(items)))[::-1]
        values = [100.0 * r.avg_damage for r in items]
        if items:
            self.damage.plot.addItem(
                pg.BarGraphItem(x0=0, y=ys, height=0.7, width=values, brush=c.error)
            )
        self.damage.plot.getAxis("left").setTicks(
            [[(y, f"{r.key[:26]} ({r.jobs})") for y, r in zip(ys, items, strict=True)]]
        )
        self.damage.plot.setLabel("bottom", "average truck damage per job")
        by_y = {y: r for y, r in zip(ys, items, strict=True)}
        self.damage.set_hover_y(
            lambda y: (
                ""
                if (r := by_y.get(round(y))) is None
                else f"{r.key}: {100 * r.avg_damage:.2f} % per job over {r.jobs} jobs"
            )
        )

    def _draw_months(self, a: Analytics, money, c) -> None:
        months = a.months
        xs = list(range(len(months)))
        revenue = [float(m.revenue) for m in months]
        costs = [float(m.revenue) - m.net for m in months]
        net = [m.net for m in months]
        if months:
            self.months.plot.addItem(
                pg.BarGraphItem(
                    x=[x - 0.2 for x in xs],
                    height=revenue,
                    width=0.4,
                    brush=c.accent,
                    name="revenue",
                )
            )
            self.months.plot.addItem(
                pg.BarGraphItem(
                    x=[x + 0.2 for x in xs], height=costs, width=0.4, brush=c.error, name="costs"
                )
            )
            self.months.plot.plot(
                xs, net, pen=pen(c.ok.name(), 2), symbol="o", symbolSize=5, name="net"
            )
        step = max(1, -(-len(months) // 4))  # four labels fit half a page's width
        self.months.plot.getAxis("bottom").setTicks([[(x, months[x].month) for x in xs[::step]]])
        self.months.set_hover(
            [float(x) for x in xs],
            lambda i: (
                f"{months[i].month}: revenue {format_money(revenue[i], money)}, "
                f"costs {format_money(costs[i], money)}, net {format_money(net[i], money)}"
            ),
        )

    def _draw_hos(self, a: Analytics, game: Game, c) -> None:
        """Driving hours per game day as bars (over the daily limit in the error
        colour), the limit as a dashed line, and a marker with the count above each
        day that broke the break rule or the daily limit."""
        days = a.hos
        rules = rules_for(game)
        self.hos_caption.setText(
            f"{rules.name}: {rules.driving_rule}, {rules.break_rule}; a violation counts "
            "once per stretch over the limit. Game days of the game's own clock, from the "
            "stored samples: driving = moving, or engine on with the parking brake off; "
            "the samples do not store the engine switch, so engine on is read as rpm "
            "above 0. Jumps of the game clock (sleeping, ferries) are rest. Not modelled: "
            + ("60/70-hour weeks, sleeper-berth splits." if game is Game.ATS
               else "10-hour days, reduced and split rests, weekly limits.")
        )  # fmt: skip
        xs = [float(i) for i in range(len(days))]
        hours = [d.driving_min / 60.0 for d in days]
        plot = self.hos.plot
        plot.enableAutoRange(axis="x")  # new days: show them all, even after a zoom
        if days:
            plot.addItem(
                pg.BarGraphItem(
                    x=xs,
                    height=hours,
                    width=0.7,
                    brushes=[c.error if d.over_limit else c.accent for d in days],
                    brush=c.accent,  # the legend's swatch
                    name="driving (red: over the limit)",
                )
            )
            limit_h = rules.daily_driving_min / 60.0
            plot.plot(
                [xs[0] - 0.5, xs[-1] + 0.5],
                [limit_h, limit_h],
                pen=pen(c.warn.name(), 2, dashed=True),
                name=f"daily limit {limit_h:g} h",
            )
            marked = [(x, d) for x, d in zip(xs, days, strict=True) if d.violations]
            if marked:
                plot.plot(
                    [x for x, _ in marked],
                    [max(limit_h, d.driving_min / 60.0) + 0.6 for _, d in marked],
                    pen=None,
                    symbol="t",
                    symbolSize=11,
                    symbolBrush=c.error,
                    name="violations",
                )
                for x, d in marked:
                    text = pg.TextItem(str(d.violations), color=c.error, anchor=(0.5, 1.0))
                    text.setPos(x, max(limit_h, d.driving_min / 60.0) + 1.0)
                    plot.addItem(text)
            # headroom: the marks above the tallest bars stay clear of the legend
            plot.setYRange(0, max(limit_h, *hours) * 1.4 + 1.0)
        step = max(1, len(days) // 8)
        ticks = [(xs[i], days[i].label) for i in range(0, len(days), step)]
        plot.getAxis("bottom").setTicks([ticks])

        def describe(i: int) -> str:
            d = days[i]
            h, m = divmod(d.driving_min, 60)
            return (
                f"{d.label}: {h} h {m:02d} driving (limit {d.limit_min // 60} h) · "
                f"{d.daily_violations} daily-limit, {d.break_violations} break violations"
            )

        self.hos.set_hover(xs, describe)

    def _fill_tables(self, a: Analytics, money) -> None:
        def m(v: float) -> str:
            return format_money(v, money)

        months = list(reversed(a.months))
        self.pnl.setRowCount(len(months))
        for i, x in enumerate(months):
            cells = (x.month, m(x.revenue), m(x.fuel), m(x.repairs), m(x.fines), m(x.tolls),
                     m(x.transport), m(x.penalties), m(x.net),
                     "—" if x.margin is None else f"{100 * x.margin:.0f} %")  # fmt: skip
            for j, text in enumerate(cells):
                self.pnl.setItem(i, j, QTableWidgetItem(text))
        self.pnl.resizeColumnsToContents()
        rows = a.standings
        self.standings.setRowCount(len(rows))
        for i, s in enumerate(rows):
            row = (s.company, f"{s.rating:.1f} ★", f"{s.delivered:,}", f"{s.on_time:,}",
                     f"{s.cancelled:,}", m(s.profit))  # fmt: skip
            for j, text in enumerate(row):
                self.standings.setItem(i, j, QTableWidgetItem(text))
        self.standings.resizeColumnsToContents()
        grid = self._achievements_grid
        while grid.count():
            item = grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for i, p in enumerate(a.achievements):
            label = QLabel(f"{'✔ ' if p.unlocked else ''}{p.achievement.title}")
            label.setToolTip(p.achievement.description)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int(1000 * p.fraction))
            bar.setFormat(f"{p.current:,.0f} / {p.target:,.0f} {p.achievement.unit}")
            bar.setAlignment(Qt.AlignmentFlag.AlignCenter)
            # one a row: a title and "2,735 / 100 jobs" need half a page between them
            grid.addWidget(label, i, 0)
            grid.addWidget(bar, i, 1)
