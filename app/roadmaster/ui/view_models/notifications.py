"""What the player is told about events: balloon notifications (tray or status
bar) and the event log's lines, with money in the player's currency."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from roadmaster.jobs.events import (
    Fined,
    GameConnected,
    GameDisconnected,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobStarted,
    RefuelPaid,
    TollPaid,
    Transport,
)
from roadmaster.settings import Settings, display_currency
from roadmaster.telemetry.frame import Game
from roadmaster.units import format_money

# One batch of events (a replay, a reconnect) must not bury the desktop in balloons.
MAX_NOTIFICATIONS_PER_BATCH = 3


@dataclass(frozen=True, slots=True)
class Notification:
    title: str
    message: str
    warning: bool = False  # a problem the user should look at (shown with a warning icon)


def notification_for(
    event: object, settings: Settings | None = None, game: Game = Game.UNKNOWN
) -> Notification | None:
    """The notification an event deserves, or None (samples, pauses, tolls …).
    ``game`` is the game being played: a fine carries none, and its money is
    labelled with that game's currency (or the player's choice).

    ``AchievementUnlocked`` and ``SyncBlocked`` are matched by class name so that
    this module does not depend on where (or whether) they are defined."""
    settings = settings or Settings()
    name = type(event).__name__
    if isinstance(event, JobStarted):
        if event.resumed:
            return None  # seen mid-job (app restart): not news to the player
        info = event.info
        money = format_money(info.income, display_currency(info.game, settings.display.currency))
        return Notification(
            "Job started",
            f"{info.cargo}: {info.source_city} → {info.destination_city} for {money}.",
        )
    if isinstance(event, JobDelivered):
        currency = display_currency(event.info.game, settings.display.currency)
        econ = event.economics  # settled once by the capture, with the player's prices
        profit = f", profit {format_money(econ.net_profit, currency)}" if econ else ""
        late = " (late)" if event.late else ""
        return Notification(
            "Delivered" + late,
            f"{event.info.cargo} to {event.info.destination_city}: "
            f"revenue {format_money(event.revenue, currency)}{profit}.",
        )
    if isinstance(event, Fined):
        offence = event.offence.replace("_", " ") if event.offence else "an offence"
        # A fine carries no game: the game being played says which currency; with
        # none known and "the game's currency", the symbol is left out, not guessed.
        money = format_money(event.amount, display_currency(game, settings.display.currency))
        return Notification("Fined", f"{money} for {offence}.", True)
    if name == "AchievementUnlocked":
        title = getattr(event, "title", "") or getattr(
            getattr(event, "achievement", None), "title", "An achievement"
        )
        description = getattr(event, "description", "") or getattr(
            getattr(event, "achievement", None), "description", ""
        )
        return Notification(f"Achievement unlocked: {title}", description or title)
    if name == "SyncBlocked":
        reason = getattr(event, "message", "") or getattr(event, "reason", "")
        return sync_blocked_notification(str(reason))
    return None


def sync_blocked_notification(reason: str) -> Notification:
    return Notification(
        "Sync paused",
        (reason or "The cloud refused the API key.")
        + " Your data is kept locally and will be sent once this is fixed.",
        True,
    )


def notifications_for(
    events: Iterable[object], settings: Settings | None = None, game: Game = Game.UNKNOWN
) -> list[Notification]:
    """The notifications for one batch, at most :data:`MAX_NOTIFICATIONS_PER_BATCH`;
    the rest are summed up in one last line."""
    return limit_batch([n for n in (notification_for(e, settings, game) for e in events) if n])


def limit_batch(found: Sequence[Notification]) -> list[Notification]:
    """At most :data:`MAX_NOTIFICATIONS_PER_BATCH` of one batch; the rest are summed
    up in one last line."""
    found = list(found)
    if len(found) <= MAX_NOTIFICATIONS_PER_BATCH:
        return found
    keep = found[: MAX_NOTIFICATIONS_PER_BATCH - 1]
    rest = len(found) - len(keep)
    return [*keep, Notification("RoadMaster", f"…and {rest} more (see the job log).")]


def event_line(
    event: object, settings: Settings | None = None, game: Game = Game.UNKNOWN
) -> tuple[str, str] | None:
    """(title, text) of the event log for an event that is not a notification;
    None for events the log does not show (samples …).  Money is labelled with the
    player's currency choice (``game``: the game being played, for events that
    carry none)."""
    settings = settings or Settings()
    game = getattr(getattr(event, "info", None), "game", game)
    money = display_currency(game, settings.display.currency)
    if isinstance(event, JobStarted):
        i = event.info
        verb = "Job resumed" if event.resumed else "Job started"
        return (verb, f"{i.cargo}: {i.source_city} → {i.destination_city}")
    if isinstance(event, JobDelivered):
        late = " (late)" if event.late else ""
        return (
            f"Delivered{late}",
            f"{event.info.cargo} to {event.info.destination_city}: "
            f"paid {format_money(event.revenue, money)}",
        )
    if isinstance(event, JobCancelled):
        return (
            "Job cancelled",
            f"{event.info.cargo}: penalty {format_money(event.penalty, money)}",
        )
    if isinstance(event, JobAbandoned):
        return ("Job closed", f"{event.info.cargo}: {event.reason}")
    if isinstance(event, Fined):
        return ("Fined", f"{format_money(event.amount, money)} for {event.offence}")
    if isinstance(event, TollPaid):
        return ("Toll", f"paid {format_money(event.amount, money)}")
    if isinstance(event, Transport):
        return (
            event.kind.capitalize(),
            f"{event.source_name} → {event.target_name}: {format_money(event.amount, money)}",
        )
    if isinstance(event, RefuelPaid):
        return ("Refuelled", f"{event.amount_l:.0f} l")
    if isinstance(event, GameConnected):
        return ("Game connected", f"{event.game.name}, plugin revision {event.revision}")
    if isinstance(event, GameDisconnected):
        return ("Game disconnected", event.reason)
    return None


def log_line(title: str, text: str, at: datetime) -> str:
    """A line of the job panel's recent events, stamped with the local time it
    happened ("14:05  Fined: €250 for speeding")."""
    return f"{at:%H:%M}  {title}: {text}"
