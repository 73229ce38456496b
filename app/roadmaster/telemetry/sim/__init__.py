"""The telemetry simulator: whole plugin maps written the way the SCS plugin writes
them, from deterministic stories (routes, jobs, fines, ferries) per game.

``simulator`` drives the story, ``scenario`` plans jobs per game, ``world`` holds
routes and the truck model, ``vehicles`` the truck and trailer specs, and
``simwriter`` keeps the map the way the plugin does.
"""

from roadmaster.telemetry.sim.simulator import Simulator, SimulatorSource

__all__ = ["Simulator", "SimulatorSource"]
