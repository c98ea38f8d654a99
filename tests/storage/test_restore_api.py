"""LedgerDB.speculate_restored: blocks whose transaction infos are already known (restore from
a backup), written as given on top of a state snapshot, with the same checks at commit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from storage_helpers import address, block, commit, validators

from libra.crypto import HashValue
from libra.storage import CommitError, LedgerDB
from libra.storage.ledger_db import RestoredTransaction
from libra.storage.proof import ledger_info_of, verify_ledger_info
from libra.types import LedgerInfoWithSignatures

ACCOUNTS = 16


@pytest.fixture
def source(tmp_path: Path) -> tuple[LedgerDB, list[LedgerInfoWithSignatures]]:
    """Block ends 4, 9, 14, 19, each with a ledger info."""
    _es, keys = validators(4)
    db = LedgerDB.open(tmp_path / "src")
    lis: list[LedgerInfoWithSignatures] = [
        commit(db, block(9, b, 5, ACCOUNTS), keys) for b in range(4)
    ]
    return db, lis


def records(db: LedgerDB, first: int, last: int) -> list[RestoredTransaction]:
    return [
        RestoredTransaction(
            db.get_transaction(v), db.get_events(v), db.get_write_set(v), db.get_transaction_info(v)
        )
        for v in range(first, last + 1)
    ]


def test_restore_from_a_snapshot_gives_the_same_ledger(
    source: tuple[LedgerDB, list[LedgerInfoWithSignatures]], tmp_path: Path
) -> None:
    src, lis = source
    es, _keys = validators(4)
    dst = LedgerDB.open(tmp_path / "dst")
    # Before the snapshot (at 9): no state.
    s = dst.speculate_restored(records(src, 0, 4))
    assert s.tree is None
    dst.commit_block(s, lis[0])
    assert dst.state_version is None
    # The snapshot at 9.
    leaves = list(src.iter_state(9))
    s = dst.speculate_restored(records(src, 5, 9), leaves)
    assert s.state_root == src.get_transaction_info(9).state_root_hash
    dst.commit_block(s, lis[1])
    # Blocks after it, as state changes.
    for first, last, li in ((10, 14, lis[2]), (15, 19, lis[3])):
        changes = src.state_changes(first - 1, last)
        s = dst.speculate_restored(records(src, first, last), changes)
        dst.commit_block(s, li)
    assert dst.accumulator_root == src.accumulator_root
    assert dst.state_root == src.state_root
    assert dst.state_versions() == [9, 14, 19]
    dst.close()
    dst = LedgerDB.open(tmp_path / "dst", create=False)
    li = verify_ledger_info(dst.latest_ledger_info(), es)  # type: ignore[arg-type]
    for a in range(0, ACCOUNTS, 5):
        dst.get_account_state_with_proof(address(a), 14, 19).verify(li, 14, address(a))
        assert dst.get_account_state(address(a)) == src.get_account_state(address(a))
    dst.get_transactions_with_proof(0, 20).verify(li, 0)
    dst.close()
    src.close()


def test_restore_refuses_what_does_not_match(
    source: tuple[LedgerDB, list[LedgerInfoWithSignatures]], tmp_path: Path
) -> None:
    src, lis = source
    dst = LedgerDB.open(tmp_path / "dst")
    with pytest.raises(CommitError, match="no transactions"):
        dst.speculate_restored([])
    # A snapshot whose root is not the one the transaction infos claim.
    leaves = list(src.iter_state(4))
    wrong = dst.speculate_restored(records(src, 0, 4), leaves[1:])
    with pytest.raises(CommitError, match="state root"):
        dst.commit_block(wrong, lis[0])
    # A ledger info of another version.
    s = dst.speculate_restored(records(src, 0, 4), leaves)
    with pytest.raises(CommitError, match="ledger info is for version 9"):
        dst.commit_block(s, lis[1])
    # Tampered infos change the accumulator: the signed ledger info no longer matches.
    recs = records(src, 0, 4)
    info = dataclasses.replace(recs[0].info, gas_used=recs[0].info.gas_used + 1)
    recs[0] = dataclasses.replace(recs[0], info=info)
    with pytest.raises(CommitError, match="accumulator root"):
        dst.commit_block(dst.speculate_restored(recs, leaves), lis[0])
    assert dst.num_transactions == 0  # nothing was written
    dst.commit_block(s, lis[0])
    assert ledger_info_of(dst.latest_ledger_info()).version == 4  # type: ignore[arg-type]
    # Once the ledger keeps state, every restored block must bring its state updates.
    with pytest.raises(CommitError, match="must bring its state updates"):
        dst.speculate_restored(records(src, 5, 9))
    with pytest.raises(ValueError, match="32 bytes"):
        dst.speculate_restored(records(src, 5, 9), [(b"short", b"blob")])
    bad = [(bytes(HashValue(bytes(32))), b"x")] * 2
    with pytest.raises(ValueError, match="twice"):
        dst.speculate_restored(records(src, 5, 9), bad)
    # A block computed on a ledger that has moved on is refused.
    a = dst.speculate_restored(records(src, 5, 9), src.state_changes(4, 9))
    b = dst.speculate_restored(records(src, 5, 9), src.state_changes(4, 9))
    dst.commit_block(a, lis[1])
    with pytest.raises(CommitError, match="computed on"):
        dst.commit_block(b, lis[1])
    with pytest.raises(CommitError, match="is committed"):
        dst.commit_block(a, lis[1])
    assert (
        dst.num_transactions == 10 and dst.state_root == src.get_transaction_info(9).state_root_hash
    )
    dst.close()
    src.close()
