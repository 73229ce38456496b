"""Live telemetry sources: the plugin's shared memory on Linux and Windows, a static
snapshot file, and :func:`open_source`, which turns a ``--source`` spec into a source.

Each live snapshot is one whole copy of the map, taken at once and checked against a
second copy (see :func:`_stable_copy`): the plugin has no lock or sequence counter,
so a copy taken while the game writes can mix two frames (spec §2d).
"""

from __future__ import annotations

import ctypes
import logging
import mmap
import os
import stat
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from roadmaster.errors import SourceError
from roadmaster.telemetry.layout import MAP_SIZE
from roadmaster.telemetry.source import Snapshot, Source

log = logging.getLogger(__name__)

Clock = Callable[[], float]

# truckermudgeon's rev-12 build (POSIX shm "/SCSTelemetry"), then jackz314's rev-10 build.
LINUX_MAP_PATHS: Final = ("/dev/shm/SCSTelemetry", "/dev/shm/SCS/SCSTelemetry")
WINDOWS_MAP_NAME: Final = "Local\\SCSTelemetry"

# The double-read guard compares the header zone (time, renderTime, ...) and zone 12
# (the event flags): the two places where a torn copy would mislead the tracker.
_HEADER_END: Final = 40
_EVENTS: Final = slice(4300, 4400)
_READ_ATTEMPTS: Final = 3
RECHECK_INTERVAL_S: Final = 1.0

SOURCE_FORMS: Final = (
    '"shm" (the game\'s shared memory), "sim" (the built-in simulator) '
    'or "replay:FILE" (a recording)'
)


def _stable_copy(read: Callable[[], bytes]) -> bytes:
    """A copy of the map that agrees with a second copy in the header and the event
    zone.  After a few disagreeing attempts (the game writing continuously) the last
    copy is taken: a rarely torn frame beats no frame."""
    copy = read()
    for _ in range(_READ_ATTEMPTS):
        again = read()
        if again[:_HEADER_END] == copy[:_HEADER_END] and again[_EVENTS] == copy[_EVENTS]:
            return again
        copy = again
    return copy


def _to_map_size(data: bytes) -> bytes:
    """Pad a shorter map (a rev-10 fork maps 21520 bytes) with zeros to a whole map;
    cut a longer one, whose tail the plugin never writes."""
    if len(data) < MAP_SIZE:
        return data + bytes(MAP_SIZE - len(data))
    return data[:MAP_SIZE]


class LinuxMapSource:
    """The plugin's map as a file under ``/dev/shm`` (or any file another process
    keeps writing), mapped read-only and shared.

    It never creates the file and never uses :mod:`multiprocessing.shared_memory`,
    whose resource tracker would unlink the plugin's segment at exit (Python < 3.13).
    truckermudgeon's build unlinks the segment when the game exits and creates a new
    one at the next start, so the source notices an unlinked or replaced file and
    maps the new one.
    """

    recorded = False

    def __init__(
        self,
        path: str | None = None,
        *,
        candidates: Sequence[str] = LINUX_MAP_PATHS,
        clock: Clock = time.monotonic,
        recheck_interval_s: float = RECHECK_INTERVAL_S,
    ) -> None:
        """``path``: the one file to read; without it, the first of ``candidates``
        that exists (the known plugin builds' paths, most current first)."""
        self._paths: tuple[str, ...] = (path,) if path else tuple(candidates)
        self.name = f"shm:{path}" if path else "shm"
        self._clock = clock
        self._recheck_interval_s = recheck_interval_s
        self._fd: int | None = None
        self._mm: mmap.mmap | None = None
        self._path: str | None = None  # the path the open map came from
        self._identity: tuple[int, int] = (0, 0)  # (st_dev, st_ino) of the open map
        self._checked_at = 0.0

    @property
    def path(self) -> str | None:
        """The file currently mapped, or None while no map is open."""
        return self._path

    def snapshot(self) -> Snapshot | None:
        """The map as it is now, or None while no map exists."""
        now = self._clock()
        if self._mm is not None and not self._still_current(now):
            self._close_map()
        if self._mm is None and not self._open():
            return None
        mm = self._mm
        assert mm is not None
        return Snapshot(_to_map_size(_stable_copy(lambda: mm[:])), now)

    def close(self) -> None:
        self._close_map()

    # --- internals ------------------------------------------------------------------

    def _still_current(self, now: float) -> bool:
        """Whether the open map is still the one the plugin writes.

        ``fstat`` runs on every poll (one cheap syscall): a file that shrank under the
        mapping would kill the process with SIGBUS on the next copy, and an unlinked
        one (``st_nlink == 0``, the game exited) is no longer the game's map.  Whether
        the path now names another file (replaced by rename) is checked at most once
        per ``recheck_interval_s``.
        """
        assert self._fd is not None and self._mm is not None
        try:
            info = os.fstat(self._fd)
        except OSError:
            return False
        if info.st_nlink == 0 or info.st_size != len(self._mm):
            return False
        if now - self._checked_at < self._recheck_interval_s:
            return True
        self._checked_at = now
        assert self._path is not None
        try:
            current = os.stat(self._path)
        except OSError:
            return False
        if (current.st_dev, current.st_ino) != self._identity:
            return False
        # A stale map of an older build (jackz314's file is never removed) must give
        # way to the current build's map once the game creates it.
        preferred = self._paths[: self._paths.index(self._path)]
        return not any(os.path.exists(p) for p in preferred)

    def _open(self) -> bool:
        return any(self._open_path(path) for path in self._paths)

    def _open_path(self, path: str) -> bool:
        # O_NONBLOCK: a FIFO given by mistake must not hang the poll (no effect on files).
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except PermissionError:
            raise SourceError(
                f"can't read the telemetry map {path}: permission denied. The plugin "
                "creates it for the user who runs the game; run RoadMaster as that user."
            ) from None
        except OSError as exc:
            raise SourceError(
                f"can't open the telemetry map {path}: {exc.strerror or exc}"
            ) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise SourceError(
                    f"{path} is not a file; give the plugin's shared-memory file "
                    "(for example /dev/shm/SCSTelemetry)"
                )
            if info.st_size == 0:
                # The plugin creates the file, then sizes it: try again next poll.
                os.close(fd)
                return False
            if sys.platform == "win32":  # a plain file there; no MAP_SHARED/PROT_READ
                mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            else:
                mm = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ)
        except ValueError:  # mmap refuses a file that became empty since the fstat
            os.close(fd)
            return False
        except OSError as exc:
            os.close(fd)
            raise SourceError(
                f"can't map the telemetry map {path}: {exc.strerror or exc}"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._mm, self._path = fd, mm, path
        self._identity = (info.st_dev, info.st_ino)
        self._checked_at = self._clock()
        if info.st_size != MAP_SIZE:
            log.info("telemetry map %s has %d bytes, not %d", path, info.st_size, MAP_SIZE)
        log.debug("mapped telemetry map %s", path)
        return True

    def _close_map(self) -> None:
        if self._mm is not None:
            self._mm.close()
            self._mm = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._path = None


# --- Windows ------------------------------------------------------------------------------

_FILE_MAP_READ: Final = 0x0004
_ERROR_FILE_NOT_FOUND: Final = 2
_ERROR_ACCESS_DENIED: Final = 5

if sys.platform == "win32":
    from ctypes import wintypes
    from functools import cache

    @cache
    def _kernel32() -> ctypes.WinDLL:
        """kernel32 with typed signatures, loaded on first use (never on import)."""
        k = ctypes.WinDLL("kernel32", use_last_error=True)
        k.OpenFileMappingW.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.LPCWSTR)
        k.OpenFileMappingW.restype = wintypes.HANDLE
        k.MapViewOfFile.argtypes = (
            wintypes.HANDLE,
            wintypes.DWORD,
            wintypes.DWORD,
            wintypes.DWORD,
            ctypes.c_size_t,
        )
        k.MapViewOfFile.restype = wintypes.LPVOID
        k.UnmapViewOfFile.argtypes = (wintypes.LPCVOID,)
        k.UnmapViewOfFile.restype = wintypes.BOOL
        k.CloseHandle.argtypes = (wintypes.HANDLE,)
        k.CloseHandle.restype = wintypes.BOOL
        return k


class WindowsMapSource:
    """The plugin's named file mapping (``Local\\SCSTelemetry``), opened read-only.

    It only ever *opens* the mapping: a reader that created it before the game starts
    would keep a read-only, zeroed map alive that the plugin then fails to use
    (spec §6.15-16).  While the mapping does not exist, ``snapshot()`` returns None
    and opening is retried on the next poll.  Holding the handle keeps the mapping
    alive across a game restart, which the plugin handles by re-initialising it.
    """

    recorded = False

    def __init__(self, name: str = WINDOWS_MAP_NAME, *, clock: Clock = time.monotonic) -> None:
        self.name = f"shm:{name}"
        self._map_name = name
        self._clock = clock
        self._handle: int = 0
        self._view: int = 0
        if sys.platform != "win32":
            raise SourceError(
                "the Windows shared-memory reader is not available on this system; "
                "on Linux the plugin's map is a file under /dev/shm (use --source shm)"
            )

    def snapshot(self) -> Snapshot | None:
        """The map as it is now, or None while the game has not created it."""
        now = self._clock()
        if not self._view and not self._open():
            return None
        view = self._view
        return Snapshot(_stable_copy(lambda: ctypes.string_at(view, MAP_SIZE)), now)

    def close(self) -> None:
        if sys.platform == "win32":
            k = _kernel32()
            if self._view:
                k.UnmapViewOfFile(self._view)
            if self._handle:
                k.CloseHandle(self._handle)
        self._view = self._handle = 0

    def _open(self) -> bool:
        if sys.platform == "win32":
            k = _kernel32()
            handle = k.OpenFileMappingW(_FILE_MAP_READ, False, self._map_name)
            if not handle:
                error = ctypes.get_last_error()
                if error == _ERROR_FILE_NOT_FOUND:  # the game is not running
                    return False
                if error == _ERROR_ACCESS_DENIED:
                    raise SourceError(
                        f"can't open the telemetry map {self._map_name}: access denied. "
                        "Run RoadMaster as the same user, with the same rights, as the game."
                    )
                raise SourceError(
                    f"can't open the telemetry map {self._map_name} (Windows error {error})"
                )
            view = k.MapViewOfFile(handle, _FILE_MAP_READ, 0, 0, MAP_SIZE)
            if not view:
                error = ctypes.get_last_error()
                k.CloseHandle(handle)
                raise SourceError(
                    f"can't map the telemetry map {self._map_name} (Windows error {error}); "
                    f"is it the scs-telemetry plugin's {MAP_SIZE}-byte map?"
                )
            self._handle, self._view = handle, view
            log.debug("mapped telemetry map %s", self._map_name)
            return True
        return False


# --- snapshot file ------------------------------------------------------------------------


class FileSource:
    """One static snapshot file (``cp /dev/shm/SCSTelemetry snap.bin``): a recorded
    source that yields the file's bytes once (``t_s`` 0) and then None."""

    recorded = True

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.name = f"file:{path}"
        try:
            self._data: bytes | None = Path(path).read_bytes()
        except FileNotFoundError:
            raise SourceError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise SourceError(f"{path}: is a directory, not a snapshot file") from None
        except OSError as exc:
            raise SourceError(f"{path}: cannot read the file ({exc.strerror or exc})") from None

    def snapshot(self) -> Snapshot | None:
        """The file's bytes the first time, None afterwards."""
        data, self._data = self._data, None
        return None if data is None else Snapshot(data, 0.0)

    def close(self) -> None:
        self._data = None


# --- --source specs -----------------------------------------------------------------------


def open_source(spec: str, shm_path: str | None = None, *, tick_s: float = 0.1) -> Source:
    """The source a ``--source`` spec names.

    ``"shm"``: the game's shared memory (the Windows mapping or the Linux ``/dev/shm``
    file; ``shm_path`` overrides the name or path).  ``"sim"``: the simulator, one frame
    per ``tick_s`` of simulated time.  ``"replay:FILE"``: a recording.  Anything else
    raises :class:`SourceError`.
    """
    if spec == "shm":
        if sys.platform == "win32":
            return WindowsMapSource(shm_path or WINDOWS_MAP_NAME)
        return LinuxMapSource(shm_path)
    if spec == "sim":
        # Imported here: the simulator is only needed when asked for.
        from roadmaster.telemetry.sim.simulator import SimulatorSource

        return SimulatorSource(tick_s=tick_s)
    kind, _, argument = spec.partition(":")
    if kind == "replay" and argument:
        from roadmaster.telemetry.recording import ReplaySource

        return ReplaySource(argument)
    raise SourceError(f"unknown telemetry source {spec!r}: use {SOURCE_FORMS}")
