"""``roadmaster headless`` stopped by signals the way services and shells send them:
twice in a row (``timeout`` signals the child and then the whole process group),
Ctrl-C followed by SIGTERM, and a second SIGTERM while the shutdown waits on sync.
Each must end like one SIGTERM: exit 0, the "stopped" line, everything committed."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands.conftest import db_rows

STOPPED = re.compile(r"stopped \((?P<by>[^)]*)\): .*?(?P<samples>\d+) samples, (?P<jobs>\d+) jobs")
TIMEOUT_S = 60.0
RUNS: list[Headless] = []


class Headless:
    """A real ``roadmaster headless`` process whose stderr lines are read as they come."""

    def __init__(self, data: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data = data
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "roadmaster", "headless", "--data-dir", str(data), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env or _env(),
        )
        RUNS.append(self)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str) -> None:
        """Until a stderr line contains ``text`` (fails if the process ends first)."""
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"headless ended before {text!r}:\n{''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return
        pytest.fail(f"no {text!r} within {TIMEOUT_S} s:\n{''.join(self.seen)}")

    def finish(self) -> tuple[int, str]:
        code = self.proc.wait(TIMEOUT_S)
        while (line := self.lines.get(timeout=TIMEOUT_S)) is not None:
            self.seen.append(line)
        return code, "".join(self.seen)


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    before = set(RUNS)
    yield
    for run in set(RUNS) - before:
        if run.proc.poll() is None:
            run.proc.kill()
        run.proc.wait(TIMEOUT_S)
        assert run.proc.stderr is not None
        run.proc.stderr.close()


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ROADMASTER_SERVER_URL", None)
    env.pop("ROADMASTER_API_KEY", None)
    env.update(extra)
    return env


def _committed(data: Path) -> tuple[int, int]:
    samples = db_rows(data, "SELECT count(*) FROM samples")[0][0]
    finished = db_rows(data, "SELECT count(*) FROM jobs WHERE status != 'open'")[0][0]
    return samples, finished


def _assert_clean_stop(code: int, err: str, data: Path, by: set[str]) -> None:
    assert code == 0, err
    assert "Traceback" not in err
    match = STOPPED.search(err)
    assert match is not None, err
    assert match["by"] in by
    # Everything the capture counted is in the database, and it was closed cleanly:
    # the write-ahead log was checkpointed into the file.
    assert _committed(data) == (int(match["samples"]), int(match["jobs"]))
    assert int(match["samples"]) > 0
    wal = data / "roadmaster.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


NAMES = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "interrupt"}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (signal.SIGTERM, signal.SIGTERM),
        (signal.SIGINT, signal.SIGTERM),
        (signal.SIGTERM, signal.SIGINT),
    ],
    ids=["TERM-TERM", "INT-TERM", "TERM-INT"],
)
def test_two_signals_in_quick_succession_stop_cleanly(
    tmp_path: Path, ats_recording: Path, first: int, second: int
) -> None:
    data = tmp_path / "data"
    run = Headless(data, "--source", f"replay:{ats_recording}", "--speedup", "100", "--no-sync")
    run.wait_for("Job started")  # capturing, with samples being committed
    os.kill(run.proc.pid, first)
    os.kill(run.proc.pid, second)
    code, err = run.finish()
    # Both may be pending at once, and the kernel then delivers the lower number first.
    _assert_clean_stop(code, err, data, {NAMES[first], NAMES[second]})


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers: sync's flush on exit
    waits out its bound, which leaves time for a second signal mid-shutdown."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    sock.close()


@pytest.mark.slow
def test_a_second_sigterm_while_sync_flushes_on_exit_still_stops_cleanly(
    tmp_path: Path, ats_recording: Path, silent_server: str
) -> None:
    data = tmp_path / "data"
    env = _env(ROADMASTER_API_KEY="rm_" + "ab" * 32)
    run = Headless(
        data, "--source", f"replay:{ats_recording}", "--speedup", "100",
        "--server", silent_server, "--sync-flush", "3", env=env,
    )  # fmt: skip
    run.wait_for("Job started")
    os.kill(run.proc.pid, signal.SIGTERM)
    run.wait_for("stopping (SIGTERM)")
    os.kill(run.proc.pid, signal.SIGTERM)  # while sync still waits on the server
    run.wait_for("already stopping")
    code, err = run.finish()
    _assert_clean_stop(code, err, data, {"SIGTERM"})
    assert "sync did not stop in time" in err  # it really was mid-shutdown
