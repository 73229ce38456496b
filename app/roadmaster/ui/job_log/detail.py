"""One job in detail: its route trail, speed against the limit, rpm, fuel and
damage over the job (numbers on hover), its fines, tolls, ferries and refuels
with game times, and the stored economics with the formula behind each number.

The data comes in one pool task (:meth:`JobLogService.detail`); the dialog only
lays out what arrives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from roadmaster.runtime.joblog import EditResult, JobDetail, JobLogService, JobRow
from roadmaster.ui import theme
from roadmaster.ui.charts import Chart, pen, unit_ticks
from roadmaster.ui.job_log.model import cell_text
from roadmaster.ui.tasks import Runner, owned_by
from roadmaster.units import (
    UnitPreference,
    UnitSystem,
    currency_for,
    format_game_time,
    format_money,
    format_speed,
    format_volume,
    litres_to_gallons,
    m_to_miles,
    mps_to_kmh,
    mps_to_mph,
    unit_system,
)

EVENT_NAMES = {
    "fine": "Fine",
    "toll": "Toll",
    "ferry": "Ferry",
    "train": "Train",
    "refuel_start": "Refuelling",
    "refuel": "Refuelled",
}


ROUTE_MIN_SPAN_KM = 1.0  # a trail shorter than this is shown in a 1 km square
ROUTE_MARGIN = 0.08  # of the span, on each side


def route_box(
    xs: Sequence[float], ys: Sequence[float], min_span: float
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The x and y ranges of a square around the trail's finite points: its larger
    extent (at least ``min_span``) plus a margin each side, centred on the trail;
    None without a point.  Square, so that with the plot's aspect locked the
    trail's whole box shows at one scale for x and y."""
    points = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(x) and math.isfinite(y)]
    if not points:
        return None
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    half = max(x1 - x0, y1 - y0, min_span) * (0.5 + ROUTE_MARGIN)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - half, cx + half), (cy - half, cy + half)


def economics_lines(r: JobRow) -> list[tuple[str, str, str]]:
    """(item, amount, how it was computed) of the job's stored economics."""
    money = currency_for(r.game)

    def m(v: float) -> str:
        return format_money(v, money)

    lines = [("Revenue", m(r.revenue), "paid by the game" if r.revenue else "nothing paid")]
    if r.fuel_cost is not None:
        price = r.fuel_cost / r.fuel_used_l if r.fuel_used_l > 0 else 0.0
        lines.append(
            ("Fuel", "−" + m(r.fuel_cost),
             f"{r.fuel_used_l:,.0f} l × {format_money(price, money, 2)}/l (Settings → fuel price)")
        )  # fmt: skip
    if r.damage_cost is not None:
        lines.append(
            ("Repairs", "−" + m(r.damage_cost),
             f"{100 * r.damage_taken:.1f} % truck damage × the full repair cost")
        )  # fmt: skip
    lines += [
        ("Fines", "−" + m(r.fines), "sum of the fines below"),
        ("Tolls", "−" + m(r.tolls), "sum of the tolls below"),
        ("Ferries / trains", "−" + m(r.transport_cost), "sum of the crossings below"),
    ]
    if r.penalty:
        lines.append(("Penalty", "−" + m(r.penalty), "cancellation penalty"))
    if r.profit is not None:
        lines.append(("Profit", m(r.profit), "revenue minus everything above"))
        if r.distance_km > 0:
            lines.append(
                ("Profit per km", format_money(r.profit / r.distance_km, money, 2),
                 f"profit ÷ {r.distance_km:,.1f} km driven")
            )  # fmt: skip
    if r.safety_score is not None:
        lines.append(
            ("Safety score", f"{r.safety_score:.0f}",
             "100 − speeding − damage − late − fuel economy (the dashboard's rule)")
        )  # fmt: skip
    return lines


class JobDetailDialog(QDialog):
    """Opens empty, fills when the job's detail arrives (``loaded``)."""

    loaded = Signal()
    changed = Signal(int)  # the job was marked delivered / cancelled, or deleted (its id)
    ask = True  # confirm before changing the log (tests answer themselves)

    def __init__(
        self,
        job_id: int,
        service: JobLogService,
        runner: Runner,
        preference: UnitPreference = "auto",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jobDetail")
        self.setWindowTitle(f"Job {job_id}")
        self.job_id = job_id
        self.preference = preference
        self.detail: JobDetail | None = None
        self.heading = QLabel("Loading…")
        self.heading.setWordWrap(True)
        # Where the job stands with the cloud, and what the last edit told it.
        self.sync_line = QLabel("")
        self.sync_line.setObjectName("jobSyncState")
        self.sync_line.setWordWrap(True)
        self.route = Chart("Route")
        self.route.plot.setAspectLocked(True, ratio=1.0)  # 1 km is 1 km across and up
        self.speed = Chart("Speed and limit")
        self.rpm = Chart("Engine rpm")
        self.fuel = Chart("Fuel in the tank")
        self.damage = Chart("Truck damage")
        self.damage.format_axis("left", unit_ticks("%"))
        self.route_box: tuple[tuple[float, float], tuple[float, float]] | None = None
        self.charts = (self.route, self.speed, self.rpm, self.fuel, self.damage)
        self.events = QTableWidget(0, 4)
        self.events.setHorizontalHeaderLabels(["Game time", "What", "Amount", "Detail"])
        self.events.verticalHeader().setVisible(False)
        self.events.horizontalHeader().setStretchLastSection(True)
        self.economics = QTableWidget(0, 3)
        self.economics.setHorizontalHeaderLabels(["", "Amount", "How"])
        self.economics.verticalHeader().setVisible(False)
        self.economics.horizontalHeader().setStretchLastSection(True)

        plots = QWidget()
        grid = QGridLayout(plots)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.route, 0, 0, 2, 1)
        grid.addWidget(self.speed, 0, 1)
        grid.addWidget(self.rpm, 0, 2)
        grid.addWidget(self.fuel, 1, 1)
        grid.addWidget(self.damage, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 2)
        lower = QWidget()
        row = QHBoxLayout(lower)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.events, 1)
        row.addWidget(self.economics, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(plots)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])  # the tables keep room for a handful of rows
        for chart in (self.speed, self.rpm, self.fuel, self.damage):
            chart.plot.setMinimumHeight(110)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        # For a job the tracker could not close (abandoned, needs review): the verdict.
        self.service = service
        self.runner = runner = owned_by(self, runner)
        self.mark_delivered = QPushButton("Mark delivered")
        self.mark_cancelled = QPushButton("Mark cancelled")
        self.delete_button = QPushButton("Delete…")
        for button, role in (
            (self.mark_delivered, QDialogButtonBox.ButtonRole.ActionRole),
            (self.mark_cancelled, QDialogButtonBox.ButtonRole.ActionRole),
            (self.delete_button, QDialogButtonBox.ButtonRole.DestructiveRole),
        ):
            buttons.addButton(button, role)
            button.hide()
        self.mark_delivered.clicked.connect(lambda: self.resolve("delivered"))
        self.mark_cancelled.clicked.connect(lambda: self.resolve("cancelled"))
        self.delete_button.clicked.connect(self.delete)
        column = QVBoxLayout(self)
        column.addWidget(self.heading)
        column.addWidget(self.sync_line)
        column.addWidget(split, 1)
        column.addWidget(buttons)
        screen = (parent.screen() if parent is not None else None) or self.screen()
        room = screen.availableGeometry() if screen is not None else None
        if room is not None:
            self.resize(min(1400, room.width() * 9 // 10), min(900, room.height() * 9 // 10))
        load = service.detail
        runner(lambda: load(job_id), self._arrived, self._failed)
        self._edit_note = ""
        self._sync_text = ""
        self._load_sync_state()

    def _load_sync_state(self) -> None:
        state = self.service.sync_state
        job_id = self.job_id
        self.runner(lambda: state(job_id), self._show_sync_state, self._failed)

    def _show_sync_state(self, text: str) -> None:
        self._sync_text = text
        self.sync_line.setText(" ".join(t for t in (self._edit_note, text) if t))

    def follow_sync(self, signal: Any) -> None:
        """Read the job's sync state again when ``signal`` says sync news arrived,
        while something of the job is still on its way (at most once a second)."""
        self._sync_timer = QTimer(self)
        self._sync_timer.setSingleShot(True)
        self._sync_timer.setInterval(1000)
        self._sync_timer.timeout.connect(self._load_sync_state)
        signal.connect(self._sync_news)

    def _sync_news(self, *_: object) -> None:
        pending = "waiting to be sent" in self._sync_text or "being sent" in self._sync_text
        if pending and not self._sync_timer.isActive():
            self._sync_timer.start()

    def _failed(self, message: str) -> None:
        self.heading.setText(f"Could not read job {self.job_id}: {message}")

    def _arrived(self, detail: JobDetail | None) -> None:
        if detail is None:
            self.heading.setText(f"Job {self.job_id} is no longer in the log.")
            return
        self.detail = detail
        r = detail.row
        units = unit_system(r.game, self.preference)
        self.heading.setText(
            f"<b>{r.cargo}</b> · {r.source_city} ({r.source_company}) → "
            f"{r.destination_city} ({r.destination_company}) · {r.game.name} · "
            f"{cell_text(r, 'distance', self.preference)} · {r.status.value}"
            + ("" if r.late is None else (" · late" if r.late else " · on time"))
        )
        self._plot(detail, units)
        self._fill_events(detail)
        self._fill_economics(r)
        unfinished = r.status.value in ("abandoned", "needs-review")
        for button in (self.mark_delivered, self.mark_cancelled, self.delete_button):
            button.setVisible(unfinished)
        self.loaded.emit()

    # --- the verdict ---------------------------------------------------------------------

    def _confirm(self, title: str, text: str) -> bool:
        if not self.ask:
            return True
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def resolve(self, status: str) -> None:
        from roadmaster.jobs.events import JobStatus

        if not self._confirm(
            "Change the job",
            f"Mark job {self.job_id} {status}? Its economics stay as they were stored. "
            + (
                "Its completion is sent to the cloud."
                if status == "delivered"
                else "A server with the cancel extension is told; the hosted service "
                "has no cancel, so there the job simply stays uncompleted."
            ),
        ):
            return
        verdict = JobStatus(status)
        resolve = self.service.resolve
        self._busy(f"Marking the job {status} and updating the career totals…")
        self.runner(lambda: resolve(self.job_id, verdict), self._done, self._edit_failed)

    def delete(self) -> None:
        if not self._confirm(
            "Delete the job",
            f"Delete job {self.job_id} with its samples and events from the local log? "
            "This cannot be undone. A cloud server that already has the job keeps it "
            "(the cloud API cannot delete a job).",
        ):
            return
        remove = self.service.delete
        self._busy("Deleting the job and updating the career totals…")
        self.runner(lambda: remove(self.job_id), self._deleted, self._edit_failed)

    def _busy(self, text: str) -> None:
        """While an edit runs (seconds on a long log): no second click, and say why."""
        for button in (self.mark_delivered, self.mark_cancelled, self.delete_button):
            button.setEnabled(False)
        self.sync_line.setText(text)

    def _edit_failed(self, message: str) -> None:
        for button in (self.mark_delivered, self.mark_cancelled, self.delete_button):
            button.setEnabled(True)
        self.sync_line.setText(f"The job was not changed: {message}")

    def _done(self, result: EditResult) -> None:
        for button in (self.mark_delivered, self.mark_cancelled, self.delete_button):
            button.setEnabled(True)
        if result.changed:
            self._edit_note = result.cloud
            if result.unlocked:
                self._edit_note += " Achievement unlocked: " + ", ".join(result.unlocked) + "."
            if result.revoked:
                self._edit_note += " No longer held: " + ", ".join(result.revoked) + "."
            self.changed.emit(self.job_id)
        else:
            self._edit_note = "Nothing changed: the job is no longer unfinished."
        self.runner(lambda: self.service.detail(self.job_id), self._reloaded,
                    self._failed)  # fmt: skip
        self._load_sync_state()

    def _reloaded(self, detail: JobDetail | None) -> None:
        for chart in self.charts:
            chart.plot.clear()
        self._arrived(detail)

    def _deleted(self, result: EditResult) -> None:
        for button in (self.mark_delivered, self.mark_cancelled, self.delete_button):
            button.setEnabled(True)
        if result.changed:
            self.changed.emit(self.job_id)
            self.accept()
        else:
            self.sync_line.setText("Nothing deleted: the job is no longer unfinished.")

    def _plot(self, d: JobDetail, units: UnitSystem) -> None:
        c = theme.current()
        t = d.trace
        minutes = [x / 60.0 for x in t.t_s]
        imperial = units is UnitSystem.IMPERIAL
        to_speed = mps_to_mph if imperial else mps_to_kmh
        speed = [to_speed(v) for v in t.speed_mps]
        limit = [to_speed(v) if v > 0 else float("nan") for v in t.speed_limit_mps]
        fuel = [litres_to_gallons(v) if imperial else v for v in t.fuel_l]
        damage = [100.0 * v for v in t.damage]
        self._plot_route(t.x_m, t.z_m, units, c)
        speed_curve = self.speed.plot.plot(minutes, speed, pen=pen(c.accent.name()))
        self.speed.plot.plot(minutes, limit, pen=pen(c.limit.name(), 1.5, dashed=True))
        self.rpm.plot.plot(minutes, list(t.engine_rpm), pen=pen(c.ok.name()))
        self.fuel.plot.plot(minutes, fuel, pen=pen(c.warn.name()))
        self.damage.plot.plot(minutes, damage, pen=pen(c.error.name()))
        self.fuel.keep_min_span(fuel, 5.0 if imperial else 20.0)
        self.damage.keep_min_span(damage, 1.0)
        self.speed.plot.setLabel("left", "mph" if imperial else "km/h")
        self.rpm.plot.setLabel("left", "rpm")
        self.fuel.plot.setLabel("left", "gal" if imperial else "l")
        self.damage.plot.setLabel("left", "damage")
        for chart in (self.speed, self.rpm, self.fuel, self.damage):
            chart.plot.setLabel("bottom", "minutes")
            for item in chart.plot.getPlotItem().listDataItems():
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
        del speed_curve

        def at(i: int) -> str:
            return f"{minutes[i]:.1f} min"

        self.speed.set_hover(
            minutes,
            lambda i: (
                f"{at(i)}: {format_speed(t.speed_mps[i], units)}"
                + (
                    f" (limit {format_speed(t.speed_limit_mps[i], units)})"
                    if t.speed_limit_mps[i] > 0
                    else ""
                )
            ),
        )
        self.rpm.set_hover(minutes, lambda i: f"{at(i)}: {t.engine_rpm[i]:,.0f} rpm")
        self.fuel.set_hover(minutes, lambda i: f"{at(i)}: {format_volume(t.fuel_l[i], units)}")
        self.damage.set_hover(minutes, lambda i: f"{at(i)}: {damage[i]:.1f} %")
        if not len(t):  # demo data, or a job logged before samples were kept
            for chart in self.charts:
                chart.readout.setText("no samples stored for this job")

    def _plot_route(
        self, x_m: Sequence[float], z_m: Sequence[float], units: UnitSystem, c: Any
    ) -> None:
        """The trail at one scale across and up (km or mi), fitted with a margin and
        at least ``ROUTE_MIN_SPAN_KM`` wide, a start and an end marker."""
        imperial = units is UnitSystem.IMPERIAL
        unit = "mi" if imperial else "km"
        scale = m_to_miles(1.0) if imperial else 0.001
        xs = [x * scale for x in x_m]
        ys = [-z * scale for z in z_m]  # the game's z points south: north is up
        plot = self.route.plot
        # connect="finite": a NaN (where the recording was interrupted) breaks the line
        plot.plot(xs, ys, pen=pen(c.accent.name(), 3), connect="finite")
        plot.setLabel("bottom", unit)
        plot.setLabel("left", unit)
        box = route_box(xs, ys, ROUTE_MIN_SPAN_KM * 1000.0 * scale)
        if box is None:
            return
        ends = [
            (x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(x) and math.isfinite(y)
        ]
        for (x, y), name, colour in ((ends[0], "Start", c.ok), (ends[-1], "End", c.error)):
            marker = pg.ScatterPlotItem(
                [x], [y], size=12, symbol="o", brush=colour, pen=pg.mkPen(c.text, width=1.5)
            )
            marker.setZValue(10)
            plot.addItem(marker)
            # the name on the side towards the box's middle: it stays inside the plot
            above = y < (box[1][0] + box[1][1]) / 2
            label = pg.TextItem(name, color=colour, anchor=(0.5, 1.3 if above else -0.3))
            label.setPos(x, y)
            plot.addItem(label)
        # Once set, the range stays: with the aspect locked the view widens one axis
        # to fit the window, so the box (and the trail) always shows whole.
        plot.setRange(xRange=box[0], yRange=box[1], padding=0.0)
        self.route_box = box

    def _fill_events(self, d: JobDetail) -> None:
        money = currency_for(d.row.game)
        self.events.setRowCount(len(d.events))
        for i, e in enumerate(d.events):
            amount = ""
            if e.amount is not None:
                amount = format_money(e.amount, money)
            elif e.fuel_l is not None:
                amount = f"{e.fuel_l:,.0f} l"
            cells = (
                format_game_time(e.game_time_min),
                EVENT_NAMES.get(e.kind, e.kind),
                amount,
                e.what,
            )
            for j, text in enumerate(cells):
                self.events.setItem(i, j, QTableWidgetItem(text))
        self.events.resizeColumnsToContents()

    def _fill_economics(self, r: JobRow) -> None:
        lines = economics_lines(r)
        self.economics.setRowCount(len(lines))
        for i, cells in enumerate(lines):
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 1:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.economics.setItem(i, j, item)
        self.economics.resizeColumnsToContents()
