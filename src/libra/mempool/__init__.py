"""The mempool: admission, ordering, per-sender limits, expiry and sharing with peers.

- :mod:`libra.mempool.core`: :class:`Mempool`, the pure data structure.
- :mod:`libra.mempool.messages`: the BCS messages validators exchange.
- :mod:`libra.mempool.service`: :class:`MempoolService`, batched sharing over a transport.
- :mod:`libra.mempool.attestation`: :class:`AttestationTracker`, which lets f+1 validators,
  not all n, check the signatures of a peer's batch.
"""

from __future__ import annotations

from libra.mempool.attestation import (
    DEFAULT_ATTESTATION_TIMEOUT_SECS,
    AttestationMetrics,
    AttestationTracker,
    Role,
    batch_digest,
    designated_attestors,
)
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
    BatchAttestation,
    BroadcastTransactionsRequest,
    BroadcastTransactionsResponse,
    MempoolMessage,
)
from libra.mempool.service import MempoolService, MempoolServiceMetrics, MempoolTransport

__all__ = [
    "DEFAULT_ATTESTATION_TIMEOUT_SECS",
    "DEFAULT_CAPACITY",
    "DEFAULT_CAPACITY_PER_SENDER",
    "AdmissionResult",
    "AttestationMetrics",
    "AttestationTracker",
    "BatchAttestation",
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
    "Role",
    "batch_digest",
    "designated_attestors",
    "transaction_hash",
]
