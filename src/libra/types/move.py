"""Move type tags, struct tags and module ids, as they appear in transactions and events."""

from __future__ import annotations

import re

from libra import bcs
from libra.types.account_address import CORE_CODE_ADDRESS, AccountAddress

Identifier = str
"""A Move identifier; BCS encodes it as a string."""

_IDENTIFIER = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9_]*|_[a-zA-Z0-9_]+)$")


def is_valid_identifier(name: str) -> bool:
    """True for a well-formed Move identifier (``[a-zA-Z][a-zA-Z0-9_]*`` or ``_[a-zA-Z0-9_]+``)."""
    return bool(_IDENTIFIER.match(name))


class TypeTag(bcs.Enum):
    """A Move type: a primitive, a vector or a struct."""

    __slots__ = ()

    def to_canonical_string(self) -> str:
        raise NotImplementedError(type(self).__name__)


@bcs.variant(0)
@bcs.struct
class TypeTagBool(TypeTag):
    def to_canonical_string(self) -> str:
        return "bool"


@bcs.variant(1)
@bcs.struct
class TypeTagU8(TypeTag):
    def to_canonical_string(self) -> str:
        return "u8"


@bcs.variant(2)
@bcs.struct
class TypeTagU64(TypeTag):
    def to_canonical_string(self) -> str:
        return "u64"


@bcs.variant(3)
@bcs.struct
class TypeTagU128(TypeTag):
    def to_canonical_string(self) -> str:
        return "u128"


@bcs.variant(4)
@bcs.struct
class TypeTagAddress(TypeTag):
    def to_canonical_string(self) -> str:
        return "address"


@bcs.variant(5)
@bcs.struct
class TypeTagSigner(TypeTag):
    def to_canonical_string(self) -> str:
        return "signer"


@bcs.variant(6)
@bcs.struct
class TypeTagVector(TypeTag):
    element: TypeTag

    def to_canonical_string(self) -> str:
        return f"vector<{self.element.to_canonical_string()}>"


@bcs.struct
class StructTag:
    """A fully qualified Move struct type, e.g. ``0x1::XUS::XUS``."""

    address: AccountAddress
    module: Identifier
    name: Identifier
    type_params: tuple[TypeTag, ...] = ()

    def to_canonical_string(self) -> str:
        base = f"{self.address.short_str()}::{self.module}::{self.name}"
        if self.type_params:
            inner = ", ".join(t.to_canonical_string() for t in self.type_params)
            return f"{base}<{inner}>"
        return base


@bcs.variant(7)
@bcs.struct
class TypeTagStruct(TypeTag):
    value: StructTag

    def to_canonical_string(self) -> str:
        return self.value.to_canonical_string()


@bcs.struct
class ModuleId:
    """A Move module: its account address and name."""

    address: AccountAddress
    name: Identifier

    def __str__(self) -> str:
        return f"{self.address.short_str()}::{self.name}"


def currency_struct_tag(code: str) -> StructTag:
    """``0x1::CODE::CODE``: the type tag Diem uses for a currency code."""
    return StructTag(CORE_CODE_ADDRESS, code, code, ())


def currency_type_tag(code: str) -> TypeTag:
    return TypeTagStruct(currency_struct_tag(code))


def currency_code_of(tag: TypeTag) -> str | None:
    """The currency code of ``0x1::C::C``, or None for any other type."""
    if isinstance(tag, TypeTagStruct):
        s = tag.value
        if s.address == CORE_CODE_ADDRESS and s.module == s.name and not s.type_params:
            return s.name
    return None
