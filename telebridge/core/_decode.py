"""Decoders from Bot API JSON (already parsed) to telebridge.types objects.

Each decoder reads only the keys it knows, so fields Telegram adds later are
ignored. A missing required key raises KeyError and a wrong shape TypeError;
the response parser turns both into :class:`~telebridge.InvalidResponse`.
"""

from __future__ import annotations

from typing import Any

from telebridge.types import Chat, Message, MessageEntity, Update, User

__all__ = [
    "decode_chat",
    "decode_message",
    "decode_message_entity",
    "decode_update",
    "decode_user",
]

Json = dict[str, Any]


def decode_user(data: Json) -> User:
    return User(
        id=data["id"],
        is_bot=data["is_bot"],
        first_name=data["first_name"],
        last_name=data.get("last_name"),
        username=data.get("username"),
        language_code=data.get("language_code"),
        is_premium=data.get("is_premium"),
        added_to_attachment_menu=data.get("added_to_attachment_menu"),
        can_join_groups=data.get("can_join_groups"),
        can_read_all_group_messages=data.get("can_read_all_group_messages"),
        supports_inline_queries=data.get("supports_inline_queries"),
        can_connect_to_business=data.get("can_connect_to_business"),
        has_main_web_app=data.get("has_main_web_app"),
    )


def decode_chat(data: Json) -> Chat:
    return Chat(
        id=data["id"],
        type=data["type"],
        title=data.get("title"),
        username=data.get("username"),
        first_name=data.get("first_name"),
        last_name=data.get("last_name"),
        is_forum=data.get("is_forum"),
    )


def decode_message_entity(data: Json) -> MessageEntity:
    user = data.get("user")
    return MessageEntity(
        type=data["type"],
        offset=data["offset"],
        length=data["length"],
        url=data.get("url"),
        user=None if user is None else decode_user(user),
        language=data.get("language"),
        custom_emoji_id=data.get("custom_emoji_id"),
    )


def _entities(items: list[Json] | None) -> list[MessageEntity] | None:
    return None if items is None else [decode_message_entity(item) for item in items]


def _optional_message(data: Json | None) -> Message | None:
    return None if data is None else decode_message(data)


def decode_message(data: Json) -> Message:
    sender = data.get("from")
    sender_chat = data.get("sender_chat")
    return Message(
        message_id=data["message_id"],
        date=data["date"],
        chat=decode_chat(data["chat"]),
        message_thread_id=data.get("message_thread_id"),
        from_user=None if sender is None else decode_user(sender),
        sender_chat=None if sender_chat is None else decode_chat(sender_chat),
        reply_to_message=_optional_message(data.get("reply_to_message")),
        edit_date=data.get("edit_date"),
        text=data.get("text"),
        entities=_entities(data.get("entities")),
        caption=data.get("caption"),
        caption_entities=_entities(data.get("caption_entities")),
    )


def decode_update(data: Json) -> Update:
    return Update(
        update_id=data["update_id"],
        message=_optional_message(data.get("message")),
        edited_message=_optional_message(data.get("edited_message")),
        channel_post=_optional_message(data.get("channel_post")),
        edited_channel_post=_optional_message(data.get("edited_channel_post")),
    )
