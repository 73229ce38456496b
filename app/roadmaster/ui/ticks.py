"""Timing of GUI-thread timer callbacks: a tick must never block the GUI thread for
more than one frame (16 ms).  Every periodic callback is wrapped, so the benchmark
(and the log) can report the worst one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

BUDGET_S = 0.016


@dataclass
class TickStats:
    """Per-callback count, total and maximum wall time (GUI thread only)."""

    count: dict[str, int] = field(default_factory=dict)
    total_s: dict[str, float] = field(default_factory=dict)
    max_s: dict[str, float] = field(default_factory=dict)
    over_budget: int = 0

    def wrap(self, name: str, fn: Callable[[], None]) -> Callable[[], None]:
        def timed() -> None:
            start = time.perf_counter()
            try:
                fn()
            finally:
                took = time.perf_counter() - start
                self.count[name] = self.count.get(name, 0) + 1
                self.total_s[name] = self.total_s.get(name, 0.0) + took
                if took > self.max_s.get(name, 0.0):
                    self.max_s[name] = took
                if took > BUDGET_S:
                    self.over_budget += 1
                    log.debug("tick %s took %.1f ms", name, took * 1000)

        return timed

    @property
    def worst_s(self) -> float:
        return max(self.max_s.values(), default=0.0)

    def reset(self) -> None:
        self.count.clear()
        self.total_s.clear()
        self.max_s.clear()
        self.over_budget = 0


#: One registry for the process: the controller, the dashboard and the overlay share it.
TICKS = TickStats()
