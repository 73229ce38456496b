"""The tools Roadie may call: read-only questions to the local log and the live state.

Each tool returns compact JSON (at most :data:`MAX_RESULT_CHARS` characters), with
distances, volumes and money already in the player's units and currency symbol, so
the model quotes them as they are.  A tool that cannot answer raises
:class:`ToolError`; the caller sends that back as an ``is_error`` result and the
conversation goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from roadmaster.dispatcher.live import LiveSnapshot, Prefs, hos_line
from roadmaster.jobs.events import JobStatus
from roadmaster.settings import display_currency
from roadmaster.storage.queries import JobQuery, aggregate, job_page
from roadmaster.storage.tables import jobs
from roadmaster.telemetry.frame import Game
from roadmaster.units import (
    UnitSystem,
    format_distance,
    format_duration,
    format_fuel_economy,
    format_game_time,
    format_mass,
    format_money,
    format_route_distance,
    format_volume,
)

MAX_RESULT_CHARS: Final = 4000
MAX_ROWS: Final = 20


class ToolError(Exception):
    """The tool could not answer; the message goes back to the model as is."""


_GAME_PARAM: Final = {
    "type": "string",
    "enum": ["ats", "ets2"],
    "description": "Which game's log; default: the game being played, else the one with most jobs.",
}

SCHEMAS: Final[tuple[dict[str, Any], ...]] = (
    {
        "name": "recent_jobs",
        "description": "The player's most recent jobs from their local log (newest first): "
        "route, cargo, status, revenue, profit, distance, lateness, damage.",
        "input_schema": {
            "type": "object",
            "properties": {
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS},
                "game": _GAME_PARAM,
            },
        },
    },
    {
        "name": "profitability",
        "description": "Profit and revenue grouped by route, cargo or destination company, "
        "with job counts, best first by total profit.",
        "input_schema": {
            "type": "object",
            "properties": {
                "by": {"type": "string", "enum": ["route", "cargo", "company"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS},
                "game": _GAME_PARAM,
            },
            "required": ["by"],
        },
    },
    {
        "name": "fuel_economy_trend",
        "description": "Fuel economy per month (distance driven, fuel used, economy), "
        "oldest first.",
        "input_schema": {
            "type": "object",
            "properties": {
                "months": {"type": "integer", "minimum": 1, "maximum": 24},
                "game": _GAME_PARAM,
            },
        },
    },
    {
        "name": "expenses_by_month",
        "description": "Where the money goes, per month: fuel, repairs (damage), fines, tolls, "
        "ferries/trains, next to revenue and profit.",
        "input_schema": {
            "type": "object",
            "properties": {
                "months": {"type": "integer", "minimum": 1, "maximum": 24},
                "game": _GAME_PARAM,
            },
        },
    },
    {
        "name": "current_job",
        "description": "The job being driven right now, in full (live telemetry).",
        "input_schema": {"type": "object", "properties": {}},
    },
    {
        "name": "refuel_advice",
        "description": "Whether the truck can reach the destination on the fuel it has: "
        "range versus remaining route distance.",
        "input_schema": {"type": "object", "properties": {}},
    },
    {
        "name": "hos_status",
        "description": "Hours-of-service status: driving time left before the next break "
        "and the daily rest, under the game's rule set.",
        "input_schema": {"type": "object", "properties": {}},
    },
)
NAMES: Final = frozenset(s["name"] for s in SCHEMAS)


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def bounded(result: Mapping[str, Any]) -> str:
    """``result`` as JSON of at most MAX_RESULT_CHARS: rows are dropped from the end
    of its list (saying how many) until it fits."""
    text = _compact(result)
    if len(text) <= MAX_RESULT_CHARS:
        return text
    data = dict(result)
    rows = list(data.get("rows") or [])
    while rows and len(text) > MAX_RESULT_CHARS:
        rows.pop()
        data["rows"] = rows
        data["rows_left_out"] = len(result.get("rows") or []) - len(rows)
        text = _compact(data)
    if len(text) > MAX_RESULT_CHARS:  # no rows left to drop: say so, in valid JSON
        text = _compact({"note": "the result was too large to send; ask for less"})
    return text


@dataclass
class Toolbox:
    """Runs tools over a read-only engine on the log and the live snapshot."""

    engine: Engine | None
    live: Callable[[], LiveSnapshot | None]
    prefs: Prefs

    def run(self, name: str, arguments: Mapping[str, Any]) -> str:
        """The JSON result of tool ``name``; raises :class:`ToolError`."""
        if name not in NAMES:
            raise ToolError(f"unknown tool {name!r}; the tools are {', '.join(sorted(NAMES))}")
        if not isinstance(arguments, Mapping):
            raise ToolError("the tool input must be a JSON object")
        method: Callable[[Mapping[str, Any]], dict[str, Any]] = getattr(self, f"_{name}")
        try:
            return bounded(method(arguments))
        except ToolError:
            raise
        except sa.exc.SQLAlchemyError as exc:
            raise ToolError(f"the local log could not be read ({type(exc).__name__})") from exc

    # --- helpers ----------------------------------------------------------------------

    def _engine(self) -> Engine:
        if self.engine is None:
            raise ToolError("no job log yet: nothing has been recorded on this computer")
        return self.engine

    def _live_game(self) -> Game | None:
        snap = self.live()
        if snap is None or snap.frame is None or snap.frame.game is Game.UNKNOWN:
            return None
        return snap.frame.game

    def _game(self, arguments: Mapping[str, Any]) -> Game:
        raw = arguments.get("game")
        if raw is not None:
            try:
                return Game(str(raw))
            except ValueError:
                raise ToolError("game must be 'ats' or 'ets2'") from None
        live = self._live_game()
        if live is not None:
            return live
        with self._engine().connect() as conn:
            row = conn.execute(
                sa.select(jobs.c.game, sa.func.count().label("n"))
                .group_by(jobs.c.game)
                .order_by(sa.desc("n"))
                .limit(1)
            ).first()
        return Game(row[0]) if row is not None else Game.ATS

    @staticmethod
    def _int(arguments: Mapping[str, Any], name: str, default: int, top: int) -> int:
        raw = arguments.get(name, default)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ToolError(f"{name} must be a number")
        return max(1, min(top, int(raw)))

    def _money(self, game: Game) -> Callable[[float | None], str | None]:
        currency = display_currency(game, self.prefs.currency)
        return lambda v: None if v is None else format_money(v, currency)

    def _units_note(self, system: UnitSystem, game: Game) -> dict[str, str]:
        return {"game": game.value, "units": system.value}

    # --- tools ------------------------------------------------------------------------

    def _recent_jobs(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        game = self._game(arguments)
        limit = self._int(arguments, "limit", 10, MAX_ROWS)
        system = self.prefs.system(game)
        money = self._money(game)
        page = job_page(self._engine(), JobQuery(game=game), "id", True, None, limit=limit)
        rows = [
            {
                "route": f"{r.source_city} → {r.destination_city}",
                "cargo": r.cargo,
                "company": r.destination_company,
                "status": r.status.value,
                "revenue": money(r.revenue),
                "profit": money(r.profit),
                "distance": format_distance(r.distance_km, system),
                "late": r.late,
                "truck_damage": f"{r.damage_taken * 100:.1f}%",
                "finished": format_game_time(r.ended_game_min) if r.ended_game_min else None,
            }
            for r in page.rows
        ]
        return {**self._units_note(system, game), "rows": rows}

    def _profitability(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        by = arguments.get("by")
        if by not in ("route", "cargo", "company"):
            raise ToolError("by must be 'route', 'cargo' or 'company'")
        game = self._game(arguments)
        limit = self._int(arguments, "limit", 10, MAX_ROWS)
        system = self.prefs.system(game)
        money = self._money(game)
        groups = aggregate(self._engine(), by, JobQuery(game=game))
        ranked = sorted(groups, key=lambda a: (a.profit is None, -(a.profit or 0.0), -a.jobs))
        rows = []
        for a in ranked[:limit]:
            name = " → ".join(a.key) if by == "route" else a.key[0]
            per_job = None if a.profit is None or not a.delivered else a.profit / a.delivered
            rows.append(
                {
                    by: name,
                    "jobs": a.jobs,
                    "delivered": a.delivered,
                    "on_time": a.on_time,
                    "revenue": money(a.revenue),
                    "profit": money(a.profit),
                    "profit_per_delivery": money(per_job),
                    "distance": format_distance(a.distance_km, system),
                }
            )
        return {**self._units_note(system, game), "groups": len(groups), "rows": rows}

    def _month_rows(self, game: Game, months: int) -> list[tuple[Any, ...]]:
        c = jobs.c
        month = sa.func.substr(sa.func.coalesce(c.ended_at, c.started_at), 1, 7).label("month")
        delivered = c.status == JobStatus.DELIVERED.value
        stmt = (
            sa.select(
                month,
                sa.func.count(),
                sa.func.total(c.distance_km),
                sa.func.total(c.fuel_used_l),
                sa.func.total(c.fuel_cost),
                sa.func.total(c.damage_cost),
                sa.func.total(c.fines),
                sa.func.total(c.tolls),
                sa.func.total(c.transport_cost),
                sa.func.total(sa.case((delivered, c.revenue), else_=0)),
                sa.func.total(c.profit),
            )
            .where(c.game == game.value)
            .group_by(month)
            .order_by(month.desc())
            .limit(months)
        )
        with self._engine().connect() as conn:
            return [tuple(r) for r in reversed(conn.execute(stmt).all())]

    def _fuel_economy_trend(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        game = self._game(arguments)
        months = self._int(arguments, "months", 6, 24)
        system = self.prefs.system(game)
        rows = [
            {
                "month": r[0],
                "jobs": int(r[1]),
                "distance": format_distance(float(r[2]), system),
                "fuel": format_volume(float(r[3]), system),
                "economy": format_fuel_economy(float(r[3]), float(r[2]), system),
            }
            for r in self._month_rows(game, months)
        ]
        return {**self._units_note(system, game), "rows": rows}

    def _expenses_by_month(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        game = self._game(arguments)
        months = self._int(arguments, "months", 6, 24)
        system = self.prefs.system(game)
        money = self._money(game)
        rows = [
            {
                "month": r[0],
                "jobs": int(r[1]),
                "fuel": money(float(r[4])),
                "repairs": money(float(r[5])),
                "fines": money(float(r[6])),
                "tolls": money(float(r[7])),
                "ferries_trains": money(float(r[8])),
                "revenue": money(float(r[9])),
                "profit": money(float(r[10])),
            }
            for r in self._month_rows(game, months)
        ]
        return {**self._units_note(system, game), "rows": rows}

    def _snapshot(self) -> LiveSnapshot:
        snap = self.live()
        if snap is None or snap.frame is None:
            raise ToolError("not driving: the game is not running, so there is no live data")
        return snap

    def _current_job(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        snap = self._snapshot()
        assert snap.frame is not None
        f = snap.frame
        job = f.job
        if not job.on_job:
            return {"on_job": False, "note": "no job: the player is driving free"}
        system = self.prefs.system(f.game)
        money = self._money(f.game)
        now = f.header.game_time_min
        left = job.deadline_game_min - now if job.deadline_game_min > 0 else None
        return {
            "on_job": True,
            "cargo": job.cargo,
            "mass": format_mass(job.cargo_mass_kg, system),
            "from": f"{job.source_city} ({job.source_company})",
            "to": f"{job.destination_city} ({job.destination_company})",
            "income": money(job.income),
            "planned_distance": format_distance(job.planned_distance_km, system),
            "route_left": format_route_distance(f.navigation.route_distance_m, system),
            "route_time_left": format_duration(f.navigation.route_time_s / 60),
            "deadline": format_game_time(job.deadline_game_min, weekday=True)
            if job.deadline_game_min > 0
            else None,
            "time_to_deadline": None if left is None else format_duration(left),
            "on_time_if_route_time_holds": None
            if left is None
            else left >= f.navigation.route_time_s / 60,
            "cargo_damage": f"{job.cargo_damage * 100:.1f}%",
            "market": job.job_market,
            "game_time": format_game_time(now, weekday=True),
        }

    def _refuel_advice(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        snap = self._snapshot()
        assert snap.frame is not None
        t, nav = snap.frame.truck, snap.frame.navigation
        system = self.prefs.system(snap.frame.game)
        left_km = nav.route_distance_m / 1000.0
        range_km = t.fuel_range_km
        margin_km = range_km - left_km
        if left_km <= 0:
            verdict = "no route set in the navigation: compare the range with the trip yourself"
        elif margin_km < 0:
            verdict = "refuel before arriving: the range is shorter than the route left"
        elif margin_km < 0.15 * max(range_km, 1.0):
            verdict = "tight: refuel on the way to keep a reserve"
        else:
            verdict = "enough fuel to arrive with a reserve"
        return {
            "fuel": format_volume(t.fuel_l, system),
            "capacity": format_volume(t.fuel_capacity_l, system),
            "range": format_distance(range_km, system),
            "route_left": format_route_distance(nav.route_distance_m, system),
            "margin": format_distance(margin_km, system) if left_km > 0 else None,
            "fuel_warning": t.fuel_warning,
            "verdict": verdict,
        }

    def _hos_status(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        snap = self._snapshot()
        hos = snap.hos
        if hos is None:
            raise ToolError("the hours-of-service clock has not started yet")
        return {
            "rules": hos.rules.name,
            "next": hos_line(hos),
            "until_break": format_duration(hos.until_break_min),
            "until_daily_rest": format_duration(hos.until_daily_rest_min),
            "driving_today": format_duration(hos.driving_today_min),
            "driving_since_break": format_duration(hos.driving_since_break_min),
            "break_still_needed": format_duration(hos.break_needed_min),
            "game_fatigue_timer": None
            if hos.game_rest_stop_min is None
            else format_duration(hos.game_rest_stop_min),
        }
