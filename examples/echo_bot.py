"""Echo every text message back to its chat: the telebridge main job.

With TELEGRAM_BOT_TOKEN set, this long-polls Telegram and echoes until
Ctrl+C. Without it, it starts the bundled local Bot API emulator, has a few
users write to the bot, echoes each message over real HTTP, prints the
transcript and exits 0.

    python examples/echo_bot.py
"""

from __future__ import annotations

import os
import sys

from telebridge import Bot
from telebridge.types import Update

DEMO_MESSAGES = [
    ("Ann", 1001, "Hello, bot!"),
    ("Борис", 1002, "Привет! Как дела?"),
    ("Chloé", 1003, "Ça va ? 👋🎉"),
    ("Dai", 1004, "你好世界 🌏"),
]


def echo_updates(bot: Bot, offset: int | None, poll_timeout: int) -> tuple[int | None, int]:
    """Answer one batch of updates; return the next offset and how many were echoed."""
    echoed = 0
    for update in bot.get_updates(
        offset=offset, timeout=poll_timeout, allowed_updates=["message"]
    ):
        offset = update.update_id + 1
        echoed += echo(bot, update)
    return offset, echoed


def echo(bot: Bot, update: Update) -> int:
    message = update.message
    if message is None or message.text is None:
        return 0
    sender = message.from_user.first_name if message.from_user else "someone"
    print(f"  {sender:>8} > {message.text}")
    reply = bot.send_message(chat_id=message.chat.id, text=message.text)
    print(f"  {'bot':>8} < {reply.text}")
    return 1


def run_against_telegram(token: str) -> int:
    with Bot(token) as bot:
        me = bot.get_me()
        print(f"Echoing messages to @{me.username}; press Ctrl+C to stop.")
        offset: int | None = None
        while True:
            offset, _ = echo_updates(bot, offset, poll_timeout=30)


def run_demo() -> int:
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

        with Bot(emulator.token, base_url=emulator.base_url) as bot:
            me = bot.get_me()
            print(f"Bot @{me.username} (id {me.id}) is echoing:")
            offset: int | None = None
            echoed = 0
            while echoed < len(DEMO_MESSAGES):
                offset, count = echo_updates(bot, offset, poll_timeout=1)
                echoed += count
            # Confirm the last batch, as a restarted bot would.
            bot.get_updates(offset=offset, timeout=0)

        sent = [message["text"] for message in emulator.sent_messages]
        if sent != [text for _, _, text in DEMO_MESSAGES]:
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
        return run_against_telegram(token) if token else run_demo()
    except KeyboardInterrupt:
        print("\nStopped.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
