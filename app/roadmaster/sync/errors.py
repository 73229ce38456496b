"""Sync errors.  :class:`ConfigError` and :class:`SyncBlockedError` are user-fixable
(``UserError``); the transport outcomes are internal signals of the client."""

from __future__ import annotations

from roadmaster.errors import UserError


class ConfigError(UserError):
    """The server URL or API key is unusable; the message says what to do."""


class SyncBlockedError(UserError):
    """``roadmaster sync --once`` could not finish: no key, a refused key, or the
    server unreachable after several tries.  One line, says what to do."""
