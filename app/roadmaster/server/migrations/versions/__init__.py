"""Revisions of the reference server schema."""
