"""Dispatcher errors in plain words; the SDK's and httpx2's are mapped here."""

from __future__ import annotations

from roadmaster.errors import UserError


class DispatcherError(UserError):
    """Roadie could not answer; ``str()`` says why and what to do."""

    #: a short machine name for tests and the dock's styling
    kind: str = "error"

    def __init__(
        self, message: str, *, partial: str = "", retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.partial = partial  # the text that did arrive, if any
        self.retry_after_s = retry_after_s  # the server's Retry-After, when it sent one


class NoKeyError(DispatcherError):
    kind = "no_key"


class InvalidKeyError(DispatcherError):
    kind = "invalid_key"


class RateLimitedError(DispatcherError):
    kind = "rate_limited"


class OverloadedError(DispatcherError):
    kind = "overloaded"


class NetworkError(DispatcherError):
    kind = "network"


class TimedOutError(DispatcherError):
    kind = "timeout"


class IncompleteAnswerError(DispatcherError):
    kind = "incomplete"


class ModelError(DispatcherError):
    kind = "model"


class RequestCapError(DispatcherError):
    kind = "cap"


class ServerError(DispatcherError):
    kind = "server"
