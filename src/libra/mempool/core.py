"""The mempool: pending transactions, their admission and the order a proposer takes them in.

Admission (:meth:`Mempool.add`) runs the cheap checks first, then the prologue check passed in
as ``validate`` (signature, chain id, expiry, balance, frozen account: the state machine's
business), and answers with one of Diem's mempool status codes:

- an identical transaction already pending is accepted again without change (idempotent);
- a sequence number below the account's current one is ``INVALID_SEQ_NUMBER`` (which
  :class:`~libra.mempool.service.MempoolService` reports as Diem's shared mempool does: the VM
  status ``SEQUENCE_NUMBER_TOO_OLD``);
- the same (sender, sequence number) replaces the pending one only with a strictly higher gas
  unit price, otherwise ``INVALID_UPDATE``;
- a full mempool (capacity, Diem's default 1,000,000) is ``MEMPOOL_IS_FULL``, a sender with
  ``capacity_per_sender`` (100) pending transactions is ``TOO_MANY_TRANSACTIONS``;
- a status from ``validate`` is ``VM_ERROR`` carrying that status.

Ordering: a transaction is *ready* when every sequence number from the account's current one
up to its own is pending (the contiguous prefix); only ready transactions are proposed. Ready
transactions are ordered by gas unit price (higher first), then arrival; a transaction whose
predecessor has lower priority waits for it and follows it immediately, so a batch never
contains a transaction without its predecessor. Data structures: a dict by hash, per sender a
dict by sequence number, a heap of ready transactions and a heap of expiration times, both
with lazy deletion (entries carry a generation number), so admission and removal are
O(log n) and a batch of k costs O(k log n).
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from libra.crypto import CryptoHasher, HashValue
from libra.mempool.errors import MempoolConfigError
from libra.types import AccountAddress, SignedTransaction

__all__ = [
    "DEFAULT_CAPACITY",
    "DEFAULT_CAPACITY_PER_SENDER",
    "AdmissionResult",
    "Mempool",
    "MempoolStatusCode",
    "transaction_hash",
]

DEFAULT_CAPACITY = 1_000_000
"""Diem's default mempool capacity (transactions)."""

DEFAULT_CAPACITY_PER_SENDER = 100
"""Diem's default limit of pending transactions per sender."""

_TXN_HASHER = CryptoHasher("Transaction")


def transaction_hash(encoded_signed_txn: bytes) -> HashValue:
    """The hash of a user transaction from its BCS bytes (``Transaction::UserTransaction``),
    equal to ``SignedTransaction.hash()`` without re-encoding."""
    return _TXN_HASHER.hash(b"\x00" + encoded_signed_txn)


class MempoolStatusCode(enum.IntEnum):
    """Diem's mempool status codes (as the JSON-RPC ``submit`` error reports them)."""

    ACCEPTED = 0
    UNKNOWN = 1
    MEMPOOL_IS_FULL = 2
    TOO_MANY_TRANSACTIONS = 3
    INVALID_SEQ_NUMBER = 4
    INVALID_UPDATE = 5
    VM_ERROR = 6


@dataclass(frozen=True, slots=True)
class AdmissionResult:
    """The answer to one admission."""

    code: MempoolStatusCode
    detail: str = ""
    vm_status: object | None = None
    """What ``validate`` returned, for ``VM_ERROR``."""
    inserted: bool = False
    """True when the transaction was added (or replaced a pending one)."""

    @property
    def accepted(self) -> bool:
        return self.code is MempoolStatusCode.ACCEPTED


_DUPLICATE = AdmissionResult(MempoolStatusCode.ACCEPTED, "already pending", None, False)
_INSERTED = AdmissionResult(MempoolStatusCode.ACCEPTED, "", None, True)


class _Entry:
    """A pending transaction and its bookkeeping."""

    __slots__ = (
        "arrival",
        "expiration",
        "gas_price",
        "gen",
        "hash",
        "live",
        "ready",
        "sender",
        "seq",
        "size",
        "txn",
    )

    def __init__(
        self, txn: SignedTransaction, txn_hash: HashValue, size: int, arrival: int
    ) -> None:
        raw = txn.raw_txn
        self.txn = txn
        self.hash = txn_hash
        self.sender: AccountAddress = raw.sender
        self.seq: int = raw.sequence_number
        self.gas_price: int = raw.gas_unit_price
        self.expiration: int = raw.expiration_timestamp_secs
        self.size = size
        self.arrival = arrival
        self.ready = False
        self.gen = 0
        self.live = True


class _Account:
    __slots__ = ("next_seq", "txns")

    def __init__(self, next_seq: int) -> None:
        self.next_seq = next_seq
        """The account's current sequence number as the mempool knows it."""
        self.txns: dict[int, _Entry] = {}


_ReadyItem = tuple[int, int, int, _Entry]
_ExpiryItem = tuple[int, int, _Entry]


class Mempool:
    """Pending transactions of one validator (a pure data structure; no I/O, no clock).

    ``validate(txn)`` is the prologue check: None when the transaction may be admitted,
    otherwise a status saying why not. ``sequence_number_of(address)`` returns an account's
    current (committed) sequence number; it is asked when a sender with no pending
    transaction appears. ``on_insert(hash)``, if given, is told of every transaction admitted
    (it passed ``validate``), with the hash the mempool computed anyway.
    """

    def __init__(
        self,
        validate: Callable[[SignedTransaction], object | None],
        sequence_number_of: Callable[[AccountAddress], int],
        *,
        capacity: int = DEFAULT_CAPACITY,
        capacity_per_sender: int = DEFAULT_CAPACITY_PER_SENDER,
        on_insert: Callable[[HashValue], None] | None = None,
    ) -> None:
        if capacity <= 0 or capacity_per_sender <= 0:
            raise MempoolConfigError(
                f"capacities must be positive: {capacity}, {capacity_per_sender}"
            )
        self._validate = validate
        self._on_insert = on_insert
        self._sequence_number_of = sequence_number_of
        self.capacity = capacity
        self.capacity_per_sender = capacity_per_sender
        self._by_hash: dict[HashValue, _Entry] = {}
        self._accounts: dict[AccountAddress, _Account] = {}
        self._ready: list[_ReadyItem] = []
        self._ready_count = 0
        self._expiry: list[_ExpiryItem] = []
        self._arrivals = 0
        self.status_counts: dict[MempoolStatusCode, int] = dict.fromkeys(MempoolStatusCode, 0)
        """How many admissions ended with each status (metrics)."""

    # -----------------------------------------------------------------------------------------
    # Queries

    def __len__(self) -> int:
        return len(self._by_hash)

    def __contains__(self, txn_hash: object) -> bool:
        return txn_hash in self._by_hash

    def get(self, txn_hash: HashValue) -> SignedTransaction | None:
        """The pending transaction with this hash, if any."""
        entry = self._by_hash.get(txn_hash)
        return entry.txn if entry is not None else None

    @property
    def ready_count(self) -> int:
        """How many pending transactions are ready (in their account's contiguous prefix)."""
        return self._ready_count

    def sender_count(self, sender: AccountAddress) -> int:
        """How many transactions of ``sender`` are pending."""
        acct = self._accounts.get(sender)
        return len(acct.txns) if acct is not None else 0

    def pending_sequence_numbers(self, sender: AccountAddress) -> list[int]:
        """The sorted sequence numbers of ``sender``'s pending transactions."""
        acct = self._accounts.get(sender)
        return sorted(acct.txns) if acct is not None else []

    def known_sequence_number(self, sender: AccountAddress) -> int | None:
        """The account sequence number the mempool works from, if it tracks the sender."""
        acct = self._accounts.get(sender)
        return acct.next_seq if acct is not None else None

    def is_ready(self, txn_hash: HashValue) -> bool:
        entry = self._by_hash.get(txn_hash)
        return entry is not None and entry.ready

    # -----------------------------------------------------------------------------------------
    # Admission

    def add(self, txn: SignedTransaction, encoded: bytes | None = None) -> AdmissionResult:
        """Admit ``txn`` (``encoded``: its BCS bytes, if the caller has them)."""
        result = self._add(txn, encoded)
        self.status_counts[result.code] += 1
        return result

    def _add(self, txn: SignedTransaction, encoded: bytes | None) -> AdmissionResult:
        if encoded is None:
            encoded = txn.encoded()
        txn_hash = txn.hash()
        if txn_hash in self._by_hash:
            return _DUPLICATE
        raw = txn.raw_txn
        sender = raw.sender
        seq = raw.sequence_number
        acct = self._accounts.get(sender)
        next_seq = acct.next_seq if acct is not None else self._sequence_number_of(sender)
        if seq < next_seq:
            return AdmissionResult(
                MempoolStatusCode.INVALID_SEQ_NUMBER,
                f"sequence number {seq} is below the account's {next_seq}",
            )
        existing = acct.txns.get(seq) if acct is not None else None
        if existing is not None:
            if raw.gas_unit_price <= existing.gas_price:
                return AdmissionResult(
                    MempoolStatusCode.INVALID_UPDATE,
                    f"replacing sequence number {seq} needs a gas unit price above "
                    f"{existing.gas_price}, got {raw.gas_unit_price}",
                )
        else:
            if len(self._by_hash) >= self.capacity:
                return AdmissionResult(
                    MempoolStatusCode.MEMPOOL_IS_FULL,
                    f"mempool holds {len(self._by_hash)} of {self.capacity} transactions",
                )
            pending = len(acct.txns) if acct is not None else 0
            if pending >= self.capacity_per_sender:
                return AdmissionResult(
                    MempoolStatusCode.TOO_MANY_TRANSACTIONS,
                    f"sender {sender.hex()} has {pending} pending transactions, "
                    f"the limit is {self.capacity_per_sender}",
                )
        status = self._validate(txn)
        if status is not None:
            return AdmissionResult(MempoolStatusCode.VM_ERROR, f"rejected: {status}", status)
        if self._on_insert is not None:
            self._on_insert(txn_hash)
        if acct is None:
            acct = self._accounts[sender] = _Account(next_seq)
        self._arrivals += 1
        entry = _Entry(txn, txn_hash, len(encoded), self._arrivals)
        self._by_hash[txn_hash] = entry
        acct.txns[seq] = entry
        heapq.heappush(self._expiry, (entry.expiration, entry.arrival, entry))
        if existing is not None:
            del self._by_hash[existing.hash]
            existing.live = False
            if existing.ready:
                self._ready_count -= 1
                self._mark_ready(entry)
        elif seq == acct.next_seq or ((prev := acct.txns.get(seq - 1)) is not None and prev.ready):
            self._promote(acct, seq)
        return _INSERTED

    # -----------------------------------------------------------------------------------------
    # Removal

    def commit(self, committed: Iterable[tuple[AccountAddress, int]]) -> int:
        """Forget committed transactions ``(sender, sequence number)`` and every older one of
        the same sender; the account's sequence number moves past them. Returns how many
        pending transactions were removed."""
        removed = 0
        for sender, seq in committed:
            acct = self._accounts.get(sender)
            if acct is None:
                continue
            if seq + 1 > acct.next_seq:
                acct.next_seq = seq + 1
            for s in [s for s in acct.txns if s <= seq]:
                self._remove(acct.txns[s], acct, cascade=False)
                removed += 1
            if acct.txns:
                self._promote(acct, acct.next_seq)
            else:
                del self._accounts[sender]
        self._maybe_compact()
        return removed

    def reject(self, txn_hash: HashValue) -> bool:
        """Remove a transaction that failed execution; its successors stop being ready until
        the gap is filled again. Returns whether it was pending."""
        entry = self._by_hash.get(txn_hash)
        if entry is None:
            return False
        self._remove(entry, self._accounts[entry.sender], cascade=True)
        self._maybe_compact()
        return True

    def gc_expired(self, now_secs: int) -> int:
        """Remove every transaction whose ``expiration_timestamp_secs`` is at or before
        ``now_secs`` (the prologue accepts only ``now < expiration``). Returns the count."""
        removed = 0
        expiry = self._expiry
        while expiry and expiry[0][0] <= now_secs:
            _, _, entry = heapq.heappop(expiry)
            if entry.live:
                self._remove(entry, self._accounts[entry.sender], cascade=True)
                removed += 1
        self._maybe_compact()
        return removed

    def _remove(self, entry: _Entry, acct: _Account, *, cascade: bool) -> None:
        del self._by_hash[entry.hash]
        del acct.txns[entry.seq]
        entry.live = False
        if entry.ready:
            entry.ready = False
            self._ready_count -= 1
            if cascade:
                s = entry.seq + 1
                while (nxt := acct.txns.get(s)) is not None and nxt.ready:
                    nxt.ready = False
                    nxt.gen += 1
                    self._ready_count -= 1
                    s += 1
        if cascade and not acct.txns:
            del self._accounts[entry.sender]

    # -----------------------------------------------------------------------------------------
    # Readiness

    def _mark_ready(self, entry: _Entry) -> None:
        entry.ready = True
        entry.gen += 1
        self._ready_count += 1
        heapq.heappush(self._ready, (-entry.gas_price, entry.arrival, entry.gen, entry))

    def _promote(self, acct: _Account, start: int) -> None:
        s = start
        txns = acct.txns
        while (entry := txns.get(s)) is not None:
            if not entry.ready:
                self._mark_ready(entry)
            s += 1

    def _maybe_compact(self) -> None:
        """Drop stale heap items once they outnumber the live ones."""
        if len(self._ready) > 2 * self._ready_count + 1024:
            self._ready = [
                item
                for item in self._ready
                if item[3].live and item[3].ready and item[3].gen == item[2]
            ]
            heapq.heapify(self._ready)
        if len(self._expiry) > 2 * len(self._by_hash) + 1024:
            self._expiry = [item for item in self._expiry if item[2].live]
            heapq.heapify(self._expiry)

    # -----------------------------------------------------------------------------------------
    # Proposing

    def get_batch(
        self,
        max_txns: int,
        max_bytes: int,
        exclude: AbstractSet[HashValue] = frozenset(),
    ) -> list[SignedTransaction]:
        """Up to ``max_txns`` ready transactions totalling at most ``max_bytes`` (BCS sizes),
        skipping ``exclude`` (transactions already in pending blocks, whose successors then
        count as ready). Per sender the batch follows sequence order from the account's
        current sequence number; across senders higher gas price first, then arrival."""
        batch: list[SignedTransaction] = []
        if max_txns <= 0:
            return batch
        heap = self._ready
        popped: list[_ReadyItem] = []
        frontier: dict[AccountAddress, int] = {}
        parked: dict[AccountAddress, dict[int, _Entry]] = {}
        size = 0
        full = False
        while heap and not full:
            item = heapq.heappop(heap)
            entry = item[3]
            if not entry.live or not entry.ready or entry.gen != item[2]:
                continue  # stale: drop it for good
            popped.append(item)
            if entry.hash in exclude:
                continue
            sender = entry.sender
            acct = self._accounts[sender]
            f = frontier.get(sender)
            if f is None:
                f = self._skip_excluded(acct, acct.next_seq, exclude)
                frontier[sender] = f
            if entry.seq > f:
                parked.setdefault(sender, {})[entry.seq] = entry
                continue
            if entry.seq < f:
                continue
            current: _Entry | None = entry
            while current is not None:
                if size + current.size > max_bytes:
                    full = True
                    break
                batch.append(current.txn)
                size += current.size
                f = self._skip_excluded(acct, current.seq + 1, exclude)
                frontier[sender] = f
                if len(batch) >= max_txns:
                    full = True
                    break
                waiting = parked.get(sender)
                current = waiting.pop(f, None) if waiting else None
        for item in popped:
            heapq.heappush(heap, item)
        return batch

    @staticmethod
    def _skip_excluded(acct: _Account, seq: int, exclude: AbstractSet[HashValue]) -> int:
        txns = acct.txns
        while (entry := txns.get(seq)) is not None and entry.hash in exclude:
            seq += 1
        return seq
