"""Settings → Dispatcher: the keyring note, the model list from the models endpoint,
the guards, and the base URL."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel

from roadmaster import secrets
from roadmaster.settings import DEFAULT_DISPATCHER_MODEL, Settings
from roadmaster.ui.settings_dialog import SettingsDialog
from tests.dispatcher.fake_anthropic import FakeAnthropic

ANTHROPIC = "sk-ant-api03-" + "x" * 40


def _tab_texts(d: SettingsDialog, name: str) -> list[str]:
    names = [d.tabs.tabText(i) for i in range(d.tabs.count())]
    page = d.tabs.widget(names.index(name))
    return [w.text() for w in page.findChildren(QLabel)]


def test_the_dispatcher_tab_names_the_anthropic_variable(qtbot, no_keyring) -> None:
    d = SettingsDialog(Settings())
    qtbot.addWidget(d)
    notes = [t for t in _tab_texts(d, "Dispatcher") if "keyring" in t]
    assert notes and all("ANTHROPIC_API_KEY" in n for n in notes)
    assert not any("ROADMASTER_API_KEY" in n for n in notes)
    # the cloud tab keeps naming its own variable
    cloud = [t for t in _tab_texts(d, "Cloud") if "keyring" in t]
    assert cloud and all("ROADMASTER_API_KEY" in n for n in cloud)


def test_the_model_list_comes_from_the_models_endpoint(qtbot, memory_keyring) -> None:
    with FakeAnthropic(models=("claude-sonnet-9", "claude-haiku-9")) as api:
        d = SettingsDialog(Settings())
        qtbot.addWidget(d)
        d.anthropic_base_url.setText(api.base_url)
        d.anthropic_key.edit.setText(ANTHROPIC)
        with qtbot.waitSignal(d.models_listed, timeout=30_000):
            d.refresh_models()
        items = [d.model.itemText(i) for i in range(d.model.count())]
        assert items[:2] == ["claude-sonnet-9", "claude-haiku-9"]
        assert d.model.currentText() == DEFAULT_DISPATCHER_MODEL  # the choice is kept
        assert "2 models" in d.models_result.text()
        assert api.api_keys == [ANTHROPIC]


def test_listing_with_nothing_listening_says_network(qtbot, memory_keyring) -> None:
    d = SettingsDialog(Settings())
    qtbot.addWidget(d)
    d.anthropic_base_url.setText("http://127.0.0.1:9")  # nothing listens there
    d.anthropic_key.edit.setText(ANTHROPIC)
    with qtbot.waitSignal(d.models_listed, timeout=30_000):
        d.refresh_models()
    assert "network" in d.models_result.text()


def test_listing_without_a_key_asks_for_one(qtbot, memory_keyring) -> None:
    d = SettingsDialog(Settings())
    qtbot.addWidget(d)
    d.refresh_models()
    assert "key" in d.models_result.text().lower()


def test_guards_and_base_url_are_saved(qtbot, memory_keyring) -> None:
    d = SettingsDialog(Settings())
    qtbot.addWidget(d)
    d.max_tokens.setValue(600)
    d.requests_per_hour.setValue(12)
    d.anthropic_base_url.setText("https://gateway.example.com")
    d.anthropic_key.edit.setText(ANTHROPIC)
    d.accept()
    assert d.result() == QDialog.DialogCode.Accepted
    s = d.result_settings().dispatcher
    assert (s.max_tokens, s.requests_per_hour, s.base_url) == (
        600,
        12,
        "https://gateway.example.com",
    )
    assert memory_keyring.store[(secrets.SERVICE, secrets.ANTHROPIC_API_KEY)] == ANTHROPIC


def test_a_plain_http_base_url_elsewhere_is_refused(qtbot, memory_keyring) -> None:
    d = SettingsDialog(Settings())
    qtbot.addWidget(d)
    d.anthropic_base_url.setText("http://gateway.example.com")
    d.accept()
    assert d.result() != QDialog.DialogCode.Accepted
    assert any(p.startswith("Dispatcher:") for p in d.problems())
