"""Measured (not asserted) admission rate and get_batch cost; bounded in size and time."""

from __future__ import annotations

import time

import pytest
from mempool_helpers import txn

from libra import bcs
from libra.mempool import Mempool


def test_admission_rate_and_batch_cost(capsys: pytest.CaptureFixture[str]) -> None:
    senders, per_sender = 2_000, 10
    txns = [txn(s, q, gas=s % 7) for q in range(per_sender) for s in range(senders)]
    encoded = [bcs.encode(t) for t in txns]
    pool = Mempool(lambda _t: None, lambda _a: 0)
    start = time.perf_counter()
    for t, e in zip(txns, encoded, strict=True):
        pool.add(t, e)
    admit = time.perf_counter() - start
    assert len(pool) == len(txns) == pool.ready_count
    start = time.perf_counter()
    batch = pool.get_batch(10_000, 10**9)
    get = time.perf_counter() - start
    assert len(batch) == 10_000
    start = time.perf_counter()
    pool.commit((t.sender, t.sequence_number) for t in batch)
    commit = time.perf_counter() - start
    assert len(pool) == len(txns) - 10_000
    with capsys.disabled():
        print(
            f"\nmempool: {len(txns) / admit:,.0f} admissions/s (validate excluded), "
            f"get_batch(10,000) of {len(txns):,} in {get * 1000:.1f} ms, "
            f"commit 10,000 in {commit * 1000:.1f} ms"
        )
