"""SHA3-256 digests and Diem's domain-separated hashers."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from libra import bcs

HASH_LENGTH = 32


def sha3_256(data: bytes) -> bytes:
    """The plain SHA3-256 digest of ``data``."""
    return hashlib.sha3_256(data).digest()


class HashValue(bytes):
    """A 32-byte digest. BCS encodes it as a byte string (length 32, then the bytes), as Diem
    does."""

    __slots__ = ()
    LENGTH = HASH_LENGTH

    def __new__(cls, value: bytes) -> HashValue:
        if len(value) != HASH_LENGTH:
            raise ValueError(f"a HashValue is {HASH_LENGTH} bytes, not {len(value)}")
        return super().__new__(cls, value)

    @classmethod
    def zero(cls) -> HashValue:
        return cls(bytes(HASH_LENGTH))

    @classmethod
    def from_hex(cls, text: str) -> HashValue:
        try:
            raw = bytes.fromhex(text.removeprefix("0x"))
        except ValueError:
            raise ValueError(f"not a hex string: {text!r}") from None
        return cls(raw)

    def bit(self, i: int) -> bool:
        """Bit ``i`` counting from the most significant bit of the first byte."""
        return bool(self[i >> 3] & (0x80 >> (i & 7)))

    def nibble(self, i: int) -> int:
        """Nibble ``i`` counting from the high nibble of the first byte."""
        b = self[i >> 1]
        return (b >> 4) if i & 1 == 0 else (b & 0x0F)

    def __repr__(self) -> str:
        return f"HashValue({self.hex()})"

    def __str__(self) -> str:
        return self.hex()


bcs.register_bytes_type(HashValue, HASH_LENGTH, length_prefixed=True)


def _padded(label: bytes) -> HashValue:
    return HashValue(label.ljust(HASH_LENGTH, b"\0"))


ACCUMULATOR_PLACEHOLDER_HASH = _padded(b"ACCUMULATOR_PLACEHOLDER_HASH")
"""The hash of an empty accumulator subtree."""
SPARSE_MERKLE_PLACEHOLDER_HASH = _padded(b"SPARSE_MERKLE_PLACEHOLDER_HASH")
"""The hash of an empty sparse Merkle subtree."""
PRE_GENESIS_BLOCK_ID = _padded(b"PRE_GENESIS_BLOCK_ID")
GENESIS_BLOCK_ID = _padded(b"GENESIS_BLOCK_ID")


@cache
def hash_prefix(type_name: str) -> bytes:
    """Diem's salt for ``type_name``: ``sha3_256(b"DIEM::" + type_name)``."""
    return sha3_256(b"DIEM::" + type_name.encode("ascii"))


class CryptoHasher:
    """A domain-separated hasher for one Diem type name."""

    __slots__ = ("_base", "type_name")

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        base = hashlib.sha3_256()
        base.update(hash_prefix(type_name))
        self._base = base

    def hash(self, data: bytes) -> HashValue:
        """``sha3_256(salt || data)``."""
        h = self._base.copy()
        h.update(data)
        return HashValue(h.digest())

    def digest(self, data: bytes) -> bytes:
        """Like :meth:`hash` but returns plain bytes (for hot loops)."""
        h = self._base.copy()
        h.update(data)
        return h.digest()

    def digest2(self, left: bytes, right: bytes) -> bytes:
        """The digest of ``left || right`` (Merkle internal nodes)."""
        h = self._base.copy()
        h.update(left)
        h.update(right)
        return h.digest()

    def hash_value(self, value: Any) -> HashValue:
        """The hash of the BCS encoding of ``value``."""
        return self.hash(bcs.encode(value))
