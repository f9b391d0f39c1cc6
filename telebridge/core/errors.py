"""The exception hierarchy shared by both transports.

Two branches hang under :class:`TelegramError`:

* :class:`ApiError`: Telegram answered and said no. The request reached the
  server; repeating it unchanged will usually fail the same way (except
  :class:`RetryAfter` and :class:`ServerError`).
* :class:`NetworkError`: no usable answer arrived. ``sent`` tells whether the
  request may have reached Telegram (a send that timed out may have been
  delivered; a refused connection was not).

No message built here contains the bot token, and every exception pickles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ApiError",
    "BadRequest",
    "ChatMigrated",
    "Conflict",
    "EventLoopMismatch",
    "Forbidden",
    "InvalidResponse",
    "NetworkError",
    "NotFound",
    "RetryAfter",
    "ServerError",
    "TelegramError",
    "TimedOut",
    "Unauthorized",
    "api_error_from_payload",
]


class TelegramError(Exception):
    """Base class of every error telebridge raises about a Bot API call."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions with keyword-only constructors do not pickle by default:
        # rebuild from the instance dict instead of from ``args``.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[TelegramError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ApiError(TelegramError):
    """Telegram answered the call with ``ok: false``."""

    def __init__(
        self,
        description: str,
        *,
        method: str,
        error_code: int,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{method}: {description} (error_code {error_code})")
        self.method = method
        self.error_code = error_code
        self.description = description
        self.parameters: dict[str, Any] = dict(parameters or {})


class BadRequest(ApiError):
    """HTTP 400: the call's parameters were rejected."""


class ChatMigrated(BadRequest):
    """The group became a supergroup; resend to :attr:`migrate_to_chat_id`."""

    @property
    def migrate_to_chat_id(self) -> int:
        return int(self.parameters["migrate_to_chat_id"])


class Unauthorized(ApiError):
    """HTTP 401: the bot token was rejected (revoked or wrong)."""


class Forbidden(ApiError):
    """HTTP 403: the bot may not do this (blocked by the user, kicked, ...)."""


class NotFound(ApiError):
    """HTTP 404: unknown method, or a wrong Bot API server address."""


class Conflict(ApiError):
    """HTTP 409: a webhook is set, or another instance is polling."""


class RetryAfter(ApiError):
    """HTTP 429: flood control; wait :attr:`retry_after` seconds."""

    @property
    def retry_after(self) -> int:
        return int(self.parameters.get("retry_after", 0))


class ServerError(ApiError):
    """HTTP 5xx: Telegram (or the local Bot API server) failed."""


class InvalidResponse(TelegramError):
    """The server answered with something that is not a Bot API response."""

    def __init__(self, reason: str, *, method: str, status_code: int) -> None:
        super().__init__(f"{method}: invalid response (HTTP {status_code}): {reason}")
        self.method = method
        self.status_code = status_code
        self.reason = reason


class NetworkError(TelegramError):
    """The call got no usable answer: connection, protocol or timeout trouble.

    ``sent`` is False only when the request provably never left (the
    connection was refused, or no pooled connection became free), so that
    repeating it cannot deliver a message twice.
    """

    def __init__(self, reason: str, *, method: str, sent: bool) -> None:
        detail = "may have been sent" if sent else "was not sent"
        super().__init__(f"{method}: {reason} (the request {detail})")
        self.method = method
        self.reason = reason
        self.sent = sent


class TimedOut(NetworkError):
    """A connect, read, write or pool timeout expired."""


class EventLoopMismatch(TelegramError, RuntimeError):
    """A user-supplied ``httpx.AsyncClient`` was used from a second event loop."""


_ERRORS_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: RetryAfter,
}


def api_error_from_payload(method: str, status_code: int, payload: Mapping[str, Any]) -> ApiError:
    """Build the typed error for an ``ok: false`` answer."""
    code = payload.get("error_code")
    if not isinstance(code, int) or isinstance(code, bool):
        code = status_code
    description = payload.get("description")
    if not isinstance(description, str):
        description = "no description"
    parameters = payload.get("parameters")
    if not isinstance(parameters, Mapping):
        parameters = {}

    if "migrate_to_chat_id" in parameters:
        cls: type[ApiError] = ChatMigrated
    elif "retry_after" in parameters:
        cls = RetryAfter
    elif code >= 500:
        cls = ServerError
    else:
        cls = _ERRORS_BY_CODE.get(code, ApiError)
    return cls(description, method=method, error_code=code, parameters=parameters)
