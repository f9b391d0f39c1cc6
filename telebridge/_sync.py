"""The synchronous transport: :class:`Bot` on one persistent ``httpx.Client``."""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar, overload

import httpx

from telebridge._base import DEFAULT_BASE_URL, DEFAULT_LIMITS, DEFAULT_TIMEOUT, BotBase, with_token
from telebridge._files import (
    CHUNK_SIZE,
    DownloadSink,
    UploadBody,
    copy_local_file,
    file_path_or_id,
)
from telebridge._polling import UpdateStream
from telebridge._sync_api import SyncBotApi
from telebridge.core import (
    BotToken,
    RawCall,
    TelegramMethod,
    download_error,
    methods,
    parse_response,
    prepare_download,
    prepare_request,
)
from telebridge.core._http import DOWNLOAD_METHOD
from telebridge.core._updates import Backoff

__all__ = ["Bot"]

R = TypeVar("R")

log = logging.getLogger("telebridge.bot")


class _TokenTransport(httpx.BaseTransport):
    """Puts the real token into the URL at the last moment (see ``with_token``)."""

    def __init__(self, inner: httpx.BaseTransport, token: BotToken) -> None:
        self._inner = inner
        self._token = token

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(with_token(request, self._token))

    def close(self) -> None:
        self._inner.close()


class Bot(SyncBotApi, BotBase):
    """A synchronous Telegram bot client for scripts, threads and notebooks.

    One pooled ``httpx.Client`` is created on the first call and reused by
    every call after it, from any number of threads. ``close()`` (or leaving a
    ``with`` block) releases it; a later call opens a fresh pool. A ``client``
    you pass in is used as is and never closed by the bot.
    """

    _client: httpx.Client | None

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        http2: bool = False,
        proxy: str | httpx.Proxy | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        if client is not None and not isinstance(client, httpx.Client):
            raise TypeError(f"client must be an httpx.Client, got {type(client).__name__}")
        super().__init__(
            token,
            base_url=base_url,
            timeout=timeout,
            limits=limits,
            http2=http2,
            proxy=proxy,
            client=client,
        )
        self._lock = threading.Lock()

    def execute(self, method: TelegramMethod[R]) -> R:
        """Send one Bot API call described by a request object; return its result."""
        request = prepare_request(method)

        # Files are opened and checked before the pool is even touched.
        upload = UploadBody(request.form) if request.form is not None else None
        try:
            client = self._get_client()
            http_request = self._build_request(client, request, upload)
            started = time.perf_counter()
            try:
                response = client.send(http_request)
            except httpx.HTTPError as exc:
                raise self._network_error(request.api_method, exc) from exc
        finally:
            if upload is not None:
                upload.close()
        log.debug(
            "%s answered %d in %.1f ms",
            request.api_method,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )

        return parse_response(method, response.status_code, response.headers, response.content)

    def call(self, api_method: str, params: dict[str, Any] | None = None) -> Any:
        """Call any Bot API method by name; return the raw JSON result.

        For methods newer than this library, e.g.
        ``bot.call("sendDice", {"chat_id": 42, "emoji": "🎲"})``.
        """
        return self.execute(RawCall(api_method, params or {}))

    def _get_client(self) -> httpx.Client:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._open_pool()
                    log.debug("opened a connection pool for bot %d", self.bot_id)
                client = self._client
        return client

    def _open_pool(self) -> httpx.Client:
        transport = httpx.HTTPTransport(**self._transport_kwargs())
        return httpx.Client(
            timeout=self._timeout, transport=_TokenTransport(transport, self._token)
        )

    def close(self) -> None:
        """Release the connection pool (if the bot owns it). Safe to call twice."""
        if not self._owns_client:
            return
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
            log.debug("closed the connection pool of bot %d", self.bot_id)

    def __enter__(self) -> Bot:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # Closing a sync pool needs no event loop, so it is safe here.
        client = getattr(self, "_client", None)
        if client is not None and getattr(self, "_owns_client", False):
            self._client = None
            # Close before warning: with warnings as errors, warn() raises.
            client.close()
            warnings.warn(
                f"unclosed {self!r}: call close() or use 'with Bot(...)'",
                ResourceWarning,
                source=self,
                stacklevel=1,
            )

    # --- files ----------------------------------------------------------------

    @overload
    def download(self, file: Any, destination: None = None) -> bytes: ...

    @overload
    def download(self, file: Any, destination: str | os.PathLike[str]) -> Path: ...

    @overload
    def download(self, file: Any, destination: IO[bytes]) -> int: ...

    def download(self, file: Any, destination: Any = None) -> bytes | Path | int:
        """Download a file Telegram holds; stream it to *destination* in chunks.

        *file* is a file_id, or an object with ``file_id``/``file_path`` (File,
        PhotoSize, Document, ... or a raw getFile result); getFile is called
        unless a file_path is already known. *destination* is a path (written
        atomically; a directory keeps the server's file name; returns the
        Path), a binary file object (written from its position, left open;
        returns the byte count), or None to return the bytes (small files only).
        """
        sink = DownloadSink(destination)
        file_path, file_id = file_path_or_id(file)
        if file_path is None:
            assert file_id is not None  # file_path_or_id returns at least one
            file_path = self._file_path_from(self.execute(methods.GetFile(file_id=file_id)))
        sink.resolve_directory(file_path)

        local = self._local_file(file_path)
        sink.open()
        try:
            if local is not None:
                copy_local_file(local, self._shown_path(local), sink)
            else:
                self._stream_download(file_path, sink)
            return sink.finish()
        except BaseException:
            sink.abort()
            raise

    def _stream_download(self, file_path: str, sink: DownloadSink) -> None:
        request = prepare_download(file_path)
        client = self._get_client()
        http_request = self._build_request(client, request)
        try:
            response = client.send(http_request, stream=True)
        except httpx.HTTPError as exc:
            raise self._network_error(DOWNLOAD_METHOD, exc) from exc
        try:
            if response.status_code != 200:
                raise download_error(response.status_code, response.headers, response.read())
            for chunk in response.iter_bytes(CHUNK_SIZE):
                sink.write(chunk)
        except httpx.HTTPError as exc:
            raise self._network_error(DOWNLOAD_METHOD, exc) from exc
        finally:
            response.close()

    # --- receiving updates ---------------------------------------------------------

    def updates(
        self,
        *,
        timeout: int = 30,
        allowed_updates: Sequence[str] | None = None,
        limit: int | None = None,
        backoff: Backoff | None = None,
    ) -> UpdateStream:
        """Return an endless stream of incoming updates, fetched by long polling.

        ``timeout`` is how long each poll may wait on the server (the read
        timeout always allows more); ``allowed_updates`` and ``limit`` are
        passed to getUpdates; ``backoff`` paces retries after network and
        server errors. Use the stream as a context manager around the loop
        so that ``break`` is a clean stop (see :class:`UpdateStream`)::

            with bot.updates(timeout=30) as updates:
                for update in updates:
                    ...
        """
        return UpdateStream(
            self, timeout=timeout, limit=limit, allowed_updates=allowed_updates, backoff=backoff
        )
