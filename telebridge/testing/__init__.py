"""Test helpers for code that uses telebridge: a local Bot API emulator.

The emulator needs the ``emulator`` extra (``pip install 'telebridge[emulator]'``),
which brings uvicorn to serve it.
"""

from telebridge.testing._emulator import DEFAULT_TOKEN, BotAPIEmulator
from telebridge.testing._faults import (
    ChatMigrated,
    DropConnection,
    Fault,
    NotJSON,
    RetryAfter,
    ServerError,
    SlowResponse,
    TruncatedBody,
)

__all__ = [
    "DEFAULT_TOKEN",
    "BotAPIEmulator",
    "ChatMigrated",
    "DropConnection",
    "Fault",
    "NotJSON",
    "RetryAfter",
    "ServerError",
    "SlowResponse",
    "TruncatedBody",
]
