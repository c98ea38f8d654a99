"""Pruning: state older than the window is physically deleted and refused with a clear
NotFoundError, while the kept versions (and every transaction) still prove; pruning continues
after a reopen."""

from __future__ import annotations

from pathlib import Path

import lmdb
import pytest
from storage_helpers import address, block, commit, validators

from libra.storage import LedgerDB, NotFoundError
from libra.storage.proof import ledger_info_of


def _node_count(path: Path) -> int:
    env = lmdb.open(str(path), max_dbs=20, readonly=True)
    try:
        with env.begin() as txn:
            return int(txn.stat(env.open_db(b"state_node", txn=txn))["entries"])
    finally:
        env.close()


def test_pruned_versions_are_gone_and_recent_versions_prove(tmp_path: Path) -> None:
    _es, keys = validators(1)
    full = LedgerDB.open(tmp_path / "full")
    db = LedgerDB.open(tmp_path / "pruned", prune_window=20)
    for b in range(8):
        txns = block(11, b, 10, 30)
        commit(full, txns, keys)
        latest = commit(db, txns, keys)
    li = ledger_info_of(latest)
    assert full.state_versions() == list(range(9, 80, 10))
    assert db.state_versions() == [59, 69, 79]
    assert db.oldest_state_version() == 59 and full.oldest_state_version() == 9
    for v in (9, 29, 49, 65):  # pruned, and inside a block (state is kept at block ends)
        with pytest.raises(NotFoundError, match=f"no state kept at version {v} .*prune window"):
            db.get_account_state_with_proof(address(1), v)
        with pytest.raises(NotFoundError, match=f"no state kept at version {v} .*block ends"):
            db.get_account_state(address(1), v)
        with pytest.raises(NotFoundError, match="missing \\(pruned or never written\\)"):
            list(db.iter_state(v))
        db.get_transaction_info_with_proof(v).verify(li, v)  # transactions are never pruned
    for v in db.state_versions():
        for a in range(30):
            proof = db.get_account_state_with_proof(address(a), v)
            proof.verify(li, v, address(a))
            assert (proof.blob.blob if proof.blob else None) == full.get_account_state(
                address(a), v
            )
    full.close()
    db.close()
    assert _node_count(tmp_path / "pruned") < _node_count(tmp_path / "full") // 2

    db = LedgerDB.open(tmp_path / "pruned", prune_window=20)
    latest = commit(db, block(11, 8, 10, 30), keys)
    assert db.state_versions() == [69, 79, 89]
    with pytest.raises(NotFoundError, match="no state kept at version 59"):
        db.get_account_state_with_proof(address(2), 59)
    db.get_account_state_with_proof(address(2), 69).verify(ledger_info_of(latest), 69, address(2))
    db.close()
