"""The asynchronous transport: :class:`AsyncBot` on one persistent ``httpx.AsyncClient``."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import warnings
import weakref
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar, overload

import httpx

from telebridge._async_api import AsyncBotApi
from telebridge._base import DEFAULT_BASE_URL, DEFAULT_LIMITS, DEFAULT_TIMEOUT, BotBase, with_token
from telebridge._files import (
    CHUNK_SIZE,
    DownloadSink,
    UploadBody,
    copy_local_file,
    file_path_or_id,
)
from telebridge._polling import AsyncUpdateStream
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
from telebridge.core.errors import EventLoopMismatch

__all__ = ["AsyncBot"]

R = TypeVar("R")

log = logging.getLogger("telebridge.bot")


class _AsyncTokenTransport(httpx.AsyncBaseTransport):
    """Puts the real token into the URL at the last moment (see ``with_token``)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, token: BotToken) -> None:
        self._inner = inner
        self._token = token

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(with_token(request, self._token))

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _close_with_loop(
    bot_ref: weakref.ref[AsyncBot], client: httpx.AsyncClient
) -> AsyncGenerator[None, None]:
    """Close an owned pool when its event loop shuts down.

    asyncio.run() (and asyncio.Runner, IPython, pytest-asyncio) finalise every
    live async generator of a loop before closing it. Parking one of these on
    the loop that opened the pool is the documented hook for "this loop is
    ending", so the pool is closed while its loop can still run the closing.
    """
    try:
        yield
    finally:
        bot = bot_ref()
        if bot is None:
            # The bot was collected unclosed while its loop ran (its __del__
            # warned): the pool is only reachable from here, so close it.
            await client.aclose()
        elif bot._client is client:
            bot._loop_guard = None  # this generator is finishing itself
            bot._detach_pool()
            await client.aclose()


class AsyncBot(AsyncBotApi, BotBase):
    """An asyncio Telegram bot client.

    One pooled ``httpx.AsyncClient`` is created on the first call and reused
    by every call after it. ``aclose()`` (or leaving ``async with``) releases
    it. The pool belongs to the event loop that opened it: when that loop
    ends (for example at the end of ``asyncio.run()``) the pool is closed, and
    a call from a later loop opens a fresh one. A ``client`` you pass in is
    used as is, never closed by the bot, and only from one event loop.
    """

    _client: httpx.AsyncClient | None

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        http2: bool = False,
        proxy: str | httpx.Proxy | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if client is not None and not isinstance(client, httpx.AsyncClient):
            raise TypeError(f"client must be an httpx.AsyncClient, got {type(client).__name__}")
        super().__init__(
            token,
            base_url=base_url,
            timeout=timeout,
            limits=limits,
            http2=http2,
            proxy=proxy,
            client=client,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bind_lock = threading.Lock()
        self._loop_guard: AsyncGenerator[None, None] | None = None

    async def execute(self, method: TelegramMethod[R]) -> R:
        """Send one Bot API call described by a request object; return its result."""
        request = prepare_request(method)

        # Files are opened and checked before the pool is even touched, in a
        # worker thread: opening (and a pipe's first read) may block.
        upload = None
        if request.form is not None:
            upload = await asyncio.to_thread(UploadBody, request.form)
        try:
            client = await self._get_client()
            http_request = self._build_request(client, request, upload)
            started = time.perf_counter()
            try:
                response = await client.send(http_request)
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

    async def call(self, api_method: str, params: dict[str, Any] | None = None) -> Any:
        """Call any Bot API method by name; return the raw JSON result.

        For methods newer than this library, e.g.
        ``await bot.call("sendDice", {"chat_id": 42, "emoji": "🎲"})``.
        """
        return await self.execute(RawCall(api_method, params or {}))

    async def _get_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        # Threads may each run a loop: binding the pool to one is a critical section.
        with self._bind_lock:
            if self._loop is not None and self._loop is not loop:
                if self._loop.is_running():
                    raise EventLoopMismatch(
                        "this AsyncBot is in use by an event loop running in another "
                        "thread; connections cannot be shared between loops: give each "
                        "thread (or loop) its own AsyncBot"
                    )
                self._leave_old_loop()
            if self._client is None:
                self._client = self._open_pool()
                log.debug("opened a connection pool for bot %d", self.bot_id)
            client = self._client
            binding = self._loop is None
            self._loop = loop
        if binding and self._owns_client:
            await self._guard_pool(client)
        return client

    def _leave_old_loop(self) -> None:
        if not self._owns_client:
            raise EventLoopMismatch(
                "this AsyncBot's user-supplied httpx.AsyncClient was first used on "
                "another event loop; connections cannot move between loops: create "
                "the client (and the AsyncBot) inside the loop that uses them"
            )
        # The old loop ended without finalising its async generators (or runs
        # in another thread): its pool cannot be closed from here, so drop it.
        log.info("bot %d: the event loop changed; opening a new connection pool", self.bot_id)
        self._detach_pool()

    async def _guard_pool(self, client: httpx.AsyncClient) -> None:
        guard = _close_with_loop(weakref.ref(self), client)
        await guard.__anext__()
        self._loop_guard = guard

    def _open_pool(self) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(**self._transport_kwargs())
        return httpx.AsyncClient(
            timeout=self._timeout, transport=_AsyncTokenTransport(transport, self._token)
        )

    def _detach_pool(self) -> httpx.AsyncClient | None:
        """Forget the pool and its loop; return the pool if the bot owns it."""
        if not self._owns_client:
            # The user's client stays bound to the loop that first used it.
            return None
        client, self._client = self._client, None
        self._loop = None
        guard, self._loop_guard = self._loop_guard, None
        if guard is not None:
            _finish_detached_guard(guard)
        return client

    async def aclose(self) -> None:
        """Release the connection pool (if the bot owns it). Safe to call twice."""
        client = self._detach_pool()
        if client is not None:
            await client.aclose()
            log.debug("closed the connection pool of bot %d", self.bot_id)

    async def __aenter__(self) -> AsyncBot:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # No event loop may be used from a finalizer: warn, and let the
        # pool's sockets be closed as they are collected.
        if getattr(self, "_client", None) is not None and getattr(self, "_owns_client", False):
            warnings.warn(
                f"unclosed {self!r}: await aclose() or use 'async with AsyncBot(...)'",
                ResourceWarning,
                source=self,
                stacklevel=1,
            )

    # --- files ----------------------------------------------------------------

    @overload
    async def download(self, file: Any, destination: None = None) -> bytes: ...

    @overload
    async def download(self, file: Any, destination: str | os.PathLike[str]) -> Path: ...

    @overload
    async def download(self, file: Any, destination: IO[bytes]) -> int: ...

    async def download(self, file: Any, destination: Any = None) -> bytes | Path | int:
        """Download a file Telegram holds; stream it to *destination* in chunks.

        The same as :meth:`Bot.download <telebridge.Bot.download>`, awaited;
        disk reads and writes run in a worker thread, off the event loop.
        """
        sink = DownloadSink(destination)
        file_path, file_id = file_path_or_id(file)
        if file_path is None:
            assert file_id is not None  # file_path_or_id returns at least one
            result = await self.execute(methods.GetFile(file_id=file_id))
            file_path = self._file_path_from(result)
        sink.resolve_directory(file_path)

        local = self._local_file(file_path)
        await asyncio.to_thread(sink.open)
        try:
            if local is not None:
                await asyncio.to_thread(copy_local_file, local, self._shown_path(local), sink)
            else:
                await self._stream_download(file_path, sink)
            return await asyncio.to_thread(sink.finish)
        except BaseException:
            sink.abort()
            raise

    async def _stream_download(self, file_path: str, sink: DownloadSink) -> None:
        request = prepare_download(file_path)
        client = await self._get_client()
        http_request = self._build_request(client, request)
        try:
            response = await client.send(http_request, stream=True)
        except httpx.HTTPError as exc:
            raise self._network_error(DOWNLOAD_METHOD, exc) from exc
        try:
            if response.status_code != 200:
                body = await response.aread()
                raise download_error(response.status_code, response.headers, body)
            async for chunk in response.aiter_bytes(CHUNK_SIZE):
                if sink.in_memory:
                    sink.write(chunk)
                else:
                    await asyncio.to_thread(sink.write, chunk)
        except httpx.HTTPError as exc:
            raise self._network_error(DOWNLOAD_METHOD, exc) from exc
        finally:
            await response.aclose()

    # --- receiving updates ---------------------------------------------------------

    def updates(
        self,
        *,
        timeout: int = 30,
        allowed_updates: Sequence[str] | None = None,
        limit: int | None = None,
        backoff: Backoff | None = None,
    ) -> AsyncUpdateStream:
        """Return an endless stream of incoming updates, fetched by long polling.

        ``timeout`` is how long each poll may wait on the server (the read
        timeout always allows more); ``allowed_updates`` and ``limit`` are
        passed to getUpdates; ``backoff`` paces retries after network and
        server errors. Use the stream as a context manager around the loop
        so that ``break`` is a clean stop (see :class:`AsyncUpdateStream`)::

            async with bot.updates(timeout=30) as updates:
                async for update in updates:
                    ...
        """
        return AsyncUpdateStream(
            self, timeout=timeout, limit=limit, allowed_updates=allowed_updates, backoff=backoff
        )


def _finish_detached_guard(guard: AsyncGenerator[None, None]) -> None:
    """End a loop guard whose pool was already detached, without an event loop.

    Its ``finally`` then has nothing to await, so one step of ``aclose()``
    completes it; otherwise the garbage collector would hand it to its old
    (possibly closed) loop to finalise.
    """
    closing = guard.aclose()
    try:
        closing.send(None)
    except StopIteration:
        pass
    else:  # pragma: no cover - the guard's finally awaited after all
        closing.close()
