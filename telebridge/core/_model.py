"""Equality, hashing and repr shared by every generated attrs class.

attrs can generate these per class, but compiling them for ~570 classes
tripled the import time; one generic implementation over the attrs fields
behaves the same and is written once.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["ValueObject"]

_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(field.name for field in attrs.fields(cls))
    return names


class ValueObject:
    """Compare, hash and show an attrs instance by the values of its fields."""

    __slots__ = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _field_names(type(self)))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        # Unset (None) fields are left out: a Message has ~90 of them.
        shown = (
            f"{name}={value!r}"
            for name in _field_names(type(self))
            if (value := getattr(self, name)) is not None
        )
        return f"{type(self).__name__}({', '.join(shown)})"
