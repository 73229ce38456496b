"""Secrets (the cloud API key, the Anthropic key) in the OS keyring only.

Every entry lives under the service name ``RoadMaster`` with the secret's name as
the keyring "username" (e.g. ``cloud-api-key``).  Where the keyring has no secure
backend (a headless Linux box without Secret Service, the ``fail`` or ``null``
backends, the plaintext backends of ``keyrings.alt``) :func:`keyring_status` says so
and :func:`set_secret` refuses: DESIGN.md forbids a silent plaintext file.  The
caller then keeps the secret for the session only (or the user sets an environment
variable for headless use).

A secret never appears in a message or a log line; :func:`redact` gives the
4-character prefix that may.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Final

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from roadmaster.errors import UserError

log = logging.getLogger(__name__)

SERVICE: Final = "RoadMaster"
CLOUD_API_KEY: Final = "cloud-api-key"
ANTHROPIC_API_KEY: Final = "anthropic-api-key"
#: The environment variable that stands in for each secret in headless use.
ENV_VARIABLES: Final = {CLOUD_API_KEY: "ROADMASTER_API_KEY", ANTHROPIC_API_KEY: "ANTHROPIC_API_KEY"}

#: Backends that store nothing (fail, null) or store in clear text (keyrings.alt).
_INSECURE_MODULES: Final = (
    "keyring.backends.fail",
    "keyring.backends.null",
    "keyrings.alt.file",
    "keyrings.alt.Gnome",  # no encryption of its own
)


#: An API key, whole or cut short, in any case (``rm_`` and the hex run after it), and
#: any run of 16+ hex digits (the tail of a key whose prefix was cut off).
_KEYLIKE: Final = re.compile(r"rm_[0-9a-f]*|[0-9a-f]{16,}", re.IGNORECASE)

_lock = threading.Lock()
_generation = 0  # bumped by every set/delete: readers re-read only then
_read_problem: dict[str, str | None] = {}  # the last read outcome per secret, for logging


class KeyringError(UserError):
    """The OS keyring could not be read or written."""


def redact(secret: str | None) -> str:
    """What may be shown of a secret: its first 4 characters and an ellipsis."""
    if not secret:
        return "(none)"
    return f"{secret[:4]}…"


def redact_text(text: str) -> str:
    """``text`` with anything that looks like an API key (or a piece of one) replaced:
    for reasons taken from a server's answer, which may echo the key cut short or in
    another case."""
    return _KEYLIKE.sub(lambda m: "rm_…" if m.group(0)[:3].lower() == "rm_" else "…", text)


def generation() -> int:
    """A number that changes whenever this process stores or deletes a secret: a
    cached secret needs reading again only when it differs."""
    return _generation


def _bump() -> None:
    global _generation
    with _lock:
        _generation += 1


def _backend_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _insecure(backend: KeyringBackend) -> bool:
    module = type(backend).__module__
    if module.startswith(_INSECURE_MODULES):
        return True
    # The chainer is secure only if it chains at least one secure backend.
    members = getattr(backend, "backends", None)
    if module.startswith("keyring.backends.chainer") and isinstance(members, list):
        return not members or all(_insecure(b) for b in members)
    return False


def keyring_status(name: str = CLOUD_API_KEY) -> tuple[bool, str]:
    """(secure, message) about the keyring this process would use; the message names
    the environment variable that stands in for secret ``name``."""
    env = ENV_VARIABLES.get(name, "ROADMASTER_API_KEY")
    try:
        backend = keyring.get_keyring()
    except keyring.errors.KeyringError as exc:
        return False, f"The OS keyring is not available ({type(exc).__name__})."
    backend_name = _backend_name(backend)
    if _insecure(backend):
        return (
            False,
            f"No secure keyring is available (backend {backend_name}): keys are kept for this "
            "session only. Install and unlock a keyring (Windows Credential Manager, "
            f"macOS Keychain, GNOME Keyring / KWallet) or set {env} for "
            "headless use.",
        )
    return True, f"Secrets are stored in the OS keyring ({backend_name})."


def get_secret(name: str) -> str | None:
    """The stored secret called ``name`` (None if there is none or no usable keyring).
    A failure is logged when it starts (and the recovery when it ends), not on every
    read: a caller polling the keyring must not flood the log."""
    try:
        value = keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError as exc:
        # The exception text may come from the backend: log its type only.
        problem = type(exc).__name__
        if _note_read(name, problem):
            log.warning("could not read %s from the OS keyring (%s)", name, problem)
        return None
    if _note_read(name, None):
        log.info("%s can be read from the OS keyring again", name)
    return value


def _note_read(name: str, problem: str | None) -> bool:
    """Record the outcome of a read; True when it differs from the previous one (a
    first successful read is no change worth a line)."""
    with _lock:
        first = name not in _read_problem
        before = _read_problem.get(name)
        _read_problem[name] = problem
    return before != problem and not (first and problem is None)


def set_secret(name: str, value: str) -> None:
    """Store ``value`` under ``name``.  Raises :class:`KeyringError` when the keyring
    is insecure or refuses (nothing is written anywhere else)."""
    secure, message = keyring_status(name)
    if not secure:
        raise KeyringError(message)
    _bump()
    try:
        keyring.set_password(SERVICE, name, value)
    except keyring.errors.KeyringError as exc:
        raise KeyringError(
            f"The OS keyring refused to store the {name} ({type(exc).__name__}). Unlock "
            f"the keyring and try again, or set {ENV_VARIABLES.get(name, 'ROADMASTER_API_KEY')} "
            "for headless use."
        ) from None


def delete_secret(name: str) -> bool:
    """Remove the secret called ``name``; False if there was none."""
    _bump()
    try:
        keyring.delete_password(SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise KeyringError(
            f"The OS keyring refused to delete the {name} ({type(exc).__name__})."
        ) from None
    return True
