"""The generated Bot API surface: complete, correctly named, correctly decoded."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from pytest_httpx import HTTPXMock

import telebridge.types as types
from telebridge import AsyncBot, Bot, InvalidFileReference, InvalidResponse
from telebridge._async_api import AsyncBotApi
from telebridge._base import BotBase
from telebridge._sync_api import SyncBotApi
from telebridge.core import RawCall, methods, parse_response
from telebridge.core import _decode as decode
from telebridge.core._encode import encode_value

from .conftest import CANARY_TOKEN

TOOLS = Path(__file__).resolve().parent.parent / "tools"
sys.path.insert(0, str(TOOLS))

from generate import render, snake, write  # noqa: E402
from spec import load_spec  # noqa: E402

SPEC = load_spec()


def decoder_for(name: str) -> Any:
    return getattr(decode, f"decode_{snake(name)}")


def method_classes() -> dict[str, type[methods.TelegramMethod[Any]]]:
    found = {}
    for name in methods.__all__:
        cls = getattr(methods, name)
        if cls not in (RawCall, methods.TelegramMethod):
            found[cls.api_method] = cls
    return found


# --- coverage and drift -------------------------------------------------------------


def test_every_method_and_type_of_bot_api_10_2_is_generated() -> None:
    generated_types = {name for name in types.__all__ if name not in ("TelegramObject",)}
    generated_types.discard("UnknownVariant")

    assert SPEC.version == "10.2"
    assert len(SPEC.methods) == 185
    assert len(SPEC.types) == 388
    assert set(method_classes()) == set(SPEC.methods)
    # InputFile is the one Bot API type that is not JSON: telebridge.InputFile is it.
    assert generated_types | {"InputFile"} == set(SPEC.types)


def test_generated_files_match_the_generator(tmp_path: Path) -> None:
    files = render(load_spec())
    write(files, tmp_path)

    root = TOOLS.parent
    drifted = [
        relative
        for relative in files
        if (tmp_path / relative).read_text(encoding="utf-8")
        != (root / relative).read_text(encoding="utf-8")
    ]
    assert drifted == [], "run: python tools/generate.py"
    for relative in files:
        assert (root / relative).read_text(encoding="utf-8").startswith("# This file is generated")


# --- names ------------------------------------------------------------------------------------


def test_from_is_from_user_and_travels_as_from() -> None:
    message = decode.decode_message(
        {
            "message_id": 1,
            "date": 5,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 9, "is_bot": False, "first_name": "Ann"},
        }
    )

    assert message.from_user is not None
    assert message.from_user.first_name == "Ann"
    assert encode_value(message)["from"] == {"id": 9, "is_bot": False, "first_name": "Ann"}
    assert "from_user" not in encode_value(message)


def test_fields_named_like_builtins_keep_their_bot_api_names() -> None:
    names = {
        (cls_name, field.name)
        for cls_name in types.__all__
        if attrs.has(cls := getattr(types, cls_name))
        for field in attrs.fields(cls)
    }

    assert ("Chat", "id") in names
    assert ("Chat", "type") in names
    assert ("InputSticker", "format") in names
    assert ("EncryptedPassportElement", "hash") in names


def test_64_bit_integers_survive_a_round_trip() -> None:
    big = -1_001_234_567_890_123
    chat = decode.decode_chat(json.loads(json.dumps({"id": big, "type": "supergroup"})))
    sent = methods.SendMessage(chat_id=2**63 - 1, text="x")

    assert chat.id == big
    assert json.loads(json.dumps(encode_value(chat)))["id"] == big
    assert sent.to_params()["chat_id"] == 2**63 - 1


def test_nested_arrays_are_typed_and_decoded() -> None:
    size = {"file_id": "a", "file_unique_id": "b", "width": 1, "height": 1}
    photos = decode.decode_user_profile_photos({"total_count": 1, "photos": [[size, size]]})
    keyboard = decode.decode_inline_keyboard_markup(
        {"inline_keyboard": [[{"text": "a", "url": "https://t.me"}], [{"text": "b"}]]}
    )

    assert isinstance(photos.photos[0][1], types.PhotoSize)
    assert keyboard.inline_keyboard[1][0].text == "b"
    assert attrs.fields(types.UserProfilePhotos).photos.type == "list[list[PhotoSize]]"
    hint = attrs.fields(types.InlineKeyboardMarkup).inline_keyboard.type
    assert hint == "list[list[InlineKeyboardButton]]"


# --- unions -----------------------------------------------------------------------------------

USER = {"id": 1, "is_bot": False, "first_name": "Ann"}
CHAT = {"id": -100, "type": "supergroup", "title": "T"}


@pytest.mark.parametrize(
    ("status", "variant"),
    [
        ("creator", types.ChatMemberOwner),
        ("administrator", types.ChatMemberAdministrator),
        ("member", types.ChatMemberMember),
        ("restricted", types.ChatMemberRestricted),
        ("left", types.ChatMemberLeft),
        ("kicked", types.ChatMemberBanned),
    ],
)
def test_chat_member_decodes_by_its_status(status: str, variant: type) -> None:
    required = {f.name for f in attrs.fields(variant) if f.default is attrs.NOTHING}
    data: dict[str, Any] = {"status": status, "user": USER}
    for name in required - data.keys():
        field_type = attrs.fields_dict(variant)[name].type
        data[name] = 0 if field_type == "int" else False if field_type == "bool" else "x"

    member = decode.decode_chat_member(data)

    assert type(member) is variant


def test_an_inaccessible_message_is_told_apart_by_its_zero_date() -> None:
    base = {"chat": CHAT, "message_id": 7}

    gone = decode.decode_maybe_inaccessible_message({**base, "date": 0})
    kept = decode.decode_maybe_inaccessible_message({**base, "date": 1_700_000_000})

    assert type(gone) is types.InaccessibleMessage
    assert type(kept) is types.Message


def test_cached_and_uploaded_inline_results_share_a_type_but_decode_apart() -> None:
    cached = decode.decode_inline_query_result({"type": "photo", "id": "1", "photo_file_id": "F"})
    linked = decode.decode_inline_query_result(
        {
            "type": "photo",
            "id": "2",
            "photo_url": "https://x/p.jpg",
            "thumbnail_url": "https://x/t",
        }
    )
    cached_gif = decode.decode_inline_query_result({"type": "gif", "id": "3", "gif_file_id": "G"})

    assert type(cached) is types.InlineQueryResultCachedPhoto
    assert type(linked) is types.InlineQueryResultPhoto
    assert type(cached_gif) is types.InlineQueryResultCachedGif


def test_rich_text_decodes_strings_arrays_and_objects_recursively() -> None:
    rich = decode.decode_rich_text(
        ["plain ", {"type": "bold", "text": ["very ", {"type": "italic", "text": "bold"}]}]
    )

    assert isinstance(rich, list)
    assert rich[0] == "plain "
    bold = rich[1]
    assert isinstance(bold, types.RichTextBold)
    assert isinstance(bold.text, list)
    assert bold.text[1] == types.RichTextItalic(text="bold")


def test_a_variant_of_several_unions_decodes_in_each() -> None:
    data = {"type": "photo", "media": "AgAD"}

    assert type(decode.decode_input_media(data)) is types.InputMediaPhoto
    assert type(decode.decode_input_poll_media(data)) is types.InputMediaPhoto
    assert type(decode.decode_input_poll_option_media(data)) is types.InputMediaPhoto


def test_an_unknown_variant_keeps_its_raw_data_and_unknown_fields_are_ignored() -> None:
    future = {"type": "hologram", "depth": 3}

    reaction = decode.decode_reaction_type(future)
    user = decode.decode_user({**USER, "has_telepathy": True})

    assert reaction == types.UnknownVariant(union="ReactionType", data=future)
    assert encode_value(reaction) == future
    assert user == types.User(id=1, is_bot=False, first_name="Ann")


def test_message_or_true_results_decode_both_shapes() -> None:
    edit = methods.EditMessageText(text="new", inline_message_id="abc")
    message = {"message_id": 1, "date": 2, "chat": CHAT, "text": "new"}

    assert edit.decode_result(True) is True
    edited = edit.decode_result(message)
    assert isinstance(edited, types.Message)
    assert edited.text == "new"


def test_a_scalar_result_of_the_wrong_type_is_an_invalid_response() -> None:
    body = json.dumps({"ok": True, "result": {"not": "a bool"}}).encode()
    with pytest.raises(InvalidResponse, match="unexpected result shape"):
        parse_response(methods.DeleteMessage(chat_id=1, message_id=2), 200, {}, body)


# --- the transports' surfaces -------------------------------------------------------------


def generated_names(surface: type) -> set[str]:
    return {name for name in vars(surface) if not name.startswith("_") and name != "execute"}


def own_names(*classes: type) -> set[str]:
    return {name for cls in classes for name in vars(cls) if not name.startswith("__")}


def test_no_generated_method_shadows_a_lifecycle_or_transport_attribute() -> None:
    sync_surface = generated_names(SyncBotApi)
    own = own_names(Bot, AsyncBot, BotBase) | {"close", "aclose", "execute", "call"}

    assert len(sync_surface) == 185
    assert sync_surface & own == set()
    assert "close_bot_instance" in sync_surface
    assert "log_out" in sync_surface
    assert inspect.getsource(Bot.close).count("self._client") >= 1  # still the lifecycle


def test_sync_and_async_surfaces_have_the_same_methods_and_signatures() -> None:
    sync_names = generated_names(SyncBotApi)
    assert generated_names(AsyncBotApi) == sync_names
    for name in sync_names:
        sync_method = getattr(SyncBotApi, name)
        async_method = getattr(AsyncBotApi, name)
        assert inspect.iscoroutinefunction(async_method), name
        assert inspect.signature(sync_method) == inspect.signature(async_method), name
        assert sync_method.__doc__ == async_method.__doc__


def test_close_bot_instance_calls_the_api_close_method(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"ok": True, "result": True})
    with Bot(CANARY_TOKEN) as bot:
        assert bot.close_bot_instance() is True

    assert httpx_mock.get_request() is not None
    assert str(httpx_mock.get_request().url).endswith("/close")


def test_generated_methods_send_their_parameters(httpx_mock: HTTPXMock) -> None:
    message = {"message_id": 5, "date": 2, "chat": CHAT, "photo": []}
    httpx_mock.add_response(json={"ok": True, "result": message})
    keyboard = types.InlineKeyboardMarkup(
        inline_keyboard=[[types.InlineKeyboardButton(text="go", url="https://t.me")]]
    )
    with Bot(CANARY_TOKEN) as bot:
        sent = bot.send_photo(-100, "AgADfileid", caption="hi", reply_markup=keyboard)

    request = httpx_mock.get_request()
    assert request is not None
    assert str(request.url).endswith("/sendPhoto")
    assert json.loads(request.content) == {
        "chat_id": -100,
        "photo": "AgADfileid",
        "caption": "hi",
        "reply_markup": {"inline_keyboard": [[{"text": "go", "url": "https://t.me"}]]},
    }
    assert sent.message_id == 5


def test_method_objects_reject_wrong_types_before_any_io() -> None:
    with pytest.raises(TypeError, match="sendPhoto: chat_id must be int or str, got float"):
        methods.SendPhoto(chat_id=1.5, photo="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reply_markup"):
        methods.SendMessage(chat_id=1, text="x", reply_markup={"inline_keyboard": []})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        methods.GetMe(surprise=1)  # type: ignore[call-arg]


def test_file_fields_inside_input_media_are_checked_when_built() -> None:
    with pytest.raises(InvalidFileReference, match="InputMediaPhoto: media"):
        types.InputMediaPhoto(media="cat.jpg")
    with pytest.raises(TypeError, match="InputMediaVideo: thumbnail"):
        types.InputMediaVideo(media="AgAD", thumbnail=5)  # type: ignore[arg-type]

    media = types.InputMediaPhoto(media="attach://cover")
    assert media.media == "attach://cover"


def test_method_objects_are_values() -> None:
    one = methods.SendMessage(chat_id=1, text="x")

    assert one == methods.SendMessage(chat_id=1, text="x")
    assert one != methods.SendMessage(chat_id=2, text="x")
    assert repr(one) == "SendMessage(chat_id=1, text='x')"
    assert attrs.evolve(one, text="y").to_params() == {"chat_id": 1, "text": "y"}


def test_input_file_is_accepted_where_the_api_takes_one() -> None:
    hint = attrs.fields(methods.SendDocument).document.type
    media_hint = attrs.fields(types.InputMediaPhoto).media.type

    assert hint == "InputFile | BinaryIO | str"
    assert media_hint == "InputFile | str"
    with pytest.raises(InvalidFileReference):
        methods.SendDocument(chat_id=1, document="report Q3.pdf")
    with pytest.raises(TypeError, match="sendDocument: document must be an InputFile"):
        methods.SendDocument(chat_id=1, document=b"raw bytes")  # type: ignore[arg-type]
    assert methods.SendDocument(chat_id=1, document="BQACAgIAAx0").document == "BQACAgIAAx0"


def test_import_telebridge_leaves_the_generated_classes_for_first_use() -> None:
    # Building ~570 attrs classes costs ~100 ms: import must not pay it (see README).
    probe = (
        "import sys, telebridge; "
        "print(sorted(m for m in sys.modules if m.startswith(('telebridge.types._a', "
        "'telebridge.core.methods._', 'telebridge.core._decode'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()

    assert loaded == "[]"
