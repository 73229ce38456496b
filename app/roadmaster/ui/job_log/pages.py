"""Wires the job log browser, the analytics and the demo-speed control into the
main window (kept apart from main_window.py so that the window's own code stays
small): two pages, "Jobs" and "Analytics", beside the dashboard in the window's
central tabs (a 17-column table and a grid of charts need the room; the page
shown is remembered with the layout).

The views reach the data through one :class:`JobLogService`, created when the
capture thread has opened the data file; their SQL runs on the controller's pool.
The analytics (pyqtgraph) are built after the window's first paint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QComboBox, QLabel, QMainWindow, QStackedWidget, QTabWidget, QWidget

from roadmaster.jobs.events import JobAbandoned, JobCancelled, JobDelivered, JobStarted
from roadmaster.ui.job_log.view import JobLogView

if TYPE_CHECKING:  # the data layer (SQLAlchemy) loads after the first paint
    from roadmaster.runtime.joblog import JobLogService

DEMO_SPEEDS = (1.0, 10.0, 60.0)
REFRESH_DELAY_MS = 500  # a job's end arrives with a burst of events: refresh once


class JobLogPages:
    """The "Jobs" and "Analytics" pages of one main window's central tabs."""

    def __init__(
        self,
        window: QMainWindow,
        tabs: QTabWidget,
        controller: Any,
        qsettings: QSettings | None,
    ) -> None:
        self.window = window
        self.controller = controller
        self.service: JobLogService | None = None
        runner = controller.tasks.run
        self._runner = runner
        self.view = JobLogView(runner, qsettings)
        self.view.model.set_units(controller.unit_preference)
        self.view.job_opened.connect(self.open_job)
        self.analytics: Any = None
        placeholder = QLabel("Loading the charts…")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        placeholder.setObjectName("dim")
        self.tabs = tabs
        # A stack, so the charts can replace the placeholder without moving the tab.
        self.analytics_page = QStackedWidget()
        self.analytics_page.addWidget(placeholder)
        self.jobs_index = tabs.addTab(self.view, "Jobs")
        self.analytics_index = tabs.addTab(self.analytics_page, "Analytics")
        tabs.currentChanged.connect(lambda i: self._analytics_visible(i == self.analytics_index))
        self._analytics_stale = True
        self._refresh_timer = QTimer(window)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        controller.bridge.store_opened.connect(self._store_opened)
        controller.bridge.events_committed.connect(self._events)
        self.details: list[QWidget] = []
        self.speed_box: QComboBox | None = None

    def add_speed_control(self) -> None:
        """The demo's speed control, in the menu bar's free right corner (demo only;
        the status bar's texts keep their room)."""
        if self.controller.options.demo:
            self._add_speed_control()

    def show_jobs(self) -> None:
        self.tabs.setCurrentIndex(self.jobs_index)

    def show_analytics(self) -> None:
        self.tabs.setCurrentIndex(self.analytics_index)

    def analytics_shown(self) -> bool:
        return self.tabs.currentIndex() == self.analytics_index and self.window.isVisible()

    # --- data --------------------------------------------------------------------------

    def _store_opened(self, _opened: object) -> None:
        self.set_service(self.controller.runtime.job_log())

    def set_service(self, service: JobLogService | None) -> None:
        self.service = service
        self.view.set_service(service)
        if self.analytics is not None:
            self.analytics.set_service(service)

    def _events(self, events: tuple[object, ...]) -> None:
        if any(
            isinstance(e, JobStarted | JobDelivered | JobCancelled | JobAbandoned) for e in events
        ):
            self._refresh_timer.start()

    def refresh(self) -> None:
        """Jobs changed: reload the log; the analytics now if shown, else when shown."""
        if self.service is None:
            return
        self.view.refresh()
        if self.analytics is not None and self.analytics_shown():
            self.analytics.refresh()
        else:
            self._analytics_stale = True

    def load_analytics(self) -> None:
        """Build the charts (imports pyqtgraph): after the first paint."""
        if self.analytics is not None:
            return
        from roadmaster.ui.analytics.view import AnalyticsView

        self.analytics = AnalyticsView(self._runner)
        self.analytics.preference = self.controller.unit_preference
        old = self.analytics_page.widget(0)
        self.analytics_page.addWidget(self.analytics)
        self.analytics_page.setCurrentWidget(self.analytics)
        if old is not None:
            self.analytics_page.removeWidget(old)
            old.deleteLater()
        self.analytics.service = self.service
        self._analytics_stale = True
        if self.analytics_shown():
            self._analytics_visible(True)

    def _analytics_visible(self, visible: bool) -> None:
        if visible and self.analytics is not None and self._analytics_stale and self.service:
            self._analytics_stale = False
            self.analytics.set_service(self.service)

    def open_job(self, job_id: int) -> Any:
        """The job's detail in its own window."""
        if self.service is None:
            return None
        from roadmaster.ui.job_log.detail import JobDetailDialog

        dialog = JobDetailDialog(
            job_id, self.service, self._runner, self.controller.unit_preference, self.window
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.changed.connect(lambda _id: self._refresh_timer.start())
        dialog.follow_sync(self.controller.status_changed)
        dialog.destroyed.connect(
            lambda *_: self.details.remove(dialog) if dialog in self.details else None
        )
        self.details.append(dialog)
        dialog.show()
        return dialog

    def _forget(self, dialog: QWidget) -> None:
        if dialog in self.details:
            self.details.remove(dialog)

    # --- demo speed --------------------------------------------------------------------

    def _add_speed_control(self) -> None:
        box = QComboBox()
        box.setObjectName("demoSpeed")
        box.setToolTip(
            "How fast the demo's simulated truck drives (60×: a delivery a minute or so)"
        )
        current = self.controller.options.speed or 1.0
        for speed in DEMO_SPEEDS:
            box.addItem(f"Demo {speed:.0f}×", speed)
        box.setCurrentIndex(
            min(range(len(DEMO_SPEEDS)), key=lambda i: abs(DEMO_SPEEDS[i] - current))
        )
        if current not in DEMO_SPEEDS:
            box.insertItem(0, f"Demo {current:g}×", current)
            box.setCurrentIndex(0)
        box.currentIndexChanged.connect(lambda _i: self.set_demo_speed(box.currentData()))
        self.window.menuBar().setCornerWidget(box, Qt.Corner.TopRightCorner)
        self.speed_box = box

    def set_demo_speed(self, speed: float) -> None:
        self.controller.runtime.set_speed(speed)
