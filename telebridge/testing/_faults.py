"""Faults the emulator can inject into its next answers.

Each fault describes what the server does instead of (or before) answering
normally. They are plain data so a test reads like a script of what goes
wrong: ``emulator.inject_fault(RetryAfter(3), method="sendMessage")``.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class RetryAfter:
    """Answer 429 Too Many Requests with ``parameters.retry_after``."""

    seconds: int


@attrs.frozen
class ServerError:
    """Answer with a 5xx status: Telegram's JSON error, or a proxy's HTML page."""

    status: int = 500
    description: str = "Internal Server Error"
    html: bool = False


@attrs.frozen
class SlowResponse:
    """Wait ``delay`` seconds, then answer normally."""

    delay: float


@attrs.frozen
class DropConnection:
    """Read the request, then abort the TCP connection without answering."""


@attrs.frozen
class TruncatedBody:
    """Promise a body in Content-Length, send half of it, then abort the connection."""


@attrs.frozen
class NotJSON:
    """Answer 200 with a body that is not JSON."""


@attrs.frozen
class ChatMigrated:
    """Answer 400: the group was upgraded to the supergroup ``new_chat_id``."""

    new_chat_id: int


Fault = (
    RetryAfter
    | ServerError
    | SlowResponse
    | DropConnection
    | TruncatedBody
    | NotJSON
    | ChatMigrated
)
