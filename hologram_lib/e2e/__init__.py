"""The end-to-end probe: IPFS publish → marketplace publish → install → resolve → search → cleanup.

`events` writes and reads events.jsonl, `discovery` finds the marketplace's operations, `probe` runs the
steps, `summary` condenses the log for triage.
"""
