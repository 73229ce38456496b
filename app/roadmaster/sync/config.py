"""Where to sync and with which key: the server URL and the API key, validated.

The URL comes from ``--server``, else ``ROADMASTER_SERVER_URL``, else the saved
setting ``server_url``.  HTTPS is required for anything but this computer: the API
key travels in every request body.  The key comes from ``ROADMASTER_API_KEY``
(headless use) or the OS keyring (:mod:`roadmaster.secrets`) and must match the
contract's ``^rm_[a-f0-9]{64}$`` before anything is sent with it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from roadmaster import secrets
from roadmaster.sync.errors import ConfigError

log = logging.getLogger(__name__)

SERVER_URL_ENV: Final = "ROADMASTER_SERVER_URL"
API_KEY_ENV: Final = "ROADMASTER_API_KEY"
SERVER_URL_SETTING: Final = "server_url"
KEY_PATTERN: Final = re.compile(r"^rm_[a-f0-9]{64}$")


class ApiKey:
    """An API key that cannot leak by accident: ``str()``/``repr()`` show only its
    4-character prefix; :meth:`reveal` is for the request body alone."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not KEY_PATTERN.fullmatch(value):
            # Not even the prefix: a mistyped secret may be another secret.
            raise ConfigError(
                "The RoadMaster API key is malformed: it must be rm_ followed by 64 "
                "lowercase hex digits. Copy it again from the dashboard (Settings → API key)."
            )
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"ApiKey({secrets.redact(self._value)})"

    def __str__(self) -> str:
        return secrets.redact(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_server_url(url: str) -> str:
    """The URL without a trailing slash; raises :class:`ConfigError` for anything but
    ``https://host[:port][/path]`` or ``http://`` to this computer."""
    text = url.strip()
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(
            f"{text!r} is not a server URL: use https://your-server (for example "
            "https://roadmaster.example.com)."
        )
    if parts.scheme == "http" and not _loopback(host):
        raise ConfigError(
            f"Refusing {text}: plain http:// would send your API key unencrypted. Use "
            "https:// (http:// is allowed only for a server on this computer: localhost "
            "or 127.0.0.1)."
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{text!r}: give the server's base URL without ?query or #fragment.")
    return text.rstrip("/")


def resolve_server_url(explicit: str | None, saved: Callable[[str], Any] | None) -> str | None:
    """``--server``, else ``$ROADMASTER_SERVER_URL``, else the saved setting (via
    ``saved(key)``), validated; None when none is configured."""
    for candidate in (explicit, os.environ.get(SERVER_URL_ENV)):
        if candidate:
            return validate_server_url(candidate)
    value = saved(SERVER_URL_SETTING) if saved is not None else None
    if isinstance(value, str) and value:
        return validate_server_url(value)
    return None


@dataclass(frozen=True, slots=True)
class KeySource:
    """Where the key came from (for messages): "environment" or "keyring"."""

    key: ApiKey | None
    origin: str
    problem: str | None = None  # why there is no key, to show the user


def load_api_key() -> KeySource:
    """The API key: ``$ROADMASTER_API_KEY`` first, else the OS keyring.  A malformed
    key raises :class:`ConfigError`; a missing one returns ``key=None`` with the
    reason in ``problem``."""
    env = os.environ.get(API_KEY_ENV)
    if env:
        return KeySource(ApiKey(env.strip()), "environment")
    stored = secrets.get_secret(secrets.CLOUD_API_KEY)
    if stored:
        return KeySource(ApiKey(stored.strip()), "keyring")
    secure, message = secrets.keyring_status()
    hint = "" if secure else f" ({message})"
    return KeySource(
        None,
        "none",
        "No RoadMaster API key: set one with `roadmaster sync --set-key` (stored in the "
        f"OS keyring) or in the ROADMASTER_API_KEY environment variable{hint}.",
    )


class KeyCache:
    """The API key for a sync worker, read once and then only when it may have changed:
    when this process stored or deleted a secret (:func:`secrets.generation`), or when
    the worker asks again (:meth:`refresh`: no key yet, or the server refused it).
    Reading the keyring per request costs a D-Bus round trip each and, when the
    keyring fails, wrote a log line per request.  A problem is logged when it changes.
    Thread: the sync thread (reads), any thread (:meth:`refresh`)."""

    def __init__(self, load: Callable[[], KeySource] = load_api_key) -> None:
        self._load = load
        self._key: ApiKey | None = None
        self._generation: int | None = None
        self._problem: str | None = None

    def __call__(self) -> ApiKey | None:
        if self._generation != secrets.generation():
            self.refresh()
        return self._key

    def refresh(self) -> None:
        """Read the key again (from the environment or the keyring)."""
        self._generation = secrets.generation()
        try:
            source = self._load()
            key, problem = source.key, source.problem
        except ConfigError as exc:
            key, problem = None, str(exc)
        if problem != self._problem:
            if problem is not None:
                log.warning("%s", problem)
            elif self._problem is not None:
                log.info("an API key is available again")
        self._key, self._problem = key, problem
