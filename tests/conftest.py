from __future__ import annotations

# A token of the right shape whose secret is easy to search for in logs,
# reprs and tracebacks: if it ever shows up anywhere, a test fails.
CANARY_SECRET = "AAHcanary-S3cret_never-SHOWN"
CANARY_TOKEN = f"987654321:{CANARY_SECRET}"
