"""Echo bot on ``bot.updates()``: long polling with no update lost or handled twice.

With TELEGRAM_BOT_TOKEN set, this polls Telegram and echoes until Ctrl+C.
Without it, it starts the bundled Bot API emulator, has a few users write,
echoes each message, stops cleanly after the last one, then starts polling
again to show that a restart repeats nothing; it prints the transcript and
exits 0.

    python examples/polling_bot.py
"""

from __future__ import annotations

import logging
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


def echo(bot: Bot, update: Update) -> None:
    message = update.message
    if message is None or message.text is None:
        return
    sender = message.from_user.first_name if message.from_user else "someone"
    print(f"  {sender:>8} > {message.text}")
    reply = bot.send_message(chat_id=message.chat.id, text=message.text)
    print(f"  {'bot':>8} < {reply.text}")


def run_against_telegram(token: str) -> int:
    # Shows the backoff lines when the network or Telegram has trouble.
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with Bot(token) as bot:
        me = bot.get_me()
        print(f"Echoing messages to @{me.username}; press Ctrl+C to stop.")
        with bot.updates(timeout=30, allowed_updates=["message"]) as updates:
            for update in updates:
                echo(bot, update)
    return 0


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
        last = emulator.inject_message("/stop", chat_id=1001, user_id=1001, first_name="Ann")

        with Bot(emulator.token, base_url=emulator.base_url) as bot:
            with bot.updates(timeout=1, allowed_updates=["message"]) as updates:
                for update in updates:
                    if update.message is not None and update.message.text == "/stop":
                        break  # a clean stop: this update counts as handled
                    echo(bot, update)
            offset = last["update_id"] + 1
            print(f"Stopped cleanly; Telegram was told to forget updates below {offset}.")

            # A restarted bot sees nothing it already handled.
            repeated = bot.get_updates(timeout=0)

        sent = [message["text"] for message in emulator.sent_messages]
        if sent != [text for _, _, text in DEMO_MESSAGES] or repeated:
            print(f"Unexpected outcome: sent {sent!r}, repeated {repeated!r}")
            return 1
        if emulator.confirmed_offset != last["update_id"] + 1:
            print(f"The emulator's confirmed offset is {emulator.confirmed_offset}")
            return 1
        print(f"Echoed {len(sent)} messages; a restart received {len(repeated)} old updates.")
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
