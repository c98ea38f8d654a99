"""Round state (the pacemaker) and vote aggregation.

A validator is in round ``max(highest QC round, highest TC round) + 1``. Each round has a
deadline; when it passes, the validator times out (and keeps timing out at the same round with
the same interval until a certificate moves it on). The interval grows exponentially with the
number of rounds since the last commit: ``base * exponent_base ** min(k, max_exponent)``, Diem's
defaults being 1,000 ms, 1.2 and 6. Time is always passed in (milliseconds).
"""

from __future__ import annotations

from dataclasses import dataclass

from libra.crypto import Ed25519Signature, HashValue
from libra.types.account_address import AccountAddress
from libra.types.consensus import (
    QuorumCert,
    SyncInfo,
    TwoChainTimeout,
    TwoChainTimeoutCertificate,
    Vote,
    VoteData,
)
from libra.types.ledger import LedgerInfo, LedgerInfoWithV0, ValidatorVerifier

__all__ = [
    "DuplicateVote",
    "EquivocateVote",
    "ExponentialTimeInterval",
    "NewQuorumCert",
    "NewRound",
    "NewTimeoutCert",
    "PendingVotes",
    "RoundState",
    "VoteAdded",
    "VoteReceptionResult",
]


@dataclass(frozen=True, slots=True)
class ExponentialTimeInterval:
    """Round durations growing by ``exponent_base`` per round without commit, capped."""

    base_ms: int = 1000
    exponent_base: float = 1.2
    max_exponent: int = 6

    def __post_init__(self) -> None:
        if self.base_ms <= 0 or self.exponent_base < 1.0 or self.max_exponent < 0:
            raise ValueError(
                f"invalid interval: base {self.base_ms} ms, x{self.exponent_base}, "
                f"max exponent {self.max_exponent}"
            )

    def duration_ms(self, round_index: int) -> int:
        exponent = min(max(round_index, 0), self.max_exponent)
        return round(self.base_ms * self.exponent_base**exponent)


@dataclass(frozen=True, slots=True)
class NewRound:
    """The pacemaker moved to ``round``; ``timeout_cert`` is set when a TC moved it."""

    round: int
    deadline_ms: int
    timeout_cert: TwoChainTimeoutCertificate | None


# -- vote aggregation --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VoteAdded:
    voting_power: int


@dataclass(frozen=True, slots=True)
class NewQuorumCert:
    qc: QuorumCert


@dataclass(frozen=True, slots=True)
class NewTimeoutCert:
    tc: TwoChainTimeoutCertificate


@dataclass(frozen=True, slots=True)
class DuplicateVote:
    author: AccountAddress


@dataclass(frozen=True, slots=True)
class EquivocateVote:
    author: AccountAddress
    round: int


VoteReceptionResult = VoteAdded | NewQuorumCert | NewTimeoutCert | DuplicateVote | EquivocateVote


class PendingVotes:
    """Votes of one round (already verified), grouped by the ledger info they sign, and the
    timeouts they carry. An author's second, different vote is rejected as equivocation."""

    def __init__(self) -> None:
        self._by_digest: dict[
            HashValue, tuple[VoteData, LedgerInfo, dict[AccountAddress, Ed25519Signature]]
        ] = {}
        self._author_vote: dict[AccountAddress, Vote] = {}
        self._timeout: TwoChainTimeout | None = None
        self._timeout_sigs: dict[AccountAddress, tuple[int, Ed25519Signature]] = {}
        self._qc_done = False
        self._tc_done = False

    def insert_vote(
        self, vote: Vote, verifier: ValidatorVerifier
    ) -> tuple[VoteReceptionResult, ...]:
        """Adds a verified vote; the results say whether it completed a quorum cert and/or a
        timeout cert (a timeout vote counts for both)."""
        author = vote.author
        digest = vote.ledger_info.hash()
        previous = self._author_vote.get(author)
        if previous is not None:
            if previous.ledger_info.hash() != digest:
                return (EquivocateVote(author, vote.round),)
            if not vote.is_timeout() or previous.is_timeout():
                return (DuplicateVote(author),)
            self._author_vote[author] = vote
            return (self._add_timeout(vote, verifier),)
        self._author_vote[author] = vote
        entry = self._by_digest.get(digest)
        if entry is None:
            entry = (vote.vote_data, vote.ledger_info, {})
            self._by_digest[digest] = entry
        sigs = entry[2]
        sigs[author] = vote.signature
        power = sum(verifier.voting_power(a) for a in sigs)
        results: list[VoteReceptionResult] = []
        if power >= verifier.quorum_voting_power and not self._qc_done:
            self._qc_done = True
            results.append(
                NewQuorumCert(QuorumCert(entry[0], LedgerInfoWithV0(entry[1], dict(sigs))))
            )
        if vote.is_timeout():
            results.append(self._add_timeout(vote, verifier))
        if not results:
            results.append(VoteAdded(power))
        return tuple(results)

    def _add_timeout(self, vote: Vote, verifier: ValidatorVerifier) -> VoteReceptionResult:
        pair = vote.two_chain_timeout
        if pair is None:  # pragma: no cover - callers check is_timeout
            return DuplicateVote(vote.author)
        timeout, sig = pair
        if self._timeout is None or timeout.hqc_round > self._timeout.hqc_round:
            self._timeout = timeout
        self._timeout_sigs[vote.author] = (timeout.hqc_round, sig)
        power = sum(verifier.voting_power(a) for a in self._timeout_sigs)
        if power >= verifier.quorum_voting_power and not self._tc_done:
            self._tc_done = True
            return NewTimeoutCert(
                TwoChainTimeoutCertificate(self._timeout, dict(self._timeout_sigs))
            )
        return VoteAdded(power)


# -- round state ---------------------------------------------------------------------------


class RoundState:
    """The current round, its deadline, the vote sent in it and the votes received for it."""

    def __init__(self, interval: ExponentialTimeInterval, rounds_before_backoff: int = 2) -> None:
        self.interval = interval
        self.rounds_before_backoff = rounds_before_backoff
        self.current_round = 0
        self.highest_committed_round = 0
        self.deadline_ms = 0
        self.vote_sent: Vote | None = None
        self.pending_votes = PendingVotes()

    def round_duration_ms(self, round: int) -> int:
        index = round - self.highest_committed_round - self.rounds_before_backoff
        return self.interval.duration_ms(index)

    def process_certificates(self, sync_info: SyncInfo, now_ms: int) -> NewRound | None:
        """Moves to the round after the highest certificate, if that is a new round."""
        self.highest_committed_round = max(self.highest_committed_round, sync_info.commit_round)
        new_round = sync_info.highest_round + 1
        if new_round <= self.current_round:
            return None
        self.current_round = new_round
        self.vote_sent = None
        self.pending_votes = PendingVotes()
        self.deadline_ms = now_ms + self.round_duration_ms(new_round)
        tc = sync_info.highest_2chain_timeout_cert
        moved_by_tc = tc if tc is not None and tc.round + 1 == new_round else None
        return NewRound(new_round, self.deadline_ms, moved_by_tc)

    def process_local_timeout(self, now_ms: int) -> bool:
        """True when the round's deadline has passed; the deadline is then re-armed."""
        if self.current_round == 0 or now_ms < self.deadline_ms:
            return False
        self.deadline_ms = now_ms + self.round_duration_ms(self.current_round)
        return True

    def record_vote(self, vote: Vote) -> None:
        if vote.round == self.current_round:
            self.vote_sent = vote

    def insert_vote(
        self, vote: Vote, verifier: ValidatorVerifier
    ) -> tuple[VoteReceptionResult, ...]:
        return self.pending_votes.insert_vote(vote, verifier)
