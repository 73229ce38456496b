"""Traces of fatal errors: a crash in C code or an abort (``Fatal Python error``)
ends the process before any Python handler runs, so the crash dialog and
``crash.log`` never see it.  :mod:`faulthandler` can still write the Python stack of
every thread, into a file opened beforehand: ``fatal-<face>.log`` in the log folder.

A clean run leaves no trace in that file.  At the next start :func:`previous_crash` finds
a trace in it, moves it aside to ``crashed-<face>-<time>.log`` (so it is reported
once, and the last few are kept for a bug report) and returns it; the window says
"RoadMaster closed unexpectedly last time", ``headless`` logs it.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

KEEP = 5  # crashed-*.log reports kept per face
# What faulthandler writes: "Fatal Python error: Segmentation fault" (or Aborted …)
# then "Current thread 0x… (most recent call first):" and the frames.
MARKERS = ("Fatal Python error", "most recent call first")

_open: IO[str] | None = None
_previously_enabled = False
_saved_stderr_fd: int | None = None


@dataclass(frozen=True, slots=True)
class FatalReport:
    """The trace a run left: where it is kept now, and its text."""

    path: Path
    text: str


def trace_path(log_dir: Path, face: str) -> Path:
    """Where the running process of ``face`` ("window", "headless") writes a trace."""
    return log_dir / f"fatal-{face}.log"


def previous_crash(log_dir: Path, face: str) -> FatalReport | None:
    """The fatal-error trace the last run of ``face`` left, moved aside so that it is
    reported once; None after a clean run (or when the file cannot be read)."""
    current = trace_path(log_dir, face)
    try:
        text = current.read_text(encoding="utf-8", errors="replace")
        if not any(marker in text for marker in MARKERS):
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(current.stat().st_mtime))
        kept = log_dir / f"crashed-{face}-{stamp}.log"
        current.replace(kept)
    except OSError:
        return None
    _prune(log_dir, face)
    return FatalReport(kept, text.strip())


def _prune(log_dir: Path, face: str) -> None:
    reports = sorted(log_dir.glob(f"crashed-{face}-*.log"))
    for old in reports[:-KEEP]:
        with suppress(OSError):
            old.unlink()


def enable(log_dir: Path, face: str, *, stderr_too: bool = False) -> Path | None:
    """Write the stacks of all threads into ``fatal-<face>.log`` on a fatal signal
    (truncated now: call :func:`previous_crash` first).  The path, or None when the
    file cannot be opened (then nothing changes: the run goes on without it).

    ``stderr_too`` sends file descriptor 2 there as well.  CPython's own fatal errors
    (``Fatal Python error: none_dealloc`` …) are written to stderr, and faulthandler
    is switched off before the abort that follows: without this they leave no
    trace when stderr goes nowhere (a window started from the desktop)."""
    global _open, _previously_enabled, _saved_stderr_fd
    path = trace_path(log_dir, face)
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handle = path.open("w", encoding="utf-8")
    except OSError as exc:
        log.warning("fatal errors will leave no trace: cannot write %s (%s)", path, exc.strerror)
        return None
    if _open is None:
        _previously_enabled = faulthandler.is_enabled()
    else:
        _restore_stderr()
        _open.close()
    faulthandler.enable(file=handle, all_threads=True)
    _open = handle
    if stderr_too:
        try:
            sys.stderr.flush()
            _saved_stderr_fd = os.dup(2)
            os.dup2(handle.fileno(), 2)
        except (OSError, AttributeError, ValueError):
            _saved_stderr_fd = None  # no usable stderr (pythonw): faulthandler alone
    return path


def _restore_stderr() -> None:
    global _saved_stderr_fd
    if _saved_stderr_fd is None:
        return
    with suppress(OSError, AttributeError, ValueError):
        sys.stderr.flush()
    os.dup2(_saved_stderr_fd, 2)
    os.close(_saved_stderr_fd)
    _saved_stderr_fd = None


def disable() -> None:
    """Stop writing traces (a clean exit: the file holds no trace); a handler that was
    on before :func:`enable` (``python -X faulthandler``, pytest) goes back to stderr."""
    global _open
    if _open is None:
        return
    faulthandler.disable()
    _restore_stderr()
    _open.close()
    _open = None
    if _previously_enabled and sys.__stderr__ is not None:
        faulthandler.enable(file=sys.__stderr__, all_threads=True)


@contextmanager
def traced(log_dir: Path, face: str) -> Iterator[FatalReport | None]:
    """Report the last run's trace (logged as a warning), trace this run, stop on exit."""
    report = previous_crash(log_dir, face)
    if report is not None:
        log.warning(
            "RoadMaster closed unexpectedly last time (a fatal error); the report is in %s",
            report.path,
        )
    enable(log_dir, face)
    try:
        yield report
    finally:
        disable()
