"""Long-polling bookkeeping without I/O: offsets, backoff and what each failure means.

Both update iterators drive one :class:`UpdatePoller`: they ask it for the
next update, send the ``getUpdates`` request it describes when it has none,
hand it the answer or the error, and sleep as long as it says. Everything
that decides *which* update is confirmed, and when, lives here.

Telegram forgets every update below the ``offset`` of a ``getUpdates``
request. An update handed to the consumer is therefore only put below an
offset once the consumer asked for the next one or stopped cleanly.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from telebridge.core import methods
from telebridge.core.errors import (
    Conflict,
    InvalidResponse,
    NetworkError,
    RetryAfter,
    ServerError,
    TelegramError,
    Unauthorized,
)

if TYPE_CHECKING:
    from telebridge.core.methods import GetUpdates
    from telebridge.types import Update

__all__ = ["Backoff", "PollRetry", "UpdateCursor", "UpdatePoller"]

# Telegram's own bounds for getUpdates' limit.
MAX_LIMIT = 100


def _check_positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"Backoff.{attribute.name} must be positive, got {value!r}")


def _check_fraction(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"Backoff.{attribute.name} must be between 0 and 1, got {value!r}")


@attrs.frozen(kw_only=True)
class Backoff:
    """Capped exponential backoff with jitter, for failed polls.

    The n-th consecutive failure (n = 1, 2, ...) waits
    ``min(maximum, initial * multiplier ** (n - 1))`` shortened by a random
    fraction of up to ``jitter`` of it, so that many bots cut off by the same
    outage do not all come back in the same instant. ``random`` returns a
    float in [0, 1); pass a fixed function to make delays predictable.
    """

    initial: float = attrs.field(default=1.0, validator=_check_positive)
    maximum: float = attrs.field(default=30.0, validator=_check_positive)
    multiplier: float = attrs.field(default=2.0, validator=_check_positive)
    jitter: float = attrs.field(default=0.5, validator=_check_fraction)
    random: Callable[[], float] = attrs.field(default=random.random, eq=False, repr=False)

    def delay(self, failures: int) -> float:
        """Return the seconds to wait after ``failures`` consecutive failures (>= 1)."""
        if failures < 1:
            raise ValueError(f"failures counts from 1, got {failures}")
        # Bounding the exponent keeps a long outage from overflowing a float.
        exponent = min(failures - 1, 64)
        ceiling = min(self.maximum, self.initial * self.multiplier**exponent)
        return ceiling * (1.0 - self.jitter * self.random())


class UpdateCursor:
    """Which updates the consumer holds, has finished, and Telegram has forgotten.

    Updates come in batches (:meth:`add_batch`) and leave one at a time
    (:meth:`take`). Taking an update finishes the one taken before it, so
    :attr:`offset` only ever covers updates the consumer was done with.
    """

    __slots__ = ("_batch", "_confirmed", "_finished", "_in_hand")

    def __init__(self) -> None:
        self._batch: deque[Update] = deque()
        self._in_hand: int | None = None
        # The offset covering every finished update: highest finished id + 1.
        self._finished: int | None = None
        # The highest offset a getUpdates answer proved the server has seen.
        self._confirmed: int | None = None

    @property
    def offset(self) -> int | None:
        """The ``offset`` for the next getUpdates; None until an update is finished."""
        return self._finished

    @property
    def in_hand(self) -> int | None:
        """The ``update_id`` the consumer holds and has not finished, if any."""
        return self._in_hand

    @property
    def unconfirmed(self) -> bool:
        """Whether finished updates exist that no answered request has confirmed yet."""
        if self._finished is None:
            return False
        return self._confirmed is None or self._finished > self._confirmed

    def take(self) -> Update | None:
        """Finish the update in hand and return the next one, or None when a poll is due."""
        self._finish_in_hand()
        if not self._batch:
            return None
        update = self._batch.popleft()
        self._in_hand = update.update_id
        return update

    def add_batch(self, updates: Iterable[Update], *, sent_offset: int | None) -> None:
        """Queue a getUpdates answer; ``sent_offset`` is the offset that request carried."""
        if sent_offset is not None and (self._confirmed is None or sent_offset > self._confirmed):
            self._confirmed = sent_offset
        floor = self._finished
        for update in updates:
            # A server that missed our last offset (its answer was lost) sends
            # finished updates again; handing them out twice would be a bug.
            if floor is None or update.update_id >= floor:
                self._batch.append(update)

    def stop(self, *, finished: bool) -> None:
        """End the stream; count the update in hand as done only if ``finished``."""
        if finished:
            self._finish_in_hand()
        self._in_hand = None
        self._batch.clear()

    def _finish_in_hand(self) -> None:
        if self._in_hand is not None:
            self._finished = self._in_hand + 1
            self._in_hand = None


@attrs.frozen
class PollRetry:
    """Wait ``delay`` seconds, then poll again; ``reason`` is fit for an INFO log line."""

    delay: float
    reason: str


_CONFLICT_WEBHOOK = (
    "Polling stopped: this bot has a webhook set, and Telegram delivers updates either to "
    "the webhook or to getUpdates, never both. Remove it with "
    "bot.delete_webhook() before polling, or receive updates on the webhook instead."
)
_CONFLICT_OTHER_POLLER = (
    "Polling stopped: another process is polling with this bot token, and Telegram lets "
    "only one getUpdates run at a time. Stop the other instance (an older run of this "
    "bot, a second worker or a server using the same token) and restart."
)
_CONFLICT_EITHER = (
    "Polling stopped: either a webhook is set (remove it with "
    "bot.delete_webhook()) or another process polls with this token (stop it): "
    "Telegram delivers a bot's updates to one receiver only."
)
_UNAUTHORIZED = (
    "Polling stopped: Telegram rejected the bot token; it was revoked or mistyped. "
    "Get the current token from @BotFather."
)


def _explained(error: Conflict | Unauthorized) -> Conflict | Unauthorized:
    """Return a copy of ``error`` whose message says why polling stopped and what to do."""
    if isinstance(error, Unauthorized):
        hint = _UNAUTHORIZED
    elif "webhook" in error.description.lower():
        hint = _CONFLICT_WEBHOOK
    elif "getupdates" in error.description.lower():
        hint = _CONFLICT_OTHER_POLLER
    else:
        hint = _CONFLICT_EITHER
    explained = type(error)(
        error.description,
        method=error.method,
        error_code=error.error_code,
        parameters=error.parameters,
    )
    explained.args = (f"{error.args[0]}. {hint}",)
    return explained


def _is_transient(error: TelegramError) -> bool:
    if isinstance(error, (NetworkError, ServerError)):
        return True
    # An HTML error page from a proxy in front of the Bot API is an outage;
    # a 2xx or 4xx that is not a Bot API answer will not fix itself.
    return isinstance(error, InvalidResponse) and error.status_code >= 500


class UpdatePoller:
    """The state of one long-polling stream, shared by ``Bot`` and ``AsyncBot``.

    A transport loops: :meth:`next_update`; if None, send :meth:`request`
    and report the outcome to :meth:`received` or :meth:`failed`. To stop,
    it calls :meth:`stop` and sends the request returned, if any, so the
    server learns which updates are done.
    """

    __slots__ = (
        "_allowed_updates",
        "_backoff",
        "_cursor",
        "_failures",
        "_limit",
        "closed",
        "timeout",
    )

    def __init__(
        self,
        *,
        timeout: int,
        limit: int | None = None,
        allowed_updates: Sequence[str] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
            raise ValueError(f"timeout must be a whole number of seconds >= 0, got {timeout!r}")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT
        ):
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit!r}")
        if isinstance(allowed_updates, str):
            # A bare string would be sent as a list of its letters.
            raise TypeError('allowed_updates must be a list of update kinds, like ["message"]')
        self.timeout = timeout
        self._limit = limit
        self._allowed_updates = None if allowed_updates is None else list(allowed_updates)
        self._backoff = backoff if backoff is not None else Backoff()
        self._cursor = UpdateCursor()
        self._failures = 0
        self.closed = False

    @property
    def cursor(self) -> UpdateCursor:
        return self._cursor

    def next_update(self) -> Update | None:
        """Finish the update in hand and return the next one, or None when a poll is due.

        Raises StopIteration once the stream is closed.
        """
        if self.closed:
            raise StopIteration
        return self._cursor.take()

    def request(self) -> GetUpdates:
        """Describe the next poll; its offset confirms every finished update."""
        return methods.GetUpdates(
            offset=self._cursor.offset,
            limit=self._limit,
            timeout=self.timeout,
            allowed_updates=self._allowed_updates,
        )

    def received(self, request: GetUpdates, updates: Sequence[Update]) -> None:
        """Take in the answer to ``request``."""
        self._failures = 0
        self._cursor.add_batch(updates, sent_offset=request.offset)

    def failed(self, error: TelegramError) -> PollRetry:
        """Decide what a failed poll means: return how long to wait, or raise to stop.

        Flood control waits what Telegram asked; network trouble and server
        errors back off. A rejected token or a 409 Conflict raise an error
        that explains the cause, as does anything else no wait can fix. The
        stream is closed before raising, and nothing in hand is confirmed.
        """
        if isinstance(error, RetryAfter):
            self._failures = 0
            return PollRetry(float(error.retry_after), f"flood control: {error}")
        if _is_transient(error):
            self._failures += 1
            return PollRetry(self._backoff.delay(self._failures), str(error))

        self.stop(finished=False)
        if isinstance(error, (Conflict, Unauthorized)):
            raise _explained(error) from error
        raise error

    def stop(self, *, finished: bool) -> GetUpdates | None:
        """Close the stream; return the request that confirms finished updates, if one is due.

        ``finished`` says whether the update in hand was handled (a clean stop)
        or not (an exception, Ctrl+C, cancellation). Not sending the returned
        request loses nothing: those updates are just delivered again later.
        Stopping a closed stream returns None.
        """
        if self.closed:
            return None
        self.closed = True
        self._cursor.stop(finished=finished)
        if not self._cursor.unconfirmed:
            return None
        # limit=1: the answer is discarded, so ask for as little as possible.
        return methods.GetUpdates(offset=self._cursor.offset, limit=1, timeout=0)

    def confirmed(self, request: GetUpdates) -> None:
        """Record that the server answered the confirming ``request``."""
        self._cursor.add_batch((), sent_offset=request.offset)
