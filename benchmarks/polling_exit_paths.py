"""Measure bot.updates() against the emulator: redeliveries per exit path, cancel latency.

    python benchmarks/polling_exit_paths.py [updates]

For each way of stopping (break, exception, Ctrl+C, task cancellation) it
runs the given number of updates (default 2000) through random stops and
restarts and reports how often the consumer saw an update again, how many
updates a poll handed out over HTTP more than once, and the throughput.
Then it cancels 20 pending long polls and reports how long each took.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import sys
import time
from collections import Counter

from telebridge import AsyncBot, Bot
from telebridge.testing import BotAPIEmulator

STOP_AFTER = (1, 150)


class Stop(Exception):
    pass


def inject(emulator: BotAPIEmulator, count: int) -> None:
    for n in range(count):
        emulator.inject_message(f"#{n}", chat_id=1, user_id=1, first_name="Ann")


def run_sync(total: int, how: str) -> tuple[Counter[int], Counter[int], float, int]:
    rng = random.Random(7)
    seen: Counter[int] = Counter()
    stops = 0
    with BotAPIEmulator() as emulator:
        inject(emulator, total)
        started = time.perf_counter()
        with Bot(emulator.token, base_url=emulator.base_url) as bot:
            while len(seen) < total:
                stop_at = rng.randint(*STOP_AFTER)
                stops += 1
                with (
                    contextlib.suppress(Stop, KeyboardInterrupt),
                    bot.updates(timeout=1) as updates,
                ):
                    for count, update in enumerate(updates, 1):
                        seen[update.update_id] += 1
                        if count == stop_at or len(seen) == total:
                            if how == "break":
                                break
                            raise Stop if how == "exception" else KeyboardInterrupt
        elapsed = time.perf_counter() - started
        return seen, emulator.deliveries, elapsed, stops


async def run_cancel(total: int) -> tuple[Counter[int], Counter[int], float, int]:
    rng = random.Random(7)
    seen: Counter[int] = Counter()
    stops = 0

    async def consume(bot: AsyncBot, stop_at: int, holding: asyncio.Future[None]) -> None:
        async with bot.updates(timeout=1) as updates:
            count = 0
            async for update in updates:
                count += 1
                seen[update.update_id] += 1
                if count == stop_at or len(seen) == total:
                    holding.set_result(None)
                    await asyncio.Event().wait()

    with BotAPIEmulator() as emulator:
        inject(emulator, total)
        started = time.perf_counter()
        async with AsyncBot(emulator.token, base_url=emulator.base_url) as bot:
            while len(seen) < total:
                holding = asyncio.get_running_loop().create_future()
                task = asyncio.create_task(consume(bot, rng.randint(*STOP_AFTER), holding))
                await holding
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                stops += 1
        elapsed = time.perf_counter() - started
        return seen, emulator.deliveries, elapsed, stops


async def cancel_latencies(rounds: int) -> list[float]:
    latencies = []
    with BotAPIEmulator() as emulator:
        async with AsyncBot(emulator.token, base_url=emulator.base_url) as bot:
            for _ in range(rounds):
                task = asyncio.create_task(anext(aiter(bot.updates(timeout=30))))
                await asyncio.sleep(0.1)  # the poll is now held by the server
                started = time.perf_counter()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                latencies.append(time.perf_counter() - started)
    return latencies


def report(how: str, result: tuple[Counter[int], Counter[int], float, int]) -> None:
    seen, deliveries, elapsed, stops = result
    again = sum(count - 1 for count in seen.values())
    http_again = sum(count - 1 for count in deliveries.values())
    print(
        f"{how:>12}: {len(seen)} updates, {stops} stops, seen again {again} "
        f"(max {max(seen.values())}x), handed out again over HTTP {http_again}, "
        f"{len(seen) / elapsed:,.0f} updates/s"
    )


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for how in ("break", "exception", "ctrl-c"):
        report(how, run_sync(total, how))
    report("cancel", asyncio.run(run_cancel(total)))
    latencies = asyncio.run(cancel_latencies(20))
    print(
        f"cancel a pending long poll: median {statistics.median(latencies) * 1000:.2f} ms, "
        f"max {max(latencies) * 1000:.2f} ms over {len(latencies)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
