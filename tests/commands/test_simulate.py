"""``roadmaster simulate`` through the real entry point, into real map files."""

import os
import stat
import uuid
from pathlib import Path

import pytest

from roadmaster.cli import main
from roadmaster.telemetry.decoding import decoder
from roadmaster.telemetry.frame import Game
from roadmaster.telemetry.layout import MAP_SIZE

FAST = ["--speedup", "100000"]  # as fast as the machine goes: no waiting in tests


def test_simulate_writes_the_story_and_leaves_the_shutdown_resets(tmp_path, capsys):
    path = tmp_path / "SCSTelemetry"
    assert main(["simulate", "--duration", "12", *FAST, "--shm-path", str(path)]) == 0

    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and str(path) in out[0] and "Ctrl-C" in out[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert len(data) == MAP_SIZE
    frame = decoder(12)(data)  # revision 0 after shutdown: read with the unchecked decoder
    h = frame.header
    assert (h.sdk_active, h.revision, h.game) == (False, 0, Game.UNKNOWN)
    assert (h.time_us, h.simulated_time_us, h.render_time_us) == (0, 0, 0)
    assert (h.telemetry_version_major, h.game_telemetry_version_major) == (0, 0)
    assert (h.game_time_min, h.scale) == (0, 0.0)
    # Everything else is stale, as the plugin leaves it: 12 s in, the job had started.
    assert frame.truck.brand in {"Scania", "Volvo"}
    assert frame.job.on_job and frame.job.cargo and not h.paused
    assert path.exists()  # not under /dev/shm: kept


def test_simulate_ats_with_a_seed(tmp_path):
    path = tmp_path / "map"
    args = ["simulate", "--game", "ats", "--seed", "4", "--duration", "8", *FAST]
    assert main([*args, "--shm-path", str(path)]) == 0
    frame = decoder(12)(path.read_bytes())
    assert frame.truck.brand in {"Peterbilt", "Kenworth"}


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm on this system")
@pytest.mark.parametrize("keep", [False, True])
def test_a_map_under_dev_shm_is_unlinked_on_exit_unless_kept(keep):
    path = Path("/dev/shm") / f"roadmaster-test-{uuid.uuid4().hex}"
    args = ["simulate", "--duration", "1", *FAST, "--shm-path", str(path)]
    try:
        assert main(args + (["--keep"] if keep else [])) == 0
        assert path.exists() == keep
    finally:
        if path.exists():
            os.unlink(path)


def test_an_unwritable_path_is_one_clear_line(tmp_path, capsys):
    path = tmp_path / "no-such-folder" / "SCSTelemetry"
    assert main(["simulate", "--duration", "1", "--shm-path", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "--shm-path" in err[0]
    assert not path.exists()


def test_a_bad_speedup_is_refused(tmp_path, capsys):
    path = tmp_path / "map"
    assert main(["simulate", "--speedup", "0", "--shm-path", str(path)]) == 2
    assert "--speedup" in capsys.readouterr().err
    assert not path.exists()
