"""The settings file: defaults, validation, migration, tolerant loading, atomic saving."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

import roadmaster.settings as settings_module
from roadmaster.jobs.economics import DASHBOARD_REPAIR_COST_FULL, EconomySettings
from roadmaster.paths import config_dir
from roadmaster.settings import (
    OVERLAY_ITEMS,
    SETTINGS_VERSION,
    Settings,
    load_settings,
    save_settings,
    server_url_problem,
)
from roadmaster.sync.config import resolve_server_url


def test_defaults_work_offline_and_match_the_dashboard() -> None:
    s = Settings()
    assert s.version == SETTINGS_VERSION
    assert s.cloud.server_url == ""  # no cloud until the user names one
    assert s.economy.economy() == EconomySettings()
    assert s.overlay.items == list(OVERLAY_ITEMS)
    assert 10 <= s.overlay.refresh_hz <= 30


def test_missing_file_gives_defaults_without_a_problem(tmp_path: Path) -> None:
    result = load_settings(tmp_path / "nope.json")
    assert result.settings == Settings() and result.problem is None


def test_default_path_is_in_the_config_dir() -> None:
    assert load_settings().path == config_dir() / "settings.json"


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    s = Settings()
    s.cloud.server_url = "https://sync.example.com/"
    s.display.units = "imperial"
    s.economy.repair_cost_scale = 2.5
    s.overlay.items = ["warning", "speed"]
    save_settings(s, path)
    loaded = load_settings(path)
    assert loaded.problem is None
    assert loaded.settings.cloud.server_url == "https://sync.example.com"  # no trailing /
    assert loaded.settings.overlay.items == ["speed", "warning"]  # display order
    assert loaded.settings.economy.economy().repair_cost_full == 2.5 * DASHBOARD_REPAIR_COST_FULL
    assert json.loads(path.read_text())["version"] == SETTINGS_VERSION


def test_the_sync_client_finds_the_server_url_in_the_settings() -> None:
    s = Settings()
    assert resolve_server_url(None, s.saved) is None
    s.cloud.server_url = "https://sync.example.com"
    assert resolve_server_url(None, s.saved) == "https://sync.example.com"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://sync.example.com", True),
        ("http://127.0.0.1:8000", True),
        ("http://sync.example.com", False),  # the key would travel in clear text
        ("sync.example.com", False),
        ("ftp://x", False),
    ],
)
def test_server_url_rule(url: str, ok: bool) -> None:
    assert (server_url_problem(url) is None) is ok


def test_invalid_values_are_refused_on_assignment() -> None:
    s = Settings()
    with pytest.raises(ValidationError):
        s.capture.sample_interval_s = 0.0
    with pytest.raises(ValidationError):
        s.overlay.opacity = 0.05
    with pytest.raises(ValidationError):
        s.cloud.server_url = "http://example.com"


@pytest.mark.parametrize(
    "content",
    ["{not json", '["a list"]', '{"version": 1, "capture": {"sample_interval_s": -4}}'],
)
def test_corrupt_file_keeps_a_backup_and_reports(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    with caplog.at_level(logging.WARNING):
        result = load_settings(path)
    assert result.settings == Settings()
    assert result.problem and "could not be used" in result.problem
    assert result.backup == tmp_path / "settings.json.bak"
    assert result.backup.read_text() == content
    assert "settings.json.bak" in result.problem
    assert result.problem in caplog.text


def test_version_0_flat_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {"server_url": "https://old.example.com", "units": "metric", "start_capture": False}
        )
    )
    result = load_settings(path)
    assert result.problem is None
    s = result.settings
    assert s.version == SETTINGS_VERSION
    assert s.cloud.server_url == "https://old.example.com"
    assert s.display.units == "metric"
    assert s.capture.start_automatically is False


def test_a_newer_file_loads_what_it_can_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {"version": SETTINGS_VERSION + 3, "display": {"units": "imperial"}, "shiny": {"a": 1}}
        )
    )
    result = load_settings(path)
    assert result.settings.display.units == "imperial"
    assert result.problem and "newer RoadMaster" in result.problem
    assert result.settings.version == SETTINGS_VERSION


def test_a_crash_mid_write_leaves_the_old_file_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.json"
    old = Settings()
    old.display.units = "imperial"
    save_settings(old, path)

    def crash(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(settings_module.os, "replace", crash)
    new = Settings()
    new.display.units = "metric"
    with pytest.raises(OSError):
        save_settings(new, path)
    assert load_settings(path).settings.display.units == "imperial"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]  # no temp left


def test_fsync_happens_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(
        settings_module.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1]
    )
    monkeypatch.setattr(
        settings_module.os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1]
    )
    save_settings(Settings(), tmp_path / "settings.json")
    assert calls[:2] == ["fsync", "replace"]


def test_the_file_never_holds_a_key_field(tmp_path: Path) -> None:
    text = save_settings(Settings(), tmp_path / "settings.json").read_text()
    assert "key" not in text.lower() and "rm_" not in text and "sk-" not in text
