"""What ``from roadmaster.telemetry import ...`` gives a caller: the functions
themselves, usable on a simulated snapshot, not submodules."""

from __future__ import annotations

import roadmaster.telemetry as telemetry
from roadmaster.telemetry import Frame, decode, decode_raw, open_source


def test_the_package_names_decode_a_simulated_snapshot():
    source = open_source("sim")
    try:
        snapshots = [source.snapshot() for _ in range(600)]  # a minute of driving
    finally:
        source.close()
    snapshot = snapshots[-1]
    assert snapshot is not None

    frame = decode(snapshot.data)
    raw = decode_raw(snapshot.data)

    assert isinstance(frame, Frame)
    assert frame.header.revision == raw["scs_values"]["telemetry_plugin_revision"]
    assert frame.truck.speed_mps == raw["truck_f"]["speed"] > 0


def test_every_public_name_is_importable_and_listed():
    for name in telemetry.__all__:
        assert getattr(telemetry, name) is not None
    assert {"Frame", "decode", "decode_raw", "open_source"} <= set(telemetry.__all__)
