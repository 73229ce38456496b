"""The tracker's rules, driven by scripted frame sequences (real encoder, real monitor)."""

import pytest

from roadmaster.jobs.events import (
    Anomaly,
    Fined,
    GameConnected,
    GameDisconnected,
    GamePaused,
    GameResumed,
    GameStale,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobStarted,
    RefuelPaid,
    RefuelStarted,
    Sample,
    TollPaid,
    Transport,
)
from roadmaster.jobs.tracker import Tracker
from roadmaster.telemetry.source import Snapshot
from tests.jobs.script import JOB, Script, of


def test_a_job_is_started_driven_and_delivered_with_its_description_from_the_cache():
    s = Script()
    s.step()
    started = of(s.start_job(), JobStarted)
    assert len(started) == 1 and not started[0].resumed
    assert started[0].info.cargo == "Apples" and started[0].info.income == 12000
    fuel_before = s.w.get("truck_f.fuel")
    s.drive(60, speed_mps=20.0)
    burnt = fuel_before - s.w.get("truck_f.fuel")  # as the (float32) map says
    delivered = of(s.deliver(revenue=11800), JobDelivered)
    assert len(delivered) == 1
    d = delivered[0]
    # the plugin cleared the job in that frame: the description comes from the cache
    assert d.info.source_city == "Berlin" and d.info.destination_company == "Posped"
    assert (d.revenue, d.xp, d.distance_km) == (11800, 500, pytest.approx(351.5))
    assert not d.late
    assert d.stats.distance_km == pytest.approx(1.2, rel=1e-3)  # 60 s at 20 m/s
    assert d.stats.fuel_used_l == pytest.approx(burnt)
    assert burnt == pytest.approx(0.42, rel=0.1)  # 1.2 km at 0.35 l/km, float32-rounded
    assert d.stats.avg_speed_mps == pytest.approx(20.0)
    assert d.stats.driving_s == pytest.approx(60.0, abs=0.2)


def test_late_is_decided_in_game_minutes_against_the_deadline():
    s = Script()
    s.step()
    s.start_job()
    s.drive(5)
    assert of(s.deliver(late=True), JobDelivered)[0].late
    s.start_job(**{"config_ui.time_abs_delivery": s.game_min + 1000, "config_s.cargoId": "milk"})
    s.drive(5)
    assert not of(s.deliver(), JobDelivered)[0].late


def test_attaching_mid_session_fires_no_spurious_events_and_resumes_the_job():
    s = Script()
    # Before we attach: a job is on, and flags carry parity 1 from earlier events.
    s.set(
        {
            **JOB,
            "special_b.onJob": True,
            "special_b.fined": True,
            "special_b.jobDelivered": True,
            "special_b.tollgate": True,
            "gameplay_ll.fineAmount": 300,
        }
    )
    first = s.step()
    assert [type(e) for e in first if not isinstance(e, GameConnected | Sample)] == [JobStarted]
    assert of(first, JobStarted)[0].resumed
    assert [e for e in s.step() if not isinstance(e, Sample)] == []
    assert not of(s.events, Fined) and not of(s.events, JobDelivered)


def test_a_restart_with_the_stored_open_job_continues_it():
    first = Script()
    first.step()
    first.start_job()
    first.drive(30)
    key, info, stats = first.tracker.open_job
    # the app restarts: the tracker is seeded from storage, and the game still has the job
    s = Script(Tracker(open_job=(key, info, stats)))
    s.set({**JOB, "special_b.onJob": True, "truck_f.truckOdometer": 0.6})
    assert not of(s.step(), JobStarted)
    s.drive(30)
    d = of(s.deliver(), JobDelivered)[0]
    assert d.job_key == key
    assert d.stats.distance_km == pytest.approx(1.2, rel=1e-2)  # both halves


def test_a_profile_reload_with_the_same_job_continues_it():
    s = Script()
    s.step()
    s.start_job()
    s.drive(10)
    s.step(**{"special_b__onJob": False})  # leaving the profile: onJob drops, no event
    s.step(**{"gameplay_ui__jobStartingTime": s.game_min + 5})  # rewritten on reload
    assert not of(s.step(**{"special_b__onJob": True}), JobStarted)
    assert len(of(s.events, JobStarted)) == 1
    assert of(s.deliver(), JobDelivered)


def test_a_different_job_while_one_is_open_abandons_the_old_one_for_review():
    s = Script()
    s.step()
    s.start_job()
    s.drive(5)
    s.step(**{"special_b__onJob": False})  # cancelled on World of Trucks: no event
    s.set({"config_s.cargoId": "steel", "config_s.cargo": "Steel", "config_ull.jobIncome": 9000})
    events = s.step(**{"special_b__onJob": True})
    abandoned, started = of(events, JobAbandoned), of(events, JobStarted)
    assert len(abandoned) == 1 and abandoned[0].info.cargo == "Apples"
    assert len(started) == 1 and started[0].info.cargo == "Steel"


def test_delivered_and_cancelled_together_keep_the_first_and_record_the_anomaly():
    s = Script()
    s.step()
    s.start_job()
    s.drive(5)
    s.deliver()
    events = s.cancel()
    assert not of(events, JobCancelled)
    assert [a.kind for a in of(events, Anomaly)] == ["unexpected_cancelled"]
    assert len(of(s.events, JobDelivered)) == 1


def test_both_flags_in_one_frame_keep_delivered():
    s = Script()
    s.step()
    s.start_job()
    s.flip("special_b.jobCancelled")
    events = s.deliver()
    assert len(of(events, JobDelivered)) == 1 and not of(events, JobCancelled)
    assert of(events, Anomaly)


def test_cancelled_job_with_penalty():
    s = Script()
    s.step()
    s.start_job()
    c = of(s.cancel(penalty=2500), JobCancelled)
    assert len(c) == 1 and c[0].penalty == 2500 and c[0].info.cargo == "Apples"


def test_every_expense_flag_is_a_toggle_in_either_direction():
    s = Script()
    s.step()
    s.start_job()
    key = s.tracker.open_job[0]
    for amount in (250, 400):  # the second flips the flag back to 0: still a fine
        s.set({"gameplay_s.fineOffence": "speeding", "gameplay_ll.fineAmount": amount})
        s.flip("special_b.fined")
        (fine,) = of(s.step(), Fined)
        assert (fine.amount, fine.offence, fine.job_key) == (amount, "speeding", key)
    s.set({"gameplay_ll.tollgatePayAmount": 12})
    s.flip("special_b.tollgate")
    assert [t.amount for t in of(s.step(), TollPaid)] == [12]
    s.set({"gameplay_ll.ferryPayAmount": 300, "gameplay_s.ferryTargetName": "Trelleborg"})
    s.flip("special_b.ferry")
    (ferry,) = of(s.step(), Transport)
    assert (ferry.kind, ferry.amount, ferry.target_name) == ("ferry", 300, "Trelleborg")
    s.set({"gameplay_ll.trainPayAmount": 200, "gameplay_s.trainTargetId": "calais"})
    s.flip("special_b.train")
    assert [t.kind for t in of(s.step(), Transport)] == ["train"]
    assert len(of(s.events, Fined)) == 2


def test_two_fines_between_polls_are_not_both_lost():
    s = Script()
    s.step()
    s.set({"gameplay_ll.fineAmount": 100, "gameplay_s.fineOffence": "speeding"})
    s.flip("special_b.fined")
    s.step()
    # two more fines between two reads: parity is back where it was, payload changed
    s.set({"gameplay_ll.fineAmount": 750, "gameplay_s.fineOffence": "red_signal"})
    events = s.step()
    assert [f.amount for f in of(events, Fined)] == [750]
    assert [a.kind for a in of(events, Anomaly)] == ["missed_fine"]


def test_rev10_flags_are_pulses():
    s = Script(revision=10)
    s.step()
    s.set({"gameplay_ll.fineAmount": 90})
    assert len(of(s.step(**{"special_b__fined": True}), Fined)) == 1
    assert not of(s.step(), Fined)  # the pulse stays up for a few frames
    assert not of(s.step(**{"special_b__fined": False}), Fined)  # falling edge: nothing


def test_refuel_start_and_payment_with_the_latched_flag():
    s = Script()
    s.step()
    (started,) = of(s.step(**{"special_b__refuel": True, "truck_f__fuel": 610.0}), RefuelStarted)
    assert started.fuel_l == 610.0
    s.step(**{"truck_f__fuel": 700.0})
    paid = of(
        s.step(
            **{
                "special_b__refuel": False,
                "special_b__refuelPayed": True,
                "gameplay_f__refuelAmount": 100.0,
            }
        ),
        RefuelPaid,
    )
    assert [p.amount_l for p in paid] == [100.0]
    # second refuel in the same session: the latch stays at 1, the amount changes
    s.step(**{"special_b__refuel": True})
    paid = of(s.step(**{"special_b__refuel": False, "gameplay_f__refuelAmount": 55.5}), RefuelPaid)
    assert [p.amount_l for p in paid] == [55.5]


def test_refuelled_litres_are_not_counted_as_fuel_used():
    s = Script()
    s.step()
    s.start_job()
    s.drive(10)
    burnt = 600.0 - s.w.get("truck_f.fuel")
    s.step(**{"special_b__refuel": True, "truck_f__fuel": 650.0})
    s.step(**{"truck_f__fuel": 700.0})
    s.step(**{"special_b__refuel": False})
    s.drive(10)
    burnt += 700.0 - s.w.get("truck_f.fuel")
    d = of(s.deliver(), JobDelivered)[0]
    assert d.stats.fuel_used_l == pytest.approx(burnt)
    assert burnt == pytest.approx(0.14, rel=0.1)  # 0.4 km × 0.35 l/km
    assert d.stats.refuelled_l > 50


def test_game_states_become_events_and_stale_is_detected_on_the_source_clock():
    s = Script()
    connected = of(s.step(), GameConnected)
    assert connected and connected[0].revision == 12
    assert of(s.step(**{"paused": True}), GamePaused)
    assert of(s.step(**{"paused": False}), GameResumed)
    # the game freezes: renderTime stops advancing while our clock goes on
    frozen = s.w.snapshot()
    stale = []
    for i in range(1, 80):
        stale += s.tracker.feed(s.monitor.update(Snapshot(frozen, s.t + i * 0.1)))
    assert len(of(stale, GameStale)) == 1
    gone = s.tracker.feed(s.monitor.update(None))
    assert of(gone, GameDisconnected)


def test_after_a_game_restart_the_flags_are_seeded_again():
    s = Script()
    s.step()
    s.flip("special_b.fined")
    s.set({"gameplay_ll.fineAmount": 100})
    assert of(s.step(), Fined)
    s.tracker.feed(s.monitor.update(None))  # game closed
    s.flip("special_b.fined")  # the plugin zeroes the map on start: parity back to 0
    s.set({"gameplay_ll.fineAmount": 0})
    assert not of(s.step(), Fined)


def test_samples_follow_the_source_clock_not_the_number_of_frames():
    fast, slow = Script(), Script()
    fast.drive(10, dt=0.05)
    slow.drive(10, dt=0.25)
    assert len(of(fast.events, Sample)) == len(of(slow.events, Sample)) == 10


def test_speeding_idle_and_cruise_time():
    s = Script()
    s.step()
    s.start_job()
    s.set({"truck_f.speedLimit": 22.2})
    s.drive(10, speed_mps=25.0)  # over the limit by more than the margin
    s.drive(10, speed_mps=22.5)  # within the margin
    s.set({"truck_b.cruiseControl": True, "truck_f.cruiseControlSpeed": 22.0})
    s.drive(10, speed_mps=22.0)
    s.set({"truck_b.cruiseControl": False})
    s.drive(5, speed_mps=0.0)
    st = of(s.deliver(), JobDelivered)[0].stats
    assert st.speeding_s == pytest.approx(10, abs=0.2)
    assert st.cruise_s == pytest.approx(10, abs=0.2)
    assert st.idle_s == pytest.approx(5, abs=0.2)
    assert st.max_speed_mps == 25.0
