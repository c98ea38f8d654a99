"""``libra bench network``: a tiny run (one validator process, a few accounts) end to end."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from libra.cli.bench import bench


def test_tiny_network_bench_reports_committed_transactions(tmp_path: Path) -> None:
    out = tmp_path / "bench-network.json"
    result = CliRunner().invoke(
        bench,
        [
            "network", "--validators", "1", "--accounts", "8", "--transactions", "160",
            "--inflight", "80", "--timeout", "20", "--output", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["benchmark"] == "network"
    report = doc["result"]
    (run,) = report["runs"]
    assert run["validators"] == 1 and run["accounts"] == 8
    assert run["committed"] > 0
    assert run["committed"] + run["rejected"] + run["uncommitted"] == 160
    assert run["user_versions"] >= run["committed"]
    assert run["committed_tps"] > 0
    p50, p90, p99 = (run[f"latency_ms_p{q}"] for q in (50, 90, 99))
    assert 0 < p50 <= p90 <= p99
    assert run["ed25519_verifications_per_sec"] > 0
    assert run["verification_ceiling_tps"] == run["ed25519_verifications_per_sec"]
    assert run["attested_ceiling_tps"] == run["ed25519_verifications_per_sec"]  # f+1 = 1
    assert run["peer_batch_signature_checks"] == [0.0]  # one validator: no peer batches
    for field in (
        "committed_tps",
        "latency_ms_p50",
        "latency_ms_p90",
        "latency_ms_p99",
        "ed25519_verifications_per_sec",
        "verification_ceiling_tps",
        "attested_ceiling_tps",
    ):
        assert report["median"][field] == run[field]
    assert "committed tx/s" in result.output  # the readable table


def test_attested_ceiling_counts_f_plus_one_verifiers() -> None:
    from libra.node.bench import _vouchers

    assert [_vouchers(n) for n in (1, 2, 4, 7, 10)] == [1, 1, 2, 3, 4]
