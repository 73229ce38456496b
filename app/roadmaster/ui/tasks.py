"""Pool tasks: work that must not run on the GUI thread (SQL reads), reporting back
through signals.  A task is a plain callable run on a QThreadPool; its result (an
immutable value) is delivered to ``on_done`` on the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Created on the GUI thread, so its signals are delivered there (queued)."""

    done = Signal(object)
    failed = Signal(str)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # reported, never raised on a pool thread
            log.warning("background task failed: %s", exc, exc_info=True)
            self._relay.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self._relay.done.emit(result)


class TaskRunner(QObject):
    """Runs callables on its own pool; keeps each relay alive until it has reported."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._relays: set[_Relay] = set()

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str], None] | None = None,
    ) -> None:
        relay = _Relay()
        self._relays.add(relay)

        def finished(result: object) -> None:
            self._relays.discard(relay)
            on_done(result)

        def failed(message: str) -> None:
            self._relays.discard(relay)
            if on_failed is not None:
                on_failed(message)

        relay.done.connect(finished)
        relay.failed.connect(failed)
        self.pool.start(_Task(fn, relay))

    def wait(self, timeout_ms: int) -> bool:
        """Wait for running tasks (at shutdown, before the database closes)."""
        self.pool.clear()  # queued but not started: never needed any more
        return self.pool.waitForDone(timeout_ms)


Runner = Callable[[Callable[[], Any], Callable[[Any], None], Callable[[str], None]], None]


def owned_by(owner: QObject, runner: Runner) -> Runner:
    """``runner`` whose answers are dropped once ``owner`` is deleted: a page or a chart
    that arrives after its view closed (a dialog shut, a test torn down) must not
    reach a widget or model whose C++ side is gone."""

    def run(
        fn: Callable[[], Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None]
    ) -> None:
        def done(result: Any) -> None:
            if shiboken6.isValid(owner):
                on_done(result)

        def failed(message: str) -> None:
            if shiboken6.isValid(owner):
                on_failed(message)

        runner(fn, done, failed)

    return run
