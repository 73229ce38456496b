"""Sync to the RoadMaster cloud API: payloads in the contract's units, outbox, client."""
