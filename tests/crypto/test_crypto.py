"""Hashing and strict Ed25519 / MultiEd25519 verification."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libra import bcs
from libra.crypto import (
    CryptoHasher,
    Ed25519PrivateKey,
    Ed25519PublicKey,
    Ed25519Signature,
    HashValue,
    MultiEd25519PublicKey,
    MultiEd25519Signature,
    hash_prefix,
    is_small_order_point,
)
from libra.crypto.ed25519 import SMALL_ORDER_ENCODINGS, L

KEY = Ed25519PrivateKey(bytes(range(32)))


def test_domain_separated_hash() -> None:
    prefix = hashlib.sha3_256(b"DIEM::RawTransaction").digest()
    assert hash_prefix("RawTransaction") == prefix
    h = CryptoHasher("RawTransaction").hash(b"abc")
    assert h == hashlib.sha3_256(prefix + b"abc").digest()
    assert CryptoHasher("Other").hash(b"abc") != h


def test_hash_value_bcs_has_a_length_prefix() -> None:
    h = HashValue(bytes(range(32)))
    assert bcs.encode_as(HashValue, h) == b"\x20" + bytes(range(32))
    with pytest.raises(bcs.DecodeError, match="must be 32 bytes long"):
        bcs.decode_as(HashValue, b"\x1f" + bytes(31))
    with pytest.raises(ValueError):
        HashValue(b"short")


@given(st.binary(max_size=300))
def test_sign_and_verify(message: bytes) -> None:
    sig = KEY.sign(message)
    assert KEY.public_key.verify(message, sig)
    assert not KEY.public_key.verify(message + b"x", sig)
    other = Ed25519PrivateKey(bytes(32)).public_key
    assert not other.verify(message, sig)


def test_rejects_non_canonical_s() -> None:
    message = b"pay 10 LBR"
    sig = KEY.sign(message)
    s = int.from_bytes(sig[32:], "little")
    malleated = sig[:32] + (s + L).to_bytes(32, "little")
    assert not KEY.public_key.verify(message, malleated)
    with pytest.raises(ValueError, match="S >= L"):
        Ed25519Signature(malleated)


def test_small_order_points() -> None:
    assert len(SMALL_ORDER_ENCODINGS) == 8
    for enc in SMALL_ORDER_ENCODINGS:
        assert is_small_order_point(enc)
        with pytest.raises(ValueError, match="small-order"):
            Ed25519PublicKey(enc)
    assert not is_small_order_point(KEY.public_key)


def test_rejects_small_order_r() -> None:
    identity = bytes([1]) + bytes(31)
    forged = identity + bytes(32)  # R = identity, S = 0
    assert not KEY.public_key.verify(b"anything", forged)


def test_rejects_non_point_public_keys() -> None:
    with pytest.raises(ValueError, match="canonical"):
        Ed25519PublicKey(b"\xff" * 32)
    with pytest.raises(ValueError, match="32 bytes"):
        Ed25519PublicKey(b"\x01" * 31)


def test_multi_ed25519_threshold() -> None:
    keys = [Ed25519PrivateKey(bytes([i + 1]) * 32) for i in range(3)]
    multi = MultiEd25519PublicKey.create([k.public_key for k in keys], 2)
    assert multi.threshold == 2 and len(multi.public_keys) == 3
    msg = b"hello"
    two = MultiEd25519Signature.create([(2, keys[2].sign(msg)), (0, keys[0].sign(msg))])
    assert two.signer_indices == [0, 2]
    assert multi.verify(msg, two)
    one = MultiEd25519Signature.create([(1, keys[1].sign(msg))])
    assert not multi.verify(msg, one)
    swapped = MultiEd25519Signature.create([(0, keys[1].sign(msg)), (1, keys[0].sign(msg))])
    assert not multi.verify(msg, swapped)
    beyond = MultiEd25519Signature.create([(0, keys[0].sign(msg)), (5, keys[1].sign(msg))])
    assert not multi.verify(msg, beyond)


def test_multi_ed25519_rejects_malformed() -> None:
    k = Ed25519PrivateKey(bytes([9]) * 32)
    with pytest.raises(ValueError, match="threshold"):
        MultiEd25519PublicKey(bytes(k.public_key) + b"\x02")
    with pytest.raises(ValueError, match="length"):
        MultiEd25519PublicKey(bytes(k.public_key))
    sig = k.sign(b"m")
    with pytest.raises(ValueError, match="bitmap"):
        MultiEd25519Signature(bytes(sig) + b"\xc0\x00\x00\x00")
    with pytest.raises(ValueError, match="repeated"):
        MultiEd25519Signature.create([(1, sig), (1, sig)])
