"""The execution benchmark refuses results that are not the block really applied."""

from __future__ import annotations

import dataclasses

import pytest

from libra.execution import bench, execute_block
from libra.framework import Discard, StatusCode
from libra.types import UserTransaction


def test_check_effects_accepts_the_real_output_and_refuses_shortcuts() -> None:
    view, keys, addrs = bench.setup(4, seed=3)
    signed = bench.transfers(keys, addrs, 8, seed=3)
    out = execute_block(view, [UserTransaction(s) for s in signed])
    bench.check_effects(view, signed, out)

    discarded = dataclasses.replace(
        out,
        outputs=(
            dataclasses.replace(out.outputs[0], status=Discard(StatusCode.INVALID_SIGNATURE)),
            *out.outputs[1:],
        ),
    )
    with pytest.raises(bench.BenchError, match="1 of 8 transfers not executed"):
        bench.check_effects(view, signed, discarded)

    unchanged = dataclasses.replace(out, changed={**out.changed, addrs[0]: view.blobs[addrs[0]]})
    with pytest.raises(bench.BenchError, match=r"not conserved|did not advance"):
        bench.check_effects(view, signed, unchanged)

    missing = dataclasses.replace(
        out, changed={a: b for a, b in out.changed.items() if a != addrs[1]}
    )
    with pytest.raises(bench.BenchError, match="senders were not changed"):
        bench.check_effects(view, signed, missing)

    silent = dataclasses.replace(
        out, outputs=(dataclasses.replace(out.outputs[0], events=()), *out.outputs[1:])
    )
    with pytest.raises(bench.BenchError, match="events"):
        bench.check_effects(view, signed, silent)


def test_run_fails_when_transfers_are_not_executed(monkeypatch: pytest.MonkeyPatch) -> None:
    real = bench.execute_block

    def stale(view, block, **kw):  # type: ignore[no-untyped-def]
        if kw.get("signatures_verified"):  # the timed block (setup passes no keywords)
            block = block[:1] + block[:-1]  # the repeated first transfer is discarded
        return real(view, block, **kw)

    monkeypatch.setattr(bench, "execute_block", stale)
    with pytest.raises(bench.BenchError, match="not executed"):
        bench.run(accounts=3, transactions=4, runs=1, seed=2)
