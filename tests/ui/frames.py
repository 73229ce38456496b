"""Real frames for UI tests: maps written with MapWriter, judged by the Monitor."""

from __future__ import annotations

from typing import Any

from roadmaster.telemetry.codec import MapWriter
from roadmaster.telemetry.source import Snapshot
from roadmaster.telemetry.status import Monitor, Reading

KMH = 1 / 3.6


def driving_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sdkActive": 1,
        "paused": 0,
        "renderTime": 1_000_000,
        "scs_values.game": 1,  # ETS2
        "common_ui.time_abs": 10 * 60,
        "truck_f.speed": 72 * KMH,
        "truck_f.speedLimit": 80 * KMH,
        "truck_f.engineRpm": 1350.0,
        "config_f.engineRpmMax": 2500.0,
        "truck_i.gearDashboard": 10,
        "truck_f.fuel": 300.0,
        "config_f.fuelCapacity": 600.0,
        "config_f.fuelWarningFactor": 0.15,
        "truck_f.fuelAvgConsumption": 0.33,
        "truck_f.airPressure": 130.0,
        "config_f.airPressureWarning": 65.0,
        "truck_f.waterTemperature": 85.0,
        "config_f.waterTemperatureWarning": 105.0,
        "truck_f.wearEngine": 0.04,
        "truck_f.wearCabin": 0.25,
        "truck_b.engineEnabled": 1,
        "truck_f.truckOdometer": 12_000.0,
        "config_ui.retarderStepCount": 3,
    }
    values.update(overrides)
    return values


def reading(t_s: float = 1.0, monitor: Monitor | None = None, **overrides: Any) -> Reading:
    """One Reading of a map with ``overrides`` (map member paths) on a driving truck."""
    writer = MapWriter(12)
    writer.update(driving_values(**overrides))
    return (monitor or Monitor()).update(Snapshot(writer.snapshot(), t_s))


class ListSource:
    """A recorded source over prepared maps (then the end)."""

    recorded = True
    name = "test maps"

    def __init__(self, maps: list[bytes], dt_s: float = 0.1) -> None:
        self._maps = list(maps)
        self._dt_s = dt_s
        self._i = 0

    def snapshot(self) -> Snapshot | None:
        if self._i >= len(self._maps):
            return None
        snap = Snapshot(self._maps[self._i], self._i * self._dt_s)
        self._i += 1
        return snap

    def close(self) -> None:
        self._i = len(self._maps)


def driving_map(**overrides: Any) -> bytes:
    writer = MapWriter(12)
    writer.update(driving_values(**overrides))
    return writer.snapshot()


class EndlessSource:
    """A live-like source: a driving map every call, render time advancing, until
    closed (capture must be stopped, not run out)."""

    recorded = True
    name = "endless test maps"

    def __init__(self, dt_s: float = 0.1) -> None:
        self._writer = MapWriter(12)
        self._writer.update(driving_values())
        self._dt_s = dt_s
        self._i = 0
        self._closed = False

    def snapshot(self) -> Snapshot | None:
        if self._closed:
            return None
        self._i += 1
        self._writer.set("renderTime", 1000 * self._i)
        return Snapshot(self._writer.snapshot(), self._i * self._dt_s)

    def close(self) -> None:
        self._closed = True
