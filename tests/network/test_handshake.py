"""The validator handshake over Noise IK: trusted set, key binding, anti-replay."""

from __future__ import annotations

import pytest

from libra.network import HandshakeError, NetworkPrivateKey, UnknownPeer
from libra.network.handshake import (
    CLIENT_HELLO_LENGTH,
    PROTOCOL_VERSION,
    SERVER_HELLO_LENGTH,
    AcceptedHello,
    accept_client_hello,
    start_client_hello,
)
from libra.types import AccountAddress

A = AccountAddress.from_int(1)
B = AccountAddress.from_int(2)
KA = NetworkPrivateKey(b"\x11" * 32)
KB = NetworkPrivateKey(b"\x22" * 32)


def _accept(message: bytes, trusted: dict[AccountAddress, bytes], last: int = 0) -> AcceptedHello:
    return accept_client_hello(
        B, KB, message, trusted.get, lambda _a: last, NetworkPrivateKey.generate()
    )


def test_successful_handshake_yields_working_ciphers() -> None:
    pending = start_client_hello(A, KA, B, KB.public_key, 1000, NetworkPrivateKey.generate())
    assert len(pending.message) == CLIENT_HELLO_LENGTH
    accepted = _accept(pending.message, {A: KA.public_key})
    assert accepted.peer == A and accepted.timestamp_usecs == 1000
    assert len(accepted.response) == SERVER_HELLO_LENGTH
    keys = pending.finish(accepted.response)
    assert keys.remote_static == KB.public_key
    assert accepted.keys.remote_static == KA.public_key
    assert accepted.keys.recv.decrypt(keys.send.encrypt(b"ping")) == b"ping"
    assert keys.recv.decrypt(accepted.keys.send.encrypt(b"pong")) == b"pong"


def test_unknown_address_rejected() -> None:
    pending = start_client_hello(A, KA, B, KB.public_key, 1, NetworkPrivateKey.generate())
    with pytest.raises(UnknownPeer, match="not in the trusted set"):
        _accept(pending.message, {})


def test_claimed_address_with_other_key_rejected() -> None:
    impostor = NetworkPrivateKey(b"\x33" * 32)
    pending = start_client_hello(A, impostor, B, KB.public_key, 1, NetworkPrivateKey.generate())
    with pytest.raises(UnknownPeer, match="not the published"):
        _accept(pending.message, {A: KA.public_key})


def test_replayed_or_stale_hello_rejected() -> None:
    pending = start_client_hello(A, KA, B, KB.public_key, 500, NetworkPrivateKey.generate())
    _accept(pending.message, {A: KA.public_key}, last=499)
    with pytest.raises(HandshakeError, match="replayed or stale"):
        _accept(pending.message, {A: KA.public_key}, last=500)


def test_hello_for_another_responder_rejected() -> None:
    # Addressed to C (the prologue binds the responder's address), delivered to B.
    c = AccountAddress.from_int(3)
    pending = start_client_hello(A, KA, c, KB.public_key, 1, NetworkPrivateKey.generate())
    with pytest.raises(HandshakeError, match="failed"):
        _accept(pending.message, {A: KA.public_key})


def test_malformed_hellos_rejected() -> None:
    pending = start_client_hello(A, KA, B, KB.public_key, 1, NetworkPrivateKey.generate())
    with pytest.raises(HandshakeError, match="expected"):
        _accept(pending.message[:-1], {A: KA.public_key})
    bad_version = bytes([PROTOCOL_VERSION + 1]) + pending.message[1:]
    with pytest.raises(HandshakeError, match="version"):
        _accept(bad_version, {A: KA.public_key})
    flipped = pending.message[:-1] + bytes([pending.message[-1] ^ 0x80])
    with pytest.raises(HandshakeError):
        _accept(flipped, {A: KA.public_key})


def test_tampered_or_truncated_server_hello_rejected() -> None:
    pending = start_client_hello(A, KA, B, KB.public_key, 1, NetworkPrivateKey.generate())
    accepted = _accept(pending.message, {A: KA.public_key})
    with pytest.raises(HandshakeError, match="expected"):
        pending.finish(accepted.response[:-1])
    with pytest.raises(HandshakeError, match="failed"):
        pending.finish(accepted.response[:-1] + bytes([accepted.response[-1] ^ 1]))


def test_timestamp_must_fit_u64() -> None:
    with pytest.raises(HandshakeError):
        start_client_hello(A, KA, B, KB.public_key, 1 << 64, NetworkPrivateKey.generate())
