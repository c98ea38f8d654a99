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
