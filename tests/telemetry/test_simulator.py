"""The simulator, judged by what a reader of its maps sees: every frame is decoded
with the real decoder and the story is checked as a user would notice it.

Stories run at 1-second ticks (outcomes do not depend on the tick) so the whole
module takes a second or two; the determinism and source tests use the default
0.1 s tick.
"""

from __future__ import annotations

import functools
import itertools
import math

import pytest

from roadmaster.telemetry.codec import decode_raw
from roadmaster.telemetry.decoding import decode, decoder
from roadmaster.telemetry.frame import Frame, Game
from roadmaster.telemetry.layout import MAP_SIZE
from roadmaster.telemetry.sim.simulator import Simulator, SimulatorSource
from roadmaster.telemetry.source import iterate

ETS2_CITIES = {"Berlin", "Praha", "Dresden", "Rostock", "Malmö", "København"}
ATS_CITIES = {"Sacramento", "Reno", "Carson City", "Stockton", "Fresno"}
EXTRA_S = 15.0  # simulated seconds kept after a job ends (the trailer is dropped by then)


class Story:
    """One simulator run, decoded, extended on demand up to N finished jobs."""

    def __init__(self, game: str, seed: int, tick_s: float) -> None:
        self.sim = Simulator(game, seed, tick_s)
        self.frames: list[Frame] = [decode(self.sim.step())]
        self.finished: list[int] = []  # indices of frames where jobFinished flipped

    def until_jobs(self, n: int, *, extra_s: float = 15.0, limit_s: float = 7200.0) -> list[Frame]:
        while len(self.finished) < n:
            assert self.sim.t_s < limit_s, "the job never finished"
            self._step()
        end_t = self.sim.t_s + extra_s
        while self.sim.t_s < end_t:
            self._step()
        return self.frames

    def _step(self) -> None:
        frame = decode(self.sim.step())
        if frame.events.job_finished != self.frames[-1].events.job_finished:
            self.finished.append(len(self.frames))
        self.frames.append(frame)


@functools.cache
def story(game: str, seed: int, tick_s: float = 1.0) -> Story:
    return Story(game, seed, tick_s)


def first_job(game: str, seed: int) -> tuple[list[Frame], int]:
    """Frames up to shortly after the first job ends, and the index of its end frame."""
    s = story(game, seed)
    frames = s.until_jobs(1, extra_s=EXTRA_S)
    end = s.finished[0]
    # A copy: another test may extend the same cached story to more jobs.
    return frames[: end + round(EXTRA_S / s.sim.tick_s) + 1], end


def flips(frames: list[Frame], flag: str) -> list[int]:
    """Indices of the frames where an event flag changed parity."""
    return [
        i
        for i in range(1, len(frames))
        if getattr(frames[i].events, flag) != getattr(frames[i - 1].events, flag)
    ]


def find_seed(game: str, want: str) -> int:
    """The first seed whose first job ends as ``want`` ("delivered", "late", "cancelled")."""
    for seed in range(30):
        frames, end = first_job(game, seed)
        before, after = frames[end - 1], frames[end]
        if want == "cancelled":
            if after.events.job_cancelled != before.events.job_cancelled:
                return seed
            continue
        if after.events.job_delivered == before.events.job_delivered:
            continue
        late = after.gameplay.job_finished_time_game_min > before.job.deadline_game_min
        if late == (want == "late"):
            return seed
    raise AssertionError(f"no seed below 30 gives a {want} {game} job")


# --- the map and the plugin's lifecycle ---------------------------------------------------


def test_the_same_seed_gives_the_same_frames_and_another_seed_does_not() -> None:
    a, b, c = Simulator("ets2", 7), Simulator("ets2", 7), Simulator("ets2", 8)
    frames_a = [a.step() for _ in range(400)]
    assert frames_a == [b.step() for _ in range(400)]
    assert frames_a != [c.step() for _ in range(400)]
    assert a.t_s == pytest.approx(40.0)


def test_frames_are_whole_revision_12_maps_with_the_plugin_start_state() -> None:
    sim = Simulator("ets2", 1)
    data = sim.step()
    assert len(data) == MAP_SIZE
    first = decode(data)
    h = first.header
    assert (h.sdk_active, h.paused, h.time_us, h.revision) == (True, True, 0, 12)
    assert h.game is Game.ETS2
    assert (h.telemetry_version_major, h.telemetry_version_minor) == (1, 18)
    assert (h.game_telemetry_version_major, h.game_telemetry_version_minor) == (1, 18)
    assert decode_raw(data)["config_ui"]["maxTrailerCount"] == 10

    frames = [first] + [decode(sim.step()) for _ in range(99)]
    paused = [f for f in frames if f.header.paused]
    assert 10 <= len(paused) < 60  # a short menu phase, then driving
    assert all(f.header.time_us == 0 for f in paused)  # `time` stops while paused
    assert not frames[-1].header.paused and frames[-1].header.time_us > 0
    renders = [f.header.render_time_us for f in frames]
    assert renders == [100_000 * (i + 1) for i in range(100)]  # always advances, µs
    assert frames[-1].truck.brand and frames[-1].truck.gears_forward == 12
    assert frames[-1].truck.gears_reverse == 2


def test_shutdown_resets_the_header_and_leaves_the_rest_stale() -> None:
    sim = Simulator("ats", 3)
    for _ in range(80):
        sim.step()
    frame = decoder(12)(sim.shutdown())  # revision 0 now: the checked decode refuses it
    h = frame.header
    assert (h.sdk_active, h.revision, h.game, h.time_us, h.render_time_us) == (
        False,
        0,
        Game.UNKNOWN,
        0,
        0,
    )
    assert (h.game_time_min, h.scale, h.telemetry_version_major) == (0, 0.0, 0)
    assert frame.truck.brand in {"Peterbilt", "Kenworth"}  # stale, as the plugin leaves it
    with pytest.raises(RuntimeError):
        sim.step()


def test_unknown_game_is_refused() -> None:
    with pytest.raises(ValueError, match="ets2"):
        Simulator("gta5")


# --- a delivered ETS2 job, frame by frame -------------------------------------------------


def test_a_job_starts_with_its_description_and_a_trailer_behind_the_truck() -> None:
    frames, _ = first_job("ets2", find_seed("ets2", "delivered"))
    start = next(
        i for i in range(1, len(frames)) if frames[i].job.on_job > frames[i - 1].job.on_job
    )
    job, f = frames[start].job, frames[start]
    assert job.source_city in ETS2_CITIES and job.destination_city in ETS2_CITIES
    assert job.source_company and job.destination_company and job.cargo and job.cargo_id
    assert job.income > 0 and 15 <= job.planned_distance_km <= 30 and job.cargo_mass_kg > 1000
    assert job.job_market in {"freight_market", "cargo_market", "quick_job"}
    assert job.starting_time_game_min == f.header.game_time_min
    assert job.deadline_game_min > f.header.game_time_min
    (trailer,) = f.trailers
    assert trailer.slot == 0 and trailer.attached and trailer.id and trailer.name
    driving = next(g for g in frames[start:] if g.truck.speed_mps > 15)
    gap = math.dist(
        (driving.truck.x_m, driving.truck.z_m),
        (driving.trailers[0].x_m, driving.trailers[0].z_m),
    )
    assert 6.0 < gap < 11.0


def test_toll_and_fine_toggle_once_with_their_payloads() -> None:
    frames, end = first_job("ets2", find_seed("ets2", "delivered"))
    frames = frames[: end + 1]
    (toll,) = flips(frames, "tollgate")
    assert frames[toll].gameplay.tollgate_amount > 0
    assert frames[toll].truck.speed_mps == 0.0  # paid at the booth
    (fine,) = flips(frames, "fined")
    f = frames[fine]
    assert f.gameplay.fine_offence in {"speeding", "speeding_camera"}
    assert f.gameplay.fine_amount > 0
    assert f.truck.speed_mps > f.truck.speed_limit_mps > 0  # caught speeding
    assert toll < fine


def test_refuel_raises_fuel_while_flagged_and_the_payment_latches() -> None:
    s = story("ets2", find_seed("ets2", "delivered"))
    frames = s.until_jobs(2)
    refuelling = [i for i, f in enumerate(frames) if f.events.refuel]
    assert refuelling
    first = refuelling[0]
    assert frames[first].truck.fuel_l > frames[first - 1].truck.fuel_l
    for i in refuelling:
        assert frames[i].truck.fuel_l >= frames[i - 1].truck.fuel_l
        assert not frames[i].truck.engine_enabled  # refuelled with the engine off
    paid_frames = [i for i, f in enumerate(frames) if f.events.refuel_paid]
    assert paid_frames == list(range(paid_frames[0], len(frames)))  # latched, never reset
    p = frames[paid_frames[0]]
    assert p.truck.engine_enabled and not p.events.refuel
    added = p.truck.fuel_l - frames[first - 1].truck.fuel_l
    assert p.gameplay.refuel_amount_l == pytest.approx(added, abs=0.5)
    assert added > 50
    # The second job refuels again: the flag stays 1, the amount changes.
    later = [i for i in refuelling if i > s.finished[0]]
    assert later
    assert frames[-1].gameplay.refuel_amount_l != p.gameplay.refuel_amount_l


def test_delivery_frame_flips_clears_the_job_and_holds_the_results() -> None:
    frames, end = first_job("ets2", find_seed("ets2", "delivered"))
    before, f = frames[end - 1], frames[end]
    start = next(i for i in range(1, end) if frames[i].job.on_job > frames[i - 1].job.on_job)
    assert f.events.job_delivered != before.events.job_delivered
    assert f.events.job_cancelled == before.events.job_cancelled
    assert not f.job.on_job
    # Already empty in the very frame of the event (spec §2c set_job_values_zero).
    job = f.job
    assert (job.income, job.planned_distance_km, job.deadline_game_min) == (0, 0, 0)
    assert (job.cargo_mass_kg, job.unit_count, job.unit_mass_kg, job.cargo_loaded) == (
        0.0,
        0,
        0.0,
        False,
    )
    strings = (job.cargo, job.cargo_id, job.source_city, job.source_city_id, job.job_market)
    assert strings == ("", "", "", "", "")
    assert (job.destination_city, job.source_company, job.destination_company) == ("", "", "")
    assert before.job.cargo and before.job.income > 0  # the previous frame still had it
    g = f.gameplay
    assert 0 < g.delivered_revenue <= before.job.income and g.delivered_xp > 0
    assert g.job_finished_time_game_min == f.header.game_time_min
    assert g.job_finished_time_game_min <= before.job.deadline_game_min  # on time
    assert g.delivered_delivery_time_min == (
        g.job_finished_time_game_min - g.job_starting_time_game_min
    )
    driven = f.truck.odometer_km - frames[start].truck.odometer_km
    assert g.delivered_distance_km == pytest.approx(driven, abs=0.05)
    assert g.delivered_distance_km == pytest.approx(before.job.planned_distance_km, rel=0.1)
    assert 0.0 <= g.delivered_cargo_damage < 0.1
    assert f.truck.speed_mps == 0.0 and f.truck.park_brake
    assert any(g.trailers == () for g in frames[end:])  # dropped and unconfigured afterwards


def test_the_truck_moves_plausibly() -> None:
    frames, end = first_job("ets2", find_seed("ets2", "delivered"))
    odometer = [f.truck.odometer_km for f in frames]
    assert odometer == sorted(odometer)
    rpm_max = frames[-1].truck.engine_rpm_max
    moving = [f for f in frames if f.truck.speed_mps > 5.0]
    assert len(moving) > 400
    for f in frames:
        t = f.truck
        assert 0.0 <= t.speed_mps <= 26.0  # the 90 km/h limiter
        assert 0.0 <= t.engine_rpm <= rpm_max
        assert 0 <= t.gear <= 12 and t.gear_dashboard == t.gear
        assert 0.0 <= t.fuel_l <= t.fuel_capacity_l
    for f in moving:
        assert f.truck.engine_enabled and f.truck.gear >= 1 and f.truck.engine_rpm >= 500
    assert any(f.truck.cruise_control and f.truck.cruise_control_speed_mps > 0 for f in moving)
    assert all(f.truck.cruise_control == (f.truck.cruise_control_speed_mps > 0) for f in frames)
    last = frames[end]
    assert 0.28 <= last.truck.fuel_avg_consumption_l_per_km <= 0.45
    assert last.truck.fuel_range_km == pytest.approx(
        last.truck.fuel_l / last.truck.fuel_avg_consumption_l_per_km, rel=1e-3
    )
    first = next(f for f in frames if f.truck.speed_mps > 0)
    for name in ("wear_engine", "wear_transmission", "wear_cabin", "wear_chassis", "wear_wheels"):
        assert getattr(first.truck, name) < getattr(last.truck, name) < 0.2
    assert moving[-1].trailers[0].wear_wheels > moving[0].trailers[0].wear_wheels


def test_heading_matches_the_direction_of_travel() -> None:
    """Heading is a fraction of a turn, 0 = north (-Z), counter-clockwise (west = 0.25)."""
    frames, _ = first_job("ets2", find_seed("ets2", "delivered"))
    checked = agree = 0
    for a, b in itertools.pairwise(frames):
        dx, dz = b.truck.x_m - a.truck.x_m, b.truck.z_m - a.truck.z_m
        if a.truck.speed_mps < 5 or math.hypot(dx, dz) > 60:
            continue
        travel = (math.atan2(-dx, -dz) / (2 * math.pi)) % 1.0
        checked += 1
        agree += abs((travel - b.truck.heading + 0.5) % 1.0 - 0.5) < 0.03
    assert checked > 300 and agree / checked > 0.9


def test_navigation_counts_down_and_the_game_clock_runs_at_the_map_scale() -> None:
    frames, end = first_job("ets2", find_seed("ets2", "delivered"))
    driving = [f for f in frames[:end] if f.truck.speed_mps > 15 and f.job.on_job]
    distances = [f.navigation.route_distance_m for f in driving]
    assert distances == sorted(distances, reverse=True)
    assert 8_000 < distances[0] < 30_000 and distances[-1] < 3_000
    assert all(f.navigation.route_time_s > 0 for f in driving)
    open_road = [f for f in driving if f.header.scale == 19.0]
    a, b = open_road[0], open_road[-1]
    rate = (
        (b.header.game_time_min - a.header.game_time_min)
        * 60
        / ((b.header.time_us - a.header.time_us) / 1e6)
    )
    assert 10.0 < rate <= 19.5  # mostly open road at 19x, some town at 3x in between
    limits = {round(f.truck.speed_limit_mps * 3.6) for f in driving}
    assert limits <= {50, 60, 70, 80}


# --- other outcomes and the other game ----------------------------------------------------


def test_some_seed_cancels_the_job_in_one_frame() -> None:
    frames, end = first_job("ets2", find_seed("ets2", "cancelled"))
    before, f = frames[end - 1], frames[end]
    assert f.events.job_cancelled != before.events.job_cancelled
    assert f.events.job_delivered == before.events.job_delivered
    assert not f.job.on_job and f.gameplay.cancelled_penalty > 0
    assert (f.job.income, f.job.cargo, f.job.destination_city) == (0, "", "")
    assert f.gameplay.job_finished_time_game_min == f.header.game_time_min


def test_some_seed_delivers_late() -> None:
    frames, end = first_job("ets2", find_seed("ets2", "late"))
    before, f = frames[end - 1], frames[end]
    assert f.events.job_delivered != before.events.job_delivered
    assert f.gameplay.job_finished_time_game_min > before.job.deadline_game_min
    assert f.gameplay.delivered_revenue < before.job.income  # paid less for being late


def test_an_ets2_ferry_crossing_pauses_skips_game_time_and_moves_the_truck() -> None:
    for seed in range(30):
        frames, end = first_job("ets2", seed)
        crossings = flips(frames[: end + 1], "ferry")
        if crossings:
            break
    else:
        raise AssertionError("no ETS2 seed below 30 takes a ferry")
    (i,) = crossings
    f = frames[i]
    g = f.gameplay
    assert g.ferry_amount > 0 and g.ferry_source_name and g.ferry_target_name
    assert g.ferry_source_id and g.ferry_target_id
    assert f.header.paused
    after = next(j for j in range(i, len(frames)) if not frames[j].header.paused)
    a, b = frames[i - 1], frames[after]
    assert frames[after - 1].header.time_us == f.header.time_us  # stopped while paused
    assert frames[after - 1].header.render_time_us > f.header.render_time_us
    jump = math.dist((a.truck.x_m, a.truck.z_m), (b.truck.x_m, b.truck.z_m))
    assert jump > 20_000  # across the sea
    assert b.truck.odometer_km - a.truck.odometer_km < 0.01  # not driven
    assert b.header.game_time_min - a.header.game_time_min >= 100  # the crossing's hours


def test_ats_runs_a_us_job_in_dollars_without_ferries() -> None:
    frames, end = first_job("ats", find_seed("ats", "delivered"))
    head = frames[-1].header
    assert head.game is Game.ATS
    assert (head.telemetry_version_major, head.telemetry_version_minor) == (1, 5)
    started = next(f for f in frames if f.job.on_job)
    assert started.job.source_city in ATS_CITIES
    assert started.job.destination_city in ATS_CITIES
    assert started.truck.brand in {"Peterbilt", "Kenworth"}
    assert flips(frames, "ferry") == []
    assert len(flips(frames[: end + 1], "tollgate")) == 1
    assert len(flips(frames[: end + 1], "fined")) == 1
    assert frames[end].gameplay.delivered_revenue > 0
    mph = {round(f.truck.speed_limit_mps / 0.44704) for f in frames if f.truck.speed_mps > 5}
    assert mph <= {35, 45, 55, 65}
    assert max(f.truck.speed_mps for f in frames) < 34.0


# --- the Source ---------------------------------------------------------------------------


def test_simulator_source_stamps_simulated_time_and_ends_after_the_duration() -> None:
    source = SimulatorSource("ats", seed=2, duration_s=2.0)
    assert source.recorded and "simulator" in source.name
    snaps = list(iterate(source, speed=None))
    assert [round(s.t_s, 6) for s in snaps] == [round(0.1 * (i + 1), 6) for i in range(20)]
    assert all(len(s.data) == MAP_SIZE for s in snaps if s is not None)
    assert source.snapshot() is None
    endless = SimulatorSource()
    assert endless.snapshot() is not None
    endless.close()
    assert endless.snapshot() is None


@pytest.mark.parametrize("game", ["ets2", "ats"])
def test_the_driver_sleeps_before_the_fatigue_timer_runs_out(game: str) -> None:
    """A player sleeps when the game says so: over a dozen jobs the fatigue timer
    (restStop) never runs far out, and each sleep is a paused stretch in which the
    game clock jumps a night's rest with the truck parked and the engine off."""
    s = story(game, 1)
    frames = s.until_jobs(12, extra_s=0.0, limit_s=6 * 3600.0)
    loaded = [f for f in frames if f.header.game_time_min > 0]
    assert min(f.header.rest_stop_min for f in loaded) > -60
    nights = [
        (a, b)
        for a, b in itertools.pairwise(loaded)
        if b.header.game_time_min - a.header.game_time_min >= 10 * 60
    ]
    assert len(nights) >= 2
    for a, b in nights:
        assert not a.truck.engine_enabled and a.truck.park_brake
        assert b.header.rest_stop_min >= 600  # the timer started again: 10-12 h
