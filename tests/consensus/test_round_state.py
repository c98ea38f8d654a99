from __future__ import annotations

import pytest

from libra.consensus import ExponentialTimeInterval, PendingVotes, RoundState
from libra.consensus.round_state import (
    DuplicateVote,
    EquivocateVote,
    NewQuorumCert,
    NewTimeoutCert,
    VoteAdded,
)
from libra.types.consensus import SyncInfo, TwoChainTimeout, Vote, VoteData
from libra.types.ledger import LedgerInfo

from .helpers import (
    GENESIS_INFO,
    GENESIS_QC,
    VALIDATORS,
    VERIFIER,
    certify,
    executed_info,
    proposal,
)


def test_diem_default_intervals() -> None:
    i = ExponentialTimeInterval()
    assert [i.duration_ms(k) for k in range(8)] == [1000, 1200, 1440, 1728, 2074, 2488, 2986, 2986]
    assert i.duration_ms(-3) == 1000
    with pytest.raises(ValueError):
        ExponentialTimeInterval(base_ms=0)


def test_round_state_moves_on_certificates_and_times_out() -> None:
    rs = RoundState(ExponentialTimeInterval())
    ev = rs.process_certificates(SyncInfo(GENESIS_QC, GENESIS_QC), now_ms=0)
    assert ev is not None and ev.round == 1 and ev.deadline_ms == 1000
    assert rs.process_certificates(SyncInfo(GENESIS_QC, GENESIS_QC), now_ms=5) is None
    assert not rs.process_local_timeout(999)
    assert rs.process_local_timeout(1000) and rs.deadline_ms == 2000
    b1 = proposal(1, GENESIS_QC)
    qc1 = certify(executed_info(b1), GENESIS_INFO)
    ev2 = rs.process_certificates(SyncInfo(qc1, GENESIS_QC), now_ms=1500)
    assert ev2 is not None and ev2.round == 2


def _vote(i: int, info: object, timeout: bool = False) -> Vote:
    vd = VoteData(info, GENESIS_INFO)  # type: ignore[arg-type]
    li = LedgerInfo(GENESIS_INFO, vd.hash())
    v = VALIDATORS[i]
    vote = Vote(vd, v.address, li, v.key.sign(li.signing_message()))
    if timeout:
        t = TwoChainTimeout(1, 1, GENESIS_QC)
        vote = vote.with_timeout(t, v.key.sign(t.signing_message()))
    return vote


def test_pending_votes_form_qc_and_detect_equivocation() -> None:
    b1 = proposal(1, GENESIS_QC)
    info = executed_info(b1)
    pv = PendingVotes()
    assert pv.insert_vote(_vote(0, info), VERIFIER) == (VoteAdded(1),)
    assert pv.insert_vote(_vote(0, info), VERIFIER) == (DuplicateVote(VALIDATORS[0].address),)
    other = executed_info(proposal(1, GENESIS_QC, ts=9))
    assert isinstance(pv.insert_vote(_vote(0, other), VERIFIER)[0], EquivocateVote)
    pv.insert_vote(_vote(1, info), VERIFIER)
    (res,) = pv.insert_vote(_vote(2, info), VERIFIER)
    assert isinstance(res, NewQuorumCert)
    res.qc.verify(VERIFIER)


def test_timeout_votes_form_a_tc_even_when_they_also_form_a_qc() -> None:
    b1 = proposal(1, GENESIS_QC)
    info = executed_info(b1)
    pv = PendingVotes()
    pv.insert_vote(_vote(0, info, True), VERIFIER)
    pv.insert_vote(_vote(1, info, True), VERIFIER)
    results = pv.insert_vote(_vote(2, info, True), VERIFIER)
    kinds = {type(r) for r in results}
    assert kinds == {NewQuorumCert, NewTimeoutCert}
    for r in results:
        if isinstance(r, NewTimeoutCert):
            r.tc.verify(VERIFIER)
