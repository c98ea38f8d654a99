"""The BCS encoder and its strict decoder."""

from __future__ import annotations

from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libra import bcs


@bcs.struct
class Point:
    x: bcs.U64
    y: bcs.U8


@bcs.struct
class Everything:
    flag: bool
    small: bcs.U16
    mid: bcs.U32
    big: bcs.U128
    huge: bcs.U256
    blob: bytes
    name: str
    points: tuple[Point, ...]
    maybe: bcs.U64 | None
    fixed: Annotated[bytes, bcs.Fixed(3)]
    pair: tuple[bcs.U8, str]
    table: dict[str, bcs.U8]
    arr: Annotated[tuple[bcs.U8, ...], bcs.Fixed(2)]


class Shape(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class Circle(Shape):
    radius: bcs.U32


@bcs.variant(1)
@bcs.struct
class Nested(Shape):
    inner: Shape


@bcs.variant(2)
@bcs.struct
class Empty(Shape):
    pass


def test_struct_layout_is_fields_in_order() -> None:
    assert bcs.encode(Point(1, 2)) == b"\x01" + b"\x00" * 7 + b"\x02"
    assert bcs.decode(Point, bcs.encode(Point(2**64 - 1, 255))) == Point(2**64 - 1, 255)


def test_known_encodings() -> None:
    value = Everything(
        flag=True,
        small=0x0102,
        mid=1,
        big=2**127,
        huge=1,
        blob=b"ab",
        name="é",
        points=(Point(1, 1),),
        maybe=None,
        fixed=b"xyz",
        pair=(7, ""),
        table={"b": 2, "a": 1},
        arr=(9, 8),
    )
    encoded = bcs.encode(value)
    expected = (
        b"\x01"
        + b"\x02\x01"
        + b"\x01\x00\x00\x00"
        + (2**127).to_bytes(16, "little")
        + (1).to_bytes(32, "little")
        + b"\x02ab"
        + b"\x02\xc3\xa9"
        + b"\x01" + b"\x01" + b"\x00" * 7 + b"\x01"
        + b"\x00"
        + b"xyz"
        + b"\x07\x00"
        + b"\x02\x01a\x01\x01b\x02"
        + b"\x09\x08"
    )  # fmt: skip
    assert encoded == expected
    assert bcs.decode(Everything, encoded) == value


def test_enum_tags_and_variants() -> None:
    assert bcs.encode(Circle(5)) == b"\x00\x05\x00\x00\x00"
    assert bcs.encode(Nested(Empty())) == b"\x01\x02"
    assert bcs.decode(Shape, b"\x01\x00\x05\x00\x00\x00") == Nested(Circle(5))
    assert bcs.decode(Circle, b"\x00\x05\x00\x00\x00") == Circle(5)
    with pytest.raises(bcs.DecodeError, match="expected Circle"):
        bcs.decode(Circle, b"\x02")


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (16384, b"\x80\x80\x01")],
)
def test_uleb128(value: int, encoded: bytes) -> None:
    out = bytearray()
    bcs.encode_uleb128(value, out)
    assert bytes(out) == encoded
    assert bcs.Reader(encoded).uleb128() == value


def _decode_error(tp: object, data: bytes) -> bcs.DecodeError:
    with pytest.raises(bcs.DecodeError) as info:
        bcs.decode_as(tp, data)
    return info.value


def test_rejects_trailing_bytes() -> None:
    err = _decode_error(Point, bcs.encode(Point(1, 2)) + b"\x00")
    assert "trailing" in str(err) and err.offset == 9


def test_rejects_non_canonical_uleb128() -> None:
    assert "non-canonical" in str(_decode_error(bytes, b"\x80\x00"))
    assert "non-canonical" in str(_decode_error(bytes, b"\x81\x00" + b"x"))
    assert "longer than 5" in str(_decode_error(bytes, b"\x80\x80\x80\x80\x80\x01"))
    assert "exceeds" in str(_decode_error(bytes, b"\xff\xff\xff\xff\x0f"))


def test_rejects_lengths_beyond_input() -> None:
    err = _decode_error(bytes, b"\x05abc")
    assert "needs 5 bytes" in str(err)
    assert "exceeds the remaining" in str(_decode_error(tuple[Point, ...], b"\xff\xff\x01"))
    assert "exceeds the remaining" in str(_decode_error(dict[str, str], b"\xff\x01"))


def test_rejects_invalid_utf8_bool_option_and_tags() -> None:
    assert "UTF-8" in str(_decode_error(str, b"\x02\xc3\x28"))
    assert "invalid bool" in str(_decode_error(bool, b"\x02"))
    assert "option tag" in str(_decode_error(bcs.U8 | None, b"\x02\x00"))
    err = _decode_error(Shape, b"\x07")
    assert "unknown Shape variant tag 7" in str(err)


def test_rejects_unsorted_or_duplicate_map_keys() -> None:
    ok = bcs.encode_as(dict[str, bcs.U8], {"a": 1, "b": 2})
    assert ok == b"\x02\x01a\x01\x01b\x02"
    assert "strictly increasing" in str(_decode_error(dict[str, bcs.U8], b"\x02\x01b\x02\x01a\x01"))
    assert "strictly increasing" in str(_decode_error(dict[str, bcs.U8], b"\x02\x01a\x01\x01a\x02"))


def test_depth_limit() -> None:
    deep = b"\x01" * (bcs.MAX_CONTAINER_DEPTH - 1) + b"\x02"
    value = bcs.decode(Shape, deep)
    assert isinstance(value, Nested)
    too_deep = b"\x01" * bcs.MAX_CONTAINER_DEPTH + b"\x02"
    assert "nesting deeper" in str(_decode_error(Shape, too_deep))


def test_error_names_the_field() -> None:
    data = bcs.encode(Point(1, 2))[:-1]
    err = _decode_error(Point, data)
    assert err.path == ["Point.y"]
    assert "Point.y" in str(err) and "byte 8" in str(err)


def test_encode_rejects_out_of_range_and_wrong_types() -> None:
    with pytest.raises(bcs.EncodeError, match="does not fit"):
        bcs.encode(Point(2**64, 0))
    with pytest.raises(bcs.EncodeError, match="expects an int"):
        bcs.encode(Point(True, 0))
    with pytest.raises(bcs.EncodeError, match="exactly 3 bytes"):
        bcs.encode_as(Annotated[bytes, bcs.Fixed(3)], b"ab")
    with pytest.raises(TypeError, match="bare int"):
        bcs.encode_as(int, 1)


@given(st.integers(0, 2**32 - 1))
def test_uleb128_roundtrip(n: int) -> None:
    out = bytearray()
    bcs.encode_uleb128(n, out)
    r = bcs.Reader(bytes(out))
    assert r.uleb128() == n and r.pos == len(out)


@given(st.binary(max_size=64))
def test_random_bytes_only_raise_decode_error(data: bytes) -> None:
    for tp in (Everything, Shape, tuple[str, ...], dict[bytes, bcs.U64 | None]):
        try:
            value = bcs.decode_as(tp, data)
        except bcs.DecodeError:
            continue
        assert bcs.encode_as(tp, value) == data
