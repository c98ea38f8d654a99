"""The errors of the validator transport: one hierarchy, each carrying the values involved."""

from __future__ import annotations

__all__ = [
    "FrameTooLarge",
    "HandshakeError",
    "NetworkClosed",
    "NetworkError",
    "NoiseError",
    "UnknownPeer",
]


class NetworkError(Exception):
    """Base of every error raised by :mod:`libra.network`."""


class NetworkClosed(NetworkError):
    """The network was closed; no more messages will be received."""


class NoiseError(NetworkError):
    """A cryptographic failure: bad key, failed authentication, nonce exhaustion."""


class HandshakeError(NetworkError):
    """A handshake that cannot complete: malformed, replayed, timed out or mismatched."""


class UnknownPeer(HandshakeError):
    """A peer whose address or network key is not in the trusted set."""

    def __init__(self, address: str, detail: str) -> None:
        super().__init__(f"peer {address} is not trusted: {detail}")
        self.address = address
        self.detail = detail


class FrameTooLarge(NetworkError):
    """A length prefix larger than the limit; the connection is closed without reading it."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"frame of {length} bytes exceeds the limit of {limit} bytes")
        self.length = length
        self.limit = limit
