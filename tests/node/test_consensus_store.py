"""Safety data and the block tree on the consensus database: survives restarts, refuses damaged
data, imports an earlier version's safety data file without ever going backwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus.helpers import EPOCH_STATE, GENESIS_LI, GENESIS_QC, VALIDATORS
from libra import bcs
from libra.consensus import (
    IncorrectLastVotedRound,
    MemoryBlockPersistence,
    SafetyData,
    SafetyRules,
    SafetyStorageError,
)
from libra.consensus.sim import (
    SharedPool,
    Simulation,
    make_transactions,
)
from libra.node.consensus_store import (
    IMPORTED_SUFFIX,
    LmdbBlockPersistence,
    LmdbSafetyStorage,
    safety_progress,
)
from libra.storage.consensus_db import ConsensusDB
from libra.types.consensus import Block
from libra.types.ledger import BlockInfo, EpochState

VALS = VALIDATORS


def rules(storage: LmdbSafetyStorage) -> SafetyRules:
    sr = SafetyRules(VALS[3].address, VALS[3].key, storage)
    sr.initialize(EPOCH_STATE)  # type: ignore[arg-type]
    return sr


def block1(ts: int = 1) -> tuple[Block, BlockInfo]:
    b = Block.proposal(1, 1, ts, GENESIS_QC, (), VALS[0].address, VALS[0].key)
    return b, BlockInfo(b.epoch, b.round, b.id, GENESIS_QC.certified_block.executed_state_id, 1, ts)


def data(epoch: int, lvr: int, htr: int = 0) -> SafetyData:
    return SafetyData(epoch, lvr, 0, 0, None, htr)


def test_safety_data_survives_restart(tmp_path: Path) -> None:
    db = ConsensusDB.open(tmp_path / "c")
    sr = rules(LmdbSafetyStorage(db))
    b, info = block1()
    v = sr.construct_and_sign_vote_two_chain(b, info)
    db.close()
    db = ConsensusDB.open(tmp_path / "c")
    again = rules(LmdbSafetyStorage(db))
    assert again.safety_data.last_vote == v
    other, other_info = block1(ts=5)
    with pytest.raises(IncorrectLastVotedRound):
        again.construct_and_sign_vote_two_chain(other, other_info)
    # a new epoch starts from fresh rounds, durably
    again.initialize(EpochState(2, EPOCH_STATE.verifier))  # type: ignore[union-attr]
    assert again.safety_data == SafetyData.initial(2)
    assert LmdbSafetyStorage(db).load() == SafetyData.initial(2)
    db.close()


def test_corrupt_safety_data_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with ConsensusDB.open(tmp_path / "c") as db:
        db.put_safety_data(b"\xff\x00")
        with pytest.raises(SafetyStorageError, match=r"data\.mdb"):
            LmdbSafetyStorage(db).load()


def test_imports_an_earlier_versions_file_then_retires_it(tmp_path: Path) -> None:
    legacy = tmp_path / "safety_data.bcs"
    legacy.write_bytes(bcs.encode(data(1, 7, 6)))
    with ConsensusDB.open(tmp_path / "c") as db:
        storage = LmdbSafetyStorage(db, legacy_file=legacy)
        assert storage.load() == data(1, 7, 6) and storage.imported
        assert db.get_safety_data() == bcs.encode(data(1, 7, 6))
        assert not legacy.exists()
        assert (tmp_path / ("safety_data.bcs" + IMPORTED_SUFFIX)).exists()
        # the next start finds only the store
        assert LmdbSafetyStorage(db, legacy_file=legacy).load() == data(1, 7, 6)


def test_a_corrupt_legacy_file_is_an_error_and_left_in_place(tmp_path: Path) -> None:
    legacy = tmp_path / "safety_data.bcs"
    legacy.write_bytes(b"\x01")
    with ConsensusDB.open(tmp_path / "c") as db:
        with pytest.raises(SafetyStorageError, match=r"safety_data\.bcs"):
            LmdbSafetyStorage(db, legacy_file=legacy).load()
        assert legacy.exists() and db.get_safety_data() is None


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(st.none(), st.tuples(st.integers(0, 3), st.integers(0, 9), st.integers(0, 9))),
    st.one_of(st.none(), st.tuples(st.integers(0, 3), st.integers(0, 9), st.integers(0, 9))),
)
def test_safety_data_never_goes_backwards_across_the_import(
    tmp_path_factory: pytest.TempPathFactory,
    in_db: tuple[int, int, int] | None,
    in_file: tuple[int, int, int] | None,
) -> None:
    """Whatever the store and the old file hold (a crash between import and rename, a file
    an older version wrote again), what is loaded is at least as far along as each."""
    tmp = tmp_path_factory.mktemp("import")
    legacy = tmp / "safety_data.bcs"
    if in_file is not None:
        legacy.write_bytes(bcs.encode(data(*in_file)))
    with ConsensusDB.open(tmp / "c") as db:
        if in_db is not None:
            LmdbSafetyStorage(db).save(data(*in_db))
        loaded = LmdbSafetyStorage(db, legacy_file=legacy).load()
        assert not legacy.exists()
        if in_db is None and in_file is None:
            assert loaded is None
            return
        assert loaded is not None
        for x in (in_db, in_file):
            if x is not None:
                assert safety_progress(loaded) >= safety_progress(data(*x))
        if in_db is not None:
            raw = db.get_safety_data()
            assert raw is not None and bcs.decode(SafetyData, raw) == loaded
        # and it stays: a reload gives the same
        assert LmdbSafetyStorage(db, legacy_file=legacy).load() == loaded


def test_block_persistence_matches_the_memory_one(tmp_path: Path) -> None:
    """Both implementations hold the same tree after the same simulated run."""
    s = Simulation(VALS, GENESIS_LI, SharedPool(make_transactions(300)), seed=21)
    s.start()
    s.run(600)
    with ConsensusDB.open(tmp_path / "c") as db:
        lmdb_store = LmdbBlockPersistence(db)
        mem: MemoryBlockPersistence = s.instances[0].blocks
        tree = mem.load()
        assert tree.blocks
        lmdb_store.reset(tree.blocks, tree.quorum_certs)
        if tree.highest_timeout_cert is not None:
            lmdb_store.save(timeout_cert=tree.highest_timeout_cert)
        assert lmdb_store.load() == tree
        lmdb_store.save(delete=[tree.blocks[0].id])
        mem.save(delete=[tree.blocks[0].id])
        assert lmdb_store.load() == mem.load()


def test_a_validator_upgraded_in_place_keeps_its_safety_data(tmp_path: Path) -> None:
    """A data directory of an earlier version (safety data in a file): the node imports it."""
    from libra.node.genesis import create_testnet
    from libra.node.runtime import ValidatorNode

    files = create_testnet(tmp_path / "net", 4, faucet_port=None)[0]
    files.data_path.mkdir(parents=True, exist_ok=True)
    legacy = files.data_path / "safety_data.bcs"
    legacy.write_bytes(bcs.encode(data(1, 5, 4)))
    node = ValidatorNode(files)
    try:
        assert node.consensus.safety_rules.safety_data == data(1, 5, 4)
        assert not legacy.exists()
    finally:
        node.db.close()
        node.consensus_db.close()
    node = ValidatorNode(files)
    try:
        assert node.consensus.safety_rules.safety_data == data(1, 5, 4)
        assert (files.data_path / "consensus" / "data.mdb").exists()
    finally:
        node.db.close()
        node.consensus_db.close()
