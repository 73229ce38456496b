"""The job tracker: a pure state machine from readings to events.

``Tracker.feed(reading) -> list[Event]`` does no I/O and reads no clock: time is
the reading's ``t_s`` (the source's clock) and the frame's game minutes.  The
rules it keeps (spec ``scs-telemetry.md`` §2 and §6):

- the previous flags are seeded from the first frame (and again after the game
  restarts): attaching mid-session fires nothing, attaching mid-job resumes it;
- rev 11/12 event flags are toggles: a change in either direction is an event,
  and payload fields (``fineAmount``, ``jobFinishedTime`` …) are compared too, so
  two events between polls are not both lost; rev 10 flags are pulses;
- the job description is already cleared in the frame where delivered/cancelled
  flips: it is taken from the cached job;
- ``onJob`` rising again with the same job (profile reload, game restart)
  continues the job; a different job while one is open abandons the old one;
- delivered and cancelled both firing for one job keeps the first, records an anomaly;
- lateness is the finish time against the deadline in game minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

from roadmaster.jobs.accumulate import Accumulator, wear_of
from roadmaster.jobs.events import (
    Anomaly,
    Event,
    Fined,
    GameConnected,
    GameDisconnected,
    GamePaused,
    GameResumed,
    GameStale,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobInfo,
    JobStarted,
    JobStats,
    RefuelPaid,
    RefuelStarted,
    Sample,
    TollPaid,
    Transport,
)
from roadmaster.telemetry.frame import Frame
from roadmaster.telemetry.status import GameState, Reading

_LIVE = (GameState.MENU, GameState.DRIVING, GameState.STALE)


def job_info(frame: Frame) -> JobInfo | None:
    """The job described by ``frame``, or None when the job fields are empty."""
    j = frame.job
    if not (j.cargo_id or j.source_city_id or j.destination_city_id):
        return None
    return JobInfo(
        game=frame.header.game,
        cargo_id=j.cargo_id,
        cargo=j.cargo,
        cargo_mass_kg=j.cargo_mass_kg,
        source_city_id=j.source_city_id,
        source_city=j.source_city,
        source_company_id=j.source_company_id,
        source_company=j.source_company,
        destination_city_id=j.destination_city_id,
        destination_city=j.destination_city,
        destination_company_id=j.destination_company_id,
        destination_company=j.destination_company,
        income=j.income,
        planned_distance_km=j.planned_distance_km,
        deadline_game_min=j.deadline_game_min,
        job_market=j.job_market,
        special_job=j.special_job,
        started_game_min=j.starting_time_game_min or frame.header.game_time_min,
    )


def job_key(info: JobInfo) -> str:
    """Stable across profile reloads (``jobStartingTime`` is not: it is rewritten)."""
    return (
        f"{info.game}:{info.deadline_game_min}:{info.cargo_id}:"
        f"{info.source_city_id}.{info.source_company_id}>"
        f"{info.destination_city_id}.{info.destination_company_id}:{info.income}"
    )


@dataclass
class _OpenJob:
    key: str
    info: JobInfo
    acc: Accumulator


class Tracker:
    """Turns readings into events.  ``open_job`` resumes a job stored by an earlier
    run (key, info, stats) so that a restart mid-job continues it."""

    def __init__(
        self,
        *,
        sample_interval_s: float = 1.0,
        open_job: tuple[str, JobInfo, JobStats] | None = None,
    ) -> None:
        self.sample_interval_s = sample_interval_s
        self._prev: Frame | None = None
        self._prev_t = 0.0
        self._state = GameState.NOT_RUNNING
        self._job: _OpenJob | None = None
        if open_job is not None:
            key, info, stats = open_job
            self._job = _OpenJob(key, info, Accumulator.resume(stats, info.started_game_min))
        self._closed: tuple[str, str] | None = None  # (job key, "delivered"|"cancelled")
        self._next_sample_t: float | None = None

    @property
    def open_job(self) -> tuple[str, JobInfo, JobStats] | None:
        j = self._job
        return None if j is None else (j.key, j.info, j.acc.stats())

    # --- entry point ---------------------------------------------------------------------

    def feed(self, reading: Reading) -> list[Event]:
        out: list[Event] = []
        frame = reading.frame
        # without a snapshot there is no source clock: events keep the last one
        t = reading.t_s if reading.t_s is not None else self._prev_t
        gmin = frame.header.game_time_min if frame is not None else 0
        self._state_events(reading, frame, t, gmin, out)
        if frame is None or reading.state not in _LIVE:
            # No usable map: forget the flags so the next frame seeds them afresh (the
            # plugin zeroes the map when the game starts again).  The job stays open.
            self._prev = None
            return out
        prev = self._prev
        if prev is None or prev.revision != frame.revision:
            self._seed(frame, t, gmin, out)
        else:
            self._job_events(prev, frame, t, gmin, out)
            self._expense_events(prev, frame, t, gmin, out)
            if self._job is not None:
                self._job.acc.step(prev, frame, t - self._prev_t)
        self._sample(frame, reading.state, t, gmin, out)
        self._prev = frame
        self._prev_t = t
        return out

    # --- game state ------------------------------------------------------------------------

    def _state_events(
        self, reading: Reading, frame: Frame | None, t: float, gmin: int, out: list[Event]
    ) -> None:
        old, new = self._state, reading.state
        if old == new:
            return
        self._state = new
        was_live, is_live = old in _LIVE, new in _LIVE
        if is_live and not was_live and frame is not None:
            h = frame.header
            out.append(
                GameConnected(
                    t_s=t,
                    game_time_min=gmin,
                    game=h.game,
                    revision=h.revision,
                    telemetry_version=f"{h.telemetry_version_major}.{h.telemetry_version_minor}",
                )
            )
        elif was_live and not is_live:
            out.append(GameDisconnected(t_s=t, game_time_min=gmin, reason=reading.message))
            return
        if new == GameState.STALE:
            out.append(GameStale(t_s=t, game_time_min=gmin))
        elif new == GameState.MENU and was_live:
            out.append(GamePaused(t_s=t, game_time_min=gmin))
        elif new == GameState.DRIVING and old in (GameState.MENU, GameState.STALE):
            out.append(GameResumed(t_s=t, game_time_min=gmin))

    # --- jobs ------------------------------------------------------------------------------

    def _seed(self, frame: Frame, t: float, gmin: int, out: list[Event]) -> None:
        """First frame (attach, game restart): no flag events, only the job as it is."""
        if frame.job.on_job:
            info = job_info(frame)
            if info is not None:
                self._begin(info, frame, t, gmin, out, resumed=True)

    def _begin(
        self, info: JobInfo, frame: Frame, t: float, gmin: int, out: list[Event], *, resumed: bool
    ) -> None:
        key = job_key(info)
        job = self._job
        if job is not None and job.key == key:
            return  # the same job again (profile reload / game restart): continue it
        if job is not None:
            out.append(
                JobAbandoned(
                    t_s=t,
                    game_time_min=gmin,
                    job_key=job.key,
                    info=job.info,
                    stats=job.acc.stats(),
                    reason="a different job started while this one was open, with no "
                    "delivered or cancelled event (cancelled on World of Trucks?)",
                )
            )
        self._job = _OpenJob(key, info, Accumulator(info.started_game_min, wear_of(frame)))
        self._closed = None
        out.append(JobStarted(t_s=t, game_time_min=gmin, job_key=key, info=info, resumed=resumed))

    def _job_events(self, prev: Frame, cur: Frame, t: float, gmin: int, out: list[Event]) -> None:
        p, c = prev.events, cur.events
        pg, cg = prev.gameplay, cur.gameplay
        toggles = cur.revision >= 11
        finished_changed = cg.job_finished_time_game_min != pg.job_finished_time_game_min

        def fired(before: bool, after: bool) -> bool:
            return before != after if toggles else (after and not before)

        delivered = fired(p.job_delivered, c.job_delivered) or (
            finished_changed
            and (cg.delivered_revenue, cg.delivered_xp) != (pg.delivered_revenue, pg.delivered_xp)
        )
        cancelled = fired(p.job_cancelled, c.job_cancelled) or (
            finished_changed and not delivered and cg.cancelled_penalty != pg.cancelled_penalty
        )
        if delivered:
            self._end("delivered", cur, t, gmin, out)
        if cancelled:
            self._end("cancelled", cur, t, gmin, out)
        if cur.job.on_job:
            info = job_info(cur)
            if info is not None and (
                not prev.job.on_job or self._job is None or job_key(info) != self._job.key
            ):
                self._begin(info, cur, t, gmin, out, resumed=False)

    def _end(self, how: str, cur: Frame, t: float, gmin: int, out: list[Event]) -> None:
        job = self._job
        g = cur.gameplay
        if job is None:
            closed = self._closed
            detail = (
                f"{how} fired for a job that had already been {closed[1]}; the first is kept"
                if closed
                else f"{how} fired with no job open (the job began before tracking)"
            )
            out.append(
                Anomaly(
                    t_s=t,
                    game_time_min=gmin,
                    job_key=closed[0] if closed else None,
                    kind=f"unexpected_{how}",
                    detail=detail,
                )
            )
            return
        stats = job.acc.stats()
        finished = g.job_finished_time_game_min or gmin
        if how == "delivered":
            deadline = job.info.deadline_game_min
            out.append(
                JobDelivered(
                    t_s=t,
                    game_time_min=gmin,
                    job_key=job.key,
                    info=job.info,
                    stats=stats,
                    revenue=g.delivered_revenue,
                    xp=g.delivered_xp,
                    cargo_damage=g.delivered_cargo_damage,
                    distance_km=g.delivered_distance_km,
                    delivery_time_min=g.delivered_delivery_time_min,
                    finished_game_min=finished,
                    autopark_used=g.delivered_autopark_used,
                    autoload_used=g.delivered_autoload_used,
                    late=deadline > 0 and finished > deadline,
                )
            )
        else:
            out.append(
                JobCancelled(
                    t_s=t,
                    game_time_min=gmin,
                    job_key=job.key,
                    info=job.info,
                    stats=stats,
                    penalty=g.cancelled_penalty,
                    finished_game_min=finished,
                )
            )
        self._closed = (job.key, how)
        self._job = None

    # --- expenses --------------------------------------------------------------------------

    def _expense_events(
        self, prev: Frame, cur: Frame, t: float, gmin: int, out: list[Event]
    ) -> None:
        p, c = prev.events, cur.events
        pg, cg = prev.gameplay, cur.gameplay
        toggles = cur.revision >= 11
        key = self._job.key if self._job is not None else None

        def fired(before: bool, after: bool, payload_before: object, payload_after: object) -> int:
            """How many events to record: a flag change is one; an unchanged parity with a
            changed payload means (at least) two happened between polls."""
            if toggles and before != after:
                return 1
            if not toggles and after and not before:
                return 1
            return 2 if toggles and payload_before != payload_after else 0

        n = fired(
            p.fined, c.fined, (pg.fine_offence, pg.fine_amount), (cg.fine_offence, cg.fine_amount)
        )
        if n:
            out.append(
                Fined(
                    t_s=t,
                    game_time_min=gmin,
                    job_key=key,
                    offence=cg.fine_offence,
                    amount=cg.fine_amount,
                )
            )
            self._missed(n, "fine", key, t, gmin, out)
            if self._job is not None:
                self._job.acc.fines_total += cg.fine_amount
                self._job.acc.fines_count += 1
        n = fired(p.tollgate, c.tollgate, pg.tollgate_amount, cg.tollgate_amount)
        if n:
            out.append(TollPaid(t_s=t, game_time_min=gmin, job_key=key, amount=cg.tollgate_amount))
            self._missed(n, "toll", key, t, gmin, out)
            if self._job is not None:
                self._job.acc.tolls_total += cg.tollgate_amount
        crossings = (
            Transport(t_s=t, game_time_min=gmin, job_key=key, kind="ferry",
                      amount=cg.ferry_amount, source_name=cg.ferry_source_name,
                      target_name=cg.ferry_target_name, source_id=cg.ferry_source_id,
                      target_id=cg.ferry_target_id),
            Transport(t_s=t, game_time_min=gmin, job_key=key, kind="train",
                      amount=cg.train_amount, source_name=cg.train_source_name,
                      target_name=cg.train_target_name, source_id=cg.train_source_id,
                      target_id=cg.train_target_id),
        )  # fmt: skip
        flags = ((p.ferry, c.ferry, (pg.ferry_amount, pg.ferry_target_id)),
                 (p.train, c.train, (pg.train_amount, pg.train_target_id)))  # fmt: skip
        for crossing, (before, after, payload_before) in zip(crossings, flags, strict=True):
            n = fired(before, after, payload_before, (crossing.amount, crossing.target_id))
            if n:
                out.append(crossing)
                self._missed(n, crossing.kind, key, t, gmin, out)
                if self._job is not None and crossing.kind == "ferry":
                    self._job.acc.ferry_total += crossing.amount
                elif self._job is not None:
                    self._job.acc.train_total += crossing.amount
        if c.refuel and not p.refuel:
            out.append(
                RefuelStarted(t_s=t, game_time_min=gmin, job_key=key, fuel_l=cur.truck.fuel_l)
            )
        # refuelPayed latches after the first payment of a session (rev 11/12), so a
        # payment is the refuel amount changing, or the latch rising.
        amount_changed = cg.refuel_amount_l != pg.refuel_amount_l and cg.refuel_amount_l > 0
        if amount_changed or (c.refuel_paid and not p.refuel_paid):
            out.append(
                RefuelPaid(t_s=t, game_time_min=gmin, job_key=key, amount_l=cg.refuel_amount_l)
            )

    @staticmethod
    def _missed(n: int, what: str, key: str | None, t: float, gmin: int, out: list[Event]) -> None:
        if n > 1:
            out.append(
                Anomaly(
                    t_s=t,
                    game_time_min=gmin,
                    job_key=key,
                    kind=f"missed_{what}",
                    detail=f"another {what} happened between two reads; only the "
                    "last one's amount is known",
                )
            )

    # --- samples ---------------------------------------------------------------------------

    def _sample(
        self, frame: Frame, state: GameState, t: float, gmin: int, out: list[Event]
    ) -> None:
        if state != GameState.DRIVING or self.sample_interval_s <= 0:
            return
        if self._next_sample_t is not None and t < self._next_sample_t:
            return
        # The next one is due an interval after this one, on the source's clock, so a
        # replay at any speed takes the same samples.
        self._next_sample_t = t + self.sample_interval_s
        tr = frame.truck
        out.append(
            Sample(
                t_s=t,
                game_time_min=gmin,
                job_key=self._job.key if self._job is not None else None,
                speed_mps=tr.speed_mps,
                engine_rpm=tr.engine_rpm,
                gear_dashboard=tr.gear_dashboard,
                fuel_l=tr.fuel_l,
                fuel_capacity_l=tr.fuel_capacity_l,
                wear=wear_of(frame),
                cargo_damage=frame.job.cargo_damage,
                x_m=tr.x_m,
                y_m=tr.y_m,
                z_m=tr.z_m,
                heading=tr.heading,
                cruise_control=tr.cruise_control,
                cruise_control_speed_mps=tr.cruise_control_speed_mps,
                park_brake=tr.park_brake,
                motor_brake=tr.motor_brake,
                retarder_level=tr.retarder_level,
                air_pressure_psi=tr.air_pressure_psi,
                brake_temperature_c=tr.brake_temperature_c,
                route_distance_m=frame.navigation.route_distance_m,
                route_time_s=frame.navigation.route_time_s,
                speed_limit_mps=tr.speed_limit_mps,
            )
        )
