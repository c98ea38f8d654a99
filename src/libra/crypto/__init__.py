"""Hashing and signatures, as Diem defines them.

- :class:`HashValue`: a 32-byte SHA3-256 digest.
- :class:`CryptoHasher`: Diem's domain-separated hashing,
  ``sha3_256(sha3_256(b"DIEM::" + type_name) || bcs_bytes)``.
- Ed25519 keys and signatures (PyNaCl / libsodium) with strict verification: non-canonical
  signatures (S >= L) and small-order public keys or R points are rejected explicitly, so every
  validator reaches the same verdict whatever libsodium version it links.
- MultiEd25519 (k-of-n, at most 32 keys) as Diem encodes it.
- Authentication keys and account addresses derived from public keys.
"""

from __future__ import annotations

from libra.crypto.ed25519 import (
    ED25519_PUBLIC_KEY_LENGTH,
    ED25519_SIGNATURE_LENGTH,
    CryptoError,
    Ed25519PrivateKey,
    Ed25519PublicKey,
    Ed25519Signature,
    MultiEd25519PublicKey,
    MultiEd25519Signature,
    is_small_order_point,
)
from libra.crypto.hash import (
    ACCUMULATOR_PLACEHOLDER_HASH,
    SPARSE_MERKLE_PLACEHOLDER_HASH,
    CryptoHasher,
    HashValue,
    hash_prefix,
    sha3_256,
)

__all__ = [
    "ACCUMULATOR_PLACEHOLDER_HASH",
    "ED25519_PUBLIC_KEY_LENGTH",
    "ED25519_SIGNATURE_LENGTH",
    "SPARSE_MERKLE_PLACEHOLDER_HASH",
    "CryptoError",
    "CryptoHasher",
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "Ed25519Signature",
    "HashValue",
    "MultiEd25519PublicKey",
    "MultiEd25519Signature",
    "hash_prefix",
    "is_small_order_point",
    "sha3_256",
]
