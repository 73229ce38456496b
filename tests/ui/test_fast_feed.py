"""A fast feed (the game's time running many times faster than the wall clock) must
not make the window do more per second or hold more memory: the trails stay
bounded, and the job card's running figures are coalesced in time, not redrawn
for every game minute or commit."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from roadmaster.telemetry.sim.simulator import SimulatorSource
from roadmaster.ui.controller import AppController, AppOptions, Trail
from roadmaster.ui.job_panel import MAX_EVENTS
from roadmaster.ui.main_window import MainWindow

TIMEOUT_MS = 120_000
TRAIL_CAP = 500
SIMULATED_S = 2 * 3600  # two hours of driving: several jobs, ~7,200 samples


def test_a_trail_keeps_its_shape_within_its_cap():
    trail = Trail(max_points=100)
    for i in range(10_000):
        trail.add(float(i), -float(i))  # y is -z: the points lie on y = x
    assert 50 <= len(trail.xs) <= 100 and len(trail.xs) == len(trail.ys)
    assert trail.xs[0] == 0.0  # the start of the session is still there
    assert (trail.xs[-1], trail.ys[-1]) == (9999.0, 9999.0)  # and the newest point
    assert list(trail.xs) == sorted(trail.xs)  # in order, evenly thinned


def test_hours_of_a_fast_feed_leave_the_window_bounded(qtbot, tmp_path: Path):
    # A clock that does not move: whatever the feed does, time-coalesced updates
    # happen once, and only what must be shown at once (a job starting or ending)
    # reaches the job card.
    controller = AppController(
        AppOptions(
            source_factory=lambda: SimulatorSource(tick_s=1.0, duration_s=SIMULATED_S),
            data_dir=tmp_path / "data",
            speed=None,  # as fast as the machine reads: thousands of times real time
        ),
        clock=lambda: 0.0,
    )
    controller.route.session.max_points = TRAIL_CAP
    controller.route.job.max_points = TRAIL_CAP
    window = MainWindow(
        controller, qsettings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.load_route_view()
    cards: list[object] = []
    titles: list[str] = []
    controller.job_changed.connect(cards.append)
    controller.notification_posted.connect(lambda title, _text: titles.append(title))
    controller.start()
    qtbot.waitUntil(lambda: not controller.runtime.running, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: controller.capture_running() is False, timeout=TIMEOUT_MS)

    capture = controller.runtime.capture
    assert capture is not None and capture.summary.samples > 5 * TRAIL_CAP  # a long feed
    route = controller.route
    assert len(route.session.xs) <= TRAIL_CAP and len(route.job.xs) <= TRAIL_CAP
    window.route_view.refresh_trails()
    x_data = window.route_view.session_curve.xData
    assert x_data is not None and len(x_data) <= TRAIL_CAP
    # jobs started and ended: each may update the card once (plus its first showing)
    job_moments = sum(
        title.startswith(("Job", "Delivered", "Delivered (late)")) for title in titles
    )
    assert job_moments >= 2  # the feed did run through jobs
    assert len(cards) <= 2 + job_moments
    assert window.job_panel.events.count() <= MAX_EVENTS
    assert controller.shutdown(timeout_s=10)
