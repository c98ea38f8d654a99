"""The benchmark runs and reports JSON-able figures."""

from __future__ import annotations

import json

from libra.storage import bench


def test_bench_small() -> None:
    out = bench.run(accounts=2_000, blocks=2, block_size=50, updates_per_block=100, proof_reads=20)
    json.dumps(out)
    assert out["committed_tps_median"] > 0 and out["proof_reads_per_second"] > 0
