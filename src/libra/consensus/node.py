"""A validator's consensus: one round manager per epoch and the moves between epochs.

When a committed block carries the next epoch's validator set, the node starts the new epoch
from that ledger info. Messages of a later epoch make it ask the sender for the epoch-change
proof; messages of an earlier epoch make it send one (both rate-limited per peer).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence

from libra.consensus.block_store import ExecutedBlock
from libra.consensus.errors import ConsensusError
from libra.consensus.persistence import BlockPersistence, PersistedTree
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
    "find_root",
    "leader_reputation",
    "message_epoch",
    "round_robin",
]

log = logging.getLogger("libra.consensus")

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


def find_root(
    stored: PersistedTree, ledger_info: LedgerInfoWithV0
) -> tuple[ExecutedBlock, QuorumCert, QuorumCert] | None:
    """The root to rebuild a persisted tree from (Diem's ``find_root``): the committed block
    ``ledger_info`` names, the quorum cert certifying it and a commit cert committing it, all
    taken from ``stored`` (a certificate may also come from a stored block carrying it).
    None when any of them is missing."""
    ci = ledger_info.ledger_info.commit_info
    block = next((b for b in stored.blocks if b.id == ci.id), None)
    if block is None or block.epoch != ci.epoch or block.round != ci.round:
        return None
    certs = [*stored.quorum_certs, *(b.quorum_cert for b in stored.blocks)]
    root_qc = next((q for q in certs if q.certified_block == ci), None)
    commit_cert = next((q for q in certs if q.commits() and q.commit_info == ci), None)
    if root_qc is None or commit_cert is None:
        return None
    return ExecutedBlock(block, ci), root_qc, commit_cert


class ConsensusNode:
    """Consensus of one validator across epochs.

    ``ledger_info`` is the latest committed ledger info: if it ends an epoch (or is the
    genesis ledger info), the node starts the next epoch at its genesis block; otherwise it
    recovers in ``epoch_state``'s epoch by fast-forwarding to a peer's commit certificate.
    ``epoch_proofs`` are the epoch-ending ledger infos known so far (served to peers).

    ``block_persistence`` mirrors the block tree to durable storage. At start, when it holds
    the committed block (the one ``ledger_info`` names) with its quorum cert and commit cert,
    the node rebuilds its tree from there (:func:`find_root`) and votes and proposes without
    waiting for peers; otherwise it recovers as above."""

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
        block_persistence: BlockPersistence | None = None,
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
        self.block_persistence = block_persistence
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
        stored: PersistedTree | None = None
        if self.block_persistence is not None:
            try:
                stored = self.block_persistence.load()
            except ConsensusError:
                self.counters["recovery_store_unreadable"] += 1
        if stored is not None and not stored.blocks:
            stored = None  # a new store: nothing to recover
        nes = li.ledger_info.commit_info.next_epoch_state
        if nes is not None:
            first = self._start_epoch(li, now_ms, stored)
            self._log_recovery(self._rm(), stored, True)
            return self._after_start(first, now_ms)
        if self._start_epoch_state is None:
            raise ConsensusError("a mid-epoch start needs the epoch state")
        es = self._start_epoch_state
        self.safety_rules.initialize(es)
        root = find_root(stored, li) if stored is not None else None
        if stored is not None and root is None:
            self.counters["recovery_root_not_stored"] += 1
        self.round_manager = self._make_rm(
            es, root, li.ledger_info.commit_info.round, stored if root is not None else None
        )
        started: list[NodeAction] = [EpochStarted(es), *self.round_manager.start(now_ms)]
        self._log_recovery(self.round_manager, stored, root is not None)
        return self._after_start(started, now_ms)

    @staticmethod
    def _log_recovery(rm: RoundManager, stored: PersistedTree | None, root_found: bool) -> None:
        """One line saying how the start went (the counters have the details)."""
        if stored is None:
            return
        if rm.counters["recovered_from_store"]:
            log.info(
                "rebuilt the block tree from the consensus store: %d blocks above the committed "
                "block, epoch %d round %d",
                rm.counters["recovered_blocks"],
                rm.epoch,
                rm.current_round,
            )
        elif root_found:
            failed = [k for k in rm.counters if k.startswith("recovery_failed_")]
            log.warning(
                "the consensus store does not fit the ledger (%s); waiting for a peer's sync info",
                ", ".join(failed) or "unknown",
            )
        else:
            log.info(
                "the consensus store does not hold the committed block; waiting for a peer's "
                "sync info"
            )

    def _after_start(self, actions: list[NodeAction], now_ms: int) -> list[NodeAction]:
        """A tree rebuilt at start may have carried out a commit that ends the epoch."""
        rm = self._rm()
        if rm.epoch_ending is None:
            return actions
        return [*actions, *self._after([], now_ms)]

    def _make_rm(
        self,
        es: EpochState,
        root: tuple[ExecutedBlock, QuorumCert, QuorumCert] | None,
        committed_round: int,
        recovered: PersistedTree | None = None,
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
            self.block_persistence,
            recovered,
        )

    def _start_epoch(
        self, li: LedgerInfoWithV0, now_ms: int, recovered: PersistedTree | None = None
    ) -> list[NodeAction]:
        es = li.ledger_info.commit_info.next_epoch_state
        if es is None:  # pragma: no cover - callers check
            raise ConsensusError("ledger info does not end an epoch")
        self.epoch_proofs[li.ledger_info.epoch] = li
        genesis = Block.genesis(li.ledger_info)
        info = genesis_block_info(li.ledger_info, genesis.id)
        root_qc = QuorumCert.certificate_for_genesis(li.ledger_info, genesis.id)
        self.safety_rules.initialize(es)
        self.round_manager = self._make_rm(
            es, (ExecutedBlock(genesis, info), root_qc, root_qc), 0, recovered
        )
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
