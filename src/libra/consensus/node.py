"""A validator's consensus: one round manager per epoch and the moves between epochs.

When a committed block carries the next epoch's validator set, the node starts the new epoch
from that ledger info. Messages of a later epoch make it ask the sender for the epoch-change
proof; messages of an earlier epoch make it send one (both rate-limited per peer).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from libra.consensus.block_store import ExecutedBlock
from libra.consensus.errors import ConsensusError
from libra.consensus.proposer_election import (
    CommitHistory,
    LeaderReputation,
    ProposerElection,
    RoundRobin,
)
from libra.consensus.round_manager import (
    Action,
    Committed,
    ConsensusConfig,
    RoundManager,
    Send,
    SyncedTo,
)
from libra.consensus.safety_rules import SafetyRules, SafetyStorage
from libra.consensus.state_computer import PayloadSource, StateComputer
from libra.crypto import Ed25519PrivateKey
from libra.types.account_address import AccountAddress
from libra.types.consensus import (
    Block,
    ConsensusMsg,
    EpochChangeProof,
    EpochRetrievalRequest,
    MsgBlockRetrievalRequest,
    MsgBlockRetrievalResponse,
    MsgEpochChangeProof,
    MsgEpochRetrievalRequest,
    MsgProposal,
    MsgSyncInfo,
    MsgVote,
    QuorumCert,
    genesis_block_info,
)
from libra.types.ledger import EpochState, LedgerInfoWithV0, VerifyError

__all__ = [
    "ConsensusNode",
    "ElectionFactory",
    "EpochStarted",
    "leader_reputation",
    "message_epoch",
    "round_robin",
]

ElectionFactory = Callable[[EpochState, CommitHistory], ProposerElection]


def round_robin(epoch_state: EpochState, history: CommitHistory) -> ProposerElection:
    """Round-robin over the epoch's validators in address order."""
    return RoundRobin(sorted(epoch_state.verifier.address_to_validator_info))


def leader_reputation(epoch_state: EpochState, history: CommitHistory) -> ProposerElection:
    """Leader reputation over the epoch's validators and the node's commit history."""
    return LeaderReputation(
        epoch_state.epoch, list(epoch_state.verifier.address_to_validator_info), history
    )


def message_epoch(msg: ConsensusMsg) -> int | None:
    """The epoch a message belongs to, or None for epoch-neutral ones."""
    if isinstance(msg, MsgProposal):
        return msg.value.proposal.epoch
    if isinstance(msg, MsgVote):
        return msg.value.vote.epoch
    if isinstance(msg, MsgSyncInfo):
        return msg.value.epoch
    return None


class EpochStarted:
    """Marker action: the node entered ``epoch_state``'s epoch."""

    __slots__ = ("epoch_state",)

    def __init__(self, epoch_state: EpochState) -> None:
        self.epoch_state = epoch_state

    def __repr__(self) -> str:
        return f"EpochStarted(epoch={self.epoch_state.epoch})"


NodeAction = Action | EpochStarted


class ConsensusNode:
    """Consensus of one validator across epochs.

    ``ledger_info`` is the latest committed ledger info: if it ends an epoch (or is the
    genesis ledger info), the node starts the next epoch at its genesis block; otherwise it
    recovers in ``epoch_state``'s epoch by fast-forwarding to a peer's commit certificate.
    ``epoch_proofs`` are the epoch-ending ledger infos known so far (served to peers)."""

    def __init__(
        self,
        author: AccountAddress,
        key: Ed25519PrivateKey,
        safety_storage: SafetyStorage,
        computer: StateComputer,
        payload_source: PayloadSource,
        ledger_info: LedgerInfoWithV0,
        epoch_state: EpochState | None = None,
        config: ConsensusConfig | None = None,
        election: ElectionFactory = round_robin,
        epoch_proofs: Sequence[LedgerInfoWithV0] = (),
        rate_limit_ms: int = 500,
    ) -> None:
        self.author = author
        self.safety_rules = SafetyRules(author, key, safety_storage)
        self.computer = computer
        self.payload_source = payload_source
        self.config = config or ConsensusConfig()
        self.election_factory = election
        self.history = CommitHistory()
        self.rate_limit_ms = rate_limit_ms
        self.counters: Counter[str] = Counter()
        self.epoch_proofs: dict[int, LedgerInfoWithV0] = {
            li.ledger_info.epoch: li for li in epoch_proofs
        }
        self._last_epoch_msg: dict[tuple[AccountAddress, int], int] = {}
        self._start_li = ledger_info
        self._start_epoch_state = epoch_state
        self.round_manager: RoundManager | None = None

    @property
    def epoch(self) -> int:
        return self._rm().epoch

    def _rm(self) -> RoundManager:
        if self.round_manager is None:
            raise ConsensusError("consensus node not started")
        return self.round_manager

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, now_ms: int) -> list[NodeAction]:
        li = self._start_li
        nes = li.ledger_info.commit_info.next_epoch_state
        if nes is not None:
            return self._start_epoch(li, now_ms)
        if self._start_epoch_state is None:
            raise ConsensusError("a mid-epoch start needs the epoch state")
        es = self._start_epoch_state
        self.safety_rules.initialize(es)
        self.round_manager = self._make_rm(es, None, li.ledger_info.commit_info.round)
        return [EpochStarted(es), *self.round_manager.start(now_ms)]

    def _make_rm(
        self,
        es: EpochState,
        root: tuple[ExecutedBlock, QuorumCert, QuorumCert] | None,
        committed_round: int,
    ) -> RoundManager:
        return RoundManager(
            self.author,
            es,
            self.safety_rules,
            self.computer,
            self.payload_source,
            self.election_factory(es, self.history),
            self.history,
            self.config,
            root,
            committed_round,
        )

    def _start_epoch(self, li: LedgerInfoWithV0, now_ms: int) -> list[NodeAction]:
        es = li.ledger_info.commit_info.next_epoch_state
        if es is None:  # pragma: no cover - callers check
            raise ConsensusError("ledger info does not end an epoch")
        self.epoch_proofs[li.ledger_info.epoch] = li
        genesis = Block.genesis(li.ledger_info)
        info = genesis_block_info(li.ledger_info, genesis.id)
        root_qc = QuorumCert.certificate_for_genesis(li.ledger_info, genesis.id)
        self.safety_rules.initialize(es)
        self.round_manager = self._make_rm(es, (ExecutedBlock(genesis, info), root_qc, root_qc), 0)
        self.counters["epochs_started"] += 1
        return [EpochStarted(es), *self.round_manager.start(now_ms)]

    def _after(self, actions: list[Action], now_ms: int) -> list[NodeAction]:
        out: list[NodeAction] = list(actions)
        for a in actions:
            if isinstance(a, Committed | SyncedTo) and a.ledger_info.ledger_info.ends_epoch():
                self.epoch_proofs[a.ledger_info.ledger_info.epoch] = a.ledger_info
        rm = self._rm()
        if rm.epoch_ending is not None:
            out.extend(self._start_epoch(rm.epoch_ending, now_ms))
        return out

    # -- inputs ------------------------------------------------------------------------------

    def tick(self, now_ms: int) -> list[NodeAction]:
        return self._after(self._rm().tick(now_ms), now_ms)

    def process_message(
        self, sender: AccountAddress, msg: ConsensusMsg, now_ms: int
    ) -> list[NodeAction]:
        """Handles any consensus message; never raises for bad input."""
        rm = self._rm()
        try:
            if isinstance(msg, MsgEpochRetrievalRequest):
                return self._serve_epoch_proof(sender, msg.value.start_epoch, msg.value.end_epoch)
            if isinstance(msg, MsgEpochChangeProof):
                return self._on_epoch_change_proof(msg.value, now_ms)
        except (VerifyError, ConsensusError) as err:
            self.counters[f"dropped_epoch_msg_{type(err).__name__}"] += 1
            return []
        if isinstance(msg, MsgBlockRetrievalRequest | MsgBlockRetrievalResponse):
            return self._after(rm.process_message(sender, msg, now_ms), now_ms)
        epoch = message_epoch(msg)
        if epoch is None:
            self.counters["dropped_unknown_message"] += 1
            return []
        if epoch == rm.epoch:
            return self._after(rm.process_message(sender, msg, now_ms), now_ms)
        if epoch > rm.epoch:
            if self._rate_limited(sender, epoch, now_ms):
                return []
            self.counters["epoch_retrieval_requests"] += 1
            return [Send(sender, MsgEpochRetrievalRequest(EpochRetrievalRequest(rm.epoch, epoch)))]
        self.counters["dropped_old_epoch"] += 1
        if self._rate_limited(sender, -epoch, now_ms):
            return []
        return self._serve_epoch_proof(sender, epoch, rm.epoch)

    def _rate_limited(self, peer: AccountAddress, key: int, now_ms: int) -> bool:
        last = self._last_epoch_msg.get((peer, key))
        if last is not None and now_ms - last < self.rate_limit_ms:
            return True
        self._last_epoch_msg[(peer, key)] = now_ms
        return False

    def _serve_epoch_proof(self, peer: AccountAddress, start: int, end: int) -> list[NodeAction]:
        lis = []
        for e in range(start, min(end, start + 100)):
            li = self.epoch_proofs.get(e)
            if li is None:
                break
            lis.append(li)
        if not lis:
            return []
        more = start + len(lis) < end
        return [Send(peer, MsgEpochChangeProof(EpochChangeProof(tuple(lis), more)))]

    def _on_epoch_change_proof(self, proof: EpochChangeProof, now_ms: int) -> list[NodeAction]:
        rm = self._rm()
        relevant = tuple(
            li
            for li in proof.ledger_info_with_sigs
            if isinstance(li, LedgerInfoWithV0) and li.ledger_info.epoch >= rm.epoch
        )
        if not relevant:
            self.counters["dropped_stale_epoch_proof"] += 1
            return []
        last = EpochChangeProof(relevant, proof.more).verify(rm.epoch, rm.verifier)
        for li in relevant:
            self.epoch_proofs[li.ledger_info.epoch] = li
        self.computer.sync_to(last)
        self.counters["epoch_change_syncs"] += 1
        return [SyncedTo(last), *self._start_epoch(last, now_ms)]
