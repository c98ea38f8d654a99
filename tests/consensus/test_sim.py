from __future__ import annotations

from pathlib import Path

from libra.consensus import MemoryBlockPersistence, MemorySafetyStorage, leader_reputation
from libra.consensus.sim import (
    SharedPool,
    SimNetworkConfig,
    Simulation,
    genesis_ledger_info,
    make_transactions,
    make_validators,
    reconfiguration_txn,
)
from libra.crypto import Ed25519PrivateKey, HashValue
from libra.node.consensus_store import LmdbBlockPersistence, LmdbSafetyStorage
from libra.storage.consensus_db import ConsensusDB
from libra.types.consensus import (
    Block,
    MsgProposal,
    MsgVote,
    ProposalMsg,
    QuorumCert,
    SyncInfo,
    Vote,
    VoteData,
    VoteMsg,
)
from libra.types.ledger import BlockInfo, LedgerInfo, LedgerInfoWithV0

from .helpers import GENESIS_INFO, GENESIS_QC, executed_info

VALS = make_validators(4)
GENESIS = genesis_ledger_info(VALS)


def sim(txns: int = 0, **kw: object) -> Simulation:
    s = Simulation(VALS, GENESIS, SharedPool(make_transactions(txns)), **kw)  # type: ignore[arg-type]
    s.start()
    return s


def test_four_validators_commit_thousands_of_transactions() -> None:
    s = sim(3000, seed=3)
    s.run(15_000)
    assert len(s.pool) == 0 and s.pool.committed_count == 3000
    versions = s.committed_versions()
    assert min(versions) >= 3000
    assert all(inst.computer.committed_txns == 3000 for inst in s.instances)
    assert s.safety_violations(range(4)) == []
    # every commit carries a quorum-signed ledger info
    li = s.instances[0].computer.latest_ledger_info
    assert len(li.signatures) >= 3
    li.verify(GENESIS.ledger_info.commit_info.next_epoch_state.verifier)  # type: ignore[union-attr]


def test_keeps_committing_with_one_validator_stopped() -> None:
    s = sim(2000, seed=4)
    s.run(100)
    s.stop(3)
    before = max(s.committed_versions()[:3])
    s.run(20_000)
    after = s.committed_versions()
    assert before <= 1000 and min(after[:3]) > 2000 and s.pool.committed_count == 2000
    assert s.safety_violations(range(3)) == []


def test_survives_drops_delays_and_wire_encoding() -> None:
    s = sim(
        300,
        seed=5,
        network=SimNetworkConfig(min_delay_ms=1, max_delay_ms=200, drop_rate=0.1, wire=True),
    )
    s.run(30_000)
    assert min(s.committed_versions()) > 300
    assert s.safety_violations(range(4)) == []


def test_equivocating_validator_cannot_break_safety() -> None:
    s = sim(1000, seed=6, byzantine=[0])
    s.run(20_000)
    honest = [1, 2, 3]
    assert s.safety_violations(honest) == []
    assert min(s.committed_versions()[1:]) > 500
    counters = [s.instances[i].node.round_manager.counters for i in honest]  # type: ignore[union-attr]
    assert sum(c["equivocating_votes"] + c["dropped_equivocating_proposal"] for c in counters) > 0
    # the byzantine node did sign conflicting proposals
    author = VALS[0].address
    assert any(len(ids) > 1 for (a, _, _), ids in s.signed_proposals.items() if a == author)


def test_restarted_validator_never_signs_twice_and_catches_up(tmp_path: Path) -> None:
    # validator 3 keeps its safety data and block tree on disk, as a node does
    db = ConsensusDB.open(tmp_path / "v3")
    storages = [MemorySafetyStorage() for _ in range(3)] + [LmdbSafetyStorage(db)]
    trees = [MemoryBlockPersistence() for _ in range(3)] + [LmdbBlockPersistence(db)]
    s = sim(1500, seed=7, storages=storages, block_stores=trees)
    s.run(1500)
    s.stop(3)
    s.run(4000)
    s.restart(3)
    s.run(15_000)
    assert s.safety_violations(range(4)) == []
    versions = s.committed_versions()
    assert versions[3] >= max(versions) - 5 and versions[3] > 1500
    rm = s.instances[3].node.round_manager
    assert rm is not None and rm.counters["votes_sent"] > 0
    assert rm.counters["recovered_from_store"] == 1 or rm.counters["fast_forward_syncs"] > 0
    # what commits prune is deleted from the store: it holds the root and a few blocks
    assert 1 <= len(trees[3].load().blocks) <= 8
    assert all(1 <= len(t.load().blocks) <= 8 for t in trees[:3])


def test_restart_in_the_same_round_reuses_the_persisted_vote() -> None:
    s = sim(200, seed=8)
    s.run(700)
    s.stop(2)
    s.restart(2)
    s.run(5000)
    assert s.safety_violations(range(4)) == []


def test_epoch_change_adds_a_fifth_validator() -> None:
    new = make_validators(1, offset=4)[0]
    s = sim(400, seed=9)
    idx = s.add_instance(new)
    s.run(1000)
    s.pool.add([reconfiguration_txn(new, Ed25519PrivateKey(b"\x07" * 32))])
    s.run(20_000)
    for inst in s.instances:
        assert 2 in inst.epochs
        assert inst.epoch_state.epoch == 2 and len(inst.epoch_state.verifier) == 5
    assert s.safety_violations(range(5)) == []
    assert any(c.epoch == 2 for c in s.instances[idx].commits)
    assert any(a == new.address and e == 2 for (a, e, _) in s.signed_proposals)
    assert max(c.version for c in s.instances[idx].commits) > 400


def test_leader_reputation_network_commits() -> None:
    s = sim(500, seed=10, election=leader_reputation)
    s.run(10_000)
    assert min(s.committed_versions()) > 500
    assert s.safety_violations(range(4)) == []


def test_invalid_messages_are_dropped_and_counted() -> None:
    s = sim(0, seed=11)
    node = s.instances[1].node
    rm = node.round_manager
    assert rm is not None
    b = Block.proposal(1, 1, 5, GENESIS_QC, (), VALS[0].address, VALS[2].key)  # wrong key
    node.process_message(
        VALS[0].address, MsgProposal(ProposalMsg(b, SyncInfo(GENESIS_QC, GENESIS_QC))), 0
    )
    stranger = Ed25519PrivateKey(b"\x09" * 32)
    info = executed_info(b)
    vd = VoteData(info, GENESIS_INFO)
    li = LedgerInfo(GENESIS_INFO, vd.hash())
    vote = Vote(vd, VALS[3].address, li, stranger.sign(li.signing_message()))
    node.process_message(
        VALS[3].address, MsgVote(VoteMsg(vote, SyncInfo(GENESIS_QC, GENESIS_QC))), 0
    )
    node.process_message(
        VALS[2].address, MsgVote(VoteMsg(vote, SyncInfo(GENESIS_QC, GENESIS_QC))), 0
    )
    assert rm.counters["dropped_invalid_MsgProposal"] == 1
    assert rm.counters["dropped_invalid_MsgVote"] == 1
    assert rm.counters["dropped_vote_author_mismatch"] == 1


def test_simulation_is_deterministic() -> None:
    a = sim(200, seed=12, network=SimNetworkConfig(drop_rate=0.05))
    b = sim(200, seed=12, network=SimNetworkConfig(drop_rate=0.05))
    a.run(3000)
    b.run(3000)
    assert [i.commits for i in a.instances] == [i.commits for i in b.instances]


def test_restarted_validator_rebuilds_its_tree_from_its_store_and_votes() -> None:
    s = sim(1500, seed=13)
    s.run(1200)
    s.stop(2)
    stored = len(s.instances[2].blocks.load().blocks)
    assert stored >= 2
    s.restart(2)
    rm = s.instances[2].node.round_manager
    assert rm is not None and rm.block_store is not None  # no peer needed to have a tree
    assert rm.counters["recovered_from_store"] == 1 and rm.counters["recovered_blocks"] >= 1
    assert rm.current_round > 1
    s.run(12_000)
    assert s.instances[2].node.round_manager is rm
    assert rm.counters["votes_sent"] > 0 and rm.counters["fast_forward_syncs"] == 0
    assert s.safety_violations(range(4)) == []
    versions = s.committed_versions()
    assert versions[2] >= max(versions) - 5 and s.pool.committed_count == 1500


def test_whole_network_restart_resumes_from_the_stores() -> None:
    """Every validator crashes at once: with their stored trees they carry on; without them
    none has a tree to answer the others' waiting with (today's recovery needs a peer)."""
    for persist in (True, False):
        s = sim(600, seed=14, persist_blocks=persist)
        s.run(800)
        before = s.committed_versions()
        for i in range(4):
            s.stop(i)
        for i in range(4):
            s.restart(i)
        s.run(20_000)
        after = s.committed_versions()
        assert s.safety_violations(range(4)) == []
        if persist:
            assert min(after) > max(before) and s.pool.committed_count == 600
        else:
            assert after == before


def test_a_store_that_does_not_fit_falls_back_to_peers() -> None:
    s = sim(1500, seed=15)
    s.run(1200)
    # 1: the store lost the committed block (the root)
    s.stop(1)
    root_id = s.instances[1].computer.latest_ledger_info.ledger_info.commit_info.id
    assert any(b.id == root_id for b in s.instances[1].blocks.load().blocks)
    s.instances[1].blocks.save(delete=[root_id])
    s.restart(1)
    assert s.instances[1].node.counters["recovery_root_not_stored"] == 1
    assert s.instances[1].node.round_manager.block_store is None  # type: ignore[union-attr]
    # 3: a stored certificate disagrees with what its block executes to
    s.stop(3)
    tree = s.instances[3].blocks.load()
    root_round = s.instances[3].computer.latest_ledger_info.ledger_info.commit_info.round
    qc = next(q for q in tree.quorum_certs if q.certified_block.round > root_round)
    p = qc.certified_block
    bad = BlockInfo(
        p.epoch, p.round, p.id, HashValue(b"\x0b" * 32), p.version, p.timestamp_usecs, None
    )
    vd = VoteData(bad, qc.parent_block)
    li = LedgerInfo(qc.commit_info, vd.hash())
    sigs = {v.address: v.key.sign(li.signing_message()) for v in VALS[:3]}
    s.instances[3].blocks.save(quorum_certs=[QuorumCert(vd, LedgerInfoWithV0(li, sigs))])
    s.restart(3)
    rm3 = s.instances[3].node.round_manager
    assert rm3 is not None and rm3.counters["recovery_failed_ExecutionMismatch"] == 1
    assert rm3.block_store is None
    s.run(20_000)
    assert s.safety_violations(range(4)) == []
    versions = s.committed_versions()
    assert min(versions) >= max(versions) - 5 and s.pool.committed_count == 1500
    for i in (1, 3):
        rm = s.instances[i].node.round_manager
        assert rm is not None and rm.counters["votes_sent"] > 0
