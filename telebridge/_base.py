"""What the sync and async transports share: settings, URLs, errors, redaction.

Everything here is synchronous and does no network I/O of its own; the two
transports only add sending and their lifecycle on top.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import threading
from typing import Any

import httpx

from telebridge._files import UploadBody, file_path_or_id
from telebridge.core import TOKEN_PLACEHOLDER, BotToken, PreparedRequest, read_timeout_for, redact
from telebridge.core.errors import InvalidResponse, NetworkError, TimedOut

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_LIMITS", "DEFAULT_TIMEOUT", "BotBase"]

DEFAULT_BASE_URL = "https://api.telegram.org"
# Finite everywhere: a hung connect or read must end in TimedOut, not hang.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=10.0)
# Sized so that a few long polls cannot starve sends of connections.
DEFAULT_LIMITS = httpx.Limits(
    max_connections=32, max_keepalive_connections=32, keepalive_expiry=30.0
)

_PLACEHOLDER = TOKEN_PLACEHOLDER.encode()

# Errors raised before a single byte of the request left this process.
_NOT_SENT: tuple[type[httpx.HTTPError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)


class BotBase:
    """Settings and request building shared by :class:`Bot` and :class:`AsyncBot`."""

    _client: Any

    def __init__(
        self,
        token: str,
        *,
        base_url: str,
        timeout: float | httpx.Timeout | None,
        limits: httpx.Limits,
        http2: bool,
        proxy: str | httpx.Proxy | None,
        client: httpx.Client | httpx.AsyncClient | None,
    ) -> None:
        self._token = BotToken(token)
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http:// or https:// URL, got {base_url!r}")
        self._base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout)
        self._limits = limits
        self._http2 = http2
        self._proxy = proxy
        self._owns_client = client is None
        self._client = client
        _register_secret(self._token)

    @property
    def bot_id(self) -> int:
        """The bot's user id: the part of the token before the colon."""
        return self._token.bot_id

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:
        owner = "owned" if self._owns_client else "user-supplied"
        return (
            f"{type(self).__name__}(bot_id={self.bot_id}, base_url={self._base_url!r}, "
            f"client={owner})"
        )

    def _transport_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the httpx transport of an owned pool."""
        return {"limits": self._limits, "http2": self._http2, "proxy": self._proxy}

    def _build_request(
        self,
        client: httpx.Client | httpx.AsyncClient,
        request: PreparedRequest,
        upload: UploadBody | None = None,
    ) -> httpx.Request:
        path = request.path
        if not self._owns_client:
            # A user's client has no token-injecting transport in front of it,
            # so the real token goes in here; the log filter still redacts it.
            path = path.replace(TOKEN_PLACEHOLDER, self._token.reveal())
        timeout: httpx.Timeout | Any = httpx.USE_CLIENT_DEFAULT
        if request.long_poll_timeout is not None:
            default = client.timeout
            timeout = httpx.Timeout(
                connect=default.connect,
                read=read_timeout_for(request, default.read),
                write=default.write,
                pool=default.pool,
            )
        headers: Any = request.headers
        content: Any = request.content
        if upload is not None:
            headers = upload.headers
            is_sync = isinstance(client, httpx.Client)
            content = upload.sync_stream() if is_sync else upload.async_stream()
        built = client.build_request(
            request.http_method,
            self._base_url + path,
            headers=headers,
            content=content,
            timeout=timeout,
        )
        return built if self._owns_client else _TokenRequest.of(built, built.url)

    def _file_path_from(self, result: Any) -> str:
        """Return the file_path of a getFile result."""
        path, _ = file_path_or_id(result)
        if path is None:
            reason = "getFile answered without a file_path"
            raise InvalidResponse(reason, method="getFile", status_code=200)
        return path

    def _local_file(self, file_path: str) -> str | None:
        """Return where to read a local Bot API server's file from disk, or None.

        A server started with ``--local`` answers getFile with an absolute
        path on its own disk and serves no download URL for it: the file is
        read from that path when it exists here, and is an error otherwise.
        """
        if not file_path.startswith("/"):
            return None
        if os.path.isfile(file_path):
            return file_path
        raise FileNotFoundError(
            errno.ENOENT,
            "download: the Bot API server runs with --local and gave a path that is not on "
            "this machine; run the bot beside the server or mount its working directory "
            "at the same path",
            self._shown_path(file_path),
        )

    def _shown_path(self, file_path: str) -> str:
        # A local server keeps files under a directory named after the token.
        return redact(file_path, self._token)

    def _network_error(self, api_method: str, exc: httpx.HTTPError) -> NetworkError:
        """Translate an httpx failure into telebridge's transport branch."""
        sent = not isinstance(exc, _NOT_SENT)
        detail = redact(str(exc), self._token) or "no details"
        reason = f"{type(exc).__name__}: {detail}"
        if isinstance(exc, httpx.TimeoutException):
            return TimedOut(reason, method=api_method, sent=sent)
        return NetworkError(reason, method=api_method, sent=sent)


def with_token(request: httpx.Request, token: BotToken) -> httpx.Request:
    """Return a copy of *request* whose URL holds the real token.

    A new object, not an edit in place: httpx logs the request object it
    built, after the transport returns, and that one must keep the placeholder.
    """
    raw_path = request.url.raw_path.replace(_PLACEHOLDER, token.reveal().encode(), 1)
    return _TokenRequest.of(request, request.url.copy_with(raw_path=raw_path))


class _TokenRequest(httpx.Request):
    """The request the transport sends: its URL holds the token, its repr does not.

    Only transports and their stack frames ever hold one; error reporters that
    capture local variables (Sentry, ``pytest --showlocals``) show it by repr.
    """

    @classmethod
    def of(cls, request: httpx.Request, url: httpx.URL) -> _TokenRequest:
        """Return *request* sent to *url* (which holds the token)."""
        return cls(
            request.method,
            url,
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )

    def __repr__(self) -> str:
        shown = _TOKEN_IN_PATH.sub(TOKEN_PLACEHOLDER, str(self.url))
        return f"<Request({self.method!r}, {shown!r})>"


# The token's place in a Bot API path: /bot<id>:<secret>/ or /file/bot<id>:<secret>/.
_TOKEN_IN_PATH = re.compile(r"(?<=/bot)[^/]+")


class _RedactSecrets(logging.Filter):
    """Scrub bot tokens from records of the ``httpx`` logger.

    Owned clients never put the token in a URL httpx sees; this catches the
    request lines of user-supplied clients, which do.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            leaked = [secret for secret in self.secrets if secret in message]
            if leaked:
                for secret in leaked:
                    message = message.replace(secret, "<redacted>")
                record.msg, record.args = message, None
        return True


_redact_filter = _RedactSecrets()
_filter_lock = threading.Lock()


def _register_secret(token: BotToken) -> None:
    secret = token.reveal().partition(":")[2]
    with _filter_lock:
        if not _redact_filter.secrets:
            logging.getLogger("httpx").addFilter(_redact_filter)
        _redact_filter.secrets = _redact_filter.secrets | {secret}
