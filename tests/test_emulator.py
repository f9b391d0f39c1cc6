"""The bundled Bot API emulator speaks the Bot API's HTTP shapes over loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from telebridge.testing import DEFAULT_TOKEN, BotAPIEmulator, RetryAfter, ServerError

pytestmark = pytest.mark.integration


@pytest.fixture
def emulator() -> Iterator[BotAPIEmulator]:
    with BotAPIEmulator() as emulator:
        yield emulator


@pytest.fixture
def http(emulator: BotAPIEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{emulator.base_url}/bot{emulator.token}/", timeout=10) as c:
        yield c


def call(http: httpx.Client, method: str, **params: Any) -> Any:
    answer = http.post(method, json=params).json()
    assert answer["ok"] is True, answer
    return answer["result"]


def test_it_listens_on_loopback_and_stops_cleanly() -> None:
    emulator = BotAPIEmulator()
    with emulator:
        assert emulator.base_url.startswith("http://127.0.0.1:")
        assert emulator.port > 0
        httpx.post(f"{emulator.base_url}/bot{DEFAULT_TOKEN}/getMe").raise_for_status()
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{emulator.base_url}/bot{DEFAULT_TOKEN}/getMe")


def test_get_me_describes_the_bot_of_the_token(http: httpx.Client) -> None:
    me = call(http, "getMe")
    assert me["id"] == int(DEFAULT_TOKEN.split(":")[0])
    assert me["is_bot"] is True
    assert me["username"] == "telebridge_emulator_bot"


def test_wrong_token_and_unknown_method_answer_as_telegram(emulator: BotAPIEmulator) -> None:
    wrong = httpx.post(f"{emulator.base_url}/bot123456789:AAHwrong/getMe")
    unknown = httpx.post(f"{emulator.base_url}/bot{emulator.token}/getMeNot")

    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


def test_send_message_answers_a_message_and_records_it(
    emulator: BotAPIEmulator, http: httpx.Client
) -> None:
    first = call(http, "sendMessage", chat_id=5, text="héllo 👋")
    second = call(http, "sendMessage", chat_id=5, text="again")

    assert first["text"] == "héllo 👋"
    assert first["chat"]["id"] == 5
    assert first["from"]["is_bot"] is True
    assert second["message_id"] == first["message_id"] + 1
    assert [m["text"] for m in emulator.sent_messages] == ["héllo 👋", "again"]


def test_form_encoded_and_query_parameters_are_accepted(http: httpx.Client) -> None:
    form = http.post("sendMessage", data={"chat_id": "-100123", "text": "form"}).json()
    query = http.get("sendMessage", params={"chat_id": "9", "text": "query"}).json()

    assert form["result"]["chat"] == {"id": -100123, "type": "group", "title": "Group -100123"}
    assert query["result"]["text"] == "query"


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"chat_id": 5, "text": "  "}, "Bad Request: message text is empty"),
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 5, "text": "x" * 4097}, "Bad Request: message is too long"),
    ],
)
def test_send_message_rejects_what_telegram_rejects(
    http: httpx.Client, params: dict[str, Any], description: str
) -> None:
    answer = http.post("sendMessage", json=params)
    assert answer.status_code == 400
    assert answer.json()["description"] == description


def test_get_updates_honours_offset_and_limit(
    emulator: BotAPIEmulator, http: httpx.Client
) -> None:
    ids = [
        emulator.inject_message(f"m{n}", chat_id=1, user_id=1, first_name="A")["update_id"]
        for n in range(5)
    ]

    first = call(http, "getUpdates", limit=2)
    again = call(http, "getUpdates", limit=2)
    rest = call(http, "getUpdates", offset=ids[2])
    after = call(http, "getUpdates", offset=ids[-1] + 1)

    assert [u["update_id"] for u in first] == ids[:2]
    assert again == first  # nothing confirmed yet
    assert [u["update_id"] for u in rest] == ids[2:]
    assert after == []
    assert emulator.confirmed_offset == ids[-1] + 1
    assert emulator.deliveries[ids[0]] == 2
    assert emulator.deliveries[ids[4]] == 1


def test_a_negative_offset_keeps_only_the_last_updates(
    emulator: BotAPIEmulator, http: httpx.Client
) -> None:
    for n in range(4):
        emulator.inject_message(f"m{n}", chat_id=1, user_id=1, first_name="A")

    last = call(http, "getUpdates", offset=-1)

    assert [u["message"]["text"] for u in last] == ["m3"]
    assert [u["message"]["text"] for u in emulator.pending_updates] == ["m3"]


def test_allowed_updates_filters_update_kinds(
    emulator: BotAPIEmulator, http: httpx.Client
) -> None:
    emulator.inject_update({"edited_message": {"message_id": 1}})
    message = emulator.inject_message("kept", chat_id=1, user_id=1, first_name="A")

    updates = call(http, "getUpdates", allowed_updates=["message"])

    assert updates == [message]


def test_a_long_poll_waits_until_an_update_arrives(
    emulator: BotAPIEmulator, http: httpx.Client
) -> None:
    timer = threading.Timer(
        0.3, lambda: emulator.inject_message("late", chat_id=1, user_id=1, first_name="A")
    )
    started = time.monotonic()
    timer.start()
    updates = call(http, "getUpdates", timeout=10)
    waited = time.monotonic() - started

    assert [u["message"]["text"] for u in updates] == ["late"]
    assert 0.2 < waited < 5


def test_an_idle_long_poll_answers_an_empty_list_after_its_timeout(http: httpx.Client) -> None:
    started = time.monotonic()
    assert call(http, "getUpdates", timeout=1) == []
    assert time.monotonic() - started >= 0.9


def test_stopping_ends_a_pending_long_poll() -> None:
    emulator = BotAPIEmulator().start()
    answers: list[Any] = []
    url = f"{emulator.base_url}/bot{emulator.token}/getUpdates"
    poller = threading.Thread(
        target=lambda: answers.append(httpx.post(url, json={"timeout": 30}, timeout=40).json())
    )
    poller.start()
    time.sleep(0.3)
    started = time.monotonic()
    emulator.stop()
    poller.join(10)

    assert answers == [{"ok": True, "result": []}]
    assert time.monotonic() - started < 5


def test_a_newer_get_updates_ends_an_older_one_with_409(http: httpx.Client) -> None:
    answers: list[httpx.Response] = []
    poller = threading.Thread(
        target=lambda: answers.append(http.post("getUpdates", json={"timeout": 10}))
    )
    poller.start()
    time.sleep(0.3)
    call(http, "getUpdates")
    poller.join(10)

    assert answers[0].status_code == 409
    assert "terminated by other getUpdates request" in answers[0].json()["description"]


def test_get_updates_conflicts_with_a_webhook(
    emulator: BotAPIEmulator, http: httpx.Client
) -> None:
    assert call(http, "setWebhook", url="http://127.0.0.1:9/hook", secret_token="s3cret") is True
    info = call(http, "getWebhookInfo")
    conflict = http.post("getUpdates")
    assert call(http, "deleteWebhook") is True

    assert info["url"] == "http://127.0.0.1:9/hook"
    assert emulator.webhook is None
    assert conflict.status_code == 409
    assert "webhook is active" in conflict.json()["description"]
    assert call(http, "getUpdates") == []


def test_faults_hit_only_their_method_and_count(
    emulator: BotAPIEmulator, http: httpx.Client
) -> None:
    emulator.inject_fault(RetryAfter(7), method="sendMessage", times=2)
    emulator.inject_fault(ServerError(status=503, description="Service Unavailable"))

    me = http.post("getMe")  # the 503 is for any method; the 429s wait for sendMessage
    floods = [http.post("sendMessage", json={"chat_id": 1, "text": "x"}) for _ in range(2)]
    sent = http.post("sendMessage", json={"chat_id": 1, "text": "x"})

    assert me.status_code == 503
    assert [f.status_code for f in floods] == [429, 429]
    assert floods[0].json()["parameters"] == {"retry_after": 7}
    assert sent.status_code == 200


def test_counters_count_requests_connections_and_methods(
    emulator: BotAPIEmulator, http: httpx.Client
) -> None:
    for _ in range(3):
        call(http, "getMe")
    call(http, "sendMessage", chat_id=1, text="x")

    assert emulator.requests == 4
    assert emulator.connections_opened == 1
    assert emulator.open_connections == 1
    assert emulator.method_calls == {"getMe": 3, "sendMessage": 1}
    emulator.reset_counters()
    assert (emulator.requests, emulator.connections_opened) == (0, 0)
