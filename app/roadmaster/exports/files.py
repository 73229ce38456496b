"""Writing an export file safely: a temporary file in the target's folder, renamed
over the target only once complete.  OS errors become one clear line each."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from roadmaster.errors import UserError


class ExportCancelled(Exception):  # noqa: N818 - a request, not an error
    """The user cancelled; nothing was written under the requested name."""


def describe_os_error(exc: OSError, path: Path) -> str:
    """What went wrong writing ``path``, and what to do, in one line."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (
            f"the disk is full (or the file too large for it): {path} was not written. "
            "Free some space and export again."
        )
    if exc.errno == errno.EROFS:
        return f"{path.parent} is read-only: choose another folder."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"can't write {path}: permission denied, or the file is open in another "
            "program. Close it or choose another name."
        )
    if exc.errno == errno.ETXTBSY or getattr(exc, "winerror", None) == 32:
        return f"{path} is in use by another program: close it and export again."
    if exc.errno == errno.EISDIR:
        return f"{path} is a folder: give a file name."
    reason = exc.strerror or type(exc).__name__
    return f"can't write {path}: {reason}."


def check_target(path: Path) -> None:
    """Refuse what cannot become the export before any work is done."""
    if path.is_dir():
        raise UserError(f"{path} is a folder: give a file name, e.g. {path / 'jobs.csv'}.")
    parent = path.parent
    if not parent.is_dir():
        raise UserError(f"the folder {parent} does not exist: create it or choose another.")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file name next to ``path``, renamed to ``path`` only when the block
    completes (for writers that want a file name: Qt's PDF writer).  On any error or
    cancellation the temporary file is removed and the old file at ``path`` (if any)
    is untouched.  OS errors are raised as UserError."""
    path = Path(path)
    check_target(path)
    tmp_name = ""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
        yield Path(tmp_name)
        os.replace(tmp_name, path)
        tmp_name = ""
    except OSError as exc:
        raise UserError(describe_os_error(exc, path)) from None
    finally:
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


@contextlib.contextmanager
def atomic_output(path: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """A UTF-8 text file that appears at ``path`` only when the block completes, as
    :func:`atomic_path` (written through to the disk before the rename)."""
    with (
        atomic_path(path) as tmp,
        open(tmp, "w", encoding="utf-8", newline=newline) as fh,
    ):
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
