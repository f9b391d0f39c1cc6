"""Echo every text message back to its chat, with AsyncBot.

With TELEGRAM_BOT_TOKEN set, this long-polls Telegram and echoes until
Ctrl+C. Without it, it runs the same demo as echo_bot.py against the
bundled local Bot API emulator, with the replies sent concurrently.

    python examples/async_echo_bot.py
"""

from __future__ import annotations

import asyncio
import os
import sys

from telebridge import AsyncBot
from telebridge.types import Message

DEMO_MESSAGES = [
    ("Ann", 1001, "Hello, async bot!"),
    ("Борис", 1002, "Привет! Как дела?"),
    ("Chloé", 1003, "Ça va ? 👋🎉"),
    ("Dai", 1004, "你好世界 🌏"),
]


async def echo_updates(
    bot: AsyncBot, offset: int | None, poll_timeout: int
) -> tuple[int | None, int]:
    """Answer one batch of updates concurrently; return the next offset and the count."""
    updates = await bot.get_updates(
        offset=offset, timeout=poll_timeout, allowed_updates=["message"]
    )
    messages = [u.message for u in updates if u.message is not None and u.message.text]
    if updates:
        offset = updates[-1].update_id + 1
    replies = await asyncio.gather(*(echo(bot, message) for message in messages))
    return offset, len(replies)


async def echo(bot: AsyncBot, message: Message) -> Message:
    assert message.text is not None
    sender = message.from_user.first_name if message.from_user else "someone"
    reply = await bot.send_message(chat_id=message.chat.id, text=message.text)
    print(f"  {sender:>8} > {message.text}\n  {'bot':>8} < {reply.text}")
    return reply


async def run_against_telegram(token: str) -> int:
    async with AsyncBot(token) as bot:
        me = await bot.get_me()
        print(f"Echoing messages to @{me.username}; press Ctrl+C to stop.")
        offset: int | None = None
        while True:
            offset, _ = await echo_updates(bot, offset, poll_timeout=30)


async def run_demo() -> int:
    try:
        from telebridge.testing import BotAPIEmulator
    except ImportError:
        print("The emulator needs the 'emulator' extra: pip install 'telebridge[emulator]'")
        return 1

    with BotAPIEmulator() as emulator:
        print(
            f"No TELEGRAM_BOT_TOKEN set: using the local Bot API emulator at {emulator.base_url}"
        )
        for name, user_id, text in DEMO_MESSAGES:
            emulator.inject_message(text, chat_id=user_id, user_id=user_id, first_name=name)

        async with AsyncBot(emulator.token, base_url=emulator.base_url) as bot:
            me = await bot.get_me()
            print(f"Bot @{me.username} (id {me.id}) is echoing:")
            offset: int | None = None
            echoed = 0
            while echoed < len(DEMO_MESSAGES):
                offset, count = await echo_updates(bot, offset, poll_timeout=1)
                echoed += count
            await bot.get_updates(offset=offset, timeout=0)

        sent = sorted(message["text"] for message in emulator.sent_messages)
        if sent != sorted(text for _, _, text in DEMO_MESSAGES):
            print(f"Echo mismatch: the emulator received {sent!r}")
            return 1
        print(
            f"Echoed {echoed} messages in {emulator.requests} HTTP requests "
            f"over {emulator.connections_opened} TCP connection(s)."
        )
    return 0


def main() -> int:
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    try:
        return asyncio.run(run_against_telegram(token) if token else run_demo())
    except KeyboardInterrupt:
        print("\nStopped.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
