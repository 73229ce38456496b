"""The user's settings: a versioned JSON file in the config directory.

No secrets here, ever: the cloud API key and the Anthropic key live in the OS
keyring (:mod:`roadmaster.secrets`).  Unknown fields are ignored rather than
rejected: a file written by a newer RoadMaster may carry fields this version does
not know, and loading it must not fail (they are dropped on the next save).

Window geometry and the overlay's position are not settings either: they live in
``QSettings``, owned by the UI.

The file is written atomically (a temporary file in the same folder, flushed and
fsynced, then ``os.replace``), so a crash mid-write leaves the previous file intact.
A file that cannot be read is kept as ``settings.json.bak`` and the defaults are
used; :class:`LoadResult` says what happened so the UI can tell the user.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from roadmaster.jobs.economics import (
    DASHBOARD_FUEL_PRICE_PER_GAL,
    DASHBOARD_REPAIR_COST_FULL,
    EconomySettings,
)
from roadmaster.paths import config_dir
from roadmaster.sync.config import SERVER_URL_SETTING, validate_server_url
from roadmaster.sync.errors import ConfigError
from roadmaster.telemetry.frame import Game
from roadmaster.units import L_PER_US_GALLON, Currency, UnitPreference, currency_for

log = logging.getLogger(__name__)

SETTINGS_VERSION: Final = 1
FILE_NAME: Final = "settings.json"
# No server until the user names one: the app works fully locally without it.
DEFAULT_SERVER_URL: Final = ""
DEFAULT_DISPATCHER_MODEL: Final = "claude-sonnet-5-5"

OverlayItem = Literal["speed", "gear", "fuel", "route", "deadline", "warning"]
OVERLAY_ITEMS: Final[tuple[OverlayItem, ...]] = (
    "speed",
    "gear",
    "fuel",
    "route",
    "deadline",
    "warning",
)
CurrencyDisplay = Literal["game", "USD", "EUR", "GBP", "CAD", "AUD"]


class _Section(BaseModel):
    # Unknown keys are ignored (see the module docstring); values are validated
    # again on assignment so the dialog cannot build an invalid model.
    model_config = ConfigDict(extra="ignore", validate_assignment=True, frozen=False)


class CloudSettings(_Section):
    server_url: str = DEFAULT_SERVER_URL
    sync_enabled: bool = True

    @field_validator("server_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.strip():
            return ""
        problem = server_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value.strip().rstrip("/")


class DispatcherSettings(_Section):
    model: str = Field(default=DEFAULT_DISPATCHER_MODEL, min_length=1, max_length=100)
    # "": the SDK's default (or ANTHROPIC_BASE_URL); a proxy or gateway otherwise
    base_url: str = Field(default="", max_length=300)
    max_tokens: int = Field(default=1024, ge=64, le=8192)  # per answer
    requests_per_hour: int = Field(default=30, ge=1, le=1000)  # API requests, rolling hour


class GameSettings(_Section):
    # "auto": the plugin's shared memory where the known builds put it;
    # "path": a file the user names (a Wine/Proton prefix mapping, a custom build).
    telemetry_source: Literal["auto", "path"] = "auto"
    telemetry_path: str = ""


class DisplaySettings(_Section):
    units: UnitPreference = "auto"
    # Which symbol money is labelled with; amounts are never converted (the game
    # pays in its own currency and we have no exchange rates).
    currency: CurrencyDisplay = "game"


class EconomyPreferences(_Section):
    """The P&L assumptions; SI inside (price per litre), shown in the user's units."""

    fuel_price_per_l: float = Field(
        default=DASHBOARD_FUEL_PRICE_PER_GAL / L_PER_US_GALLON, gt=0, le=100
    )
    # Multiplies the dashboard's 10,000 for 100 % damage (economy mods change it).
    repair_cost_scale: float = Field(default=1.0, gt=0, le=100)

    def economy(self) -> EconomySettings:
        return EconomySettings(
            fuel_price_per_l=self.fuel_price_per_l,
            repair_cost_full=DASHBOARD_REPAIR_COST_FULL * self.repair_cost_scale,
        )


class CaptureSettings(_Section):
    sample_interval_s: float = Field(default=1.0, ge=0.2, le=60.0)
    start_automatically: bool = True


class OverlaySettings(_Section):
    enabled: bool = False  # shown at start
    items: list[OverlayItem] = Field(default_factory=lambda: list(OVERLAY_ITEMS))
    opacity: float = Field(default=0.85, ge=0.2, le=1.0)
    click_through: bool = False
    hide_when_game_not_running: bool = True
    # telemetry is read at 10 Hz: repainting faster would only show the same frame again
    refresh_hz: int = Field(default=10, ge=10, le=30)

    @field_validator("items")
    @classmethod
    def _known_order(cls, value: list[OverlayItem]) -> list[OverlayItem]:
        # Always the display order, without duplicates, whatever order was saved.
        return [item for item in OVERLAY_ITEMS if item in value]


class StartupSettings(_Section):
    start_minimised: bool = False


class Settings(_Section):
    """Everything the user chooses, except secrets and window geometry."""

    version: int = SETTINGS_VERSION
    cloud: CloudSettings = Field(default_factory=CloudSettings)
    dispatcher: DispatcherSettings = Field(default_factory=DispatcherSettings)
    game: GameSettings = Field(default_factory=GameSettings)
    display: DisplaySettings = Field(default_factory=DisplaySettings)
    economy: EconomyPreferences = Field(default_factory=EconomyPreferences)
    capture: CaptureSettings = Field(default_factory=CaptureSettings)
    overlay: OverlaySettings = Field(default_factory=OverlaySettings)
    startup: StartupSettings = Field(default_factory=StartupSettings)

    def saved(self, key: str) -> Any:
        """Flat look-up for :func:`roadmaster.sync.config.resolve_server_url`
        (``saved("server_url")``); None for a key that is not set."""
        if key == SERVER_URL_SETTING:
            return self.cloud.server_url or None
        return None


_SYMBOLS: Final = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "C$", "AUD": "A$"}


def display_currency(game: Game, choice: CurrencyDisplay) -> Currency:
    """The currency money is labelled with: the game's own ("game": USD for ATS,
    EUR for ETS2) or the user's choice.  Labels only: amounts are never converted."""
    if choice == "game":
        return currency_for(game)
    return Currency(choice, _SYMBOLS[choice])


def server_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a server address (None when it can); the same rule
    as the sync client's (https, or http only to this computer)."""
    try:
        validate_server_url(url)
    except ConfigError as exc:
        return str(exc)
    return None


# --- migration -------------------------------------------------------------------------

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _from_v0(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0: the pre-release flat file (``{"server_url": …, "units": …}``),
    written before sections existed.  Known flat keys move into their sections."""
    moves = {
        "server_url": ("cloud", "server_url"),
        "units": ("display", "units"),
        "currency": ("display", "currency"),
        "sample_interval_s": ("capture", "sample_interval_s"),
        "start_capture": ("capture", "start_automatically"),
        "start_minimised": ("startup", "start_minimised"),
        "fuel_price_per_l": ("economy", "fuel_price_per_l"),
    }
    out: dict[str, Any] = {k: v for k, v in data.items() if k not in moves}
    for flat, (section, key) in moves.items():
        if flat in data:
            out.setdefault(section, {})[key] = data[flat]
    out["version"] = 1
    return out


#: version n → version n + 1
MIGRATIONS: Final[dict[int, Migration]] = {0: _from_v0}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a decoded settings file to :data:`SETTINGS_VERSION`.  A file without a
    version is version 0.  A newer file is left as it is (unknown fields ignored)."""
    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ValueError(f"its version is {version!r}, not a whole number")
    while version < SETTINGS_VERSION:
        data = MIGRATIONS[version](data)
        version = data["version"]
    return data


# --- load and save -----------------------------------------------------------------------


def settings_path(path: str | os.PathLike[str] | None = None) -> Path:
    return Path(path) if path is not None else config_dir() / FILE_NAME


@dataclass(frozen=True, slots=True)
class LoadResult:
    settings: Settings
    path: Path
    problem: str | None = None  # one line for the user when the file was not usable
    backup: Path | None = None  # where the unusable file was kept


def load_settings(path: str | os.PathLike[str] | None = None) -> LoadResult:
    """Read the settings; never raises for a bad file.

    A missing file gives the defaults silently (first run).  An unreadable,
    corrupt or invalid file is copied to ``<name>.bak`` (so a hand edit is not lost)
    and the defaults are used; ``problem`` says so."""
    target = settings_path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadResult(Settings(), target)
    except OSError as exc:
        problem = f"Could not read the settings file {target} ({exc.strerror}); using defaults."
        log.warning("%s", problem)
        return LoadResult(Settings(), target, problem)
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("it does not hold a JSON object")
        newer = isinstance(data.get("version"), int) and data["version"] > SETTINGS_VERSION
        settings = Settings.model_validate(migrate(data))
    except (ValueError, ValidationError) as exc:
        reason = _short_reason(exc)
        backup = _keep_backup(target, text)
        kept = f" It was kept as {backup.name}." if backup else ""
        problem = (
            f"The settings file {target} could not be used ({reason}); "
            f"the defaults are used instead.{kept}"
        )
        log.warning("%s", problem)
        return LoadResult(Settings(), target, problem, backup)
    if newer:
        # Keep the newer number off our model: saving writes what we understand.
        settings.version = SETTINGS_VERSION
        return LoadResult(
            settings,
            target,
            f"The settings were written by a newer RoadMaster (version {data['version']}); "
            "options this version does not know are ignored.",
        )
    return LoadResult(settings, target)


def _short_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON at line {exc.lineno}"
    return str(exc)


def _keep_backup(target: Path, text: str) -> Path | None:
    backup = target.with_name(target.name + ".bak")
    try:
        _write_atomically(backup, text)
    except OSError:
        log.warning("could not keep a backup of the unusable settings at %s", backup)
        return None
    return backup


def save_settings(settings: Settings, path: str | os.PathLike[str] | None = None) -> Path:
    """Write ``settings`` atomically; returns the path.  Raises ``OSError`` (disk
    full, read-only folder): the previous file is then still intact."""
    target = settings_path(path)
    data = settings.model_dump(mode="json")
    data["version"] = SETTINGS_VERSION
    _write_atomically(target, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return target


def _write_atomically(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same folder as the target: os.replace is atomic only within one file system.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open a folder for this."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
