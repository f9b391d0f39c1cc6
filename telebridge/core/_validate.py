"""Fail-fast checks on method parameters, run when a method object is built."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["check_type"]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def check_type(*kinds: type, optional: bool = False) -> Validator:
    """Build an attrs validator accepting instances of *kinds* (and None if optional).

    ``bool`` is a subclass of ``int`` in Python but never a valid chat id or
    message id for Telegram, so it only passes where ``bool`` is listed.
    """
    allow_bool = bool in kinds
    expected = " or ".join(kind.__name__ for kind in kinds)

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if isinstance(value, kinds) and (allow_bool or not isinstance(value, bool)):
            return
        method = getattr(type(instance), "api_method", type(instance).__name__)
        raise TypeError(
            f"{method}: {attribute.name} must be {expected}, got {type(value).__name__}"
        )

    return validate
