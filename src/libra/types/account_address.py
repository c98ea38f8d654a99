"""Account addresses and authentication keys."""

from __future__ import annotations

from libra import bcs
from libra.crypto import Ed25519PublicKey, MultiEd25519PublicKey, sha3_256

ADDRESS_LENGTH = 16
AUTH_KEY_LENGTH = 32

ED25519_SCHEME = 0x00
MULTI_ED25519_SCHEME = 0x01


class AccountAddress(bytes):
    """A 16-byte account address. BCS encodes it as 16 raw bytes (no length)."""

    __slots__ = ()
    LENGTH = ADDRESS_LENGTH

    def __new__(cls, value: bytes) -> AccountAddress:
        if len(value) != ADDRESS_LENGTH:
            raise ValueError(f"an account address is {ADDRESS_LENGTH} bytes, not {len(value)}")
        return super().__new__(cls, value)

    @classmethod
    def from_hex(cls, text: str) -> AccountAddress:
        """Parses hex with or without ``0x``; short forms such as ``0x1`` are left-padded."""
        body = text.strip().removeprefix("0x").removeprefix("0X")
        if not body or len(body) > 2 * ADDRESS_LENGTH:
            raise ValueError(f"not an account address: {text!r}")
        try:
            raw = bytes.fromhex(body.rjust(2 * ADDRESS_LENGTH, "0"))
        except ValueError:
            raise ValueError(f"not an account address: {text!r}") from None
        return cls(raw)

    @classmethod
    def from_int(cls, value: int) -> AccountAddress:
        return cls(value.to_bytes(ADDRESS_LENGTH, "big"))

    def __str__(self) -> str:
        return self.hex()

    def __repr__(self) -> str:
        return f"AccountAddress({self.hex()})"

    def short_str(self) -> str:
        """``0x`` followed by the hex without leading zeros (``0x1``)."""
        return "0x" + (self.hex().lstrip("0") or "0")


bcs.register_bytes_type(AccountAddress, ADDRESS_LENGTH, length_prefixed=False)

CORE_CODE_ADDRESS = AccountAddress.from_int(0x1)
"""The address that holds the framework modules (``0x1``)."""
DIEM_ROOT_ADDRESS = AccountAddress.from_int(0xA550C18)
"""Diem Root, the association's account."""
TREASURY_COMPLIANCE_ADDRESS = AccountAddress.from_int(0xB1E55ED)
"""Treasury Compliance, the only account that may mint and burn."""
RESERVED_VM_ADDRESS = AccountAddress.from_int(0x0)
"""The sender of block metadata transactions."""


class AuthenticationKey(bytes):
    """``sha3_256(public key bytes || scheme)``; its last 16 bytes are the account address."""

    __slots__ = ()
    LENGTH = AUTH_KEY_LENGTH

    def __new__(cls, value: bytes) -> AuthenticationKey:
        if len(value) != AUTH_KEY_LENGTH:
            raise ValueError(f"an authentication key is {AUTH_KEY_LENGTH} bytes, not {len(value)}")
        return super().__new__(cls, value)

    @classmethod
    def from_hex(cls, text: str) -> AuthenticationKey:
        try:
            return cls(bytes.fromhex(text.strip().removeprefix("0x")))
        except ValueError as e:
            raise ValueError(f"not an authentication key: {text!r} ({e})") from None

    @classmethod
    def ed25519(cls, public_key: Ed25519PublicKey) -> AuthenticationKey:
        return cls(sha3_256(bytes(public_key) + bytes([ED25519_SCHEME])))

    @classmethod
    def multi_ed25519(cls, public_key: MultiEd25519PublicKey) -> AuthenticationKey:
        return cls(sha3_256(bytes(public_key) + bytes([MULTI_ED25519_SCHEME])))

    def derived_address(self) -> AccountAddress:
        return AccountAddress(self[-ADDRESS_LENGTH:])

    def prefix(self) -> bytes:
        """The first 16 bytes, which Diem's account creation scripts take as an argument."""
        return bytes(self[:ADDRESS_LENGTH])

    def __repr__(self) -> str:
        return f"AuthenticationKey({self.hex()})"

    def __str__(self) -> str:
        return self.hex()


bcs.register_bytes_type(AuthenticationKey, AUTH_KEY_LENGTH, length_prefixed=True)
