"""The mempool data structure: admission rules, readiness, ordering, removal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mempool_helpers import addr, txn

from libra import bcs
from libra.mempool import Mempool, MempoolConfigError, MempoolStatusCode, transaction_hash
from libra.types import AccountAddress, SignedTransaction

Code = MempoolStatusCode


def make(
    seqs: dict[int, int] | None = None,
    validate: Callable[[SignedTransaction], object | None] | None = None,
    **kw: int,
) -> tuple[Mempool, dict[AccountAddress, int]]:
    state = {addr(k): v for k, v in (seqs or {}).items()}
    pool = Mempool(validate or (lambda _t: None), lambda a: state.get(a, 0), **kw)
    return pool, state


def test_add_get_and_duplicate() -> None:
    pool, _ = make()
    t = txn(0, 0)
    r = pool.add(t)
    assert r.accepted and r.inserted
    assert t.hash() in pool and pool.get(t.hash()) == t and len(pool) == 1
    again = pool.add(t)
    assert again.accepted and not again.inserted
    assert len(pool) == 1
    assert pool.status_counts[Code.ACCEPTED] == 2


def test_transaction_hash_matches_and_encoded_bytes_accepted() -> None:
    t = txn(3, 4, salt=9)
    enc = bcs.encode(t)
    assert transaction_hash(enc) == t.hash()
    pool, _ = make()
    assert pool.add(t, enc).inserted
    assert pool.get(t.hash()) == t


def test_old_sequence_number_rejected() -> None:
    pool, _ = make({0: 5})
    r = pool.add(txn(0, 4))
    assert r.code is Code.INVALID_SEQ_NUMBER and "below" in r.detail
    assert pool.add(txn(0, 5)).inserted


def test_replacement_needs_higher_gas_price() -> None:
    pool, _ = make()
    low = txn(0, 0, gas=5)
    assert pool.add(low).inserted
    same = txn(0, 0, gas=5, salt=1)
    r = pool.add(same)
    assert r.code is Code.INVALID_UPDATE and "above 5" in r.detail
    high = txn(0, 0, gas=6, salt=1)
    assert pool.add(high).inserted
    assert low.hash() not in pool and high.hash() in pool and len(pool) == 1
    assert pool.ready_count == 1
    assert pool.get_batch(10, 10**9) == [high]


def test_capacity_and_per_sender_limits() -> None:
    pool, _ = make(capacity=5, capacity_per_sender=3)
    for s in range(3):
        assert pool.add(txn(0, s)).inserted
    r = pool.add(txn(0, 3))
    assert r.code is Code.TOO_MANY_TRANSACTIONS and "limit is 3" in r.detail
    assert pool.add(txn(1, 0)).inserted and pool.add(txn(1, 1)).inserted
    r = pool.add(txn(2, 0))
    assert r.code is Code.MEMPOOL_IS_FULL and "5 of 5" in r.detail
    # A replacement does not need room.
    assert pool.add(txn(0, 1, gas=9)).inserted
    assert len(pool) == 5


def test_validate_status_becomes_vm_error_and_runs_after_cheap_checks() -> None:
    calls: list[SignedTransaction] = []

    def validate(t: SignedTransaction) -> object | None:
        calls.append(t)
        return "SEQUENCE_NUMBER_TOO_NEW" if t.raw_txn.gas_unit_price == 13 else None

    pool, _ = make({0: 2}, validate)
    r = pool.add(txn(0, 2, gas=13))
    assert r.code is Code.VM_ERROR and r.vm_status == "SEQUENCE_NUMBER_TOO_NEW"
    assert not r.inserted and len(pool) == 0
    ok = txn(0, 2)
    pool.add(ok)
    pool.add(ok)  # duplicate: validate not called again
    pool.add(txn(0, 1))  # too old: validate not called
    assert len(calls) == 2


def test_only_contiguous_prefix_is_ready() -> None:
    pool, _ = make({0: 10})
    t10, t12, t13 = txn(0, 10), txn(0, 12), txn(0, 13)
    for t in (t12, t13, t10):
        pool.add(t)
    assert pool.ready_count == 1
    assert pool.get_batch(10, 10**9) == [t10]
    t11 = txn(0, 11)
    pool.add(t11)
    assert pool.ready_count == 4
    assert pool.get_batch(10, 10**9) == [t10, t11, t12, t13]


def test_order_across_senders_by_gas_then_arrival() -> None:
    pool, _ = make()
    a = txn(0, 0, gas=1)
    b = txn(1, 0, gas=3)
    c = txn(2, 0, gas=3)
    d = txn(3, 0, gas=2)
    for t in (a, b, c, d):
        pool.add(t)
    assert pool.get_batch(10, 10**9) == [b, c, d, a]
    assert pool.get_batch(2, 10**9) == [b, c]
    # get_batch does not consume anything.
    assert pool.get_batch(10, 10**9) == [b, c, d, a]


def test_high_gas_successor_follows_its_predecessor() -> None:
    pool, _ = make()
    p0 = txn(0, 0, gas=1)
    p1 = txn(0, 1, gas=10)
    q0 = txn(1, 0, gas=5)
    for t in (p0, p1, q0):
        pool.add(t)
    assert pool.get_batch(10, 10**9) == [q0, p0, p1]


def test_exclude_skips_pending_block_transactions_but_keeps_successors_eligible() -> None:
    pool, _ = make()
    t0, t1, t2 = txn(0, 0), txn(0, 1), txn(0, 2)
    u0 = txn(1, 0)
    for t in (t0, t1, t2, u0):
        pool.add(t)
    assert pool.get_batch(10, 10**9, exclude={t0.hash(), t1.hash()}) == [t2, u0]
    # An excluded transaction in the middle is in a pending block: its successor may follow.
    assert pool.get_batch(10, 10**9, exclude={t1.hash()}) == [t0, t2, u0]


def test_max_bytes_bounds_the_batch() -> None:
    pool, _ = make()
    ts = [txn(i, 0) for i in range(5)]
    for t in ts:
        pool.add(t)
    size = len(bcs.encode(ts[0]))
    assert pool.get_batch(10, size * 3) == ts[:3]
    assert pool.get_batch(10, size - 1) == []
    assert pool.get_batch(0, 10**9) == []


def test_commit_removes_older_and_committed_never_return() -> None:
    pool, state = make()
    ts = [txn(0, s) for s in range(5)]
    for t in ts:
        pool.add(t)
    assert pool.commit([(addr(0), 2)]) == 3
    state[addr(0)] = 3
    assert pool.pending_sequence_numbers(addr(0)) == [3, 4]
    assert pool.known_sequence_number(addr(0)) == 3
    assert pool.get_batch(10, 10**9) == ts[3:]
    r = pool.add(ts[1])
    assert r.code is Code.INVALID_SEQ_NUMBER
    assert pool.commit([(addr(0), 4), (addr(7), 0)]) == 2
    assert len(pool) == 0 and pool.ready_count == 0
    state[addr(0)] = 5
    assert pool.add(ts[4]).code is Code.INVALID_SEQ_NUMBER


def test_commit_beyond_pending_makes_later_gap_closed() -> None:
    pool, _ = make()
    pool.add(txn(0, 0))
    t5 = txn(0, 5)
    pool.add(t5)
    assert pool.ready_count == 1
    pool.commit([(addr(0), 4)])  # seqs 1..4 were committed from another validator's mempool
    assert pool.get_batch(10, 10**9) == [t5]


def test_reject_makes_successors_wait() -> None:
    pool, _ = make()
    t0, t1, t2 = txn(0, 0), txn(0, 1), txn(0, 2)
    for t in (t0, t1, t2):
        pool.add(t)
    assert pool.reject(t1.hash())
    assert not pool.reject(t1.hash())
    assert pool.ready_count == 1
    assert pool.get_batch(10, 10**9) == [t0]
    assert not pool.is_ready(t2.hash())
    t1b = txn(0, 1, salt=1)
    pool.add(t1b)
    assert pool.get_batch(10, 10**9) == [t0, t1b, t2]


def test_gc_expired() -> None:
    pool, _ = make()
    t0 = txn(0, 0, exp=100)
    t1 = txn(0, 1, exp=50)
    t2 = txn(0, 2, exp=200)
    u = txn(1, 0, exp=100)
    for t in (t0, t1, t2, u):
        pool.add(t)
    assert pool.gc_expired(49) == 0
    assert pool.gc_expired(50) == 1
    assert pool.get_batch(10, 10**9) == [t0, u]
    assert pool.gc_expired(100) == 2
    assert len(pool) == 1 and pool.ready_count == 0
    assert pool.get_batch(10, 10**9) == []


def test_invalid_config() -> None:
    with pytest.raises(MempoolConfigError):
        Mempool(lambda _t: None, lambda _a: 0, capacity=0)


def test_many_removals_keep_heaps_bounded() -> None:
    pool, state = make()
    for round_ in range(30):
        for s in range(100):
            pool.add(txn(s, round_))
        pool.get_batch(50, 10**9)
        pool.commit([(addr(s), round_) for s in range(100)])
        for s in range(100):
            state[addr(s)] = round_ + 1
    assert len(pool) == 0
    assert len(pool._ready) <= 2 * pool.ready_count + 1024
    assert len(pool._expiry) <= 2 * len(pool) + 1024
