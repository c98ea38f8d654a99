from __future__ import annotations

from collections import Counter

from libra.consensus import (
    CommitHistory,
    CommittedBlockMeta,
    LeaderReputation,
    RoundRobin,
    ScriptedElection,
)

from .helpers import VALIDATORS

ADDRS = sorted(v.address for v in VALIDATORS)


def test_round_robin() -> None:
    rr = RoundRobin(ADDRS)
    assert [rr.get_valid_proposer(r) for r in range(5)] == [*ADDRS, ADDRS[0]]
    rr2 = RoundRobin(ADDRS, contiguous_rounds=2)
    assert rr2.get_valid_proposer(2) == rr2.get_valid_proposer(3) == ADDRS[1]
    s = ScriptedElection({7: ADDRS[3]}, rr)
    assert s.get_valid_proposer(7) == ADDRS[3] and s.get_valid_proposer(1) == ADDRS[1]


def test_leader_reputation_prefers_active_validators_and_is_deterministic() -> None:
    history = CommitHistory()
    inactive = ADDRS[3]
    for r in range(1, 40):
        history.record(CommittedBlockMeta(1, r, ADDRS[r % 3], tuple(ADDRS[:3])))
    a = LeaderReputation(1, ADDRS, history)
    b = LeaderReputation(1, list(reversed(ADDRS)), history)
    picks = [a.get_valid_proposer(r) for r in range(50, 450)]
    assert picks == [b.get_valid_proposer(r) for r in range(50, 450)]
    counts = Counter(picks)
    assert counts[inactive] < 20
    assert all(counts[x] > 80 for x in ADDRS[:3])
    assert a.weights(50) == [1 if x == inactive else 100 for x in a.proposers]
    # blocks committed after round - exclude_rounds do not count yet
    fresh = CommitHistory()
    fresh.record(CommittedBlockMeta(1, 10, inactive, ()))
    lr = LeaderReputation(1, ADDRS, fresh)
    assert lr.weights(12) == [1, 1, 1, 1]
    assert max(lr.weights(14)) == 100
