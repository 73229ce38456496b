"""The recording format: round trips, both payload kinds, damaged files."""

from __future__ import annotations

import logging
import random
import struct
import zlib
from pathlib import Path

import pytest

from roadmaster.errors import RecordingError
from roadmaster.telemetry.codec import MapWriter
from roadmaster.telemetry.decoding import decode
from roadmaster.telemetry.layout import MAP_SIZE
from roadmaster.telemetry.recording import (
    MAGIC,
    MAX_PAYLOAD,
    RecordingWriter,
    ReplaySource,
    read_recording,
)
from roadmaster.telemetry.source import iterate

RECORD = struct.Struct("<dBI")


def frames(n: int) -> list[bytes]:
    out = []
    w = MapWriter(12)
    w.update({"sdkActive": True, "config_s.truckBrand": "Scania"})
    for i in range(n):
        w.set("truck_f.speed", 10.0 + i)
        w.set("renderTime", 1000 * i)
        out.append(w.snapshot())
    return out


def write_by_hand(path: Path, records: list[tuple[float, int, bytes]]) -> None:
    """A recording written from the format description, not by RecordingWriter."""
    with path.open("wb") as fh:
        fh.write(MAGIC)
        for t_s, flags, payload in records:
            fh.write(RECORD.pack(t_s, flags, len(payload)) + payload)


def test_round_trip_compressed(tmp_path: Path) -> None:
    path = tmp_path / "trip.rec"
    data = frames(5)
    with RecordingWriter(path) as writer:
        for i, d in enumerate(data):
            writer.write(100.0 + 0.1 * i, d)
    assert writer.frames == 5
    assert writer.last_s == pytest.approx(0.4)
    assert writer.size_bytes == path.stat().st_size
    assert path.stat().st_size < MAP_SIZE  # five snapshots in less than one raw one

    got = list(read_recording(path))
    assert [s.data for s in got] == data
    assert [s.t_s for s in got] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert [decode(s.data).truck.speed_mps for s in got] == [10.0, 11.0, 12.0, 13.0, 14.0]
    # The first record says flag 1 (zlib) at byte 8 + 8.
    assert path.read_bytes()[len(MAGIC) + 8] == 1


def test_an_incompressible_snapshot_is_stored_raw(tmp_path: Path) -> None:
    path = tmp_path / "noise.rec"
    noise = random.Random(3).randbytes(MAP_SIZE)
    with RecordingWriter(path, start_s=0.0) as writer:
        writer.write(1.5, noise)
    raw = path.read_bytes()
    assert RECORD.unpack_from(raw, len(MAGIC)) == (1.5, 0, MAP_SIZE)
    [snap] = read_recording(path)
    assert snap == (noise, 1.5)


def test_reads_raw_and_zlib_records_written_by_hand(tmp_path: Path) -> None:
    a, b = frames(2)
    path = tmp_path / "hand.rec"
    write_by_hand(path, [(0.0, 0, a), (0.25, 1, zlib.compress(b))])
    assert [(s.data, s.t_s) for s in read_recording(path)] == [(a, 0.0), (b, 0.25)]


def test_an_empty_recording_has_no_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "empty.rec"
    RecordingWriter(path).close()
    assert path.read_bytes() == MAGIC
    assert list(read_recording(path)) == []


@pytest.mark.parametrize("cut", [1, 10, RECORD.size + 5, "header"])
def test_a_truncated_last_record_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, cut: int | str
) -> None:
    path = tmp_path / "killed.rec"
    data = frames(3)
    with RecordingWriter(path) as writer:
        for i, d in enumerate(data):
            writer.write(float(i), d)
    raw = path.read_bytes()
    if cut == "header":  # killed after 5 bytes of the third record's header
        third = raw.rindex(RECORD.pack(2.0, 1, 0)[:9])
        raw = raw[: third + 5]
    else:
        assert isinstance(cut, int)
        raw = raw[:-cut]
    path.write_bytes(raw)

    with caplog.at_level(logging.WARNING, logger="roadmaster.telemetry.recording"):
        got = list(read_recording(path))
    assert [s.data for s in got] == data[:2]
    assert "cut short" in caplog.text
    assert "2 complete records" in caplog.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"SCSREC2\n" + bytes(20), "not a RoadMaster recording"),
        (bytes(MAP_SIZE), "not a RoadMaster recording"),
        (b"SCSR", "not a RoadMaster recording"),
    ],
)
def test_a_file_with_the_wrong_magic_is_refused_at_once(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.rec"
    path.write_bytes(content)
    with pytest.raises(RecordingError, match=message):
        read_recording(path)  # before iterating
    with pytest.raises(RecordingError, match=message):
        ReplaySource(path)


def test_a_missing_recording_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="no such recording"):
        read_recording(tmp_path / "missing.rec")


def test_unknown_flags_are_refused(tmp_path: Path) -> None:
    [a] = frames(1)
    path = tmp_path / "flags.rec"
    write_by_hand(path, [(0.0, 0, a), (0.1, 7, a)])
    records = read_recording(path)
    assert next(records).data == a
    with pytest.raises(RecordingError, match=r"record 2 .*unknown flags 7"):
        next(records)


def test_corrupt_zlib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zlib.rec"
    write_by_hand(path, [(0.0, 1, b"definitely not zlib data")])
    with pytest.raises(RecordingError, match="corrupt compressed data"):
        list(read_recording(path))


def test_a_cut_zlib_stream_is_refused(tmp_path: Path) -> None:
    [a] = frames(1)
    path = tmp_path / "cut.rec"
    write_by_hand(path, [(0.0, 1, zlib.compress(a)[:-8])])
    with pytest.raises(RecordingError, match="cut short"):
        list(read_recording(path))


def test_an_absurd_payload_length_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.rec"
    path.write_bytes(MAGIC + RECORD.pack(0.0, 0, 0xFFFF_FFFF) + bytes(100))
    with pytest.raises(RecordingError, match="far more than a snapshot"):
        list(read_recording(path))


def test_a_zlib_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.rec"
    write_by_hand(path, [(0.0, 1, zlib.compress(bytes(MAX_PAYLOAD * 4)))])
    with pytest.raises(RecordingError, match="more than a snapshot"):
        list(read_recording(path))


def test_a_non_finite_time_is_refused(tmp_path: Path) -> None:
    [a] = frames(1)
    path = tmp_path / "nan.rec"
    write_by_hand(path, [(float("nan"), 0, a)])
    with pytest.raises(RecordingError, match="no valid time"):
        list(read_recording(path))


def test_the_writer_reports_an_unwritable_path(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="can't create the recording"):
        RecordingWriter(tmp_path / "no" / "such" / "dir.rec")


def test_replay_source_yields_recorded_snapshots_then_none(tmp_path: Path) -> None:
    path = tmp_path / "trip.rec"
    data = frames(4)
    with RecordingWriter(path) as writer:
        for i, d in enumerate(data):
            writer.write(50.0 + i, d)
    source = ReplaySource(path)
    assert source.recorded is True
    assert source.name == f"replay:{path}"
    got = list(iterate(source, speed=None))
    assert [(s.data, s.t_s) for s in got] == [(d, float(i)) for i, d in enumerate(data)]
    assert source.snapshot() is None
    source.close()


def test_closing_a_replay_early_releases_the_file(tmp_path: Path) -> None:
    path = tmp_path / "trip.rec"
    with RecordingWriter(path) as writer:
        for i, d in enumerate(frames(3)):
            writer.write(float(i), d)
    source = ReplaySource(path)
    assert source.snapshot() is not None
    source.close()
    assert source.snapshot() is None


def _hundred_records(path: Path) -> list[bytes]:
    data = frames(100)
    with RecordingWriter(path) as writer:
        for i, d in enumerate(data):
            writer.write(0.1 * i, d)
    return data


@pytest.mark.parametrize("claimed", [5_000, MAP_SIZE + 1, 600_000])
def test_a_corrupt_first_length_is_damage_not_a_cut_short_tail(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, claimed: int
) -> None:
    path = tmp_path / "first.rec"
    _hundred_records(path)
    raw = bytearray(path.read_bytes())
    # The first record's length field, overwritten: more than the file has left
    # after it? No: less than the file, but more than this record's payload.
    struct.pack_into("<I", raw, len(MAGIC) + 9, claimed)
    path.write_bytes(bytes(raw[: len(MAGIC) + RECORD.size + claimed - 1]))
    with (
        caplog.at_level(logging.WARNING, logger="roadmaster.telemetry.recording"),
        pytest.raises(RecordingError, match=r"record 1 \(at byte 8\).*corrupt"),
    ):
        list(read_recording(path))
    assert "cut short (the recorder" not in caplog.text


def test_a_corrupt_length_in_the_middle_is_damage(tmp_path: Path) -> None:
    path = tmp_path / "middle.rec"
    data = _hundred_records(path)
    raw = bytearray(path.read_bytes())
    # Walk to record 50 and claim more than the rest of the file.
    offset = len(MAGIC)
    for _ in range(49):
        (length,) = struct.unpack_from("<I", raw, offset + 9)
        offset += RECORD.size + length
    struct.pack_into("<I", raw, offset + 9, len(raw) - offset)
    path.write_bytes(bytes(raw))
    records = read_recording(path)
    assert [next(records).data for _ in range(49)] == data[:49]
    with pytest.raises(RecordingError, match=r"record 50 .*the file is corrupt"):
        next(records)


@pytest.mark.parametrize(
    ("times", "message"),
    [
        ([0.0, 1e300], "more than a day"),
        ([0.0, 0.1, 1e7], "more than a day"),
        ([-5.0], "negative time"),
        ([0.0, 10.0, 3.0], "goes back in time"),
        ([0.0, float("inf")], "no valid time"),
    ],
)
def test_absurd_times_are_refused_before_a_replay_waits_on_them(
    tmp_path: Path, times: list[float], message: str
) -> None:
    path = tmp_path / "times.rec"
    [a] = frames(1)
    write_by_hand(path, [(t, 0, a) for t in times])
    source = ReplaySource(path)
    try:
        with pytest.raises(RecordingError, match=message):
            # Paced as `headless --speedup 1` plays it: the bad record must be
            # refused before the replay would wait on it (or overflow).
            list(iterate(source, speed=1.0))
    finally:
        source.close()


def test_small_backward_jitter_and_long_game_closed_pauses_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "jitter.rec"
    [a] = frames(1)
    times = [0.0, 1.0, 0.5, 7200.0, 7200.1]  # half a second back; two hours with no game
    write_by_hand(path, [(t, 0, a) for t in times])
    assert [s.t_s for s in read_recording(path)] == times
