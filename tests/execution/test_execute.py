"""Block execution: determinism, outputs, per-transaction blobs, the benchmark."""

from __future__ import annotations

import gc
import json

import pytest

from libra.execution import bench, committed, execute_block
from libra.framework import DictStateView, Discard, Keep, StatusCode, account_state
from libra.types import Executed, UserTransaction


@pytest.fixture(scope="module")
def chain() -> tuple[DictStateView, list, list]:  # type: ignore[type-arg]
    return bench.setup(30, seed=7)


def test_same_block_twice_gives_identical_outputs(chain) -> None:  # type: ignore[no-untyped-def]
    view, keys, addrs = chain
    block = [UserTransaction(s) for s in bench.transfers(keys, addrs, 60, seed=3)]
    before = dict(view.blobs)
    one = execute_block(view, block)
    two = execute_block(view, block)
    assert one == two
    assert view.blobs == before  # execution never writes to the view
    assert all(o.status == Keep(Executed()) for o in one.outputs)
    # senders repeat: the second transfer of each sender has sequence number 1
    for a in addrs:
        assert account_state(DictStateView({**view.blobs, **one.changed}), a).sequence_number == 2  # type: ignore[union-attr]


def test_discards_are_not_committed(chain) -> None:  # type: ignore[no-untyped-def]
    view, keys, addrs = chain
    txns = bench.transfers(keys, addrs, 2, seed=4)
    block = [UserTransaction(txns[0]), UserTransaction(txns[0]), UserTransaction(txns[1])]
    out = execute_block(view, block)
    assert out.outputs[1].status == Discard(StatusCode.SEQUENCE_NUMBER_TOO_OLD)
    kept = committed(block, out)
    assert [t for t, _ in kept] == [block[0], block[2]]


def test_per_transaction_blobs(chain) -> None:  # type: ignore[no-untyped-def]
    view, keys, addrs = chain
    block = [UserTransaction(s) for s in bench.transfers(keys, addrs, 10, seed=5)]
    out = execute_block(view, block, per_transaction_blobs=True)
    replay = DictStateView(view.blobs)
    for o in out.outputs:
        assert o.blobs is not None and set(o.blobs) == set(o.written)
        replay.apply(o.blobs)
    assert {a: replay.blobs[a] for a in out.changed} == out.changed


def test_gc_state_is_restored(chain) -> None:  # type: ignore[no-untyped-def]
    view, keys, addrs = chain
    block = [UserTransaction(s) for s in bench.transfers(keys, addrs, 3, seed=6)]
    assert gc.isenabled()
    execute_block(view, block)
    assert gc.isenabled()
    gc.disable()
    try:
        execute_block(view, block)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_bench_report_is_json() -> None:
    report = bench.run(accounts=20, transactions=40, runs=2, seed=2)
    json.dumps(report)
    assert report["executed"] == 40 and report["transactions"] == 40
    assert report["tx_per_sec_median"] > 0
    assert report["reserve_coverage_bps"] == 10_000
    with pytest.raises(ValueError):
        bench.run(accounts=1)
