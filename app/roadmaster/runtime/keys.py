"""Whether the cloud API key is there, for faces that must not know sync's internals."""

from __future__ import annotations

from roadmaster.secrets import CLOUD_API_KEY

__all__ = ["CLOUD_API_KEY", "cloud_key_stored"]


def cloud_key_stored() -> bool:
    """True when ``$ROADMASTER_API_KEY`` or the OS keyring holds a cloud key.  May wait
    on D-Bus: not on the GUI thread.  A malformed key raises ``ConfigError``."""
    from roadmaster.sync.config import load_api_key

    return load_api_key().key is not None
