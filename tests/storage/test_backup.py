"""Backup and restore of the ledger database: round trips (with an epoch change, blocks without
ledger infos, write sets, pruning), every kind of damaged or forged file, and refused targets."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from storage_helpers import address, block, commit, sign, validators

from libra import bcs
from libra.crypto import HashValue
from libra.storage import LedgerDB, NotFoundError, TransactionToCommit
from libra.storage.backup import (
    MANIFEST,
    BackupError,
    EpochEndingLedgerInfos,
    StateChunk,
    StateUpdate,
    StateUpdatesChunk,
    TransactionChunk,
    _seal_manifest,
    backup,
    restore,
    trust_anchor,
)
from libra.storage.proof import (
    TRANSACTION_ACCUMULATOR_HASHER,
    InMemoryAccumulator,
    ledger_info_of,
    verify_accumulator_consistency,
    verify_ledger_info,
)
from libra.types import (
    AccessPath,
    EventKey,
    LedgerInfoWithSignatures,
    LedgerInfoWithV0,
    WriteOpValue,
    WriteSet,
)

ACCOUNTS = 24
E1, K1 = validators(4, epoch=1, seed=1)
E2, K2 = validators(3, epoch=2, seed=2)


def _with_write_sets(txns: list[TransactionToCommit]) -> list[TransactionToCommit]:
    out = []
    for i, t in enumerate(txns):
        ws = WriteSet(((AccessPath(address(i), b"path"), WriteOpValue(bytes([i]) * 3)),))
        out.append(dataclasses.replace(t, write_set=ws))
    return out


def build_ledger(path: Path, prune_window: int | None = None) -> LedgerDB:
    """Genesis (epoch 0, unsigned, naming epoch 1's validators), epoch 1 blocks (one committed
    without a ledger info), the ledger info ending epoch 1, epoch 2 blocks, and a last block
    that no ledger info certifies yet. Block ends: 0, 6, 12, 18, 23, 29, 35, 41, 47 | 50."""
    db = LedgerDB.open(path, prune_window=prune_window)
    commit(db, block(1, 0, 1, ACCOUNTS), [], epoch=0, next_epoch=E1)
    for b in range(1, 4):
        commit(db, _with_write_sets(block(1, b, 6, ACCOUNTS)), K1, epoch=1)
    db.commit_block(block(1, 4, 5, ACCOUNTS))
    commit(db, block(1, 5, 6, ACCOUNTS), K1, epoch=1, next_epoch=E2)
    for b in range(6, 9):
        commit(db, block(1, b, 6, ACCOUNTS), K2, epoch=2)
    db.commit_block(block(1, 9, 3, ACCOUNTS))
    return db


LATEST = 47


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> LedgerDB:
    return build_ledger(tmp_path_factory.mktemp("src") / "db")


@pytest.fixture(scope="module")
def pristine(source: LedgerDB, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup with a snapshot at 18 (so blocks follow it), in small chunks."""
    out = tmp_path_factory.mktemp("bk") / "backup"
    backup(source, out, version=18, chunk_size=7)
    return out


@pytest.fixture
def copy(pristine: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "backup"
    shutil.copytree(pristine, dst)
    return dst


def assert_same_ledger(src: LedgerDB, dst: LedgerDB, snapshot: int) -> None:
    latest = src.latest_ledger_info()
    assert latest is not None
    li = ledger_info_of(latest)
    assert dst.latest_ledger_info() == latest
    assert dst.num_transactions == LATEST + 1
    assert dst.accumulator_root == li.transaction_accumulator_hash
    assert dst.epoch_ending_ledger_infos() == src.epoch_ending_ledger_infos()
    assert dst.state_versions() == [v for v in src.state_versions() if snapshot <= v <= LATEST]
    assert dst.state_root == src.get_transaction_info(LATEST).state_root_hash
    for v in range(LATEST + 1):
        assert dst.get_transaction(v) == src.get_transaction(v)
        assert dst.get_transaction_info(v) == src.get_transaction_info(v)
        assert dst.get_events(v) == src.get_events(v)
        assert dst.get_write_set(v) == src.get_write_set(v)
    # Proofs served by the restored database verify against the signed ledger info.
    trusted = dst.get_epoch_change_proof(1, 2).verify(E1)
    assert trusted == E2
    verify_ledger_info(latest, trusted)
    dst.get_transactions_with_proof(0, LATEST + 1).verify(li, 0)
    dst.get_transaction_info_with_proof(3).verify(li, 3)
    for v in dst.state_versions():
        for a in range(ACCOUNTS):
            p = dst.get_account_state_with_proof(address(a), v)
            p.verify(li, v, address(a))
            assert dst.get_account_state(address(a), v) == src.get_account_state(address(a), v)
    for e in dst.get_events_by_key(EventKey.create(1, address(0)), 0, 100):
        e.verify(li, e.event.key, e.event.sequence_number, e.transaction_version, e.event_index)
    old = InMemoryAccumulator(TRANSACTION_ACCUMULATOR_HASHER, dst.get_frozen_subtree_hashes(9), 9)
    verify_accumulator_consistency(
        TRANSACTION_ACCUMULATOR_HASHER,
        old,
        dst.get_accumulator_consistency_proof(8),
        LATEST + 1,
        li.transaction_accumulator_hash,
    )


def test_round_trip_default_snapshot(source: LedgerDB, tmp_path: Path) -> None:
    summary = backup(source, tmp_path / "bk")
    assert (summary.version, summary.epoch, summary.snapshot_version) == (LATEST, 2, LATEST)
    assert summary.trust_anchor == trust_anchor(source.epoch_ending_ledger_infos()[0])
    restored = restore(tmp_path / "bk", tmp_path / "db")
    assert restored == summary
    with LedgerDB.open(tmp_path / "db", create=False) as dst:
        assert_same_ledger(source, dst, LATEST)
    # A backup of the same ledger is byte for byte the same.
    backup(source, tmp_path / "again")
    for f in (tmp_path / "bk").iterdir():
        assert (tmp_path / "again" / f.name).read_bytes() == f.read_bytes()


def test_round_trip_earlier_snapshot_replays_later_blocks(
    source: LedgerDB, pristine: Path, tmp_path: Path
) -> None:
    manifest = json.loads((pristine / MANIFEST).read_text())
    kinds = [f["kind"] for f in manifest["files"]]
    assert kinds.count("transactions") == 7 and kinds.count("state_updates") >= 2
    assert manifest["snapshot"]["version"] == 18
    restore(pristine, tmp_path / "db", trust=trust_anchor(source.epoch_ending_ledger_infos()[0]))
    with LedgerDB.open(tmp_path / "db", create=False) as dst:
        assert_same_ledger(source, dst, 18)
        assert dst.state_versions()[0] == 18
        with pytest.raises(NotFoundError):
            dst.get_account_state_with_proof(address(1), 12)


def test_round_trip_of_pruned_database(tmp_path: Path) -> None:
    src = build_ledger(tmp_path / "src", prune_window=15)
    kept = src.state_versions()
    assert kept[0] > 0
    with pytest.raises(BackupError, match="no state is kept at version 6"):
        backup(src, tmp_path / "bk", version=6)
    assert not (tmp_path / "bk").exists()
    backup(src, tmp_path / "bk", version=kept[0])
    restore(tmp_path / "bk", tmp_path / "db")
    with LedgerDB.open(tmp_path / "db", create=False) as dst:
        assert_same_ledger(src, dst, kept[0])


def test_backup_refusals(source: LedgerDB, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="after the latest signed ledger info"):
        backup(source, tmp_path / "a", version=50)
    with pytest.raises(BackupError, match="no state is kept at version 7"):
        backup(source, tmp_path / "a", version=7)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(BackupError, match="not an empty directory"):
        backup(source, tmp_path / "full")
    (tmp_path / "empty").mkdir()
    backup(source, tmp_path / "empty")  # an empty directory is fine
    unsigned = LedgerDB.open(tmp_path / "unsigned")
    unsigned.commit_block(block(2, 0, 3, 5))
    with pytest.raises(BackupError, match="no signed ledger info"):
        backup(unsigned, tmp_path / "b")
    no_epochs = LedgerDB.open(tmp_path / "no_epochs")
    commit(no_epochs, block(2, 0, 3, 5), K1)
    with pytest.raises(BackupError, match="no epoch-ending ledger info"):
        backup(no_epochs, tmp_path / "b")
    assert not (tmp_path / "b").exists() and not (tmp_path / "a").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "empty",
        "full",
        "no_epochs",
        "unsigned",
    ]


def _restore_fails(backup_dir: Path, tmp_path: Path, match: str, **kw: str) -> BackupError:
    target = tmp_path / "out" / "db"
    with pytest.raises(BackupError, match=match) as info:
        restore(backup_dir, target, **kw)
    assert not target.exists()
    assert not target.parent.exists() or list(target.parent.iterdir()) == []
    return info.value


FILES = [
    MANIFEST,
    "epoch_ending_ledger_infos.bcs",
    "latest_ledger_info.bcs",
    "transactions-000003.bcs",
    "state-000001.bcs",
    "state_updates-000001.bcs",
]


@pytest.mark.parametrize("name", FILES)
def test_flipped_byte_names_the_file(copy: Path, tmp_path: Path, name: str) -> None:
    p = copy / name
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01
    p.write_bytes(bytes(data))
    err = _restore_fails(copy, tmp_path, name)
    assert err.path == str(p)


@pytest.mark.parametrize("name", FILES)
def test_missing_file_names_the_file(copy: Path, tmp_path: Path, name: str) -> None:
    (copy / name).unlink()
    _restore_fails(copy, tmp_path, f"{name}: .*missing")


def _reseal(root: Path, name: str, data: bytes) -> None:
    """Rewrites a file and its manifest entry as a careful forger would."""
    (root / name).write_bytes(data)
    doc = json.loads((root / MANIFEST).read_text())
    for f in doc["files"]:
        if f["name"] == name:
            f["bytes"] = len(data)
            f["sha3_256"] = hashlib.sha3_256(data).hexdigest()
    (root / MANIFEST).write_bytes(_seal_manifest(doc))


def _forge_state(root: Path) -> None:
    chunk = bcs.decode(StateChunk, (root / "state-000001.bcs").read_bytes())
    leaf = chunk.leaves[0]
    leaves = (dataclasses.replace(leaf, blob=leaf.blob + b"!"), *chunk.leaves[1:])
    _reseal(root, "state-000001.bcs", bcs.encode(dataclasses.replace(chunk, leaves=leaves)))


def _forge_updates(root: Path) -> None:
    chunk = bcs.decode(StateUpdatesChunk, (root / "state_updates-000001.bcs").read_bytes())
    b0 = chunk.blocks[0]
    ups = (*b0.updates, StateUpdate(bytes(HashValue(b"\xff" * 32)), b"extra"))
    blocks = (dataclasses.replace(b0, updates=ups), *chunk.blocks[1:])
    _reseal(root, "state_updates-000001.bcs", bcs.encode(StateUpdatesChunk(blocks)))


def _forge_transactions(root: Path) -> None:
    chunk = bcs.decode(TransactionChunk, (root / "transactions-000003.bcs").read_bytes())
    lst = chunk.transactions
    infos = lst.proof.transaction_infos
    infos = (dataclasses.replace(infos[0], gas_used=infos[0].gas_used + 1), *infos[1:])
    lst = dataclasses.replace(lst, proof=dataclasses.replace(lst.proof, transaction_infos=infos))
    _reseal(
        root, "transactions-000003.bcs", bcs.encode(dataclasses.replace(chunk, transactions=lst))
    )


def _forge_latest(root: Path) -> None:
    li = bcs.decode(LedgerInfoWithSignatures, (root / "latest_ledger_info.bcs").read_bytes())
    assert isinstance(li, LedgerInfoWithV0)
    _reseal(root, "latest_ledger_info.bcs", bcs.encode(sign(li.ledger_info, K2, 2)))


def _forge_epoch(root: Path) -> None:
    lis = bcs.decode(EpochEndingLedgerInfos, (root / "epoch_ending_ledger_infos.bcs").read_bytes())
    ending = lis.ledger_infos[1]
    assert isinstance(ending, LedgerInfoWithV0)
    forged = sign(ending.ledger_info, validators(4, epoch=1, seed=9)[1])
    data = EpochEndingLedgerInfos((lis.ledger_infos[0], forged))
    _reseal(root, "epoch_ending_ledger_infos.bcs", bcs.encode(data))


def _forge_manifest(root: Path) -> None:
    doc = json.loads((root / MANIFEST).read_text())
    doc["ledger"]["epoch"] = 3
    (root / MANIFEST).write_bytes(_seal_manifest(doc))


@pytest.mark.parametrize(
    ("forge", "match"),
    [
        (_forge_state, "state snapshot state-000000.bcs..state-00000[0-9].bcs has root"),
        (_forge_updates, "state_updates-000001.bcs: block .* gives state root"),
        (_forge_transactions, "transactions-000003.bcs: does not verify"),
        (_forge_latest, "latest_ledger_info.bcs: does not verify.*quorum"),
        (_forge_epoch, "epoch_ending_ledger_infos.bcs: epoch change chain does not verify"),
        (_forge_manifest, "manifest.json: ledger.epoch is 3"),
    ],
)
def test_resealed_forgeries_fail_verification(
    copy: Path, tmp_path: Path, forge: Callable[[Path], None], match: str
) -> None:
    forge(copy)
    _restore_fails(copy, tmp_path, match)


def test_trust_anchor_pins_the_first_ledger_info(copy: Path, tmp_path: Path) -> None:
    _restore_fails(copy, tmp_path, "not the trusted 0:00", trust="0:" + "00" * 32)
    with pytest.raises(ValueError, match="VERSION:HASH"):
        restore(copy, tmp_path / "db", trust="nonsense")


def test_restore_refuses_an_existing_target(copy: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackupError, match="already exists"):
        restore(copy, tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []
    restore(copy, tmp_path / "db")
    before = sorted((p.name, p.stat().st_size) for p in (tmp_path / "db").iterdir())
    with pytest.raises(BackupError, match="already exists"):
        restore(copy, tmp_path / "db")
    assert sorted((p.name, p.stat().st_size) for p in (tmp_path / "db").iterdir()) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_not_a_backup(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    _restore_fails(tmp_path / "nothing", tmp_path, "manifest.json: is missing")
    (tmp_path / "nothing" / MANIFEST).write_text("{}")
    _restore_fails(tmp_path / "nothing", tmp_path, "manifest.json: checksum mismatch")
