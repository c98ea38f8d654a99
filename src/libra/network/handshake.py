"""The validator handshake: who may connect, bound into a Noise IK exchange.

Message 1 (initiator to responder)::

    version (1 byte) || initiator address (16 bytes) || Noise IK message 1

The Noise prologue is ``b"LIBRA_NET" || version || initiator address || responder address``,
so both sides must agree on who is talking to whom, and the initiator's claimed address is
authenticated by the handshake. The initiator's Noise payload is an 8-byte little-endian
timestamp in microseconds: the responder accepts it only if it is greater than the last one
it accepted from that peer, so a recorded message 1 cannot be replayed to make the responder
do work and hold a half-open session (it could never complete without the initiator's key).

The responder looks the claimed address up in its trusted set, rejects unknown addresses
before any Diffie-Hellman work, and after decrypting checks that the static key the initiator
proved possession of is exactly the one published for that address.

Message 2 (responder to initiator) is the Noise IK message 2 with an empty payload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from libra.network.errors import HandshakeError, NoiseError, UnknownPeer
from libra.network.noise import (
    DH_LENGTH,
    TAG_LENGTH,
    InitiatorHandshake,
    NetworkPrivateKey,
    ResponderHandshake,
    TransportKeys,
)
from libra.types import AccountAddress

__all__ = [
    "CLIENT_HELLO_LENGTH",
    "PROTOCOL_VERSION",
    "SERVER_HELLO_LENGTH",
    "AcceptedHello",
    "PendingHello",
    "accept_client_hello",
    "start_client_hello",
]

PROTOCOL_VERSION = 1
"""Version byte of the handshake; a responder rejects any other."""

_PROLOGUE_TAG = b"LIBRA_NET"
_TIMESTAMP_LENGTH = 8
_ADDRESS_LENGTH = AccountAddress.LENGTH

CLIENT_HELLO_LENGTH = (
    1 + _ADDRESS_LENGTH + DH_LENGTH + (DH_LENGTH + TAG_LENGTH) + (_TIMESTAMP_LENGTH + TAG_LENGTH)
)
"""Exact length of message 1."""

SERVER_HELLO_LENGTH = DH_LENGTH + TAG_LENGTH
"""Exact length of message 2."""


def _prologue(initiator: AccountAddress, responder: AccountAddress) -> bytes:
    return _PROLOGUE_TAG + bytes([PROTOCOL_VERSION]) + bytes(initiator) + bytes(responder)


@dataclass(slots=True)
class PendingHello:
    """An initiator waiting for message 2."""

    message: bytes
    """Message 1, to send."""
    _handshake: InitiatorHandshake

    def finish(self, server_hello: bytes) -> TransportKeys:
        """Process message 2; raises :class:`HandshakeError` if it does not authenticate."""
        if len(server_hello) != SERVER_HELLO_LENGTH:
            raise HandshakeError(
                f"server hello is {len(server_hello)} bytes, expected {SERVER_HELLO_LENGTH}"
            )
        try:
            payload, keys = self._handshake.read_message_2(server_hello)
        except NoiseError as exc:
            raise HandshakeError(f"server hello failed: {exc}") from exc
        if payload:
            raise HandshakeError(f"server hello carries an unexpected {len(payload)}-byte payload")
        return keys


def start_client_hello(
    self_address: AccountAddress,
    self_key: NetworkPrivateKey,
    peer_address: AccountAddress,
    peer_public_key: bytes,
    timestamp_usecs: int,
    ephemeral_key: NetworkPrivateKey,
) -> PendingHello:
    """Build message 1 for a connection to ``peer_address`` whose published network key is
    ``peer_public_key``."""
    if not 0 <= timestamp_usecs < 1 << 64:
        raise HandshakeError(f"timestamp {timestamp_usecs} does not fit in 64 bits")
    hs = InitiatorHandshake(
        self_key, peer_public_key, _prologue(self_address, peer_address), ephemeral_key
    )
    noise_msg = hs.write_message_1(timestamp_usecs.to_bytes(_TIMESTAMP_LENGTH, "little"))
    message = bytes([PROTOCOL_VERSION]) + bytes(self_address) + noise_msg
    return PendingHello(message, hs)


@dataclass(frozen=True, slots=True)
class AcceptedHello:
    """A client hello the responder accepted."""

    peer: AccountAddress
    timestamp_usecs: int
    response: bytes
    """Message 2, to send back."""
    keys: TransportKeys


def accept_client_hello(
    self_address: AccountAddress,
    self_key: NetworkPrivateKey,
    message: bytes,
    trusted_key_of: Callable[[AccountAddress], bytes | None],
    last_timestamp_of: Callable[[AccountAddress], int],
    ephemeral_key: NetworkPrivateKey,
) -> AcceptedHello:
    """Check message 1 and answer it.

    ``trusted_key_of(address)`` returns the peer's published network key, or None if it is not
    in the trusted set; ``last_timestamp_of(address)`` the last accepted handshake timestamp
    from it (0 if none). Raises :class:`UnknownPeer` or :class:`HandshakeError`.
    """
    if len(message) != CLIENT_HELLO_LENGTH:
        raise HandshakeError(
            f"client hello is {len(message)} bytes, expected {CLIENT_HELLO_LENGTH}"
        )
    if message[0] != PROTOCOL_VERSION:
        raise HandshakeError(f"unsupported protocol version {message[0]}")
    peer = AccountAddress(message[1 : 1 + _ADDRESS_LENGTH])
    expected_key = trusted_key_of(peer)
    if expected_key is None:
        raise UnknownPeer(peer.hex(), "address not in the trusted set")
    hs = ResponderHandshake(self_key, _prologue(peer, self_address), ephemeral_key)
    try:
        payload = hs.read_message_1(message[1 + _ADDRESS_LENGTH :])
    except NoiseError as exc:
        raise HandshakeError(f"client hello from {peer.hex()} failed: {exc}") from exc
    if hs.remote_static != expected_key:
        raise UnknownPeer(
            peer.hex(),
            f"static key {hs.remote_static.hex()} is not the published {expected_key.hex()}",
        )
    timestamp = int.from_bytes(payload, "little")
    last = last_timestamp_of(peer)
    if timestamp <= last:
        raise HandshakeError(
            f"client hello from {peer.hex()} replayed or stale: timestamp {timestamp} <= {last}"
        )
    response, keys = hs.write_message_2(b"")
    return AcceptedHello(peer, timestamp, response, keys)
