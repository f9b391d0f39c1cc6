"""Bot API objects as frozen, slotted attrs classes.

Attribute names are the Bot API's, except ``from``, which is ``from_user``.
Unknown fields in a response are ignored, so a newer Bot API never breaks
decoding.
"""

from __future__ import annotations

import attrs

__all__ = ["Chat", "Message", "MessageEntity", "Update", "User"]

_FROM = {"api_name": "from"}


@attrs.frozen(kw_only=True)
class User:
    """A Telegram user or bot."""

    id: int
    is_bot: bool
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool | None = None
    added_to_attachment_menu: bool | None = None
    can_join_groups: bool | None = None
    can_read_all_group_messages: bool | None = None
    supports_inline_queries: bool | None = None
    can_connect_to_business: bool | None = None
    has_main_web_app: bool | None = None


@attrs.frozen(kw_only=True)
class Chat:
    """A chat: private, group, supergroup or channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool | None = None


@attrs.frozen(kw_only=True)
class MessageEntity:
    """A special part of a message's text (a mention, a URL, bold, ...)."""

    type: str
    offset: int
    length: int
    url: str | None = None
    user: User | None = None
    language: str | None = None
    custom_emoji_id: str | None = None


@attrs.frozen(kw_only=True)
class Message:
    """A message."""

    message_id: int
    date: int
    chat: Chat
    message_thread_id: int | None = None
    from_user: User | None = attrs.field(default=None, metadata=_FROM)
    sender_chat: Chat | None = None
    reply_to_message: Message | None = None
    edit_date: int | None = None
    text: str | None = None
    entities: list[MessageEntity] | None = None
    caption: str | None = None
    caption_entities: list[MessageEntity] | None = None


@attrs.frozen(kw_only=True)
class Update:
    """An incoming update; at most one of the optional fields is set."""

    update_id: int
    message: Message | None = None
    edited_message: Message | None = None
    channel_post: Message | None = None
    edited_channel_post: Message | None = None
