"""``libra db backup / restore / info``: the round trip through the command line, and one-line
errors (never a traceback) for every failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from libra.cli.main import main
from libra.storage import LedgerDB

# tests/ is on the import path (pyproject's pythonpath); the storage helpers live there.
from storage.storage_helpers import block, commit, validators


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "src"
    e1, k1 = validators(4, epoch=1, seed=1)
    with LedgerDB.open(path) as db:
        commit(db, block(3, 0, 1, 12), [], epoch=0, next_epoch=e1)
        for b in range(1, 4):
            commit(db, block(3, b, 5, 12), k1, epoch=1)
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["db", *map(str, args)])


def test_backup_info_restore_round_trip(ledger: Path, tmp_path: Path) -> None:
    info = run("info", "--db", ledger, "--json")
    assert info.exit_code == 0, info.output
    src = json.loads(info.stdout)
    assert src["num_transactions"] == 16 and src["latest_version"] == 15
    assert src["epoch"] == 1 and src["epoch_changes"] == 1
    assert src["state_versions"] == {"count": 4, "oldest": 0, "newest": 15}

    bk = run("backup", "--db", ledger, "--out", tmp_path / "bk", "--version", "5", "--json")
    assert bk.exit_code == 0, bk.output
    summary = json.loads(bk.stdout)
    assert summary["version"] == 15 and summary["snapshot_version"] == 5
    assert summary["trust_anchor"] == src["trust_anchor"]

    res = run("restore", "--backup", tmp_path / "bk", "--db", tmp_path / "dst", "--json")
    assert res.exit_code == 0, res.output
    assert "pass --trust VERSION:HASH" in res.stderr
    restored = json.loads(res.stdout)
    for key in ("num_transactions", "accumulator_root", "state_root", "ledger_info", "epoch"):
        assert restored[key] == src[key]
    assert restored["state_versions"] == {"count": 3, "oldest": 5, "newest": 15}

    pinned = run(
        "restore",
        "--backup",
        tmp_path / "bk",
        "--db",
        tmp_path / "dst2",
        "--trust",
        src["trust_anchor"],
    )
    assert pinned.exit_code == 0, pinned.output
    assert "--trust" not in pinned.stderr
    assert "num_transactions:" in pinned.stdout

    text = run("info", "--db", tmp_path / "dst")
    assert (
        text.exit_code == 0 and f"accumulator_root:{'':13}{src['accumulator_root']}" in text.stdout
    )


def _one_line_error(result: Result, *needles: str) -> None:
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_failures_are_one_line_errors(ledger: Path, tmp_path: Path) -> None:
    _one_line_error(run("info", "--db", tmp_path / "nowhere"), "no ledger database here")
    _one_line_error(
        run("backup", "--db", ledger, "--out", tmp_path / "x", "--version", "7"),
        "no state is kept at version 7",
    )
    _one_line_error(run("backup", "--db", tmp_path / "nowhere", "--out", tmp_path / "x"))
    assert run("backup", "--db", ledger, "--out", tmp_path / "bk").exit_code == 0
    _one_line_error(run("backup", "--db", ledger, "--out", tmp_path / "bk"), "not an empty")
    _one_line_error(run("restore", "--backup", tmp_path / "bk", "--db", ledger), "already exists")
    _one_line_error(
        run("restore", "--backup", tmp_path / "bk", "--db", tmp_path / "d", "--trust", "x"),
        "VERSION:HASH",
    )
    _one_line_error(
        run("restore", "--backup", tmp_path / "nowhere", "--db", tmp_path / "d"),
        "nowhere: does not exist",
    )
    state = tmp_path / "bk" / "state-000000.bcs"
    data = bytearray(state.read_bytes())
    data[-1] ^= 0x40
    state.write_bytes(bytes(data))
    _one_line_error(
        run("restore", "--backup", tmp_path / "bk", "--db", tmp_path / "d"),
        "state-000000.bcs",
        "checksum mismatch",
    )
    assert not (tmp_path / "d").exists()
