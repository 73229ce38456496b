"""The window's entry point refuses to start where no window can open, with a message
a player understands (Qt would abort with one about platform plugins)."""

import subprocess
import sys

from roadmaster.gui import display_problem


def test_no_display_on_linux_is_explained():
    problem = display_problem("linux", {})
    assert problem is not None and "roadmaster watch --source sim" in problem
    assert display_problem("linux", {"DISPLAY": ":0"}) is None
    assert display_problem("linux", {"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert display_problem("linux", {"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem("win32", {}) is None


def test_the_command_exits_with_one_clear_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "ROADMASTER_HOME": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "roadmaster", "--demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("roadmaster: there is no screen")
    assert "Traceback" not in done.stderr and "platform plugin" not in done.stderr
