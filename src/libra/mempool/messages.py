"""Mempool messages between validators (BCS), modelled on Diem's ``MempoolSyncMsg``."""

from __future__ import annotations

from libra import bcs
from libra.crypto import HashValue
from libra.types import AccountAddress, SignedTransaction

__all__ = [
    "BatchAttestation",
    "BroadcastTransactionsRequest",
    "BroadcastTransactionsResponse",
    "MempoolMessage",
]


class MempoolMessage(bcs.Enum):
    """A message of the mempool's sharing protocol."""

    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class BroadcastTransactionsRequest(MempoolMessage):
    """A batch of transactions the sender admitted, for the receiver to admit too."""

    request_id: bytes
    transactions: tuple[SignedTransaction, ...]


@bcs.variant(1)
@bcs.struct
class BroadcastTransactionsResponse(MempoolMessage):
    """The receiver's acknowledgement. ``retry``: some transactions could not be admitted for
    lack of room and may be sent again later; ``backoff``: the receiver's mempool is full,
    slow down."""

    request_id: bytes
    retry: bool
    backoff: bool


@bcs.variant(2)
@bcs.struct
class BatchAttestation(MempoolMessage):
    """A designated attestor checked every signature of ``author``'s batch ``request_id``
    (whose :func:`libra.mempool.attestation.batch_digest` is ``digest``) and found them all
    valid (see :mod:`libra.mempool.attestation`)."""

    author: AccountAddress
    request_id: bytes
    digest: HashValue
