"""The real transports over real loopback TCP against the bundled emulator."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import threading
import time
import traceback
import warnings
from collections.abc import Iterator

import httpx
import pytest

from telebridge import (
    AsyncBot,
    Bot,
    ChatMigrated,
    EventLoopMismatch,
    InvalidResponse,
    NetworkError,
    RetryAfter,
    ServerError,
    TelegramError,
    TimedOut,
    Unauthorized,
)
from telebridge.testing import (
    BotAPIEmulator,
    DropConnection,
    NotJSON,
    SlowResponse,
    TruncatedBody,
)
from telebridge.testing import ChatMigrated as MigrateChat
from telebridge.testing import RetryAfter as FloodWait
from telebridge.testing import ServerError as Fail

from .conftest import CANARY_SECRET, CANARY_TOKEN

pytestmark = pytest.mark.integration


@pytest.fixture
def emulator() -> Iterator[BotAPIEmulator]:
    with BotAPIEmulator(token=CANARY_TOKEN) as emulator:
        yield emulator


def open_fds(emulator: BotAPIEmulator | None = None) -> int:
    """This process's open descriptors, once the emulator has closed its side.

    The emulator runs in this process, so its end of each connection counts
    too; it closes that end a moment after the client closes its own.
    """
    deadline = time.monotonic() + 2
    while emulator is not None and emulator.open_connections and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.02)
    return len(os.listdir("/proc/self/fd"))


def drop_and_collect(objects: list[object]) -> None:
    objects.clear()
    gc.collect()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- connection reuse -------------------------------------------------------


def test_200_sequential_calls_on_one_bot_open_one_connection(emulator: BotAPIEmulator) -> None:
    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        for number in range(200):
            bot.send_message(chat_id=7, text=f"message {number}")

    assert emulator.requests == 200
    assert emulator.connections_opened == 1


async def test_200_sequential_async_calls_open_one_connection(emulator: BotAPIEmulator) -> None:
    async with AsyncBot(emulator.token, base_url=emulator.base_url) as bot:
        for number in range(200):
            await bot.send_message(chat_id=7, text=f"message {number}")

    assert emulator.requests == 200
    assert emulator.connections_opened == 1


async def test_100_concurrent_calls_stay_within_max_connections(
    emulator: BotAPIEmulator,
) -> None:
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    async with AsyncBot(emulator.token, base_url=emulator.base_url, limits=limits) as bot:
        messages = await asyncio.gather(
            *(bot.send_message(chat_id=7, text=f"#{n}") for n in range(100))
        )

    assert sorted(m.text or "" for m in messages) == sorted(f"#{n}" for n in range(100))
    assert emulator.requests == 100
    assert 1 <= emulator.connections_opened <= 8


def test_a_new_client_per_call_opens_a_connection_per_call(emulator: BotAPIEmulator) -> None:
    # The pattern telebridge exists to make impossible, as the baseline.
    url = f"{emulator.base_url}/bot{emulator.token}/getMe"
    for _ in range(200):
        with httpx.Client() as client:
            client.post(url).raise_for_status()
    baseline = emulator.connections_opened
    emulator.reset_counters()

    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        for _ in range(200):
            bot.get_me()

    assert baseline == 200
    assert emulator.connections_opened == 1


# --- lifecycle and sockets ----------------------------------------------------


def test_close_releases_every_socket(emulator: BotAPIEmulator) -> None:
    before = open_fds(emulator)
    bot = Bot(emulator.token, base_url=emulator.base_url)
    for _ in range(5):
        bot.get_me()
    during = open_fds()

    bot.close()
    bot.close()  # idempotent

    assert during > before
    assert open_fds(emulator) == before


async def test_aclose_releases_every_socket(emulator: BotAPIEmulator) -> None:
    before = open_fds(emulator)
    bot = AsyncBot(emulator.token, base_url=emulator.base_url)
    await asyncio.gather(*(bot.get_me() for _ in range(5)))
    during = open_fds()

    await bot.aclose()
    await bot.aclose()

    assert during > before
    assert open_fds(emulator) == before


def test_a_call_after_close_opens_a_fresh_pool(emulator: BotAPIEmulator) -> None:
    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        bot.get_me()
        bot.close()
        me = bot.get_me()

    assert me.id == 987654321
    assert emulator.connections_opened == 2


def test_an_unclosed_bot_warns_and_frees_its_sockets_when_collected(
    emulator: BotAPIEmulator,
) -> None:
    before = open_fds(emulator)
    bots = [Bot(emulator.token, base_url=emulator.base_url)]
    bots[0].get_me()

    with pytest.warns(ResourceWarning, match="unclosed Bot"):
        drop_and_collect(bots)

    assert open_fds(emulator) == before


async def test_an_unclosed_async_bot_warns_and_frees_its_sockets_when_collected(
    emulator: BotAPIEmulator,
) -> None:
    before = open_fds(emulator)
    bot = AsyncBot(emulator.token, base_url=emulator.base_url)
    await bot.get_me()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del bot
        gc.collect()
    messages = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    caught.clear()  # a warning keeps its source, the bot, alive
    gc.collect()
    await asyncio.sleep(0.2)  # let the loop run the pool's finaliser

    assert any("unclosed AsyncBot" in message for message in messages)
    assert open_fds(emulator) == before


def test_one_async_bot_survives_20_consecutive_event_loops(emulator: BotAPIEmulator) -> None:
    bot = AsyncBot(emulator.token, base_url=emulator.base_url)

    async def use() -> int:
        me = await bot.get_me()
        return me.id

    ids = [asyncio.run(use())]
    after_first = open_fds(emulator)
    ids += [asyncio.run(use()) for _ in range(19)]

    assert ids == [987654321] * 20
    assert open_fds(emulator) == after_first
    assert bot._client is None  # each loop's end closed its pool
    assert emulator.connections_opened == 20


def test_a_user_client_used_from_a_second_loop_raises_a_clear_error(
    emulator: BotAPIEmulator,
) -> None:
    async def first() -> tuple[AsyncBot, httpx.AsyncClient]:
        client = httpx.AsyncClient()
        bot = AsyncBot(emulator.token, base_url=emulator.base_url, client=client)
        await bot.get_me()
        return bot, client

    pair: list[object] = list(asyncio.run(first()))

    async def second() -> None:
        await pair[0].get_me()

    with pytest.raises(EventLoopMismatch, match="another event loop"):
        asyncio.run(second())
    assert emulator.requests == 1
    # The client's sockets belong to the first, finished loop: nothing else
    # can close them now, which is what the error protects users from.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        drop_and_collect(pair)


async def test_a_sync_bot_works_inside_a_running_event_loop(emulator: BotAPIEmulator) -> None:
    # As in a Jupyter cell: a loop is running, and the sync API must not care.
    asyncio.get_running_loop()
    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        message = bot.send_message(chat_id=5, text="from a notebook")

    assert message.text == "from a notebook"


# --- long polls share the pool with sends ---------------------------------------


async def test_a_pending_long_poll_does_not_block_sends(emulator: BotAPIEmulator) -> None:
    async with AsyncBot(emulator.token, base_url=emulator.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=10))
        await asyncio.sleep(0.2)  # the poll is now held by the server

        sent = await asyncio.wait_for(bot.send_message(chat_id=3, text="meanwhile"), 5)
        poll_was_pending = not poll.done()
        emulator.inject_message("wake up", chat_id=3, user_id=3, first_name="Ann")
        updates = await asyncio.wait_for(poll, 5)

    assert sent.text == "meanwhile"
    assert poll_was_pending
    assert [u.message.text for u in updates if u.message] == ["wake up"]


def test_a_polling_thread_and_a_sending_thread_share_one_bot(emulator: BotAPIEmulator) -> None:
    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        polled: list[int] = []
        poller = threading.Thread(
            target=lambda: polled.extend(u.update_id for u in bot.get_updates(timeout=10))
        )
        poller.start()
        while emulator.open_connections < 1:
            threading.Event().wait(0.01)

        sent = bot.send_message(chat_id=3, text="meanwhile")
        poll_was_pending = poller.is_alive()
        update = emulator.inject_message("done", chat_id=3, user_id=3, first_name="Ann")
        poller.join(10)

    assert sent.text == "meanwhile"
    assert poll_was_pending
    assert polled == [update["update_id"]]


def test_a_long_poll_outlives_a_short_read_timeout(emulator: BotAPIEmulator) -> None:
    timeout = httpx.Timeout(connect=2.0, read=0.3, write=2.0, pool=2.0)
    with Bot(emulator.token, base_url=emulator.base_url, timeout=timeout) as bot:
        updates = bot.get_updates(timeout=1)

    assert updates == []


# --- failures ---------------------------------------------------------------


def test_injected_faults_become_typed_errors(emulator: BotAPIEmulator) -> None:
    timeout = httpx.Timeout(2.0, read=0.5)
    with Bot(emulator.token, base_url=emulator.base_url, timeout=timeout) as bot:
        emulator.inject_fault(FloodWait(3))
        with pytest.raises(RetryAfter) as flood:
            bot.get_me()
        emulator.inject_fault(Fail(status=500))
        with pytest.raises(ServerError):
            bot.get_me()
        emulator.inject_fault(Fail(status=502, html=True))
        with pytest.raises(InvalidResponse, match="HTTP 502"):
            bot.get_me()
        emulator.inject_fault(MigrateChat(-100777))
        with pytest.raises(ChatMigrated) as migrated:
            bot.send_message(chat_id=-5, text="x")
        emulator.inject_fault(NotJSON())
        with pytest.raises(InvalidResponse):
            bot.get_me()
        emulator.inject_fault(TruncatedBody())
        with pytest.raises(NetworkError) as truncated:
            bot.get_me()
        emulator.inject_fault(DropConnection())
        with pytest.raises(NetworkError) as dropped:
            bot.get_me()
        emulator.inject_fault(SlowResponse(2.0))
        with pytest.raises(TimedOut) as slow:
            bot.get_me()

        assert bot.get_me().id == 987654321  # the pool recovers from all of it

    assert flood.value.retry_after == 3
    assert migrated.value.migrate_to_chat_id == -100777
    assert truncated.value.sent is True
    assert dropped.value.sent is True
    assert slow.value.sent is True


def test_a_refused_connection_was_not_sent() -> None:
    with (
        Bot(CANARY_TOKEN, base_url=f"http://127.0.0.1:{free_port()}") as bot,
        pytest.raises(NetworkError) as caught,
    ):
        bot.get_me()

    assert caught.value.sent is False
    assert not isinstance(caught.value, TimedOut)


# --- the token stays secret on every path ---------------------------------------


def _everything_shown(error: BaseException | None) -> str:
    shown = []
    while error is not None:
        shown += [str(error), repr(error)]
        error = error.__cause__ or error.__context__
    return "\n".join(shown)


def _traceback_with_locals(error: BaseException) -> str:
    # What error reporters capture (Sentry, pytest --showlocals): every frame's locals.
    report = traceback.TracebackException.from_exception(error, capture_locals=True)
    return "".join(report.format())


@pytest.mark.parametrize("user_client", [False, True])
def test_the_token_never_appears_on_any_path(
    emulator: BotAPIEmulator, caplog: pytest.LogCaptureFixture, user_client: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    client = httpx.Client(timeout=httpx.Timeout(2.0, read=0.3)) if user_client else None
    errors: list[BaseException] = []

    bot = Bot(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        timeout=httpx.Timeout(2.0, read=0.3),
        client=client,
    )
    with bot:
        bot.get_me()
        for fault in (FloodWait(1), Fail(status=500), SlowResponse(1.0), DropConnection()):
            emulator.inject_fault(fault)
            with pytest.raises(TelegramError) as caught:
                bot.get_me()
            errors.append(caught.value)
    wrong = Bot(f"987654321:{CANARY_SECRET}x", base_url=emulator.base_url, client=client)
    with wrong, pytest.raises(Unauthorized) as unauthorized:
        wrong.get_me()
    refused = Bot(CANARY_TOKEN, base_url=f"http://127.0.0.1:{free_port()}", client=client)
    with refused, pytest.raises(NetworkError) as not_sent:
        refused.get_me()
    if client is not None:
        client.close()

    errors += [unauthorized.value, not_sent.value]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "HTTP Request" in logged
    assert {type(e).__name__ for e in errors} >= {"RetryAfter", "ServerError", "TimedOut"}
    for error in errors:
        assert CANARY_SECRET not in _everything_shown(error)
        assert CANARY_SECRET not in _traceback_with_locals(error)
        cause = error.__cause__
        if not user_client and isinstance(cause, httpx.RequestError):
            # httpx keeps the request it was given; telebridge gives it the placeholder.
            assert CANARY_SECRET not in str(cause.request.url)
    assert CANARY_SECRET not in logged
    assert CANARY_SECRET not in repr(bot) + repr(wrong) + repr(refused)


def test_an_async_bot_refuses_a_second_loop_running_at_the_same_time(
    emulator: BotAPIEmulator,
) -> None:
    bot = AsyncBot(emulator.token, base_url=emulator.base_url)
    polled: list[object] = []

    async def poll() -> None:
        polled.extend(await bot.get_updates(timeout=2))

    poller = threading.Thread(target=asyncio.run, args=(poll(),))
    poller.start()
    while emulator.open_connections < 1:
        time.sleep(0.01)

    with pytest.raises(EventLoopMismatch, match="another thread"):
        asyncio.run(bot.get_me())
    poller.join(10)

    assert polled == []  # the first loop's long poll finished undisturbed
    assert asyncio.run(bot.get_me()).id == 987654321  # its loop has ended: a new pool
    asyncio.run(bot.aclose())
