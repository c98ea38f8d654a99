from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libra import bcs
from libra.crypto import CryptoHasher, hash_prefix
from libra.types.consensus import (
    Block,
    BlockRetrievalResponse,
    ConsensusMsg,
    EpochChangeProof,
    MsgProposal,
    MsgVote,
    ProposalMsg,
    QuorumCert,
    RetrievalSucceeded,
    SyncInfo,
    TimeoutSigningRepr,
    TwoChainTimeout,
    Vote,
    VoteData,
    VoteMsg,
)
from libra.types.ledger import LedgerInfo, LedgerInfoWithV0, VerifyError

from .helpers import (
    GENESIS,
    GENESIS_INFO,
    GENESIS_QC,
    VALIDATORS,
    VERIFIER,
    certify,
    executed_info,
    proposal,
    timeout_cert,
)


def test_block_id_is_the_blockdata_hash_and_not_serialized() -> None:
    b = proposal(1, GENESIS_QC)
    assert b.id == CryptoHasher("BlockData").hash(bcs.encode(b.block_data))
    encoded = bcs.encode(b)
    assert encoded == bcs.encode(b.block_data) + b"\x01" + bcs.encode(b.signature)
    back = bcs.decode(Block, encoded)
    assert back == b and back.id == b.id


def test_signing_messages_use_diem_prefixes() -> None:
    b = proposal(1, GENESIS_QC)
    assert b.block_data.signing_message().startswith(hash_prefix("BlockData"))
    t = TwoChainTimeout(1, 3, GENESIS_QC)
    assert t.signing_message() == hash_prefix("TimeoutSigningRepr") + bcs.encode(
        TimeoutSigningRepr(1, 3, 0)
    )
    vd = VoteData(GENESIS_INFO, GENESIS_INFO)
    assert vd.hash() == CryptoHasher("VoteData").hash(bcs.encode(vd))


def test_proposal_message_roundtrip_and_verify() -> None:
    b1 = proposal(1, GENESIS_QC)
    qc1 = certify(executed_info(b1), GENESIS_INFO)
    b2 = proposal(2, qc1, author=1)
    msg = ProposalMsg(b2, SyncInfo(qc1, qc1))
    msg.verify(VERIFIER)
    wire = bcs.encode(MsgProposal(msg))
    back = bcs.decode(ConsensusMsg, wire)  # type: ignore[type-abstract]
    assert isinstance(back, MsgProposal) and back.value == msg
    back.value.verify(VERIFIER)


def test_tampered_messages_fail_verification() -> None:
    b1 = proposal(1, GENESIS_QC)
    # wrong signer for the proposal
    forged = Block(b1.block_data, VALIDATORS[1].key.sign(b1.block_data.signing_message()))
    with pytest.raises(VerifyError):
        forged.validate_signature(VERIFIER)
    # a QC with too few signatures
    weak = certify(executed_info(b1), GENESIS_INFO, signers=VALIDATORS[:2])
    with pytest.raises(VerifyError, match="below the quorum"):
        weak.verify(VERIFIER)
    # a QC whose vote data was swapped
    qc = certify(executed_info(b1), GENESIS_INFO)
    other = QuorumCert(VoteData(executed_info(b1, 5), GENESIS_INFO), qc.signed_ledger_info)
    with pytest.raises(VerifyError, match="consensus data hash"):
        other.verify(VERIFIER)
    # a proposal that does not follow the sync info
    b3 = proposal(3, qc)
    with pytest.raises(VerifyError, match="does not follow"):
        ProposalMsg(b3, SyncInfo(qc, qc)).verify(VERIFIER)
    # timestamps must increase
    with pytest.raises(VerifyError, match="not after"):
        proposal(2, qc, ts=b1.timestamp_usecs).verify_well_formed()


def test_vote_and_timeout_verify() -> None:
    b1 = proposal(1, GENESIS_QC)
    info = executed_info(b1)
    vd = VoteData(info, GENESIS_INFO)
    li = LedgerInfo(GENESIS_INFO, vd.hash())
    v = VALIDATORS[2]
    vote = Vote(vd, v.address, li, v.key.sign(li.signing_message()))
    vote.verify(VERIFIER)
    t = TwoChainTimeout(1, 1, GENESIS_QC)
    tv = vote.with_timeout(t, v.key.sign(t.signing_message()))
    tv.verify(VERIFIER)
    VoteMsg(tv, SyncInfo(GENESIS_QC, GENESIS_QC)).verify(VERIFIER)
    assert bcs.decode(
        ConsensusMsg, bcs.encode(MsgVote(VoteMsg(tv, SyncInfo(GENESIS_QC, None))))
    ) == MsgVote(VoteMsg(tv, SyncInfo(GENESIS_QC, None)))  # type: ignore[type-abstract]
    bad = vote.with_timeout(t, VALIDATORS[1].key.sign(t.signing_message()))
    with pytest.raises(VerifyError):
        bad.verify(VERIFIER)


def test_timeout_certificate_rules() -> None:
    b1 = proposal(1, GENESIS_QC)
    qc1 = certify(executed_info(b1), GENESIS_INFO)
    tc = timeout_cert(3, [qc1, GENESIS_QC, GENESIS_QC])
    tc.verify(VERIFIER)
    assert tc.highest_hqc_round == 1
    # claiming a lower highest QC than a signer signed is rejected
    lying = type(tc)(TwoChainTimeout(1, 3, GENESIS_QC), tc.signatures)
    with pytest.raises(VerifyError):
        lying.verify(VERIFIER)
    with pytest.raises(VerifyError, match="below the quorum"):
        timeout_cert(3, [qc1, GENESIS_QC]).verify(VERIFIER)


def test_retrieval_response_checks_the_chain() -> None:
    b1 = proposal(1, GENESIS_QC)
    qc1 = certify(executed_info(b1), GENESIS_INFO)
    b2 = proposal(2, qc1)
    BlockRetrievalResponse(RetrievalSucceeded(), (b2, b1, GENESIS)).verify(b2.id, 3, VERIFIER)
    with pytest.raises(VerifyError):
        BlockRetrievalResponse(RetrievalSucceeded(), (b2, GENESIS)).verify(b2.id, 2, VERIFIER)


def test_epoch_change_proof_needs_the_old_quorum() -> None:
    b1 = proposal(1, GENESIS_QC)
    from libra.types.ledger import BlockInfo, EpochState

    ending = BlockInfo(
        1, 1, b1.id, executed_info(b1).executed_state_id, 1, 1, EpochState(2, VERIFIER)
    )
    li = LedgerInfo(ending, GENESIS_INFO.id)
    sigs = {v.address: v.key.sign(li.signing_message()) for v in VALIDATORS[:3]}
    proof = EpochChangeProof((LedgerInfoWithV0(li, sigs),), False)
    assert proof.verify(1, VERIFIER).ledger_info == li
    with pytest.raises(VerifyError):
        EpochChangeProof((LedgerInfoWithV0(li, dict(list(sigs.items())[:2])),), False).verify(
            1, VERIFIER
        )
    with pytest.raises(VerifyError, match="skips"):
        proof.verify(2, VERIFIER)


@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_timeout_signing_repr_roundtrip(epoch: int, round: int, hqc: int) -> None:
    r = TimeoutSigningRepr(epoch, round, hqc)
    assert bcs.decode(TimeoutSigningRepr, bcs.encode(r)) == r
