from __future__ import annotations

from pathlib import Path

from libra.consensus import FileSafetyStorage, MemorySafetyStorage, leader_reputation
from libra.consensus.sim import (
    SharedPool,
    SimNetworkConfig,
    Simulation,
    genesis_ledger_info,
    make_transactions,
    make_validators,
    reconfiguration_txn,
)
from libra.crypto import Ed25519PrivateKey
from libra.types.consensus import (
    Block,
    MsgProposal,
    MsgVote,
    ProposalMsg,
    SyncInfo,
    Vote,
    VoteData,
    VoteMsg,
)
from libra.types.ledger import LedgerInfo

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
    storages = [MemorySafetyStorage() for _ in range(3)] + [FileSafetyStorage(tmp_path / "v3")]
    s = sim(1500, seed=7, storages=storages)
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
