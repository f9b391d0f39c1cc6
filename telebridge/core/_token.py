"""Bot token validation and redaction.

The token is a password: it may be checked and stored here, but nothing this
module renders (repr, str, error messages) ever contains it.
"""

from __future__ import annotations

import re

__all__ = ["TOKEN_PLACEHOLDER", "BotToken", "InvalidToken", "redact"]

# BotFather tokens are "<bot id>:<secret>"; the secret is URL-safe base64-ish.
_TOKEN_RE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{1,255}")

# Stands in for the token in every URL the transports build, so that httpx's
# log lines, exceptions and response.request only ever hold this string. The
# characters need no percent-encoding, so the placeholder survives httpx's
# URL normalisation byte for byte.
TOKEN_PLACEHOLDER = "~telebridge-token~"

_REDACTED = "<redacted>"


class InvalidToken(ValueError):
    """The bot token is not of the form ``<bot id>:<secret>``."""


class BotToken:
    """A validated bot token that never shows itself in a repr or str."""

    __slots__ = ("_value", "bot_id")

    def __init__(self, token: str) -> None:
        if not isinstance(token, str):
            raise InvalidToken(f"the bot token must be a str, got {type(token).__name__}")
        if _TOKEN_RE.fullmatch(token) is None:
            # Describe the shape only: a typo'd token is still mostly secret.
            raise InvalidToken(
                "the bot token is malformed: expected '<bot id>:<secret>' as issued by "
                "@BotFather (digits, a colon, then letters, digits, '-' or '_'); "
                f"got a string of {len(token)} characters"
            )
        self._value = token
        self.bot_id = int(token.partition(":")[0])

    def reveal(self) -> str:
        """Return the real token; only the transport edge should call this."""
        return self._value

    def __repr__(self) -> str:
        return f"BotToken(bot_id={self.bot_id}, secret={_REDACTED})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BotToken):
            return NotImplemented
        return self._value == other._value

    def __hash__(self) -> int:
        return hash(self._value)


def redact(text: str, token: BotToken) -> str:
    """Return *text* with every occurrence of the token's secret replaced."""
    secret = token.reveal().partition(":")[2]
    if secret and secret in text:
        text = text.replace(secret, _REDACTED)
    return text
