"""Cheap transactions for mempool tests (the mempool never checks signatures itself)."""

from __future__ import annotations

from libra.crypto import Ed25519PrivateKey
from libra.types import (
    AccountAddress,
    ArgU64,
    PayloadScript,
    RawTransaction,
    Script,
    SignedTransaction,
)

_KEY = Ed25519PrivateKey(b"\x07" * 32)
FAR_FUTURE = 10**10


def raw(
    sender: int, seq: int, gas: int = 0, exp: int = FAR_FUTURE, salt: int = 0
) -> RawTransaction:
    return RawTransaction(
        AccountAddress.from_int(sender + 1),
        seq,
        PayloadScript(Script(b"", (), (ArgU64(salt),))),
        1_000_000,
        gas,
        "XUS",
        exp,
        4,
    )


_AUTH = raw(0, 0).sign(_KEY).authenticator


def txn(
    sender: int, seq: int, gas: int = 0, exp: int = FAR_FUTURE, salt: int = 0
) -> SignedTransaction:
    """A transaction of account ``sender`` (an index) with a reused authenticator."""
    return SignedTransaction(raw(sender, seq, gas, exp, salt), _AUTH)


def addr(sender: int) -> AccountAddress:
    return AccountAddress.from_int(sender + 1)
