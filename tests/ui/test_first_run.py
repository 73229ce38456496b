"""First-run hints: what a new user is told with no key and no game, and that a
dismissed hint stays dismissed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QPushButton, QToolButton

from roadmaster.steam import (
    LINUX_PLUGIN_URL,
    PLUGIN_DLL,
    PLUGIN_SO,
    PLUGIN_URL,
    find_games,
    on_linux,
    plugin_folder,
)
from roadmaster.ui.first_run import FirstRunHints, first_run_hints


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


def _ets2_without_plugin(tmp_path: Path):
    root = tmp_path / "Steam"
    (root / "steamapps" / "common" / "Euro Truck Simulator 2").mkdir(parents=True)
    return find_games([root])


def test_nothing_to_say_once_set_up() -> None:
    assert first_run_hints(has_cloud_key=True, game_seen=True) == []


def test_no_key_says_how_to_connect_and_that_it_works_locally() -> None:
    (hint,) = first_run_hints(has_cloud_key=False, game_seen=True)
    assert hint.id == "cloud" and hint.action == "settings"
    assert "keeps everything on this computer" in hint.text
    assert "Settings → Cloud" in hint.text


def test_no_game_says_how_to_install_the_plugin_and_offers_the_demo() -> None:
    (hint,) = first_run_hints(has_cloud_key=True, game_seen=False)
    assert hint.action == "demo"
    if on_linux():  # the native Linux plugin, its file and folder; no .dll
        assert PLUGIN_SO[0] in hint.text and "bin/linux_x64/plugins" in hint.text
        assert ".dll" not in hint.text and "win_x64" not in hint.text
    else:
        assert PLUGIN_DLL in hint.text and "bin/win_x64/plugins" in hint.text
    assert "try the demo" in hint.text


def test_a_found_game_without_plugin_names_the_exact_folder(tmp_path: Path) -> None:
    installs = _ets2_without_plugin(tmp_path)
    (hint,) = first_run_hints(has_cloud_key=True, game_seen=False, installs=installs)
    assert plugin_folder(installs[0].path) in hint.text
    assert "Euro Truck Simulator 2 has no telemetry plugin" in hint.text


def test_banner_shows_both_hints_and_its_buttons_work(qtbot, qsettings) -> None:
    banner = FirstRunHints(qsettings=qsettings)
    qtbot.addWidget(banner)
    assert banner.isHidden()  # nothing known yet: nothing shown
    banner.update_state(has_cloud_key=False, game_seen=False)
    assert not banner.isHidden()
    assert [h.id for h in banner.hints()] == ["game", "cloud"]
    texts = [label.text() for label in banner.findChildren(QLabel)]
    assert any("Settings → Cloud" in t for t in texts)
    url = LINUX_PLUGIN_URL if on_linux() else PLUGIN_URL  # the download page as a link
    assert any(f'<a href="{url}">' in t for t in texts)
    buttons = {b.text(): b for b in banner.findChildren(QPushButton)}
    with qtbot.waitSignal(banner.demo_requested):
        buttons["Try the demo"].click()
    with qtbot.waitSignal(banner.settings_requested):
        buttons["Connect…"].click()


def test_dismissed_hint_stays_dismissed(qtbot, qsettings) -> None:
    banner = FirstRunHints(qsettings=qsettings)
    qtbot.addWidget(banner)
    banner.update_state(has_cloud_key=False, game_seen=True)
    (close,) = banner.findChildren(QToolButton)
    with qtbot.waitSignal(banner.dismissed) as sig:
        close.click()
    assert sig.args == ["cloud"] and banner.isHidden()

    again = FirstRunHints(qsettings=qsettings)  # the next start
    qtbot.addWidget(again)
    again.update_state(has_cloud_key=False, game_seen=True)
    assert again.hints() == [] and again.isHidden()


def test_the_game_hint_goes_away_once_the_game_is_seen(qtbot, qsettings) -> None:
    banner = FirstRunHints(qsettings=qsettings)
    qtbot.addWidget(banner)
    banner.update_state(has_cloud_key=True, game_seen=False)
    assert not banner.isHidden()
    banner.update_state(has_cloud_key=True, game_seen=True)
    assert banner.isHidden()
