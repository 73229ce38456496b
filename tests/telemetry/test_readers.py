"""The live readers against real memory-mapped files: a file under tmp_path and a
real /dev/shm segment, written through the writer's own shared mapping the way the
plugin writes its map."""

from __future__ import annotations

import mmap
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from roadmaster.errors import SourceError
from roadmaster.telemetry.codec import MapWriter
from roadmaster.telemetry.decoding import decode
from roadmaster.telemetry.layout import MAP_SIZE, layout
from roadmaster.telemetry.readers import (
    FileSource,
    LinuxMapSource,
    WindowsMapSource,
    _stable_copy,
    open_source,
)
from roadmaster.telemetry.recording import RecordingWriter, ReplaySource
from tests.fakes import FakeSeconds

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shared memory")


class PluginMap:
    """A map file created and written like the plugin does: create, size, map shared
    read-write, then write members through the mapping."""

    def __init__(self, path: Path, size: int = MAP_SIZE, revision: int = 12) -> None:
        self.path = path
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_EXCL, 0o600)
        try:
            os.ftruncate(fd, size)
            self.mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        # A rev-10 fork maps only sizeof(map) bytes: write a whole image, copy the head.
        self.writer = MapWriter(revision)
        self.set(sdkActive=True, paused=False)

    def set(self, **members: object) -> None:
        for name, value in members.items():
            self.writer.set(name.replace("__", "."), value)
        self.mm[:] = self.writer.buffer[: len(self.mm)]

    def close(self) -> None:
        self.mm.close()


@pytest.fixture
def clock() -> FakeSeconds:
    return FakeSeconds()


@pytest.fixture
def shm_path() -> Iterator[Path]:
    """A unique, real POSIX shared-memory file, removed afterwards."""
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm on this system")
    path = Path("/dev/shm") / f"roadmaster-test-{uuid.uuid4().hex}"
    yield path
    path.unlink(missing_ok=True)


def speed_of(source: LinuxMapSource) -> float | None:
    snap = source.snapshot()
    return None if snap is None else decode(snap.data).truck.speed_mps


@posix_only
def test_reads_a_real_dev_shm_segment_and_sees_later_writes(
    shm_path: Path, clock: FakeSeconds
) -> None:
    plugin = PluginMap(shm_path)
    plugin.set(truck_f__speed=22.0, config_s__truckBrand="Volvo")
    source = LinuxMapSource(str(shm_path), clock=clock)
    try:
        snap = source.snapshot()
        assert snap is not None
        assert len(snap.data) == MAP_SIZE
        assert snap.t_s == clock.now
        frame = decode(snap.data)
        assert (frame.truck.speed_mps, frame.truck.brand) == (22.0, "Volvo")

        plugin.set(truck_f__speed=25.5)
        clock.now += 0.1
        snap = source.snapshot()
        assert snap is not None and snap.t_s == clock.now
        assert decode(snap.data).truck.speed_mps == 25.5
        assert source.path == str(shm_path)
    finally:
        source.close()
        plugin.close()


@posix_only
def test_reads_a_plain_file_another_process_writes(tmp_path: Path, clock: FakeSeconds) -> None:
    plugin = PluginMap(tmp_path / "SCSTelemetry")
    source = LinuxMapSource(str(plugin.path), clock=clock)
    try:
        assert speed_of(source) == 0.0
        plugin.set(truck_f__speed=-3.5)  # reversing
        assert speed_of(source) == -3.5
        assert source.name == f"shm:{plugin.path}"
        assert source.recorded is False
    finally:
        source.close()
        plugin.close()


@posix_only
def test_no_map_gives_none_and_creates_nothing(tmp_path: Path, clock: FakeSeconds) -> None:
    path = tmp_path / "SCSTelemetry"
    source = LinuxMapSource(str(path), clock=clock)
    assert source.snapshot() is None
    assert source.snapshot() is None
    assert not path.exists()
    assert source.path is None

    plugin = PluginMap(path)  # the game starts
    plugin.set(truck_f__speed=7.0)
    try:
        assert speed_of(source) == 7.0
    finally:
        source.close()
        plugin.close()


@posix_only
def test_reopens_after_the_game_unlinks_and_recreates_the_segment(
    shm_path: Path, clock: FakeSeconds
) -> None:
    first = PluginMap(shm_path)
    first.set(truck_f__speed=10.0)
    source = LinuxMapSource(str(shm_path), clock=clock)
    try:
        assert speed_of(source) == 10.0

        # Game exits: the plugin resets and unlinks its segment.
        first.set(sdkActive=False, scs_values__telemetry_plugin_revision=0)
        shm_path.unlink()
        first.close()
        clock.now += 0.1
        assert source.snapshot() is None  # no map until the game starts again

        second = PluginMap(shm_path)  # the next game start
        second.set(truck_f__speed=20.0)
        clock.now += 0.1
        try:
            assert speed_of(source) == 20.0
            second.set(truck_f__speed=21.0)
            assert speed_of(source) == 21.0
        finally:
            second.close()
    finally:
        source.close()


@posix_only
def test_a_replaced_file_is_noticed_at_the_next_recheck(tmp_path: Path, clock: FakeSeconds) -> None:
    path = tmp_path / "SCSTelemetry"
    old = PluginMap(path)
    old.set(truck_f__speed=1.0)
    # A second name keeps the old file linked, so only the path check can see the swap.
    os.link(path, tmp_path / "old-link")
    source = LinuxMapSource(str(path), clock=clock, recheck_interval_s=1.0)
    try:
        assert speed_of(source) == 1.0
        new = PluginMap(tmp_path / "new")
        new.set(truck_f__speed=2.0)
        os.replace(tmp_path / "new", path)

        clock.now += 0.5
        assert speed_of(source) == 1.0  # not rechecked yet: the path is stat'ed ~1/s
        clock.now += 0.5
        assert speed_of(source) == 2.0
        new.close()
    finally:
        source.close()
        old.close()


@posix_only
def test_a_map_of_a_preferred_build_replaces_a_stale_older_one(
    tmp_path: Path, clock: FakeSeconds
) -> None:
    current, older = tmp_path / "SCSTelemetry", tmp_path / "SCS-SCSTelemetry"
    stale = PluginMap(older, size=layout(10).size, revision=10)
    stale.set(sdkActive=False)  # left behind by a build that never removes its file
    source = LinuxMapSource(candidates=(str(current), str(older)), clock=clock)
    try:
        assert source.snapshot() is not None
        assert source.path == str(older)

        game = PluginMap(current)  # the current build starts with the game
        game.set(truck_f__speed=12.0)
        clock.now += 0.5
        assert speed_of(source) == 0.0  # still the old file until the next recheck
        assert source.path == str(older)
        clock.now += 0.5
        assert speed_of(source) == 12.0
        assert source.path == str(current)
        game.close()
    finally:
        source.close()
        stale.close()


@posix_only
def test_a_short_rev10_map_is_padded_to_a_whole_snapshot(
    tmp_path: Path, clock: FakeSeconds
) -> None:
    size = layout(10).size
    assert size == 21520
    plugin = PluginMap(tmp_path / "SCSTelemetry", size=size, revision=10)
    plugin.set(truck_f__speed=13.0, truck_b__cruiseControl=True)
    source = LinuxMapSource(str(plugin.path), clock=clock)
    try:
        snap = source.snapshot()
        assert snap is not None
        assert len(snap.data) == MAP_SIZE
        assert snap.data[size:] == bytes(MAP_SIZE - size)
        frame = decode(snap.data)
        assert frame.revision == 10
        assert frame.truck.speed_mps == 13.0
        assert frame.truck.cruise_control is True
    finally:
        source.close()
        plugin.close()


@posix_only
def test_a_map_that_shrinks_under_the_reader_is_remapped_not_read_past_its_end(
    tmp_path: Path, clock: FakeSeconds
) -> None:
    plugin = PluginMap(tmp_path / "SCSTelemetry")
    plugin.set(truck_f__speed=9.0)
    source = LinuxMapSource(str(plugin.path), clock=clock)
    try:
        assert speed_of(source) == 9.0
        plugin.close()
        # Reading the old 32 KiB mapping now would be SIGBUS.
        os.truncate(plugin.path, 8192)
        snap = source.snapshot()
        assert snap is not None
        assert len(snap.data) == MAP_SIZE
        assert decode(snap.data).truck.speed_mps == 9.0
        assert snap.data[8192:] == bytes(MAP_SIZE - 8192)
    finally:
        source.close()


@posix_only
def test_an_empty_file_the_plugin_has_not_sized_yet_gives_none(
    tmp_path: Path, clock: FakeSeconds
) -> None:
    path = tmp_path / "SCSTelemetry"
    path.touch()
    source = LinuxMapSource(str(path), clock=clock)
    try:
        assert source.snapshot() is None
        os.truncate(path, MAP_SIZE)
        snap = source.snapshot()
        assert snap is not None and snap.data == bytes(MAP_SIZE)
    finally:
        source.close()


@posix_only
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_map_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "SCSTelemetry"
    path.write_bytes(bytes(MAP_SIZE))
    path.chmod(0)
    with pytest.raises(SourceError, match="permission denied"):
        LinuxMapSource(str(path)).snapshot()


@posix_only
def test_a_directory_is_not_a_map(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is not a file"):
        LinuxMapSource(str(tmp_path)).snapshot()


def test_the_double_read_accepts_two_agreeing_copies() -> None:
    a = MapWriter(12)
    a.set("time", 1000)
    b = MapWriter(12)
    b.set("time", 2000)
    b.set("special_b.fined", True)
    copies = iter([a.snapshot(), b.snapshot(), b.snapshot()])
    assert _stable_copy(lambda: next(copies)) == b.snapshot()


def test_the_double_read_ignores_changes_outside_header_and_events() -> None:
    a = MapWriter(12)
    b = MapWriter(12)
    b.set("truck_f.speed", 3.0)
    copies = iter([a.snapshot(), b.snapshot()])
    assert _stable_copy(lambda: next(copies)) == b.snapshot()


def test_the_double_read_gives_up_and_takes_the_last_copy() -> None:
    made = 0

    def always_changing() -> bytes:
        nonlocal made
        made += 1
        w = MapWriter(12)
        w.set("time", made)
        return w.snapshot()

    data = _stable_copy(always_changing)
    assert made == 4  # one copy, then three attempts to get a matching second copy
    assert decode(data).header.time_us == 4


@pytest.mark.skipif(sys.platform == "win32", reason="checks the non-Windows refusal")
def test_the_windows_reader_reports_not_available_elsewhere() -> None:
    with pytest.raises(SourceError, match="not available on this system"):
        WindowsMapSource()


def test_a_snapshot_file_is_one_recorded_snapshot(tmp_path: Path) -> None:
    w = MapWriter(12)
    w.set("truck_f.speed", 4.0)
    path = tmp_path / "snap.bin"
    path.write_bytes(w.snapshot())
    source = FileSource(path)
    assert source.recorded is True
    snap = source.snapshot()
    assert snap is not None and snap.data == w.snapshot()
    assert source.snapshot() is None
    source.close()


def test_a_missing_snapshot_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        FileSource(tmp_path / "missing.bin")


@posix_only
def test_open_source_shm_uses_the_configured_path(tmp_path: Path) -> None:
    source = open_source("shm", str(tmp_path / "SCSTelemetry"))
    assert isinstance(source, LinuxMapSource)
    assert source.snapshot() is None
    source.close()


def test_open_source_replay(tmp_path: Path) -> None:
    path = tmp_path / "trip.rec"
    with RecordingWriter(path) as writer:
        writer.write(5.0, MapWriter(12).snapshot())
    source = open_source(f"replay:{path}")
    assert isinstance(source, ReplaySource)
    snap = source.snapshot()
    assert snap is not None and snap.t_s == 0.0
    source.close()


def test_open_source_sim() -> None:
    source = open_source("sim")
    try:
        assert source.recorded is True
        snap = source.snapshot()
        assert snap is not None
        assert decode(snap.data).revision == 12
    finally:
        source.close()


@pytest.mark.parametrize("spec", ["bogus", "replay:", "shm:", "", "SIM"])
def test_open_source_refuses_unknown_specs_listing_the_valid_forms(spec: str) -> None:
    with pytest.raises(SourceError) as caught:
        open_source(spec)
    message = str(caught.value)
    assert repr(spec) in message
    for form in ('"shm"', '"sim"', '"replay:FILE"'):
        assert form in message
