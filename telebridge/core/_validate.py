"""Fail-fast checks on method parameters, run when a method object is built."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from telebridge.core._files import InputFile, check_file_reference, is_file_object

__all__ = ["check_input_file", "check_type"]

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


def check_input_file(*, optional: bool = False) -> Validator:
    """Build an attrs validator for a parameter typed "InputFile or String".

    An :class:`InputFile` or an open binary file object passes; a str must be
    a file_id, an http(s) URL or an ``attach://`` name (see
    :func:`check_file_reference`), so a bare file name fails when the call is built.
    """

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if isinstance(value, InputFile) or is_file_object(value):
            return
        method = getattr(type(instance), "api_method", type(instance).__name__)
        if isinstance(value, str):
            check_file_reference(value, f"{method}: {attribute.name}")
            return
        raise TypeError(
            f"{method}: {attribute.name} must be an InputFile or a str (file_id or URL), "
            f"got {type(value).__name__}"
        )

    return validate
