"""The game state the status bar shows, judged from snapshots built with the encoder;
the snapshot clock (``t_s``) is the injected clock."""

from __future__ import annotations

import math
import random
import struct

import pytest

from roadmaster.telemetry.codec import PLUGIN_PLACE, MapWriter
from roadmaster.telemetry.layout import MAP_SIZE
from roadmaster.telemetry.source import Snapshot
from roadmaster.telemetry.status import GameState, Monitor, Reading


def game_map(
    *,
    render_us: int = 1_000_000,
    paused: bool = False,
    revision: int = 12,
    game: int = 1,
    **members: object,
) -> MapWriter:
    """A map as the running plugin writes it."""
    w = MapWriter(revision)
    w.update(
        {
            "sdkActive": True,
            "paused": paused,
            "time": render_us,
            "renderTime": render_us,
            "simulatedTime": render_us,
            "scs_values.game": game,
            "common_f.scale": 19.0,
            "truck_f.speed": 20.0,
        }
    )
    w.update({name.replace("__", "."): value for name, value in members.items()})
    return w


def snap(w: MapWriter, t_s: float) -> Snapshot:
    return Snapshot(w.snapshot(), t_s)


def with_revision(revision: int, *, sdk_active: bool = True) -> bytes:
    data = bytearray(game_map().snapshot())
    struct.pack_into("<I", data, 40, revision)
    data[0] = sdk_active
    return bytes(data)


def test_no_map_is_not_running() -> None:
    monitor = Monitor()
    first = monitor.update(None)
    assert first == Reading(
        GameState.NOT_RUNNING,
        None,
        None,
        "Game not running: start ATS or ETS2 with the scs-telemetry plugin installed "
        f"({PLUGIN_PLACE}).",
        None,
        True,
    )
    assert monitor.update(None).changed is False


def test_a_map_reset_by_a_clean_shutdown_is_not_running() -> None:
    # The plugin zeroes sdkActive, the revision and the clocks; the rest stays stale.
    w = game_map(truck_f__speed=22.0, config_s__truckBrand="Volvo")
    w.update({"sdkActive": False, "scs_values.telemetry_plugin_revision": 0, "renderTime": 0})
    reading = Monitor().update(snap(w, 3.0))
    assert reading.state is GameState.NOT_RUNNING
    assert reading.revision == 0
    assert reading.t_s == 3.0
    assert "exited" in reading.message


def test_a_map_the_plugin_just_created_is_not_running() -> None:
    assert Monitor().update(Snapshot(bytes(MAP_SIZE), 0.0)).state is GameState.NOT_RUNNING


def test_sdk_inactive_with_a_revision_is_not_running_but_decoded() -> None:
    w = game_map(sdkActive=False, truck_f__speed=5.0)
    reading = Monitor().update(snap(w, 0.0))
    assert reading.state is GameState.NOT_RUNNING
    assert reading.frame is not None and reading.frame.truck.speed_mps == 5.0


def test_paused_is_menu_with_the_frame() -> None:
    reading = Monitor().update(snap(game_map(paused=True), 0.0))
    assert reading.state is GameState.MENU
    assert reading.frame is not None and reading.frame.header.paused
    assert reading.revision == 12
    assert reading.message == "Euro Truck Simulator 2 is paused or in a menu."


def test_running_is_driving() -> None:
    reading = Monitor().update(snap(game_map(game=2, truck_f__speed=25.0), 0.0))
    assert reading.state is GameState.DRIVING
    assert reading.frame is not None and reading.frame.truck.speed_mps == 25.0
    assert "American Truck Simulator" in reading.message
    assert reading.changed is True


@pytest.mark.parametrize("revision", [10, 11])
def test_older_supported_revisions_are_decoded(revision: int) -> None:
    reading = Monitor().update(snap(game_map(revision=revision), 0.0))
    assert reading.state is GameState.DRIVING
    assert reading.revision == revision


def test_stale_after_n_seconds_of_render_time_not_advancing() -> None:
    monitor = Monitor(stale_after_s=5.0)
    frozen = game_map(render_us=7_000_000)
    assert monitor.update(snap(frozen, 100.0)).state is GameState.DRIVING
    assert monitor.update(snap(frozen, 104.9)).state is GameState.DRIVING

    stale = monitor.update(snap(frozen, 105.0))
    assert stale.state is GameState.STALE
    assert stale.changed is True
    assert stale.frame is not None  # the last data is still shown
    assert "crashed" in stale.message
    assert monitor.update(snap(frozen, 200.0)).changed is False

    recovered = monitor.update(snap(game_map(render_us=7_016_000), 200.1))
    assert recovered.state is GameState.DRIVING
    assert recovered.changed is True


def test_the_stale_clock_restarts_whenever_render_time_advances() -> None:
    monitor = Monitor(stale_after_s=2.0)
    for step in range(10):  # 10 s in all, render time advancing every second
        reading = monitor.update(snap(game_map(render_us=step), float(step)))
        assert reading.state is GameState.DRIVING


def test_paused_with_time_stopped_is_menu_not_stale() -> None:
    # ``time`` stops while paused; ``renderTime`` keeps going.
    monitor = Monitor(stale_after_s=1.0)
    for step in range(5):
        w = game_map(paused=True, render_us=1_000_000 + step * 500_000)
        w.set("time", 1_000_000)
        assert monitor.update(snap(w, step * 0.5)).state is GameState.MENU


def test_a_frozen_pause_menu_becomes_stale() -> None:
    monitor = Monitor(stale_after_s=1.0)
    frozen = game_map(paused=True)
    assert monitor.update(snap(frozen, 0.0)).state is GameState.MENU
    assert monitor.update(snap(frozen, 1.5)).state is GameState.STALE


def test_no_map_in_between_restarts_the_stale_clock() -> None:
    monitor = Monitor(stale_after_s=1.0)
    frozen = game_map()
    monitor.update(snap(frozen, 0.0))
    monitor.update(None)
    assert monitor.update(snap(frozen, 5.0)).state is GameState.DRIVING


@pytest.mark.parametrize("revision", [0, 9, 13])
def test_unsupported_revisions_name_the_revision_found_and_the_supported_ones(
    revision: int,
) -> None:
    reading = Monitor().update(Snapshot(with_revision(revision), 0.0))
    assert reading.state is GameState.UNSUPPORTED
    assert reading.revision == revision
    assert reading.frame is None
    assert f"revision {revision}" in reading.message
    assert "10, 11, 12" in reading.message


def test_random_bytes_are_corrupt() -> None:
    data = random.Random(1).randbytes(MAP_SIZE)
    reading = Monitor().update(Snapshot(data, 0.0))
    assert reading.state is GameState.CORRUPT
    assert "corrupt" in reading.message


def test_random_bytes_with_a_supported_revision_are_corrupt() -> None:
    data = bytearray(random.Random(2).randbytes(MAP_SIZE))
    struct.pack_into("<I", data, 40, 12)
    reading = Monitor().update(Snapshot(bytes(data), 0.0))
    assert reading.state is GameState.CORRUPT
    assert reading.revision == 12


@pytest.mark.parametrize("size", [0, 100, 21520, MAP_SIZE - 1, MAP_SIZE + 1])
def test_a_snapshot_of_the_wrong_size_is_corrupt(size: int) -> None:
    reading = Monitor().update(Snapshot(game_map().snapshot()[:size].ljust(size, b"\0"), 0.0))
    assert reading.state is GameState.CORRUPT
    assert str(size) in reading.message


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("truck_f.speed", math.nan),
        ("truck_dp.coordinateX", math.inf),
        ("common_f.scale", -math.inf),
    ],
)
def test_non_finite_key_values_are_corrupt_and_named(member: str, value: float) -> None:
    w = game_map()
    w.set(member, value)
    reading = Monitor().update(snap(w, 0.0))
    assert reading.state is GameState.CORRUPT
    assert member in reading.message
    assert reading.revision == 12


def test_changed_follows_the_state_only() -> None:
    monitor = Monitor()
    states = [
        monitor.update(x)
        for x in (
            None,
            snap(game_map(paused=True, render_us=1), 0.0),
            snap(game_map(paused=True, render_us=2), 0.1),
            snap(game_map(render_us=3), 0.2),
            None,
        )
    ]
    assert [(r.state, r.changed) for r in states] == [
        (GameState.NOT_RUNNING, True),
        (GameState.MENU, True),
        (GameState.MENU, False),
        (GameState.DRIVING, True),
        (GameState.NOT_RUNNING, True),
    ]
    assert monitor.state is GameState.NOT_RUNNING


def test_never_raises_on_hostile_input() -> None:
    rng = random.Random(7)
    base = game_map().snapshot()
    monitor = Monitor()
    for i in range(300):
        kind = i % 4
        if kind == 0:
            data = rng.randbytes(rng.choice([0, 1, 44, 4096, MAP_SIZE, MAP_SIZE + 8]))
        elif kind == 1:  # a real map with a few random bytes
            buf = bytearray(base)
            for _ in range(rng.randint(1, 50)):
                buf[rng.randrange(MAP_SIZE)] = rng.randrange(256)
            data = bytes(buf)
        elif kind == 2:  # random bytes carrying a supported revision
            buf = bytearray(rng.randbytes(MAP_SIZE))
            struct.pack_into("<I", buf, 40, rng.choice([10, 11, 12]))
            data = bytes(buf)
        else:
            data = base[: rng.randrange(MAP_SIZE)]
        reading = monitor.update(Snapshot(data, float(i)))
        assert isinstance(reading.state, GameState)
        assert reading.message


def test_the_not_running_line_names_this_systems_plugin() -> None:
    # A Linux player was told to put a .dll into bin/win_x64/plugins.
    import sys

    from roadmaster.telemetry.codec import unsupported_revision_message
    from roadmaster.telemetry.status import NO_MAP_MESSAGE

    lines = (NO_MAP_MESSAGE, unsupported_revision_message(0), unsupported_revision_message(9))
    for line in lines:
        if sys.platform.startswith("linux"):
            assert "bin/linux_x64/plugins/scs-telemetry.so" in line and ".dll" not in line
        else:
            assert "bin/win_x64/plugins/scs-telemetry.dll" in line
