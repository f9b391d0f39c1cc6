"""Turn method parameters and telebridge objects into JSON-ready values."""

from __future__ import annotations

from typing import Any

import attrs

from telebridge.core._files import InputFile, is_file_object

__all__ = ["api_field_names", "encode_value"]

# attrs metadata key holding a field's Bot API name when it differs from the
# Python attribute name (``from_user`` is ``from`` on the wire).
API_NAME = "api_name"

_FIELD_NAMES: dict[type, tuple[tuple[str, str], ...]] = {}


def api_field_names(cls: type) -> tuple[tuple[str, str], ...]:
    """Return ``(attribute, wire name)`` pairs for an attrs class, cached."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(
            (field.name, field.metadata.get(API_NAME, field.name)) for field in attrs.fields(cls)
        )
        _FIELD_NAMES[cls] = names
    return names


def encode_value(value: Any) -> Any:
    """Return *value* as plain JSON data; ``None`` fields of objects are left out.

    Files are the exception: an :class:`InputFile` passes through as itself
    (and an open binary file object is wrapped into one) for
    ``prepare_request`` to turn into a multipart part.
    """
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [encode_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): encode_value(item) for key, item in value.items()}
    if isinstance(value, InputFile):
        return value
    if is_file_object(value):
        return InputFile(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError("cannot send raw bytes to the Bot API: wrap them in InputFile(data)")
    encoder = getattr(value, "__telebridge_encode__", None)
    if encoder is not None:
        return encoder()
    if attrs.has(type(value)):
        return encode_object(value)
    raise TypeError(f"cannot send a {type(value).__name__} to the Bot API")


def encode_object(obj: Any) -> dict[str, Any]:
    """Encode an attrs instance field by field, leaving out unset (``None``) fields."""
    result: dict[str, Any] = {}
    for attribute, wire_name in api_field_names(type(obj)):
        item = getattr(obj, attribute)
        if item is not None:
            result[wire_name] = encode_value(item)
    return result
