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
