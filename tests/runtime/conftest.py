"""Runtime test fixtures: the real reference server (from the sync tests), a host with
no secure keyring, and small helpers that wait on the runtime's own events."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import keyring
import pytest
from keyring.backends import fail

from roadmaster.runtime import Runtime, RuntimeEvent
from tests.sync.conftest import server  # noqa: F401 - the fixture, re-used


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine without a secure keyring (keyring's fail backend), and no key in the
    environment."""
    monkeypatch.delenv("ROADMASTER_API_KEY", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


class Events:
    """Everything a runtime announced, and a wait for a condition that re-checks it
    whenever the runtime announces something (plus every ``poll_s`` for conditions
    on other processes' state, such as the server's database)."""

    def __init__(self, runtime: Runtime) -> None:
        self.seen: list[RuntimeEvent] = []
        self._changed = threading.Event()
        runtime.subscribe(self._on_event)

    def _on_event(self, event: RuntimeEvent) -> None:
        self.seen.append(event)
        self._changed.set()

    def of(self, kind: type) -> list:
        return [e for e in self.seen if isinstance(e, kind)]

    def wait_for(
        self, condition: Callable[[], object], timeout_s: float = 20.0, poll_s: float = 0.2
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"not reached within {timeout_s} s; events: {self.seen[-5:]}")
            self._changed.wait(min(poll_s, left))
            self._changed.clear()
