"""Receiving updates without I/O: offsets, backoff, failure policy, webhook parsing."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import telebridge
from telebridge import (
    Backoff,
    BodyNotJSON,
    MissingSecretToken,
    NotAnUpdate,
    WebhookError,
    WebhookPayloadError,
    WebhookSecretError,
    WrongSecretToken,
    parse_webhook_update,
)
from telebridge.core._updates import UpdateCursor, UpdatePoller
from telebridge.core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidResponse,
    NetworkError,
    RetryAfter,
    ServerError,
    TelegramError,
    TimedOut,
    Unauthorized,
)
from telebridge.types import Update

from .conftest import CANARY_SECRET

# --- backoff ------------------------------------------------------------------


def test_backoff_doubles_from_initial_up_to_the_cap_without_jitter() -> None:
    backoff = Backoff(initial=0.5, maximum=4.0, random=lambda: 0.0)

    delays = [backoff.delay(n) for n in range(1, 8)]

    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_jitter_shortens_a_delay_by_at_most_its_fraction() -> None:
    longest = Backoff(initial=2.0, jitter=0.25, random=lambda: 0.0)
    shortest = Backoff(initial=2.0, jitter=0.25, random=lambda: 0.999999)

    assert longest.delay(1) == 2.0
    assert shortest.delay(1) == pytest.approx(1.5, abs=1e-5)


@given(failures=st.integers(1, 10_000), draw=st.floats(0.0, 1.0, exclude_max=True))
def test_every_delay_lies_within_the_jitter_band_under_the_cap(failures: int, draw: float) -> None:
    backoff = Backoff(initial=1.0, maximum=30.0, jitter=0.5, random=lambda: draw)
    ceiling = min(30.0, 2.0 ** (failures - 1)) if failures < 64 else 30.0

    delay = backoff.delay(failures)

    assert ceiling * 0.5 <= delay <= ceiling


def test_the_default_backoff_draws_different_delays() -> None:
    delays = {Backoff().delay(3) for _ in range(20)}

    assert len(delays) > 1
    assert all(2.0 <= delay <= 4.0 for delay in delays)


@pytest.mark.parametrize(
    "kwargs", [{"initial": 0}, {"maximum": -1}, {"multiplier": 0}, {"jitter": 1.5}]
)
def test_a_nonsensical_backoff_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="Backoff"):
        Backoff(**kwargs)


def test_failures_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        Backoff().delay(0)


# --- the cursor ---------------------------------------------------------------


def updates(*ids: int) -> list[Update]:
    return [Update(update_id=update_id) for update_id in ids]


def test_taking_an_update_finishes_the_one_taken_before() -> None:
    cursor = UpdateCursor()
    cursor.add_batch(updates(10, 11, 12), sent_offset=None)

    first = cursor.take()
    offset_while_first_in_hand = cursor.offset
    second = cursor.take()

    assert first is not None
    assert first.update_id == 10
    assert offset_while_first_in_hand is None
    assert second is not None
    assert second.update_id == 11
    assert cursor.offset == 11
    assert cursor.in_hand == 11


def test_an_empty_batch_asks_for_a_poll_and_finishes_the_last_update() -> None:
    cursor = UpdateCursor()
    cursor.add_batch(updates(5), sent_offset=None)
    cursor.take()

    assert cursor.take() is None
    assert cursor.offset == 6
    assert cursor.unconfirmed
    cursor.add_batch([], sent_offset=6)
    assert not cursor.unconfirmed


def test_a_batch_repeating_finished_updates_does_not_hand_them_out_again() -> None:
    cursor = UpdateCursor()
    cursor.add_batch(updates(1, 2), sent_offset=None)
    cursor.take()
    cursor.take()
    cursor.take()  # 2 is finished: offset 3

    cursor.add_batch(updates(1, 2, 3), sent_offset=None)

    taken = cursor.take()
    assert taken is not None
    assert taken.update_id == 3


def test_an_unclean_stop_leaves_the_update_in_hand_unfinished() -> None:
    cursor = UpdateCursor()
    cursor.add_batch(updates(1, 2, 3), sent_offset=None)
    cursor.take()
    cursor.take()

    cursor.stop(finished=False)

    assert cursor.offset == 2
    assert cursor.in_hand is None
    assert cursor.take() is None


def test_a_clean_stop_finishes_the_update_in_hand_and_drops_the_rest() -> None:
    cursor = UpdateCursor()
    cursor.add_batch(updates(1, 2, 3), sent_offset=None)
    cursor.take()
    cursor.take()

    cursor.stop(finished=True)

    assert cursor.offset == 3
    assert cursor.take() is None


@given(
    batches=st.lists(st.integers(1, 30), min_size=1, max_size=12),
    takes=st.lists(st.integers(0, 40), min_size=1, max_size=12),
    clean=st.booleans(),
)
def test_the_offset_never_covers_an_update_the_consumer_still_holds(
    batches: list[int], takes: list[int], clean: bool
) -> None:
    cursor = UpdateCursor()
    next_id = 1000
    handed: list[int] = []
    for size, wanted in zip(batches, takes, strict=False):
        cursor.add_batch(updates(*range(next_id, next_id + size)), sent_offset=cursor.offset)
        next_id += size
        for _ in range(wanted):
            update = cursor.take()
            if update is None:
                break
            handed.append(update.update_id)
            assert cursor.offset is None or cursor.offset <= update.update_id
    holding = cursor.in_hand

    cursor.stop(finished=clean)

    assert handed == sorted(set(handed))  # in order, none twice
    if holding is not None and clean:
        assert cursor.offset == holding + 1
    elif holding is not None:
        assert cursor.offset is None or cursor.offset <= holding


# --- the poller ---------------------------------------------------------------


def api_error(cls: type[Any], code: int, description: str) -> Any:
    return cls(description, method="getUpdates", error_code=code)


def test_the_poll_request_carries_the_offset_timeout_and_filters() -> None:
    poller = UpdatePoller(timeout=25, limit=50, allowed_updates=("message", "callback_query"))
    first = poller.request()
    poller.received(first, updates(7, 8))
    poller.next_update()
    poller.next_update()
    assert poller.next_update() is None

    second = poller.request()

    assert (first.offset, first.timeout, first.limit) == (None, 25, 50)
    assert first.allowed_updates == ["message", "callback_query"]
    assert second.offset == 9
    assert second.long_poll_timeout == 25.0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"timeout": -1}, ValueError),
        ({"timeout": 2.5}, ValueError),
        ({"timeout": True}, ValueError),
        ({"timeout": 1, "limit": 0}, ValueError),
        ({"timeout": 1, "limit": 101}, ValueError),
        ({"timeout": 1, "allowed_updates": "message"}, TypeError),
    ],
)
def test_bad_polling_settings_fail_before_any_request(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        UpdatePoller(**kwargs)


def test_network_and_server_errors_back_off_longer_each_time_then_reset() -> None:
    poller = UpdatePoller(timeout=1, backoff=Backoff(initial=1.0, random=lambda: 0.0))
    failures = [
        NetworkError("boom", method="getUpdates", sent=True),
        TimedOut("slow", method="getUpdates", sent=True),
        api_error(ServerError, 502, "Bad Gateway"),
        InvalidResponse("an HTML page", method="getUpdates", status_code=503),
    ]

    delays = [poller.failed(error).delay for error in failures]
    poller.received(poller.request(), [])
    after_success = poller.failed(failures[0]).delay

    assert delays == [1.0, 2.0, 4.0, 8.0]
    assert after_success == 1.0
    assert not poller.closed


def test_flood_control_waits_exactly_what_telegram_asked() -> None:
    poller = UpdatePoller(timeout=1)
    flood = RetryAfter(
        "Too Many Requests: retry after 7",
        method="getUpdates",
        error_code=429,
        parameters={"retry_after": 7},
    )

    retry = poller.failed(flood)

    assert retry.delay == 7.0
    assert "flood control" in retry.reason


@pytest.mark.parametrize(
    ("description", "hint"),
    [
        (
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
            "bot.delete_webhook()",
        ),
        (
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
            "Stop the other instance",
        ),
        ("Conflict: something new", "either a webhook is set"),
    ],
)
def test_a_conflict_stops_polling_and_says_how_to_fix_it(description: str, hint: str) -> None:
    poller = UpdatePoller(timeout=1)
    poller.received(poller.request(), updates(1))
    poller.next_update()

    with pytest.raises(Conflict) as caught:
        poller.failed(api_error(Conflict, 409, description))

    assert hint in str(caught.value)
    assert caught.value.description == description
    assert caught.value.error_code == 409
    assert poller.closed
    assert poller.cursor.offset is None  # the update in hand was not confirmed
    assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)


def test_a_rejected_token_stops_polling_with_an_explanation() -> None:
    poller = UpdatePoller(timeout=1)

    with pytest.raises(Unauthorized, match="@BotFather") as caught:
        poller.failed(api_error(Unauthorized, 401, "Unauthorized"))

    assert isinstance(caught.value.__cause__, Unauthorized)
    with pytest.raises(StopIteration):
        poller.next_update()


@pytest.mark.parametrize(
    "error",
    [
        api_error(BadRequest, 400, "Bad Request: wrong allowed_updates"),
        api_error(Forbidden, 403, "Forbidden"),
        InvalidResponse("unexpected result shape", method="getUpdates", status_code=200),
    ],
)
def test_errors_no_wait_can_fix_stop_polling_unchanged(error: TelegramError) -> None:
    poller = UpdatePoller(timeout=1)

    with pytest.raises(type(error)) as caught:
        poller.failed(error)

    assert caught.value is error
    assert poller.closed


def test_a_clean_stop_asks_to_confirm_the_update_in_hand_with_a_quick_poll() -> None:
    poller = UpdatePoller(timeout=30, allowed_updates=["message"])
    poller.received(poller.request(), updates(40, 41, 42))
    poller.next_update()
    poller.next_update()

    request = poller.stop(finished=True)

    assert request is not None
    assert (request.offset, request.timeout, request.limit) == (42, 0, 1)
    assert request.allowed_updates is None  # a confirmation must not change the filter
    assert poller.stop(finished=True) is None  # stopping twice asks nothing more


def test_an_unclean_stop_confirms_only_updates_the_consumer_moved_past() -> None:
    poller = UpdatePoller(timeout=30)
    poller.received(poller.request(), updates(40, 41, 42))
    poller.next_update()
    poller.next_update()

    request = poller.stop(finished=False)

    assert request is not None
    assert request.offset == 41


def test_nothing_to_confirm_means_no_request() -> None:
    fresh = UpdatePoller(timeout=30)
    already_confirmed = UpdatePoller(timeout=30)
    already_confirmed.received(already_confirmed.request(), updates(3))
    already_confirmed.next_update()
    assert already_confirmed.next_update() is None
    already_confirmed.received(already_confirmed.request(), [])  # offset 4 answered

    assert fresh.stop(finished=True) is None
    assert already_confirmed.stop(finished=True) is None


def test_a_confirmed_request_is_remembered() -> None:
    poller = UpdatePoller(timeout=30)
    poller.received(poller.request(), updates(3))
    poller.next_update()
    request = poller.stop(finished=True)
    assert request is not None

    poller.confirmed(request)

    assert not poller.cursor.unconfirmed


# --- webhook requests -----------------------------------------------------------

SECRET = "Wh-secret_0123456789"
UPDATE = {
    "update_id": 900,
    "message": {
        "message_id": 1,
        "date": 1700000000,
        "chat": {"id": 5, "type": "private", "first_name": "Ann"},
        "from": {"id": 5, "is_bot": False, "first_name": "Ann"},
        "text": "héllo",
    },
}
BODY = json.dumps(UPDATE).encode()


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Telegram-Bot-Api-Secret-Token": SECRET},
        {"x-telegram-bot-api-secret-token": SECRET},
        {"X-TELEGRAM-BOT-API-SECRET-TOKEN": SECRET},
        {b"x-telegram-bot-api-secret-token": SECRET.encode()},
        [
            (b"content-type", b"application/json"),
            (b"x-telegram-bot-api-secret-token", SECRET.encode()),
        ],
        [("X-Telegram-Bot-Api-Secret-Token", SECRET)],
    ],
)
def test_a_request_with_the_right_secret_gives_a_typed_update(headers: Any) -> None:
    update = parse_webhook_update(BODY, headers, secret_token=SECRET)

    assert update.update_id == 900
    assert update.message is not None
    assert update.message.text == "héllo"


def test_str_and_memoryview_bodies_are_accepted() -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    assert parse_webhook_update(BODY.decode(), headers, secret_token=SECRET).update_id == 900
    assert parse_webhook_update(memoryview(BODY), headers, secret_token=SECRET).update_id == 900


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, MissingSecretToken),
        ({"Content-Type": "application/json"}, MissingSecretToken),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}, WrongSecretToken),
        ({"X-Telegram-Bot-Api-Secret-Token": ""}, WrongSecretToken),
        ({"X-Telegram-Bot-Api-Secret-Token": "sécret"}, WrongSecretToken),
        ([(b"x-telegram-bot-api-secret-token", b"\xff\xfe")], WrongSecretToken),
        ({"X-Telegram-Bot-Api-Secret-Token": "\udcff"}, WrongSecretToken),
    ],
)
def test_a_missing_or_wrong_secret_is_refused_with_401(
    headers: Any, error: type[WebhookSecretError]
) -> None:
    with pytest.raises(error) as caught:
        parse_webhook_update(BODY, headers, secret_token=SECRET)

    assert caught.value.status_code == 401
    assert SECRET not in str(caught.value)


def test_the_secret_is_checked_before_the_body_is_read() -> None:
    with pytest.raises(MissingSecretToken):
        parse_webhook_update(b"not json", {}, secret_token=SECRET)


def test_the_secret_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return a == b

    monkeypatch.setattr("telebridge.core._webhook.hmac.compare_digest", spy)
    parse_webhook_update(BODY, {"X-Telegram-Bot-Api-Secret-Token": SECRET}, secret_token=SECRET)

    assert compared == [(SECRET.encode(), SECRET.encode())]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", BodyNotJSON),
        (b"<html>502</html>", BodyNotJSON),
        (b'{"update_id": 1', BodyNotJSON),
        (b"\xff\xfe\x00garbage", BodyNotJSON),
        (b"[" * 100_000 + b"]" * 100_000, BodyNotJSON),
        (b"1" * 10_000, BodyNotJSON),
        (b"[]", NotAnUpdate),
        (b'"update"', NotAnUpdate),
        (b"{}", NotAnUpdate),
        (b'{"update_id": "1"}', NotAnUpdate),
        (b'{"update_id": true}', NotAnUpdate),
        (b'{"update_id": 1, "message": "hi"}', NotAnUpdate),
        (b'{"update_id": 1, "message": {"message_id": 1}}', NotAnUpdate),
    ],
)
def test_a_body_that_is_not_an_update_is_refused_with_400(
    body: bytes, error: type[WebhookPayloadError]
) -> None:
    with pytest.raises(error) as caught:
        parse_webhook_update(body, [], secret_token=None)

    assert caught.value.status_code == 400


@pytest.mark.parametrize("depth", [300, 480, 700, 5000])
def test_deeply_nested_replies_never_crash_the_parser(depth: int) -> None:
    message = '{"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}'
    body = '{"update_id": 1, "message": ' + (message + ', "reply_to_message": ') * depth
    body += message + "}" * (depth + 1) + "}"

    try:
        update = parse_webhook_update(body.encode(), [], secret_token=None)
    except WebhookPayloadError:
        assert depth > 300
    else:
        assert update.message is not None


def test_secret_token_none_accepts_any_request_explicitly() -> None:
    update = parse_webhook_update(
        BODY, {"X-Telegram-Bot-Api-Secret-Token": "x"}, secret_token=None
    )

    assert update.update_id == 900


@pytest.mark.parametrize("secret", ["", "has space", "ü", "x" * 257])
def test_a_secret_telegram_would_refuse_is_a_setup_error(secret: str) -> None:
    with pytest.raises(ValueError, match="secret_token"):
        parse_webhook_update(BODY, {}, secret_token=secret)


def test_webhook_errors_are_their_own_family() -> None:
    assert issubclass(MissingSecretToken, WebhookSecretError)
    assert issubclass(WrongSecretToken, WebhookSecretError)
    assert issubclass(BodyNotJSON, WebhookPayloadError)
    assert issubclass(NotAnUpdate, WebhookPayloadError)
    assert issubclass(WebhookSecretError, WebhookError)
    assert issubclass(WebhookPayloadError, WebhookError)
    assert not issubclass(WebhookError, TelegramError)
    error = pickle.loads(pickle.dumps(WrongSecretToken("no")))
    assert isinstance(error, WrongSecretToken)
    assert str(error) == "no"
    assert telebridge.SECRET_TOKEN_HEADER == "X-Telegram-Bot-Api-Secret-Token"


@given(
    body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
    header=st.one_of(st.none(), st.binary(max_size=40), st.text(max_size=40)),
)
def test_any_request_gives_an_update_or_a_webhook_error(body: bytes, header: Any) -> None:
    headers = [] if header is None else [("X-Telegram-Bot-Api-Secret-Token", header)]
    for secret in (SECRET, None):
        try:
            update = parse_webhook_update(body, headers, secret_token=secret)
        except WebhookError:
            continue
        assert isinstance(update, Update)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["update_id", "message", "chat", "id", "type", "date", "text", "from"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@given(data=json_values)
def test_any_json_gives_an_update_or_not_an_update(data: Any) -> None:
    body = json.dumps(data).encode()
    try:
        update = parse_webhook_update(body, {}, secret_token=None)
    except NotAnUpdate:
        return
    assert update.update_id == data["update_id"]


def test_the_canary_secret_is_not_a_valid_webhook_secret_leak_source() -> None:
    # The error path for the bot token must not touch webhook secrets: a wrong
    # webhook secret that happens to equal the bot secret is still not shown.
    with pytest.raises(WrongSecretToken) as caught:
        parse_webhook_update(
            BODY, {"X-Telegram-Bot-Api-Secret-Token": CANARY_SECRET}, secret_token=SECRET
        )

    assert CANARY_SECRET not in str(caught.value) + repr(caught.value)
