"""Entity slicing in UTF-16 units, and escaping for the HTML and MarkdownV2 parse modes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telebridge import entity_text, escape_html, escape_markdown_v2, utf16_length
from telebridge.types import MessageEntity

MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!\\")


def entity(offset: int, length: int) -> MessageEntity:
    return MessageEntity(type="bold", offset=offset, length=length)


def test_an_entity_after_emoji_is_cut_by_utf16_offsets() -> None:
    text = "👋🏽 Hello, 🌍🌏 world!"
    # 👋🏽 is two astral characters (4 units); "Hello" starts at unit 5.
    assert entity_text(text, entity(5, 5)) == "Hello"
    assert entity_text(text, entity(12, 4)) == "🌍🌏"
    assert entity_text(text, entity(17, 5)) == "world"
    assert text[5:10] != "Hello"  # what naive code index slicing gives


@given(parts=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=6), pick=st.data())
def test_entity_text_recovers_any_part_of_a_text(parts: list[str], pick: st.DataObject) -> None:
    index = pick.draw(st.integers(0, len(parts) - 1))
    offset = sum(utf16_length(part) for part in parts[:index])

    cut = entity_text("".join(parts), entity(offset, utf16_length(parts[index])))

    assert cut == parts[index]


def test_an_entity_that_does_not_fit_or_splits_a_character_is_rejected() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        entity_text("abc", entity(2, 5))
    with pytest.raises(ValueError, match="splits a character"):
        entity_text("a😀b", entity(0, 2))


def test_escape_html_escapes_what_telegram_parses() -> None:
    assert escape_html('<b> & "x"') == "&lt;b&gt; &amp; &quot;x&quot;"
    assert escape_html("ёлка 🎄") == "ёлка 🎄"


@given(st.text())
def test_escaped_markdown_v2_has_every_reserved_character_escaped(text: str) -> None:
    escaped = escape_markdown_v2(text)

    unescaped = re.sub(r"\\(.)", "", escaped, flags=re.DOTALL)
    assert not set(unescaped) & MARKDOWN_V2_RESERVED
    assert re.sub(r"\\(.)", r"\1", escaped, flags=re.DOTALL) == text


def test_markdown_v2_code_and_link_contexts_escape_only_their_characters() -> None:
    assert escape_markdown_v2("a_b.c!") == r"a\_b\.c\!"
    assert escape_markdown_v2("print(`x` \\ y_z)", context="code") == "print(\\`x\\` \\\\ y_z)"
    assert escape_markdown_v2("https://x.y/(a)_b", context="link") == "https://x.y/(a\\)_b"
    with pytest.raises(ValueError, match="context"):
        escape_markdown_v2("x", context="html")  # type: ignore[arg-type]
