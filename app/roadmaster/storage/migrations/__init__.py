"""Alembic migrations of the RoadMaster database (a package so that the scripts ship
with an installed app; run them through :mod:`roadmaster.storage.migrate`)."""
