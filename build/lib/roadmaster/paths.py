"""Where RoadMaster keeps its files: the data directory (database, logs, recordings)
and the config directory (settings).  ``ROADMASTER_HOME`` or ``--data-dir`` overrides
both (everything then lives under that one folder)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "RoadMaster"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``override``, else ``$ROADMASTER_HOME``, else the
    platform's user data directory."""
    if override:
        return Path(override).expanduser()
    home = os.environ.get("ROADMASTER_HOME")
    if home:
        return Path(home).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir(override: str | os.PathLike[str] | None = None) -> Path:
    if override or os.environ.get("ROADMASTER_HOME"):
        return data_dir(override) / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def log_dir(override: str | os.PathLike[str] | None = None) -> Path:
    if override or os.environ.get("ROADMASTER_HOME"):
        return data_dir(override) / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
