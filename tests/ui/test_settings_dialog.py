"""The settings dialog, as a user meets it: live key checks, validation messages,
Cancel that changes nothing, keys in the keyring only, "Test connection" against the
real reference server, and the Steam plugin check on a fake Steam tree."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from roadmaster import secrets
from roadmaster.server.app import create_app
from roadmaster.server.runner import serve_in_thread
from roadmaster.server.users import add_user
from roadmaster.settings import Settings, load_settings, save_settings
from roadmaster.ui.settings_dialog import (
    ANTHROPIC_KEY,
    SettingsDialog,
    check_connection,
    cloud_key_problem,
)

KEY = "rm_" + "0123456789abcdef" * 4
ANTHROPIC = "sk-ant-api03-" + "x" * 40


@pytest.fixture
def dialog(qtbot, memory_keyring):
    def make(settings: Settings | None = None, **kw: object) -> SettingsDialog:
        d = SettingsDialog(settings or Settings(), None, **kw)
        qtbot.addWidget(d)
        return d

    return make


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('srv') / 'server.db'}"
    app = create_app(db_url)
    key = add_user(db_url, "tester")
    url, stop = serve_in_thread(app)
    yield url, key
    stop()


# --- the key field ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", None),
        (KEY, None),
        ("xx_123", "A RoadMaster API key starts with rm_."),
        ("rm_ABC", "After rm_ only lowercase hex digits (0-9, a-f) are allowed."),
        ("rm_abc", "After rm_ come exactly 64 hex digits (3 so far)."),
        (KEY + "0", "After rm_ come exactly 64 hex digits (65 so far)."),
    ],
)
def test_cloud_key_rule(typed: str, message: str | None) -> None:
    assert cloud_key_problem(typed) == message


def test_key_is_checked_as_typed_and_masked(dialog, qtbot) -> None:
    d = dialog()
    field = d.cloud_key
    assert field.edit.echoMode() == field.edit.EchoMode.Password
    qtbot.keyClicks(field.edit, "rm_abc")
    assert field.status.text() == "After rm_ come exactly 64 hex digits (3 so far)."
    field.edit.setText(KEY)
    assert field.status.text().startswith("Looks right")


# --- OK, Cancel, keyring ---------------------------------------------------------------------


def test_ok_stores_the_key_in_the_keyring_only(
    dialog, memory_keyring, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    d = dialog()
    d.server_url.setText("https://sync.example.com")
    d.cloud_key.edit.setText(KEY)
    d.anthropic_key.edit.setText(ANTHROPIC)
    d.units.setCurrentIndex(d.units.findData("imperial"))
    with caplog.at_level(logging.DEBUG):
        d.accept()
        assert d.result() == QDialog.DialogCode.Accepted
        result = d.result_settings()
        path = save_settings(result, tmp_path / "settings.json")
    assert memory_keyring.store[(secrets.SERVICE, secrets.CLOUD_API_KEY)] == KEY
    assert memory_keyring.store[(secrets.SERVICE, ANTHROPIC_KEY)] == ANTHROPIC
    assert result.cloud.server_url == "https://sync.example.com"
    assert result.display.units == "imperial"
    text = path.read_text()
    assert KEY not in text and KEY[4:] not in text and ANTHROPIC not in text
    assert KEY not in caplog.text and KEY[4:12] not in caplog.text
    assert ANTHROPIC[4:] not in caplog.text
    assert d.session_secrets() == {}


def test_cancel_changes_nothing(dialog, memory_keyring, tmp_path: Path) -> None:
    original = Settings()
    original.display.units = "metric"
    path = save_settings(original, tmp_path / "settings.json")
    before = path.read_bytes()
    d = dialog(original)
    d.server_url.setText("https://sync.example.com")
    d.cloud_key.edit.setText(KEY)
    d.units.setCurrentIndex(d.units.findData("imperial"))
    d.overlay_items["fuel"].setChecked(False)
    d.reject()
    assert d.result_settings() == original
    assert memory_keyring.store == {}
    assert path.read_bytes() == before
    assert original.display.units == "metric"  # the object passed in is untouched


def test_remove_stored_key_only_on_ok(dialog, memory_keyring) -> None:
    secrets.set_secret(secrets.CLOUD_API_KEY, KEY)
    d = dialog()
    assert "A key is stored" in d.cloud_key.edit.placeholderText()
    d.cloud_key.remove.click()
    d.reject()
    assert secrets.get_secret(secrets.CLOUD_API_KEY) == KEY
    d = dialog()
    d.cloud_key.remove.click()
    d.accept()
    assert secrets.get_secret(secrets.CLOUD_API_KEY) is None


def test_without_a_secure_keyring_the_key_is_kept_for_the_session(
    qtbot, no_keyring, tmp_path: Path
) -> None:
    d = SettingsDialog(Settings())
    qtbot.addWidget(d)
    notes = [w.text() for w in d.findChildren(type(d.problems_label)) if "keyring" in w.text()]
    assert any("No secure keyring" in n and "this session only" in n for n in notes)
    d.server_url.setText("https://sync.example.com")
    d.cloud_key.edit.setText(KEY)
    d.accept()
    assert d.result() == QDialog.DialogCode.Accepted
    assert d.session_secrets() == {secrets.CLOUD_API_KEY: KEY}
    path = save_settings(d.result_settings(), tmp_path / "s.json")
    assert KEY not in path.read_text()


# --- validation ------------------------------------------------------------------------------


def test_validation_messages_keep_the_dialog_open(dialog) -> None:
    d = dialog()
    d.cloud_key.edit.setText("rm_123")
    d.source.setCurrentIndex(d.source.findData("path"))
    for box in d.overlay_items.values():
        box.setChecked(False)
    d.accept()
    assert d.result() != QDialog.DialogCode.Accepted
    assert d.problems() == [
        "Cloud: API key: After rm_ come exactly 64 hex digits (3 so far).",
        "Cloud: Enter the server address to sync with, or remove the key.",
        "Game: Choose the telemetry file, or switch to Automatic.",
        "Overlay: Choose at least one item for the overlay to show.",
    ]
    assert d.tabs.tabText(d.tabs.currentIndex()) == "Cloud"


def test_plain_http_to_another_computer_is_refused(dialog) -> None:
    d = dialog()
    d.server_url.setText("http://sync.example.com")
    d.accept()
    assert d.result() != QDialog.DialogCode.Accepted
    assert "unencrypted" in d.problems()[0]


def test_fuel_price_is_shown_in_the_chosen_unit_and_kept_in_litres(dialog) -> None:
    s = Settings()
    d = dialog(s)
    assert d.fuel_unit.currentData() == "gal"
    assert d.fuel_price.value() == pytest.approx(4.05, abs=0.001)
    d.fuel_unit.setCurrentIndex(d.fuel_unit.findData("l"))
    assert d.fuel_price.value() == pytest.approx(1.07, abs=0.001)
    d.fuel_price.setValue(1.5)
    d.repair_scale.setValue(2.0)
    d.sample_interval.setValue(5.0)
    d.opacity.setValue(60)
    d.accept()
    r = d.result_settings()
    assert r.economy.fuel_price_per_l == pytest.approx(1.5)
    assert r.economy.economy().repair_cost_full == 20_000
    assert "20,000" in d.repair_note.text()
    assert r.capture.sample_interval_s == 5.0 and r.overlay.opacity == 0.6


def test_accepted_settings_survive_a_save_and_load(dialog, tmp_path: Path) -> None:
    d = dialog()
    d.start_minimised.setChecked(True)
    d.start_capture.setChecked(False)
    d.hide_not_running.setChecked(False)
    d.accept()
    path = save_settings(d.result_settings(), tmp_path / "s.json")
    loaded = load_settings(path).settings
    assert loaded.startup.start_minimised and not loaded.capture.start_automatically
    assert not loaded.overlay.hide_when_game_not_running


# --- Test connection -------------------------------------------------------------------------


def test_connection_with_a_known_key(dialog, qtbot, server, memory_keyring) -> None:
    url, key = server
    d = dialog()
    d.server_url.setText(url)
    d.cloud_key.edit.setText(key)
    with qtbot.waitSignal(d.connection_checked, timeout=15_000) as sig:
        d.test_connection()
    report = sig.args[0]
    assert report.ok and report.key_known is True
    assert "Server reachable (RoadMaster server" in d.test_result.text()
    assert "API key accepted" in d.test_result.text()
    assert memory_keyring.store == {}  # testing stores nothing


def test_connection_with_an_unknown_key(dialog, qtbot, server) -> None:
    url, _key = server
    d = dialog()
    d.server_url.setText(url)
    d.cloud_key.edit.setText("rm_" + "f" * 64)
    with qtbot.waitSignal(d.connection_checked, timeout=15_000) as sig:
        d.test_connection()
    assert sig.args[0].key_known is False
    assert "does not know this API key (Invalid API key)" in d.test_result.text()


def test_connection_uses_the_stored_key_when_none_is_typed(dialog, qtbot, server) -> None:
    url, key = server
    secrets.set_secret(secrets.CLOUD_API_KEY, key)
    d = dialog()
    d.server_url.setText(url)
    with qtbot.waitSignal(d.connection_checked, timeout=15_000) as sig:
        d.test_connection()
    assert sig.args[0].key_known is True


def test_connection_to_nothing_says_so(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nobody listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with caplog.at_level(logging.DEBUG):
        report = check_connection(f"http://127.0.0.1:{port}", KEY, timeout_s=3)
    assert not report.ok and "Cannot reach http://127.0.0.1:" in report.text
    assert KEY not in caplog.text and KEY not in report.text


# --- the game check ---------------------------------------------------------------------------


def test_game_check_finds_a_missing_plugin(dialog, qtbot, tmp_path: Path) -> None:
    root = tmp_path / "Steam"
    (root / "steamapps" / "common" / "Euro Truck Simulator 2").mkdir(parents=True)
    (root / "steamapps" / "libraryfolders.vdf").write_text(
        f'"libraryfolders" {{ "0" {{ "path" "{root}" "apps" {{ "227300" "1" }} }} }}'
    )
    d = dialog(steam_roots=[root])
    with qtbot.waitSignal(d.games_checked, timeout=10_000) as sig:
        d.games_button.click()
    assert "Euro Truck Simulator 2: the telemetry plugin is missing" in sig.args[0]
    assert d.games_result.text() == sig.args[0]


def test_game_check_without_steam(dialog, qtbot) -> None:
    d = dialog(steam_roots=[])
    with qtbot.waitSignal(d.games_checked, timeout=10_000) as sig:
        d.check_games()
    assert sig.args[0].startswith("Steam was not found")
