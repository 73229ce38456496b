"""The main window: the dashboard in the middle, route and job docks, menus, status.

Geometry and the dock layout are restored from QSettings.  The window tells the
controller whether the dashboard is actually visible (not hidden, not minimised), so
nothing is computed or painted for a dashboard nobody sees.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QHideEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QWidget

from roadmaster.ui.controller import AppController
from roadmaster.ui.dashboard import DashboardView
from roadmaster.ui.job_panel import JobPanel
from roadmaster.ui.route_view import RouteView
from roadmaster.ui.status_bar import StatusLine

STATE_VERSION = 1  # bump when the dock layout changes incompatibly


class MainWindow(QMainWindow):
    """Lays out the views and forwards menu commands to the controller."""

    closing = Signal()  # the user closed the window (the app decides what that means)

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("mainWindow")
        self.setWindowTitle("RoadMaster" + (" — demo" if controller.options.demo else ""))
        self.dashboard = DashboardView()
        self.setCentralWidget(self.dashboard)
        self.job_panel = JobPanel()
        self.route_view = RouteView(controller)
        self.job_dock = self._dock(
            "Job", "jobDock", self.job_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.route_dock = self._dock(
            "Route", "routeDock", self.route_view, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.splitDockWidget(self.job_dock, self.route_dock, Qt.Orientation.Vertical)
        self.status_line = StatusLine()
        self.setStatusBar(self.status_line)
        self._default_state = self.saveState(STATE_VERSION)
        self.overlay_action: QAction | None = None
        self._build_menus()

        controller.dashboard_changed.connect(self._on_dashboard)
        controller.job_changed.connect(self.job_panel.show_model)
        controller.status_changed.connect(self.status_line.show_model)
        controller.notification_posted.connect(self.job_panel.add_notification)
        if controller.status is not None:
            self.status_line.show_model(controller.status)
        if controller.job_model is not None:
            self.job_panel.show_model(controller.job_model)
        self.resize(1280, 760)

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
        for dock, key in ((self.job_dock, "Ctrl+1"), (self.route_dock, "Ctrl+2")):
            toggle = dock.toggleViewAction()
            toggle.setShortcut(QKeySequence(key))
            view.addAction(toggle)
        self.overlay_action = self._action(view, "&Overlay", None, c.toggle_overlay, "Ctrl+O")
        self.overlay_action.setCheckable(True)
        view.addSeparator()
        self._action(
            view, "&Full screen", QKeySequence.StandardKey.FullScreen, self._full_screen, "F11"
        )
        self._action(view, "&Reset layout", None, self.reset_layout)

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
        if not restored:
            screen = self.screen() or QGuiApplication.primaryScreen()
            if screen is not None:
                self.setGeometry(screen.availableGeometry())
            # The dashboard gets most of the width; the docks a third.
            self.resizeDocks(
                [self.job_dock], [max(360, self.width() // 3)], Qt.Orientation.Horizontal
            )
        return restored

    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("main/state", self.saveState(STATE_VERSION))

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, STATE_VERSION)
        for dock in (self.job_dock, self.route_dock):
            dock.setFloating(False)
            dock.show()

    # --- visibility --------------------------------------------------------------------

    def dashboard_visible(self) -> bool:
        return self.isVisible() and not self.isMinimized()

    def _report_visibility(self) -> None:
        self.controller.set_view_active("dashboard", self.dashboard_visible())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
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

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About RoadMaster",
            "<b>RoadMaster Desktop</b><br>Telemetry, job log and cloud sync for "
            "American Truck Simulator and Euro Truck Simulator 2.",
        )

    def bring_to_front(self) -> None:
        """Show, un-minimise and raise (a second launch, the tray)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
