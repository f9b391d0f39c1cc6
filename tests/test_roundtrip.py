"""Property tests: every type survives encode -> JSON -> decode; junk decodes to errors."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import types as pytypes
import typing
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import telebridge.types as types
from telebridge import TelegramError
from telebridge.core import _decode as decode
from telebridge.core import methods, parse_response
from telebridge.core._encode import encode_value
from telebridge.core._files import InputFile

NAMESPACE: dict[str, Any] = {name: getattr(types, name) for name in types.__all__}
NAMESPACE["InputFile"] = InputFile
CLASSES = sorted(
    name
    for name in types.__all__
    if attrs.has(getattr(types, name)) and name not in ("UnknownVariant",)
)
# Deeper than this, optional fields stay unset so that recursive types
# (a Message replying to a Message...) stay finite.
MAX_DEPTH = 1


def decoder_for(cls: type) -> Any:
    return getattr(
        decode, "decode_" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__).lower()
    )


@functools.cache
def strategy_for(hint: Any, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(hint, typing.ForwardRef):
        hint = NAMESPACE[hint.__forward_arg__]
    if isinstance(hint, str):
        hint = NAMESPACE[hint]
    if hint is type(None):
        return st.none()
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(-(2**63), 2**63 - 1)
    if hint is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if hint is str:
        return st.text(max_size=12)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, pytypes.UnionType):
        members = [m for m in typing.get_args(hint) if m not in (InputFile, types.UnknownVariant)]
        plain = [m for m in members if m in (str, int, float, bool, type(None))]
        if depth > MAX_DEPTH and plain:
            members = plain  # a recursive union (RichText) bottoms out in a string
        return st.one_of([strategy_for(m, depth) for m in members])
    if origin is list:
        if depth > MAX_DEPTH:
            return st.just([])  # required lists of blocks inside blocks end here
        (item,) = typing.get_args(hint)
        return st.lists(strategy_for(item, depth + 1), max_size=2)
    if attrs.has(hint):
        return instances_of(hint, depth + 1)
    raise AssertionError(f"no strategy for {hint!r}")


@functools.cache
def instances_of(cls: type, depth: int = 0) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls, globalns=NAMESPACE)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(cls):
        if isinstance(field.default, str):
            fields[field.name] = st.just(field.default)  # a union's tag constant
        elif field.name == "date" and cls is types.InaccessibleMessage:
            fields[field.name] = st.just(0)
        elif field.name == "date":
            fields[field.name] = st.integers(1, 2**31)  # a real message's date is positive
        elif "InputFile" in str(field.type):
            # Checked on construction: only a file_id-shaped string may stand for a file.
            file_id = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
            fields[field.name] = file_id if field.default is attrs.NOTHING else st.none() | file_id
        elif field.default is None and depth >= MAX_DEPTH:
            fields[field.name] = st.none()
        else:
            fields[field.name] = strategy_for(hints[field.name], depth)
    return st.builds(cls, **fields)


@pytest.mark.parametrize("name", CLASSES)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.large_base_example, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_type_survives_encode_json_decode(name: str, data: st.DataObject) -> None:
    cls = getattr(types, name)
    original = data.draw(instances_of(cls))

    wire = json.loads(json.dumps(encode_value(original)))

    assert decoder_for(cls)(wire) == original


def test_the_property_covers_every_generated_class() -> None:
    # 388 Bot API types: 26 unions are aliases, InputFile is telebridge.InputFile.
    assert len(CLASSES) == 388 - 26 - 1


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
METHODS = [
    getattr(methods, name) for name in methods.__all__ if name not in ("RawCall", "TelegramMethod")
]


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(METHODS),
    result=JSON
    | st.dictionaries(
        st.sampled_from(["message_id", "date", "chat", "from", "type", "status", "id", "user"]),
        JSON,
    ),
)
def test_arbitrary_json_results_raise_only_telebridge_errors(method: type, result: Any) -> None:
    instance = object.__new__(method)  # parameters are irrelevant to decoding
    body = json.dumps({"ok": True, "result": result}).encode()
    with contextlib.suppress(TelegramError):
        parse_response(instance, 200, {}, body)


def union_variants() -> list[tuple[str, type]]:
    pairs = []
    for name in types.__all__:
        alias = getattr(types, name)
        if typing.get_origin(alias) in (typing.Union, pytypes.UnionType):
            pairs += [(name, v) for v in typing.get_args(alias) if attrs.has(v)]
    return [(name, v) for name, v in pairs if v is not types.UnknownVariant]


def test_every_union_is_checked_through_its_own_decoder() -> None:
    unions = {name for name, _ in union_variants()}
    assert len(unions) == 26
    # Bot API 10.2's unions hold 187 class variants, several in more than one union.
    assert len(union_variants()) == 187


@pytest.mark.parametrize(
    ("union", "variant"), union_variants(), ids=lambda v: getattr(v, "__name__", v)
)
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.large_base_example, HealthCheck.too_slow],
)
@given(data=st.data())
def test_each_variant_decodes_through_its_union(
    union: str, variant: type, data: st.DataObject
) -> None:
    original = data.draw(instances_of(variant))

    wire = json.loads(json.dumps(encode_value(original)))
    decoded = getattr(decode, "decode_" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", union).lower())(
        wire
    )

    assert type(decoded) is variant
    assert decoded == original
