"""`roadmaster --minimised` (the installers' "start minimised to the tray" entry):
into the tray where there is one, minimised where there is none, never lost."""

from __future__ import annotations

from roadmaster import cli, gui
from tests.ui import test_integration
from tests.ui.test_integration import FakeTray

make_app = test_integration.make_app  # the fixture: the real controller and windows


def test_the_option_is_accepted_in_both_spellings():
    assert gui.build_parser().parse_args(["--minimised"]).minimised
    assert gui.build_parser().parse_args(["--minimized"]).minimised
    assert cli.build_parser().parse_args(["--minimized", "--demo"]).gui_minimised
    assert not gui.build_parser().parse_args([]).minimised


def test_with_a_tray_it_starts_hidden_and_the_tray_brings_it_back(make_app, qtbot):
    app = make_app(start_minimised=True)
    app.tray, app.in_tray = FakeTray(), True
    app.start_shown(minimised=True)
    assert not app.window.isVisible()
    app.controller.show_window_requested.emit()  # the tray icon's "Show RoadMaster"
    qtbot.waitUntil(app.window.isVisible)
    assert not app.window.isMinimized()


def test_without_a_tray_it_starts_minimised_not_hidden(make_app, qtbot):
    app = make_app(start_minimised=True)
    app.tray, app.in_tray = None, False
    app.start_shown(minimised=True)
    assert app.window.isVisible() and app.window.isMinimized()


def test_a_normal_start_shows_the_window(make_app, qtbot):
    app = make_app()
    app.start_shown()
    assert app.window.isVisible() and not app.window.isMinimized()
