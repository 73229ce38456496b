"""Recordings of the telemetry map, and a source that replays them.

The format is small on purpose, so a recording can be read without RoadMaster::

    b"SCSREC1\\n"                                  magic, 8 bytes
    then records, each:
        <d   seconds since the start of the recording
        <B   flags: 0 = raw payload, 1 = zlib-compressed payload
        <I   payload length in bytes
        payload: one whole snapshot of the map (32768 bytes once inflated)

A snapshot is mostly zeros and compresses ~100-fold, so the writer compresses
unless that would not make the record smaller.  Each record is written with one
``write`` and flushed, so a recorder that is killed leaves every finished record
readable and at most a truncated last one, which the reader skips with a warning.

The reader tells that truncated tail from damage: a record that claims more bytes
than the file has left is a cut-short last record only if the claim is one a
writer could have made (at most one whole snapshot) and, for a compressed record,
the bytes that are there read as the start of one zlib stream.  Anything else, and
a time no recorder writes (negative, going back, or a jump of more than a day), is
corruption: a :class:`RecordingError` that names the record.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import struct
import threading
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final

from roadmaster.errors import RecordingError
from roadmaster.telemetry.layout import MAP_SIZE
from roadmaster.telemetry.source import Snapshot

log = logging.getLogger(__name__)

MAGIC: Final = b"SCSREC1\n"
FLAG_RAW: Final = 0
FLAG_ZLIB: Final = 1
# A snapshot is 32 KiB; anything far beyond is a corrupt length, not a snapshot, and
# must not make the reader allocate (or inflate) gigabytes.
MAX_PAYLOAD: Final = 1 << 20
# The largest record a writer makes from a real map (a raw 32 KiB snapshot): a record
# cut short by a kill never claims more.
MAX_SNAPSHOT: Final = MAP_SIZE
# Record times are seconds since the start, in order.  A live recorder only skips
# time while the game is closed; a step forward of more than a day, or back by more
# than this tolerance, is damage (and a replay would wait days, or overflow).
MAX_GAP_S: Final = 86_400.0
BACKWARD_TOLERANCE_S: Final = 1.0

_RECORD: Final = struct.Struct("<dBI")

PathLike = str | os.PathLike[str]


class RecordingWriter:
    """Writes a recording; use it as a context manager (``with RecordingWriter(p) as w``).

    ``start_s`` is the source clock at the start of the recording; when None, the
    ``t_s`` of the first record written is taken, so the recording starts at 0.
    """

    def __init__(self, path: PathLike, *, start_s: float | None = None, level: int = 6) -> None:
        self.path = Path(path)
        self.start_s = start_s
        self.frames = 0
        self.last_s: float | None = None  # seconds since the start of the last record
        self._level = level
        try:
            self._fh: BinaryIO = self.path.open("wb")
        except OSError as exc:
            raise RecordingError(
                f"can't create the recording {self.path}: {exc.strerror or exc}"
            ) from None
        self._size = 0
        self._emit(MAGIC)

    @property
    def size_bytes(self) -> int:
        """Bytes written so far, magic included."""
        return self._size

    def write(self, t_s: float, data: bytes) -> None:
        """Append one snapshot taken at ``t_s`` on the source's clock."""
        if len(data) > MAX_PAYLOAD:
            raise ValueError(f"a snapshot of {len(data)} bytes is too large to record")
        if self.start_s is None:
            self.start_s = t_s
        since_start = t_s - self.start_s
        packed = zlib.compress(data, self._level)
        flags, payload = (FLAG_ZLIB, packed) if len(packed) < len(data) else (FLAG_RAW, data)
        # One write per record: a kill can only cut the record being written.
        self._emit(_RECORD.pack(since_start, flags, len(payload)) + payload)
        self.frames += 1
        self.last_s = since_start

    def _emit(self, chunk: bytes) -> None:
        try:
            self._fh.write(chunk)
            # Flushed to the OS at once: a recorder killed with SIGKILL loses nothing
            # already written (fsync is not needed for that, only for power loss).
            self._fh.flush()
        except OSError as exc:
            raise RecordingError(
                f"can't write the recording {self.path}: {exc.strerror or exc}"
            ) from None
        self._size += len(chunk)

    def close(self) -> None:
        """Finish the file (idempotent)."""
        if not self._fh.closed:
            try:
                self._fh.close()
            except OSError as exc:
                raise RecordingError(
                    f"can't finish the recording {self.path}: {exc.strerror or exc}"
                ) from None

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_recording(path: PathLike) -> Iterator[Snapshot]:
    """The snapshots of a recording, in order, ``t_s`` = seconds since its start.

    The magic is checked at once (a :class:`RecordingError` for a file that is not a
    recording); records are read lazily.  A truncated last record, as a killed
    recorder leaves, ends the iteration with a logged warning; any other damage
    raises :class:`RecordingError` when reached.
    """
    return _open_recording(path)


def _open_recording(path: PathLike) -> Generator[Snapshot, None, None]:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(len(MAGIC))
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such recording") from None
    except IsADirectoryError:
        raise RecordingError(f"{path}: is a directory, not a recording") from None
    except OSError as exc:
        raise RecordingError(f"{path}: can't read the recording ({exc.strerror or exc})") from None
    if head != MAGIC:
        what = "an empty file" if not head else "not a RoadMaster recording"
        raise RecordingError(
            f"{path}: {what} (a recording starts with {MAGIC!r}); "
            "record one with `roadmaster record --out FILE`"
        )
    return _records(path)


def _records(path: Path) -> Generator[Snapshot, None, None]:
    with path.open("rb") as fh:
        fh.seek(len(MAGIC))
        index = 0
        previous_s = 0.0
        while True:
            offset = fh.tell()
            header = fh.read(_RECORD.size)
            if not header:
                return
            if len(header) < _RECORD.size:
                _warn_truncated(path, index)
                return
            t_s, flags, length = _RECORD.unpack(header)
            where = f"{path}: record {index + 1} (at byte {offset})"
            if flags not in (FLAG_RAW, FLAG_ZLIB):
                raise RecordingError(f"{where} has unknown flags {flags}; the file is corrupt")
            if length > MAX_PAYLOAD:
                raise RecordingError(
                    f"{where} claims {length} bytes, far more than a snapshot; the file is corrupt"
                )
            _check_time(t_s, previous_s, where)
            payload = fh.read(length)
            if len(payload) < length:
                _check_cut_short(flags, length, payload, where)
                _warn_truncated(path, index)
                return
            data = _inflate(payload, where) if flags == FLAG_ZLIB else payload
            yield Snapshot(data, t_s)
            previous_s = t_s
            index += 1


def _check_time(t_s: float, previous_s: float, where: str) -> None:
    """Refuse a time no recorder writes, before a replay waits on it."""
    if not math.isfinite(t_s):
        raise RecordingError(f"{where} has no valid time; the file is corrupt")
    if t_s < -BACKWARD_TOLERANCE_S:
        raise RecordingError(
            f"{where} has a negative time ({t_s:g} s after the start); the file is corrupt"
        )
    if t_s < previous_s - BACKWARD_TOLERANCE_S:
        raise RecordingError(
            f"{where} goes back in time ({t_s:g} s after the start, the record before "
            f"was at {previous_s:g} s); the file is corrupt"
        )
    if t_s - previous_s > MAX_GAP_S:
        raise RecordingError(
            f"{where} is {t_s - previous_s:.3g} s after the record before (more than a "
            "day); the file is corrupt"
        )


def _check_cut_short(flags: int, length: int, partial: bytes, where: str) -> None:
    """Raise unless a record that runs past the end of the file is what a killed
    recorder leaves: a claim of at most one snapshot whose bytes, if compressed,
    are the start of a zlib stream (not a whole stream followed by more records)."""
    if length > MAX_SNAPSHOT:
        raise RecordingError(
            f"{where} claims {length} bytes, more than a snapshot and more than the file "
            f"has left ({len(partial)}); the file is corrupt"
        )
    if flags == FLAG_ZLIB:
        inflater = zlib.decompressobj()
        try:
            inflater.decompress(partial, MAX_PAYLOAD)
        except zlib.error as exc:
            raise RecordingError(f"{where}: corrupt compressed data ({exc})") from None
        if inflater.eof:
            raise RecordingError(
                f"{where} claims {length} bytes but its compressed snapshot ends after "
                f"{len(partial) - len(inflater.unused_data)}; the file is corrupt"
            )


def _inflate(payload: bytes, where: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        # Bounded, so a corrupt or hostile stream cannot inflate without limit.
        data = inflater.decompress(payload, MAX_PAYLOAD)
    except zlib.error as exc:
        raise RecordingError(f"{where}: corrupt compressed data ({exc})") from None
    if inflater.unconsumed_tail:
        raise RecordingError(f"{where} inflates to more than a snapshot; the file is corrupt")
    if not inflater.eof:
        raise RecordingError(f"{where}: the compressed data is cut short; the file is corrupt")
    if inflater.unused_data:  # the record's length is wrong: it runs into the next one
        raise RecordingError(
            f"{where} claims {len(payload)} bytes but its compressed snapshot ends after "
            f"{len(payload) - len(inflater.unused_data)}; the file is corrupt"
        )
    return data


def _warn_truncated(path: Path, complete: int) -> None:
    log.warning(
        "%s: the last record is cut short (the recorder was stopped abruptly); "
        "the %d complete records before it are used",
        path,
        complete,
    )


class ReplaySource:
    """A recording as a source (``recorded = True``): one snapshot per call, with the
    recorded time as ``t_s``, then None.  Pace it with :func:`~.source.iterate`.

    A reader thread reads and inflates the records ahead (zlib releases the GIL), so
    a replay at full speed uses the second core for decompression instead of
    spending a third of its time there.
    """

    recorded = True
    _AHEAD = 64  # snapshots buffered ahead (2 MiB)

    def __init__(self, path: PathLike) -> None:
        self.name = f"replay:{path}"
        records = _open_recording(path)  # checks the magic now, on the caller's thread
        self._queue: queue.Queue[Snapshot | BaseException | None] = queue.Queue(self._AHEAD)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(
            target=self._read_ahead, args=(records,), name="replay-reader", daemon=True
        )
        self._thread.start()

    def _read_ahead(self, records: Generator[Snapshot, None, None]) -> None:
        # Every item, the end marker (None) and an error included, is handed over
        # the same way: retried until the consumer takes it or close() stops the
        # reader.  (A marker given up on after a timeout left the consumer waiting
        # for ever when it paused longer than that on a full queue.)
        try:
            for item in records:
                if not self._hand_over(item):
                    return
            self._hand_over(None)
        except BaseException as exc:  # handed to the consumer, raised there
            self._hand_over(exc)
        finally:
            records.close()  # closes the file now, on the thread that owns the generator

    def _hand_over(self, item: Snapshot | BaseException | None) -> bool:
        """Queue ``item``; False when the replay was closed first."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def snapshot(self) -> Snapshot | None:
        """The next recorded snapshot, or None at the end of the recording."""
        if self._done:
            return None
        while True:
            try:
                item = self._queue.get(timeout=0.5)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    # The reader ended without a word (it cannot, but never hang).
                    self._done = True
                    return None
        if isinstance(item, BaseException):
            self._done = True
            raise item
        if item is None:
            self._done = True
        return item

    def close(self) -> None:
        self._done = True
        self._stop.set()
        while self._thread.is_alive():  # unblock a reader waiting on a full queue
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()
            self._thread.join(timeout=0.05)
