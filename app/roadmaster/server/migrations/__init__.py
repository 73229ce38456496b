"""Alembic scripts of the reference server's own schema (separate from the app's)."""
