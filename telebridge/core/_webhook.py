"""Turn a webhook request Telegram sent into a typed Update, without any web framework.

Give :func:`parse_webhook_update` the raw body and the request headers as
your framework hands them over; it returns an :class:`~telebridge.types.Update`
or raises one of the :class:`WebhookError` subclasses below, each carrying
the HTTP status an endpoint should answer with.

The errors are not :class:`~telebridge.TelegramError`\\ s: those report a call
*to* Telegram that failed, while these report a request *from* the outside
that the endpoint rejects, and an ``except TelegramError`` around a handler
should not swallow a forged request.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from telebridge.types import Update

__all__ = [
    "SECRET_TOKEN_HEADER",
    "BodyNotJSON",
    "MissingSecretToken",
    "NotAnUpdate",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSecretError",
    "WrongSecretToken",
    "parse_webhook_update",
]

SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_HEADER_KEY = SECRET_TOKEN_HEADER.lower()

# What setWebhook accepts as secret_token: 1-256 of these characters.
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

HeaderValue = str | bytes
Headers = Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[HeaderValue, HeaderValue]]


class WebhookError(Exception):
    """A webhook request was rejected; answer it with :attr:`status_code`."""

    status_code: ClassVar[int] = 400


class WebhookSecretError(WebhookError):
    """The request did not prove it comes from Telegram: answer 401."""

    status_code: ClassVar[int] = 401


class MissingSecretToken(WebhookSecretError):
    """The request has no ``X-Telegram-Bot-Api-Secret-Token`` header."""


class WrongSecretToken(WebhookSecretError):
    """The ``X-Telegram-Bot-Api-Secret-Token`` header holds another secret."""


class WebhookPayloadError(WebhookError):
    """The request is authentic but its body is not an Update: answer 400."""

    status_code: ClassVar[int] = 400


class BodyNotJSON(WebhookPayloadError):
    """The body is not JSON (or not UTF-8)."""


class NotAnUpdate(WebhookPayloadError):
    """The body is JSON, but not a Bot API Update object."""


def parse_webhook_update(
    body: bytes | bytearray | memoryview | str,
    headers: Headers,
    *,
    secret_token: str | None,
) -> Update:
    """Check a webhook request's secret and return the Update its body holds.

    ``headers`` may be any mapping (matched case-insensitively) or a list of
    ``(name, value)`` pairs, str or bytes, such as an ASGI scope's headers.
    ``secret_token`` is the one given to setWebhook; the header is compared
    in constant time. Pass ``None`` only to accept requests from anyone.

    Raises a :class:`WebhookSecretError` (401) when the secret is missing or
    wrong, checked before the body is read, or a :class:`WebhookPayloadError`
    (400) when the body is not JSON or not an Update; nothing else, whatever
    the request holds. A ``secret_token`` Telegram would refuse raises
    ValueError: that is a setup mistake, not a bad request.
    """
    if secret_token is not None:
        _check_secret(headers, secret_token)

    try:
        data = json.loads(bytes(body) if not isinstance(body, str) else body)
    except (ValueError, RecursionError):
        # ValueError covers bad JSON, bad UTF-8 and oversized integers.
        raise BodyNotJSON(f"the webhook body ({len(body)} bytes) is not JSON") from None

    if not isinstance(data, dict):
        raise NotAnUpdate(f"the webhook body is a JSON {type(data).__name__}, not an object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise NotAnUpdate("the webhook body has no integer update_id")
    try:
        # Imported here: the decoders load every generated type (see telebridge.types).
        from telebridge.core._decode import decode_update

        return decode_update(data)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise NotAnUpdate(
            f"update {update_id} does not match the Bot API's Update shape ({type(exc).__name__})"
        ) from None


def _check_secret(headers: Headers, expected: str) -> None:
    if not isinstance(expected, str) or _SECRET_RE.fullmatch(expected) is None:
        raise ValueError(
            "secret_token must be 1-256 characters of A-Z, a-z, 0-9, '_' and '-', "
            "as setWebhook requires"
        )
    received = _header(headers)
    if received is None:
        raise MissingSecretToken(f"the request has no {SECRET_TOKEN_HEADER} header")
    if not hmac.compare_digest(received, expected.encode()):
        # Never echo either value: the message may end up in a log.
        raise WrongSecretToken(f"the {SECRET_TOKEN_HEADER} header does not match the secret")


def _header(headers: Headers) -> bytes | None:
    """Return the first secret-token header value as bytes, or None."""
    if isinstance(headers, Mapping):
        # Case-insensitive mappings (Starlette, Django, Flask) find it directly.
        for key in (SECRET_TOKEN_HEADER, _HEADER_KEY):
            value = headers.get(key)  # type: ignore[call-overload]
            if value is not None:
                return _as_bytes(value)
        pairs: Iterable[tuple[Any, Any]] = headers.items()
    else:
        pairs = headers
    for name, value in pairs:
        if _as_str(name).lower() == _HEADER_KEY:
            return _as_bytes(value)
    return None


def _as_str(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    # surrogatepass: a header decoded with surrogateescape must not raise here.
    return str(value).encode("utf-8", "surrogatepass")
