"""Economics once: a job's P&L is settled by the capture with the player's prices,
stored with the job, and read — not recomputed — by the tray, the job panel's
last-job line, the job log and the reference server (real HTTP, both backends)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from roadmaster.capture import Capture
from roadmaster.jobs.economics import round_score, score_safety
from roadmaster.jobs.events import Event, JobCancelled, JobDelivered
from roadmaster.server import tables as t
from roadmaster.server.economics import safety_score as server_safety_score
from roadmaster.settings import Settings
from roadmaster.storage import Store
from roadmaster.storage.queries import job_page
from roadmaster.telemetry.recording import ReplaySource
from roadmaster.ui import view_models as vm
from roadmaster.ui.view_models.notifications import notification_for
from roadmaster.units import UnitSystem
from tests.commands.conftest import scripted_session, write_snapshots
from tests.sync.conftest import Server, make_worker


def test_the_same_job_shows_the_same_profit_everywhere(
    store: Store, server: Server, tmp_path: Path
) -> None:
    settings = Settings()
    settings.economy.fuel_price_per_l = 3.0  # an economy mod's prices, not the defaults
    settings.economy.repair_cost_scale = 4.0
    settings.display.currency = "CAD"
    seen: list[Event] = []
    recording = write_snapshots(tmp_path / "session.rec", scripted_session())
    capture = Capture(
        ReplaySource(recording),
        store,
        speed=None,
        economy=settings.economy.economy(),
        on_events=seen.extend,
    )
    capture.run()
    delivered = next(e for e in seen if isinstance(e, JobDelivered))
    cancelled = next(e for e in seen if isinstance(e, JobCancelled))
    assert delivered.economics is not None and cancelled.economics is not None
    profit = delivered.economics.net_profit
    # the fine and the real revenue count: not the dashboard's income − costs
    assert profit != delivered.economics.dashboard_profit
    shown = f"profit C${profit:,.0f}"

    balloon = notification_for(delivered, settings)
    assert balloon is not None and shown in balloon.message
    assert shown in vm.finished_job_text(delivered, UnitSystem.IMPERIAL, "CAD")

    rows = {r.job_key: r for r in job_page(store.engine).rows}
    row = rows[delivered.job_key]
    assert row.profit == profit
    assert shown in vm.job_row_text(row, UnitSystem.IMPERIAL, "CAD")
    assert rows[cancelled.job_key].profit == cancelled.economics.net_profit

    worker, _ = make_worker(store, server.base_url, server.key)
    worker.drain(once=True)
    with server.engine.connect() as conn:
        by_income = {
            income: (p, score)
            for income, p, score in conn.execute(
                sa.select(t.jobs.c.income, t.jobs.c.profit, t.jobs.c.safety_score)
            )
        }
    server_profit, server_score = by_income[delivered.info.income]
    assert round(server_profit, 6) == round(profit, 6)
    assert server_score == delivered.economics.safety_score
    assert round(by_income[cancelled.info.income][0], 6) == round(cancelled.economics.net_profit, 6)


def test_client_and_server_round_a_safety_score_half_up_alike() -> None:
    # 0.0375 damage costs 0.75 points: 99.25, which half-even rounding (Python's
    # round(), the server's before) made 99.2 and the client 99.3.
    for damage, expected in ((0.0375, 99.3), (0.0125, 99.8), (0.1125, 97.8), (0.3625, 92.8)):
        client = score_safety(
            speeding=False, damage_taken=damage, delivered_late=False, fuel_economy_mpg=None
        )
        server = server_safety_score(
            avg_speed_mph=None, damage_taken=damage, delivered_late=False, fuel_economy_mpg=None
        )
        assert client == server == expected
    assert round_score(72.25) == 72.3 and round_score(72.2499) == 72.2
