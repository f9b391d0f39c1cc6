"""bot.updates() over real loopback TCP: nothing lost, nothing doubled, every exit path.

Each exit-path test runs well over 1000 updates through many stops and
restarts and counts, per update_id, how often the consumer got it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest

from telebridge import AsyncBot, Backoff, Bot, Conflict, Unauthorized, UpdateStream
from telebridge.testing import BotAPIEmulator, DropConnection
from telebridge.testing import RetryAfter as FloodWait
from telebridge.testing import ServerError as Fail

from .conftest import CANARY_SECRET, CANARY_TOKEN

pytestmark = pytest.mark.integration

TOTAL = 1200
# Stops land anywhere in a batch of 100, and sometimes exactly on its edge.
STOP_AFTER = (1, 150)
FAST = Backoff(initial=0.01, maximum=0.05)


@pytest.fixture
def emulator() -> Iterator[BotAPIEmulator]:
    with BotAPIEmulator(token=CANARY_TOKEN) as emulator:
        yield emulator


def inject(emulator: BotAPIEmulator, count: int) -> list[int]:
    return [
        emulator.inject_message(f"#{n}", chat_id=1, user_id=1, first_name="Ann")["update_id"]
        for n in range(count)
    ]


class HandlerFailed(Exception):
    pass


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


async def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)


def assert_duplicates_only_in(seen: Counter[int], windows: list[tuple[int, int]]) -> None:
    """Every update seen twice lies in a window [confirmed offset, interrupted update]."""
    for update_id, count in seen.items():
        if count > 1:
            hits = sum(low <= update_id <= high for low, high in windows)
            assert count - 1 <= hits, (update_id, count, windows)


# --- sync exit paths --------------------------------------------------------------


def test_break_then_restart_hands_out_each_of_1200_updates_exactly_once(
    emulator: BotAPIEmulator,
) -> None:
    ids = inject(emulator, TOTAL)
    rng = random.Random(1)
    seen: Counter[int] = Counter()
    stops = 0

    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        while len(seen) < TOTAL:
            stop_after = rng.randint(*STOP_AFTER)
            with bot.updates(timeout=1, limit=rng.choice([None, 7, 100])) as updates:
                for count, update in enumerate(updates, 1):
                    seen[update.update_id] += 1
                    if count == stop_after or len(seen) == TOTAL:
                        break
            stops += 1
            # The clean stop told the server before the with block ended.
            assert emulator.confirmed_offset == max(seen) + 1

    assert sorted(seen) == ids
    assert set(seen.values()) == {1}
    assert stops > 10
    assert emulator.pending_updates == []


def test_an_exception_redelivers_only_the_update_it_interrupted(
    emulator: BotAPIEmulator,
) -> None:
    ids = inject(emulator, TOTAL)
    rng = random.Random(2)
    seen: Counter[int] = Counter()
    done: Counter[int] = Counter()
    failed: Counter[int] = Counter()

    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        while len(done) < TOTAL:
            fail_at = rng.randint(*STOP_AFTER)
            with contextlib.suppress(HandlerFailed), bot.updates(timeout=1) as updates:
                for count, update in enumerate(updates, 1):
                    seen[update.update_id] += 1
                    if count == fail_at:
                        failed[update.update_id] += 1
                        raise HandlerFailed(update.update_id)
                    done[update.update_id] += 1
                    if len(done) == TOTAL:
                        break
            if count == fail_at:
                # Finished updates were confirmed; the failing one was not.
                assert emulator.confirmed_offset == update.update_id

    assert sorted(done) == ids
    assert set(done.values()) == {1}
    assert len(failed) > 10
    for update_id in ids:
        assert seen[update_id] == 1 + failed[update_id]


def test_ctrl_c_in_the_handler_never_confirms_the_update_in_hand(
    emulator: BotAPIEmulator,
) -> None:
    ids = inject(emulator, TOTAL)
    rng = random.Random(3)
    seen: Counter[int] = Counter()
    windows: list[tuple[int, int]] = []

    def handle_until_ctrl_c(bot: Bot, interrupt_at: int) -> None:
        with bot.updates(timeout=1) as updates:
            for count, update in enumerate(updates, 1):
                seen[update.update_id] += 1
                if count == interrupt_at or len(seen) == TOTAL:
                    in_hand.append(update.update_id)
                    requests_before.append(emulator.requests)
                    raise KeyboardInterrupt

    in_hand: list[int] = []
    requests_before: list[int] = []
    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        while len(seen) < TOTAL:
            with pytest.raises(KeyboardInterrupt):
                handle_until_ctrl_c(bot, rng.randint(*STOP_AFTER))
            confirmed = emulator.confirmed_offset
            assert confirmed <= in_hand[-1]
            assert emulator.requests == requests_before[-1]  # no request after Ctrl+C
            windows.append((confirmed, in_hand[-1]))

    assert sorted(seen) == ids
    assert_duplicates_only_in(seen, windows)
    assert all(seen[high] >= 2 for _, high in windows[:-1])


def test_a_real_sigint_during_a_long_poll_stops_at_once_and_resumes_cleanly(
    emulator: BotAPIEmulator,
) -> None:
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's default KeyboardInterrupt handler here")
    ids = inject(emulator, 2)
    handled: list[int] = []

    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started: list[float] = []

    def poll_until_ctrl_c(bot: Bot) -> None:
        with bot.updates(timeout=10) as updates:
            for update in updates:
                handled.append(update.update_id)
                if len(handled) == 2:
                    timer.start()
                    started.append(time.perf_counter())

    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        with pytest.raises(KeyboardInterrupt):
            poll_until_ctrl_c(bot)
        latency = time.perf_counter() - started[0] - 0.3
        timer.join()
        requests = emulator.requests
        wait_until(lambda: emulator.open_connections == 0)

        later = inject(emulator, 1)
        again = [update.update_id for update in bot.get_updates(timeout=0)]

    assert handled == ids
    assert latency < 0.5
    assert requests == 2  # the first poll and the one Ctrl+C ended; nothing after it
    # Both were finished (the consumer asked for more), and the poll said so.
    assert emulator.confirmed_offset >= ids[-1] + 1
    assert again == later


def test_a_bare_for_loop_loses_nothing_and_repeats_at_most_the_last_batch(
    emulator: BotAPIEmulator,
) -> None:
    ids = inject(emulator, 300)
    rng = random.Random(5)
    seen: Counter[int] = Counter()
    windows: list[tuple[int, int]] = []

    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        while len(seen) < len(ids):
            stop_after = rng.randint(*STOP_AFTER)
            for count, update in enumerate(bot.updates(timeout=1, limit=50), 1):
                seen[update.update_id] += 1
                if count == stop_after or len(seen) == len(ids):
                    break
            windows.append((emulator.confirmed_offset, update.update_id))
            assert emulator.confirmed_offset <= update.update_id

    assert sorted(seen) == ids
    assert_duplicates_only_in(seen, windows)


def test_close_is_an_explicit_clean_stop_for_a_bare_loop(emulator: BotAPIEmulator) -> None:
    ids = inject(emulator, 5)

    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        updates = bot.updates(timeout=1)
        for update in updates:
            if update.update_id == ids[2]:
                updates.close()
                break
        updates.close()  # idempotent
        rest = [u.update_id for u in bot.get_updates(timeout=0)]

    assert emulator.confirmed_offset >= ids[2] + 1
    assert rest == ids[3:]
    assert list(updates) == []


# --- async exit paths -------------------------------------------------------------


async def test_async_break_then_restart_hands_out_each_update_exactly_once(
    emulator: BotAPIEmulator,
) -> None:
    ids = inject(emulator, TOTAL)
    rng = random.Random(11)
    seen: Counter[int] = Counter()

    async with AsyncBot(emulator.token, base_url=emulator.base_url) as bot:
        while len(seen) < TOTAL:
            stop_after = rng.randint(*STOP_AFTER)
            async with bot.updates(timeout=1) as updates:
                count = 0
                async for update in updates:
                    count += 1
                    seen[update.update_id] += 1
                    if count == stop_after or len(seen) == TOTAL:
                        break
            assert emulator.confirmed_offset == max(seen) + 1

    assert sorted(seen) == ids
    assert set(seen.values()) == {1}
    assert emulator.pending_updates == []


async def test_async_exception_redelivers_only_the_update_it_interrupted(
    emulator: BotAPIEmulator,
) -> None:
    ids = inject(emulator, TOTAL)
    rng = random.Random(12)
    seen: Counter[int] = Counter()
    done: Counter[int] = Counter()
    failed: Counter[int] = Counter()

    async with AsyncBot(emulator.token, base_url=emulator.base_url) as bot:
        while len(done) < TOTAL:
            fail_at = rng.randint(*STOP_AFTER)
            failing: int | None = None
            with contextlib.suppress(HandlerFailed):
                async with bot.updates(timeout=1) as updates:
                    count = 0
                    async for update in updates:
                        count += 1
                        seen[update.update_id] += 1
                        if count == fail_at:
                            failing = update.update_id
                            failed[failing] += 1
                            raise HandlerFailed(failing)
                        done[update.update_id] += 1
                        if len(done) == TOTAL:
                            break
            if failing is not None:
                assert emulator.confirmed_offset == failing

    assert sorted(done) == ids
    assert set(done.values()) == {1}
    assert len(failed) > 10
    for update_id in ids:
        assert seen[update_id] == 1 + failed[update_id]


async def test_cancelling_the_task_mid_handler_never_confirms_the_update_in_hand(
    emulator: BotAPIEmulator,
) -> None:
    ids = inject(emulator, TOTAL)
    rng = random.Random(13)
    seen: Counter[int] = Counter()
    windows: list[tuple[int, int]] = []

    async def consume(bot: AsyncBot, cancel_at: int, holding: asyncio.Future[int]) -> None:
        async with bot.updates(timeout=1) as updates:
            count = 0
            async for update in updates:
                count += 1
                seen[update.update_id] += 1
                if count == cancel_at or len(seen) == TOTAL:
                    holding.set_result(update.update_id)
                    await asyncio.Event().wait()  # a handler still busy when cancelled

    async with AsyncBot(emulator.token, base_url=emulator.base_url) as bot:
        while len(seen) < TOTAL:
            holding: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(consume(bot, rng.randint(*STOP_AFTER), holding))
            in_hand = await holding
            requests_before = emulator.requests
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            confirmed = emulator.confirmed_offset
            assert confirmed <= in_hand
            assert emulator.requests == requests_before
            windows.append((confirmed, in_hand))

    assert sorted(seen) == ids
    assert_duplicates_only_in(seen, windows)
    assert all(seen[high] >= 2 for _, high in windows[:-1])


async def test_cancelling_a_pending_long_poll_is_prompt_and_frees_its_connection(
    emulator: BotAPIEmulator,
) -> None:
    ids = inject(emulator, 3)
    handled: list[int] = []

    async def consume(bot: AsyncBot) -> None:
        async with bot.updates(timeout=30) as updates:
            async for update in updates:
                handled.append(update.update_id)

    async with AsyncBot(emulator.token, base_url=emulator.base_url) as bot:
        task = asyncio.create_task(consume(bot))
        await eventually(lambda: emulator.method_calls["getUpdates"] == 2)
        await asyncio.sleep(0.2)  # the second poll is now held open by the server
        confirmed_before = emulator.confirmed_offset
        requests_before = emulator.requests

        started = time.perf_counter()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        latency = time.perf_counter() - started

        await eventually(lambda: emulator.open_connections == 0)
        open_after_cancel = emulator.open_connections
        later = inject(emulator, 1)
        again = await bot.get_updates(timeout=0)

    assert handled == ids
    assert latency < 1.0
    assert confirmed_before == ids[-1] + 1  # the pending poll said all three were finished
    assert emulator.confirmed_offset == confirmed_before
    assert emulator.requests == requests_before + 1  # only get_updates above
    assert open_after_cancel == 0  # the abandoned poll's connection was closed, not pooled
    assert [u.update_id for u in again] == later


# --- failures while polling -------------------------------------------------------


def test_polling_backs_off_through_outages_and_loses_nothing(
    emulator: BotAPIEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="telebridge.polling")
    ids = inject(emulator, 40)
    emulator.inject_fault(Fail(status=500), method="getUpdates", times=2)
    emulator.inject_fault(Fail(status=502, html=True), method="getUpdates")
    seen: Counter[int] = Counter()

    with (
        Bot(emulator.token, base_url=emulator.base_url) as bot,
        bot.updates(timeout=1, limit=10, backoff=FAST) as updates,
    ):
        for update in updates:
            seen[update.update_id] += 1
            if len(seen) == 15:
                emulator.inject_fault(DropConnection(), method="getUpdates")
                emulator.inject_fault(Fail(status=503), method="getUpdates")
            if len(seen) == len(ids):
                break

    backoffs = [r for r in caplog.records if r.name == "telebridge.polling"]
    assert sorted(seen) == ids
    assert set(seen.values()) == {1}
    assert len(backoffs) == 5
    assert all(r.levelno == logging.INFO for r in backoffs)
    assert "polling again in" in backoffs[0].getMessage()
    assert CANARY_SECRET not in "\n".join(r.getMessage() for r in caplog.records)


async def test_async_polling_backs_off_through_outages_and_loses_nothing(
    emulator: BotAPIEmulator,
) -> None:
    ids = inject(emulator, 25)
    emulator.inject_fault(DropConnection(), method="getUpdates")
    emulator.inject_fault(Fail(status=500), method="getUpdates", times=3)
    seen: Counter[int] = Counter()

    async with (
        AsyncBot(emulator.token, base_url=emulator.base_url) as bot,
        bot.updates(timeout=1, limit=10, backoff=FAST) as updates,
    ):
        async for update in updates:
            seen[update.update_id] += 1
            if len(seen) == 12:
                emulator.inject_fault(DropConnection(), method="getUpdates")
            if len(seen) == len(ids):
                break

    assert sorted(seen) == ids
    assert set(seen.values()) == {1}
    assert emulator.method_calls["getUpdates"] >= 3 + 5 + 1


def test_flood_control_while_polling_waits_retry_after_then_resumes(
    emulator: BotAPIEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="telebridge.polling")
    [update_id] = inject(emulator, 1)
    emulator.inject_fault(FloodWait(1), method="getUpdates")

    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        started = time.monotonic()
        with bot.updates(timeout=1, backoff=FAST) as updates:
            first = next(iter(updates))
        waited = time.monotonic() - started

    assert first.update_id == update_id
    assert waited >= 1.0
    assert any("flood control" in r.getMessage() for r in caplog.records)


def test_a_webhook_stops_polling_with_a_conflict_that_says_delete_it(
    emulator: BotAPIEmulator,
) -> None:
    [update_id] = inject(emulator, 1)

    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        assert bot.set_webhook("http://127.0.0.1:9/hook") is True
        with pytest.raises(Conflict, match=r"bot\.delete_webhook\(\)") as caught:
            for _ in bot.updates(timeout=1, backoff=FAST):
                pass
        bot.delete_webhook()
        with bot.updates(timeout=1) as updates:
            after = next(iter(updates))

    assert caught.value.error_code == 409
    assert after.update_id == update_id


def test_a_second_poller_stops_the_first_with_a_conflict_naming_it(
    emulator: BotAPIEmulator,
) -> None:
    errors: list[BaseException] = []

    with Bot(emulator.token, base_url=emulator.base_url) as bot:

        def poll() -> None:
            try:
                with bot.updates(timeout=10, backoff=FAST) as updates:
                    for _ in updates:
                        pass
            except Conflict as error:
                errors.append(error)

        poller = threading.Thread(target=poll)
        poller.start()
        wait_until(lambda: emulator.method_calls["getUpdates"] >= 1)
        time.sleep(0.1)
        with Bot(emulator.token, base_url=emulator.base_url) as other:
            other.get_updates(timeout=0)
        poller.join(5)

    assert not poller.is_alive()
    assert len(errors) == 1
    assert "another process is polling" in str(errors[0])


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_rejected_token_stops_polling_without_showing_it(
    emulator: BotAPIEmulator, kind: str
) -> None:
    wrong = f"987654321:{CANARY_SECRET}x"

    async def poll_async() -> None:
        async with AsyncBot(wrong, base_url=emulator.base_url) as bot:
            async for _ in bot.updates(timeout=1, backoff=FAST):
                pass

    def poll_sync() -> None:
        with Bot(wrong, base_url=emulator.base_url) as bot:
            for _ in bot.updates(timeout=1, backoff=FAST):
                pass

    with pytest.raises(Unauthorized, match="@BotFather") as caught:
        poll_sync() if kind == "sync" else asyncio.run(poll_async())

    assert CANARY_SECRET not in str(caught.value) + repr(caught.value)
    assert emulator.method_calls["getUpdates"] == 1  # no retry loop on a bad token


def test_an_idle_long_poll_outlives_a_short_read_timeout_quietly(
    emulator: BotAPIEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="telebridge.polling")
    timeout = httpx.Timeout(connect=2.0, read=0.3, write=2.0, pool=2.0)
    received: list[int] = []

    with Bot(emulator.token, base_url=emulator.base_url, timeout=timeout) as bot:

        def poll() -> None:
            with bot.updates(timeout=1) as updates:
                for update in updates:
                    received.append(update.update_id)
                    break

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(2.5)  # two idle polls of 1 s, each longer than the read timeout
        still_waiting = poller.is_alive()
        [update_id] = inject(emulator, 1)
        poller.join(5)

    assert still_waiting
    assert received == [update_id]
    assert emulator.method_calls["getUpdates"] >= 3
    assert [r.getMessage() for r in caplog.records if r.name == "telebridge.polling"] == []


def test_a_stream_shows_its_state_but_not_the_token(emulator: BotAPIEmulator) -> None:
    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        stream = bot.updates(timeout=7)
        before = repr(stream)
        stream.close()

    assert isinstance(stream, UpdateStream)
    assert before == "UpdateStream(timeout=7, offset=None, open)"
    assert repr(stream).endswith("closed)")
    assert CANARY_SECRET not in before


def test_both_bots_offer_the_same_updates_signature() -> None:
    sync = inspect.signature(Bot.updates)
    asynchronous = inspect.signature(AsyncBot.updates)

    assert list(sync.parameters) == ["self", "timeout", "allowed_updates", "limit", "backoff"]
    assert sync.parameters == asynchronous.parameters
    assert all(
        p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(sync.parameters.values())[1:]
    )


def test_a_clean_stop_that_cannot_confirm_warns_and_loses_nothing(
    emulator: BotAPIEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    ids = inject(emulator, 3)

    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        with bot.updates(timeout=1) as updates:
            first = next(updates)
            emulator.inject_fault(DropConnection(), method="getUpdates")
        again = [update.update_id for update in bot.get_updates(timeout=0)]

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert first.update_id == ids[0]
    assert again == ids  # the confirmation never arrived, so all three come again
    assert len(warnings) == 1
    assert "deliver them again" in warnings[0].getMessage()
    assert CANARY_SECRET not in warnings[0].getMessage()
