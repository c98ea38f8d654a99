"""Attested batches (libra.mempool.attestation): a peer batch's signatures are checked by
its author and the designated attestors (f+1 validators), not by every validator.

Validators are :class:`SharedMempool` instances (the node's mempool front) joined by an
in-memory network; the admission check stands in for the prologue's: a transaction whose
signature was not checked already (``preverified``) has it checked there."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

import pytest
from mempool_helpers import raw
from mempool_helpers import txn as badly_signed

from libra import bcs
from libra.crypto import Ed25519PrivateKey, HashValue
from libra.mempool import (
    AttestationTracker,
    BatchAttestation,
    BroadcastTransactionsRequest,
    Mempool,
    MempoolConfigError,
    MempoolMessage,
    MempoolService,
    Role,
    batch_digest,
    designated_attestors,
)
from libra.node.runtime import SharedMempool
from libra.types import AccountAddress, SignedTransaction

KEY = Ed25519PrivateKey(b"\x05" * 32)
TIMEOUT = 0.3

_verifications: list[tuple[AccountAddress | None, HashValue]] = []
_current: list[AccountAddress | None] = [None]


@pytest.fixture(autouse=True)
def count_verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Record which validator checks which transaction's signature."""
    original = SignedTransaction.verify_signature

    def counting(self: SignedTransaction) -> bool:
        _verifications.append((_current[0], self.hash()))
        return original(self)

    monkeypatch.setattr(SignedTransaction, "verify_signature", counting)
    _verifications.clear()
    yield
    _verifications.clear()


def verifiers() -> dict[HashValue, set[AccountAddress | None]]:
    out: dict[HashValue, set[AccountAddress | None]] = {}
    for who, h in _verifications:
        out.setdefault(h, set()).add(who)
    return out


def signed(sender: int, seq: int = 0) -> SignedTransaction:
    return raw(sender, seq).sign(KEY)


def kind(data: bytes) -> type[MempoolMessage]:
    return type(bcs.decode(MempoolMessage, data))


Message = tuple[AccountAddress, AccountAddress, bytes]


class Net:
    """``n`` validators on an in-memory network; messages wait in one FIFO until delivered.
    Each validator's "engine verified set" collects the hashes its mempool admitted."""

    def __init__(
        self,
        n: int,
        *,
        know_validators: bool = True,
        max_pending_per_author: int = 64,
        voting_power: list[int] | None = None,
    ) -> None:
        self.now = 0.0
        self.validators = [AccountAddress.from_int(0x100 + i) for i in range(n)]
        self.queue: deque[Message] = deque()
        self.down: set[AccountAddress] = set()
        self.nodes: dict[AccountAddress, SharedMempool] = {}
        self.verified: dict[AccountAddress, set[HashValue]] = {}
        power = dict(zip(self.validators, voting_power or [1] * n, strict=True))
        for v in self.validators:
            self._add(v, max_pending_per_author)
            if know_validators:
                self.nodes[v].attestation.set_validators(power)

    def _add(self, v: AccountAddress, max_pending: int) -> None:
        verified: set[HashValue] = set()
        self.verified[v] = verified
        holder: list[SharedMempool] = []

        def validate(t: SignedTransaction) -> object | None:
            if id(t) in holder[0].preverified or t.verify_signature():
                return None
            return "INVALID_SIGNATURE"

        pool = Mempool(validate, lambda _a: 0, on_insert=verified.add)
        shared = SharedMempool(
            MempoolService(pool, Endpoint(self, v)),
            attestation=AttestationTracker(
                v, timeout_secs=TIMEOUT, max_pending_per_author=max_pending
            ),
            clock=lambda: self.now,
        )
        holder.append(shared)
        self.nodes[v] = shared

    def __getitem__(self, i: int) -> SharedMempool:
        return self.nodes[self.validators[i]]

    def at(self, v: AccountAddress) -> SharedMempool:
        _current[0] = v
        return self.nodes[v]

    def submit(self, i: int, txns: list[SignedTransaction]) -> None:
        node = self.at(self.validators[i])
        for t in txns:
            assert node.submit(t).inserted
        node.service.flush()

    def deliver(self, where: Callable[[Message], bool] = lambda _m: True) -> int:
        """Delivers the queued messages ``where`` selects (FIFO), including ones they cause."""
        n = 0
        while True:
            selected = next((m for m in self.queue if where(m)), None)
            if selected is None:
                return n
            self.queue.remove(selected)
            src, dst, data = selected
            if dst not in self.down:
                self.at(dst).handle_message(src, data)
            n += 1

    def tick(self, secs: float) -> int:
        self.now += secs
        expired = 0
        for v in self.nodes:
            if v not in self.down:
                expired += self.at(v).expire_pending()
        return expired

    def holds(self, i: int, t: SignedTransaction) -> bool:
        h = t.hash()
        return h in self[i].service.mempool and h in self.verified[self.validators[i]]


class Endpoint:
    def __init__(self, net: Net, me: AccountAddress) -> None:
        self.net = net
        self.me = me

    def send(self, peer: AccountAddress, message: bytes) -> bool:
        if peer == self.me or peer not in self.net.nodes or peer in self.net.down:
            return False
        self.net.queue.append((self.me, peer, message))
        return True

    def broadcast(self, message: bytes) -> int:
        return sum(self.send(p, message) for p in self.net.validators)


def is_batch(m: Message) -> bool:
    return kind(m[2]) is BroadcastTransactionsRequest


def is_attestation(m: Message) -> bool:
    return kind(m[2]) is BatchAttestation


# ---------------------------------------------------------------------------------------------
# Who attests


def test_designated_attestors_hold_more_than_a_third_with_the_author() -> None:
    vs = [AccountAddress.from_int(0x100 + i) for i in range(10)]

    def equal(n: int) -> dict[AccountAddress, int]:
        return dict.fromkeys(vs[:n], 1)

    assert designated_attestors(vs[0], equal(1)) == ()
    assert designated_attestors(vs[0], equal(4)) == (vs[1],)
    assert designated_attestors(vs[3], equal(4)) == (vs[0],)  # wraps
    assert designated_attestors(vs[0], equal(7)) == (vs[1], vs[2])
    assert designated_attestors(vs[6], equal(7)) == (vs[0], vs[1])
    assert designated_attestors(vs[2], equal(10)) == (vs[3], vs[4], vs[5])
    # Unequal power: a heavy next validator is enough alone; a heavy author needs nobody.
    assert designated_attestors(vs[0], {vs[0]: 1, vs[1]: 5, vs[2]: 1, vs[3]: 1}) == (vs[1],)
    assert designated_attestors(vs[1], {vs[0]: 1, vs[1]: 5, vs[2]: 1, vs[3]: 1}) == ()
    assert designated_attestors(vs[2], {vs[0]: 1, vs[1]: 1, vs[2]: 1, vs[3]: 6}) == (vs[3],)
    assert designated_attestors(vs[3], {vs[0]: 1, vs[1]: 1, vs[2]: 1, vs[3]: 1, vs[4]: 9}) == (
        vs[4],
    )


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(MempoolConfigError):
        AttestationTracker(None, timeout_secs=-1)
    with pytest.raises(MempoolConfigError):
        AttestationTracker(None, max_pending_per_author=0)


# ---------------------------------------------------------------------------------------------
# (1) four validators: two checks per transaction, everyone admits everything


def test_four_validators_each_signature_checked_by_exactly_two() -> None:
    net = Net(4)
    batches = {i: [signed(10 * i + k) for k in range(5)] for i in range(4)}
    for i, txns in batches.items():
        net.submit(i, txns)
    net.deliver()
    assert not net.queue
    who = verifiers()
    for i, txns in batches.items():
        author = net.validators[i]
        attestor = net.validators[(i + 1) % 4]
        for t in txns:
            assert who[t.hash()] == {author, attestor}
            for j in range(4):
                assert net.holds(j, t), (i, j)
    for j in range(4):
        m = net[j].attestation.metrics
        # Checked its own clients' 5 and, as attestor, its predecessor's 5.
        assert m.signatures_verified == 5
        assert m.batches_checked_as_attestor == 1
        assert m.attestations_sent == 2
        assert m.batches_admitted_by_attestation == 2
        assert m.batches_admitted_by_fallback == 0
        assert m.attestations_received == 2 and m.attestations_dropped == 0
        assert net[j].attestation.pending_batches == 0
    # Every batch was acknowledged: nothing in flight at the authors.
    assert all(net[i].service.inflight_batches == 0 for i in range(4))
    assert net.tick(TIMEOUT) == 0


# ---------------------------------------------------------------------------------------------
# (2) a byzantine author's bad signature: no attestation, fallback after the timeout


def test_bad_signature_is_not_attested_and_others_fall_back() -> None:
    net = Net(4)
    good = [signed(k) for k in range(4)]
    bad = badly_signed(7, 0)  # another transaction's signature
    assert not bad.verify_signature()
    _verifications.clear()
    # V0 is byzantine: it broadcasts a batch it did not check.
    batch = BroadcastTransactionsRequest(b"\x01" * 8, (*good[:2], bad, *good[2:]))
    net.nodes[net.validators[0]].service._transport.broadcast(bcs.encode(batch))
    net.deliver()
    attestor = net[1].attestation.metrics
    assert attestor.attestations_withheld == 1 and attestor.attestations_sent == 0
    assert all(net.holds(1, t) for t in good) and not net.holds(1, bad)
    for j in (2, 3):
        assert net[j].attestation.pending_batches == 1
        assert len(net[j].service.mempool) == 0
    assert net.tick(TIMEOUT - 0.01) == 0
    assert net.tick(0.01) == 2
    net.deliver()
    for j in (2, 3):
        m = net[j].attestation.metrics
        assert m.batches_admitted_by_fallback == 1 and m.batches_admitted_by_attestation == 0
        assert m.signatures_verified == 5
        assert all(net.holds(j, t) for t in good)
        assert bad.hash() not in net[j].service.mempool
        assert bad.hash() not in net.verified[net.validators[j]]
    assert verifiers()[good[0].hash()] == set(net.validators[1:])


# ---------------------------------------------------------------------------------------------
# (3) the attestation may arrive before the batch


def test_attestation_before_batch() -> None:
    net = Net(4)
    txns = [signed(k) for k in range(6)]
    net.submit(0, txns)
    v1, v2, v3 = net.validators[1:]
    # The attestor gets the batch first; its attestations overtake the batch to V2 and V3.
    net.deliver(lambda m: is_batch(m) and m[1] == v1)
    assert net.deliver(is_attestation) == 2
    for j in (2, 3):
        assert net[j].attestation.early_attestations == 1
        assert len(net[j].service.mempool) == 0
    net.deliver()
    for j in (2, 3):
        tracker = net[j].attestation
        assert tracker.early_attestations == 0 and tracker.pending_batches == 0
        assert tracker.metrics.batches_admitted_by_attestation == 1
        assert tracker.metrics.signatures_verified == 0
        assert all(net.holds(j, t) for t in txns)
    assert all(verifiers()[t.hash()] == {net.validators[0], v1} for t in txns)
    assert v2 not in verifiers()[txns[0].hash()] and v3 not in verifiers()[txns[0].hash()]


# ---------------------------------------------------------------------------------------------
# (4) a wrong digest or a non-designated attestor does not count


@pytest.mark.parametrize("early", [False, True])
def test_wrong_digest_or_wrong_attestor_does_not_count(early: bool) -> None:
    net = Net(4)
    v0, v1, v2, v3 = net.validators
    txns = [signed(k) for k in range(3)]
    net.submit(0, txns)
    (request_id,) = net.at(v0).service._inflight  # the batch just broadcast
    right = batch_digest(txns)
    wrong = batch_digest(txns[:2])
    forged = [
        (v3, BatchAttestation(v0, request_id, right)),  # V3 is not V0's attestor
        (v1, BatchAttestation(v0, request_id, wrong)),  # V0's attestor, another digest
        (v0, BatchAttestation(v0, request_id, right)),  # the author vouching twice
        (v1, BatchAttestation(v2, request_id, right)),  # about V2's own batch: V2 ignores it
    ]

    def forge() -> None:
        for sender, att in forged:
            net.at(v2).handle_message(sender, bcs.encode(att))

    if early:
        forge()
    # V2 gets the batch; the real attestor V1 stays silent (it has not received it yet).
    net.deliver(lambda m: is_batch(m) and m[1] == v2)
    if not early:
        forge()
    tracker = net[2].attestation
    assert tracker.metrics.attestations_received == 4
    assert tracker.metrics.attestations_dropped == 4
    assert tracker.pending_batches == 1 and tracker.metrics.batches_admitted_by_attestation == 0
    assert len(net[2].service.mempool) == 0
    assert net.tick(TIMEOUT) >= 1
    assert tracker.metrics.batches_admitted_by_fallback == 1
    assert all(net.holds(2, t) for t in txns)
    # The real attestation arriving now is late and ignored.
    net.deliver()
    assert tracker.metrics.attestations_late == 1
    assert tracker.early_attestations == 0


# ---------------------------------------------------------------------------------------------
# (5) the designated attestor is down: fallback


def test_attestor_down_falls_back_after_timeout() -> None:
    net = Net(4)
    v0, v1, v2, v3 = net.validators
    net.down.add(v1)
    txns = [signed(k) for k in range(5)]
    net.submit(0, txns)
    net.deliver()
    for j in (2, 3):
        assert net[j].attestation.pending_batches == 1
        assert len(net[j].service.mempool) == 0
    net.tick(TIMEOUT / 2)
    assert net[2].attestation.pending_batches == 1
    net.tick(TIMEOUT / 2)
    net.deliver()
    for j in (2, 3):
        assert net[j].attestation.metrics.batches_admitted_by_fallback == 1
        assert all(net.holds(j, t) for t in txns)
    assert all(verifiers()[t.hash()] == {v0, v2, v3} for t in txns)
    assert net[0].service.inflight_batches == 0  # V2 and V3 answered after admitting


# ---------------------------------------------------------------------------------------------
# (6) seven validators: two attestors needed


def test_seven_validators_need_two_attestors() -> None:
    net = Net(7)
    vs = net.validators
    assert net[3].attestation.attestors(vs[0]) == (vs[1], vs[2])
    txns = [signed(k) for k in range(4)]
    net.submit(0, txns)
    # Only V1 attests at first: one attestor is not enough.
    net.deliver(lambda m: is_batch(m) and m[1] != vs[2])
    net.deliver(is_attestation)
    for j in range(3, 7):
        tracker = net[j].attestation
        assert tracker.pending_batches == 1, j
        assert len(net[j].service.mempool) == 0
    net.deliver()
    for j in range(7):
        assert all(net.holds(j, t) for t in txns), j
    for j in range(3, 7):
        m = net[j].attestation.metrics
        assert m.batches_admitted_by_attestation == 1 and m.signatures_verified == 0
    assert all(verifiers()[t.hash()] == {vs[0], vs[1], vs[2]} for t in txns)
    assert net[1].attestation.metrics.attestations_sent == 4  # V3..V6, not V0 or V2


def test_one_validator_with_a_third_of_the_power_needs_no_attestor() -> None:
    net = Net(4, voting_power=[2, 1, 1, 1])
    txns = [signed(k) for k in range(3)]
    net.submit(0, txns)
    net.deliver()
    assert all(net.holds(j, t) for j in range(4) for t in txns)
    assert all(verifiers()[t.hash()] == {net.validators[0]} for t in txns)


# ---------------------------------------------------------------------------------------------
# Without a validator set: as before (every receiver checks)


def test_without_validator_set_every_receiver_checks() -> None:
    net = Net(4, know_validators=False)
    txns = [signed(k) for k in range(3)]
    net.submit(2, txns)
    net.deliver()
    assert all(net.holds(j, t) for j in range(4) for t in txns)
    assert all(verifiers()[t.hash()] == set(net.validators) for t in txns)
    for j in (0, 1, 3):
        m = net[j].attestation.metrics
        assert m.batches_verified == 1 and m.attestations_sent == 0
    assert not net[0].attestation.active


def test_single_validator_is_not_active() -> None:
    tracker = AttestationTracker(AccountAddress.from_int(1))
    tracker.set_validators({AccountAddress.from_int(1): 1})
    assert not tracker.active
    peer = AccountAddress.from_int(2)
    assert tracker.on_batch(peer, BroadcastTransactionsRequest(b"1", (signed(0),)), 0.0) is (
        Role.VERIFY
    )


def test_new_validator_set_times_out_pending_batches() -> None:
    net = Net(4)
    _, v1, v2, _ = net.validators
    net.down.add(v1)
    txns = [signed(k) for k in range(2)]
    net.submit(0, txns)
    net.deliver()
    assert net[2].attestation.pending_batches == 1
    net[2].attestation.set_validators({v: 1 for v in net.validators[:3]})
    assert net.at(v2).expire_pending() == 1
    assert all(net.holds(2, t) for t in txns)


# ---------------------------------------------------------------------------------------------
# (7) bounded pending state


def test_pending_batches_and_early_attestations_are_bounded() -> None:
    vs = [AccountAddress.from_int(0x100 + i) for i in range(4)]
    tracker = AttestationTracker(
        vs[2], timeout_secs=TIMEOUT, max_pending_per_author=3, max_attestations_per_attestor=4
    )
    tracker.set_validators(dict.fromkeys(vs, 1))
    t = signed(0)
    for k in range(5):
        rid = k.to_bytes(8, "little")
        assert tracker.on_batch(vs[0], BroadcastTransactionsRequest(rid, (t,)), 0.0) is (
            Role.PENDING
        )
    assert [rid[0] for _, rid in tracker.pending()] == [2, 3, 4]
    # The two oldest are not dropped: the fallback takes them without waiting.
    assert tracker.metrics.pending_batches_overflowed == 2
    assert tracker.pending_batches == 5
    assert [b.request_id[0] for _, b in tracker.expire(0.0)] == [0, 1]
    assert tracker.pending_batches == 3
    # An attestation arriving later for an overflowed batch is late, not kept.
    digest = batch_digest((t,))
    tracker.on_attestation(vs[1], BatchAttestation(vs[0], (0).to_bytes(8, "little"), digest))
    assert tracker.metrics.attestations_late == 1 and tracker.early_attestations == 0
    # Another author's batches have their own room.
    tracker.on_batch(vs[3], BroadcastTransactionsRequest(b"x", (t,)), 0.0)
    assert tracker.pending_batches == 4
    # Attestations for batches not seen yet: at most 4 per attestor, oldest dropped.
    for k in range(100, 110):
        tracker.on_attestation(vs[1], BatchAttestation(vs[0], k.to_bytes(8, "little"), digest))
    assert tracker.early_attestations == 4
    assert tracker.metrics.attestations_evicted == 6
    # Not a designated attestor: not kept at all.
    for k in range(10):
        tracker.on_attestation(vs[3], BatchAttestation(vs[0], bytes([k]), digest))
    assert tracker.early_attestations == 4
    assert tracker.metrics.attestations_dropped == 10
    # An over-long request id is not kept either.
    tracker.on_attestation(vs[1], BatchAttestation(vs[0], b"r" * 1000, digest))
    assert tracker.early_attestations == 4
    # The oldest kept attestation completes its batch when that arrives.
    assert (
        tracker.on_batch(
            vs[0], BroadcastTransactionsRequest((106).to_bytes(8, "little"), (t,)), 0.0
        )
        is Role.ADMIT
    )
    assert tracker.early_attestations == 3
    # Every pending batch times out.
    assert tracker.expire(TIMEOUT - 0.001) == []
    assert len(tracker.expire(TIMEOUT)) == 4
    assert tracker.pending_batches == 0


def test_pending_state_stays_bounded_on_a_network() -> None:
    net = Net(4, max_pending_per_author=2)
    v1 = net.validators[1]
    net.down.add(v1)
    for k in range(5):
        net.submit(0, [signed(k)])
    net.deliver()
    for j in (2, 3):
        assert [rid for _, rid in net[j].attestation.pending()] == [
            rid for _, rid in net[2].attestation.pending()
        ]
        assert len(net[j].attestation.pending()) == 2
        assert net[j].attestation.metrics.pending_batches_overflowed == 3
    # Nothing is lost: the overflowed batches are checked by the receiver at once, the
    # others when their time is up.
    net.tick(0.0)
    assert len(net[2].service.mempool) == 3
    net.tick(TIMEOUT)
    assert len(net[2].service.mempool) == 5
