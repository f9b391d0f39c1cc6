"""What every generated Bot API type shares."""

from __future__ import annotations

from typing import Any

import attrs

from telebridge.core._model import ValueObject


class TelegramObject(ValueObject):
    """The base of every Bot API type in :mod:`telebridge.types`.

    Instances are frozen; they compare equal when their fields do, and their
    repr shows the fields that are set.
    """

    __slots__ = ()


def read_unset_fields_as_defaults(*classes: type) -> None:
    """Put each field's default on its class, for instances built by decoders.

    attrs removes these class attributes; decoded instances store only the
    fields the JSON had (see ``telebridge.core._build``), and an absent one
    must then read as its default rather than raise AttributeError.
    """
    for cls in classes:
        for field in attrs.fields(cls):
            if field.default is not attrs.NOTHING:
                setattr(cls, field.name, field.default)


@attrs.frozen(kw_only=True, eq=False, repr=False)
class UnknownVariant(TelegramObject):
    """A variant of a union type that this release does not know, kept as raw data.

    Telegram adds variants (a new chat member status, a new reaction type)
    between releases; decoding keeps them here instead of failing.

    Attributes:
        union: The union the value belongs to, e.g. ``"ChatMember"``.
        data: The object exactly as the Bot API sent it.
    """

    union: str
    data: dict[str, Any]

    def __telebridge_encode__(self) -> dict[str, Any]:
        return dict(self.data)
