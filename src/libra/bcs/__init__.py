"""Binary Canonical Serialization (BCS), as Diem specifies it.

Types are declared once, as frozen dataclasses whose field annotations say how each field is
encoded; this module compiles an encoder and a strict decoder for each declared type the
first time it is used.

Primitive annotations:

- ``U8``, ``U16``, ``U32``, ``U64``, ``U128``, ``U256``: unsigned little-endian integers;
- ``bool``: one byte, 0 or 1;
- ``bytes``: ULEB128 length, then the bytes; ``Annotated[bytes, Fixed(n)]``: exactly n bytes;
- ``str``: ULEB128 length, then UTF-8;
- ``tuple[T, ...]``: ULEB128 length, then the elements; ``Annotated[tuple[T, ...], Fixed(n)]``:
  exactly n elements with no length; ``tuple[A, B]``: the elements in order, no length;
- ``T | None``: one byte 0 (none) or 1 followed by T;
- ``dict[K, V]``: a canonical map, entries sorted by the encoded key, no duplicates;
- a class decorated with :func:`struct`: its fields in order;
- a subclass of :class:`Enum`: ULEB128 variant index, then the variant's fields. Variants are
  struct classes registered with :func:`variant`.

The decoder rejects trailing bytes, non-canonical ULEB128, lengths beyond the input, invalid
UTF-8, booleans and option tags other than 0 and 1, unknown enum tags, unsorted or duplicate
map keys, and nesting of structs and enums deeper than :data:`MAX_CONTAINER_DEPTH`. Every such
failure raises :class:`DecodeError`, which says at which byte offset and in which field.

A struct may also have a hand-written fast decoder (:func:`register_fast_decoder`) for its
common shapes; it either gives exactly what the compiled decoder gives or declines, and the
compiled decoder then runs (so the errors are always the compiled decoder's).
"""

from __future__ import annotations

import contextlib
import dataclasses
import struct as _struct
import sys
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, TypeVar

__all__ = [
    "MAX_CONTAINER_DEPTH",
    "MAX_SEQUENCE_LENGTH",
    "U8",
    "U16",
    "U32",
    "U64",
    "U128",
    "U256",
    "BcsError",
    "DecodeError",
    "EncodeError",
    "Enum",
    "FastDec",
    "Fixed",
    "Reader",
    "decode",
    "decode_as",
    "decode_generic",
    "decode_prefix",
    "encode",
    "encode_as",
    "encode_uleb128",
    "register_bytes_type",
    "register_fast_decoder",
    "registered_types",
    "struct",
    "variant",
]

MAX_CONTAINER_DEPTH = 500
"""Deepest nesting of structs and enums accepted, as in Diem's BCS."""

MAX_SEQUENCE_LENGTH = (1 << 31) - 1
"""Longest sequence, byte string or map accepted, as in Diem's BCS."""

# Each level of nesting costs a few Python frames; make room for MAX_CONTAINER_DEPTH levels.
if sys.getrecursionlimit() < 10 * MAX_CONTAINER_DEPTH:
    sys.setrecursionlimit(10 * MAX_CONTAINER_DEPTH)


class BcsError(ValueError):
    """Base of every BCS error."""


class DecodeError(BcsError):
    """The input is not the canonical BCS encoding of the expected type."""

    def __init__(self, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason
        self.path: list[str] = []
        super().__init__(reason)

    def __str__(self) -> str:
        path = self.path
        if len(path) > 8:
            path = [*path[:3], f"...({len(path) - 6} more)...", *path[-3:]]
        where = ".".join(path)
        at = f" in {where}" if where else ""
        return f"BCS decode error at byte {self.offset}{at}: {self.reason}"


class EncodeError(BcsError):
    """The value cannot be encoded as its declared type."""


class Fixed:
    """Marks a ``bytes`` or ``tuple`` annotation as a fixed-length array of ``n`` elements."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        if n < 0:
            raise ValueError("fixed length must be non-negative")
        self.n = n

    def __repr__(self) -> str:
        return f"Fixed({self.n})"


class _Int:
    __slots__ = ("bits",)

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __repr__(self) -> str:
        return f"u{self.bits}"


U8 = Annotated[int, _Int(8)]
U16 = Annotated[int, _Int(16)]
U32 = Annotated[int, _Int(32)]
U64 = Annotated[int, _Int(64)]
U128 = Annotated[int, _Int(128)]
U256 = Annotated[int, _Int(256)]


class Reader:
    """A cursor over the input being decoded."""

    __slots__ = ("data", "depth", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data)
        self.depth = 0

    def take(self, n: int) -> bytes:
        p = self.pos
        q = p + n
        if q > self.end:
            raise DecodeError(p, f"needs {n} bytes but only {self.end - p} remain")
        self.pos = q
        return self.data[p:q]

    def u8(self) -> int:
        p = self.pos
        if p >= self.end:
            raise DecodeError(p, "needs 1 byte but the input ended")
        self.pos = p + 1
        return self.data[p]

    def uleb128(self, limit: int = 0xFFFFFFFF) -> int:
        """Reads a canonical ULEB128 number no larger than ``limit``."""
        start = self.pos
        value = 0
        shift = 0
        data = self.data
        end = self.end
        p = start
        while True:
            if p >= end:
                raise DecodeError(start, "ULEB128 number runs past the end of the input")
            byte = data[p]
            p += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
            if shift >= 35:
                raise DecodeError(start, "ULEB128 number is longer than 5 bytes")
        if byte == 0 and p - start > 1:
            raise DecodeError(start, "non-canonical ULEB128 (trailing zero byte)")
        if value > limit:
            raise DecodeError(start, f"ULEB128 value {value} exceeds the maximum {limit}")
        self.pos = p
        return value

    def length(self) -> int:
        p = self.pos
        if p < self.end:
            b = self.data[p]
            if b < 0x80:  # the common one-byte case
                self.pos = p + 1
                return b
        return self.uleb128(MAX_SEQUENCE_LENGTH)


def encode_uleb128(value: int, out: bytearray) -> None:
    """Appends the canonical ULEB128 encoding of ``value`` to ``out``."""
    if value < 0 or value > 0xFFFFFFFF:
        raise EncodeError(f"ULEB128 value {value} out of range")
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


Enc = Callable[[Any, bytearray], None]
Dec = Callable[[Reader], Any]


class Codec:
    """A compiled encoder/decoder pair for one annotation.

    ``inline`` describes fixed-size primitives that struct code generation reads and writes
    in place instead of calling ``enc``/``dec``: ``("int", struct_format, size, max)``,
    ``("bool",)`` or ``("raw", size, constructor_or_None)``.
    """

    __slots__ = ("dec", "enc", "inline", "min_size", "name")

    def __init__(
        self, name: str, enc: Enc, dec: Dec, min_size: int, inline: tuple[Any, ...] | None = None
    ) -> None:
        self.name = name
        self.enc = enc
        self.dec = dec
        self.min_size = min_size
        self.inline = inline


# --------------------------------------------------------------------------------------------
# Primitive codecs


def _int_codec(bits: int) -> Codec:
    nbytes = bits // 8
    top = (1 << bits) - 1
    name = f"u{bits}"
    fmt = {8: "<B", 16: "<H", 32: "<I", 64: "<Q"}.get(bits)

    if fmt is not None:
        packer = _struct.Struct(fmt)
        pack = packer.pack
        unpack_from = packer.unpack_from

        def enc(v: Any, out: bytearray) -> None:
            if type(v) is not int and (isinstance(v, bool) or not isinstance(v, int)):
                raise EncodeError(f"{name} expects an int, got {type(v).__name__}")
            if v < 0 or v > top:
                raise EncodeError(f"{v} does not fit in {name}")
            out += pack(v)

        def dec(r: Reader) -> Any:
            p = r.pos
            if p + nbytes > r.end:
                raise DecodeError(p, f"{name} needs {nbytes} bytes but only {r.end - p} remain")
            r.pos = p + nbytes
            return unpack_from(r.data, p)[0]

    else:

        def enc(v: Any, out: bytearray) -> None:
            if isinstance(v, bool) or not isinstance(v, int):
                raise EncodeError(f"{name} expects an int, got {type(v).__name__}")
            if v < 0 or v > top:
                raise EncodeError(f"{v} does not fit in {name}")
            out += v.to_bytes(nbytes, "little")

        def dec(r: Reader) -> Any:
            return int.from_bytes(r.take(nbytes), "little")

    inline = ("int", fmt, nbytes, top) if fmt is not None else None
    return Codec(name, enc, dec, nbytes, inline)


def _bool_enc(v: Any, out: bytearray) -> None:
    if type(v) is not bool:
        raise EncodeError(f"bool expects a bool, got {type(v).__name__}")
    out.append(1 if v else 0)


def _bool_dec(r: Reader) -> Any:
    p = r.pos
    b = r.u8()
    if b > 1:
        raise DecodeError(p, f"invalid bool byte {b}")
    return b == 1


def _bytes_enc(v: Any, out: bytearray) -> None:
    if not isinstance(v, bytes | bytearray | memoryview):
        raise EncodeError(f"bytes expected, got {type(v).__name__}")
    n = len(v)
    if n > MAX_SEQUENCE_LENGTH:
        raise EncodeError("byte string too long")
    encode_uleb128(n, out)
    out += v


def _bytes_dec(r: Reader) -> Any:
    p = r.pos
    if p < r.end and r.data[p] < 0x80:
        q = p + 1 + r.data[p]
        if q <= r.end:
            r.pos = q
            return r.data[p + 1 : q]
    n = r.length()
    return r.take(n)


def _fixed_bytes_codec(n: int) -> Codec:
    def enc(v: Any, out: bytearray) -> None:
        if not isinstance(v, bytes | bytearray | memoryview):
            raise EncodeError(f"bytes expected, got {type(v).__name__}")
        if len(v) != n:
            raise EncodeError(f"expected exactly {n} bytes, got {len(v)}")
        out += v

    def dec(r: Reader) -> Any:
        return r.take(n)

    return Codec(f"[u8; {n}]", enc, dec, n, ("raw", n, None))


def _str_enc(v: Any, out: bytearray) -> None:
    if not isinstance(v, str):
        raise EncodeError(f"str expected, got {type(v).__name__}")
    try:
        b = v.encode("utf-8")
    except UnicodeEncodeError as e:
        raise EncodeError(f"string is not encodable as UTF-8: {e}") from None
    encode_uleb128(len(b), out)
    out += b


def _str_dec(r: Reader) -> Any:
    n = r.length()
    p = r.pos
    raw = r.take(n)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DecodeError(p + e.start, f"invalid UTF-8: {e.reason}") from None


_PRIMITIVES: dict[Any, Codec] = {
    bool: Codec("bool", _bool_enc, _bool_dec, 1, ("bool",)),
    bytes: Codec("bytes", _bytes_enc, _bytes_dec, 1),
    str: Codec("string", _str_enc, _str_dec, 1),
}


# --------------------------------------------------------------------------------------------
# Composite codecs


def _seq_codec(elem: Codec) -> Codec:
    e_enc = elem.enc
    e_dec = elem.dec
    min_size = elem.min_size
    if min_size == 0:
        raise TypeError(f"sequences of zero-size elements ({elem.name}) are not supported")

    def enc(v: Any, out: bytearray) -> None:
        if not isinstance(v, tuple | list):
            raise EncodeError(f"sequence expected, got {type(v).__name__}")
        encode_uleb128(len(v), out)
        for x in v:
            e_enc(x, out)

    def dec(r: Reader) -> Any:
        start = r.pos
        n = r.length()
        if n * min_size > r.end - r.pos:
            raise DecodeError(start, f"sequence length {n} exceeds the remaining input")
        items = []
        for i in range(n):
            try:
                items.append(e_dec(r))
            except DecodeError as err:
                err.path.insert(0, f"[{i}]")
                raise
        return tuple(items)

    return Codec(f"vector<{elem.name}>", enc, dec, 1)


def _array_codec(elem: Codec, n: int) -> Codec:
    e_enc = elem.enc
    e_dec = elem.dec

    def enc(v: Any, out: bytearray) -> None:
        if not isinstance(v, tuple | list):
            raise EncodeError(f"sequence expected, got {type(v).__name__}")
        if len(v) != n:
            raise EncodeError(f"expected exactly {n} elements, got {len(v)}")
        for x in v:
            e_enc(x, out)

    def dec(r: Reader) -> Any:
        return tuple(e_dec(r) for _ in range(n))

    return Codec(f"[{elem.name}; {n}]", enc, dec, elem.min_size * n)


def _tuple_codec(elems: list[Codec]) -> Codec:
    pairs = [(c.enc, c.dec) for c in elems]
    n = len(pairs)

    def enc(v: Any, out: bytearray) -> None:
        if not isinstance(v, tuple | list) or len(v) != n:
            raise EncodeError(f"tuple of {n} elements expected")
        for (e, _), x in zip(pairs, v, strict=True):
            e(x, out)

    def dec(r: Reader) -> Any:
        return tuple(d(r) for _, d in pairs)

    name = "(" + ", ".join(c.name for c in elems) + ")"
    return Codec(name, enc, dec, sum(c.min_size for c in elems))


def _option_codec(inner: Codec) -> Codec:
    i_enc = inner.enc
    i_dec = inner.dec

    def enc(v: Any, out: bytearray) -> None:
        if v is None:
            out.append(0)
        else:
            out.append(1)
            i_enc(v, out)

    def dec(r: Reader) -> Any:
        p = r.pos
        tag = r.u8()
        if tag == 0:
            return None
        if tag == 1:
            return i_dec(r)
        raise DecodeError(p, f"invalid option tag {tag}")

    return Codec(f"Option<{inner.name}>", enc, dec, 1)


def _map_codec(key: Codec, val: Codec) -> Codec:
    k_enc, k_dec = key.enc, key.dec
    v_enc, v_dec = val.enc, val.dec
    min_entry = key.min_size + val.min_size
    if min_entry == 0:
        raise TypeError("maps of zero-size entries are not supported")

    def enc(v: Any, out: bytearray) -> None:
        if not isinstance(v, dict):
            raise EncodeError(f"dict expected, got {type(v).__name__}")
        entries = []
        for k, x in v.items():
            kb = bytearray()
            k_enc(k, kb)
            entries.append((bytes(kb), x))
        entries.sort(key=lambda e: e[0])
        encode_uleb128(len(entries), out)
        for kb2, x in entries:
            out += kb2
            v_enc(x, out)

    def dec(r: Reader) -> Any:
        start = r.pos
        n = r.length()
        if n * min_entry > r.end - r.pos:
            raise DecodeError(start, f"map length {n} exceeds the remaining input")
        result: dict[Any, Any] = {}
        prev: bytes | None = None
        for _ in range(n):
            kp = r.pos
            k = k_dec(r)
            kb = r.data[kp : r.pos]
            if prev is not None and kb <= prev:
                raise DecodeError(kp, "map keys are not in strictly increasing canonical order")
            prev = kb
            result[k] = v_dec(r)
        return result

    return Codec(f"Map<{key.name}, {val.name}>", enc, dec, 1)


# --------------------------------------------------------------------------------------------
# Structs and enums


class Enum:
    """Base class of BCS enums; each variant is a :func:`struct` subclass registered with
    :func:`variant`."""

    __slots__ = ()
    _bcs_variants: ClassVar[dict[int, type]]
    _bcs_tag: ClassVar[int]


_T = TypeVar("_T")
_STRUCTS: list[type] = []
_CODECS: dict[Any, Codec] = {}


@typing.dataclass_transform(frozen_default=True)
def struct(cls: type[_T]) -> type[_T]:
    """Declares a BCS struct: its annotated fields, in declaration order.

    The class becomes a frozen, slotted dataclass (unless it already is a dataclass)."""
    if "__dataclass_fields__" not in cls.__dict__:
        cls = dataclasses.dataclass(frozen=True, slots=True)(cls)
    cls._bcs_struct = True  # type: ignore[attr-defined]
    _STRUCTS.append(cls)
    return cls


def variant(tag: int) -> Callable[[type[_T]], type[_T]]:
    """Registers a struct class as variant ``tag`` of the :class:`Enum` it derives from."""

    def register(cls: type[_T]) -> type[_T]:
        bases = [b for b in cls.__mro__[1:] if issubclass(b, Enum) and b is not Enum]
        if not bases:
            raise TypeError(f"{cls.__name__} must derive from a bcs.Enum subclass")
        base = bases[0]
        if "_bcs_variants" not in base.__dict__:
            base._bcs_variants = {}
        if tag in base._bcs_variants:
            raise TypeError(f"{base.__name__} already has a variant with tag {tag}")
        base._bcs_variants[tag] = cls
        cls._bcs_tag = tag  # type: ignore[attr-defined]
        return cls

    return register


_VARIANT_BODY: dict[type, Dec] = {}
"""A struct's field decoder without its own nesting level: an enum variant's fields count as
part of the enum's level, as in Diem's BCS."""


def _placeholder(name: str, min_size: int) -> Codec:
    """A codec whose functions forward to the ones it is given once compiled, so that a
    recursive type (a TypeTag holding a TypeTag) can refer to itself while being compiled."""
    codec = Codec(name, lambda v, o: None, lambda r: None, min_size)
    codec.enc = lambda v, o: codec.enc(v, o)
    codec.dec = lambda r: codec.dec(r)
    return codec


def _struct_codec(cls: type) -> Codec:
    codec = _placeholder(cls.__name__, 0)
    _CODECS[cls] = codec  # registered before the fields so recursive types terminate
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = [(f.name, _codec_for(hints[f.name])) for f in dataclasses.fields(cls)]
    enc, dec_fields = _generate_struct_functions(cls, fields)

    def dec_struct(r: Reader) -> Any:
        r.depth += 1
        if r.depth > MAX_CONTAINER_DEPTH:
            raise DecodeError(r.pos, f"nesting deeper than {MAX_CONTAINER_DEPTH}")
        value = dec_fields(r)
        r.depth -= 1
        return value

    dec: Dec = dec_struct
    keep = getattr(cls, "_bcs_keep_encoding", False)
    if keep:
        enc, dec = _keeping_encoding(cls, enc, dec)
    factory = _FAST_DECODERS.get(cls)
    if factory is not None:
        _GENERIC_DECODERS[cls] = dec
        dec = _with_fast_decoder(factory(), dec, keep)
    codec.enc = enc
    codec.dec = dec
    codec.min_size = sum(c.min_size for _, c in fields)
    _VARIANT_BODY[cls] = dec_fields
    return codec


FastDec = Callable[[Reader], Any]
"""A class-specific fast decoder: given a reader at the start of a value, it returns the
decoded value and moves ``r.pos`` past it, or returns None and leaves the reader untouched
when the input is anything it does not handle (including anything invalid)."""

_FAST_DECODERS: dict[type, Callable[[], FastDec]] = {}
_GENERIC_DECODERS: dict[type, Dec] = {}


def register_fast_decoder(cls: type, factory: Callable[[], FastDec]) -> None:
    """Gives struct ``cls`` a fast decoder, tried before the compiled one.

    ``factory`` is called once, when the codec of ``cls`` is compiled (on first use), and
    returns the :data:`FastDec`. The fast decoder must return exactly what the compiled decoder
    would (equal value, same end position, same depth afterwards) or None: on None the compiled
    decoder runs from the same position, so every error is the compiled decoder's. A value it
    returns keeps its encoding like any other when ``cls`` keeps encodings. Must be called
    before ``cls`` is first encoded or decoded."""
    if "_bcs_struct" not in cls.__dict__ or issubclass(cls, Enum):
        raise TypeError(f"{cls.__name__} is not a struct (enum variants have no fast decoder)")
    if cls in _CODECS:
        raise TypeError(f"the codec of {cls.__name__} is already compiled")
    _FAST_DECODERS[cls] = factory


def _with_fast_decoder(fast: FastDec, dec: Dec, keep: bool) -> Dec:
    if keep:

        def dec_fast_kept(r: Reader) -> Any:
            start = r.pos
            value = fast(r)
            if value is None:
                return dec(r)
            object.__setattr__(value, "_bcs_encoding", r.data[start : r.pos])
            return value

        return dec_fast_kept

    def dec_fast(r: Reader) -> Any:
        value = fast(r)
        if value is None:
            return dec(r)
        return value

    return dec_fast


def decode_generic(cls: type[_T], data: bytes) -> _T:
    """Like :func:`decode`, but without the fast decoder of ``cls`` (if it has one) at the
    top level: for comparing the two."""
    if not isinstance(data, bytes):
        data = bytes(data)
    codec = _root_codec(cls)
    r = Reader(data)
    value = _GENERIC_DECODERS.get(cls, codec.dec)(r)
    if r.pos != r.end:
        raise DecodeError(r.pos, f"{r.end - r.pos} trailing bytes after the value")
    if not isinstance(value, cls):
        raise DecodeError(0, f"expected {cls.__name__}, found {type(value).__name__}")
    return value


def _keeping_encoding(cls: type, enc: Enc, dec: Dec) -> tuple[Enc, Dec]:
    """Codec functions for a struct that keeps its own encoding in the slot
    ``_bcs_encoding``: a decoded value keeps the bytes it was decoded from (the decoder
    accepts only the canonical encoding, so they are the value's encoding), an encoded one
    the bytes it was encoded to; a value with its bytes kept is encoded by copying them.
    Only for immutable types (every field frozen all the way down)."""

    def enc_kept(v: Any, out: bytearray) -> None:
        if type(v) is cls:
            try:
                out += object.__getattribute__(v, "_bcs_encoding")
                return
            except AttributeError:
                start = len(out)
                enc(v, out)
                object.__setattr__(v, "_bcs_encoding", bytes(out[start:]))
                return
        enc(v, out)  # the wrong type: the plain encoder says so

    def dec_kept(r: Reader) -> Any:
        start = r.pos
        value = dec(r)
        object.__setattr__(value, "_bcs_encoding", r.data[start : r.pos])
        return value

    return enc_kept, dec_kept


def _short_input(p: int, n: int, end: int) -> typing.NoReturn:
    raise DecodeError(p, f"needs {n} bytes but only {end - p} remain")


def _cut(p: int, end: int, run: tuple[tuple[int, int, int], ...]) -> tuple[int, int, int]:
    """The first field of a fixed-size run that the input cannot hold: (index, offset, size)."""
    for k, off, size in run:
        if p + off + size > end:
            return k, p + off, size
    raise DecodeError(p, "internal error: run fits")  # pragma: no cover


def _bad_int(value: Any, name: str, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EncodeError(f"{name} expects an int, got {type(value).__name__}")
    if value < 0 or value > top:
        raise EncodeError(f"{value} does not fit in {name}")
    return value


def _bad_raw(value: Any, n: int) -> typing.NoReturn:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise EncodeError(f"bytes expected, got {type(value).__name__}")
    raise EncodeError(f"expected exactly {n} bytes, got {len(value)}")


def _generate_struct_functions(cls: type, fields: list[tuple[str, Codec]]) -> tuple[Enc, Dec]:
    """Generates straight-line Python for a struct's encoder and field decoder.

    Fixed-size primitive fields are read and written in place, runs of them with one bounds
    check; other fields call their codec. Decoded objects are built by setting their slots
    directly (then ``__post_init__``, if any, validates them)."""
    name = cls.__name__
    ns: dict[str, Any] = {
        "cls": cls,
        "EncodeError": EncodeError,
        "DecodeError": DecodeError,
        "ValueError": ValueError,
        "TypeError": TypeError,
        "_short": _short_input,
        "_cut": _cut,
        "_bad_int": _bad_int,
        "_bad_raw": _bad_raw,
        "_new": object.__new__,
        "NAMES": [n for n, _ in fields],
    }
    enc_lines = [
        "def enc(v, out):",
        "    if type(v) is not cls:",
        f"        raise EncodeError('{name} expected, got ' + type(v).__name__)",
        "    f = ''",
        "    try:",
    ]
    for i, (fname, c) in enumerate(fields):
        enc_lines.append(f"        f = {fname!r}")
        enc_lines.append(f"        x = v.{fname}")
        kind = c.inline
        if kind is not None and kind[0] == "int":
            ns[f"P{i}"] = _struct.Struct(kind[1]).pack
            top = kind[3]
            enc_lines.append(f"        if type(x) is not int or x < 0 or x > {top}:")
            enc_lines.append(f"            x = _bad_int(x, {c.name!r}, {top})")
            enc_lines.append(f"        out += P{i}(x)")
        elif kind is not None and kind[0] == "bool":
            enc_lines.append("        if x is True:")
            enc_lines.append("            out.append(1)")
            enc_lines.append("        elif x is False:")
            enc_lines.append("            out.append(0)")
            enc_lines.append("        else:")
            enc_lines.append(
                "            raise EncodeError('bool expected, got ' + type(x).__name__)"
            )
        elif kind is not None and kind[0] == "raw":
            n = kind[1]
            enc_lines.append(f"        if not isinstance(x, bytes) or len(x) != {n}:")
            enc_lines.append(f"            _bad_raw(x, {n})")
            enc_lines.append("        out += x")
        else:
            ns[f"E{i}"] = c.enc
            enc_lines.append(f"        E{i}(x, out)")
    if not fields:
        enc_lines.append("        pass")
    enc_lines.append("    except EncodeError as err:")
    enc_lines.append(f"        raise EncodeError('{name}.' + f + ': ' + str(err)) from None")

    dec_lines = ["def dec_fields(r):", "    data = r.data", "    f = 0", "    try:"]
    i = 0
    while i < len(fields):
        c = fields[i][1]
        if c.inline is None:
            ns[f"D{i}"] = c.dec
            dec_lines.append(f"        f = {i}")
            dec_lines.append(f"        x{i} = D{i}(r)")
            i += 1
            continue
        # A run of fixed-size fields: one bounds check, reads at fixed offsets.
        j = i
        size = 0
        while j < len(fields) and fields[j][1].inline is not None:
            size += fields[j][1].min_size
            j += 1
        run = []
        off = 0
        for k in range(i, j):
            run.append((k, off, fields[k][1].min_size))
            off += fields[k][1].min_size
        ns[f"RUN{i}"] = tuple(run)
        dec_lines.append(f"        f = {i}")
        dec_lines.append("        p = r.pos")
        dec_lines.append(f"        if p + {size} > r.end:")
        dec_lines.append(f"            f, q, n = _cut(p, r.end, RUN{i})")
        dec_lines.append("            _short(q, n, r.end)")
        off = 0
        for k in range(i, j):
            kind = fields[k][1].inline
            if kind is None:  # pragma: no cover - excluded by the loop above
                raise TypeError("inline run broken")
            if kind[0] == "int":
                if kind[2] == 1:
                    dec_lines.append(f"        x{k} = data[p + {off}]")
                else:
                    ns[f"U{k}"] = _struct.Struct(kind[1]).unpack_from
                    dec_lines.append(f"        x{k} = U{k}(data, p + {off})[0]")
                off += kind[2]
            elif kind[0] == "bool":
                dec_lines.append(f"        x{k} = data[p + {off}]")
                dec_lines.append(f"        if x{k} > 1:")
                dec_lines.append(f"            f = {k}")
                dec_lines.append(
                    f"            raise DecodeError(p + {off}, 'invalid bool byte ' + str(x{k}))"
                )
                dec_lines.append(f"        x{k} = x{k} == 1")
                off += 1
            else:
                n = kind[1]
                if kind[2] is None:
                    dec_lines.append(f"        x{k} = data[p + {off}:p + {off + n}]")
                else:
                    ns[f"C{k}"] = kind[2]
                    dec_lines.append(f"        f = {k}")
                    dec_lines.append(f"        x{k} = C{k}(data[p + {off}:p + {off + n}])")
                off += n
        dec_lines.append(f"        r.pos = p + {size}")
        i = j
    if not fields:
        dec_lines.append("        pass")
    dec_lines.append("    except DecodeError as err:")
    dec_lines.append(f"        err.path.insert(0, '{name}.' + NAMES[f])")
    dec_lines.append("        raise")
    dec_lines.append("    except (ValueError, TypeError) as err:")
    dec_lines.append(
        f"        raise DecodeError(r.pos, 'invalid {name}.' + NAMES[f] + ': ' + str(err))"
    )
    slotted = all(isinstance(cls.__dict__.get(n), types.MemberDescriptorType) for n, _ in fields)
    if slotted:
        dec_lines.append("    o = _new(cls)")
        for k, (fname, _) in enumerate(fields):
            ns[f"S{k}"] = cls.__dict__[fname].__set__
            dec_lines.append(f"    S{k}(o, x{k})")
        if hasattr(cls, "__post_init__"):
            dec_lines.append("    try:")
            dec_lines.append("        o.__post_init__()")
            dec_lines.append("    except (ValueError, TypeError) as err:")
            dec_lines.append(f"        raise DecodeError(r.pos, 'invalid {name}: ' + str(err))")
        dec_lines.append("    return o")
    else:
        args = ", ".join(f"x{k}" for k in range(len(fields)))
        dec_lines.append("    try:")
        dec_lines.append(f"        return cls({args})")
        dec_lines.append("    except (ValueError, TypeError) as err:")
        dec_lines.append(f"        raise DecodeError(r.pos, 'invalid {name}: ' + str(err))")
    source = "\n".join(enc_lines) + "\n\n" + "\n".join(dec_lines) + "\n"
    code = compile(source, f"<bcs {cls.__module__}.{cls.__qualname__}>", "exec")
    exec(code, ns)
    return ns["enc"], ns["dec_fields"]


def _enum_codec(base: type[Enum]) -> Codec:
    codec = _placeholder(base.__name__, 1)
    _CODECS[base] = codec
    variants: dict[int, type] = base.__dict__.get("_bcs_variants", {})
    if not variants:
        raise TypeError(f"enum {base.__name__} has no variants")
    name = base.__name__
    by_tag: dict[int, tuple[type, Dec]] = {}
    by_cls: dict[type, tuple[int, Enc]] = {}
    for tag, vcls in variants.items():
        vc = _codec_for(vcls)
        by_tag[tag] = (vcls, _VARIANT_BODY[vcls])
        by_cls[vcls] = (tag, vc.enc)
    max_tag = max(by_tag)

    def enc(v: Any, out: bytearray) -> None:
        entry = by_cls.get(type(v))
        if entry is None:
            raise EncodeError(f"{name} variant expected, got {type(v).__name__}")
        encode_uleb128(entry[0], out)
        entry[1](v, out)

    def dec(r: Reader) -> Any:
        p = r.pos
        if p < r.end and r.data[p] < 0x80:
            tag = r.data[p]
            r.pos = p + 1
        else:
            tag = r.uleb128()
        entry = by_tag.get(tag)
        if entry is None:
            raise DecodeError(p, f"unknown {name} variant tag {tag} (known: 0..{max_tag})")
        r.depth += 1
        if r.depth > MAX_CONTAINER_DEPTH:
            raise DecodeError(p, f"nesting deeper than {MAX_CONTAINER_DEPTH}")
        try:
            value = entry[1](r)
        except DecodeError as err:
            err.path.insert(0, f"{name}::{entry[0].__name__}")
            raise
        r.depth -= 1
        return value

    codec.enc = enc
    codec.dec = dec
    return codec


def register_bytes_type(cls: type[bytes], n: int | None, *, length_prefixed: bool) -> None:
    """Declares a ``bytes`` subclass encoded as raw bytes: exactly ``n`` of them, or any number
    when ``n`` is None, with or without a ULEB128 length first (Diem encodes hashes and keys
    with one, addresses without). Decoding produces ``cls(raw)``, so the class may validate its
    value in ``__new__`` by raising ValueError."""
    name = cls.__name__
    if n is None and not length_prefixed:
        raise TypeError("variable-length bytes need a length prefix")

    def enc(v: Any, out: bytearray) -> None:
        if not isinstance(v, bytes) or (n is not None and len(v) != n):
            raise EncodeError(f"{name} must be exactly {n} bytes")
        if length_prefixed:
            encode_uleb128(len(v), out)
        out += v

    def dec(r: Reader) -> Any:
        if length_prefixed:
            p = r.pos
            got = r.length()
            if n is not None and got != n:
                raise DecodeError(p, f"{name} must be {n} bytes long, not {got}")
            size = got
        else:
            size = typing.cast(int, n)
        p = r.pos
        raw = r.take(size)
        try:
            return cls(raw)
        except ValueError as err:
            raise DecodeError(p, f"invalid {name}: {err}") from None

    min_size = (n or 0) + (1 if length_prefixed else 0)
    inline = None if length_prefixed else ("raw", n, cls)
    _CODECS[cls] = Codec(name, enc, dec, min_size, inline)
    _STRUCTS.append(cls)


def _codec_for(tp: Any) -> Codec:
    cached = _CODECS.get(tp)
    if cached is not None:
        return cached
    codec = _build_codec(tp)
    with contextlib.suppress(TypeError):  # an unhashable annotation is not cached
        _CODECS[tp] = codec
    return codec


def _build_codec(tp: Any) -> Codec:
    if tp in _PRIMITIVES:
        return _PRIMITIVES[tp]
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        base, *meta = args
        for m in meta:
            if isinstance(m, _Int):
                if base is not int:
                    raise TypeError(f"integer width on non-int annotation {tp}")
                return _int_codec(m.bits)
            if isinstance(m, Fixed):
                if base is bytes:
                    return _fixed_bytes_codec(m.n)
                if typing.get_origin(base) is tuple:
                    targs = typing.get_args(base)
                    if len(targs) == 2 and targs[1] is Ellipsis:
                        return _array_codec(_codec_for(targs[0]), m.n)
                raise TypeError(f"Fixed applies to bytes or tuple[T, ...], not {base}")
        return _codec_for(base)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _seq_codec(_codec_for(args[0]))
        return _tuple_codec([_codec_for(a) for a in args])
    if origin is list:
        return _seq_codec(_codec_for(args[0]))
    if origin is dict:
        return _map_codec(_codec_for(args[0]), _codec_for(args[1]))
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        if len(args) == 2 and len(non_none) == 1:
            return _option_codec(_codec_for(non_none[0]))
        raise TypeError(f"only Optional unions are encodable, not {tp}")
    if isinstance(tp, type):
        if issubclass(tp, Enum) and "_bcs_variants" in tp.__dict__:
            return _enum_codec(tp)
        if getattr(tp, "_bcs_struct", False) and "_bcs_struct" in tp.__dict__:
            return _struct_codec(tp)
        if issubclass(tp, Enum):
            raise TypeError(f"{tp.__name__} is an enum without variants")
    if tp is int:
        raise TypeError("bare int has no BCS width: annotate with U8..U256")
    raise TypeError(f"no BCS encoding for {tp!r}")


_ROOTS: dict[type, Codec] = {}


def _root_codec(cls: type) -> Codec:
    """The codec for a value of class ``cls``: a variant's value encodes as its enum."""
    codec = _ROOTS.get(cls)
    if codec is None:
        codec = None
        if issubclass(cls, Enum):
            for base in cls.__mro__:
                if issubclass(base, Enum) and "_bcs_variants" in base.__dict__:
                    codec = _codec_for(base)
                    break
        if codec is None:
            codec = _codec_for(cls)
        _ROOTS[cls] = codec
    return codec


# --------------------------------------------------------------------------------------------
# Public entry points


def encode(value: Any) -> bytes:
    """The BCS encoding of a struct or enum value."""
    out = bytearray()
    _root_codec(type(value)).enc(value, out)
    return bytes(out)


def encode_as(tp: Any, value: Any) -> bytes:
    """The BCS encoding of ``value`` as the annotation ``tp`` (``U64``, ``tuple[str, ...]``)."""
    out = bytearray()
    _codec_for(tp).enc(value, out)
    return bytes(out)


def decode(cls: type[_T], data: bytes) -> _T:
    """Decodes the whole of ``data`` as ``cls``; anything left over is an error.

    For an enum variant class the input is decoded as its enum and must hold that variant.
    """
    if not isinstance(data, bytes):
        data = bytes(data)
    r = Reader(data)
    value = _root_codec(cls).dec(r)
    if r.pos != r.end:
        raise DecodeError(r.pos, f"{r.end - r.pos} trailing bytes after the value")
    if not isinstance(value, cls):
        raise DecodeError(0, f"expected {cls.__name__}, found {type(value).__name__}")
    return value


def decode_as(tp: Any, data: bytes) -> Any:
    """Decodes the whole of ``data`` as the annotation ``tp``."""
    if not isinstance(data, bytes):
        data = bytes(data)
    r = Reader(data)
    value = _codec_for(tp).dec(r)
    if r.pos != r.end:
        raise DecodeError(r.pos, f"{r.end - r.pos} trailing bytes after the value")
    return value


def decode_prefix(tp: Any, r: Reader) -> Any:
    """Decodes one value of annotation ``tp`` from ``r``, leaving the rest of the input."""
    return _codec_for(tp).dec(r)


def registered_types() -> list[type]:
    """Every class declared with :func:`struct` or :func:`register_bytes_type` so far."""
    return list(_STRUCTS)
