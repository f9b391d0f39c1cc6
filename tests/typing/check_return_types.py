"""Return types pinned under ``mypy --strict`` (CI checks this file; it never runs).

Each ``assert_type`` fails type checking if a generated signature drifts.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from telebridge import AsyncBot, Bot
from telebridge.core.methods import GetChatMember, SendMessage
from telebridge.types import ChatMember, File, Message, MessageId, Update, User


def sync_surface(bot: Bot) -> None:
    assert_type(bot.get_me(), User)
    assert_type(bot.send_message(42, "hi"), Message)
    assert_type(bot.send_photo(42, "AgAD", caption="c"), Message)
    assert_type(bot.edit_message_text(text="new", chat_id=42, message_id=1), Message | bool)
    assert_type(bot.get_chat_member(42, 7), ChatMember)
    assert_type(bot.get_updates(timeout=30), list[Update])
    assert_type(bot.copy_messages(42, 43, [1, 2]), list[MessageId])
    assert_type(bot.get_file("id"), File)
    assert_type(bot.close_bot_instance(), bool)
    assert_type(bot.execute(SendMessage(chat_id=42, text="hi")), Message)
    assert_type(bot.execute(GetChatMember(chat_id=42, user_id=7)), ChatMember)
    assert_type(bot.call("sendDice", {"chat_id": 42}), Any)


async def async_surface(bot: AsyncBot) -> None:
    assert_type(await bot.get_me(), User)
    assert_type(await bot.send_message(42, "hi"), Message)
    assert_type(await bot.edit_message_text(text="new", inline_message_id="x"), Message | bool)
    assert_type(await bot.get_chat_member(42, 7), ChatMember)
    assert_type(await bot.get_updates(), list[Update])
    assert_type(await bot.execute(SendMessage(chat_id=42, text="hi")), Message)
    assert_type(await bot.call("sendDice", {"chat_id": 42}), Any)
