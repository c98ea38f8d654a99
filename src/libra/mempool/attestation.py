"""Attested batches: each peer batch's signatures are checked by f+1 validators, not all n.

A batch (:class:`BroadcastTransactionsRequest`) comes from its *author* A over the
authenticated validator transport, and A only broadcasts transactions it admitted, that is
whose signatures it checked: A vouches for the batch. For each author, the *designated
attestors* are the validators that follow A in the epoch's validator order (sorted by
address, wrapping), as many as needed for A and them together to hold more than one third
of the voting power (with equal power: f of 3f+1). Fewer than a third of the power is
byzantine, so once A and attestors holding that much vouch for the same batch, one of them
is honest and the batch's signatures are valid.

- A designated attestor checks every signature of the batch. When all are valid it sends
  :class:`BatchAttestation` (author, request id, :func:`batch_digest`) to the validators that
  are neither A nor designated attestors of A (those check the batch themselves).
- Every other validator holds the batch as *pending* until attestations with the batch's
  digest from enough distinct designated attestors have arrived (before or after the batch),
  then admits it without checking signatures. An attestation from a validator that is not a
  designated attestor of that author, or with another digest, does not count (dropped).
- A pending batch not attested within ``timeout_secs`` is checked by the receiver itself
  (the liveness fallback: an attestor is down, or the batch has a bad signature and its
  honest attestor stayed silent).
- Without a validator set, for an author outside it, or when the receiver is not in it,
  every batch is checked by the receiver (:attr:`Role.VERIFY`), as without attestations.

:class:`AttestationTracker` decides and keeps the state; it does no I/O and reads no clock
(``now`` is passed in, in seconds). Memory is bounded: at most ``max_pending_per_author``
pending batches per author and ``max_attestations_per_attestor`` unmatched attestations per
attestor. An author's oldest pending batch beyond the bound is not dropped: it goes to the
fallback at once (the next :meth:`AttestationTracker.expire` returns it), as does a pending
batch that its author replaces with another under the same request id. The oldest unmatched
attestation beyond the bound is dropped (counted).
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

from libra.crypto import CryptoHasher, HashValue
from libra.mempool.errors import MempoolConfigError
from libra.mempool.messages import BatchAttestation, BroadcastTransactionsRequest
from libra.types import AccountAddress, SignedTransaction

__all__ = [
    "DEFAULT_ATTESTATION_TIMEOUT_SECS",
    "AttestationMetrics",
    "AttestationTracker",
    "Role",
    "batch_digest",
    "designated_attestors",
]

DEFAULT_ATTESTATION_TIMEOUT_SECS = 0.3
_MAX_REQUEST_ID = 64
"""Longer request ids are not tracked (a batch with one is checked by the receiver)."""
_BATCH_HASHER = CryptoHasher("MempoolBatchAttestation")

_Key = tuple[AccountAddress, bytes]


def batch_digest(transactions: Iterable[SignedTransaction]) -> HashValue:
    """The domain-separated SHA3-256 of the batch's transaction hashes, in order."""
    return _BATCH_HASHER.hash(b"".join(t.hash() for t in transactions))


def designated_attestors(
    author: AccountAddress, voting_power: Mapping[AccountAddress, int]
) -> tuple[AccountAddress, ...]:
    """The validators after ``author`` in address order (wrapping) that, with it, first hold
    more than a third of the total voting power. Empty when the author alone does."""
    total = sum(voting_power.values())
    order = sorted(voting_power)
    start = order.index(author)
    power = voting_power[author]
    out: list[AccountAddress] = []
    for i in range(1, len(order)):
        if 3 * power > total:
            break
        v = order[(start + i) % len(order)]
        out.append(v)
        power += voting_power[v]
    return tuple(out)


class Role(enum.Enum):
    """What the receiver of a batch does with it (:meth:`AttestationTracker.on_batch`)."""

    VERIFY = "verify"
    """Check every signature and admit the valid ones (no attestation involved)."""
    ATTEST = "attest"
    """A designated attestor: check every signature, admit the valid ones, and when all are
    valid send :meth:`AttestationTracker.attestation` to its recipients."""
    ADMIT = "admit"
    """Attested already: admit every transaction without checking signatures."""
    PENDING = "pending"
    """Held; it comes back from :meth:`AttestationTracker.on_attestation` (admit it without
    checking) or :meth:`AttestationTracker.expire` (check it)."""


@dataclass(slots=True)
class AttestationMetrics:
    """Counters of one tracker."""

    signatures_verified: int = 0
    """Signatures of peer batches this validator checked (kept by the caller)."""
    batches_verified: int = 0
    """Batches checked as without attestations (:attr:`Role.VERIFY`)."""
    batches_checked_as_attestor: int = 0
    batches_admitted_by_attestation: int = 0
    batches_admitted_by_fallback: int = 0
    """Pending batches that timed out and were checked by this validator."""
    attestations_sent: int = 0
    """Attestation messages handed to the transport (kept by the caller)."""
    attestations_withheld: int = 0
    """Batches this validator checked as attestor and did not attest (a bad signature)."""
    attestations_received: int = 0
    attestations_dropped: int = 0
    """Received attestations that do not count: not from a designated attestor of the
    author, another digest, or about this validator's own batches."""
    attestations_late: int = 0
    """Attestations of a batch already admitted (ignored)."""
    attestations_evicted: int = 0
    """Unmatched attestations dropped for room."""
    pending_batches_overflowed: int = 0
    """Pending batches handed to the fallback early: beyond the bound per author, or replaced
    by another batch with the same request id."""

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class _Pending:
    author: AccountAddress
    request: BroadcastTransactionsRequest
    digest: HashValue
    deadline: float
    power: int
    """The voting power of the author and the attestors that attested so far."""
    attested: set[AccountAddress] = field(default_factory=set)


class AttestationTracker:
    """The attestation state of one validator ``me`` (None: not a validator; every batch is
    checked by the receiver). Call :meth:`set_validators` when an epoch starts."""

    def __init__(
        self,
        me: AccountAddress | None,
        *,
        timeout_secs: float = DEFAULT_ATTESTATION_TIMEOUT_SECS,
        max_pending_per_author: int = 64,
        max_attestations_per_attestor: int = 1024,
        max_done: int = 4096,
    ) -> None:
        if (
            timeout_secs < 0
            or max_pending_per_author <= 0
            or max_attestations_per_attestor <= 0
            or max_done <= 0
        ):
            raise MempoolConfigError(
                f"invalid attestation settings: timeout_secs={timeout_secs}, "
                f"max_pending_per_author={max_pending_per_author}, "
                f"max_attestations_per_attestor={max_attestations_per_attestor}, "
                f"max_done={max_done}"
            )
        self.me = me
        self.timeout_secs = timeout_secs
        self.max_pending_per_author = max_pending_per_author
        self.max_attestations_per_attestor = max_attestations_per_attestor
        self.max_done = max_done
        self.metrics = AttestationMetrics()
        self._power: dict[AccountAddress, int] = {}
        self._total = 0
        self._attestors: dict[AccountAddress, tuple[AccountAddress, ...]] = {}
        self._recipients: dict[AccountAddress, tuple[AccountAddress, ...]] = {}
        self._pending: dict[AccountAddress, OrderedDict[bytes, _Pending]] = {}
        self._pending_count = 0
        self._early: dict[AccountAddress, OrderedDict[_Key, HashValue]] = {}
        self._early_count = 0
        self._stale: list[tuple[AccountAddress, BroadcastTransactionsRequest]] = []
        """Batches for the fallback without waiting for their time (pending when the validator
        set changed, or overflowed): the next :meth:`expire` returns them."""
        self._done: OrderedDict[_Key, HashValue] = OrderedDict()
        """The digests of recently admitted batches (attested, or timed out), whose
        attestations arriving later are ignored rather than kept."""

    # -----------------------------------------------------------------------------------------
    # The validator set

    @property
    def active(self) -> bool:
        """Whether batches may be admitted on attestations (a validator set that has this
        validator and others)."""
        return bool(self._attestors)

    def set_validators(self, voting_power: Mapping[AccountAddress, int] | None) -> None:
        """The epoch's validators and their voting power (None: unknown). A change forgets
        unmatched attestations and makes every pending batch time out at the next
        :meth:`expire` (their attestors were those of the previous set)."""
        power = {a: p for a, p in (voting_power or {}).items() if p > 0}
        if power == self._power:
            return
        self._power = power
        self._total = sum(power.values())
        self._attestors = {}
        self._recipients = {}
        if self.me is not None and self.me in power and len(power) > 1:
            for author in power:
                d = designated_attestors(author, power)
                self._attestors[author] = d
                skip = {author, self.me, *d}
                self._recipients[author] = tuple(v for v in sorted(power) if v not in skip)
        self._early.clear()
        self._early_count = 0
        for author, batches in self._pending.items():
            self._stale.extend((author, p.request) for p in batches.values())
        self._pending.clear()
        self._pending_count = 0

    def attestors(self, author: AccountAddress) -> tuple[AccountAddress, ...]:
        """The designated attestors of ``author``'s batches (empty when not active)."""
        return self._attestors.get(author, ())

    # -----------------------------------------------------------------------------------------
    # Batches

    def on_batch(
        self, author: AccountAddress, request: BroadcastTransactionsRequest, now: float
    ) -> Role:
        """What to do with ``author``'s batch (authenticated by the transport)."""
        attestors = self._attestors.get(author)
        if (
            attestors is None
            or author == self.me
            or len(request.request_id) > _MAX_REQUEST_ID
            or not request.transactions
        ):
            self.metrics.batches_verified += 1
            return Role.VERIFY
        if self.me in attestors:
            self.metrics.batches_checked_as_attestor += 1
            return Role.ATTEST
        rid = request.request_id
        key = (author, rid)
        digest = batch_digest(request.transactions)
        pending = _Pending(author, request, digest, now + self.timeout_secs, self._power[author])
        for a in attestors:
            early = self._early.get(a)
            seen = early.pop(key, None) if early is not None else None
            if seen is None:
                continue
            self._early_count -= 1
            if seen == digest:
                pending.attested.add(a)
                pending.power += self._power[a]
            else:
                self.metrics.attestations_dropped += 1
        if self._enough(pending.power):
            self._finish(key, digest)
            self.metrics.batches_admitted_by_attestation += 1
            return Role.ADMIT
        batches = self._pending.setdefault(author, OrderedDict())
        old = batches.pop(rid, None)
        if old is not None:
            self._pending_count -= 1
            if old.digest == digest:  # the same batch again: keep what it gathered
                pending = old
            else:
                self._overflow(author, old)
        batches[rid] = pending
        self._pending_count += 1
        while len(batches) > self.max_pending_per_author:
            self._pending_count -= 1
            self._overflow(author, batches.popitem(last=False)[1])
        return Role.PENDING

    def attestation(
        self, author: AccountAddress, request: BroadcastTransactionsRequest
    ) -> tuple[BatchAttestation, tuple[AccountAddress, ...]]:
        """The attestation of a batch this validator checked as a designated attestor, and
        the validators to send it to."""
        message = BatchAttestation(author, request.request_id, batch_digest(request.transactions))
        return message, self._recipients.get(author, ())

    def withheld(self) -> None:
        """Record that a batch checked as attestor had a bad signature (no attestation)."""
        self.metrics.attestations_withheld += 1

    def on_attestation(
        self, sender: AccountAddress, attestation: BatchAttestation
    ) -> list[tuple[AccountAddress, BroadcastTransactionsRequest]]:
        """Takes ``sender``'s attestation; returns the batches it completes (author, batch),
        to admit without checking their signatures."""
        self.metrics.attestations_received += 1
        author = attestation.author
        rid = attestation.request_id
        attestors = self._attestors.get(author, ())
        if sender not in attestors or self.me in attestors or author == self.me:
            self.metrics.attestations_dropped += 1
            return []
        key = (author, rid)
        batches = self._pending.get(author)
        pending = batches.get(rid) if batches is not None else None
        if pending is None:
            if self._done.get(key) == attestation.digest:
                self.metrics.attestations_late += 1
                return []
            if len(rid) > _MAX_REQUEST_ID:
                self.metrics.attestations_dropped += 1
                return []
            early = self._early.setdefault(sender, OrderedDict())
            if key not in early:
                self._early_count += 1
            early[key] = attestation.digest
            early.move_to_end(key)
            while len(early) > self.max_attestations_per_attestor:
                early.popitem(last=False)
                self._early_count -= 1
                self.metrics.attestations_evicted += 1
            return []
        if attestation.digest != pending.digest or sender in pending.attested:
            self.metrics.attestations_dropped += 1
            return []
        pending.attested.add(sender)
        pending.power += self._power[sender]
        if not self._enough(pending.power):
            return []
        assert batches is not None
        del batches[rid]
        self._pending_count -= 1
        self._finish(key, pending.digest)
        self.metrics.batches_admitted_by_attestation += 1
        return [(author, pending.request)]

    def expire(self, now: float) -> list[tuple[AccountAddress, BroadcastTransactionsRequest]]:
        """The pending batches whose time is up (at or before ``now``), oldest first per
        author, after those handed over early (overflowed, or pending when the validator set
        changed); the caller checks their signatures (the fallback)."""
        out = self._stale
        self._stale = []
        self.metrics.batches_admitted_by_fallback += len(out)
        for author, batches in self._pending.items():
            for rid in [rid for rid, p in batches.items() if p.deadline <= now]:
                p = batches.pop(rid)
                self._pending_count -= 1
                self._finish((author, rid), p.digest)
                self.metrics.batches_admitted_by_fallback += 1
                out.append((author, p.request))
        return out

    @property
    def pending_batches(self) -> int:
        """Batches waiting for attestations (or for the next :meth:`expire`)."""
        return self._pending_count + len(self._stale)

    @property
    def early_attestations(self) -> int:
        """Attestations kept until their batch arrives."""
        return self._early_count

    def pending(self) -> Sequence[tuple[AccountAddress, bytes]]:
        """(author, request id) of every pending batch."""
        return [(a, rid) for a, b in self._pending.items() for rid in b]

    # -----------------------------------------------------------------------------------------

    def _overflow(self, author: AccountAddress, pending: _Pending) -> None:
        """Hands a batch no longer pending to the next :meth:`expire` (the fallback)."""
        self._finish((author, pending.request.request_id), pending.digest)
        self._stale.append((author, pending.request))
        self.metrics.pending_batches_overflowed += 1

    def _enough(self, power: int) -> bool:
        return 3 * power > self._total

    def _finish(self, key: _Key, digest: HashValue) -> None:
        self._done[key] = digest
        self._done.move_to_end(key)
        while len(self._done) > self.max_done:
            self._done.popitem(last=False)
