"""The main window: the dashboard in the middle, route and job docks, menus, status.

Geometry and the dock layout are restored from QSettings.  The window tells the
controller whether the dashboard is actually visible (not hidden, not minimised), so
nothing is computed or painted for a dashboard nobody sees.

The first-run banner sits above the dashboard.  The route dock starts with a
placeholder: the map needs pyqtgraph (half a second of imports), which is loaded
after the first paint (:meth:`MainWindow.load_route_view`).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QGuiApplication,
    QHideEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from roadmaster.ui.controller import AppController
from roadmaster.ui.dashboard import DashboardView
from roadmaster.ui.dispatcher_dock import ControllerHost, DispatcherDock
from roadmaster.ui.first_run import FirstRunHints
from roadmaster.ui.job_panel import JobPanel
from roadmaster.ui.status_bar import StatusLine

STATE_VERSION = 1  # bump when the dock layout changes incompatibly
# Below this height the job and route docks share one place as tabs (a 1024×600
# netbook or a small laptop): stacked, neither would be usable.
COMPACT_HEIGHT = 700


class MainWindow(QMainWindow):
    """Lays out the views and forwards menu commands to the controller."""

    closing = Signal()  # the user closed the window (the app decides what that means)
    first_painted = Signal()  # the dashboard has been painted once (after that paint)
    theme_requested = Signal(str)  # "system" | "dark" | "light" (View → Theme)

    def __init__(
        self,
        controller: AppController,
        parent: QWidget | None = None,
        qsettings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("mainWindow")
        self.setWindowTitle("RoadMaster" + (" — demo" if controller.options.demo else ""))
        self.dashboard = DashboardView()
        self.hints = FirstRunHints(qsettings=qsettings)
        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(10, 6, 10, 0)
        column.setSpacing(0)
        column.addWidget(self.hints)
        column.addWidget(self.dashboard, 1)
        self._column = column
        # The dashboard shares the centre with the job log and the analytics (issue 11).
        self.pages = QTabWidget()
        self.pages.setObjectName("pages")
        self.pages.setDocumentMode(True)
        self.pages.addTab(centre, "Dashboard")
        self.setCentralWidget(self.pages)
        self.dashboard.installEventFilter(self)
        self._painted = False
        self.job_panel = JobPanel()
        # Replaced by the RouteView once pyqtgraph is loaded (load_route_view).
        self.route_view: QWidget = QLabel("Loading the map…")
        self.route_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.route_view.setObjectName("dim")
        self.job_dock = self._dock(
            "Job", "jobDock", self.job_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.route_dock = self._dock(
            "Route", "routeDock", self.route_view, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.splitDockWidget(self.job_dock, self.route_dock, Qt.Orientation.Vertical)
        # Roadie shares the route's place (a tab) until the player moves it.
        self.roadie = DispatcherDock(ControllerHost(controller))
        self.roadie_dock = self._dock(
            "Roadie", "roadieDock", self.roadie, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.tabifyDockWidget(self.route_dock, self.roadie_dock)
        self.route_dock.raise_()
        from roadmaster.ui.job_log.pages import JobLogPages

        self.job_log = JobLogPages(self, self.pages, controller, qsettings)
        self.pages.currentChanged.connect(self._page_changed)
        self.status_line = StatusLine()
        self.status_line.set_demo(controller.options.demo)
        self.setStatusBar(self.status_line)
        self.status_line.capture_toggled.connect(
            lambda start: controller.start_capture() if start else controller.stop_capture()
        )
        self._default_state = self.saveState(STATE_VERSION)
        self._compact = False
        self.theme_actions: dict[str, QAction] = {}
        self._build_menus()
        self.job_log.add_speed_control()

        controller.dashboard_changed.connect(self._on_dashboard)
        controller.job_changed.connect(self.job_panel.show_model)
        controller.status_changed.connect(self.status_line.show_model)
        controller.notification_posted.connect(self.job_panel.add_notification)
        if controller.status is not None:
            self.status_line.show_model(controller.status)
        if controller.job_model is not None:
            self.job_panel.show_model(controller.job_model)
        self.resize(1280, 760)

    def add_notice(self, widget: QWidget) -> None:
        """A banner above the dashboard (e.g. "closed unexpectedly last time")."""
        self._column.insertWidget(0, widget)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # restoreState finds docks by object name
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        c = self.controller
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.settings_action = self._action(
            file_menu, "&Settings…", QKeySequence.StandardKey.Preferences, c.open_settings, "Ctrl+,"
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, c.quit, "Ctrl+Q")

        view = bar.addMenu("&View")
        for dock, key in (
            (self.job_dock, "Ctrl+1"),
            (self.route_dock, "Ctrl+2"),
            (self.roadie_dock, "Ctrl+3"),
        ):
            toggle = dock.toggleViewAction()
            toggle.setShortcut(QKeySequence(key))
            view.addAction(toggle)
        view.addSeparator()
        self._action(view, "&Dashboard", None, lambda: self.pages.setCurrentIndex(0), "Ctrl+0")
        self._action(view, "&Jobs", None, self.job_log.show_jobs, "Ctrl+J")
        self._action(view, "&Analytics", None, self.job_log.show_analytics, "Ctrl+Shift+A")
        view.addSeparator()
        self.overlay_action: QAction = self._action(
            view, "&Overlay", None, c.toggle_overlay, "Ctrl+O"
        )
        self.overlay_action.setCheckable(True)
        view.addSeparator()
        self._action(
            view, "&Full screen", QKeySequence.StandardKey.FullScreen, self._full_screen, "F11"
        )
        self._action(view, "&Reset layout", None, self.reset_layout)
        theme_menu = view.addMenu("&Theme")
        group = QActionGroup(self)
        for mode, label in (("system", "&System"), ("dark", "&Dark"), ("light", "&Light")):
            action = QAction(label, self)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, m=mode: self.theme_requested.emit(m))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action

        sync = bar.addMenu("&Sync")
        self._action(sync, "Sync &now", QKeySequence.StandardKey.Refresh, c.sync_now, "F5")

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About RoadMaster", None, self._about)

    def _action(self, menu, text, standard, slot, fallback: str | None = None) -> QAction:
        action = QAction(text, self)
        keys = QKeySequence.keyBindings(standard) if standard is not None else []
        if not keys and fallback:
            keys = [QKeySequence(fallback)]
        if keys:
            action.setShortcuts(keys)
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        return action

    def show_theme_mode(self, mode: str) -> None:
        """Check the View → Theme entry for ``mode``."""
        action = self.theme_actions.get(mode)
        if action is not None:
            action.setChecked(True)

    def theme_applied(self) -> None:
        """The theme or the font scale changed: views that set colours or sizes
        themselves redo them (the rest follows the palette and the app font)."""
        self.job_panel.restyle()
        self.status_line.restyle()
        self.dashboard.fit_to_font()
        apply_colours = getattr(self.route_view, "apply_colours", None)
        if callable(apply_colours):
            apply_colours()

    # --- deferred parts ----------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.dashboard and event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            self.dashboard.removeEventFilter(self)
            # Emitted on the next loop turn: the paint must finish first, and what
            # listens (the map's imports) must not run inside a paint event.
            QTimer.singleShot(0, self.first_painted.emit)
        return super().eventFilter(watched, event)

    def has_painted(self) -> bool:
        return self._painted

    def route_view_loaded(self) -> bool:
        return not isinstance(self.route_view, QLabel)

    def load_route_view(self) -> None:
        """Build the map (imports pyqtgraph) into the route dock; once."""
        if self.route_view_loaded():
            return
        from roadmaster.ui.route_view import RouteView

        placeholder = self.route_view
        self.route_view = RouteView(self.controller)
        self.route_dock.setWidget(self.route_view)
        placeholder.deleteLater()
        self.job_log.load_analytics()  # the charts need pyqtgraph too

    # --- layout persistence ------------------------------------------------------------

    def restore_layout(self, settings: QSettings) -> bool:
        """Geometry and docks as the user left them; on a first run, the whole
        screen (the dashboard is meant to be read from a distance).  True if restored."""
        geometry = settings.value("main/geometry")
        state = settings.value("main/state")
        restored = False
        if isinstance(geometry, QByteArray | bytes):
            restored = self.restoreGeometry(QByteArray(geometry))
        if isinstance(state, QByteArray | bytes):
            self.restoreState(QByteArray(state), STATE_VERSION)
        page = settings.value("main/page", 0, int)
        if isinstance(page, int) and 0 <= page < self.pages.count():
            self.pages.setCurrentIndex(page)
        if not restored:
            screen = self.screen() or QGuiApplication.primaryScreen()
            if screen is not None:
                self.setGeometry(screen.availableGeometry())
            # The dashboard gets most of the width; the docks a third.
            self.resizeDocks(
                [self.job_dock], [max(360, self.width() // 3)], Qt.Orientation.Horizontal
            )
            # The map needs height to be useful; the job card fits in a bit over half.
            height = max(400, self.height())
            self.resizeDocks(
                [self.job_dock, self.route_dock],
                [height * 55 // 100, height * 45 // 100],
                Qt.Orientation.Vertical,
            )
        return restored

    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("main/state", self.saveState(STATE_VERSION))
        settings.setValue("main/page", self.pages.currentIndex())

    def reset_layout(self) -> None:
        """Every dock back in its place and shown: job above, route below (Roadie a
        tab beside the route), or all three as tabs in a short window."""
        self.restoreState(self._default_state, STATE_VERSION)
        self._arrange_docks(compact=self.height() < COMPACT_HEIGHT)

    def _arrange_docks(self, *, compact: bool) -> None:
        area = Qt.DockWidgetArea.RightDockWidgetArea
        docks = (self.job_dock, self.route_dock, self.roadie_dock)
        for dock in docks:
            self.removeDockWidget(dock)
        for dock in docks:
            dock.setFloating(False)
            self.addDockWidget(area, dock)
            dock.show()
        if compact:
            self.tabifyDockWidget(self.job_dock, self.route_dock)
            self.tabifyDockWidget(self.route_dock, self.roadie_dock)
            self.job_dock.raise_()
        else:
            self.splitDockWidget(self.job_dock, self.route_dock, Qt.Orientation.Vertical)
            self.tabifyDockWidget(self.route_dock, self.roadie_dock)
            self.route_dock.raise_()
        self._compact = compact

    def is_compact(self) -> bool:
        return self._compact

    def _fit_docks(self) -> None:
        """Tabify the docks in a short window, stack them again in a tall one; only
        while they are where the app put them (a layout the player made is theirs)."""
        compact = self.height() < COMPACT_HEIGHT
        self.hints.set_compact(compact)
        if compact == self._compact:
            return
        docks = (self.job_dock, self.route_dock, self.roadie_dock)
        area = Qt.DockWidgetArea.RightDockWidgetArea
        if any(d.isFloating() or self.dockWidgetArea(d) != area for d in docks):
            return
        if any(d.isHidden() for d in docks[:2]):  # closed by the player
            return
        self._arrange_docks(compact=compact)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_docks()

    # --- visibility --------------------------------------------------------------------

    def dashboard_visible(self) -> bool:
        return self.isVisible() and not self.isMinimized() and self.pages.currentIndex() == 0

    def _page_changed(self, index: int) -> None:
        self._report_visibility()
        if index == 0:
            self.dashboard.show_model(self.controller.dashboard)

    def _report_visibility(self) -> None:
        self.controller.set_view_active("window", self.isVisible() and not self.isMinimized())
        self.controller.set_view_active("dashboard", self.dashboard_visible())
        if self.route_view_loaded():
            # a minimised window's map does no work (a RouteView once loaded: pyqtgraph
            # is imported late, so the attribute is typed as the placeholder's QWidget)
            self.route_view.sync_active()  # type: ignore[attr-defined]

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._fit_docks()
        self._report_visibility()
        self.dashboard.show_model(self.controller.dashboard)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self._report_visibility()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:
            self._report_visibility()

    def _on_dashboard(self, model) -> None:
        if self.dashboard_visible():
            self.dashboard.show_model(model)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.closing.emit()
        super().closeEvent(event)

    # --- small commands ----------------------------------------------------------------

    def _full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def about_text(self) -> str:
        from roadmaster.version import version

        return (
            f"<b>RoadMaster Desktop {version()}</b><br>Telemetry, job log and cloud sync "
            "for American Truck Simulator and Euro Truck Simulator 2."
        )

    def _about(self) -> None:
        QMessageBox.about(self, "About RoadMaster", self.about_text())

    def bring_to_front(self) -> None:
        """Show, un-minimise and raise (a second launch, the tray)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
