"""Telemetry: the SCS plugin's shared memory read, decoded and simulated.

The public names most callers need::

    from roadmaster.telemetry import Frame, decode, decode_raw, open_source

``open_source(spec)`` opens a source of snapshots (the game's map, a file, a
recording or the simulator); ``decode(buffer)`` turns one snapshot into a typed
:class:`Frame`; ``decode_raw(buffer)`` gives every member under the plugin's names.
"""

from roadmaster.telemetry.codec import decode_raw
from roadmaster.telemetry.decoding import decode
from roadmaster.telemetry.frame import Frame
from roadmaster.telemetry.readers import open_source
from roadmaster.telemetry.source import Snapshot, Source

__all__ = ["Frame", "Snapshot", "Source", "decode", "decode_raw", "open_source"]
