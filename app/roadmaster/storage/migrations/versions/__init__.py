"""Alembic revision scripts (a package so that they ship as package data)."""
