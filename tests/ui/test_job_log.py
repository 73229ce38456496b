"""The job log browser, the job detail and the analytics, on real SQLite files (a
real capture of the simulator plus demo data), with the real pool: the model under
QAbstractItemModelTester, sorting and filters against SQL truth, a job's charts
populated, exports from the view."""

from __future__ import annotations

import csv
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from roadmaster import cli
from roadmaster.runtime.joblog import JobLogService
from roadmaster.storage.readonly import open_for_reading
from roadmaster.ui.job_log.model import COLUMNS, PAGE_SIZE, JobLogModel
from roadmaster.ui.job_log.view import JobLogView
from roadmaster.ui.tasks import TaskRunner
from tests.commands.conftest import record_simulator

TIMEOUT_MS = 20_000
DEMO_JOBS = 700


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three jobs captured from the simulator (with samples and events), then demo
    history of both games."""
    folder = tmp_path_factory.mktemp("joblog")
    recording = record_simulator(folder / "ets2.rec", "ets2", 0, 2400.0)
    data = folder / "data"
    assert cli.main(["headless", "--source", f"replay:{recording}", "--data-dir", str(data),
                     "--no-sync"]) == 0  # fmt: skip
    assert cli.main(["demo-data", "--jobs", str(DEMO_JOBS), "--seed", "3",
                     "--data-dir", str(data)]) == 0  # fmt: skip
    return data


@pytest.fixture
def service(data_dir: Path) -> Iterator[JobLogService]:
    engine = open_for_reading(data_dir)
    yield JobLogService(engine)
    engine.dispose()


@pytest.fixture
def runner(qtbot: Any) -> Iterator[Any]:
    tasks = TaskRunner(max_threads=2)
    yield tasks.run
    assert tasks.wait(10_000)


def _sql(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{data_dir / 'roadmaster.db'}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _load_all(qtbot: Any, model: JobLogModel) -> None:
    while True:
        qtbot.waitUntil(lambda: not model.is_loading(), timeout=TIMEOUT_MS)
        if not model.canFetchMore():
            return
        model.fetchMore()


def _wait_first_page(qtbot: Any, model: JobLogModel) -> None:
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_loading(), timeout=TIMEOUT_MS)


def test_model_passes_the_item_model_tester(
    qtbot: Any, service: JobLogService, runner: Any
) -> None:
    model = JobLogModel(runner)
    # A failure is a Qt warning, and Qt warnings fail the suite.  The tester itself
    # calls fetchMore() whenever it may: by the end it has walked every page.
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    model.set_service(service)
    _wait_first_page(qtbot, model)
    _load_all(qtbot, model)
    ids = [model.data(model.index(r, 0), Qt.ItemDataRole.UserRole) for r in range(model.rowCount())]
    assert len(ids) == len(set(ids)) == DEMO_JOBS + 3  # every job once
    qtbot.waitUntil(lambda: model.total == DEMO_JOBS + 3, timeout=TIMEOUT_MS)
    model.sort(next(i for i, c in enumerate(COLUMNS) if c.key == "profit"))
    _wait_first_page(qtbot, model)
    _load_all(qtbot, model)
    assert model.rowCount() == DEMO_JOBS + 3
    del tester


def test_the_model_holds_pages_not_the_log(qtbot: Any, service: JobLogService, runner: Any) -> None:
    model = JobLogModel(runner)
    model.set_service(service)
    _wait_first_page(qtbot, model)
    assert model.rowCount() == PAGE_SIZE and model.canFetchMore()
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 2 * PAGE_SIZE, timeout=TIMEOUT_MS)
    ids = [model.data(model.index(r, 0), Qt.ItemDataRole.UserRole) for r in range(model.rowCount())]
    assert len(set(ids)) == 2 * PAGE_SIZE


@pytest.mark.parametrize(
    ("key", "order", "sql"),
    [
        ("profit", Qt.SortOrder.DescendingOrder, "ORDER BY profit IS NULL, profit DESC, id DESC"),
        ("profit", Qt.SortOrder.AscendingOrder, "ORDER BY profit IS NOT NULL, profit, id"),
        ("cargo", Qt.SortOrder.AscendingOrder, "ORDER BY cargo, id"),
        ("date", Qt.SortOrder.DescendingOrder, "ORDER BY started_at DESC, id DESC"),
    ],
)
def test_sorting_matches_sql(
    qtbot: Any, service: JobLogService, runner: Any, data_dir: Path, key: str, order: Any, sql: str
) -> None:
    model = JobLogModel(runner)
    model.set_service(service)
    _wait_first_page(qtbot, model)
    column = next(i for i, c in enumerate(COLUMNS) if c.key == key)
    model.sort(column, order)
    _load_all(qtbot, model)
    got = [model.data(model.index(r, 0), Qt.ItemDataRole.UserRole) for r in range(model.rowCount())]
    assert got == [row[0] for row in _sql(data_dir, f"SELECT id FROM jobs {sql}")]


def test_filters_and_search_match_sql(
    qtbot: Any, service: JobLogService, runner: Any, data_dir: Path
) -> None:
    view = JobLogView(runner)
    qtbot.addWidget(view)
    view.set_service(service)
    _wait_first_page(qtbot, view.model)
    qtbot.waitUntil(lambda: view.cargo.count() > 1, timeout=TIMEOUT_MS)
    view.game.setCurrentIndex(view.game.findData("ats"))
    view.late_only.setChecked(True)
    _load_all(qtbot, view.model)
    got = {view.model.row_at(r).id for r in range(view.model.rowCount())}  # type: ignore[union-attr]
    assert got == {r[0] for r in _sql(data_dir, "SELECT id FROM jobs WHERE game='ats' AND late=1")}
    # the count is a task of its own: it may land after the last page
    assert got
    qtbot.waitUntil(lambda: view.count_label.text() == f"{len(got):,} jobs", timeout=TIMEOUT_MS)
    view.late_only.setChecked(False)
    view.search.setText("berl")
    qtbot.waitUntil(lambda: view.model.query is not None and view.model.query.text == "berl",
                    timeout=TIMEOUT_MS)  # fmt: skip
    _load_all(qtbot, view.model)
    got = {view.model.row_at(r).id for r in range(view.model.rowCount())}  # type: ignore[union-attr]
    want = _sql(data_dir, "SELECT id FROM jobs WHERE game='ats' AND (cargo LIKE '%berl%' OR "
                "source_city LIKE '%berl%' OR destination_city LIKE '%berl%' OR source_company "
                "LIKE '%berl%' OR destination_company LIKE '%berl%')")  # fmt: skip
    assert got == {r[0] for r in want}


def test_a_job_detail_shows_its_charts(qtbot: Any, service: JobLogService, runner: Any) -> None:
    from roadmaster.ui.job_log.detail import JobDetailDialog

    # job 2 of the capture: delivered, with a toll and a fine
    dialog = JobDetailDialog(2, service, runner)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=TIMEOUT_MS):
        pass
    assert dialog.detail is not None and dialog.detail.row.status.value == "delivered"
    for chart in (dialog.route, dialog.speed, dialog.rpm, dialog.fuel, dialog.damage):
        items = chart.plot.getPlotItem().listDataItems()
        assert items, chart.title
        xs, _ys = items[0].getData()
        assert len(xs) > 100, chart.title  # one point per stored sample (downsampled)
    # the speed chart has the limit beside the speed, and hovering reads numbers out
    assert len(dialog.speed.plot.getPlotItem().listDataItems()) == 2
    assert "km/h" in dialog.speed.hover_text_at(5.0)
    # every axis says its unit (ETS2, metric): in its label or in its tick strings

    def axis(chart: Any, name: str = "left") -> Any:
        return chart.plot.getPlotItem().getAxis(name)

    assert axis(dialog.speed).labelText == "km/h"
    assert axis(dialog.rpm).labelText == "rpm"
    assert axis(dialog.fuel).labelText == "l"
    assert axis(dialog.damage).tickStrings([0.0, 2.5, 5.0], 1.0, 2.5) == ["0 %", "2.5 %", "5 %"]
    assert axis(dialog.route).labelText == axis(dialog.route, "bottom").labelText == "km"
    kinds = {dialog.events.item(r, 1).text() for r in range(dialog.events.rowCount())}
    assert {"Toll", "Fine"} <= kinds
    lines = {dialog.economics.item(r, 0).text(): dialog.economics.item(r, 2).text()
             for r in range(dialog.economics.rowCount())}  # fmt: skip
    assert "Profit" in lines and "Fuel" in lines and "fuel price" in lines["Fuel"]


def test_analytics_draw_every_chart(
    qtbot: Any, service: JobLogService, runner: Any, tmp_path: Path
) -> None:
    from roadmaster.ui.analytics.view import AnalyticsView

    view = AnalyticsView(runner)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.refreshed, timeout=TIMEOUT_MS):
        view.set_service(service)
    assert view.data is not None and view.data.jobs > 100
    for chart in view.charts:
        assert chart.plot.getPlotItem().items, chart.title
    assert view.pnl.rowCount() == len(view.data.months) > 6
    assert view.standings.rowCount() > 3
    assert view.achievements.layout().count() > 0
    # hours of service: the captured ETS2 drive's game days, limit line, hover figures
    assert view.data.hos and all(d.game.value == "ets2" for d in view.data.hos)
    assert sum(d.driving_min for d in view.data.hos) > 0
    assert "9-hour daily driving limit" in view.hos_caption.text()
    assert "rpm" in view.hos_caption.text()
    hover = view.hos.hover_text_at(0.0)
    assert " driving (limit 9 h)" in hover and "break violations" in hover
    # a period change recomputes
    with qtbot.waitSignal(view.refreshed, timeout=TIMEOUT_MS):
        view.period.setCurrentIndex(0)  # last 10 jobs
    assert view.data.period == "last10" and view.data.jobs == 10
    saved = view.income.save_png(str(tmp_path / "income.png"))
    assert saved is not None and saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_pdf_report_has_the_hours_of_service_chart(
    qtbot: Any, service: JobLogService, tmp_path: Path
) -> None:
    """The report's summary page of the game that was driven carries the HOS chart
    beside the other charts, with the days the capture drove."""
    import subprocess
    from datetime import UTC, datetime

    from roadmaster.runtime.joblog import JobQuery
    from roadmaster.telemetry.frame import Game
    from roadmaster.ui.report_pdf import write_report

    out = tmp_path / "report.pdf"
    assert write_report(service, out, JobQuery(game=Game.ETS2)) >= 3
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    text = text.replace("\ufb01", "fi")  # Qt's PDF sets "fi" as a ligature
    assert "Net profit per month" in text and "Profit per km by cargo" in text
    assert "Hours of service per game day (limit 9 h; red: over; !: violation)" in text
    # the captured drive broke the rules on some game day (4 h 30 without a break):
    # its bar is marked
    days = service.hos_history("all", Game.ETS2)
    assert any(day.violations for day in days)
    chart = text[text.index("Hours of service") : text.index("Monthly P&L")]
    assert "!" in chart
    # the chart covers every stored drive of the game: the caption says so, and
    # names the report's filters that do not apply to it
    assert "of all the game's stored driving" in " ".join(chart.split())
    assert "do not apply" not in chart
    out = tmp_path / "filtered.pdf"
    since = datetime(2020, 1, 1, tzinfo=UTC)
    write_report(service, out, JobQuery(game=Game.ETS2, started_from=since, cargo="Beverages"))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    text = text.replace("\ufb01", "fi")
    chart = " ".join(text[text.index("Hours of service") : text.index("Monthly P&L")].split())
    assert "the report's other filters (dates, cargo) do not apply here" in chart


def test_export_from_the_view(
    qtbot: Any, service: JobLogService, runner: Any, tmp_path: Path
) -> None:
    view = JobLogView(runner)
    view.show_dialogs = False
    qtbot.addWidget(view)
    view.set_service(service)
    _wait_first_page(qtbot, view.model)
    view.game.setCurrentIndex(view.game.findData("ets2"))
    out = tmp_path / "ets2.csv"
    with qtbot.waitSignal(view.export_finished, timeout=TIMEOUT_MS) as done:
        view.export("csv", str(out))
    assert done.args[0][0] == "csv"
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert done.args[0][1] == len(rows) > 0 and {r["game"] for r in rows} == {"ets2"}
    # a folder that does not exist: one clear message, nothing written
    with qtbot.waitSignal(view.export_failed, timeout=TIMEOUT_MS) as failed:
        view.export("csv", str(tmp_path / "nope" / "x.csv"))
    assert "does not exist" in failed.args[0] and "\n" not in failed.args[0]


@pytest.fixture
def writable(data_dir: Path, tmp_path: Path) -> Iterator[tuple[Path, JobLogService]]:
    """A copy of the log, opened for writing as the app's capture opens it."""
    import shutil

    from roadmaster.storage import Store

    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    store = Store.open(copy)
    yield copy, JobLogService(store.engine)
    store.close()


def test_an_unfinished_job_can_be_resolved_or_deleted(
    qtbot: Any, writable: tuple[Path, JobLogService], runner: Any
) -> None:
    from roadmaster.ui.job_log.detail import JobDetailDialog

    folder, service = writable
    review = [r[0] for r in _sql(folder, "SELECT id FROM jobs WHERE status='needs-review'")]
    first, second = review[:2]
    dialog = JobDetailDialog(first, service, runner)
    dialog.ask = False  # the question a player would answer with Yes
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=TIMEOUT_MS):
        pass
    assert not dialog.mark_cancelled.isHidden() and not dialog.delete_button.isHidden()
    with qtbot.waitSignal(dialog.changed, timeout=TIMEOUT_MS):
        dialog.mark_cancelled.click()
    assert _sql(folder, f"SELECT status FROM jobs WHERE id={first}") == [("cancelled",)]
    qtbot.waitUntil(lambda: dialog.mark_cancelled.isHidden(), timeout=TIMEOUT_MS)
    # a finished job can no longer be changed or deleted from here
    assert not service.delete(first).changed

    other = JobDetailDialog(second, service, runner)
    other.ask = False
    qtbot.addWidget(other)
    with qtbot.waitSignal(other.loaded, timeout=TIMEOUT_MS):
        pass
    with qtbot.waitSignal(other.changed, timeout=TIMEOUT_MS):
        other.delete_button.click()
    assert _sql(folder, f"SELECT count(*) FROM jobs WHERE id={second}") == [(0,)]
    assert _sql(folder, f"SELECT count(*) FROM job_events WHERE job_id={second}") == [(0,)]


def test_marking_a_job_delivered_changes_its_status_and_sync_state(
    qtbot: Any, writable: tuple[Path, JobLogService], runner: Any
) -> None:
    """The player marks a "needs review" job delivered in its detail: the heading
    says delivered, the sync line goes from "nothing queued" to the completion
    waiting for the cloud, and the outbox holds the start and the completion."""
    from roadmaster.ui.job_log.detail import JobDetailDialog

    folder, service = writable
    (job_id,) = _sql(folder, "SELECT id FROM jobs WHERE status='needs-review' LIMIT 1")[0]
    dialog = JobDetailDialog(job_id, service, runner)
    dialog.ask = False
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=TIMEOUT_MS):
        pass
    qtbot.waitUntil(lambda: "Not synced" in dialog.sync_line.text(), timeout=TIMEOUT_MS)
    assert "needs-review" in dialog.heading.text()
    with qtbot.waitSignal(dialog.changed, timeout=TIMEOUT_MS):
        dialog.mark_delivered.click()
    qtbot.waitUntil(lambda: "delivered" in dialog.heading.text(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: "completion is waiting to be sent" in dialog.sync_line.text(), timeout=TIMEOUT_MS
    )
    assert "queued for the cloud" in dialog.sync_line.text()
    assert dialog.mark_delivered.isHidden()
    assert _sql(folder, f"SELECT kind FROM outbox WHERE job_id={job_id} ORDER BY id") == [
        ("job_start",),
        ("job_complete",),
    ]


def test_a_delivered_job_offers_no_verdict(qtbot: Any, service: JobLogService, runner: Any) -> None:
    from roadmaster.ui.job_log.detail import JobDetailDialog

    dialog = JobDetailDialog(2, service, runner)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=TIMEOUT_MS):
        pass
    assert dialog.mark_delivered.isHidden() and dialog.delete_button.isHidden()


def test_the_demo_speed_control_brings_a_finished_job_to_the_log(
    qtbot: Any, tmp_path: Path
) -> None:
    """At 1x the simulator's first job ends after ~20 minutes; switching the window's
    control to 60x brings it to the Jobs page (and the analytics) within a minute."""
    from PySide6.QtCore import QSettings

    from roadmaster.telemetry.sim.simulator import SimulatorSource
    from roadmaster.ui.app import RoadMasterApp
    from roadmaster.ui.controller import AppOptions

    options = AppOptions(
        source_factory=lambda: SimulatorSource(), data_dir=tmp_path / "demo", demo=True, speed=1.0
    )
    app = RoadMasterApp(options, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(app.window)
    pages = app.window.job_log
    box = pages.speed_box
    assert box is not None and [box.itemText(i) for i in range(box.count())] == [
        "Demo 1×", "Demo 10×", "Demo 60×",
    ]  # fmt: skip
    app.start(show=True)
    qtbot.waitUntil(lambda: pages.service is not None, timeout=60_000)
    box.setCurrentIndex(2)
    assert app.controller.runtime.speed_dial.get() == 60.0
    pages.show_jobs()

    def finished_in_log() -> bool:
        model = pages.view.model
        rows = [model.row_at(r) for r in range(model.rowCount())]
        return any(r is not None and r.status.value != "open" for r in rows)

    qtbot.waitUntil(finished_in_log, timeout=90_000)
    pages.load_analytics()
    pages.show_analytics()
    qtbot.waitUntil(
        lambda: pages.analytics.data is not None and pages.analytics.data.jobs >= 1,
        timeout=TIMEOUT_MS,
    )
    assert app.shutdown()


def test_a_page_arriving_after_its_model_is_gone_is_dropped(qtbot) -> None:
    # A page loaded on the pool whose model was deleted meanwhile (its view closed)
    # must not reach the dead model (it raised "Internal C++ object already deleted").
    import shiboken6
    from PySide6.QtCore import QObject

    from roadmaster.ui.tasks import TaskRunner, owned_by

    tasks = TaskRunner()
    owner = QObject()
    answers: list[object] = []
    run = owned_by(owner, tasks.run)
    gate = threading.Event()
    run(lambda: gate.wait(10) and "page", answers.append, answers.append)
    shiboken6.delete(owner)
    gate.set()
    assert tasks.wait(10_000)
    qtbot.waitUntil(lambda: not tasks._relays, timeout=10_000)
    assert answers == []


def _pixels_per_unit(chart: Any) -> tuple[float, float]:
    vb = chart.plot.getPlotItem().getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    rect = vb.boundingRect()
    return rect.width() / (x1 - x0), rect.height() / (y1 - y0)


def _route_shown(qtbot: Any, service: JobLogService, runner: Any, job_id: int) -> Any:
    from roadmaster.ui.job_log.detail import JobDetailDialog

    dialog = JobDetailDialog(job_id, service, runner)
    qtbot.addWidget(dialog)
    dialog.resize(1366, 768)
    dialog.show()
    qtbot.waitExposed(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=TIMEOUT_MS):
        pass
    vb = dialog.route.plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: vb.boundingRect().width() > 100, timeout=5000)
    return dialog


def _check_route(dialog: Any) -> float:
    """Asserts one scale across and up, the whole trail inside, Start and End
    marked; the extent of the trail in km."""
    t = dialog.detail.trace
    xs = [x / 1000.0 for x in t.x_m]
    ys = [-z / 1000.0 for z in t.z_m]
    assert len(xs) > 10
    vb = dialog.route.plot.getPlotItem().getViewBox()
    per_x, per_y = _pixels_per_unit(dialog.route)
    assert per_x == pytest.approx(per_y, rel=0.01)
    (x0, x1), (y0, y1) = vb.viewRange()
    assert x0 < min(xs) and max(xs) < x1 and y0 < min(ys) and max(ys) < y1
    extent = max(max(xs) - min(xs), max(ys) - min(ys))
    shown = min(x1 - x0, y1 - y0)
    assert shown >= 1.0  # never a few metres blown up to the whole plot
    assert shown <= max(extent, 1.0) * 1.6  # nor a trail lost in a huge box
    names = {i.toPlainText() for i in vb.addedItems if hasattr(i, "toPlainText")}
    assert {"Start", "End"} <= names
    return extent


@pytest.mark.parametrize("job_id", [1, 2, 3])
def test_the_route_shows_the_whole_trail_at_one_scale(
    qtbot: Any, service: JobLogService, runner: Any, job_id: int
) -> None:
    """The captured jobs (4 to 34 km): 1 km is as long across as up, the whole
    trail shows in a box not much larger than it, start and end are marked."""
    assert _check_route(_route_shown(qtbot, service, runner, job_id)) > 3.0


def test_a_short_trail_shows_in_a_1_km_box(qtbot: Any, runner: Any, tmp_path: Path) -> None:
    """A job of a few hundred metres (the capture stopped soon after it began) is
    shown in a box of about 1 km, not blown up to fill the plot."""
    recording = record_simulator(tmp_path / "short.rec", "ets2", 0, 40.0)
    data = tmp_path / "data"
    assert cli.main(["headless", "--source", f"replay:{recording}", "--data-dir", str(data),
                     "--no-sync"]) == 0  # fmt: skip
    engine = open_for_reading(data)
    try:
        dialog = _route_shown(qtbot, JobLogService(engine), runner, 1)
        assert _check_route(dialog) < 0.8
        (x0, x1), (y0, y1) = dialog.route.plot.getPlotItem().getViewBox().viewRange()
        assert min(x1 - x0, y1 - y0) == pytest.approx(1.16, rel=0.02)  # 1 km + margins
        # the other charts of a short job: a litre's change is not blown up to the
        # plot's height, and the minutes are minutes, not "minutes (x0.001)"
        (_, _), (f0, f1) = dialog.fuel.plot.getPlotItem().getViewBox().viewRange()
        assert f1 - f0 >= 20.0
        (_, _), (d0, d1) = dialog.damage.plot.getPlotItem().getViewBox().viewRange()
        assert d1 - d0 >= 1.0
        for chart in dialog.charts[1:]:
            bottom = chart.plot.getPlotItem().getAxis("bottom")
            assert "minutes" in bottom.labelString() and "x0" not in bottom.labelString()
    finally:
        engine.dispose()


def test_the_detail_follows_the_units_setting(
    qtbot: Any, service: JobLogService, runner: Any
) -> None:
    """Imperial units chosen for an ETS2 job: the route in miles (still one scale
    across and up), speed in mph, fuel in gallons."""
    from roadmaster.ui.job_log.detail import JobDetailDialog

    dialog = JobDetailDialog(2, service, runner, "imperial")
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=TIMEOUT_MS):
        pass

    def label(chart: Any, name: str = "left") -> str:
        return chart.plot.getPlotItem().getAxis(name).labelText

    assert label(dialog.route) == label(dialog.route, "bottom") == "mi"
    assert label(dialog.speed) == "mph" and label(dialog.fuel) == "gal"
    t = dialog.detail.trace  # type: ignore[union-attr]
    miles = [x / 1609.344 for x in t.x_m]
    xs, _ys = dialog.route.plot.getPlotItem().listDataItems()[0].getData()
    assert min(xs) == pytest.approx(min(miles)) and max(xs) == pytest.approx(max(miles))
