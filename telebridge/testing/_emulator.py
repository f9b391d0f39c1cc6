"""A local Bot API server for tests and demos: real HTTP on 127.0.0.1.

The emulator is a small ASGI application served by uvicorn in a daemon
thread. It keeps its state (pending updates, sent messages, counters) behind
one lock so tests on any thread or event loop can inject updates and read
what the bot did, while the bot under test talks to it over real TCP.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from telebridge.testing._faults import (
    ChatMigrated,
    DropConnection,
    Fault,
    NotJSON,
    RetryAfter,
    ServerError,
    SlowResponse,
    TruncatedBody,
)
from telebridge.testing._files import (
    FileMethods,
    FileRequestError,
    FileStore,
    ReceivedUpload,
    iter_file,
    read_multipart,
)
from telebridge.testing._webhook import WebhookDelivery, is_loopback_url

DEFAULT_TOKEN = "123456789:AAH-emulator_secret_Token0123456789"

JSONObject = dict[str, Any]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Handler = Callable[[JSONObject], Awaitable[Any]]

# Telegram caps one getUpdates answer at 100 updates.
MAX_UPDATES_PER_POLL = 100
MAX_MESSAGE_LENGTH = 4096


class _Failure(Exception):
    """An answer with ``ok: false``, raised by a method handler."""

    def __init__(
        self, status: int, description: str, parameters: JSONObject | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(detail: str) -> _Failure:
    return _Failure(400, f"Bad Request: {detail}")


def _int_param(params: JSONObject, name: str, *, required: bool = False) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise _bad_request(f"{name} is empty")
        return None
    if isinstance(value, bool):
        raise _bad_request(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise _bad_request(f"{name} must be an integer") from None


def _flag_param(params: JSONObject, name: str) -> bool:
    """A Boolean parameter: JSON true, or "true" in a form or query."""
    value = params.get(name)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _json_param(params: JSONObject, name: str) -> Any:
    """A structured parameter: JSON bodies carry it as is, forms as a JSON string."""
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _bad_request(f"can't parse {name} JSON object") from None
    return value


def _chat_id(params: JSONObject) -> int:
    value = params.get("chat_id")
    if isinstance(value, str) and value.startswith("@"):
        raise _bad_request("chat not found")
    chat_id = _int_param(params, "chat_id", required=True)
    assert chat_id is not None
    return chat_id


def _chat_for(chat_id: int) -> JSONObject:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
    if chat_id <= -1_000_000_000_000:
        return {"id": chat_id, "type": "supergroup", "title": f"Supergroup {chat_id}"}
    return {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}


def _update_kind(update: JSONObject) -> str:
    return next((key for key in update if key != "update_id"), "")


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class BotAPIEmulator:
    """A local Bot API server on a random free port of 127.0.0.1.

    Use it as a context manager (or call :meth:`start` and :meth:`stop`)::

        with BotAPIEmulator() as emulator:
            emulator.inject_message("hi", chat_id=1, user_id=1, first_name="Ann")
            with Bot(emulator.token, base_url=emulator.base_url) as bot:
                updates = bot.get_updates()

    It implements getMe, sendMessage, getUpdates (long poll with offset,
    limit, timeout and allowed_updates), setWebhook, deleteWebhook and
    getWebhookInfo (delivering updates to a loopback webhook), multipart
    uploads for sendPhoto, sendDocument, sendAudio, sendVideo and
    sendMediaGroup, getFile and file downloads. It answers a wrong token with
    401 and an unknown method with 404 as Telegram does, counts TCP
    connections and requests, and injects faults into Bot API method calls.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "telebridge_emulator_bot",
        bot_first_name: str = "Emulator Bot",
        local_mode: bool = False,
    ) -> None:
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError("the emulator's token must look like '<bot id>:<secret>'")
        self.token = token
        self.bot_user: JSONObject = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
        }
        # Files: uploads, media messages, getFile and downloads (see _files.py).
        # local_mode answers getFile with absolute paths, as a Bot API server
        # started with --local does.
        self._files = FileStore(token, local_mode=local_mode)
        self._handlers.update(
            FileMethods(self._files, self._media_message, self._record_sent).handlers()
        )
        # State shared with test threads; guarded by _lock.
        self._updates: list[JSONObject] = []
        self._next_update_id = 1
        self._confirmed_offset = 0
        self._allowed_updates: list[str] | None = None
        self._message_ids: Counter[int] = Counter()
        self._sent_messages: list[JSONObject] = []
        self._deliveries: Counter[int] = Counter()
        self._faults: list[tuple[Fault, str | None, int]] = []
        self._webhook: JSONObject | None = None
        self._webhook_delivery = WebhookDelivery(self)
        self._requests = 0
        self._method_calls: Counter[str] = Counter()
        self._connections_opened = 0
        self._transports: dict[tuple[str, int], asyncio.Transport] = {}
        # Owned by the server thread.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._poll_generation = 0
        self._stopping = False
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> BotAPIEmulator:
        if self._thread is not None:
            raise RuntimeError("this emulator is already running")
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted
        # sockets whose protocol says TCP, and without it every keep-alive
        # answer waits ~40 ms for a delayed ACK.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.bind(("127.0.0.1", 0))
        self._port = listener.getsockname()[1]
        config = uvicorn.Config(
            self._asgi,
            lifespan="off",
            interface="asgi3",
            proxy_headers=False,
            access_log=False,
            log_config=None,
            log_level="warning",
            http=self._protocol_class(),
            ws="none",
            # A real Bot API server keeps idle connections open for a while;
            # closing them early would hide connection-reuse bugs.
            timeout_keep_alive=60,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._files.open()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._serve, args=(listener,), name="telebridge-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                listener.close()
                raise RuntimeError("the Bot API emulator failed to start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving; pending long polls return at once. Idempotent."""
        thread, server, loop = self._thread, self._server, self._loop
        if thread is None or server is None:
            return
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._shut_down_polls)
        server.should_exit = True
        thread.join(15)
        self._thread = None
        self._server = None
        self._files.close()

    def __enter__(self) -> BotAPIEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self, listener: socket.socket) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._wakeup = asyncio.Event()
            assert self._server is not None
            await self._server.serve(sockets=[listener])

        try:
            asyncio.run(serve())
        finally:
            listener.close()
            self._loop = None

    def _shut_down_polls(self) -> None:
        self._stopping = True
        self._wake_polls()

    # --- what tests read ------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The server root to pass as ``base_url`` to ``Bot`` or ``AsyncBot``."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def port(self) -> int:
        return self._port

    @property
    def requests(self) -> int:
        """HTTP requests received since start or the last :meth:`reset_counters`."""
        with self._lock:
            return self._requests

    @property
    def method_calls(self) -> Counter[str]:
        """Requests per Bot API method name, as the client spelled it."""
        with self._lock:
            return Counter(self._method_calls)

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted since start or the last :meth:`reset_counters`."""
        with self._lock:
            return self._connections_opened

    @property
    def open_connections(self) -> int:
        """TCP connections open right now."""
        with self._lock:
            return len(self._transports)

    @property
    def sent_messages(self) -> list[JSONObject]:
        """Every message the bot sent, as the Message objects it was answered with."""
        with self._lock:
            return list(self._sent_messages)

    @property
    def pending_updates(self) -> list[JSONObject]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return list(self._updates)

    @property
    def confirmed_offset(self) -> int:
        """The highest offset the bot confirmed; updates below it are gone."""
        with self._lock:
            return self._confirmed_offset

    @property
    def deliveries(self) -> Counter[int]:
        """How many times each update_id was handed out by getUpdates."""
        with self._lock:
            return Counter(self._deliveries)

    @property
    def webhook(self) -> JSONObject | None:
        """The webhook set by setWebhook (url, secret_token, ...), or None."""
        with self._lock:
            return dict(self._webhook) if self._webhook is not None else None

    @property
    def uploads(self) -> list[ReceivedUpload]:
        """Every file part received, with the file name as Telegram would read it.

        Each one's bytes stay readable (``read_bytes()``) until the emulator stops.
        """
        return self._files.uploads

    @property
    def webhook_attempts(self) -> list[tuple[int, int | None]]:
        """Each webhook POST as (update_id, HTTP status, or None when no answer came)."""
        with self._lock:
            return list(self._webhook_delivery.attempts)

    def reset_counters(self) -> None:
        with self._lock:
            self._requests = 0
            self._method_calls.clear()
            self._connections_opened = 0

    # --- what tests inject ----------------------------------------------------------

    def inject_update(self, update: JSONObject) -> JSONObject:
        """Queue an update (``update_id`` is assigned when missing) and return it."""
        update = dict(update)
        with self._lock:
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
            self._updates.append(update)
        self._notify()
        return update

    def inject_message(
        self,
        text: str,
        *,
        chat_id: int,
        user_id: int,
        first_name: str,
        username: str | None = None,
        entities: list[JSONObject] | None = None,
        chat_type: str = "private",
    ) -> JSONObject:
        """Have a user write ``text`` to the bot; returns the queued Update."""
        sender: JSONObject = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            sender["username"] = username
        chat: JSONObject = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
            if username is not None:
                chat["username"] = username
        else:
            chat["title"] = f"Chat {chat_id}"
        message: JSONObject = {
            "message_id": self._next_message_id(chat_id),
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        return self.inject_update({"message": message})

    def inject_fault(self, fault: Fault, *, method: str | None = None, times: int = 1) -> None:
        """Make the next ``times`` requests (to ``method`` only, if given) fail."""
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append((fault, method.lower() if method else None, times))

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for index, (fault, only, left) in enumerate(self._faults):
                if only is None or only == method.lower():
                    if left > 1:
                        self._faults[index] = (fault, only, left - 1)
                    else:
                        del self._faults[index]
                    return fault
        return None

    def _notify(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake_polls)

    def _wake_polls(self) -> None:
        # Waiters hold the old event; replacing it arms the next wait.
        if self._wakeup is not None:
            self._wakeup.set()
        self._wakeup = asyncio.Event()

    # --- connections ------------------------------------------------------------------

    def _protocol_class(self) -> type[H11Protocol]:
        emulator = self

        class CountingH11Protocol(H11Protocol):
            def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                super().connection_made(transport)
                peer = transport.get_extra_info("peername")
                with emulator._lock:
                    emulator._connections_opened += 1
                    emulator._transports[(peer[0], peer[1])] = transport

            def connection_lost(self, exc: Exception | None) -> None:
                peer = self.transport.get_extra_info("peername")
                with emulator._lock:
                    emulator._transports.pop((peer[0], peer[1]), None)
                super().connection_lost(exc)

        return CountingH11Protocol

    def _transport_for(self, scope: Scope) -> asyncio.Transport | None:
        client = scope.get("client")
        if not client:
            return None
        with self._lock:
            return self._transports.get((client[0], client[1]))

    # --- HTTP ---------------------------------------------------------------------------

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        content_type = _header(scope, b"content-type")
        body = bytearray()
        form: tuple[dict[str, str], dict[str, Any]] | None = None
        try:
            if content_type.lower().startswith("multipart/form-data"):
                # Streamed to disk as it arrives: an upload never sits in memory.
                form = await read_multipart(receive, content_type, self._files.incoming)
            else:
                while True:
                    event = await receive()
                    body += event.get("body", b"")
                    if not event.get("more_body"):
                        break
        except FileRequestError as failure:
            await self._answer(
                send,
                failure.status,
                {"ok": False, "error_code": failure.status, "description": failure.description},
            )
            return
        with self._lock:
            self._requests += 1

        if path.startswith("/file/"):
            await self._serve_file(path, send)
            return
        prefix, _, method = path.lstrip("/").partition("/")
        if not prefix.startswith("bot") or not method or "/" in method:
            await self._answer(
                send, 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            )
            return
        with self._lock:
            self._method_calls[method] += 1
        if prefix[3:] != self.token:
            await self._answer(
                send, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return

        fault = self._take_fault(method)
        if isinstance(fault, SlowResponse):
            await asyncio.sleep(fault.delay)
        elif fault is not None:
            await self._misbehave(fault, scope, send)
            return

        status, payload = await self._call(method, scope, bytes(body), form)
        await self._answer(send, status, payload)

    async def _call(
        self,
        method: str,
        scope: Scope,
        body: bytes,
        form: tuple[dict[str, str], dict[str, Any]] | None = None,
    ) -> tuple[int, JSONObject]:
        handler = self._handlers.get(method.lower())
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            params = self._parse_params(scope, body)
            if form is not None:
                fields, parts = form
                self._files.record(method, parts)
                params.update(fields)
                params.update(parts)
            result = await handler(params)
        except (_Failure, FileRequestError) as failure:
            payload: JSONObject = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.parameters:
                payload["parameters"] = failure.parameters
            return failure.status, payload
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _parse_params(scope: Scope, body: bytes) -> JSONObject:
        params: JSONObject = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode()))
        headers = {key.decode("latin-1").lower(): value for key, value in scope["headers"]}
        content_type = headers.get("content-type", b"").decode("latin-1").lower()
        if not body:
            return params
        if content_type.startswith("application/json"):
            try:
                decoded = json.loads(body)
            except ValueError:
                raise _bad_request("can't parse JSON body") from None
            if not isinstance(decoded, dict):
                raise _bad_request("the request body must be a JSON object")
            params.update(decoded)
        elif content_type.startswith("application/x-www-form-urlencoded"):
            params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
        else:
            raise _bad_request(f"unsupported content type {content_type or 'none'}")
        return params

    @staticmethod
    async def _answer(send: Send, status: int, payload: JSONObject) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _misbehave(self, fault: Fault, scope: Scope, send: Send) -> None:
        if isinstance(fault, RetryAfter):
            await self._answer(
                send,
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {fault.seconds}",
                    "parameters": {"retry_after": fault.seconds},
                },
            )
        elif isinstance(fault, ChatMigrated):
            await self._answer(
                send,
                400,
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                    "parameters": {"migrate_to_chat_id": fault.new_chat_id},
                },
            )
        elif isinstance(fault, ServerError) and not fault.html:
            await self._answer(
                send,
                fault.status,
                {"ok": False, "error_code": fault.status, "description": fault.description},
            )
        elif isinstance(fault, ServerError | NotJSON):
            status = fault.status if isinstance(fault, ServerError) else 200
            page = f"<html><body><h1>{status} {fault.__class__.__name__}</h1></body></html>"
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"text/html")],
                }
            )
            await send({"type": "http.response.body", "body": page.encode()})
        elif isinstance(fault, TruncatedBody):
            body = json.dumps({"ok": True, "result": self.bot_user}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            await self._abort(scope)
        elif isinstance(fault, DropConnection):
            await self._abort(scope)

    async def _abort(self, scope: Scope) -> None:
        transport = self._transport_for(scope)
        if transport is not None:
            transport.abort()
        # Let uvicorn see the disconnect before this request's task ends, so it
        # does not report a response that was never started.
        await asyncio.sleep(0.01)

    async def _serve_file(self, path: str, send: Send) -> None:
        """GET /file/bot<token>/<file_path>: a stored file, streamed in chunks."""
        prefix, _, file_path = path[len("/file/") :].partition("/")
        stored = self._files.by_path(file_path) if prefix == f"bot{self.token}" else None
        if stored is None or stored.disk is None:
            await self._answer(
                send, 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            )
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/octet-stream"),
                    (b"content-length", str(stored.disk.stat().st_size).encode()),
                ],
            }
        )
        for chunk in iter_file(stored.disk):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    def _next_message_id(self, chat_id: int) -> int:
        with self._lock:
            self._message_ids[chat_id] += 1
            return self._message_ids[chat_id]

    def _media_message(self, params: JSONObject) -> JSONObject:
        """The part of a message the bot sends that every send method shares."""
        chat_id = _chat_id(params)
        return {
            "message_id": self._next_message_id(chat_id),
            "from": {
                key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")
            },
            "chat": _chat_for(chat_id),
            "date": int(time.time()),
        }

    def _record_sent(self, message: JSONObject) -> None:
        with self._lock:
            self._sent_messages.append(message)

    # --- Bot API methods ---------------------------------------------------------------

    async def _get_me(self, params: JSONObject) -> JSONObject:
        return dict(self.bot_user)

    async def _send_message(self, params: JSONObject) -> JSONObject:
        text = params.get("text")
        if text is None or not str(text).strip():
            raise _bad_request("message text is empty")
        text = str(text)
        if _utf16_length(text) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        message = self._media_message(params)
        message["text"] = text
        entities = _json_param(params, "entities")
        if entities:
            message["entities"] = entities
        markup = _json_param(params, "reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._record_sent(message)
        return message

    async def _get_updates(self, params: JSONObject) -> list[JSONObject]:
        offset = _int_param(params, "offset")
        limit = _int_param(params, "limit") or MAX_UPDATES_PER_POLL
        limit = min(max(limit, 1), MAX_UPDATES_PER_POLL)
        timeout = max(_int_param(params, "timeout") or 0, 0)
        allowed = _json_param(params, "allowed_updates")
        with self._lock:
            if self._webhook is not None:
                raise _Failure(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if isinstance(allowed, list):
                self._allowed_updates = [str(kind) for kind in allowed] or None
            self._confirm(offset)

        # As on Telegram, a newer getUpdates ends an older pending one with 409.
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_polls()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise _Failure(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            with self._lock:
                batch = self._batch(limit)
            remaining = deadline - loop.time()
            if batch or self._stopping or remaining <= 0:
                break
            wakeup = self._wakeup
            assert wakeup is not None
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except asyncio.TimeoutError:  # the builtin only since 3.11
                continue
        with self._lock:
            self._deliveries.update(update["update_id"] for update in batch)
        return batch

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            kept = self._updates[offset:]
            dropped = self._updates[: len(self._updates) - len(kept)]
            self._updates = kept
            if dropped:
                self._confirmed_offset = max(self._confirmed_offset, dropped[-1]["update_id"] + 1)
            return
        self._updates = [update for update in self._updates if update["update_id"] >= offset]
        self._confirmed_offset = max(self._confirmed_offset, offset)

    def _batch(self, limit: int) -> list[JSONObject]:
        allowed = self._allowed_updates
        if allowed is not None:
            # Telegram never queues update kinds the bot did not ask for.
            self._updates = [u for u in self._updates if _update_kind(u) in allowed]
        return [dict(update) for update in self._updates[:limit]]

    async def _set_webhook(self, params: JSONObject) -> bool:
        url = params.get("url")
        if not url:
            with self._lock:
                self._webhook = None
            return True
        parsed = urllib.parse.urlsplit(str(url))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise _bad_request("bad webhook: Failed to resolve host")
        if not is_loopback_url(str(url)):
            # Updates are POSTed to the URL: keep the emulator's traffic on this machine.
            raise _bad_request("bad webhook: the emulator delivers to loopback addresses only")
        allowed = _json_param(params, "allowed_updates")
        with self._lock:
            self._webhook = {
                "url": str(url),
                "secret_token": params.get("secret_token"),
                "allowed_updates": allowed if isinstance(allowed, list) else None,
                "max_connections": _int_param(params, "max_connections") or 40,
            }
            if _flag_param(params, "drop_pending_updates"):
                self._drop_pending()
        self._webhook_delivery.start()
        return True

    async def _delete_webhook(self, params: JSONObject) -> bool:
        with self._lock:
            self._webhook = None
            if _flag_param(params, "drop_pending_updates"):
                self._drop_pending()
        return True

    def _drop_pending(self) -> None:
        if self._updates:
            self._confirmed_offset = max(
                self._confirmed_offset, self._updates[-1]["update_id"] + 1
            )
        self._updates = []

    async def _get_webhook_info(self, params: JSONObject) -> JSONObject:
        with self._lock:
            info: JSONObject = {
                "url": self._webhook["url"] if self._webhook else "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self._webhook is not None:
                info["max_connections"] = self._webhook["max_connections"]
                if self._webhook["allowed_updates"] is not None:
                    info["allowed_updates"] = self._webhook["allowed_updates"]
        return info
