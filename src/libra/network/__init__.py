"""Authenticated, encrypted transport between validators.

- :mod:`libra.network.noise`: the Noise IK handshake and transport ciphers (pure).
- :mod:`libra.network.handshake`: the validator handshake over Noise IK (trusted set,
  anti-replay timestamps).
- :mod:`libra.network.transport`: :class:`Network`, asyncio TCP with framing, size limits,
  reconnection with backoff, per-peer bounded queues and coalesced writes.

Messages are opaque bytes; consensus and mempool define their own BCS message enums.
"""

from __future__ import annotations

from libra.network.errors import (
    FrameTooLarge,
    HandshakeError,
    NetworkClosed,
    NetworkError,
    NoiseError,
    UnknownPeer,
)
from libra.network.noise import NetworkPrivateKey
from libra.network.transport import (
    Network,
    NetworkConfig,
    NetworkMetrics,
    PeerInfo,
    backoff_delay,
)

__all__ = [
    "FrameTooLarge",
    "HandshakeError",
    "Network",
    "NetworkClosed",
    "NetworkConfig",
    "NetworkError",
    "NetworkMetrics",
    "NetworkPrivateKey",
    "NoiseError",
    "PeerInfo",
    "UnknownPeer",
    "backoff_delay",
]
