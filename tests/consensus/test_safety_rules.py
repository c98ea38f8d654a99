from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libra.consensus import (
    IncorrectEpoch,
    IncorrectLastVotedRound,
    InvalidCertificate,
    InvalidProposal,
    MemorySafetyStorage,
    NotSafeToTimeout,
    NotSafeToVote,
    SafetyRules,
)
from libra.types.consensus import Block, TwoChainTimeout, empty_block_info

from .helpers import (
    EPOCH_STATE,
    GENESIS_INFO,
    GENESIS_QC,
    VALIDATORS,
    certify,
    executed_info,
    proposal,
    timeout_cert,
)


def rules(storage: object | None = None, who: int = 3) -> SafetyRules:
    v = VALIDATORS[who]
    sr = SafetyRules(v.address, v.key, storage or MemorySafetyStorage())  # type: ignore[arg-type]
    sr.initialize(EPOCH_STATE)  # type: ignore[arg-type]
    return sr


def chain() -> tuple[Block, Block]:
    b1 = proposal(1, GENESIS_QC)
    qc1 = certify(executed_info(b1), GENESIS_INFO)
    b2 = proposal(2, qc1, author=1)
    return b1, b2


def test_vote_commits_parent_on_consecutive_rounds() -> None:
    sr = rules()
    b1, b2 = chain()
    v1 = sr.construct_and_sign_vote_two_chain(b1, executed_info(b1))
    assert v1.ledger_info.commit_info == GENESIS_INFO
    v2 = sr.construct_and_sign_vote_two_chain(b2, executed_info(b2))
    assert v2.ledger_info.commit_info == b2.quorum_cert.certified_block
    data = sr.safety_data
    assert (data.last_voted_round, data.one_chain_round, data.last_vote) == (2, 1, v2)


def test_never_votes_twice_in_a_round() -> None:
    sr = rules()
    b1, _ = chain()
    v = sr.construct_and_sign_vote_two_chain(b1, executed_info(b1))
    assert sr.construct_and_sign_vote_two_chain(b1, executed_info(b1)) == v
    other = proposal(1, GENESIS_QC, ts=5)
    with pytest.raises(IncorrectLastVotedRound) as e:
        sr.construct_and_sign_vote_two_chain(other, executed_info(other))
    assert (e.value.round, e.value.last_voted_round) == (1, 1)


def test_voting_rule_with_and_without_timeout_cert() -> None:
    sr = rules()
    b1, _ = chain()
    qc1 = b1 and certify(executed_info(b1), GENESIS_INFO)
    b3 = proposal(3, qc1)  # skips round 2: needs a TC for round 2
    with pytest.raises(NotSafeToVote) as e:
        sr.construct_and_sign_vote_two_chain(b3, executed_info(b3))
    assert (e.value.round, e.value.qc_round, e.value.tc_round, e.value.hqc_round) == (3, 1, 0, 0)
    tc = timeout_cert(2, [qc1, GENESIS_QC, GENESIS_QC])
    vote = sr.construct_and_sign_vote_two_chain(b3, executed_info(b3), tc)
    assert vote.ledger_info.commit_info == empty_block_info()
    # a TC whose highest QC is above the block's QC forbids the vote
    sr2 = rules()
    b3_old = proposal(3, GENESIS_QC)
    with pytest.raises(NotSafeToVote) as e2:
        sr2.construct_and_sign_vote_two_chain(b3_old, executed_info(b3_old), tc)
    assert (e2.value.tc_round, e2.value.hqc_round) == (2, 1)


def test_rejects_bad_inputs() -> None:
    sr = rules()
    b1, _ = chain()
    with pytest.raises(InvalidProposal):
        sr.construct_and_sign_vote_two_chain(b1, executed_info(proposal(1, GENESIS_QC, ts=9)))
    weak = certify(executed_info(b1), GENESIS_INFO, signers=VALIDATORS[:2])
    b2 = proposal(2, weak)
    with pytest.raises(InvalidCertificate):
        sr.construct_and_sign_vote_two_chain(b2, executed_info(b2))
    with pytest.raises(InvalidProposal):
        sr.sign_proposal(b1.block_data)  # authored by validator 0, not 3
    assert EPOCH_STATE is not None
    with pytest.raises(IncorrectEpoch):
        sr.sign_proposal(
            Block.proposal(
                7, 1, 1, GENESIS_QC, (), VALIDATORS[3].address, VALIDATORS[3].key
            ).block_data
        )


def test_timeout_rule() -> None:
    sr = rules()
    _, b2 = chain()
    sr.construct_and_sign_vote_two_chain(b2, executed_info(b2))  # one_chain_round = 1
    with pytest.raises(NotSafeToTimeout) as e:
        sr.sign_timeout_with_qc(TwoChainTimeout(1, 3, GENESIS_QC))
    assert (e.value.round, e.value.qc_round, e.value.one_chain_round) == (3, 0, 1)
    qc2 = certify(executed_info(b2), b2.quorum_cert.certified_block)
    sig = sr.sign_timeout_with_qc(TwoChainTimeout(1, 3, qc2))
    assert VALIDATORS[3].key.public_key.verify(TwoChainTimeout(1, 3, qc2).signing_message(), sig)
    assert sr.safety_data.highest_timeout_round == 3 and sr.safety_data.last_voted_round == 3
    b3 = proposal(3, qc2)
    with pytest.raises(IncorrectLastVotedRound):
        sr.construct_and_sign_vote_two_chain(b3, executed_info(b3))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 3)), min_size=1, max_size=12))
def test_never_signs_two_votes_for_one_round(attempts: list[tuple[int, int]]) -> None:
    """Whatever order blocks arrive in, at most one vote per round is signed."""
    sr = rules()
    signed: dict[int, bytes] = {}
    for round_, variant in attempts:
        b = proposal(round_, GENESIS_QC, ts=1 + variant)
        try:
            vote = sr.construct_and_sign_vote_two_chain(b, executed_info(b))
        except (NotSafeToVote, IncorrectLastVotedRound):
            continue
        previous = signed.setdefault(vote.round, bytes(vote.ledger_info.hash()))
        assert previous == vote.ledger_info.hash()
        assert vote.round == 1  # only round 1 follows the genesis QC directly
