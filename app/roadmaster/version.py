"""This installation's version, for ``--version``, About and the installers."""

from __future__ import annotations

import importlib.metadata


def version() -> str:
    """The version in the package metadata (a frozen bundle carries it too)."""
    try:
        return importlib.metadata.version("roadmaster")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
