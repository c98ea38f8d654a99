"""``libra bench`` commands write a JSON result (sizes kept tiny: this checks the plumbing,
not the speed)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from libra.cli.main import main


def test_bench_storage_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "storage.json"
    args = ["bench", "storage", "--accounts", "300", "--blocks", "2", "--block-size", "10"]
    args += ["--updates-per-block", "20", "--proof-reads", "5", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["benchmark"] == "storage"
    assert doc["result"]["blocks"] == 2 and doc["result"]["accounts"] == 300
    assert doc["result"]["committed_tps_median"] > 0
    assert doc["machine"]["cpus"] >= 1


def test_bench_execute_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "execute.json"
    args = ["bench", "execute", "--accounts", "12", "--block-size", "30", "--repeat", "3"]
    result = CliRunner().invoke(main, [*args, "--seed", "4", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["benchmark"] == "execute"
    r = doc["result"]
    assert r["accounts"] == 12 and r["block_size"] == 30 and r["runs"] == 3
    assert r["executed"] == 30  # every transfer executed, none discarded or aborted
    assert r["accounts_changed"] >= 12  # every account sent at least one transfer
    assert len(r["seconds_per_run"]) == 3
    assert r["tx_per_sec_median"] > 0 and r["tx_per_sec_best"] >= r["tx_per_sec_median"]
    assert r["signature_verifications"] == 30 and r["signature_verifications_per_sec"] > 0
    assert r["target_tx_per_sec"] == 50_000 and isinstance(r["meets_target"], bool)
    assert r["reserve_coverage_bps"] == 10_000


def test_bench_execute_rejects_one_account() -> None:
    result = CliRunner().invoke(main, ["bench", "execute", "--accounts", "1"])
    assert result.exit_code == 2 and "--accounts" in result.output


def test_sim_twins_reports_safety_and_violations() -> None:
    runner = CliRunner()
    safe = runner.invoke(main, ["sim", "twins", "--scenarios", "10", "--seed", "3", "--json"])
    assert safe.exit_code == 0, safe.output
    summary = json.loads(safe.output[safe.output.index("{") :])
    assert summary["scenarios"] == 10 and summary["scenarios_with_violations"] == 0
    unsafe = runner.invoke(
        main, ["sim", "twins", "--scenarios", "25", "--seed", "7", "--twins", "2", "--workers", "1"]
    )
    assert unsafe.exit_code == 1
    assert "SAFETY VIOLATION" in unsafe.output
