"""Echo bot receiving its updates on a webhook, served by uvicorn on 127.0.0.1.

Without TELEGRAM_BOT_TOKEN it starts the bundled Bot API emulator, points the
bot's webhook at this server, has a few users write, echoes each message,
shows that a forged request is refused, prints the transcript and exits 0.

With TELEGRAM_BOT_TOKEN and WEBHOOK_URL set (a public https:// URL that your
reverse proxy or tunnel forwards to http://127.0.0.1:8080/telegram), it sets
the webhook on Telegram and echoes until Ctrl+C, then removes the webhook.

    python examples/webhook_asgi.py

The web part is a bare ASGI app so that nothing hides what a framework
adapter has to do: read the body, call ``parse_webhook_update`` with the
headers, answer an error's ``status_code``, and only answer 200 once the
update was handled (any other answer makes Telegram deliver it again).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import uvicorn

from telebridge import AsyncBot, WebhookError, parse_webhook_update
from telebridge.types import Update

WEBHOOK_PATH = "/telegram"
# Telegram's updates are small; anything bigger is not from Telegram.
MAX_BODY = 1024 * 1024

DEMO_MESSAGES = [
    ("Ann", 1001, "Hello over a webhook!"),
    ("Борис", 1002, "Привет из вебхука"),
    ("Chloé", 1003, "Ça marche ? 👋"),
]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Handler = Callable[[Update], Awaitable[None]]


class WebhookApp:
    """An ASGI app that hands each authentic update POSTed to WEBHOOK_PATH to ``handle``."""

    def __init__(self, secret_token: str, handle: Handler) -> None:
        self._secret_token = secret_token
        self._handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] != WEBHOOK_PATH or scope["method"] != "POST":
            await respond(send, 404, b"not found")
            return

        body = await read_body(receive)
        if body is None:
            await respond(send, 413, b"too large")
            return
        try:
            update = parse_webhook_update(body, scope["headers"], secret_token=self._secret_token)
        except WebhookError as error:
            await respond(send, error.status_code, str(error).encode())
            return

        try:
            await self._handle(update)
        except Exception as error:
            # Not 200: Telegram keeps the update and delivers it again.
            print(f"  handler failed on update {update.update_id}: {error!r}")
            await respond(send, 500, b"handler failed")
            return
        await respond(send, 200, b"")


async def read_body(receive: Receive) -> bytes | None:
    body = bytearray()
    while True:
        event = await receive()
        body += event.get("body", b"")
        if len(body) > MAX_BODY:
            return None
        if not event.get("more_body"):
            return bytes(body)


async def respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def serve(app: WebhookApp, port: int) -> AsyncIterator[tuple[str, asyncio.Task[None]]]:
    """Run ``app`` with uvicorn on 127.0.0.1:``port`` (0: any free port).

    Yield the server's root URL and its task, which ends when uvicorn stops
    (on Ctrl+C, as uvicorn handles the signal itself).
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False, log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if task.done():
                await task
                raise RuntimeError("uvicorn stopped while starting")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", task
    finally:
        server.should_exit = True
        await task
        listener.close()


def make_echo(bot: AsyncBot, transcript: list[str]) -> Handler:
    async def echo(update: Update) -> None:
        message = update.message
        if message is None or message.text is None:
            return
        sender = message.from_user.first_name if message.from_user else "someone"
        reply = await bot.send_message(chat_id=message.chat.id, text=message.text)
        transcript.append(f"  {sender:>8} > {message.text}\n  {'bot':>8} < {reply.text}")
        print(transcript[-1])

    return echo


async def run_demo() -> int:
    try:
        from telebridge.testing import BotAPIEmulator
    except ImportError:
        print("The emulator needs the 'emulator' extra: pip install 'telebridge[emulator]'")
        return 1

    secret_token = secrets.token_urlsafe(32)
    transcript: list[str] = []
    with BotAPIEmulator() as emulator:
        print(
            f"No TELEGRAM_BOT_TOKEN set: using the local Bot API emulator at {emulator.base_url}"
        )
        async with AsyncBot(emulator.token, base_url=emulator.base_url) as bot:
            app = WebhookApp(secret_token, make_echo(bot, transcript))
            async with serve(app, port=0) as (root, _):
                url = root + WEBHOOK_PATH
                await bot.set_webhook(url, secret_token=secret_token, allowed_updates=["message"])
                info = await bot.get_webhook_info()
                print(f"Webhook set to {info.url}; the emulator now POSTs updates there:")

                for name, user_id, text in DEMO_MESSAGES:
                    emulator.inject_message(
                        text, chat_id=user_id, user_id=user_id, first_name=name
                    )
                await wait_for(lambda: len(transcript) == len(DEMO_MESSAGES), seconds=10)

                async with httpx.AsyncClient(trust_env=False) as client:
                    forged = await client.post(url, json={"update_id": 1})
                print(f"A POST without the secret header was refused: HTTP {forged.status_code}")

                await bot.delete_webhook()

        sent = [message["text"] for message in emulator.sent_messages]
        if sent != [text for _, _, text in DEMO_MESSAGES] or forged.status_code != 401:
            print(f"Unexpected outcome: the emulator received {sent!r}")
            return 1
        statuses = [status for _, status in emulator.webhook_attempts]
        print(f"Echoed {len(sent)} messages; webhook answers: {statuses}.")
    return 0


async def wait_for(condition: Callable[[], bool], *, seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the webhook did not receive every update in time")
        await asyncio.sleep(0.02)


async def run_against_telegram(token: str, public_url: str) -> int:
    port = int(os.environ.get("PORT", "8080"))
    secret_token = secrets.token_urlsafe(32)
    async with AsyncBot(token) as bot:
        me = await bot.get_me()
        app = WebhookApp(secret_token, make_echo(bot, []))
        async with serve(app, port=port) as (_, server):
            await bot.set_webhook(public_url, secret_token=secret_token)
            print(f"@{me.username} receives updates at {public_url}; press Ctrl+C to stop.")
            try:
                await server
            finally:
                await bot.delete_webhook()
                print("Webhook removed.")
    return 0


def main() -> int:
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    if not token:
        return asyncio.run(run_demo())
    public_url = os.environ.get("WEBHOOK_URL")
    if not public_url:
        print("Set WEBHOOK_URL to the public https:// URL that reaches this server.")
        return 2
    try:
        return asyncio.run(run_against_telegram(token, public_url))
    except KeyboardInterrupt:
        print("\nStopped.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
