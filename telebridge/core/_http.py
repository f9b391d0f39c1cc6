"""Request descriptions and response parsing: the sans-I/O heart of telebridge.

A transport does three things with a call: ``prepare_request`` (pure),
send the bytes (its only job), ``parse_response`` (pure).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

from telebridge.core._files import InputFile, MultipartForm, build_multipart
from telebridge.core._method import TelegramMethod
from telebridge.core._token import TOKEN_PLACEHOLDER
from telebridge.core.errors import InvalidResponse, TelegramError, api_error_from_payload

__all__ = [
    "DOWNLOAD_METHOD",
    "LONG_POLL_MIN_MARGIN",
    "PreparedRequest",
    "download_error",
    "parse_response",
    "prepare_download",
    "prepare_request",
    "read_timeout_for",
]

# The name download errors carry as their ``method``: a file download is no
# Bot API method, but errors should still say which step failed.
DOWNLOAD_METHOD = "download"

R = TypeVar("R")

# Extra seconds a long poll's read timeout allows beyond the poll itself, at
# least: the server answers at the end of the poll, plus network latency.
LONG_POLL_MIN_MARGIN = 5.0

_JSON_HEADERS = (("Content-Type", "application/json"),)


@attrs.frozen
class PreparedRequest:
    """Everything a transport needs to send one call, and nothing it must decide.

    ``path`` is relative to the Bot API server root and holds
    :data:`TOKEN_PLACEHOLDER` where the token goes: only the transport edge
    puts the real token in, so this object is safe to log or show.

    A call carrying files has an empty ``content`` and a ``form``: the
    multipart plan whose framing the transport sends around the streamed files.
    """

    api_method: str
    http_method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    content: bytes
    # Seconds the server may legitimately hold the request (getUpdates timeout).
    long_poll_timeout: float | None = None
    form: MultipartForm | None = None


class _HasUpload(Exception):
    """Raised out of JSON encoding: the parameters hold a file."""


def _refuse_uploads(value: Any) -> Any:
    if isinstance(value, InputFile):
        raise _HasUpload
    raise TypeError(f"cannot send a {type(value).__name__} to the Bot API")


def prepare_request(
    method: TelegramMethod[Any], *, boundary: str | None = None
) -> PreparedRequest:
    """Describe *method* as an HTTP request, without doing any I/O.

    JSON unless a parameter holds an :class:`InputFile`; then multipart/form-data
    (``boundary`` fixes its boundary, for tests; a random one otherwise).
    """
    if not isinstance(method, TelegramMethod):
        raise TypeError(
            "execute() takes a request object such as SendMessage(...), "
            f"got {type(method).__name__}; call(name, params) takes a method name"
        )
    name = method.api_method
    params = method.to_params()
    path = f"/bot{TOKEN_PLACEHOLDER}/{name}"
    try:
        # Encoding straight away, and building a multipart form only when the
        # encoder meets a file, spares the common file-less call a tree walk.
        # ensure_ascii=False keeps non-ASCII text at its UTF-8 size on the wire.
        content = json.dumps(
            params, ensure_ascii=False, separators=(",", ":"), default=_refuse_uploads
        ).encode()
    except UnicodeEncodeError:
        # Only a lone surrogate (half of a UTF-16 pair) cannot be UTF-8.
        raise ValueError(
            f"{name}: a text parameter holds a lone surrogate character, which Telegram "
            "cannot receive; decode the text with errors='replace' first"
        ) from None
    except _HasUpload:
        form = build_multipart(params, boundary)
        return PreparedRequest(
            api_method=name,
            http_method="POST",
            path=path,
            headers=(("Content-Type", form.content_type),),
            content=b"",
            long_poll_timeout=method.long_poll_timeout,
            form=form,
        )
    return PreparedRequest(
        api_method=name,
        http_method="POST",
        path=path,
        headers=_JSON_HEADERS,
        content=content,
        long_poll_timeout=method.long_poll_timeout,
    )


def prepare_download(file_path: str) -> PreparedRequest:
    """Describe the GET that fetches *file_path* (from getFile) from the file endpoint."""
    if not file_path or file_path.startswith("/"):
        raise ValueError("a download needs the relative file_path that getFile returned")
    if ".." in file_path.split("/"):
        # It would climb out of /file/bot<token>/ on the server.
        raise ValueError(f"a file_path may not contain '..' segments, got {file_path!r}")
    quoted = urllib.parse.quote(file_path, safe="/")
    return PreparedRequest(
        api_method=DOWNLOAD_METHOD,
        http_method="GET",
        path=f"/file/bot{TOKEN_PLACEHOLDER}/{quoted}",
        headers=(),
        content=b"",
    )


def download_error(status_code: int, headers: Mapping[str, str], body: bytes) -> TelegramError:
    """Return the error for a file download that did not answer 200."""
    try:
        payload = _load_payload(DOWNLOAD_METHOD, status_code, headers, body)
    except InvalidResponse as error:
        return error
    if payload.get("ok") is False:
        return api_error_from_payload(DOWNLOAD_METHOD, status_code, payload)
    return InvalidResponse(
        "the file endpoint answered without the file",
        method=DOWNLOAD_METHOD,
        status_code=status_code,
    )


def read_timeout_for(request: PreparedRequest, default_read: float | None) -> float | None:
    """Return the read timeout for *request* given the client's default.

    A long poll must never time out before the server answers it, so its read
    timeout is the poll time plus a margin, whatever the default is.
    """
    poll = request.long_poll_timeout
    if poll is None or default_read is None:
        return default_read
    return poll + max(default_read, LONG_POLL_MIN_MARGIN)


def parse_response(
    method: TelegramMethod[R],
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
) -> R:
    """Return the typed result of a Bot API answer, or raise the matching error.

    Anything that is not a Bot API answer (HTML from a proxy, truncated JSON,
    a result of the wrong shape) raises :class:`InvalidResponse`, never a
    bare ``JSONDecodeError`` or ``KeyError``.
    """
    name = method.api_method
    payload = _load_payload(name, status_code, headers, body)

    if payload.get("ok") is not True:
        if payload.get("ok") is False:
            raise api_error_from_payload(name, status_code, payload)
        raise InvalidResponse("no 'ok' field", method=name, status_code=status_code)
    if "result" not in payload:
        raise InvalidResponse("'ok' without a 'result'", method=name, status_code=status_code)

    try:
        return method.decode_result(payload["result"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        reason = f"unexpected result shape ({type(exc).__name__}: {exc})"
        raise InvalidResponse(reason, method=name, status_code=status_code) from None


def _load_payload(
    name: str, status_code: int, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        content_type = headers.get("content-type", "no content type")
        reason = f"{len(body)} bytes of {content_type} that are not JSON"
        raise InvalidResponse(reason, method=name, status_code=status_code) from None
    if not isinstance(payload, dict):
        reason = f"a JSON {type(payload).__name__} instead of an object"
        raise InvalidResponse(reason, method=name, status_code=status_code)
    return payload
