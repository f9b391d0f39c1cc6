"""Update streams: ``bot.updates()`` for :class:`Bot` and :class:`AsyncBot`.

The two classes only send, sleep and stop; every decision is made by
:class:`~telebridge.core._updates.UpdatePoller`.

How a stream tells a clean stop from a failure: used as a context manager,
it sees the exception (if any) that ends the ``with`` block, so ``break``
confirms the update in hand and an exception does not. A bare ``for`` loop
gives an iterator no such signal (``break`` and an exception both just drop
it), so a stream that is simply dropped confirms nothing beyond its last
poll: nothing is lost, and the update in hand, with any others handed out
since that poll, comes again on the next start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TypeVar

from telebridge.core._method import TelegramMethod
from telebridge.core._updates import Backoff, UpdatePoller
from telebridge.core.errors import TelegramError

if TYPE_CHECKING:
    from telebridge.core.methods import GetUpdates
    from telebridge.types import Update

__all__ = ["AsyncUpdateStream", "UpdateStream"]

R = TypeVar("R")

log = logging.getLogger("telebridge.polling")


class _Executes(Protocol):
    def execute(self, method: TelegramMethod[R]) -> R: ...


class _AsyncExecutes(Protocol):
    async def execute(self, method: TelegramMethod[R]) -> R: ...


def _log_failed_confirmation(error: Exception) -> None:
    log.warning(
        "could not confirm the handled updates (%s); Telegram will deliver them again", error
    )


class UpdateStream:
    """Updates from ``getUpdates`` long polls, one at a time, confirmed only when done.

    Use it as a context manager around the loop so that a clean stop is told
    apart from a failure::

        with bot.updates(timeout=30) as updates:
            for update in updates:
                handle(update)

    Asking for the next update confirms the previous one. Leaving the
    ``with`` block normally (``break``, ``return``) confirms the update in
    hand too, and tells Telegram before returning, so a restart repeats
    nothing. Leaving it with an exception confirms only the updates already
    finished, never the one in hand; after ``KeyboardInterrupt`` or
    ``SystemExit`` no request is made at all. A bare ``for`` loop works as
    well, but cannot tell ``break`` from an exception, so on the next start
    the update in hand, and others handed out since the last poll, come
    again. :meth:`close` is the explicit clean stop.

    Network errors, 5xx answers and flood control make it wait and poll
    again (logged at INFO on ``telebridge.polling``); a rejected token or a
    409 Conflict stop it with :class:`~telebridge.Unauthorized` or
    :class:`~telebridge.Conflict` explaining what to do.
    """

    def __init__(
        self,
        bot: _Executes,
        *,
        timeout: int = 30,
        limit: int | None = None,
        allowed_updates: Sequence[str] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self._bot = bot
        self._poller = UpdatePoller(
            timeout=timeout, limit=limit, allowed_updates=allowed_updates, backoff=backoff
        )

    def __iter__(self) -> UpdateStream:
        return self

    def __next__(self) -> Update:
        poller = self._poller
        while True:
            update = poller.next_update()
            if update is not None:
                return update

            request = poller.request()
            try:
                updates = self._bot.execute(request)
            except TelegramError as error:
                retry = poller.failed(error)
                log.info(
                    "getUpdates failed (%s); polling again in %.2f s", retry.reason, retry.delay
                )
                time.sleep(retry.delay)
            else:
                poller.received(request, updates)

    def close(self) -> None:
        """Stop cleanly: count the update in hand as handled and tell Telegram.

        Safe to call twice. If the confirmation cannot be sent, a warning is
        logged and those updates are delivered again after a restart.
        """
        if not self._poller.closed:
            self._confirm(self._poller.stop(finished=True))

    def __enter__(self) -> UpdateStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._poller.closed:
            return
        if exc is None:
            self.close()
            return
        request = self._poller.stop(finished=False)
        # After Ctrl+C or sys.exit() the user wants out now, not after a request.
        if isinstance(exc, Exception):
            self._confirm(request)

    def _confirm(self, request: GetUpdates | None) -> None:
        if request is None:
            return
        try:
            self._bot.execute(request)
        except Exception as error:
            _log_failed_confirmation(error)
        else:
            self._poller.confirmed(request)

    def __repr__(self) -> str:
        return _describe(self)


class AsyncUpdateStream:
    """Updates from ``getUpdates`` long polls for :class:`~telebridge.AsyncBot`.

    The async twin of :class:`UpdateStream`, with the same confirmation rules::

        async with bot.updates(timeout=30) as updates:
            async for update in updates:
                await handle(update)

    Cancelling the task stops it at once, even during a long poll: the
    pending request is abandoned with its connection, and, as after Ctrl+C
    in the sync stream, no request is made to confirm anything.
    """

    def __init__(
        self,
        bot: _AsyncExecutes,
        *,
        timeout: int = 30,
        limit: int | None = None,
        allowed_updates: Sequence[str] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self._bot = bot
        self._poller = UpdatePoller(
            timeout=timeout, limit=limit, allowed_updates=allowed_updates, backoff=backoff
        )

    def __aiter__(self) -> AsyncUpdateStream:
        return self

    async def __anext__(self) -> Update:
        poller = self._poller
        while True:
            try:
                update = poller.next_update()
            except StopIteration:
                raise StopAsyncIteration from None
            if update is not None:
                return update

            request = poller.request()
            try:
                updates = await self._bot.execute(request)
            except TelegramError as error:
                retry = poller.failed(error)
                log.info(
                    "getUpdates failed (%s); polling again in %.2f s", retry.reason, retry.delay
                )
                await asyncio.sleep(retry.delay)
            else:
                poller.received(request, updates)

    async def aclose(self) -> None:
        """Stop cleanly: count the update in hand as handled and tell Telegram."""
        if not self._poller.closed:
            await self._confirm(self._poller.stop(finished=True))

    async def __aenter__(self) -> AsyncUpdateStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._poller.closed:
            return
        if exc is None:
            await self.aclose()
            return
        request = self._poller.stop(finished=False)
        # CancelledError is not an Exception: a cancelled task makes no request.
        if isinstance(exc, Exception):
            await self._confirm(request)

    async def _confirm(self, request: GetUpdates | None) -> None:
        if request is None:
            return
        try:
            await self._bot.execute(request)
        except Exception as error:
            _log_failed_confirmation(error)
        else:
            self._poller.confirmed(request)

    def __repr__(self) -> str:
        return _describe(self)


def _describe(stream: UpdateStream | AsyncUpdateStream) -> str:
    poller = stream._poller
    state = "closed" if poller.closed else "open"
    return (
        f"{type(stream).__name__}(timeout={poller.timeout}, offset={poller.cursor.offset}, "
        f"{state})"
    )
