"""The controller with real threads: capture into a real store, events through the
real bridge, shutdown in order; and the demo driven through a delivery."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QSettings

from roadmaster.jobs.events import JobDelivered, JobStarted
from roadmaster.storage.store import Store
from roadmaster.telemetry.sim.simulator import SimulatorSource
from roadmaster.ui.app import RoadMasterApp
from roadmaster.ui.controller import AppController, AppOptions
from tests.ui.frames import EndlessSource, ListSource, driving_map

if TYPE_CHECKING:
    from tests.sync.conftest import Server

TIMEOUT_MS = 15_000


def _options(tmp_path: Path, maps: list[bytes], **kw) -> AppOptions:
    return AppOptions(
        source_factory=lambda: ListSource(maps), data_dir=tmp_path / "data", speed=None, **kw
    )


def _endless_options(tmp_path: Path, **kw) -> AppOptions:
    """A live-like game that drives until stopped (EndlessSource), paced at speed 20."""
    return AppOptions(source_factory=EndlessSource, data_dir=tmp_path / "data", speed=20.0, **kw)


def test_capture_starts_records_and_shuts_down_in_order(qtbot, tmp_path):
    controller = AppController(_endless_options(tmp_path))
    statuses = []
    controller.status_changed.connect(statuses.append)
    with qtbot.waitSignal(controller.bridge.store_opened, timeout=TIMEOUT_MS):
        controller.start()
    qtbot.waitUntil(controller.capture_running, timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: statuses and statuses[-1].recording.startswith("● Recording"), timeout=TIMEOUT_MS
    )
    assert controller.shutdown(timeout_s=10)
    assert not controller.runtime.running  # the thread was joined
    # the store was closed and its lock released: it opens again at once
    Store.open(tmp_path / "data").close()


def test_capture_that_cannot_open_the_store_says_not_recording(qtbot, tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    controller = AppController(_options(tmp_path, [driving_map()]))
    with qtbot.waitSignal(controller.bridge.problem_reported, timeout=TIMEOUT_MS):
        controller.start()
    qtbot.waitUntil(
        lambda: controller.status.recording.startswith("NOT RECORDING"), timeout=TIMEOUT_MS
    )
    assert controller.shutdown(timeout_s=5)


def test_jobs_reach_the_job_panel_through_the_bridge(qtbot, tmp_path):
    app = RoadMasterApp(
        _options(tmp_path, [driving_map()]),
        QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat),
    )
    qtbot.addWidget(app.window)
    panel = app.window.job_panel
    # real events, from a real simulator run through the tracker
    events = _simulated_job_events()
    started = next(e for e in events if isinstance(e, JobStarted))
    delivered = next(e for e in events if isinstance(e, JobDelivered))
    app.controller.bridge.publish_events((started,))
    app.controller.bridge.publish_progress(
        app.controller._progress.__class__(
            job=_progress_of(started), game_time_min=started.game_time_min
        )
    )
    qtbot.waitUntil(
        lambda: (
            panel.route.text() == f"{started.info.source_city} → {started.info.destination_city}"
        ),
        timeout=TIMEOUT_MS,
    )
    assert panel.events.item(0).text().split("  ", 1)[1].startswith("Job started")
    app.controller.bridge.publish_events((delivered,))
    qtbot.waitUntil(
        lambda: panel.events.item(0).text().split("  ", 1)[1].startswith("Delivered"),
        timeout=TIMEOUT_MS,
    )
    app.controller._emit_job()
    assert app.controller.job_model.last_job.startswith("Delivered")
    app.shutdown()


def _progress_of(started: JobStarted):
    from roadmaster.jobs.events import JobStats
    from roadmaster.ui.view_models import JobProgress

    return JobProgress(started.job_key, started.info, JobStats())


def _simulated_job_events():
    from roadmaster.jobs.tracker import Tracker
    from roadmaster.telemetry.status import Monitor

    source = SimulatorSource(tick_s=0.5, duration_s=3 * 3600)
    monitor, tracker = Monitor(), Tracker(sample_interval_s=0)
    events = []
    while (snap := source.snapshot()) is not None:
        events += tracker.feed(monitor.update(snap))
        if any(isinstance(e, JobDelivered) for e in events):
            return events
    pytest.fail("the simulator delivered no job in 3 hours")


@pytest.mark.slow
def test_the_demo_drives_a_delivery(qtbot, tmp_path):
    """roadmaster --demo at a high speed-up: the job panel, the status bar and the
    notifications follow a whole simulated delivery, synced to the demo server."""
    options = AppOptions(
        source_factory=lambda: SimulatorSource(),
        data_dir=tmp_path / "demo",
        demo=True,
        speed=300.0,
    )
    app = RoadMasterApp(options, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(app.window)
    notes: list[str] = []
    app.controller.notification_posted.connect(lambda title, text: notes.append(title))
    app.start(show=True)
    window = app.window
    qtbot.waitUntil(
        lambda: window.job_panel.model and window.job_panel.model.has_job, timeout=60_000
    )
    qtbot.waitUntil(
        # full_text: on a narrow screen the label elides (the state is what counts)
        lambda: window.status_line.recording.full_text.startswith("● Recording delivery to"),
        timeout=TIMEOUT_MS,
    )
    assert "Job started" in notes
    qtbot.waitUntil(lambda: window.dashboard.speed.value_text not in ("–", "0"), timeout=60_000)
    qtbot.waitUntil(
        lambda: any(n.startswith("Delivered") or n == "Job cancelled" for n in notes),
        timeout=120_000,
    )
    qtbot.waitUntil(
        lambda: window.job_panel.last_job.text() != "No finished job yet.", timeout=TIMEOUT_MS
    )
    assert any(n in notes for n in ("Toll", "Fined", "Refuelled"))
    qtbot.waitUntil(
        lambda: window.status_line.sync.text().startswith("Sync online"), timeout=TIMEOUT_MS
    )
    assert app.shutdown()


@pytest.fixture
def cloud_without_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_keyring: None
) -> Iterator[Server]:
    """A machine with no secure keyring and no key in the environment, and the
    reference server over HTTP with one user ("alice", whose key is ``server.key``)."""
    from roadmaster.server.app import create_app
    from roadmaster.server.runner import serve_in_thread
    from roadmaster.server.users import add_user
    from tests.sync.conftest import Server

    monkeypatch.delenv("ROADMASTER_API_KEY", raising=False)
    db_url = f"sqlite:///{tmp_path / 'server.db'}"
    key = add_user(db_url, "alice")
    base_url, stop = serve_in_thread(create_app(db_url))
    server = Server(db_url, base_url, key)
    try:
        yield server
    finally:
        server.close()
        stop()


def test_settings_cloud_applies_live_with_the_session_key(qtbot, tmp_path, cloud_without_keyring):
    """Settings → Cloud on a machine without a secure keyring: a server and a key kept
    "for this session" → OK.  The status bar leaves "Sync off" at once (no restart),
    never says the key is missing, and the server receives the telemetry."""
    from roadmaster import secrets
    from roadmaster.server import tables as t
    from roadmaster.settings import CloudSettings, Settings

    server = cloud_without_keyring
    base_url, key = server.base_url, server.key
    controller = AppController(
        _endless_options(tmp_path, sample_interval_s=0.5, settings=Settings())
    )
    statuses = []
    controller.status_changed.connect(statuses.append)
    try:
        with qtbot.waitSignal(controller.bridge.store_opened, timeout=TIMEOUT_MS):
            controller.start()
        qtbot.waitUntil(lambda: bool(statuses) and statuses[-1].sync.startswith("Sync off"))
        settings = Settings(cloud=CloudSettings(server_url=base_url, sync_enabled=True))
        controller.apply_settings(settings, {secrets.CLOUD_API_KEY: key})
        qtbot.waitUntil(lambda: not statuses[-1].sync.startswith("Sync off"), timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: server.count(t.telemetry) > 0, timeout=TIMEOUT_MS)
        assert not any("key missing" in s.sync for s in statuses)
    finally:
        assert controller.shutdown(timeout_s=15)


def test_units_from_the_settings_show_at_once_and_the_runtime_takes_the_rest(qtbot, tmp_path):
    """Settings → Units → OK: the dashboard switches on the next model, and the runtime
    announces what changed (the overlay and tray follow the same settings)."""
    from roadmaster.settings import DisplaySettings, EconomyPreferences, Settings

    controller = AppController(_endless_options(tmp_path, settings=Settings()))
    controller.set_view_active("dashboard", True)
    models = []
    controller.dashboard_changed.connect(models.append)
    try:
        controller.start()
        qtbot.waitUntil(
            lambda: bool(models) and models[-1].speed_unit == "km/h", timeout=TIMEOUT_MS
        )
        new = Settings(
            display=DisplaySettings(units="imperial"),
            economy=EconomyPreferences(fuel_price_per_l=3.0),
        )
        with qtbot.waitSignal(controller.bridge.settings_applied, timeout=TIMEOUT_MS) as applied:
            controller.apply_settings(new)
        assert applied.args[0].changed == {"display", "economy"}
        assert models[-1].speed_unit == "mph"
        assert controller.runtime.settings is new
    finally:
        assert controller.shutdown(timeout_s=10)


def test_a_player_sets_up_the_cloud_in_the_dialog_and_sync_starts(
    qtbot, tmp_path, cloud_without_keyring
):
    """The player's path, on a machine with no secure keyring: Settings → Cloud, paste
    the server and key, OK.  The dialog keeps the key for this session; sync uses it
    at once (the status bar leaves "Sync off", the key is never "missing") and the
    reference server receives the telemetry."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from roadmaster.server import tables as t
    from roadmaster.settings import Settings
    from roadmaster.ui.settings_dialog import SettingsDialog

    server = cloud_without_keyring
    base_url, key = server.base_url, server.key
    app = RoadMasterApp(
        _endless_options(tmp_path, sample_interval_s=0.5, settings=Settings()),
        QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat),
        check_installs=False,
    )
    qtbot.addWidget(app.window)
    statuses = []
    app.controller.status_changed.connect(statuses.append)
    filled = []

    def fill_and_ok() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SettingsDialog):
            QTimer.singleShot(20, fill_and_ok)  # not shown yet
            return
        dialog.server_url.setText(base_url)
        dialog.sync_enabled.setChecked(True)
        dialog.cloud_key.edit.setText(key)
        dialog.accept()
        filled.append(dialog.problems())

    try:
        with qtbot.waitSignal(app.controller.bridge.store_opened, timeout=TIMEOUT_MS):
            app.controller.start()
        QTimer.singleShot(0, fill_and_ok)
        app.open_settings("Cloud")  # modal, like the menu: returns after OK
        assert filled == [[]]  # OK went through
        assert app.session_secrets  # no keyring: kept for this session
        qtbot.waitUntil(lambda: server.count(t.telemetry) > 0, timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: not statuses[-1].sync.startswith("Sync off"), timeout=TIMEOUT_MS)
        assert not any("key missing" in s.sync for s in statuses)
    finally:
        app.shutdown()
