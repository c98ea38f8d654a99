"""Ledger database: commits, proofs against signed ledger infos, epochs, pruning, the consensus
store, refused commits and corrupt files."""

from __future__ import annotations

import os
from pathlib import Path

import lmdb
import pytest
from storage_helpers import address, block, commit, sign, validators

from libra import bcs
from libra.crypto import HashValue
from libra.storage import CommitError, CorruptionError, LedgerDB, NotFoundError, ProofError
from libra.storage.proof import (
    TRANSACTION_ACCUMULATOR_HASHER,
    InMemoryAccumulator,
    ledger_info_of,
    verify_accumulator_consistency,
    verify_ledger_info,
)
from libra.types import EventKey, LedgerInfoWithV0


@pytest.fixture
def filled(tmp_path: Path) -> tuple[LedgerDB, list[LedgerInfoWithV0]]:
    _es, keys = validators(4)
    db = LedgerDB.open(tmp_path / "db")
    lis = [commit(db, block(7, b, 10, 40), keys) for b in range(6)]
    return db, lis


def test_proofs_verify_against_signed_ledger_info(
    filled: tuple[LedgerDB, list[LedgerInfoWithV0]],
) -> None:
    db, lis = filled
    es, _keys = validators(4)
    latest = db.latest_ledger_info()
    assert latest == lis[-1]
    li = verify_ledger_info(latest, es)
    assert li.version == 59
    for a in range(0, 40, 3):
        p = db.get_account_state_with_proof(address(a))
        p.verify(li, 59, address(a))
        assert (p.blob.blob if p.blob else None) == db.get_account_state(address(a))
        if p.blob is not None:
            with pytest.raises(ProofError):
                p.verify(li, 59, address(a + 100))
    older = db.get_account_state_with_proof(address(1), 29)
    older.verify(li, 29, address(1))
    lst = db.get_transactions_with_proof(5, 30)
    lst.verify(li, 5)
    assert lst.transactions[0] == db.get_transaction(5)
    info = db.get_transaction_info_with_proof(17)
    info.verify(li, 17)
    with pytest.raises(ProofError):
        info.verify(li, 18)
    evs = db.get_events_by_key(EventKey.create(1, address(0)), 0, 100)
    assert evs and all(e.event.key == EventKey.create(1, address(0)) for e in evs)
    for e in evs:
        e.verify(li, e.event.key, e.event.sequence_number, e.transaction_version, e.event_index)
    with pytest.raises(NotFoundError):
        db.get_account_state_with_proof(address(1), 30)  # not a block end


def test_signature_checks(filled: tuple[LedgerDB, list[LedgerInfoWithV0]]) -> None:
    _db, lis = filled
    es, keys = validators(4)
    li = ledger_info_of(lis[-1])
    verify_ledger_info(sign(li, keys, 3), es)  # 3 of 4 is a quorum
    with pytest.raises(ProofError):
        verify_ledger_info(sign(li, keys, 2), es)
    good = sign(li, keys)
    for addr, sig in good.signatures.items():
        bad = bytearray(sig)
        bad[5] ^= 1
        sigs = dict(good.signatures)
        sigs[addr] = type(sig)(bytes(bad))
        with pytest.raises(ProofError):
            verify_ledger_info(LedgerInfoWithV0(li, sigs), es)
    _other_es, other_keys = validators(4, seed=9)
    with pytest.raises(ProofError):
        verify_ledger_info(sign(li, other_keys), es)


def test_consistency_proofs(filled: tuple[LedgerDB, list[LedgerInfoWithV0]]) -> None:
    db, _ = filled
    li = ledger_info_of(db.latest_ledger_info())
    for known in (None, 0, 9, 31, 58, 59):
        n = 0 if known is None else known + 1
        old = InMemoryAccumulator(
            TRANSACTION_ACCUMULATOR_HASHER, db.get_frozen_subtree_hashes(n), n
        )
        proof = db.get_accumulator_consistency_proof(known)
        verify_accumulator_consistency(
            TRANSACTION_ACCUMULATOR_HASHER, old, proof, 60, li.transaction_accumulator_hash
        )


def test_epoch_change_proof(tmp_path: Path) -> None:
    db = LedgerDB.open(tmp_path / "db")
    e1, k1 = validators(4, epoch=1, seed=1)
    e2, k2 = validators(3, epoch=2, seed=2)
    e3, k3 = validators(5, epoch=3, seed=3)
    commit(db, block(1, 0, 5, 10), k1, epoch=1, next_epoch=e2)
    commit(db, block(1, 1, 5, 10), k2, epoch=2, next_epoch=e3)
    li = commit(db, block(1, 2, 5, 10), k3, epoch=3)
    proof = db.get_epoch_change_proof(1, 3)
    assert not proof.more
    assert proof.verify(e1) == e3
    verify_ledger_info(li, e3)
    with pytest.raises(ProofError):
        proof.verify(validators(4, epoch=1, seed=8)[0])
    assert bcs.decode(type(proof), bcs.encode(proof)) == proof


def test_refused_commits_write_nothing(tmp_path: Path) -> None:
    db = LedgerDB.open(tmp_path / "db")
    _es, keys = validators(4)
    commit(db, block(2, 0, 5, 10), keys)
    before = (db.num_transactions, db.accumulator_root, db.state_root)
    txns = block(2, 1, 5, 10)
    li = ledger_info_of(commit(LedgerDB.open(tmp_path / "other"), block(2, 0, 4, 10), keys))
    with pytest.raises(CommitError):
        db.commit_block(txns, sign(li, keys))
    assert (db.num_transactions, db.accumulator_root, db.state_root) == before
    db.close()
    assert LedgerDB.open(tmp_path / "db").num_transactions == 5


def test_pruning_keeps_window(tmp_path: Path) -> None:
    _es, keys = validators(1)
    db = LedgerDB.open(tmp_path / "db", prune_window=25)
    for b in range(8):
        commit(db, block(3, b, 10, 30), keys)
    kept = db.state_versions()
    assert kept[0] <= 79 - 25 and kept[-1] == 79
    assert 9 not in kept
    li = ledger_info_of(db.latest_ledger_info())
    for v in kept:
        for a in range(30):
            db.get_account_state_with_proof(address(a), v).verify(li, v, address(a))
    with pytest.raises(NotFoundError):
        db.get_account_state_with_proof(address(1), 9)
    db.close()
    LedgerDB.open(tmp_path / "db").close()


def test_truncated_and_garbage_files_are_refused(tmp_path: Path) -> None:
    _es, keys = validators(1)
    db = LedgerDB.open(tmp_path / "db")
    for b in range(3):
        commit(db, block(4, b, 50, 200), keys)
    db.close()
    data = tmp_path / "db" / "data.mdb"
    size = data.stat().st_size
    with open(data, "r+b") as f:
        f.truncate(size // 2)
    with pytest.raises(CorruptionError) as info:
        LedgerDB.open(tmp_path / "db")
    assert "data.mdb" in str(info.value)
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "data.mdb").write_bytes(os.urandom(64 * 1024))
    with pytest.raises(CorruptionError) as info:
        LedgerDB.open(garbage)
    assert "data.mdb" in str(info.value)


def _poke(path: Path, dbname: bytes, key: bytes, value: bytes) -> None:
    env = lmdb.open(str(path), max_dbs=20)
    with env.begin(write=True) as txn:
        txn.put(key, value, db=env.open_db(dbname, txn=txn))
    env.close()


@pytest.mark.parametrize("what", ["header", "accumulator", "state", "ledger_info"])
def test_corrupt_records_are_refused(tmp_path: Path, what: str) -> None:
    _es, keys = validators(1)
    db = LedgerDB.open(tmp_path / "db")
    for b in range(3):
        commit(db, block(5, b, 8, 20), keys)
    db.close()
    p = tmp_path / "db"
    env = lmdb.open(str(p), max_dbs=20)
    with env.begin() as txn:
        header = txn.get(b"header", db=env.open_db(b"meta", txn=txn))
        li = txn.get(b"latest_li", db=env.open_db(b"meta", txn=txn))
    env.close()
    if what == "header":
        _poke(p, b"meta", b"header", header[:-1] + bytes([header[-1] ^ 1]))
    elif what == "accumulator":
        _poke(p, b"txn_acc", (0).to_bytes(8, "big"), bytes(32))
        _poke(p, b"txn_acc", (15).to_bytes(8, "big"), bytes(32))
    elif what == "state":
        _poke(p, b"state_node", (23).to_bytes(8, "big") + b"\x00", b"\x02")
    else:
        _poke(p, b"meta", b"latest_li", li[:10] + bytes([li[10] ^ 1]) + li[11:])
    with pytest.raises(CorruptionError) as info:
        LedgerDB.open(p)
    assert "data.mdb" in str(info.value)


def test_speculative_roots_match_commit(tmp_path: Path) -> None:
    db = LedgerDB.open(tmp_path / "db")
    txns = block(6, 0, 7, 10)
    acc_root, state_root = db.speculative_roots(txns)
    res = db.commit_block(txns)
    assert (res.accumulator_root, res.state_root) == (acc_root, state_root)
    assert isinstance(res.state_root, HashValue)
