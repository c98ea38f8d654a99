"""The mempool: admission, ordering, per-sender limits, expiry and sharing with peers.

- :mod:`libra.mempool.core`: :class:`Mempool`, the pure data structure.
- :mod:`libra.mempool.messages`: the BCS messages validators exchange.
- :mod:`libra.mempool.service`: :class:`MempoolService`, batched sharing over a transport.
"""

from __future__ import annotations

from libra.mempool.core import (
    DEFAULT_CAPACITY,
    DEFAULT_CAPACITY_PER_SENDER,
    AdmissionResult,
    Mempool,
    MempoolStatusCode,
    transaction_hash,
)
from libra.mempool.errors import MempoolConfigError, MempoolError
from libra.mempool.messages import (
    BroadcastTransactionsRequest,
    BroadcastTransactionsResponse,
    MempoolMessage,
)
from libra.mempool.service import MempoolService, MempoolServiceMetrics, MempoolTransport

__all__ = [
    "DEFAULT_CAPACITY",
    "DEFAULT_CAPACITY_PER_SENDER",
    "AdmissionResult",
    "BroadcastTransactionsRequest",
    "BroadcastTransactionsResponse",
    "Mempool",
    "MempoolConfigError",
    "MempoolError",
    "MempoolMessage",
    "MempoolService",
    "MempoolServiceMetrics",
    "MempoolStatusCode",
    "MempoolTransport",
    "transaction_hash",
]
