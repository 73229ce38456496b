"""`roadmaster watch` keeps going through bad maps and shows what happens."""

import random

from roadmaster.cli import main
from roadmaster.telemetry.codec import MapWriter
from roadmaster.telemetry.layout import MAP_SIZE
from roadmaster.telemetry.recording import RecordingWriter
from roadmaster.telemetry.sim.simulator import Simulator


def _driving_frames(n: int) -> list[bytes]:
    sim = Simulator(game="ats", seed=3, tick_s=1.0)
    return [sim.step() for _ in range(n)]


def _bad_maps() -> list[bytes]:
    rev13 = MapWriter(12)
    rev13.set("scs_values.telemetry_plugin_revision", 13)
    nan = MapWriter(12)
    nan.update({"sdkActive": True, "truck_f.speed": float("nan"), "renderTime": 5})
    return [
        random.Random(7).randbytes(MAP_SIZE),  # not a map at all
        rev13.snapshot(),  # a plugin revision we don't know
        nan.snapshot(),  # NaN where a speed belongs
        b"\x00" * 100,  # truncated
    ]


def test_watch_survives_bad_maps_and_reports_each_state(tmp_path, capsys):
    good = _driving_frames(240)
    path = tmp_path / "mixed.rec"
    with RecordingWriter(path) as rec:
        t = 0.0
        for frame in [*good[:120], *_bad_maps(), *good[120:]]:
            rec.write(t, frame)
            t += 1.0
    code = main(["watch", "--source", f"replay:{path}", "--speedup", "0"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "Traceback" not in out + err
    assert "[driving]" in out
    assert "[corrupt]" in out and "not finite" in out
    assert "[unsupported]" in out and "revision 13" in out
    # after the bad stretch the live view comes back
    assert out.rindex("[driving]") > out.rindex("[unsupported]")
    assert "Job started" in out and "mph" in out  # ATS: imperial


def test_watch_with_an_unknown_source_says_what_is_valid(capsys):
    assert main(["watch", "--source", "bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("roadmaster: ") and "replay:FILE" in err
