"""Build decoded objects straight from JSON: the decoders' fast path.

A Message has ~120 fields and a typical one sets about ten. Calling its
``__init__`` with every field costs more than the JSON parsing itself, so
the generated decoders fill an instance's ``__dict__`` with the fields that
are present, and the rest read their class-level default (``None``, or a
union tag's constant). The result is indistinguishable from an instance
built by ``__init__``: same equality, repr, pickling and ``attrs.evolve``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

Decoder = Callable[[Any], Any]
# A type's fields: (plain, {wire name: (attribute, decoder)}, required).
Table = tuple[frozenset[str], dict[str, tuple[str, Decoder]], frozenset[str]]

_new = object.__new__
_set = object.__setattr__


def _build(
    cls: type[T],
    data: Any,
    plain: frozenset[str],
    nested: Mapping[str, tuple[str, Decoder]],
    required: frozenset[str],
) -> T:
    """Return a *cls* holding the known fields of *data*, decoding nested ones."""
    fields = {}
    spec_of = nested.get
    for key, value in data.items():
        if key in plain:
            fields[key] = value
        elif (spec := spec_of(key)) is not None and value is not None:
            fields[spec[0]] = spec[1](value)
    if not required <= fields.keys():
        missing = ", ".join(sorted(required - fields.keys()))
        raise KeyError(f"{cls.__name__} without {missing}")
    instance = _new(cls)
    _set(instance, "__dict__", fields)  # frozen classes refuse a plain assignment
    return instance


def _list(decode: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    """Lift *decode* to decode a JSON array of such values."""

    def decode_all(values: Any) -> list[T]:
        if not isinstance(values, list):
            raise TypeError(f"expected an array, got {type(values).__name__}")
        return [decode(value) for value in values]

    return decode_all


def _same(value: T) -> T:
    """Decode a plain value stored under another attribute name."""
    return value
