"""The Bot API as methods of the synchronous :class:`~telebridge.Bot`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from telebridge.core.methods import GetMe, GetUpdates, SendMessage, TelegramMethod
from telebridge.types import Message, MessageEntity, Update, User

R = TypeVar("R")


class SyncBotApi:
    """Bot API methods; each builds a request object and hands it to ``execute``."""

    __slots__ = ()

    def execute(self, method: TelegramMethod[R]) -> R:
        raise NotImplementedError

    def get_me(self) -> User:
        """Return basic information about the bot."""
        return self.execute(GetMe())

    def send_message(
        self,
        chat_id: int | str,
        text: str,
        *,
        business_connection_id: str | None = None,
        message_thread_id: int | None = None,
        direct_messages_topic_id: int | None = None,
        parse_mode: str | None = None,
        entities: Sequence[MessageEntity] | None = None,
        link_preview_options: Any = None,
        disable_notification: bool | None = None,
        protect_content: bool | None = None,
        allow_paid_broadcast: bool | None = None,
        message_effect_id: str | None = None,
        suggested_post_parameters: Any = None,
        reply_parameters: Any = None,
        reply_markup: Any = None,
    ) -> Message:
        """Send a text message; return the sent Message."""
        return self.execute(
            SendMessage(
                chat_id=chat_id,
                text=text,
                business_connection_id=business_connection_id,
                message_thread_id=message_thread_id,
                direct_messages_topic_id=direct_messages_topic_id,
                parse_mode=parse_mode,
                entities=None if entities is None else list(entities),
                link_preview_options=link_preview_options,
                disable_notification=disable_notification,
                protect_content=protect_content,
                allow_paid_broadcast=allow_paid_broadcast,
                message_effect_id=message_effect_id,
                suggested_post_parameters=suggested_post_parameters,
                reply_parameters=reply_parameters,
                reply_markup=reply_markup,
            )
        )

    def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: int | None = None,
        allowed_updates: Sequence[str] | None = None,
    ) -> list[Update]:
        """Receive incoming updates by long polling (up to *timeout* seconds)."""
        return self.execute(
            GetUpdates(
                offset=offset,
                limit=limit,
                timeout=timeout,
                allowed_updates=None if allowed_updates is None else list(allowed_updates),
            )
        )
