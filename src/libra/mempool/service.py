"""Sharing transactions between validators' mempools.

Admission answers as Diem's shared mempool does: a transaction whose sequence number is below
the account's is a ``VM_ERROR`` with the VM status ``SEQUENCE_NUMBER_TOO_OLD`` (Diem checks it
against the account's sequence number before the core mempool, which would say
``INVALID_SEQ_NUMBER``); the other statuses are the core mempool's.

Transactions admitted from clients (:meth:`MempoolService.submit`) are collected and sent to
every other validator in batches (:class:`BroadcastTransactionsRequest`), when a batch is
full or at the next :meth:`MempoolService.flush` (the :meth:`MempoolService.run` loop calls
it every ``broadcast_interval`` seconds). A validator admits what it receives through the
same admission as client submissions and does not forward it again: on the validator
network every validator hears from the origin directly. The receiver answers with
:class:`BroadcastTransactionsResponse`; when its mempool was full (``retry``), the sender
sends the batch to that peer once more on a later flush, at most ``max_retries`` times.

Which receivers check a batch's signatures is the caller's business (the node's
``SharedMempool``): only the designated attestors do, and they tell the others with
:class:`BatchAttestation` (:meth:`MempoolService.send_attestation`; see
:mod:`libra.mempool.attestation`). The service only carries those messages.

The transport is anything with ``send(peer, bytes)`` and ``broadcast(bytes)``
(:class:`MempoolTransport`): :class:`libra.network.Network`, or an in-memory fake in tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from libra import bcs
from libra.framework.errors import StatusCode
from libra.mempool.core import AdmissionResult, Mempool, MempoolStatusCode
from libra.mempool.errors import MempoolConfigError
from libra.mempool.messages import (
    BatchAttestation,
    BroadcastTransactionsRequest,
    BroadcastTransactionsResponse,
    MempoolMessage,
)
from libra.types import AccountAddress, SignedTransaction

__all__ = ["MempoolService", "MempoolServiceMetrics", "MempoolTransport"]


class MempoolTransport(Protocol):
    """What the service needs from the network."""

    def send(self, peer: AccountAddress, message: bytes) -> bool:
        """Queue ``message`` for ``peer``; False if it cannot be sent."""
        ...

    def broadcast(self, message: bytes) -> int:
        """Queue ``message`` for every peer; returns how many accepted it."""
        ...


@dataclass(slots=True)
class MempoolServiceMetrics:
    """Counters of one service."""

    batches_broadcast: int = 0
    transactions_broadcast: int = 0
    requests_received: int = 0
    transactions_received: int = 0
    transactions_admitted_from_peers: int = 0
    responses_received: int = 0
    retries_sent: int = 0
    malformed_messages: int = 0
    unexpected_responses: int = 0
    unhandled_attestations: int = 0
    """Attestations that reached the service (the caller handles them when it attests
    batches, see :mod:`libra.mempool.attestation`)."""


@dataclass(slots=True)
class _Inflight:
    transactions: tuple[SignedTransaction, ...]
    awaiting: int
    """Peers that have not answered for good yet."""
    attempts: int = 0


class MempoolService:
    """Admission from clients and peers plus batched sharing over a transport."""

    def __init__(
        self,
        mempool: Mempool,
        transport: MempoolTransport,
        *,
        batch_size: int = 500,
        broadcast_interval: float = 0.05,
        max_retries: int = 3,
        max_inflight: int = 256,
    ) -> None:
        if batch_size <= 0 or broadcast_interval <= 0 or max_retries < 0 or max_inflight <= 0:
            raise MempoolConfigError(
                f"invalid service settings: batch_size={batch_size}, "
                f"broadcast_interval={broadcast_interval}, max_retries={max_retries}, "
                f"max_inflight={max_inflight}"
            )
        self.mempool = mempool
        self._transport = transport
        self.batch_size = batch_size
        self.broadcast_interval = broadcast_interval
        self.max_retries = max_retries
        self.max_inflight = max_inflight
        self._outbox: list[SignedTransaction] = []
        self._inflight: OrderedDict[bytes, _Inflight] = OrderedDict()
        self._retry_queue: deque[tuple[AccountAddress, bytes]] = deque()
        self._request_prefix = os.urandom(8)
        """Request ids are this prefix and a counter: a restarted validator's counter starts
        over, and its new batches must not be mistaken for old ones still pending at peers."""
        self._next_request = 0
        self.metrics = MempoolServiceMetrics()

    # -----------------------------------------------------------------------------------------
    # Local submissions

    def submit(self, txn: SignedTransaction, encoded: bytes | None = None) -> AdmissionResult:
        """Admit a client's transaction; newly admitted ones are queued for broadcast."""
        result = self._add(txn, encoded)
        if result.inserted:
            self._outbox.append(txn)
            if len(self._outbox) >= self.batch_size:
                self._broadcast_outbox()
        return result

    def _add(self, txn: SignedTransaction, encoded: bytes | None = None) -> AdmissionResult:
        """The mempool's admission, with a sequence number below the account's reported as
        Diem reports it: the VM status ``SEQUENCE_NUMBER_TOO_OLD``."""
        result = self.mempool.add(txn, encoded)
        if result.code is MempoolStatusCode.INVALID_SEQ_NUMBER:
            return AdmissionResult(
                MempoolStatusCode.VM_ERROR, result.detail, StatusCode.SEQUENCE_NUMBER_TOO_OLD
            )
        return result

    def flush(self) -> int:
        """Broadcast everything queued and resend batches peers asked to retry. Returns the
        number of messages handed to the transport."""
        sent = 0
        while self._outbox:
            sent += self._broadcast_outbox()
        while self._retry_queue:
            peer, request_id = self._retry_queue.popleft()
            inflight = self._inflight.get(request_id)
            if inflight is None:
                continue
            message = bcs.encode(BroadcastTransactionsRequest(request_id, inflight.transactions))
            if self._transport.send(peer, message):
                self.metrics.retries_sent += 1
                sent += 1
        return sent

    def _broadcast_outbox(self) -> int:
        batch = tuple(self._outbox[: self.batch_size])
        del self._outbox[: self.batch_size]
        self._next_request += 1
        request_id = self._request_prefix + self._next_request.to_bytes(8, "little")
        peers = self._transport.broadcast(
            bcs.encode(BroadcastTransactionsRequest(request_id, batch))
        )
        if peers > 0:
            self._inflight[request_id] = _Inflight(batch, peers)
            while len(self._inflight) > self.max_inflight:
                self._inflight.popitem(last=False)
        self.metrics.batches_broadcast += 1
        self.metrics.transactions_broadcast += len(batch)
        return 1

    async def run(self, stopped: asyncio.Event) -> None:
        """Flush every ``broadcast_interval`` seconds until ``stopped`` is set."""
        while not stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), self.broadcast_interval)
            self.flush()

    # -----------------------------------------------------------------------------------------
    # Peer messages

    def handle_message(self, peer: AccountAddress, data: bytes) -> None:
        """Process one mempool message from ``peer``; malformed ones are counted and dropped."""
        message = self.decode_message(data)
        if message is not None:
            self.handle_decoded(peer, message)

    def decode_message(self, data: bytes) -> MempoolMessage | None:
        """A peer's message, or None (counted) if it is malformed. Touches nothing else, so a
        caller may decode (and check signatures) before taking the lock it handles under."""
        try:
            message: MempoolMessage = bcs.decode(MempoolMessage, data)
        except bcs.DecodeError:
            self.metrics.malformed_messages += 1
            return None
        return message

    def handle_decoded(self, peer: AccountAddress, message: MempoolMessage) -> None:
        """Process a message :meth:`decode_message` returned."""
        if isinstance(message, BroadcastTransactionsRequest):
            self._on_request(peer, message)
        elif isinstance(message, BroadcastTransactionsResponse):
            self._on_response(peer, message)
        elif isinstance(message, BatchAttestation):
            self.metrics.unhandled_attestations += 1

    def send_attestation(
        self, peers: Sequence[AccountAddress], attestation: BatchAttestation
    ) -> int:
        """Send ``attestation`` to each of ``peers``; returns how many accepted it."""
        if not peers:
            return 0
        data = bcs.encode(attestation)
        return sum(self._transport.send(p, data) for p in peers)

    def _on_request(self, peer: AccountAddress, request: BroadcastTransactionsRequest) -> None:
        self.metrics.requests_received += 1
        self.metrics.transactions_received += len(request.transactions)
        full = False
        for txn in request.transactions:
            result = self._add(txn)
            if result.inserted:
                self.metrics.transactions_admitted_from_peers += 1
            elif result.code in (
                MempoolStatusCode.MEMPOOL_IS_FULL,
                MempoolStatusCode.TOO_MANY_TRANSACTIONS,
            ):
                full = True
        response = BroadcastTransactionsResponse(request.request_id, retry=full, backoff=full)
        self._transport.send(peer, bcs.encode(response))

    def _on_response(self, peer: AccountAddress, response: BroadcastTransactionsResponse) -> None:
        self.metrics.responses_received += 1
        inflight = self._inflight.get(response.request_id)
        if inflight is None:
            self.metrics.unexpected_responses += 1
            return
        if response.retry and inflight.attempts < self.max_retries:
            inflight.attempts += 1
            self._retry_queue.append((peer, response.request_id))
            return
        inflight.awaiting -= 1
        if inflight.awaiting <= 0:
            del self._inflight[response.request_id]

    @property
    def inflight_batches(self) -> int:
        """Broadcast batches some peer has not answered for good yet."""
        return len(self._inflight)
