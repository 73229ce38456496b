"""Which claimed outbox rows go out together in one request.

Everything but telemetry goes alone.  Telemetry rows that follow each other go as
one batch when the server has the batch feature, up to the smallest of the
worker's batch size, the contract's cap and the server's own cap; a row marked to
go alone (it failed inside a batch) ends the batch before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from roadmaster.storage.outbox import OutboxRow
from roadmaster.sync import contract
from roadmaster.sync.client import ServerInfo


@dataclass(slots=True)
class Group:
    """The rows of one request."""

    kind: str
    rows: list[OutboxRow]
    batch: bool = False

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.rows]


def batch_limit(server: ServerInfo, batch_size: int) -> int:
    """How many telemetry rows one request may carry to ``server`` (1: no batches)."""
    if not server.has(contract.FEATURE_BATCH):
        return 1
    limit = min(batch_size, contract.MAX_BATCH_SAMPLES)
    if server.max_batch_samples:
        limit = min(limit, server.max_batch_samples)
    return max(1, limit)


def next_group(claim: Sequence[OutboxRow], single_ids: set[int], limit: int) -> Group:
    """The request at the head of ``claim`` (non-empty), ``limit`` as from
    :func:`batch_limit`; rows in ``single_ids`` go alone."""
    head = claim[0]
    if head.kind != "telemetry":
        return Group(head.kind, [head])
    limit = 1 if head.id in single_ids else limit
    rows = [head]
    for row in claim[1:limit]:
        if row.kind != "telemetry" or row.id in single_ids:
            break
        rows.append(row)
    return Group("telemetry", rows, batch=limit > 1)
