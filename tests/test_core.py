"""The I/O-free core: request building, response parsing, errors, tokens."""

from __future__ import annotations

import ast
import contextlib
import json
import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import telebridge
from telebridge.core import (
    TOKEN_PLACEHOLDER,
    BotToken,
    InvalidToken,
    RawCall,
    parse_response,
    prepare_download,
    prepare_request,
    read_timeout_for,
)
from telebridge.core.errors import (
    ApiError,
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidResponse,
    NetworkError,
    NotFound,
    RetryAfter,
    ServerError,
    TelegramError,
    TimedOut,
    Unauthorized,
)
from telebridge.core.methods import GetMe, GetUpdates, SendMessage
from telebridge.types import Message, User

from .conftest import CANARY_SECRET, CANARY_TOKEN

CORE = Path(telebridge.__file__).parent / "core"
FORBIDDEN_IN_CORE = {"httpx", "httpcore", "asyncio", "socket", "ssl", "threading", "anyio", "trio"}


def test_core_modules_import_no_io_library() -> None:
    offenders = []
    for source in sorted(CORE.rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split(".")[0] in FORBIDDEN_IN_CORE:
                    offenders.append(f"{source.name}: {name}")
    assert len(list(CORE.rglob("*.py"))) >= 5
    assert offenders == []


def test_prepare_request_describes_a_json_post_with_the_token_placeholder() -> None:
    request = prepare_request(SendMessage(chat_id=42, text="héllo 👋", parse_mode="HTML"))

    assert request.api_method == "sendMessage"
    assert request.http_method == "POST"
    assert request.path == f"/bot{TOKEN_PLACEHOLDER}/sendMessage"
    assert dict(request.headers)["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"chat_id": 42, "text": "héllo 👋", "parse_mode": "HTML"}
    # Non-ASCII text travels as UTF-8, not as \u escapes.
    assert "héllo 👋".encode() in request.content
    assert request.long_poll_timeout is None


def test_get_updates_carries_its_poll_timeout_to_the_transport() -> None:
    request = prepare_request(GetUpdates(offset=5, timeout=30, allowed_updates=["message"]))

    assert json.loads(request.content) == {
        "offset": 5,
        "timeout": 30,
        "allowed_updates": ["message"],
    }
    assert request.long_poll_timeout == 30.0


@pytest.mark.parametrize(
    ("default_read", "poll", "expected"),
    [(10.0, 30, 40.0), (1.0, 30, 35.0), (60.0, 50, 110.0), (10.0, None, 10.0), (None, 30, None)],
)
def test_long_poll_read_timeout_always_exceeds_the_poll(
    default_read: float | None, poll: int | None, expected: float | None
) -> None:
    request = prepare_request(GetUpdates(timeout=poll))

    assert read_timeout_for(request, default_read) == expected


def test_parse_response_decodes_a_message_and_ignores_unknown_fields() -> None:
    body = json.dumps(
        {
            "ok": True,
            "result": {
                "message_id": 7,
                "date": 1_700_000_000,
                "chat": {"id": 42, "type": "private", "first_name": "Ann", "brand_new": 1},
                "from": {"id": 987654321, "is_bot": True, "first_name": "Bot"},
                "text": "hi",
                "a_field_from_bot_api_99": {"nested": [1, 2]},
            },
        }
    ).encode()

    message = parse_response(SendMessage(chat_id=42, text="hi"), 200, {}, body)

    assert isinstance(message, Message)
    assert message.message_id == 7
    assert message.chat.first_name == "Ann"
    assert message.from_user == User(id=987654321, is_bot=True, first_name="Bot")
    assert message.text == "hi"


@pytest.mark.parametrize(
    ("status", "payload", "error_type"),
    [
        (400, {"error_code": 400, "description": "Bad Request: chat not found"}, BadRequest),
        (401, {"error_code": 401, "description": "Unauthorized"}, Unauthorized),
        (403, {"error_code": 403, "description": "Forbidden: bot was blocked"}, Forbidden),
        (404, {"error_code": 404, "description": "Not Found"}, NotFound),
        (409, {"error_code": 409, "description": "Conflict: terminated"}, Conflict),
        (500, {"error_code": 500, "description": "Internal Server Error"}, ServerError),
        (502, {"error_code": 502, "description": "Bad Gateway"}, ServerError),
        (418, {"error_code": 418, "description": "I'm a teapot"}, ApiError),
    ],
)
def test_ok_false_answers_raise_the_matching_api_error(
    status: int, payload: dict[str, object], error_type: type[ApiError]
) -> None:
    body = json.dumps({"ok": False, **payload}).encode()

    with pytest.raises(error_type) as caught:
        parse_response(GetMe(), status, {}, body)

    assert type(caught.value) is error_type
    assert caught.value.error_code == payload["error_code"]
    assert caught.value.description == payload["description"]
    assert caught.value.method == "getMe"


def test_retry_after_and_chat_migration_expose_their_parameters() -> None:
    flood = json.dumps(
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
    ).encode()
    migrated = json.dumps(
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": -1001234567890123},
        }
    ).encode()

    with pytest.raises(RetryAfter) as flood_error:
        parse_response(GetMe(), 429, {}, flood)
    with pytest.raises(ChatMigrated) as migration:
        parse_response(SendMessage(chat_id=-5, text="x"), 400, {}, migrated)

    assert flood_error.value.retry_after == 7
    assert migration.value.migrate_to_chat_id == -1001234567890123
    assert isinstance(migration.value, BadRequest)


def test_error_branches_do_not_mix() -> None:
    assert issubclass(BadRequest, ApiError)
    assert not issubclass(BadRequest, NetworkError)
    assert issubclass(TimedOut, NetworkError)
    assert not issubclass(NetworkError, ApiError)
    assert all(issubclass(cls, TelegramError) for cls in (ApiError, NetworkError, InvalidResponse))
    # TimedOut must not shadow the builtin TimeoutError.
    assert telebridge.TimedOut is not TimeoutError


@pytest.mark.parametrize(
    "error",
    [
        RetryAfter(
            "Too Many Requests",
            method="sendMessage",
            error_code=429,
            parameters={"retry_after": 3},
        ),
        ChatMigrated(
            "upgraded", method="sendMessage", error_code=400, parameters={"migrate_to_chat_id": -1}
        ),
        TimedOut("ReadTimeout: timed out", method="getUpdates", sent=True),
        NetworkError("ConnectError: refused", method="getMe", sent=False),
        InvalidResponse("not JSON", method="getMe", status_code=502),
    ],
)
def test_exceptions_survive_pickling(error: TelegramError) -> None:
    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


@pytest.mark.parametrize(
    "body",
    [b"<html>502 Bad Gateway</html>", b'{"ok": true, "res', b"", b"[1, 2]", b'{"result": 1}'],
)
def test_bodies_that_are_not_bot_api_answers_raise_invalid_response(body: bytes) -> None:
    with pytest.raises(InvalidResponse) as caught:
        parse_response(GetMe(), 200, {"content-type": "text/html"}, body)

    assert caught.value.method == "getMe"


def test_a_result_of_the_wrong_shape_raises_invalid_response_not_key_error() -> None:
    body = json.dumps({"ok": True, "result": {"id": 1}}).encode()

    with pytest.raises(InvalidResponse, match="KeyError"):
        parse_response(GetMe(), 200, {}, body)


@given(st.binary(max_size=512))
def test_arbitrary_bytes_as_a_body_raise_only_telebridge_errors(body: bytes) -> None:
    for method in (GetMe(), GetUpdates(), SendMessage(chat_id=1, text="x")):
        with contextlib.suppress(TelegramError):
            parse_response(method, 200, {}, body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=12), json_values, max_size=6), st.integers(100, 599))
def test_arbitrary_json_objects_as_a_body_raise_only_telebridge_errors(
    payload: dict[str, object], status: int
) -> None:
    body = json.dumps(payload).encode()
    for method in (GetMe(), GetUpdates(), SendMessage(chat_id=1, text="x")):
        with contextlib.suppress(TelegramError):
            parse_response(method, status, {}, body)


chat_ids = st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(min_size=1)


@given(chat_id=chat_ids, text=st.text(min_size=1), parse_mode=st.none() | st.text())
def test_send_message_encodes_parameters_losslessly(
    chat_id: int | str, text: str, parse_mode: str | None
) -> None:
    request = prepare_request(SendMessage(chat_id=chat_id, text=text, parse_mode=parse_mode))

    sent = json.loads(request.content)
    expected = {"chat_id": chat_id, "text": text}
    if parse_mode is not None:
        expected["parse_mode"] = parse_mode
    assert sent == expected


users = st.builds(
    User,
    id=st.integers(min_value=1, max_value=2**52),
    is_bot=st.booleans(),
    first_name=st.text(min_size=1),
    last_name=st.none() | st.text(),
    username=st.none() | st.from_regex(r"[A-Za-z][A-Za-z0-9_]{4,31}", fullmatch=True),
    language_code=st.none() | st.sampled_from(["en", "ru", "de"]),
)


@given(users)
def test_user_survives_encode_then_decode(user: User) -> None:
    from telebridge.core._encode import encode_value

    body = json.dumps({"ok": True, "result": encode_value(user)}).encode()

    assert parse_response(GetMe(), 200, {}, body) == user


def test_raw_call_passes_parameters_through_and_returns_plain_json() -> None:
    call = RawCall("sendDice", {"chat_id": 42, "emoji": "🎲", "skip": None})
    request = prepare_request(call)

    assert request.path.endswith("/sendDice")
    assert json.loads(request.content) == {"chat_id": 42, "emoji": "🎲"}
    result = parse_response(call, 200, {}, b'{"ok":true,"result":{"dice":{"value":6}}}')
    assert result == {"dice": {"value": 6}}


@pytest.mark.parametrize("name", ["", "send message", "../getMe", "get/Me"])
def test_raw_call_rejects_names_that_are_not_method_names(name: str) -> None:
    with pytest.raises(ValueError, match="method name"):
        RawCall(name)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"chat_id": 4.2, "text": "x"}, "chat_id must be int or str, got float"),
        ({"chat_id": True, "text": "x"}, "chat_id must be int or str, got bool"),
        ({"chat_id": None, "text": "x"}, "chat_id must be int or str, got NoneType"),
        ({"chat_id": 1, "text": b"bytes"}, "text must be str, got bytes"),
        ({"chat_id": 1, "text": 5}, "text must be str, got int"),
    ],
)
def test_bad_parameters_fail_when_the_call_is_built(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        SendMessage(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "123456",
        f"{CANARY_SECRET}",
        f"abc:{CANARY_SECRET}",
        f"123:{CANARY_SECRET} ",
        f"123:{CANARY_SECRET}/x",
        f" 123:{CANARY_SECRET}",
    ],
)
def test_malformed_tokens_are_rejected_without_echoing_them(token: str) -> None:
    with pytest.raises(InvalidToken) as caught:
        BotToken(token)

    assert "<bot id>:<secret>" in str(caught.value)
    if token:
        assert token not in str(caught.value)
    assert CANARY_SECRET not in str(caught.value)


def test_token_repr_and_str_hide_the_secret() -> None:
    token = BotToken(CANARY_TOKEN)

    assert token.bot_id == 987654321
    assert CANARY_SECRET not in repr(token)
    assert CANARY_SECRET not in str(token)
    assert token.reveal() == CANARY_TOKEN


def test_misuse_of_the_core_gives_typed_errors_before_any_io() -> None:
    with pytest.raises(TypeError, match="request object"):
        prepare_request("sendMessage")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RawCall("getMe", [1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lone surrogate"):
        prepare_request(SendMessage(chat_id=1, text="a\ud800b"))
    with pytest.raises(ValueError, match=r"'\.\.' segments"):
        prepare_download("documents/../../etc/passwd")
