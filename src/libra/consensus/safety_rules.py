"""Safety rules: the only holder of a validator's consensus key.

Before returning any signature, safety rules make the updated :class:`SafetyData` durable
through a :class:`SafetyStorage`, so a validator that crashes and restarts can never sign two
different votes (or a vote and a conflicting timeout) for the same round.

DiemBFT v4 rules (2-chain):

- vote for block B (round r, parent QC round q) only if r > last_voted_round and either
  ``r == q + 1`` or, with a timeout certificate for round t carrying highest QC round h,
  ``r == t + 1 and q >= h``;
- time out in round r with highest QC round q only if r >= last_voted_round, ``r == q + 1`` or
  ``r == t + 1``, and ``q >= one_chain_round``;
- a vote for B commits B's parent when they are in consecutive rounds (the ledger info the vote
  signs names it), otherwise the ledger info commits nothing.
"""

from __future__ import annotations

from typing import Protocol

from libra import bcs
from libra.consensus.errors import (
    IncorrectEpoch,
    IncorrectLastVotedRound,
    InvalidCertificate,
    InvalidProposal,
    NotInitialized,
    NotSafeToTimeout,
    NotSafeToVote,
)
from libra.crypto import Ed25519PrivateKey, Ed25519Signature
from libra.types.account_address import AccountAddress
from libra.types.consensus import (
    Block,
    BlockData,
    QuorumCert,
    TwoChainTimeout,
    TwoChainTimeoutCertificate,
    Vote,
    VoteData,
    empty_block_info,
)
from libra.types.ledger import BlockInfo, EpochState, LedgerInfo, VerifyError

__all__ = [
    "MemorySafetyStorage",
    "SafetyData",
    "SafetyRules",
    "SafetyStorage",
]


@bcs.struct
class SafetyData:
    """What safety rules remember between signatures (Diem's layout)."""

    epoch: bcs.U64
    last_voted_round: bcs.U64
    preferred_round: bcs.U64
    one_chain_round: bcs.U64
    last_vote: Vote | None
    highest_timeout_round: bcs.U64

    @classmethod
    def initial(cls, epoch: int) -> SafetyData:
        return cls(epoch, 0, 0, 0, None, 0)


class SafetyStorage(Protocol):
    """Durable storage for :class:`SafetyData`: ``save`` returns only once the data would
    survive a crash."""

    def load(self) -> SafetyData | None: ...

    def save(self, data: SafetyData) -> None: ...


class MemorySafetyStorage:
    """Safety data held in memory (simulations, where the object outlives a simulated crash)."""

    def __init__(self) -> None:
        self._data: bytes | None = None
        self.writes = 0

    def load(self) -> SafetyData | None:
        return bcs.decode(SafetyData, self._data) if self._data is not None else None

    def save(self, data: SafetyData) -> None:
        self._data = bcs.encode(data)
        self.writes += 1


class SafetyRules:
    """Signs proposals, votes and timeouts for ``author`` when the DiemBFT v4 rules allow."""

    def __init__(
        self, author: AccountAddress, key: Ed25519PrivateKey, storage: SafetyStorage
    ) -> None:
        self.author = author
        self._key = key
        self._storage = storage
        self._epoch_state: EpochState | None = None
        loaded = storage.load()
        self._data = loaded if loaded is not None else SafetyData.initial(0)

    # -- state -------------------------------------------------------------------------------

    @property
    def safety_data(self) -> SafetyData:
        return self._data

    def initialize(self, epoch_state: EpochState) -> None:
        """Enters ``epoch_state``'s epoch; a newer epoch starts from fresh rounds (persisted)."""
        if self._data.epoch > epoch_state.epoch:
            raise IncorrectEpoch(epoch_state.epoch, self._data.epoch)
        self._epoch_state = epoch_state
        if self._data.epoch < epoch_state.epoch:
            self._persist(SafetyData.initial(epoch_state.epoch))

    def _persist(self, data: SafetyData) -> None:
        self._storage.save(data)
        self._data = data

    def _verifier_for(self, epoch: int) -> EpochState:
        es = self._epoch_state
        if es is None:
            raise NotInitialized("safety rules have no epoch state")
        if epoch != self._data.epoch:
            raise IncorrectEpoch(epoch, self._data.epoch)
        if es.verifier.public_key(self.author) != self._key.public_key:
            raise NotInitialized(f"{self.author.hex()} is not a validator of epoch {es.epoch}")
        return es

    def _verify_qc(self, qc: QuorumCert, es: EpochState) -> None:
        try:
            qc.verify(es.verifier)
        except VerifyError as err:
            raise InvalidCertificate(f"quorum cert: {err}") from err

    def _verify_tc(self, tc: TwoChainTimeoutCertificate, es: EpochState) -> None:
        try:
            tc.verify(es.verifier)
        except VerifyError as err:
            raise InvalidCertificate(f"timeout cert: {err}") from err

    # -- proposals ---------------------------------------------------------------------------

    def sign_proposal(self, block_data: BlockData) -> Ed25519Signature:
        """Signs a proposal of this validator for a round it has not voted in yet."""
        es = self._verifier_for(block_data.epoch)
        if block_data.author != self.author:
            raise InvalidProposal(f"proposal author is not {self.author.hex()}")
        if block_data.round <= self._data.last_voted_round:
            raise InvalidProposal(
                f"proposal round {block_data.round} is not above the last voted round "
                f"{self._data.last_voted_round}"
            )
        self._verify_qc(block_data.quorum_cert, es)
        return self._key.sign(block_data.signing_message())

    # -- votes -------------------------------------------------------------------------------

    def construct_and_sign_vote_two_chain(
        self,
        block: Block,
        executed: BlockInfo,
        timeout_cert: TwoChainTimeoutCertificate | None = None,
    ) -> Vote:
        """Votes for ``block`` whose execution produced ``executed`` (its block info)."""
        es = self._verifier_for(block.epoch)
        if (
            executed.id != block.id
            or executed.round != block.round
            or executed.epoch != block.epoch
            or executed.timestamp_usecs != block.timestamp_usecs
        ):
            raise InvalidProposal("executed block info does not describe the block")
        if block.is_genesis():
            raise InvalidProposal("cannot vote for a genesis block")
        self._verify_qc(block.quorum_cert, es)
        if timeout_cert is not None:
            self._verify_tc(timeout_cert, es)
        data = self._data
        last = data.last_vote
        if last is not None and last.round == block.round:
            if last.vote_data.proposed == executed:
                return last
            raise IncorrectLastVotedRound(block.round, data.last_voted_round)
        if block.round <= data.last_voted_round:
            raise IncorrectLastVotedRound(block.round, data.last_voted_round)
        round_ = block.round
        qc_round = block.quorum_cert.certified_block.round
        tc_round = timeout_cert.round if timeout_cert is not None else 0
        hqc_round = timeout_cert.highest_hqc_round if timeout_cert is not None else 0
        if not (round_ == qc_round + 1 or (round_ == tc_round + 1 and qc_round >= hqc_round)):
            raise NotSafeToVote(round_, qc_round, tc_round, hqc_round)
        qc = block.quorum_cert
        vote_data = VoteData(executed, qc.certified_block)
        commit_info = qc.certified_block if round_ == qc_round + 1 else empty_block_info()
        ledger_info = LedgerInfo(commit_info, vote_data.hash())
        vote = Vote(
            vote_data, self.author, ledger_info, self._key.sign(ledger_info.signing_message())
        )
        self._persist(
            SafetyData(
                data.epoch,
                round_,
                max(data.preferred_round, qc.parent_block.round),
                max(data.one_chain_round, qc_round),
                vote,
                data.highest_timeout_round,
            )
        )
        return vote

    # -- timeouts ----------------------------------------------------------------------------

    def sign_timeout_with_qc(
        self, timeout: TwoChainTimeout, timeout_cert: TwoChainTimeoutCertificate | None = None
    ) -> Ed25519Signature:
        """Signs a timeout for its round when the DiemBFT v4 timeout rule holds."""
        es = self._verifier_for(timeout.epoch)
        self._verify_qc(timeout.quorum_cert, es)
        if timeout_cert is not None:
            self._verify_tc(timeout_cert, es)
        data = self._data
        round_ = timeout.round
        qc_round = timeout.hqc_round
        tc_round = timeout_cert.round if timeout_cert is not None else 0
        if not (
            (round_ == qc_round + 1 or round_ == tc_round + 1) and qc_round >= data.one_chain_round
        ):
            raise NotSafeToTimeout(round_, qc_round, tc_round, data.one_chain_round)
        if round_ < data.last_voted_round:
            raise IncorrectLastVotedRound(round_, data.last_voted_round)
        self._persist(
            SafetyData(
                data.epoch,
                max(data.last_voted_round, round_),
                data.preferred_round,
                data.one_chain_round,
                data.last_vote,
                max(data.highest_timeout_round, round_),
            )
        )
        return self._key.sign(timeout.signing_message())
