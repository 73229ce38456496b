"""Damaged and awkward recordings through the real command line, in subprocesses:
what a user sees when a replay meets them."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from roadmaster.telemetry.recording import MAGIC, RecordingWriter
from roadmaster.telemetry.sim.simulator import SimulatorSource
from tests.commands.conftest import db_rows, roadmaster

RECORD = struct.Struct("<dBI")


def sim_recording(path: Path, times: list[float]) -> Path:
    """Real simulator frames, written at the given times."""
    source = SimulatorSource("ets2", 0, tick_s=0.1)
    with RecordingWriter(path, start_s=0.0, level=1) as writer:
        for t_s in times:
            snap = source.snapshot()
            assert snap is not None
            writer.write(t_s, snap.data)
    source.close()
    return path


@pytest.mark.slow
def test_a_paced_replay_with_a_pause_near_its_end_finishes(tmp_path: Path) -> None:
    # 70 records; the sixth comes 1.5 s after the fifth.  The replay reads up to 64
    # records ahead, so the reader reaches the end while the player waits out the
    # pause: the end of the recording must still reach the player.
    times = [0.01 * i for i in range(5)] + [1.5 + 0.01 * i for i in range(65)]
    rec = sim_recording(tmp_path / "pause.rec", times)
    done = roadmaster(
        "headless", "--source", f"replay:{rec}", "--speedup", "1",
        "--data-dir", str(tmp_path / "data"), "--no-sync",
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "stopped (end of source): 70 readings" in done.stderr


@pytest.mark.slow
def test_a_corrupt_first_record_length_fails_with_one_line(tmp_path: Path) -> None:
    rec = sim_recording(tmp_path / "first.rec", [0.1 * i for i in range(100)])
    raw = bytearray(rec.read_bytes())
    (length,) = struct.unpack_from("<I", raw, len(MAGIC) + 9)
    struct.pack_into("<I", raw, len(MAGIC) + 9, length + 4000)
    rec.write_bytes(bytes(raw))
    for command in (
        ["headless", "--source", f"replay:{rec}", "--data-dir", str(tmp_path / "d"), "--no-sync"],
        ["record", "--source", f"replay:{rec}", "--out", str(tmp_path / "copy.rec")],
    ):
        done = roadmaster(*command)
        assert done.returncode == 2, (command, done.stderr)
        assert "record 1 (at byte 8)" in done.stderr and "corrupt" in done.stderr
        assert "cut short" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_huge_record_time_fails_with_one_line_keeping_what_came_before(
    tmp_path: Path,
) -> None:
    rec = sim_recording(tmp_path / "late.rec", [0.1 * i for i in range(50)] + [1e300])
    data = tmp_path / "data"
    done = roadmaster(
        "headless", "--source", f"replay:{rec}", "--speedup", "1",
        "--data-dir", str(data), "--no-sync",
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "record 51" in done.stderr and "more than a day" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    # The readings before the bad record were stored.
    assert db_rows(data, "SELECT count(*) FROM samples")[0][0] > 0
