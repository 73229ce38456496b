"""One writer per data directory, across threads, processes and crashes."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from roadmaster.storage import AlreadyRunningError, Store
from roadmaster.storage.lock import LOCK_FILE_NAME

# A second RoadMaster: opens the store, says so, and holds it until stdin closes.
HOLDER = """
import sys
from pathlib import Path
from roadmaster.storage import Store
store = Store.open(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.read()
store.close()
"""


def _start_holder(data_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"  # blocks until the lock is held
    return proc


def test_a_second_open_in_the_same_process_is_refused(store: Store, data_dir: Path) -> None:
    with pytest.raises(AlreadyRunningError) as caught:
        Store.open(data_dir)
    assert "already running" in str(caught.value)
    assert str(data_dir) in str(caught.value)
    # The refused attempt did not disturb the holder.
    assert store.sample_count() == 0


def test_a_second_process_is_refused_with_its_pid_named(data_dir: Path) -> None:
    proc = _start_holder(data_dir)
    try:
        with pytest.raises(AlreadyRunningError) as caught:
            Store.open(data_dir)
        assert caught.value.pid == proc.pid
        assert f"process {proc.pid}" in str(caught.value)
        assert "Close the other RoadMaster" in str(caught.value)
    finally:
        proc.communicate(timeout=30)  # closes its stdin: it closes the store and exits
    assert proc.returncode == 0
    Store.open(data_dir).close()  # released on a clean exit


def test_the_lock_of_a_killed_process_is_taken_over(data_dir: Path) -> None:
    proc = _start_holder(data_dir)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    proc.stdout.close()
    assert str(proc.pid) in (data_dir / LOCK_FILE_NAME).read_text()  # it left its pid
    with Store.open(data_dir) as store:
        assert store._lock.took_over_pid == proc.pid
        assert store.status_counts() == {}


def test_close_releases_the_lock(data_dir: Path) -> None:
    first = Store.open(data_dir)
    first.close()
    first.close()  # idempotent
    Store.open(data_dir).close()
