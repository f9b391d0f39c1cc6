"""Webhook delivery for the emulator: POST queued updates to the bot's URL, as Telegram does.

While a webhook is set, one task on the emulator's event loop takes the
oldest pending update, POSTs it with the ``X-Telegram-Bot-Api-Secret-Token``
header, and only moves on once the endpoint answered 2xx; any other answer
or a failed connection is retried after a short pause. So updates arrive
one at a time, in order, at least once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import urllib.parse
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from telebridge.testing._emulator import BotAPIEmulator

__all__ = ["WebhookDelivery", "is_loopback_url"]

JSONObject = dict[str, Any]

# Pause before delivering an update again after a failed attempt.
RETRY_DELAY = 0.1
# How long one POST may take before it counts as failed.
POST_TIMEOUT = 10.0


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` points at this machine; the emulator delivers nowhere else."""
    host = urllib.parse.urlsplit(url).hostname
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebhookDelivery:
    """The emulator's webhook sender; every method runs on the emulator's event loop."""

    def __init__(self, emulator: BotAPIEmulator) -> None:
        self._emulator = emulator
        self._task: asyncio.Task[None] | None = None
        # (update_id, HTTP status or None when no answer came), guarded by the emulator's lock.
        self.attempts: list[tuple[int, int | None]] = []

    def start(self) -> None:
        """Make sure the sender runs; call after a webhook was set."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        emulator = self._emulator
        # trust_env=False: a proxy from the environment must never see loopback traffic.
        async with httpx.AsyncClient(timeout=POST_TIMEOUT, trust_env=False) as client:
            while not emulator._stopping:
                with emulator._lock:
                    hook = emulator._webhook
                    update = self._next_update(hook)
                if hook is None:
                    return
                if update is None:
                    wakeup = emulator._wakeup
                    assert wakeup is not None
                    await wakeup.wait()
                    continue

                status = await self._post(client, hook, update)
                delivered = status is not None and 200 <= status < 300
                with emulator._lock:
                    self.attempts.append((update["update_id"], status))
                    if delivered:
                        self._delivered(update["update_id"])
                if not delivered:
                    await asyncio.sleep(RETRY_DELAY)

    def _next_update(self, hook: JSONObject | None) -> JSONObject | None:
        emulator = self._emulator
        if hook is None:
            return None
        allowed = hook.get("allowed_updates")
        if allowed:
            # As with getUpdates, kinds the bot did not ask for are never queued.
            emulator._updates = [u for u in emulator._updates if _kind(u) in allowed]
        return dict(emulator._updates[0]) if emulator._updates else None

    def _delivered(self, update_id: int) -> None:
        emulator = self._emulator
        emulator._updates = [u for u in emulator._updates if u["update_id"] != update_id]
        emulator._confirmed_offset = max(emulator._confirmed_offset, update_id + 1)

    @staticmethod
    async def _post(client: httpx.AsyncClient, hook: JSONObject, update: JSONObject) -> int | None:
        headers = {"Content-Type": "application/json"}
        secret = hook.get("secret_token")
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(secret)
        body = json.dumps(update, ensure_ascii=False).encode()
        try:
            response = await client.post(hook["url"], content=body, headers=headers)
        except httpx.HTTPError:
            return None
        return response.status_code


def _kind(update: JSONObject) -> str:
    return next((key for key in update if key != "update_id"), "")
