"""The base of every Bot API call described as data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

import attrs

from telebridge.core._encode import encode_object, encode_value
from telebridge.core._files import check_file_fields
from telebridge.core._model import ValueObject

__all__ = ["LongPollMethod", "RawCall", "TelegramMethod"]

R = TypeVar("R")
T = TypeVar("T")


class TelegramMethod(ValueObject, Generic[R]):
    """One Bot API call, as a value: its name, its parameters, how to read its result.

    Subclasses are frozen attrs classes whose fields are the call's parameters.
    Either transport executes one (``bot.execute(SendMessage(...))``); building,
    inspecting, pickling or queueing it needs no I/O.
    """

    __slots__ = ()

    api_method: ClassVar[str]

    def to_params(self) -> dict[str, Any]:
        """Return the parameters as JSON-ready data, unset ones left out."""
        return encode_object(self)

    def decode_result(self, result: Any) -> R:
        """Turn the ``result`` of a successful answer into the typed return value."""
        raise NotImplementedError

    @property
    def long_poll_timeout(self) -> float | None:
        """Seconds the server may hold this request open before answering (long polls)."""
        return None


class LongPollMethod:
    """Mixin for methods whose ``timeout`` parameter is a long poll (getUpdates)."""

    __slots__ = ()

    timeout: int | None

    @property
    def long_poll_timeout(self) -> float | None:
        return None if self.timeout is None else float(self.timeout)


def _expect(result: object, kind: type[T]) -> T:
    """Check a scalar result (True, an int, a string) has the documented type."""
    if not isinstance(result, kind) or (isinstance(result, bool) and kind is not bool):
        raise TypeError(f"expected {kind.__name__}, got {type(result).__name__}")
    return result


def _check_params(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"parameters must be a mapping (a dict), got {type(value).__name__}")


def _check_method_name(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.isidentifier():
        raise ValueError(f"a Bot API method name must be an identifier, got {value!r}")


@attrs.frozen
class RawCall(TelegramMethod[Any]):
    """Any Bot API method by its name, with parameters as a plain mapping.

    The escape hatch for methods newer than this library: the result comes
    back as decoded JSON (dicts, lists, scalars), not as typed objects.
    """

    method: str = attrs.field(validator=_check_method_name)
    params: Mapping[str, Any] = attrs.field(factory=dict, validator=_check_params)

    @property
    def api_method(self) -> str:  # type: ignore[override]
        return self.method

    def to_params(self) -> dict[str, Any]:
        params = {
            key: encode_value(value) for key, value in self.params.items() if value is not None
        }
        # Without parameter types, strings in file fields are checked by name,
        # so "cat.jpg" fails here instead of as a puzzling Telegram error.
        check_file_fields(params, self.method)
        return params

    def decode_result(self, result: Any) -> Any:
        return result

    @property
    def long_poll_timeout(self) -> float | None:
        timeout = self.params.get("timeout") if self.method.lower() == "getupdates" else None
        return float(timeout) if isinstance(timeout, (int, float)) else None
