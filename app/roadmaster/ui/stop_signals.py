"""Ctrl-C and SIGTERM end the window cleanly, however long it has been running.

Python runs a signal's handler only when the interpreter next gets control on the
main thread.  The window's main thread sits in Qt's event loop (C++), so the
default ``KeyboardInterrupt`` surfaced in whichever Python callback ran next, or in
none: after 20-30 minutes the soak bench saw a SIGINT ignored for 30 s.  Here the
C-level handler writes the signal's number into a socket (``signal.set_wakeup_fd``);
a ``QSocketNotifier`` on the other end wakes the event loop, which then asks the
controller to quit: the same path as the tray's Quit, with the log closed and the
recording committed.  A second signal while stopping is noted, not acted on twice.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier

log = logging.getLogger(__name__)

STOP_SIGNALS = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None)


def _ignore(signum: int, frame: object) -> None:
    """The Python-level handler: nothing to do here, the wakeup byte does the work
    (and a handler of our own keeps Python from raising KeyboardInterrupt)."""


class StopSignals(QObject):
    """While installed, SIGINT/SIGTERM call ``on_stop`` once, on the GUI thread."""

    def __init__(self, on_stop: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_stop = on_stop
        self._stopping = False
        self._previous: dict[int, object] = {}
        self._previous_fd: int | None = None
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None

    def install(self) -> bool:
        """Install the handlers; False where that cannot be done (not the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            return False
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        try:
            self._previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
            self._previous = {s: signal.signal(s, _ignore) for s in STOP_SIGNALS}
        except (ValueError, OSError) as exc:
            log.warning("Ctrl-C/SIGTERM handling not installed: %s", exc)
            reader.close()
            writer.close()
            return False
        self._reader, self._writer = reader, writer
        self._notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        return True

    def uninstall(self) -> None:
        if self._notifier is None:
            return
        self._notifier.setEnabled(False)
        self._notifier = None
        for sig, handler in self._previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)  # type: ignore[arg-type]
        signal.set_wakeup_fd(self._previous_fd if self._previous_fd is not None else -1)
        for sock in (self._reader, self._writer):
            if sock is not None:
                sock.close()
        self._reader = self._writer = None

    def _drain(self, *_: object) -> None:
        assert self._reader is not None
        try:
            data = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        for signum in data:
            if signum not in STOP_SIGNALS:
                continue  # another signal's wakeup byte (e.g. SIGCHLD): not ours
            name = signal.Signals(signum).name
            if self._stopping:
                log.info("%s received again; already stopping", name)
                continue
            self._stopping = True
            log.info("%s received: stopping", name)
            self._on_stop()
