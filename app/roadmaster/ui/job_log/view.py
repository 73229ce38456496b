"""The "Jobs" view: filters, search, the paged table, exports.

Everything that reads the database runs as a pool task (the model's pages and
counts, the filter choices, exports); this widget only lays out and forwards.
Column choice, order and widths are remembered in QSettings.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QDate, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from roadmaster.jobs.events import JobStatus
from roadmaster.telemetry.frame import Game
from roadmaster.ui.job_log.model import COLUMNS, JobLogModel
from roadmaster.ui.tasks import Runner, owned_by

if TYPE_CHECKING:  # the data layer (SQLAlchemy) loads after the first paint
    from roadmaster.runtime.joblog import FilterChoices, JobLogService, JobQuery

SETTINGS_HEADER = "jobs/header"
SEARCH_DELAY_MS = 200
NO_DATE = QDate(2000, 1, 1)


class _Table(QTableView):
    activated_row = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_row.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


class ExportRelay(QObject):
    """Lives on the GUI thread; the export task emits through it (queued)."""

    progressed = Signal(int, int)
    finished = Signal(object)  # int jobs written, or None when cancelled
    failed = Signal(str)


def _combo(items: list[tuple[str, Any]]) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    return box


class JobLogView(QWidget):
    """Filters above the table; double-click or Enter opens a job."""

    job_opened = Signal(int)  # job id

    def __init__(
        self,
        runner: Runner,
        qsettings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jobLog")
        self._run = owned_by(self, runner)
        self._qsettings = qsettings
        self.service: JobLogService | None = None
        self.model = JobLogModel(runner, self)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search cargo, city, company…")
        self.search.setClearButtonEnabled(True)
        # Qt hands enum data back as plain strings: the boxes hold the values.
        self.game = _combo(
            [("All games", None), ("ATS", Game.ATS.value), ("ETS2", Game.ETS2.value)]
        )
        self.status = _combo([("Any status", None)] + [(s.value, s.value) for s in JobStatus])
        self.city = _combo([("Any city", None)])
        self.company = _combo([("Any company", None)])
        self.cargo = _combo([("Any cargo", None)])
        for box in (self.city, self.company, self.cargo):
            box.setMinimumContentsLength(8)
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setToolTip("Show only jobs with this one (type its first letters to jump)")
        self.date_from = self._date_edit("From: any")
        self.date_to = self._date_edit("To: any")
        self.late_only = QCheckBox("Late only")
        self.needs_review = QCheckBox("Needs review")
        self.count_label = QLabel("")
        self.count_label.setObjectName("dim")
        self.columns_button = QPushButton("Columns")
        self.export_button = QPushButton("Export…")
        export_menu = QMenu(self)
        for fmt, text in (("csv", "CSV…"), ("json", "JSON…"), ("pdf", "PDF report…")):
            action = export_menu.addAction(text)
            action.triggered.connect(lambda _=False, f=fmt: self.export(f))
        self.export_button.setMenu(export_menu)
        self._column_menu = QMenu(self)
        self.columns_button.setMenu(self._column_menu)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.columns_button)
        top.addWidget(self.export_button)
        second = QHBoxLayout()
        second.addWidget(self.game)
        second.addWidget(self.status)
        for box in (self.city, self.company, self.cargo):
            second.addWidget(box, 1)
        third = QHBoxLayout()
        third.addWidget(self.date_from)
        third.addWidget(self.date_to)
        third.addWidget(self.late_only)
        third.addWidget(self.needs_review)
        third.addStretch(1)
        self.table = _Table()
        self.table.setObjectName("jobTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        rows = self.table.verticalHeader()
        # Fixed heights: the view never measures rows, however many pages are loaded.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        header.setDefaultSectionSize(110)
        header.resizeSection(2, 230)
        header.resizeSection(3, 230)
        header.resizeSection(0, self.fontMetrics().horizontalAdvance("2026-12-31 23:59") + 24)
        header.sectionResized.connect(lambda *_: self._save_header())
        header.sectionMoved.connect(lambda *_: self._save_header())
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        self.table.activated_row.connect(self._open)

        column = QVBoxLayout(self)
        column.setContentsMargins(6, 6, 6, 6)
        column.addLayout(top)
        column.addLayout(second)
        column.addLayout(third)
        column.addWidget(self.table, 1)
        self._build_column_menu()
        self._restore_header()

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        for box in (self.game, self.status, self.city, self.company, self.cargo):
            box.currentIndexChanged.connect(lambda _i: self.apply_filters())
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _d: self.apply_filters())
        self.late_only.toggled.connect(lambda _b: self.apply_filters())
        self.needs_review.toggled.connect(lambda _b: self.apply_filters())
        self.model.count_changed.connect(self._show_count)
        self.model.failed.connect(
            lambda m: self.count_label.setText(f"Could not read the log: {m}")
        )

    # --- wiring ------------------------------------------------------------------------

    def set_service(self, service: JobLogService | None) -> None:
        """The data file is open (or closed): load the log and the filter choices."""
        self.service = service
        self.model.set_service(service)
        if service is not None:
            self._run(service.filter_choices, self._fill_choices, lambda _m: None)

    def refresh(self) -> None:
        """New jobs may have been written: reload the current view."""
        self.model.reload()

    def _fill_choices(self, choices: FilterChoices) -> None:
        for box, values in (
            (self.city, choices.cities),
            (self.company, choices.companies),
            (self.cargo, choices.cargos),
        ):
            current = box.currentData()
            box.blockSignals(True)
            any_text = box.itemText(0)
            box.clear()
            box.addItem(any_text, None)
            for value in values:
                box.addItem(value, value)
            found = box.findData(current)
            box.setCurrentIndex(max(0, found))
            box.blockSignals(False)

    def _date_edit(self, any_text: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText(any_text)
        edit.setDate(NO_DATE)
        return edit

    # --- filters -----------------------------------------------------------------------

    def current_query(self) -> JobQuery:
        from roadmaster.runtime.joblog import JobQuery

        def day(edit: QDateEdit) -> datetime | None:
            d = edit.date()
            if d == NO_DATE:
                return None
            return datetime(d.year(), d.month(), d.day(), tzinfo=UTC)

        to = day(self.date_to)
        if to is not None:  # "to" is inclusive for a person: up to the end of that day
            to = to.replace(hour=23, minute=59, second=59)
        status_value = self.status.currentData()
        status = JobStatus(status_value) if status_value else None
        game_value = self.game.currentData()
        if self.needs_review.isChecked():
            status = JobStatus.NEEDS_REVIEW
        return JobQuery(
            started_from=day(self.date_from),
            started_to=to,
            game=Game(game_value) if game_value else None,
            status=status,
            city=self.city.currentData(),
            company=self.company.currentData(),
            cargo=self.cargo.currentData(),
            late_only=self.late_only.isChecked(),
            text=self.search.text().strip() or None,
        )

    def apply_filters(self) -> None:
        self.model.set_query(self.current_query())

    def _show_count(self, n: int) -> None:
        self.count_label.setText(f"{n:,} job{'s' if n != 1 else ''}")

    def _open(self, row: int) -> None:
        r = self.model.row_at(row)
        if r is not None:
            self.job_opened.emit(r.id)

    # --- columns -----------------------------------------------------------------------

    def _build_column_menu(self) -> None:
        header = self.table.horizontalHeader()
        for i, column in enumerate(COLUMNS):
            action = QAction(column.title, self)
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda on, i=i: self._show_column(i, on))
            self._column_menu.addAction(action)
        self._column_actions = self._column_menu.actions()
        header.sectionCountChanged.connect(lambda *_: None)

    def _show_column(self, i: int, shown: bool) -> None:
        self.table.setColumnHidden(i, not shown)
        self._save_header()

    def _save_header(self) -> None:
        if self._qsettings is not None:
            self._qsettings.setValue(SETTINGS_HEADER, self.table.horizontalHeader().saveState())

    def _restore_header(self) -> None:
        if self._qsettings is None:
            return
        state = self._qsettings.value(SETTINGS_HEADER)
        if isinstance(state, QByteArray | bytes):
            self.table.horizontalHeader().restoreState(QByteArray(state))
        for i, action in enumerate(self._column_actions):
            action.blockSignals(True)
            action.setChecked(not self.table.isColumnHidden(i))
            action.blockSignals(False)

    # --- export ------------------------------------------------------------------------

    def export(self, fmt: str, path: str | None = None) -> None:
        """Export the filtered log (asks for a file unless ``path`` is given)."""
        service = self.service
        if service is None:
            return
        if path is None:
            filters = {"csv": "CSV (*.csv)", "json": "JSON (*.json)", "pdf": "PDF (*.pdf)"}
            path, _ = QFileDialog.getSaveFileName(
                self, "Export the job log", f"roadmaster-jobs.{fmt}", filters[fmt]
            )
            if not path:
                return
        out = Path(path)
        query = self.current_query()
        sort, desc = self.model.sort_key, self.model.descending
        cancel = threading.Event()
        relay = ExportRelay(self)
        # Progress in a dialog only for a player (show_dialogs): offscreen, closing a
        # QProgressDialog that had shown itself could block the event loop.
        dialog = _Progress(self, cancel) if self.show_dialogs else None
        self.export_dialog = dialog
        self.export_relay = relay

        def progress(done: int, total: int) -> None:
            relay.progressed.emit(done, total)

        def work() -> object:
            from roadmaster.errors import UserError
            from roadmaster.exports.files import ExportCancelled

            try:
                if fmt == "pdf":
                    from roadmaster.ui.report_pdf import write_report

                    stamp = f"Made {datetime.now():%Y-%m-%d %H:%M}"
                    pages = write_report(service, out, query, now_text=stamp, progress=progress)
                    relay.finished.emit(("pdf", pages))
                else:
                    n = service.export(
                        out,
                        fmt,
                        query,
                        sort=sort,
                        descending=desc,
                        progress=progress,
                        cancel=cancel,
                    )
                    relay.finished.emit((fmt, n))
            except ExportCancelled:
                relay.finished.emit(None)
            except UserError as exc:
                relay.failed.emit(str(exc))
            return None

        def progressed(done: int, total: int) -> None:
            if dialog is not None:
                dialog.setMaximum(max(1, total))
                dialog.setValue(min(done, max(1, total) - 1))

        def finished(result: object) -> None:
            if dialog is not None:
                dialog.done_()
            if result is not None:
                assert isinstance(result, tuple)
                fmt_done, n = result
                what = f"{n:,} pages" if fmt_done == "pdf" else f"{n:,} jobs"
                self.count_label.setText(f"Exported {what} to {out.name}")
            self.export_finished.emit(result)

        def failed(message: str) -> None:
            if dialog is not None:
                dialog.done_()
            self.export_failed.emit(message)
            if self.show_dialogs:
                QMessageBox.warning(self, "Export failed", message)

        relay.progressed.connect(progressed)
        relay.finished.connect(finished)
        relay.failed.connect(failed)
        self._run(work, lambda _r: None, failed)

    export_finished = Signal(object)
    export_failed = Signal(str)
    show_dialogs = True


class _Progress(QProgressDialog):
    """The export's progress: not modal (the export runs on the pool, and a modal
    QProgressDialog's setValue() spins the event loop inside our slots)."""

    def __init__(self, parent: QWidget, cancel: threading.Event) -> None:
        super().__init__("Exporting the job log…", "Cancel", 0, 100, parent)
        self.setWindowTitle("Export")
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setMinimumDuration(300)
        self.canceled.connect(cancel.set)

    def done_(self) -> None:
        self.reset()  # hides it (autoClose)
        self.deleteLater()
