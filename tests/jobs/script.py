"""Scripted frame sequences for tracker tests, built with the real encoder and read
through the real status monitor."""

from __future__ import annotations

from typing import Any

from roadmaster.jobs.events import Event
from roadmaster.jobs.tracker import Tracker
from roadmaster.telemetry.codec import MapWriter
from roadmaster.telemetry.sim.simwriter import JOB_VALUES_ZERO
from roadmaster.telemetry.source import Snapshot
from roadmaster.telemetry.status import Monitor, Reading

JOB = {
    "config_s.cargoId": "apples",
    "config_s.cargo": "Apples",
    "config_f.cargoMass": 18000.0,
    "config_s.citySrcId": "berlin",
    "config_s.citySrc": "Berlin",
    "config_s.compSrcId": "tree_et",
    "config_s.compSrc": "Tree-ET",
    "config_s.cityDstId": "praha",
    "config_s.cityDst": "Praha",
    "config_s.compDstId": "posped",
    "config_s.compDst": "Posped",
    "config_ull.jobIncome": 12000,
    "config_ui.plannedDistanceKm": 350,
    "config_ui.time_abs_delivery": 10_000,
    "config_s.jobMarket": "freight_market",
}

CLEARED = JOB_VALUES_ZERO  # a job's values as the plugin clears them when it ends


class Script:
    """A game session: ``step(**changes)`` writes members, advances the clocks by
    ``dt`` (source seconds) and feeds the tracker; returns the events."""

    def __init__(self, tracker: Tracker | None = None, *, revision: int = 12, game: int = 1):
        self.w = MapWriter(revision)
        self.monitor = Monitor(stale_after_s=5.0)
        self.tracker = tracker or Tracker(sample_interval_s=1.0)
        self.t = 0.0
        self.render_us = 0
        self.game_min = 8 * 60
        self.game_clock = float(self.game_min)  # game minutes; 3 per source second here
        self.w.update(
            {
                "sdkActive": True,
                "paused": False,
                "scs_values.game": game,
                "scs_values.version_major": 1,
                "scs_values.version_minor": 18,
                "common_ui.time_abs": self.game_min,
                "truck_f.fuel": 600.0,
                "config_f.fuelCapacity": 800.0,
                "truck_b.engineEnabled": True,
                "truck_b.electricEnabled": True,
            }
        )
        self.events: list[Event] = []

    def flip(self, path: str) -> None:
        self.w.set(path, not self.w.get(path))

    def reading(self, dt: float = 0.1) -> Reading:
        self.t += dt
        self.render_us += int(dt * 1_000_000)
        self.w.set("renderTime", self.render_us)
        self.w.set("time", self.render_us)
        return self.monitor.update(Snapshot(self.w.snapshot(), self.t))

    def step(self, dt: float = 0.1, /, **changes: Any) -> list[Event]:
        for path, value in changes.items():
            self.w.set(path.replace("__", "."), value)
        events = self.tracker.feed(self.reading(dt))
        self.events.extend(events)
        return events

    def set(self, values: dict[str, Any]) -> None:
        self.w.update(values)

    def drive(self, seconds: float, speed_mps: float = 20.0, dt: float = 0.1) -> list[Event]:
        """Drive at ``speed_mps``: odometer, fuel (0.35 l/km) and game time advance."""
        out: list[Event] = []
        for _ in range(round(seconds / dt)):
            km = speed_mps * dt / 1000.0
            self.w.set("truck_f.speed", speed_mps)
            self.w.set("truck_f.engineRpm", 1400.0)
            self.w.set("truck_f.truckOdometer", self.w.get("truck_f.truckOdometer") + km)
            self.w.set("truck_f.fuel", self.w.get("truck_f.fuel") - 0.35 * km)
            self.game_clock += dt / 3
            self.game_min = int(self.game_clock)
            self.w.set("common_ui.time_abs", self.game_min)
            out += self.step(dt)
        return out

    def start_job(self, **overrides: Any) -> list[Event]:
        self.set({**JOB, **overrides})
        self.w.set("gameplay_ui.jobStartingTime", self.game_min)
        return self.step(**{"special_b__onJob": True})

    def deliver(self, revenue: int = 12000, *, late: bool = False) -> list[Event]:
        """What the plugin does in one frame: flags flip, results written, job cleared."""
        finished = self.w.get("config_ui.time_abs_delivery") + (60 if late else -600)
        self.game_min = finished
        self.game_clock = float(finished)
        self.set(
            {
                "common_ui.time_abs": finished,
                "gameplay_ll.jobDeliveredRevenue": revenue,
                "gameplay_i.jobDeliveredEarnedXp": 500,
                "gameplay_f.jobDeliveredCargoDamage": 0.02,
                "gameplay_f.jobDeliveredDistanceKm": 351.5,
                "gameplay_ui.jobDeliveredDeliveryTime": 300,
                "gameplay_ui.jobFinishedTime": finished,
                "special_b.onJob": False,
                **CLEARED,
            }
        )
        self.flip("special_b.jobDelivered")
        self.flip("special_b.jobFinished")
        return self.step()

    def cancel(self, penalty: int = 1500) -> list[Event]:
        self.set(
            {
                "gameplay_ll.jobCancelledPenalty": penalty,
                "gameplay_ui.jobFinishedTime": self.game_min,
                "special_b.onJob": False,
                **CLEARED,
            }
        )
        self.flip("special_b.jobCancelled")
        self.flip("special_b.jobFinished")
        return self.step()


def of(events: list[Event], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]
