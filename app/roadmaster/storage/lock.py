"""One writer per data directory: an OS lock on ``roadmaster.lock``.

The lock is an advisory OS lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows)
held on an open file for the life of the process.  The OS drops it when the process
ends, however it ends (``kill -9``, crash, power cut), so a lock left behind is never
stale: the next start simply gets it.  The file also holds the owner's pid and start
time, only to name the other process in the error message.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from roadmaster.storage.errors import AlreadyRunningError, DataFileError

LOCK_FILE_NAME: Final = "roadmaster.lock"
# Windows locks byte ranges and a locked range cannot be read by others; lock a byte
# far past the text so the owner's pid stays readable.
_WIN_LOCK_OFFSET: Final = 1 << 20


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _read_owner(fd: int) -> dict[str, object]:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        owner = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return owner if isinstance(owner, dict) else {}


def _write_error(path: Path, exc: OSError) -> DataFileError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DataFileError(
            f"The disk holding {path.parent} is full, so RoadMaster can't start. Free some "
            "disk space and start RoadMaster again; everything recorded before is safe.",
            reason="full",
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return DataFileError(
            f"RoadMaster can't write {path} ({exc.strerror}). Make the folder writable, "
            "or choose another folder with --data-dir or ROADMASTER_HOME.",
            reason="read-only",
        )
    return DataFileError(
        f"RoadMaster can't write {path} ({exc.strerror or exc}). Check the disk and "
        "start RoadMaster again; everything recorded before is safe.",
        reason="io",
    )


@dataclass(slots=True)
class DataDirLock:
    """The held lock on a data directory; :meth:`release` (or process exit) frees it."""

    path: Path
    fd: int | None
    #: the pid named in a lock file whose process had died (we took its place)
    took_over_pid: int | None = None

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        """Lock ``data_dir`` or raise :class:`AlreadyRunningError` naming the owner."""
        path = data_dir / LOCK_FILE_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DataFileError(
                f"RoadMaster can't create {path} ({exc.strerror}). Make the folder "
                "writable, or choose another folder with --data-dir or ROADMASTER_HOME.",
                reason="read-only",
            ) from exc
        if not _try_lock(fd):
            owner = _read_owner(fd)
            os.close(fd)
            pid = owner.get("pid")
            since = owner.get("started_at")
            who = f"process {pid}" if isinstance(pid, int) else "another process"
            if pid == os.getpid():
                who = "this very process has it open already"
            when = f", started {since}" if isinstance(since, str) else ""
            raise AlreadyRunningError(
                f"RoadMaster is already running ({who}{when}) and is using {data_dir}. "
                "Close the other RoadMaster first, or start this one with another "
                "--data-dir.",
                pid=pid if isinstance(pid, int) else None,
            )
        previous = _read_owner(fd).get("pid")
        stale = previous if isinstance(previous, int) and previous != os.getpid() else None
        owner_text = json.dumps(
            {"pid": os.getpid(), "started_at": datetime.now(UTC).isoformat(timespec="seconds")}
        )
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, owner_text.encode("utf-8"))
        except OSError as exc:
            _unlock(fd)
            os.close(fd)
            raise _write_error(path, exc) from exc
        return cls(path=path, fd=fd, took_over_pid=stale)

    def release(self) -> None:
        """Free the lock (idempotent).  The file stays: deleting it would race with a
        second process that already opened it and is about to lock the old inode."""
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            os.ftruncate(fd, 0)
            _unlock(fd)
        finally:
            os.close(fd)
