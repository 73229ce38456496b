"""`roadmaster --self-test` as a player (or CI, on the frozen bundle) runs it, and the
binding check it relies on."""

import os
import subprocess
import sys

import pytest

from roadmaster.ui import binding_check


def test_self_test_passes_without_a_display_and_touches_no_user_folder(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    # No DISPLAY and no QT_QPA_PLATFORM: the self-test must choose offscreen itself.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "roadmaster", "--self-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" (")[0] for line in lines[:-1]] == [
        "ok   start Qt offscreen",
        "ok   decode a simulated frame",
        "ok   write and read the SQLite log",
        "ok   create the demo server's schema",
        "ok   render the dashboard",
        "ok   draw the route map's plot",
        "ok   binding reference counts",
    ]
    assert lines[-1].startswith("self-test passed")
    assert done.stderr == ""
    assert list(home.iterdir()) == []  # nothing written to the player's folders
    assert list(tmp_path.iterdir()) == [home]  # and its temporary folder is gone


def test_this_binding_keeps_reference_counts_straight(qapp):
    drift = binding_check.measure()
    assert drift.ok(), drift.describe()


@pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="None/True/False are immortal: their counts never move"
)
def test_the_check_sees_references_that_move_with_each_paint(qapp):
    held = []
    drift = binding_check.measure(500, on_paint=lambda: held.append(None))
    assert drift.by_name["None"] == 500
    assert not drift.ok()
    assert "None +500" in drift.describe()
