"""Bot API methods as request objects (one frozen attrs class per method)."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from telebridge.core._decode import decode_message, decode_update, decode_user
from telebridge.core._method import RawCall, TelegramMethod
from telebridge.core._validate import check_type
from telebridge.types import Message, MessageEntity, Update, User

__all__ = ["GetMe", "GetUpdates", "RawCall", "SendMessage", "TelegramMethod"]


@attrs.frozen(kw_only=True)
class GetMe(TelegramMethod[User]):
    """Return basic information about the bot."""

    api_method: ClassVar[str] = "getMe"

    def decode_result(self, result: Any) -> User:
        return decode_user(result)


@attrs.frozen(kw_only=True)
class SendMessage(TelegramMethod[Message]):
    """Send a text message; return the sent Message."""

    api_method: ClassVar[str] = "sendMessage"

    chat_id: int | str = attrs.field(validator=check_type(int, str))
    text: str = attrs.field(validator=check_type(str))
    business_connection_id: str | None = attrs.field(
        default=None, validator=check_type(str, optional=True)
    )
    message_thread_id: int | None = attrs.field(
        default=None, validator=check_type(int, optional=True)
    )
    direct_messages_topic_id: int | None = attrs.field(
        default=None, validator=check_type(int, optional=True)
    )
    parse_mode: str | None = attrs.field(default=None, validator=check_type(str, optional=True))
    entities: list[MessageEntity] | None = attrs.field(
        default=None, validator=check_type(list, tuple, optional=True)
    )
    link_preview_options: Any = None
    disable_notification: bool | None = attrs.field(
        default=None, validator=check_type(bool, optional=True)
    )
    protect_content: bool | None = attrs.field(
        default=None, validator=check_type(bool, optional=True)
    )
    allow_paid_broadcast: bool | None = attrs.field(
        default=None, validator=check_type(bool, optional=True)
    )
    message_effect_id: str | None = attrs.field(
        default=None, validator=check_type(str, optional=True)
    )
    suggested_post_parameters: Any = None
    reply_parameters: Any = None
    reply_markup: Any = None

    def decode_result(self, result: Any) -> Message:
        return decode_message(result)


@attrs.frozen(kw_only=True)
class GetUpdates(TelegramMethod[list[Update]]):
    """Receive incoming updates by long polling."""

    api_method: ClassVar[str] = "getUpdates"

    offset: int | None = attrs.field(default=None, validator=check_type(int, optional=True))
    limit: int | None = attrs.field(default=None, validator=check_type(int, optional=True))
    timeout: int | None = attrs.field(default=None, validator=check_type(int, optional=True))
    allowed_updates: list[str] | None = attrs.field(
        default=None, validator=check_type(list, tuple, optional=True)
    )

    def decode_result(self, result: Any) -> list[Update]:
        return [decode_update(item) for item in result]

    @property
    def long_poll_timeout(self) -> float | None:
        return float(self.timeout) if self.timeout else None
