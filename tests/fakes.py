"""Stand-ins shared by the tests: clocks that move only when a test says so and an
in-memory keyring.  Our own collaborators are never faked: these replace the wall
clock and the OS keyring, which a test must not depend on or touch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import keyring.errors
from keyring.backend import KeyringBackend


class FakeClock:
    """A wall clock (aware UTC datetimes) the test moves by hand (no sleeps)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class FakeSeconds:
    """A clock of float seconds (monotonic or Unix) that moves only when a test sets
    ``now``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class MemoryKeyring(KeyringBackend):
    """A secure-looking keyring kept in memory (its module is not one of the insecure
    backends the app warns about)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError(username)
        del self.store[(service, username)]
