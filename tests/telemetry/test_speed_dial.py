"""The demo's speed control: a SpeedDial turned while a recorded source plays takes
effect at once (the clock is re-based), without restarting the capture."""

from __future__ import annotations

import threading

from roadmaster.telemetry.source import Snapshot, SpeedDial, iterate


class _Clocked:
    """A recorded source whose snapshots are an hour of source time apart."""

    name = "clocked"
    recorded = True

    def __init__(self, n: int) -> None:
        self._t = [3600.0 * i for i in range(n)]

    def snapshot(self) -> Snapshot | None:
        return Snapshot(b"", self._t.pop(0)) if self._t else None

    def close(self) -> None:
        pass


def test_turning_the_dial_applies_to_the_next_snapshot() -> None:
    dial = SpeedDial(1.0)  # at 1x the next snapshot is an hour away
    stop = threading.Event()
    # A safety net only: if the dial were ignored the test ends (and fails) here.
    guard = threading.Timer(30.0, stop.set)
    guard.start()
    played: list[float] = []
    try:
        for snap in iterate(_Clocked(4), speed=dial, stop=stop):
            assert snap is not None
            played.append(snap.t_s)
            if len(played) == 1:
                dial.set(1e9)  # the player picks a faster speed: no hour-long wait
    finally:
        guard.cancel()
    assert played == [0.0, 3600.0, 7200.0, 10800.0]
    assert not stop.is_set()


def test_none_or_zero_means_as_fast_as_possible() -> None:
    dial = SpeedDial(1.0)
    dial.set(0)
    assert dial.get() is None
    played = [s.t_s for s in iterate(_Clocked(3), speed=dial) if s is not None]
    assert played == [0.0, 3600.0, 7200.0]
