"""The Noise IK handshake (``Noise_IK_25519_ChaChaPoly_SHA256``) and its transport ciphers.

Why Noise IK rather than TLS 1.3 with pinned keys: every validator publishes one X25519
network key in the validator set, and IK is exactly "the initiator knows the responder's
static key in advance and sends its own, encrypted, in the first message". The whole
authenticated key exchange is one round trip, both static keys are bound into the transcript,
and the implementation is a few dozen lines over the ``cryptography`` package's X25519 and
ChaCha20-Poly1305 primitives and the standard library's HMAC-SHA256. Python's ``ssl`` module
cannot pin raw public keys without certificates, would need a small CA or self-signed
certificates per validator, and hides the key schedule; Diem made the same choice. Diem uses
AES-GCM; this uses ChaCha20-Poly1305, which is as fast as AES-GCM with AES-NI and much faster
without it, and the handshake is checked against the published Noise test vectors.

This module is pure: no sockets, no clocks. Ephemeral keys are passed in by the caller (so the
handshake can be checked against the published test vectors), and the responder's checks of
the initiator's identity live in :mod:`libra.network.handshake`.

Pattern (Noise specification, revision 34)::

    IK:
      <- s
      ...
      -> e, es, s, ss
      <- e, ee, se
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from libra.network.errors import NoiseError

__all__ = [
    "DH_LENGTH",
    "MAX_NONCE",
    "PROTOCOL_NAME",
    "TAG_LENGTH",
    "CipherState",
    "InitiatorHandshake",
    "NetworkPrivateKey",
    "ResponderHandshake",
    "SymmetricState",
    "TransportKeys",
]

PROTOCOL_NAME = b"Noise_IK_25519_ChaChaPoly_SHA256"
"""The Noise protocol name; exactly 32 bytes, so it is the initial handshake hash itself."""

DH_LENGTH = 32
"""Length of an X25519 public key and of a Diffie-Hellman output."""

TAG_LENGTH = 16
"""Length of a ChaCha20-Poly1305 authentication tag."""

HASH_LENGTH = 32

MAX_NONCE = (1 << 64) - 1
"""Noise reserves nonce 2^64-1; a cipher state refuses to use it."""


class NetworkPrivateKey:
    """A validator's static X25519 network key (or an ephemeral handshake key)."""

    __slots__ = ("_key", "public_key")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != DH_LENGTH:
            raise NoiseError(f"an X25519 private key is {DH_LENGTH} bytes, not {len(secret)}")
        self._key = X25519PrivateKey.from_private_bytes(secret)
        self.public_key: bytes = self._key.public_key().public_bytes_raw()
        """The 32-byte X25519 public key, as published in the validator set."""

    @classmethod
    def generate(cls) -> NetworkPrivateKey:
        """A fresh key from the operating system's secure random source."""
        return cls(X25519PrivateKey.generate().private_bytes_raw())

    def secret_bytes(self) -> bytes:
        """The 32 secret bytes (for writing a key file)."""
        return self._key.private_bytes_raw()

    def dh(self, public_key: bytes) -> bytes:
        """X25519 with ``public_key``; a low-order public key (all-zero output) is an error."""
        if len(public_key) != DH_LENGTH:
            raise NoiseError(f"an X25519 public key is {DH_LENGTH} bytes, not {len(public_key)}")
        try:
            return self._key.exchange(X25519PublicKey.from_public_bytes(public_key))
        except ValueError as exc:
            raise NoiseError(f"invalid X25519 public key {public_key.hex()}: {exc}") from exc

    def __repr__(self) -> str:
        return f"NetworkPrivateKey(public_key={self.public_key.hex()})"


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, "sha256")


def _hkdf2(chaining_key: bytes, ikm: bytes) -> tuple[bytes, bytes]:
    """Noise's HKDF with two outputs (HMAC-SHA256 based, as the specification defines it)."""
    temp = _hmac(chaining_key, ikm)
    out1 = _hmac(temp, b"\x01")
    out2 = _hmac(temp, out1 + b"\x02")
    return out1, out2


class CipherState:
    """A ChaCha20-Poly1305 key with its 64-bit message counter (the Noise nonce).

    Every encryption or decryption consumes one nonce, so a replayed, dropped or reordered
    ciphertext fails authentication on the receiving side.
    """

    __slots__ = ("_aead", "nonce")

    def __init__(self, key: bytes, nonce: int = 0) -> None:
        if len(key) != 32:
            raise NoiseError(f"a cipher key is 32 bytes, not {len(key)}")
        self._aead = ChaCha20Poly1305(key)
        self.nonce = nonce

    def _next_nonce(self) -> bytes:
        n = self.nonce
        if n >= MAX_NONCE:
            raise NoiseError(f"nonce exhausted at {n}")
        self.nonce = n + 1
        return b"\x00\x00\x00\x00" + n.to_bytes(8, "little")

    def encrypt(self, plaintext: bytes, ad: bytes = b"") -> bytes:
        """Encrypt and authenticate ``plaintext`` with associated data ``ad``."""
        return self._aead.encrypt(self._next_nonce(), plaintext, ad)

    def decrypt(self, ciphertext: bytes, ad: bytes = b"") -> bytes:
        """Decrypt ``ciphertext``; raises :class:`NoiseError` if it fails authentication."""
        nonce = self.nonce
        try:
            plaintext = self._aead.decrypt(self._next_nonce(), ciphertext, ad)
        except InvalidTag:
            raise NoiseError(
                f"ciphertext of {len(ciphertext)} bytes failed authentication at nonce {nonce}"
            ) from None
        return plaintext


class SymmetricState:
    """The Noise symmetric state: chaining key, handshake hash and the current cipher key."""

    __slots__ = ("_cipher", "ck", "h")

    def __init__(self, protocol_name: bytes = PROTOCOL_NAME) -> None:
        if len(protocol_name) <= HASH_LENGTH:
            h = protocol_name.ljust(HASH_LENGTH, b"\x00")
        else:
            h = hashlib.sha256(protocol_name).digest()
        self.h = h
        self.ck = h
        self._cipher: CipherState | None = None

    def mix_hash(self, data: bytes) -> None:
        self.h = hashlib.sha256(self.h + data).digest()

    def mix_key(self, ikm: bytes) -> None:
        self.ck, temp_k = _hkdf2(self.ck, ikm)
        self._cipher = CipherState(temp_k)

    def encrypt_and_hash(self, plaintext: bytes) -> bytes:
        out = plaintext if self._cipher is None else self._cipher.encrypt(plaintext, self.h)
        self.mix_hash(out)
        return out

    def decrypt_and_hash(self, ciphertext: bytes) -> bytes:
        out = ciphertext if self._cipher is None else self._cipher.decrypt(ciphertext, self.h)
        self.mix_hash(ciphertext)
        return out

    def split(self) -> tuple[CipherState, CipherState]:
        """The two transport ciphers: initiator-to-responder, then responder-to-initiator."""
        k1, k2 = _hkdf2(self.ck, b"")
        return CipherState(k1), CipherState(k2)


@dataclass(frozen=True, slots=True)
class TransportKeys:
    """The result of a completed handshake."""

    send: CipherState
    recv: CipherState
    remote_static: bytes
    """The peer's static X25519 public key, authenticated by the handshake."""
    handshake_hash: bytes
    """The final handshake hash (a channel binding value)."""


class InitiatorHandshake:
    """The initiator's side: knows the responder's static key before it starts."""

    __slots__ = ("_done", "_e", "_s", "_state", "remote_static")

    def __init__(
        self,
        static_key: NetworkPrivateKey,
        remote_static: bytes,
        prologue: bytes,
        ephemeral_key: NetworkPrivateKey,
    ) -> None:
        if len(remote_static) != DH_LENGTH:
            raise NoiseError(f"remote static key is {DH_LENGTH} bytes, not {len(remote_static)}")
        self._s = static_key
        self._e = ephemeral_key
        self.remote_static = bytes(remote_static)
        self._state = SymmetricState()
        self._state.mix_hash(prologue)
        self._state.mix_hash(self.remote_static)
        self._done = False

    def write_message_1(self, payload: bytes) -> bytes:
        """``-> e, es, s, ss`` followed by the encrypted payload."""
        st = self._state
        e_pub = self._e.public_key
        st.mix_hash(e_pub)
        st.mix_key(self._e.dh(self.remote_static))
        enc_s = st.encrypt_and_hash(self._s.public_key)
        st.mix_key(self._s.dh(self.remote_static))
        return e_pub + enc_s + st.encrypt_and_hash(payload)

    def read_message_2(self, message: bytes) -> tuple[bytes, TransportKeys]:
        """``<- e, ee, se``; returns the responder's payload and the transport keys."""
        if self._done:
            raise NoiseError("handshake already complete")
        if len(message) < DH_LENGTH + TAG_LENGTH:
            raise NoiseError(f"handshake message 2 too short: {len(message)} bytes")
        st = self._state
        re = message[:DH_LENGTH]
        st.mix_hash(re)
        st.mix_key(self._e.dh(re))
        st.mix_key(self._s.dh(re))
        payload = st.decrypt_and_hash(message[DH_LENGTH:])
        self._done = True
        send, recv = st.split()
        return payload, TransportKeys(send, recv, self.remote_static, st.h)


class ResponderHandshake:
    """The responder's side: learns (and must then check) the initiator's static key."""

    __slots__ = ("_e", "_re", "_s", "_state", "remote_static")

    def __init__(
        self, static_key: NetworkPrivateKey, prologue: bytes, ephemeral_key: NetworkPrivateKey
    ) -> None:
        self._s = static_key
        self._e = ephemeral_key
        self._state = SymmetricState()
        self._state.mix_hash(prologue)
        self._state.mix_hash(static_key.public_key)
        self._re = b""
        self.remote_static = b""

    def read_message_1(self, message: bytes) -> bytes:
        """``-> e, es, s, ss``; returns the initiator's payload. The caller must then check
        :attr:`remote_static` against the trusted set before answering."""
        if len(message) < DH_LENGTH + DH_LENGTH + 2 * TAG_LENGTH:
            raise NoiseError(f"handshake message 1 too short: {len(message)} bytes")
        st = self._state
        re = message[:DH_LENGTH]
        st.mix_hash(re)
        st.mix_key(self._s.dh(re))
        rs = st.decrypt_and_hash(message[DH_LENGTH : 2 * DH_LENGTH + TAG_LENGTH])
        st.mix_key(self._s.dh(rs))
        payload = st.decrypt_and_hash(message[2 * DH_LENGTH + TAG_LENGTH :])
        self._re = re
        self.remote_static = rs
        return payload

    def write_message_2(self, payload: bytes) -> tuple[bytes, TransportKeys]:
        """``<- e, ee, se`` with the encrypted payload; returns it and the transport keys."""
        if not self._re:
            raise NoiseError("message 1 has not been read")
        st = self._state
        e_pub = self._e.public_key
        st.mix_hash(e_pub)
        st.mix_key(self._e.dh(self._re))
        st.mix_key(self._e.dh(self.remote_static))
        out = e_pub + st.encrypt_and_hash(payload)
        c1, c2 = st.split()
        # The initiator sends with the first key, so the responder receives with it.
        return out, TransportKeys(c2, c1, self.remote_static, st.h)
