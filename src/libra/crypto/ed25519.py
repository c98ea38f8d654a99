"""Ed25519 and MultiEd25519 keys and signatures with strict, deterministic verification."""

from __future__ import annotations

from functools import lru_cache

import nacl.bindings
import nacl.exceptions

from libra import bcs

ED25519_PRIVATE_KEY_LENGTH = 32
ED25519_PUBLIC_KEY_LENGTH = 32
ED25519_SIGNATURE_LENGTH = 64
MAX_MULTI_ED25519_KEYS = 32
MULTI_ED25519_BITMAP_LENGTH = 4

# The order of the Ed25519 base point.
L = 2**252 + 27742317777372353535851937790883648493
_P = 2**255 - 19
_D = (-121665 * pow(121666, -1, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


# The canonical encodings of the eight points of order dividing 8 (checked against the curve
# arithmetic below by the tests).
SMALL_ORDER_ENCODINGS = frozenset(
    bytes.fromhex(h)
    for h in (
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    )
)


class CryptoError(ValueError):
    """A key or signature is malformed or does not verify."""


def _decompress(encoded: bytes) -> tuple[int, int] | None:
    """The affine point of a canonical compressed Edwards encoding, or None."""
    y = int.from_bytes(encoded, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= _P:
        return None
    y2 = y * y % _P
    u = (y2 - 1) % _P
    v = (_D * y2 + 1) % _P
    x2 = u * pow(v, -1, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = _P - x
    return x, y


def _double(pt: tuple[int, int]) -> tuple[int, int]:
    x, y = pt
    xy = x * y % _P
    dxy2 = _D * xy * xy % _P
    x3 = 2 * xy * pow(1 + dxy2, -1, _P) % _P
    y3 = (y * y + x * x) * pow(1 - dxy2, -1, _P) % _P
    return x3, y3


@lru_cache(maxsize=4096)
def is_small_order_point(encoded: bytes) -> bool:
    """True if ``encoded`` is a valid point whose order divides 8 (a 'weak' point)."""
    pt = _decompress(encoded)
    if pt is None:
        return False
    for _ in range(3):
        pt = _double(pt)
    return pt == (0, 1)


@lru_cache(maxsize=65536)
def _check_public_key(encoded: bytes) -> str | None:
    if len(encoded) != ED25519_PUBLIC_KEY_LENGTH:
        return f"an Ed25519 public key is {ED25519_PUBLIC_KEY_LENGTH} bytes, not {len(encoded)}"
    if _decompress(encoded) is None:
        return "not a canonical encoding of a curve point"
    if is_small_order_point(encoded):
        return "small-order public key"
    return None


class Ed25519PublicKey(bytes):
    """A validated Ed25519 public key: a canonical point that is not of small order."""

    __slots__ = ()

    def __new__(cls, value: bytes) -> Ed25519PublicKey:
        problem = _check_public_key(bytes(value))
        if problem is not None:
            raise ValueError(problem)
        return super().__new__(cls, value)

    @classmethod
    def from_hex(cls, text: str) -> Ed25519PublicKey:
        return cls(bytes.fromhex(text.removeprefix("0x")))

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Strict verification: S < L, R not of small order, then libsodium's check."""
        if len(signature) != ED25519_SIGNATURE_LENGTH:
            return False
        if int.from_bytes(signature[32:], "little") >= L:
            return False
        if signature[:32] in SMALL_ORDER_ENCODINGS:
            return False
        try:
            nacl.bindings.crypto_sign_open(signature + message, self)
        except nacl.exceptions.BadSignatureError:
            return False
        return True

    def __repr__(self) -> str:
        return f"Ed25519PublicKey({self.hex()})"


class Ed25519Signature(bytes):
    """A 64-byte Ed25519 signature whose S is canonical (S < L)."""

    __slots__ = ()

    def __new__(cls, value: bytes) -> Ed25519Signature:
        if len(value) != ED25519_SIGNATURE_LENGTH:
            raise ValueError(
                f"an Ed25519 signature is {ED25519_SIGNATURE_LENGTH} bytes, not {len(value)}"
            )
        if int.from_bytes(value[32:], "little") >= L:
            raise ValueError("non-canonical signature (S >= L)")
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"Ed25519Signature({self.hex()})"


class Ed25519PrivateKey:
    """An Ed25519 signing key made from a 32-byte seed. Never serialized by BCS."""

    __slots__ = ("_public", "_seed", "_sk")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != ED25519_PRIVATE_KEY_LENGTH:
            raise CryptoError(f"an Ed25519 private key is 32 bytes, not {len(seed)}")
        pk, sk = nacl.bindings.crypto_sign_seed_keypair(bytes(seed))
        self._seed = bytes(seed)
        self._sk = sk
        self._public = Ed25519PublicKey(pk)

    @classmethod
    def generate(cls) -> Ed25519PrivateKey:
        import os

        return cls(os.urandom(ED25519_PRIVATE_KEY_LENGTH))

    @classmethod
    def from_hex(cls, text: str) -> Ed25519PrivateKey:
        return cls(bytes.fromhex(text.strip().removeprefix("0x")))

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def to_bytes(self) -> bytes:
        return self._seed

    def sign(self, message: bytes) -> Ed25519Signature:
        signed = nacl.bindings.crypto_sign(message, self._sk)
        return Ed25519Signature(signed[:ED25519_SIGNATURE_LENGTH])

    def __repr__(self) -> str:
        return f"Ed25519PrivateKey(public_key={self._public.hex()})"


class MultiEd25519PublicKey(bytes):
    """k-of-n Ed25519 keys: the n public keys concatenated, then the threshold k (one byte)."""

    __slots__ = ()

    def __new__(cls, value: bytes) -> MultiEd25519PublicKey:
        n, rem = divmod(len(value), ED25519_PUBLIC_KEY_LENGTH)
        if rem != 1 or not 1 <= n <= MAX_MULTI_ED25519_KEYS:
            raise ValueError(f"invalid MultiEd25519 public key length {len(value)}")
        threshold = value[-1]
        if not 1 <= threshold <= n:
            raise ValueError(f"threshold {threshold} outside 1..{n}")
        for i in range(n):
            Ed25519PublicKey(value[32 * i : 32 * i + 32])
        return super().__new__(cls, value)

    @classmethod
    def create(cls, keys: list[Ed25519PublicKey], threshold: int) -> MultiEd25519PublicKey:
        if not 0 < threshold < 256:
            raise CryptoError("threshold must be between 1 and the number of keys")
        return cls(b"".join(keys) + bytes([threshold]))

    @property
    def public_keys(self) -> list[Ed25519PublicKey]:
        return [Ed25519PublicKey(self[32 * i : 32 * i + 32]) for i in range(len(self) // 32)]

    @property
    def threshold(self) -> int:
        return self[-1]

    def verify(self, message: bytes, signature: MultiEd25519Signature) -> bool:
        keys = self.public_keys
        indices = signature.signer_indices
        if len(indices) < self.threshold or (indices and indices[-1] >= len(keys)):
            return False
        return all(
            keys[i].verify(message, sig)
            for i, sig in zip(indices, signature.signatures, strict=True)
        )


class MultiEd25519Signature(bytes):
    """Signatures ordered by signer index, then a 4-byte bitmap (bit i, most significant bit
    first, set when key i signed)."""

    __slots__ = ()

    def __new__(cls, value: bytes) -> MultiEd25519Signature:
        n, rem = divmod(len(value) - MULTI_ED25519_BITMAP_LENGTH, ED25519_SIGNATURE_LENGTH)
        if len(value) < MULTI_ED25519_BITMAP_LENGTH + 64 or rem != 0:
            raise ValueError(f"invalid MultiEd25519 signature length {len(value)}")
        if n > MAX_MULTI_ED25519_KEYS:
            raise ValueError("more than 32 signatures")
        bitmap = int.from_bytes(value[-MULTI_ED25519_BITMAP_LENGTH:], "big")
        if bitmap.bit_count() != n:
            raise ValueError(f"bitmap names {bitmap.bit_count()} signers but {n} signatures")
        for i in range(n):
            Ed25519Signature(value[64 * i : 64 * i + 64])
        return super().__new__(cls, value)

    @classmethod
    def create(cls, signatures: list[tuple[int, Ed25519Signature]]) -> MultiEd25519Signature:
        """From (signer index, signature) pairs in any order."""
        ordered = sorted(signatures)
        bitmap = 0
        for idx, _ in ordered:
            if not 0 <= idx < MAX_MULTI_ED25519_KEYS or bitmap & (1 << (31 - idx)):
                raise CryptoError(f"invalid or repeated signer index {idx}")
            bitmap |= 1 << (31 - idx)
        return cls(b"".join(s for _, s in ordered) + bitmap.to_bytes(4, "big"))

    @property
    def signatures(self) -> list[Ed25519Signature]:
        n = (len(self) - MULTI_ED25519_BITMAP_LENGTH) // 64
        return [Ed25519Signature(self[64 * i : 64 * i + 64]) for i in range(n)]

    @property
    def signer_indices(self) -> list[int]:
        bitmap = int.from_bytes(self[-MULTI_ED25519_BITMAP_LENGTH:], "big")
        return [i for i in range(32) if bitmap & (1 << (31 - i))]


bcs.register_bytes_type(Ed25519PublicKey, ED25519_PUBLIC_KEY_LENGTH, length_prefixed=True)
bcs.register_bytes_type(Ed25519Signature, ED25519_SIGNATURE_LENGTH, length_prefixed=True)
bcs.register_bytes_type(MultiEd25519PublicKey, None, length_prefixed=True)
bcs.register_bytes_type(MultiEd25519Signature, None, length_prefixed=True)
