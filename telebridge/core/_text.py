"""Text helpers every bot needs: entity slicing and parse-mode escaping.

Telegram measures entity offsets and lengths in UTF-16 code units, so any
character outside the Basic Multilingual Plane (most emoji) counts twice.
Python strings index by code point: slicing ``text[offset:offset + length]``
goes wrong after the first emoji.
"""

from __future__ import annotations

import re
from typing import Literal, Protocol

__all__ = [
    "entity_text",
    "escape_html",
    "escape_markdown_v2",
    "utf16_length",
]


class _Span(Protocol):
    @property
    def offset(self) -> int: ...

    @property
    def length(self) -> int: ...


def utf16_length(text: str) -> int:
    """Return the length of *text* as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def entity_text(text: str, entity: _Span) -> str:
    """Return the part of *text* that *entity* (a ``MessageEntity``) covers.

    Raises ``ValueError`` if the entity does not fit the text or would cut a
    character in half, which means it belongs to another text.
    """
    encoded = text.encode("utf-16-le")
    start, end = entity.offset * 2, (entity.offset + entity.length) * 2
    if entity.offset < 0 or entity.length < 0 or end > len(encoded):
        raise ValueError(
            f"entity at offset {entity.offset} with length {entity.length} does not fit "
            f"a text of {len(encoded) // 2} UTF-16 code units"
        )
    try:
        return encoded[start:end].decode("utf-16-le")
    except UnicodeDecodeError:
        raise ValueError(
            f"entity at offset {entity.offset} with length {entity.length} "
            "splits a character of the text in two"
        ) from None


_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def escape_html(text: str) -> str:
    """Escape *text* for ``parse_mode="HTML"`` (also safe inside attribute values)."""
    if not isinstance(text, str):
        raise TypeError(f"escape_html() takes a str, got {type(text).__name__}")
    return text.translate(_HTML)


# What MarkdownV2 reserves in each context (Bot API, "MarkdownV2 style").
_MARKDOWN_V2 = {
    "text": re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])"),
    "code": re.compile(r"([`\\])"),
    "link": re.compile(r"([)\\])"),
}


def escape_markdown_v2(text: str, *, context: Literal["text", "code", "link"] = "text") -> str:
    """Escape *text* for ``parse_mode="MarkdownV2"``.

    ``context`` says where the text goes: ordinary text (the default), the
    inside of a ``code`` or ``pre`` entity, or the URL part ``(...)`` of an
    inline link or custom emoji, where fewer characters are reserved.
    """
    if not isinstance(text, str):
        raise TypeError(f"escape_markdown_v2() takes a str, got {type(text).__name__}")
    pattern = _MARKDOWN_V2.get(context)
    if pattern is None:
        raise ValueError(f"context must be 'text', 'code' or 'link', got {context!r}")
    return pattern.sub(r"\\\1", text)
