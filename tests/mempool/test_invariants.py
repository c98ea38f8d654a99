"""Hypothesis state machine over the mempool: limits, readiness, ordering, commits."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from mempool_helpers import addr, txn

from libra.crypto import HashValue
from libra.mempool import Mempool, MempoolStatusCode
from libra.types import AccountAddress, SignedTransaction

SENDERS = 4
CAPACITY = 14
PER_SENDER = 5
NO_LIMIT = 10**9


class MempoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state: dict[AccountAddress, int] = {}
        self.pool = Mempool(
            self._validate,
            lambda a: self.state.get(a, 0),
            capacity=CAPACITY,
            capacity_per_sender=PER_SENDER,
        )
        self.committed: set[HashValue] = set()
        self.now = 0
        self.salt = 0

    @staticmethod
    def _validate(t: SignedTransaction) -> object | None:
        raw = t.raw_txn
        odd_and_pricey = raw.gas_unit_price == 3 and raw.sequence_number % 2 == 1
        return "INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE" if odd_and_pricey else None

    # -- rules --------------------------------------------------------------------------------

    @rule(
        sender=st.integers(0, SENDERS - 1),
        offset=st.integers(-1, 6),
        gas=st.integers(0, 3),
        exp=st.integers(1, 40),
    )
    def add(self, sender: int, offset: int, gas: int, exp: int) -> None:
        self.salt += 1
        seq = max(0, self.state.get(addr(sender), 0) + offset)
        t = txn(sender, seq, gas=gas, exp=exp, salt=self.salt)
        before = len(self.pool)
        r = self.pool.add(t)
        if r.inserted:
            assert t.hash() in self.pool
            assert seq >= self.state.get(addr(sender), 0)
        else:
            assert t.hash() not in self.pool
            assert len(self.pool) == before
        if seq < self.state.get(addr(sender), 0):
            assert r.code is MempoolStatusCode.INVALID_SEQ_NUMBER
        if r.code is MempoolStatusCode.VM_ERROR:
            assert gas == 3 and seq % 2 == 1 and r.vm_status is not None

    @rule(data=st.data())
    @precondition(lambda self: len(self.pool) > 0)
    def commit_prefix(self, data: st.DataObject) -> None:
        """Commit a batch the way consensus would: a prefix of what get_batch returned."""
        batch = self.pool.get_batch(NO_LIMIT, NO_LIMIT)
        k = data.draw(st.integers(0, len(batch)))
        chosen = batch[:k]
        last: dict[AccountAddress, int] = {}
        for t in chosen:
            last[t.sender] = t.sequence_number
            self.committed.add(t.hash())
        self.pool.commit(last.items())
        for a, s in last.items():
            self.state[a] = s + 1

    @rule(sender=st.integers(0, SENDERS - 1), ahead=st.integers(0, 3))
    def external_commit(self, sender: int, ahead: int) -> None:
        """Another validator's proposal committed this sender's transactions."""
        a = addr(sender)
        seq = self.state.get(a, 0) + ahead
        for s in self.pool.pending_sequence_numbers(a):
            if s <= seq:
                for t in self.pool.get_batch(NO_LIMIT, NO_LIMIT):
                    if t.sender == a and t.sequence_number == s:
                        self.committed.add(t.hash())
        self.pool.commit([(a, seq)])
        self.state[a] = seq + 1

    @rule(data=st.data())
    @precondition(lambda self: len(self.pool) > 0)
    def reject(self, data: st.DataObject) -> None:
        hashes = sorted(self.pool._by_hash)
        h = data.draw(st.sampled_from(hashes))
        assert self.pool.reject(h)
        assert h not in self.pool

    @rule(step=st.integers(0, 10))
    def gc(self, step: int) -> None:
        self.now += step
        self.pool.gc_expired(self.now)
        for entry in self.pool._by_hash.values():
            assert entry.expiration > self.now

    @rule(max_txns=st.integers(0, 20), data=st.data())
    def batch_with_exclusions(self, max_txns: int, data: st.DataObject) -> None:
        everything = self.pool.get_batch(NO_LIMIT, NO_LIMIT)
        excluded = {
            t.hash()
            for t in data.draw(st.lists(st.sampled_from(everything)) if everything else st.just([]))
        }
        batch = self.pool.get_batch(max_txns, NO_LIMIT, excluded)
        assert len(batch) <= max_txns
        self._check_batch(batch, excluded)

    # -- invariants ---------------------------------------------------------------------------

    def _check_batch(self, batch: list[SignedTransaction], excluded: set[HashValue]) -> None:
        pending = {a: set(self.pool.pending_sequence_numbers(a)) for a in map(addr, range(SENDERS))}
        by_hash = self.pool._by_hash
        seen: set[HashValue] = set()
        taken: dict[AccountAddress, set[int]] = {}
        for t in batch:
            h = t.hash()
            assert h not in seen and h not in excluded and h not in self.committed
            assert h in self.pool
            seen.add(h)
            a, s = t.sender, t.sequence_number
            base = self.state.get(a, 0)
            prev = s - 1
            ok = (
                prev < base
                or prev in taken.get(a, set())
                or (
                    prev in pending[a]
                    and all(
                        x in taken.get(a, set())
                        or any(
                            by_hash[hh].seq == x and hh in excluded
                            for hh in by_hash
                            if by_hash[hh].sender == a
                        )
                        for x in range(base, s)
                    )
                )
            )
            assert ok, f"{a.hex()} seq {s} returned without its predecessor"
            taken.setdefault(a, set()).add(s)

    @invariant()
    def limits(self) -> None:
        assert len(self.pool) <= CAPACITY
        for i in range(SENDERS):
            assert self.pool.sender_count(addr(i)) <= PER_SENDER

    @invariant()
    def committed_never_come_back(self) -> None:
        for h in self.committed:
            assert h not in self.pool

    @invariant()
    def readiness_is_the_contiguous_prefix(self) -> None:
        expected = 0
        for i in range(SENDERS):
            a = addr(i)
            seqs = set(self.pool.pending_sequence_numbers(a))
            s = self.state.get(a, 0)
            known = self.pool.known_sequence_number(a)
            if seqs:
                assert known == s
            while s in seqs:
                expected += 1
                s += 1
        assert self.pool.ready_count == expected

    @invariant()
    def full_batch_is_every_ready_transaction_in_order(self) -> None:
        batch = self.pool.get_batch(NO_LIMIT, NO_LIMIT)
        assert len(batch) == self.pool.ready_count
        self._check_batch(batch, set())
        # Heads (each sender's first transaction) appear by gas price, then arrival.
        heads: list[SignedTransaction] = []
        senders: set[AccountAddress] = set()
        for t in batch:
            if t.sender not in senders:
                senders.add(t.sender)
                heads.append(t)
        keys = [(-t.raw_txn.gas_unit_price, self.pool._by_hash[t.hash()].arrival) for t in heads]
        assert keys == sorted(keys)
        # Truncated batches are prefixes of the full one.
        for k in (1, 3):
            assert self.pool.get_batch(k, NO_LIMIT) == batch[:k]


TestMempoolMachine = MempoolMachine.TestCase
TestMempoolMachine.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class LongMempoolMachine(MempoolMachine):
    """The same state machine, for longer runs (``-m slow``)."""


TestMempoolMachineLong = pytest.mark.slow(LongMempoolMachine.TestCase)
TestMempoolMachineLong.settings = settings(
    max_examples=1000,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
