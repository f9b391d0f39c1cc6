"""Webhooks end to end: the emulator POSTs to a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from telebridge import (
    SECRET_TOKEN_HEADER,
    BadRequest,
    Bot,
    WebhookError,
    parse_webhook_update,
)
from telebridge.testing import BotAPIEmulator
from telebridge.types import Update

from .conftest import CANARY_TOKEN

pytestmark = pytest.mark.integration

SECRET = "webhook-Secret_42"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Receiver:
    """A webhook endpoint as an adapter would write it, recording what it accepted."""

    def __init__(self, *, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.accepted: list[Update] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break

        try:
            update = parse_webhook_update(body, scope["headers"], secret_token=SECRET)
        except WebhookError as error:
            status = error.status_code
        else:
            with self._lock:
                failing = self.fail_first > 0
                self.fail_first -= 1
                if not failing:
                    self.accepted.append(update)
            status = 500 if failing else 200
        with self._lock:
            self.statuses.append(status)

        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def accepted_ids(self) -> list[int]:
        with self._lock:
            return [update.update_id for update in self.accepted]


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port of 127.0.0.1 in a thread; yield its URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def emulator() -> Iterator[BotAPIEmulator]:
    with BotAPIEmulator(token=CANARY_TOKEN) as emulator:
        yield emulator


@pytest.fixture
def bot(emulator: BotAPIEmulator) -> Iterator[Bot]:
    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        yield bot


def inject(emulator: BotAPIEmulator, count: int) -> list[int]:
    return [
        emulator.inject_message(f"#{n}", chat_id=2, user_id=2, first_name="Bo")["update_id"]
        for n in range(count)
    ]


def test_the_emulator_posts_each_update_in_order_with_the_secret(
    emulator: BotAPIEmulator, bot: Bot
) -> None:
    receiver = Receiver()
    with serve(receiver) as url:
        assert bot.set_webhook(url, secret_token=SECRET, allowed_updates=["message"])
        info = bot.get_webhook_info()
        ids = inject(emulator, 30)
        emulator.inject_update({"callback_query": {"id": "1"}})  # a kind the hook did not ask for
        wait_until(lambda: len(receiver.accepted) == len(ids))
        time.sleep(0.2)  # room for a wrong extra delivery to show up

    assert info.url == url
    assert receiver.accepted_ids() == ids
    assert receiver.accepted[0].message is not None
    assert receiver.accepted[0].message.text == "#0"
    assert set(receiver.statuses) == {200}
    assert [update_id for update_id, _ in emulator.webhook_attempts] == ids
    assert emulator.pending_updates == []
    assert emulator.confirmed_offset == ids[-1] + 1


def test_a_failing_endpoint_gets_the_same_update_until_it_answers_2xx(
    emulator: BotAPIEmulator, bot: Bot
) -> None:
    receiver = Receiver(fail_first=3)
    with serve(receiver) as url:
        bot.set_webhook(url, secret_token=SECRET)
        ids = inject(emulator, 5)
        wait_until(lambda: len(receiver.accepted) == len(ids))

    attempts = emulator.webhook_attempts
    assert receiver.accepted_ids() == ids
    assert attempts[:4] == [(ids[0], 500)] * 3 + [(ids[0], 200)]
    assert attempts[4:] == [(update_id, 200) for update_id in ids[1:]]


def test_an_unreachable_endpoint_keeps_the_update_queued(
    emulator: BotAPIEmulator, bot: Bot
) -> None:
    bot.set_webhook(f"http://127.0.0.1:{free_port()}/hook")
    [update_id] = inject(emulator, 1)
    wait_until(lambda: len(emulator.webhook_attempts) >= 2)
    bot.delete_webhook()

    attempts = emulator.webhook_attempts
    polled = bot.get_updates(timeout=0)

    assert set(attempts) == {(update_id, None)}
    assert [update.update_id for update in polled] == [update_id]


def test_deleting_the_webhook_stops_deliveries_and_polling_resumes(
    emulator: BotAPIEmulator, bot: Bot
) -> None:
    receiver = Receiver()
    with serve(receiver) as url:
        bot.set_webhook(url, secret_token=SECRET)
        first = inject(emulator, 3)
        wait_until(lambda: len(receiver.accepted) == 3)
        bot.delete_webhook()
        later = inject(emulator, 2)
        time.sleep(0.3)
        with bot.updates(timeout=1) as updates:
            polled = [next(updates).update_id, next(updates).update_id]

    assert receiver.accepted_ids() == first
    assert polled == later
    assert bot.get_webhook_info().url == ""


@pytest.mark.parametrize(
    "url",
    ["https://example.com/hook", "http://10.0.0.1/hook", "http://169.254.169.254/hook"],
)
def test_the_emulator_refuses_webhooks_off_this_machine(
    emulator: BotAPIEmulator, bot: Bot, url: str
) -> None:
    with pytest.raises(BadRequest, match="loopback"):
        bot.set_webhook(url)

    assert emulator.webhook is None


def test_forged_and_malformed_requests_get_401_or_400(emulator: BotAPIEmulator) -> None:
    receiver = Receiver()
    good = b'{"update_id": 5}'
    with serve(receiver) as url, httpx.Client(trust_env=False) as client:
        answers = {
            "no secret": client.post(url, content=good).status_code,
            "wrong secret": client.post(
                url, content=good, headers={SECRET_TOKEN_HEADER: "guess"}
            ).status_code,
            "not json": client.post(
                url, content=b"<html/>", headers={SECRET_TOKEN_HEADER: SECRET}
            ).status_code,
            "not an update": client.post(
                url, content=b'{"ok": true}', headers={SECRET_TOKEN_HEADER: SECRET}
            ).status_code,
            "authentic": client.post(
                url, content=good, headers={SECRET_TOKEN_HEADER: SECRET}
            ).status_code,
        }

    assert answers == {
        "no secret": 401,
        "wrong secret": 401,
        "not json": 400,
        "not an update": 400,
        "authentic": 200,
    }
    assert receiver.accepted_ids() == [5]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("webhook_asgi.py", "A POST without the secret header was refused: HTTP 401"),
        ("polling_bot.py", "a restart received 0 old updates"),
    ],
)
def test_the_examples_run_against_the_emulator(script: str, expected: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "TELEGRAM_BOT_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert expected in done.stdout
    assert done.stderr == ""
