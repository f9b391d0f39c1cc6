"""Bot and AsyncBot against pytest-httpx: URLs, bodies, errors, configuration."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pytest_httpx import HTTPXMock

from telebridge import (
    AsyncBot,
    BadRequest,
    Bot,
    InvalidResponse,
    InvalidToken,
    NetworkError,
    TelegramError,
    TimedOut,
    Unauthorized,
)
from telebridge.core import TOKEN_PLACEHOLDER
from telebridge.types import Message, Update, User

from .conftest import CANARY_SECRET, CANARY_TOKEN

BASE = "http://bot-api.test"
ME = {"id": 987654321, "is_bot": True, "first_name": "Canary", "username": "canary_bot"}
MESSAGE = {
    "message_id": 11,
    "date": 1_700_000_000,
    "chat": {"id": 42, "type": "private", "first_name": "Ann"},
    "from": ME,
    "text": "héllo 👋",
}


@pytest.fixture
def bot() -> Iterator[Bot]:
    with Bot(CANARY_TOKEN, base_url=BASE) as bot:
        yield bot


@pytest.fixture
async def abot() -> AsyncIterator[AsyncBot]:
    async with AsyncBot(CANARY_TOKEN, base_url=BASE) as bot:
        yield bot


def test_send_message_posts_json_to_the_method_url(bot: Bot, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"ok": True, "result": MESSAGE})

    message = bot.send_message(chat_id=42, text="héllo 👋", disable_notification=True)

    request = httpx_mock.get_request()
    assert request is not None
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/bot{CANARY_TOKEN}/sendMessage"
    assert json.loads(request.content) == {
        "chat_id": 42,
        "text": "héllo 👋",
        "disable_notification": True,
    }
    assert isinstance(message, Message)
    assert message.text == "héllo 👋"
    assert message.from_user is not None
    assert message.from_user.username == "canary_bot"


async def test_async_send_message_posts_json_to_the_method_url(
    abot: AsyncBot, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"ok": True, "result": MESSAGE})

    message = await abot.send_message(42, "héllo 👋")

    request = httpx_mock.get_request()
    assert request is not None
    assert str(request.url) == f"{BASE}/bot{CANARY_TOKEN}/sendMessage"
    assert json.loads(request.content) == {"chat_id": 42, "text": "héllo 👋"}
    assert message.chat.id == 42


def test_get_me_and_get_updates_decode_typed_objects(bot: Bot, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/bot{CANARY_TOKEN}/getMe", json={"ok": True, "result": ME})
    httpx_mock.add_response(
        url=f"{BASE}/bot{CANARY_TOKEN}/getUpdates",
        json={"ok": True, "result": [{"update_id": 5, "message": MESSAGE}]},
    )

    me = bot.get_me()
    updates = bot.get_updates(offset=5, limit=10, timeout=0)

    assert me == User(id=987654321, is_bot=True, first_name="Canary", username="canary_bot")
    assert updates == [Update(update_id=5, message=updates[0].message)]
    assert updates[0].message is not None
    assert updates[0].message.message_id == 11


def test_long_poll_read_timeout_exceeds_the_poll_whatever_the_default(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(json={"ok": True, "result": []})
    httpx_mock.add_response(json={"ok": True, "result": ME})

    with Bot(CANARY_TOKEN, base_url=BASE, timeout=1.0) as bot:
        bot.get_updates(timeout=30)
        bot.get_me()

    poll, plain = httpx_mock.get_requests()
    assert poll.extensions["timeout"]["read"] == 35.0
    assert plain.extensions["timeout"]["read"] == 1.0


def test_escape_hatch_calls_any_method_by_name(bot: Bot, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"ok": True, "result": {"dice": {"emoji": "🎲", "value": 4}}})

    result = bot.call("sendDice", {"chat_id": 42, "emoji": "🎲"})

    request = httpx_mock.get_request()
    assert request is not None
    assert request.url.path.endswith("/sendDice")
    assert json.loads(request.content) == {"chat_id": 42, "emoji": "🎲"}
    assert result == {"dice": {"emoji": "🎲", "value": 4}}


async def test_async_escape_hatch(abot: AsyncBot, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"ok": True, "result": True})

    assert await abot.call("setMyDescription", {"description": "hi"}) is True


def test_api_errors_are_typed(bot: Bot, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=400,
        json={"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
    )

    with pytest.raises(BadRequest, match="chat not found") as caught:
        bot.send_message(1, "x")

    assert caught.value.error_code == 400
    assert caught.value.method == "sendMessage"


def test_a_non_json_answer_raises_invalid_response(bot: Bot, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=502, text="<html>Bad Gateway</html>")

    with pytest.raises(InvalidResponse, match="HTTP 502"):
        bot.get_me()


@pytest.mark.parametrize(
    ("exception", "error_type", "sent"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), NetworkError, False),
        (httpx.ConnectTimeout("timed out"), TimedOut, False),
        (httpx.PoolTimeout("no free connection"), TimedOut, False),
        (httpx.ReadTimeout("timed out"), TimedOut, True),
        (httpx.WriteTimeout("timed out"), TimedOut, True),
        (httpx.RemoteProtocolError("Server disconnected"), NetworkError, True),
        (httpx.ReadError("reset by peer"), NetworkError, True),
    ],
)
def test_transport_failures_say_whether_the_request_may_have_been_sent(
    bot: Bot,
    httpx_mock: HTTPXMock,
    exception: httpx.HTTPError,
    error_type: type[NetworkError],
    sent: bool,
) -> None:
    httpx_mock.add_exception(exception)

    with pytest.raises(error_type) as caught:
        bot.send_message(1, "x")

    assert type(caught.value) is error_type
    assert caught.value.sent is sent
    assert caught.value.method == "sendMessage"
    assert caught.value.__cause__ is exception


async def test_async_transport_failures_are_mapped_the_same_way(
    abot: AsyncBot, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"))

    with pytest.raises(TimedOut) as caught:
        await abot.get_me()

    assert caught.value.sent is True


def test_bad_input_fails_before_any_request(bot: Bot, httpx_mock: HTTPXMock) -> None:
    with pytest.raises(TypeError, match="chat_id"):
        bot.send_message(chat_id=[42], text="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text"):
        bot.send_message(chat_id=42, text=None)  # type: ignore[arg-type]

    assert httpx_mock.get_requests() == []
    assert bot._client is None  # not even a pool was opened


def test_malformed_token_fails_at_construction() -> None:
    with pytest.raises(InvalidToken):
        Bot(f"bot{CANARY_SECRET}")
    with pytest.raises(InvalidToken):
        AsyncBot(12345)  # type: ignore[arg-type]


def test_settings_reach_the_owned_httpx_client(bot: Bot) -> None:
    limits = httpx.Limits(max_connections=3, max_keepalive_connections=2, keepalive_expiry=7)
    timeout = httpx.Timeout(connect=1.5, read=2.5, write=3.5, pool=4.5)
    with Bot(
        CANARY_TOKEN,
        base_url=BASE,
        timeout=timeout,
        limits=limits,
        http2=True,
        proxy="http://127.0.0.1:3128",
    ) as bot:
        client = bot._get_client()
        pool = client._transport._inner._pool  # type: ignore[attr-defined]

        assert client.timeout == timeout
        assert pool._max_connections == 3
        assert pool._max_keepalive_connections == 2
        assert pool._keepalive_expiry == 7
        assert pool._http2 is True
        assert type(pool).__name__ == "HTTPProxy"
        assert pool._proxy_url.port == 3128


async def test_settings_reach_the_owned_async_httpx_client() -> None:
    limits = httpx.Limits(max_connections=5, max_keepalive_connections=1)
    async with AsyncBot(
        CANARY_TOKEN, base_url=BASE, timeout=2.0, limits=limits, http2=True
    ) as bot:
        client = await bot._get_client()
        pool = client._transport._inner._pool  # type: ignore[attr-defined]

        assert client.timeout == httpx.Timeout(2.0)
        assert pool._max_connections == 5
        assert pool._http2 is True


def test_base_url_must_be_http(httpx_mock: HTTPXMock) -> None:
    with pytest.raises(ValueError, match="base_url"):
        Bot(CANARY_TOKEN, base_url="api.telegram.org")


def test_a_user_supplied_client_is_used_and_never_closed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"ok": True, "result": ME})
    client = httpx.Client(headers={"X-Mine": "yes"})

    with Bot(CANARY_TOKEN, base_url=BASE, client=client) as bot:
        bot.get_me()

    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["X-Mine"] == "yes"
    assert not client.is_closed
    client.close()


def test_a_client_of_the_wrong_kind_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"httpx\.Client"):
        Bot(CANARY_TOKEN, client=httpx.AsyncClient())  # type: ignore[arg-type]


def _all_log_text(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{record.name} {record.getMessage()}" for record in records)


@pytest.mark.parametrize("user_client", [False, True])
def test_the_token_never_reaches_a_log_record(
    httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture, user_client: bool
) -> None:
    httpx_mock.add_response(json={"ok": True, "result": ME})
    httpx_mock.add_response(
        status_code=401, json={"ok": False, "error_code": 401, "description": "Unauthorized"}
    )
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    caplog.set_level(logging.DEBUG)
    client = httpx.Client() if user_client else None

    with Bot(CANARY_TOKEN, base_url=BASE, client=client) as bot:
        bot.get_me()
        with pytest.raises(Unauthorized):
            bot.get_me()
        with pytest.raises(NetworkError):
            bot.get_me()
    if client is not None:
        client.close()

    text = _all_log_text(caplog.records)
    assert "HTTP Request: POST" in text  # httpx's own request lines were captured
    assert "getMe answered 200" in text
    assert CANARY_SECRET not in text


def test_the_token_never_reaches_an_exception_or_repr(bot: Bot, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError(f"could not reach {BASE}/bot{CANARY_TOKEN}/getMe"))

    with pytest.raises(TelegramError) as caught:
        bot.get_me()

    assert CANARY_SECRET not in str(caught.value)
    assert CANARY_SECRET not in repr(caught.value)
    assert CANARY_SECRET not in repr(bot)
    assert "987654321" in repr(bot)


def test_httpx_only_ever_sees_the_placeholder_url(bot: Bot, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"ok": True, "result": ME})

    client = bot._get_client()
    response = client.post(f"{BASE}/bot{TOKEN_PLACEHOLDER}/getMe")

    # The transport saw the real token; the response's request object did not.
    sent = httpx_mock.get_request()
    assert sent is not None
    assert CANARY_TOKEN in str(sent.url)
    assert CANARY_SECRET not in str(response.request.url)
