"""Noise IK: the published test vector, and the properties the transport relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libra.network import NetworkPrivateKey, NoiseError
from libra.network.noise import (
    MAX_NONCE,
    CipherState,
    InitiatorHandshake,
    ResponderHandshake,
    TransportKeys,
)

VECTOR = json.loads((Path(__file__).parent / "noise_ik_vector.json").read_text())


def _h(name: str) -> bytes:
    return bytes.fromhex(VECTOR[name])


def test_vector_name_matches_protocol() -> None:
    from libra.network.noise import PROTOCOL_NAME

    assert VECTOR["protocol_name"].encode() == PROTOCOL_NAME


def test_handshake_and_transport_match_published_vector() -> None:
    msgs = [
        (bytes.fromhex(m["payload"]), bytes.fromhex(m["ciphertext"])) for m in VECTOR["messages"]
    ]
    init = InitiatorHandshake(
        NetworkPrivateKey(_h("init_static")),
        _h("init_remote_static"),
        _h("init_prologue"),
        NetworkPrivateKey(_h("init_ephemeral")),
    )
    resp = ResponderHandshake(
        NetworkPrivateKey(_h("resp_static")),
        _h("resp_prologue"),
        NetworkPrivateKey(_h("resp_ephemeral")),
    )
    m1 = init.write_message_1(msgs[0][0])
    assert m1 == msgs[0][1]
    assert resp.read_message_1(m1) == msgs[0][0]
    assert resp.remote_static == NetworkPrivateKey(_h("init_static")).public_key
    m2, rkeys = resp.write_message_2(msgs[1][0])
    assert m2 == msgs[1][1]
    payload, ikeys = init.read_message_2(m2)
    assert payload == msgs[1][0]
    assert ikeys.handshake_hash == rkeys.handshake_hash
    for i, (plain, cipher) in enumerate(msgs[2:]):
        send, recv = (ikeys.send, rkeys.recv) if i % 2 == 0 else (rkeys.send, ikeys.recv)
        assert send.encrypt(plain) == cipher
        assert recv.decrypt(cipher) == plain


def _pair(seed: int, prologue: bytes = b"p") -> tuple[TransportKeys, TransportKeys]:
    i_s = NetworkPrivateKey(bytes([seed % 256 + 1]) * 32)
    r_s = NetworkPrivateKey(bytes([(seed + 7) % 256 + 1]) * 32)
    init = InitiatorHandshake(i_s, r_s.public_key, prologue, NetworkPrivateKey.generate())
    resp = ResponderHandshake(r_s, prologue, NetworkPrivateKey.generate())
    resp.read_message_1(init.write_message_1(b"hello"))
    m2, rkeys = resp.write_message_2(b"")
    _, ikeys = init.read_message_2(m2)
    return ikeys, rkeys


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=10), st.integers(0, 200))
def test_both_sides_derive_matching_keys(messages: list[bytes], seed: int) -> None:
    ikeys, rkeys = _pair(seed)
    for m in messages:
        assert rkeys.recv.decrypt(ikeys.send.encrypt(m)) == m
        assert ikeys.recv.decrypt(rkeys.send.encrypt(m)) == m


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=100), st.data())
def test_any_flipped_bit_fails(message: bytes, data: st.DataObject) -> None:
    ikeys, rkeys = _pair(3)
    ct = bytearray(ikeys.send.encrypt(message))
    bit = data.draw(st.integers(0, len(ct) * 8 - 1))
    ct[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(NoiseError):
        rkeys.recv.decrypt(bytes(ct))


def test_replayed_and_reordered_ciphertexts_fail() -> None:
    ikeys, rkeys = _pair(5)
    c0 = ikeys.send.encrypt(b"zero")
    c1 = ikeys.send.encrypt(b"one")
    with pytest.raises(NoiseError):
        rkeys.recv.decrypt(c1)  # reordered: c1 before c0
    ikeys, rkeys = _pair(5)
    c0 = ikeys.send.encrypt(b"zero")
    assert rkeys.recv.decrypt(c0) == b"zero"
    with pytest.raises(NoiseError):
        rkeys.recv.decrypt(c0)  # replayed


def test_wrong_responder_key_or_prologue_fails() -> None:
    i_s, r_s, other = (NetworkPrivateKey(bytes([n]) * 32) for n in (1, 2, 3))
    init = InitiatorHandshake(i_s, other.public_key, b"p", NetworkPrivateKey.generate())
    resp = ResponderHandshake(r_s, b"p", NetworkPrivateKey.generate())
    with pytest.raises(NoiseError):
        resp.read_message_1(init.write_message_1(b""))
    init = InitiatorHandshake(i_s, r_s.public_key, b"p", NetworkPrivateKey.generate())
    resp = ResponderHandshake(r_s, b"q", NetworkPrivateKey.generate())
    with pytest.raises(NoiseError):
        resp.read_message_1(init.write_message_1(b""))


def test_tampered_message_2_fails() -> None:
    i_s, r_s = NetworkPrivateKey(b"\x01" * 32), NetworkPrivateKey(b"\x02" * 32)
    init = InitiatorHandshake(i_s, r_s.public_key, b"", NetworkPrivateKey.generate())
    resp = ResponderHandshake(r_s, b"", NetworkPrivateKey.generate())
    resp.read_message_1(init.write_message_1(b""))
    m2, _ = resp.write_message_2(b"")
    with pytest.raises(NoiseError):
        init.read_message_2(m2[:-1] + bytes([m2[-1] ^ 1]))


def test_low_order_key_and_bad_lengths_rejected() -> None:
    k = NetworkPrivateKey(b"\x01" * 32)
    with pytest.raises(NoiseError):
        k.dh(b"\x00" * 32)
    with pytest.raises(NoiseError):
        k.dh(b"\x09" * 31)
    with pytest.raises(NoiseError):
        NetworkPrivateKey(b"\x01" * 31)
    with pytest.raises(NoiseError):
        CipherState(b"\x00" * 16)


def test_nonce_exhaustion_is_an_error() -> None:
    c = CipherState(b"\x00" * 32, nonce=MAX_NONCE)
    with pytest.raises(NoiseError, match="exhausted"):
        c.encrypt(b"x")


def test_key_roundtrip_and_repr_hides_secret() -> None:
    k = NetworkPrivateKey.generate()
    assert NetworkPrivateKey(k.secret_bytes()).public_key == k.public_key
    assert k.secret_bytes().hex() not in repr(k)
