"""Fatal errors (a crash in C code, an abort) leave a trace in the log folder, and the
next start reports it once: real processes that really crash."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from roadmaster import cli, fatal
from tests.commands.conftest import scripted_session, write_snapshots

CRASH = textwrap.dedent(
    """
    import ctypes, faulthandler, os, sys
    from pathlib import Path
    from roadmaster import fatal

    def paint_the_dashboard():
        {how}

    fatal.enable(Path(sys.argv[1]), "window", stderr_too=sys.argv[2] == "1")
    paint_the_dashboard()
    """
)


def crash(log_dir: Path, how: str, stderr_too: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CRASH.format(how=how), str(log_dir), str(int(stderr_too))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("how", "signum", "error", "stderr_too"),
    [
        ("faulthandler._sigsegv()", signal.SIGSEGV, "Segmentation fault", False),
        ("os.abort()", signal.SIGABRT, "Aborted", False),
        # what a refcount bug in a C extension does: CPython's own fatal error, written
        # to stderr (faulthandler is switched off before its abort); the window sends
        # stderr into the trace file when it is not a terminal
        (
            "ctypes.pythonapi.Py_FatalError(b'none_dealloc: deallocating None')",
            signal.SIGABRT,
            "none_dealloc: deallocating None",
            True,
        ),
    ],
    ids=["segfault", "abort", "python-fatal-error"],
)
def test_a_process_that_crashes_leaves_its_trace_and_the_next_start_reports_it_once(
    tmp_path: Path, how: str, signum: int, error: str, stderr_too: bool
) -> None:
    done = crash(tmp_path, how, stderr_too)
    assert done.returncode == -signum
    report = fatal.previous_crash(tmp_path, "window")
    assert report is not None
    assert f"Fatal Python error: {error}" in report.text
    assert "paint_the_dashboard" in report.text  # the Python stack, innermost frame first
    # moved aside and kept: reported once, still there for a bug report
    assert report.path.parent == tmp_path and report.path.name.startswith("crashed-window-")
    assert report.path.read_text().strip() == report.text
    assert not fatal.trace_path(tmp_path, "window").exists()
    assert fatal.previous_crash(tmp_path, "window") is None


def test_a_clean_run_leaves_nothing_to_report(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CRASH.format(how="pass"), str(tmp_path), "1"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert fatal.trace_path(tmp_path, "window").read_text() == ""
    assert fatal.previous_crash(tmp_path, "window") is None


def test_only_the_last_few_reports_are_kept(tmp_path: Path) -> None:
    for i in range(fatal.KEEP + 3):
        old = tmp_path / f"crashed-window-20260101-0000{i:02d}.log"
        old.write_text("Fatal Python error: Aborted\n")
    fatal.trace_path(tmp_path, "window").write_text("Fatal Python error: Aborted\n\n  File x\n")
    assert fatal.previous_crash(tmp_path, "window") is not None
    assert len(list(tmp_path.glob("crashed-window-*.log"))) == fatal.KEEP


def test_headless_says_the_last_run_closed_unexpectedly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ROADMASTER_HOME", str(home))
    logs = home / "logs"
    logs.mkdir(parents=True)
    fatal.trace_path(logs, "headless").write_text(
        "Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 (most recent call first):\n"
    )
    recording = write_snapshots(tmp_path / "r.rec", scripted_session())
    args = ["headless", "--source", f"replay:{recording}", "--no-sync"]
    assert cli.main([*args, "--data-dir", str(tmp_path / "data")]) == 0
    err = caplog.text
    caplog.clear()
    kept = list(logs.glob("crashed-headless-*.log"))
    assert len(kept) == 1
    assert f"closed unexpectedly last time (a fatal error); the report is in {kept[0]}" in err
    # this run was clean: its trace file is empty, and the next start says nothing
    assert fatal.trace_path(logs, "headless").read_text() == ""
    assert cli.main([*args, "--data-dir", str(tmp_path / "data2")]) == 0
    assert "closed unexpectedly" not in caplog.text
