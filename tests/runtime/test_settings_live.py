"""Settings apply live, through ``Runtime.apply_settings``: a new telemetry source is
what capture reads next; a server and key entered in Settings are what sync uses, over
real HTTP to the reference server, with no restart; the key kept "for this session"
where no secure keyring exists is the one sync sends; new prices settle the jobs that
end from then on."""

from __future__ import annotations

import sqlite3
import sys
import threading
from pathlib import Path

import pytest

from roadmaster import secrets
from roadmaster.runtime import (
    Runtime,
    RuntimeConfig,
    SettingsApplied,
    SourceOpened,
    StoreOpened,
    settings_source,
)
from roadmaster.server import tables as t
from roadmaster.settings import CloudSettings, EconomyPreferences, GameSettings, Settings
from roadmaster.telemetry.frame import Game
from roadmaster.telemetry.sim.simulator import SimulatorSource
from roadmaster.telemetry.source import Snapshot
from tests.runtime.conftest import Events
from tests.ui.frames import EndlessSource, driving_map

ATS, ETS2 = 2, 1  # the plugin's scs_values.game


def _map_file(path: Path, game: int) -> Path:
    path.write_bytes(driving_map(**{"scs_values.game": game}))
    return path


def _game_settings(path: Path) -> Settings:
    return Settings(game=GameSettings(telemetry_source="path", telemetry_path=str(path)))


@pytest.mark.skipif(sys.platform == "win32", reason="a map file path is a Linux source")
def test_a_new_telemetry_source_in_the_settings_is_read_without_restart(tmp_path):
    ets2 = _map_file(tmp_path / "ets2-map", ETS2)
    ats = _map_file(tmp_path / "ats-map", ATS)
    source_for = settings_source("shm", None)
    first = _game_settings(ets2)
    runtime = Runtime(
        RuntimeConfig(
            source_factory=source_for(first),
            source_for=source_for,
            data_dir=tmp_path / "data",
            settings=first,
        )
    )
    events = Events(runtime)

    def game() -> Game | None:
        reading = runtime.latest()
        return None if reading is None or reading.frame is None else reading.frame.header.game

    runtime.start()
    try:
        events.wait_for(lambda: game() is Game.ETS2)
        changed = runtime.apply_settings(_game_settings(ats))
        assert changed == {"game"}
        events.wait_for(lambda: game() is Game.ATS)
        opened = [e.source_name for e in events.of(SourceOpened)]
        assert opened == [f"shm:{ets2}", f"shm:{ats}"]
        assert len(events.of(StoreOpened)) == 1  # the log stayed open: no restart
        assert runtime.running
    finally:
        assert runtime.shutdown(timeout_s=10)


def _cloud(url: str) -> Settings:
    return Settings(cloud=CloudSettings(server_url=url, sync_enabled=True))


def test_server_and_session_key_from_the_settings_reach_sync_without_restart(
    server, tmp_path, no_keyring
):
    runtime = Runtime(
        RuntimeConfig(
            source_factory=lambda: EndlessSource(),
            data_dir=tmp_path / "data",
            speed=20.0,
            sample_interval_s=0.5,
        )
    )
    events = Events(runtime)
    runtime.start()
    try:
        events.wait_for(lambda: events.of(StoreOpened))
        assert not runtime.sync().configured
        assert "not set up" in runtime.sync().detail

        # 1. the server, no key yet (no keyring here): sync runs and says what it lacks
        runtime.apply_settings(_cloud(server.base_url))
        events.wait_for(lambda: runtime.sync().configured)
        assert runtime.sync().base_url == server.base_url
        events.wait_for(
            lambda: "key" in str(getattr(runtime.sync().status, "last_error", "") or "").lower()
        )
        assert server.count(t.telemetry) == 0

        # 2. the key typed in Settings, kept for this session only: sync uses it
        runtime.apply_settings(_cloud(server.base_url), {secrets.CLOUD_API_KEY: server.key})
        events.wait_for(lambda: server.count(t.telemetry) > 0)
        assert runtime.sync().status is not None
        assert runtime.sync().status.last_error is None
    finally:
        assert runtime.shutdown(timeout_s=15)


def test_sync_switched_off_in_the_settings_stops_sending(server, tmp_path, no_keyring):
    settings = _cloud(server.base_url)
    runtime = Runtime(
        RuntimeConfig(
            source_factory=lambda: EndlessSource(),
            data_dir=tmp_path / "data",
            settings=settings,
            speed=20.0,
            sample_interval_s=0.5,
        )
    )
    runtime.apply_settings(settings, {secrets.CLOUD_API_KEY: server.key})  # before start
    events = Events(runtime)
    runtime.start()
    try:
        events.wait_for(lambda: server.count(t.telemetry) > 0)
        off = Settings(cloud=CloudSettings(server_url=server.base_url, sync_enabled=False))
        runtime.apply_settings(off, {secrets.CLOUD_API_KEY: server.key})
        events.wait_for(lambda: not runtime.sync().configured)
        sent = server.count(t.telemetry)
        # capture goes on recording (several more commits) while nothing more is sent
        commits = len(events.seen)
        events.wait_for(lambda: len(events.seen) > commits + 10)
        assert server.count(t.telemetry) == sent
        assert runtime.outbox_counts()[0] > 0  # kept in the queue for later
    finally:
        assert runtime.shutdown(timeout_s=15)


class GatedSource:
    """The simulator, held after its first snapshot until ``gate`` opens (so a test can
    change the settings while capture runs, before any job has ended)."""

    recorded = True
    name = "gated simulator"

    def __init__(self, gate: threading.Event) -> None:
        self._inner = SimulatorSource(tick_s=1.0, duration_s=6 * 3600)
        self._gate = gate
        self._calls = 0
        self.held = threading.Event()

    def snapshot(self) -> Snapshot | None:
        self._calls += 1
        if self._calls == 2:
            self.held.set()
            assert self._gate.wait(30), "the test never opened the gate"
        return self._inner.snapshot()

    def close(self) -> None:
        self._inner.close()


def test_new_prices_settle_the_jobs_that_end_after_the_change(tmp_path):
    gate = threading.Event()
    source = GatedSource(gate)
    runtime = Runtime(
        RuntimeConfig(source_factory=lambda: source, data_dir=tmp_path / "data", speed=None)
    )
    events = Events(runtime)
    runtime.start()
    try:
        assert source.held.wait(20)
        price = Settings().economy.fuel_price_per_l * 3
        expensive = Settings(economy=EconomyPreferences(fuel_price_per_l=price))
        assert runtime.apply_settings(expensive) == {"economy"}
        gate.set()
        events.wait_for(lambda: not runtime.running, timeout_s=120)
    finally:
        assert runtime.shutdown(timeout_s=10)
    assert [e.changed for e in events.of(SettingsApplied)] == [{"economy"}]
    db = sqlite3.connect(tmp_path / "data" / "roadmaster.db")
    rows = db.execute(
        "select fuel_used_l, fuel_cost from jobs where ended_at is not null and fuel_used_l > 0"
    ).fetchall()
    assert rows, "the simulated drive finished no job"
    for fuel_used_l, fuel_cost in rows:
        assert fuel_cost == pytest.approx(fuel_used_l * price)
