"""``roadmaster record``: through ``roadmaster.cli.main`` in-process, and as a real
process stopped by signals while it records a live map file."""

from __future__ import annotations

import mmap
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from roadmaster.cli import EXIT_USER_ERROR, main
from roadmaster.telemetry.codec import MapWriter
from roadmaster.telemetry.decoding import decode
from roadmaster.telemetry.layout import MAP_SIZE
from roadmaster.telemetry.recording import MAGIC, RecordingWriter, read_recording

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX map file and signals")


@pytest.fixture
def live_map(tmp_path: Path) -> Iterator[tuple[Path, MapWriter]]:
    """A map file written through a shared mapping, as the plugin does; the writer's
    buffer *is* the mapping, so every ``set`` is visible to readers at once."""
    path = tmp_path / "SCSTelemetry"
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.ftruncate(fd, MAP_SIZE)
    mm = mmap.mmap(fd, MAP_SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    os.close(fd)
    writer = MapWriter(12, buffer=mm)  # type: ignore[arg-type]
    writer.update({"sdkActive": True, "truck_f.speed": 17.5, "scs_values.game": 1})
    yield path, writer
    mm.close()


def test_records_the_simulator_for_two_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim.rec"
    assert main(["record", "--out", str(out), "--source", "sim", "--duration", "2"]) == 0

    snaps = list(read_recording(out))
    # One frame per 100 ms of simulated time, recorded faster than real time.
    assert 19 <= len(snaps) <= 21
    assert snaps[0].t_s == 0.0
    assert all(0.0 <= s.t_s < 2.0 for s in snaps)
    assert [s.t_s for s in snaps] == sorted(s.t_s for s in snaps)
    assert all(decode(s.data).revision == 12 for s in snaps)

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Recording simulator")
    assert lines[1].startswith(f"Recorded {len(snaps)} frames over ")
    assert str(out) in lines[1]


def test_re_records_a_replay_cut_to_the_duration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = tmp_path / "in.rec"
    w = MapWriter(12)
    data = []
    with RecordingWriter(original) as writer:
        for i in range(10):
            w.set("truck_f.speed", float(i))
            data.append(w.snapshot())
            writer.write(30.0 + i * 0.1, data[-1])

    out = tmp_path / "out.rec"
    args = ["record", "--out", str(out), "--source", f"replay:{original}", "--duration", "0.45"]
    assert main(args) == 0
    snaps = list(read_recording(out))
    assert [s.data for s in snaps] == data[:5]
    assert [s.t_s for s in snaps] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert "Recorded 5 frames over 0.4 s" in capsys.readouterr().out


@posix_only
def test_records_the_live_map(
    tmp_path: Path, live_map: tuple[Path, MapWriter], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = live_map
    out = tmp_path / "live.rec"
    args = ["record", "--out", str(out), "--shm-path", str(path)]
    assert main([*args, "--duration", "0.3", "--interval-ms", "50"]) == 0

    snaps = list(read_recording(out))
    assert 1 <= len(snaps) <= 7  # 6 at 50 ms in 0.3 s; fewer only on a stalled machine
    assert all(decode(s.data).truck.speed_mps == 17.5 for s in snaps)
    output = capsys.readouterr().out
    assert f"Recording shm:{path} to {out}" in output
    assert "every 50 ms" in output


def test_without_a_map_nothing_is_recorded_and_the_summary_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "none.rec"
    missing = tmp_path / "no-map"
    args = ["record", "--out", str(out), "--shm-path", str(missing), "--duration", "0.1"]
    if sys.platform == "win32":
        args[4] = "Local\\RoadMasterTestNoSuchMap"
    assert main(args) == 0
    assert out.read_bytes() == MAGIC
    assert not missing.exists()
    assert "Recorded 0 frames" in capsys.readouterr().out


def test_an_unknown_source_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.rec"
    assert main(["record", "--out", str(out), "--source", "tcp:1234"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "unknown telemetry source 'tcp:1234'" in err
    assert '"replay:FILE"' in err
    assert not out.exists()


def test_an_unwritable_output_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing-dir" / "x.rec"
    args = ["record", "--out", str(out), "--shm-path", str(tmp_path / "no-map")]
    assert main(args) == EXIT_USER_ERROR
    assert "can't create the recording" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--interval-ms", "0"], ["--duration", "-1"], []])
def test_bad_options_are_refused_by_the_parser(tmp_path: Path, option: list[str]) -> None:
    out = [] if not option else ["--out", str(tmp_path / "x.rec")]
    with pytest.raises(SystemExit) as exited:
        main(["record", *out, *option])
    assert exited.value.code == 2


# --- a real recorder process ---------------------------------------------------------------


def start_recorder(*args: str) -> subprocess.Popen[str]:
    code = "import sys; from roadmaster.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, "record", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    """Poll ``condition`` (like qtbot.waitUntil) while the recorder runs."""
    deadline = time.monotonic() + 30
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"recorder exited early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the recorder wrote no frames within 30 s")
        time.sleep(0.01)


def records_in(path: Path) -> int:
    if not path.exists() or path.stat().st_size < len(MAGIC):
        return 0
    return sum(1 for _ in read_recording(path))


@posix_only
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_recorder_cleanly(
    tmp_path: Path, live_map: tuple[Path, MapWriter], signum: signal.Signals
) -> None:
    path, writer = live_map
    out = tmp_path / "signalled.rec"
    proc = start_recorder("--out", str(out), "--shm-path", str(path), "--interval-ms", "20")
    try:
        wait_until(lambda: records_in(out) >= 3, proc)
        writer.set("truck_f.speed", 30.0)  # the recorder keeps reading the live map
        wait_until(
            lambda: any(decode(s.data).truck.speed_mps == 30.0 for s in read_recording(out)),
            proc,
        )
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    frames = records_in(out)
    assert f"Recorded {frames} frames" in stdout
    size = out.stat().st_size
    assert (f"({size} bytes)" if size < 1024 else f"({size / 1024:.1f} KiB)") in stdout
    assert "cut short" not in stderr


@posix_only
def test_a_killed_recorder_leaves_a_readable_file(
    tmp_path: Path, live_map: tuple[Path, MapWriter]
) -> None:
    path, _ = live_map
    out = tmp_path / "killed.rec"
    proc = start_recorder("--out", str(out), "--shm-path", str(path), "--interval-ms", "10")
    wait_until(lambda: records_in(out) >= 5, proc)
    proc.kill()
    proc.communicate()
    snaps = list(read_recording(out))
    assert len(snaps) >= 5
    assert all(decode(s.data).truck.speed_mps == 17.5 for s in snaps)
