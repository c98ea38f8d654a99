"""The round manager: DiemBFT v4 for one epoch, event-driven and free of I/O.

Inputs are messages (with their sender) and timer ticks, each with the current time in
milliseconds; outputs are :data:`Action` values: messages to send or broadcast, the next timer
deadline, commits and syncs. A message that fails verification or arrives out of place is
dropped and counted in :attr:`RoundManager.counters`; it never raises.

Send and Broadcast may name the validator's own address: the round manager has already
processed its own proposal or vote, so the transport delivers those only to other nodes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from libra.consensus.block_store import BlockStore, CommitOutcome, ExecutedBlock
from libra.consensus.errors import ConsensusError, MissingBlock, SafetyError
from libra.consensus.persistence import BlockPersistence, PersistedTree
from libra.consensus.proposer_election import CommitHistory, CommittedBlockMeta, ProposerElection
from libra.consensus.round_state import (
    EquivocateVote,
    ExponentialTimeInterval,
    NewQuorumCert,
    NewTimeoutCert,
    RoundState,
)
from libra.consensus.safety_rules import SafetyRules
from libra.consensus.state_computer import PayloadSource, StateComputer
from libra.crypto import HashValue
from libra.types.account_address import AccountAddress
from libra.types.consensus import (
    Block,
    BlockData,
    BlockRetrievalRequest,
    BlockRetrievalResponse,
    ConsensusMsg,
    MsgBlockRetrievalRequest,
    MsgBlockRetrievalResponse,
    MsgProposal,
    MsgSyncInfo,
    MsgVote,
    Payload,
    Proposal,
    ProposalMsg,
    QuorumCert,
    RetrievalIdNotFound,
    RetrievalNotEnoughBlocks,
    RetrievalSucceeded,
    SyncInfo,
    TwoChainTimeout,
    TwoChainTimeoutCertificate,
    VoteMsg,
)
from libra.types.ledger import EpochState, LedgerInfoWithV0, VerifyError

__all__ = [
    "Action",
    "Broadcast",
    "Committed",
    "ConsensusConfig",
    "RoundManager",
    "Send",
    "SetTimer",
    "SyncedTo",
]

_MAX_OWN_DEPTH = 4
"""How deep :meth:`RoundManager._dispatch_own` handles the node's own messages in place."""


@dataclass(frozen=True, slots=True)
class ConsensusConfig:
    """Tunables, with Diem's defaults where Diem has them."""

    round_timeout_base_ms: int = 1000
    round_timeout_exponent_base: float = 1.2
    round_timeout_max_exponent: int = 6
    max_block_txns: int = 500
    retrieval_batch: int = 16
    max_retrieval_chain: int = 256
    retrieval_timeout_ms: int = 1000
    max_future_timestamp_ms: int = 300_000
    retained_committed_blocks: int = 64
    max_deferred_messages: int = 16

    def interval(self) -> ExponentialTimeInterval:
        return ExponentialTimeInterval(
            self.round_timeout_base_ms,
            self.round_timeout_exponent_base,
            self.round_timeout_max_exponent,
        )


@dataclass(frozen=True, slots=True)
class Send:
    to: AccountAddress
    msg: ConsensusMsg


@dataclass(frozen=True, slots=True)
class Broadcast:
    recipients: tuple[AccountAddress, ...]
    msg: ConsensusMsg


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Call ``tick`` at ``deadline_ms`` (replaces any earlier deadline)."""

    deadline_ms: int


@dataclass(frozen=True, slots=True)
class Committed:
    """Blocks committed, oldest first, with their executed infos and the signed ledger info."""

    blocks: tuple[ExecutedBlock, ...]
    ledger_info: LedgerInfoWithV0


@dataclass(frozen=True, slots=True)
class SyncedTo:
    """The committed state jumped to ``ledger_info`` (fast-forward sync)."""

    ledger_info: LedgerInfoWithV0


Action = Send | Broadcast | SetTimer | Committed | SyncedTo


@dataclass(slots=True)
class _Retrieval:
    peer: AccountAddress
    block_id: HashValue
    num_blocks: int
    deadline_ms: int
    fast_forward: QuorumCert | None
    chain: list[Block] = field(default_factory=list)


class RoundManager:
    """DiemBFT v4 for one epoch.

    ``root`` is the epoch's starting point: ``(root block executed, root QC, commit cert)``
    for a fresh epoch, or None when recovering mid-epoch; a recovering round manager waits for
    a sync info from a peer and fast-forwards to its commit certificate.

    ``persistence`` mirrors the block tree to durable storage. With ``recovered`` (what it held
    at start), :meth:`start` rebuilds the tree from ``root``: the stored blocks that descend
    from it are re-executed and inserted, the stored certificates restored; if that fails the
    round manager falls back to waiting for a peer's sync info."""

    def __init__(
        self,
        author: AccountAddress,
        epoch_state: EpochState,
        safety_rules: SafetyRules,
        computer: StateComputer,
        payload_source: PayloadSource,
        election: ProposerElection,
        history: CommitHistory,
        config: ConsensusConfig,
        root: tuple[ExecutedBlock, QuorumCert, QuorumCert] | None,
        committed_round: int = 0,
        persistence: BlockPersistence | None = None,
        recovered: PersistedTree | None = None,
    ) -> None:
        self.author = author
        self.epoch_state = epoch_state
        self.epoch = epoch_state.epoch
        self.verifier = epoch_state.verifier
        self.safety_rules = safety_rules
        self.computer = computer
        self.payload_source = payload_source
        self.election = election
        self.history = history
        self.config = config
        self.is_validator = self.verifier.public_key(author) is not None
        self.validators = tuple(self.verifier.address_to_validator_info)
        self.persistence = persistence
        self._recovered = recovered if root is not None else None
        self.block_store: BlockStore | None = None
        if root is not None:
            self.block_store = BlockStore(
                root[0],
                root[1],
                root[2],
                computer,
                config.retained_committed_blocks,
                persistence,
                restoring=self._recovered is not None,
            )
        self.committed_round = committed_round
        self.round_state = RoundState(config.interval())
        self.counters: Counter[str] = Counter()
        self.epoch_ending: LedgerInfoWithV0 | None = None
        self._out: list[Action] = []
        self._retrieval: _Retrieval | None = None
        self._deferred: list[tuple[AccountAddress, ConsensusMsg]] = []
        self._pending_qcs: list[QuorumCert] = []
        self._proposals_seen: dict[tuple[AccountAddress, int], HashValue] = {}
        self._last_proposed_round = 0
        self._helped: dict[AccountAddress, int] = {}
        self._payload_hashes: dict[HashValue, frozenset[HashValue]] = {}
        self._prefer_fast_forward = False
        self._own_depth = 0

    # -- entry points ------------------------------------------------------------------------

    def start(self, now_ms: int) -> list[Action]:
        """Enters the first round of the epoch (or starts waiting to recover)."""
        if self._recovered is not None:
            tree, self._recovered = self._recovered, None
            self._recover(tree)
        if self.block_store is not None:
            self._process_certificates(now_ms)
        return self._flush()

    def process_message(
        self, sender: AccountAddress, msg: ConsensusMsg, now_ms: int
    ) -> list[Action]:
        """Handles one message of this epoch; invalid ones are dropped and counted."""
        self._dispatch(sender, msg, now_ms)
        return self._flush()

    def tick(self, now_ms: int) -> list[Action]:
        """Handles the timer: a local timeout when the round's deadline has passed."""
        try:
            self._on_tick(now_ms)
        except (VerifyError, ConsensusError) as err:
            self.counters[f"error_{type(err).__name__}"] += 1
        return self._flush()

    @property
    def current_round(self) -> int:
        return self.round_state.current_round

    def sync_info(self) -> SyncInfo | None:
        return self.block_store.sync_info() if self.block_store is not None else None

    # -- plumbing ----------------------------------------------------------------------------

    def _flush(self) -> list[Action]:
        out, self._out = self._out, []
        return out

    def _emit(self, action: Action) -> None:
        self._out.append(action)

    def _drop(self, reason: str) -> None:
        self.counters[f"dropped_{reason}"] += 1

    def _dispatch(self, sender: AccountAddress, msg: ConsensusMsg, now_ms: int) -> None:
        try:
            if isinstance(msg, MsgProposal):
                self._on_proposal(sender, msg.value, now_ms)
            elif isinstance(msg, MsgVote):
                self._on_vote(sender, msg.value, now_ms)
            elif isinstance(msg, MsgSyncInfo):
                self._on_sync_info(sender, msg.value, now_ms)
            elif isinstance(msg, MsgBlockRetrievalRequest):
                self._on_retrieval_request(sender, msg.value)
            elif isinstance(msg, MsgBlockRetrievalResponse):
                self._on_retrieval_response(sender, msg.value, now_ms)
            else:
                self._drop("unexpected_message")
        except VerifyError:
            self._drop(f"invalid_{type(msg).__name__}")
        except ConsensusError as err:
            self._drop(f"{type(msg).__name__}_{type(err).__name__}")

    def _dispatch_own(self, msg: ConsensusMsg, now_ms: int) -> None:
        """Handles a message this node just sent to itself (it is among the recipients of the
        action emitted with it) without waiting for it to come back. Only a few levels deep:
        a validator that leads several rounds in a row (a network of one) would otherwise
        recurse once per round without ever returning to its caller; past the limit the copy
        delivered with the emitted action carries on."""
        if self._own_depth >= _MAX_OWN_DEPTH:
            self.counters["own_messages_deferred"] += 1
            return
        self._own_depth += 1
        try:
            self._dispatch(self.author, msg, now_ms)
        finally:
            self._own_depth -= 1

    def _defer(self, sender: AccountAddress, msg: ConsensusMsg) -> None:
        if len(self._deferred) >= self.config.max_deferred_messages:
            self._deferred.pop(0)
            self._drop("deferred_overflow")
        self._deferred.append((sender, msg))

    def _replay_deferred(self, now_ms: int) -> None:
        pending, self._deferred = self._deferred, []
        for sender, msg in pending:
            self._dispatch(sender, msg, now_ms)

    # -- certificates and rounds -------------------------------------------------------------

    def _process_certificates(self, now_ms: int) -> None:
        bs = self.block_store
        if bs is None or self.epoch_ending is not None:
            return
        event = self.round_state.process_certificates(bs.sync_info(), now_ms)
        if event is None:
            return
        self._emit(SetTimer(event.deadline_ms))
        if self.is_validator and self.election.get_valid_proposer(event.round) == self.author:
            self._propose(event.round, now_ms)

    def _insert_qc(self, qc: QuorumCert) -> None:
        bs = self._store()
        if qc.certified_block.round < bs.root.round:
            return
        outcome = bs.insert_quorum_cert(qc)
        if outcome is not None:
            self._on_commit(outcome)

    def _on_commit(self, outcome: CommitOutcome) -> None:
        for eb in outcome.blocks:
            block = eb.block
            self.payload_source.notify_committed(block.payload)
            self._payload_hashes.pop(eb.id, None)
            voters = tuple(block.quorum_cert.ledger_info.signatures)
            self.history.record(CommittedBlockMeta(eb.info.epoch, eb.round, block.author, voters))
        self.committed_round = outcome.ledger_info.ledger_info.commit_info.round
        self._emit(Committed(outcome.blocks, outcome.ledger_info))
        if outcome.ledger_info.ledger_info.ends_epoch():
            self.epoch_ending = outcome.ledger_info

    def _store(self) -> BlockStore:
        if self.block_store is None:
            raise MissingBlock(HashValue.zero(), "root block (recovering)")
        return self.block_store

    # -- recovery ----------------------------------------------------------------------------

    def _recover(self, tree: PersistedTree) -> None:
        """Rebuilds the block tree from the persisted one (Diem's ``RecoveryData``): the
        stored blocks that descend from the root are re-executed and inserted (oldest first,
        each with the certificate it carries), then the stored certificates are recorded (a
        stored commit the ledger missed is carried out again), the highest timeout cert
        restored, and what does not descend from the root deleted. When anything does not fit
        (execution disagrees with a certificate, a commit fails), the tree is dropped and the
        round manager waits for a peer's sync info, as without a persisted tree."""
        bs = self._store()
        stored = frozenset(
            [b.id for b in tree.blocks] + [q.certified_block.id for q in tree.quorum_certs]
        )
        try:
            for block in tree.blocks:
                if (
                    block.epoch != self.epoch
                    or block.round <= bs.root.round
                    or block.id in bs
                    or block.parent_id not in bs
                ):
                    continue
                self._insert_qc(block.quorum_cert)
                if self.block_store is not bs or self.epoch_ending is not None:
                    break
                if block.parent_id not in bs:
                    continue  # pruned by the commit that certificate carried
                bs.insert_block(block)
                self.counters["recovered_blocks"] += 1
            for qc in tree.quorum_certs:
                if self.epoch_ending is not None:
                    break
                if qc.certified_block.id in bs and qc.certified_block.round > bs.root.round:
                    self._insert_qc(qc)
            tc = tree.highest_timeout_cert
            if tc is not None and tc.epoch == self.epoch and tc.round > bs.root.round:
                bs.insert_timeout_cert(tc)
        except ConsensusError as err:
            self.counters[f"recovery_failed_{type(err).__name__}"] += 1
            self.block_store = None
            return
        bs.finish_restore(stored)
        self.counters["recovered_from_store"] += 1

    # -- sync --------------------------------------------------------------------------------

    def _sync_up(self, sync_info: SyncInfo, peer: AccountAddress, now_ms: int) -> bool:
        """Brings the tree up to ``sync_info``; False when blocks are being fetched first."""
        bs = self.block_store
        if bs is None:
            sync_info.verify(self.verifier)
            cc = sync_info.commit_cert
            if cc.commit_info.round < self.committed_round or not cc.commits():
                self._drop("sync_info_behind_recovery_point")
                return False
            self._fetch(peer, cc.certified_block.id, 2, now_ms, cc)
            return False
        local = bs.sync_info()
        if not (
            sync_info.hqc_round > local.hqc_round
            or sync_info.commit_round > local.commit_round
            or sync_info.htc_round > local.htc_round
        ):
            return True
        sync_info.verify(self.verifier)
        cc = sync_info.commit_cert
        if (
            cc.commits()
            and cc.commit_info.round > bs.root.round
            and cc.commit_info.id not in bs
            and (
                self._prefer_fast_forward
                or cc.certified_block.round - bs.root.round > 2 * self.config.retrieval_batch
            )
        ):
            self._fetch(peer, cc.certified_block.id, 2, now_ms, cc)
            return False
        for qc in (cc, sync_info.highest_quorum_cert):
            if qc.certified_block.round <= bs.root.round:
                continue
            if qc.certified_block.id not in bs:
                self._fetch(peer, qc.certified_block.id, self.config.retrieval_batch, now_ms, None)
                return False
            self._insert_qc(qc)
        tc = sync_info.highest_2chain_timeout_cert
        if tc is not None:
            bs.insert_timeout_cert(tc)
        self._process_certificates(now_ms)
        return True

    def _fetch(
        self,
        peer: AccountAddress,
        block_id: HashValue,
        num_blocks: int,
        now_ms: int,
        fast_forward: QuorumCert | None,
        chain: list[Block] | None = None,
    ) -> None:
        r = self._retrieval
        if r is not None and now_ms < r.deadline_ms:
            return
        self._retrieval = _Retrieval(
            peer,
            block_id,
            num_blocks,
            now_ms + self.config.retrieval_timeout_ms,
            fast_forward,
            chain or [],
        )
        self.counters["block_retrievals"] += 1
        self._emit(
            Send(peer, MsgBlockRetrievalRequest(BlockRetrievalRequest(block_id, num_blocks)))
        )

    def _on_sync_info(self, sender: AccountAddress, sync_info: SyncInfo, now_ms: int) -> None:
        if not self._sync_up(sync_info, sender, now_ms):
            self._defer(sender, MsgSyncInfo(sync_info))

    def _help_peer(self, peer: AccountAddress, peer_round: int) -> None:
        """Sends our certificates to a peer whose message showed it is behind (once a round)."""
        bs = self.block_store
        if bs is None or peer == self.author or self._helped.get(peer, -1) >= peer_round:
            return
        self._helped[peer] = peer_round
        self._emit(Send(peer, MsgSyncInfo(bs.sync_info())))

    def _on_retrieval_request(self, sender: AccountAddress, req: BlockRetrievalRequest) -> None:
        bs = self.block_store
        blocks: list[Block] = []
        if bs is not None:
            want = min(req.num_blocks, self.config.retrieval_batch)
            block_id = req.block_id
            while len(blocks) < want:
                eb = bs.lookup_for_retrieval(block_id)
                if eb is None:
                    break
                blocks.append(eb.block)
                if eb.block.is_genesis():
                    break
                block_id = eb.block.parent_id
        if not blocks:
            status: RetrievalSucceeded | RetrievalIdNotFound | RetrievalNotEnoughBlocks = (
                RetrievalIdNotFound()
            )
        elif len(blocks) == req.num_blocks:
            status = RetrievalSucceeded()
        else:
            status = RetrievalNotEnoughBlocks()
        self._emit(
            Send(sender, MsgBlockRetrievalResponse(BlockRetrievalResponse(status, tuple(blocks))))
        )

    def _on_retrieval_response(
        self, sender: AccountAddress, resp: BlockRetrievalResponse, now_ms: int
    ) -> None:
        r = self._retrieval
        if r is None or sender != r.peer:
            self._drop("unexpected_retrieval_response")
            return
        self._retrieval = None
        if isinstance(resp.status, RetrievalIdNotFound) or not resp.blocks:
            self._drop("retrieval_not_found")
            self._prefer_fast_forward = r.fast_forward is None
            return
        resp.verify(r.block_id, r.num_blocks, self.verifier)
        if r.fast_forward is not None:
            self._fast_forward(r.fast_forward, resp.blocks, now_ms)
            return
        bs = self._store()
        chain = r.chain + list(resp.blocks)
        if chain[0].round <= bs.root.round:
            self._drop("stale_retrieval_response")
            return
        connect = next((i for i, b in enumerate(chain) if b.id in bs or b.parent_id in bs), None)
        if connect is None:
            oldest = chain[-1]
            if oldest.round <= bs.root.round or oldest.is_genesis():
                self._drop("retrieved_chain_does_not_connect")
                self._prefer_fast_forward = True
                return
            if len(chain) >= self.config.max_retrieval_chain:
                self._drop("retrieved_chain_too_long")
                self._prefer_fast_forward = True
                return
            self._fetch(sender, oldest.parent_id, self.config.retrieval_batch, now_ms, None, chain)
            return
        for block in reversed(chain[: connect + 1]):
            if block.id in bs:
                continue
            if block.parent_id not in bs:
                break
            self._insert_qc(block.quorum_cert)
            if block.parent_id not in bs:
                break
            bs.insert_block(block)
        pending, self._pending_qcs = self._pending_qcs, []
        for qc in pending:
            if qc.certified_block.id in bs:
                self._insert_qc(qc)
        self._process_certificates(now_ms)
        self._replay_deferred(now_ms)

    def _fast_forward(self, cc: QuorumCert, blocks: tuple[Block, ...], now_ms: int) -> None:
        """Jumps to the commit certificate ``cc``: sync the committed state to its ledger info,
        restart the tree at the committed block, re-execute the certified child."""
        if len(blocks) != 2:
            self._drop("fast_forward_needs_two_blocks")
            return
        child, root_block = blocks
        if (
            root_block.id != cc.commit_info.id
            or child.quorum_cert.certified_block != cc.commit_info
        ):
            self._drop("fast_forward_blocks_do_not_match")
            return
        li = cc.ledger_info
        self.computer.sync_to(li)
        self._emit(SyncedTo(li))
        self.committed_round = cc.commit_info.round
        root = ExecutedBlock(root_block, cc.commit_info)
        if self.block_store is None:
            self.block_store = BlockStore(
                root,
                child.quorum_cert,
                cc,
                self.computer,
                self.config.retained_committed_blocks,
                self.persistence,
            )
        else:
            self.block_store.reset(root, child.quorum_cert, cc)
        self.counters["fast_forward_syncs"] += 1
        self._prefer_fast_forward = False
        if li.ledger_info.ends_epoch():
            self.epoch_ending = li
            return
        self.block_store.insert_block(child)
        self._insert_qc(cc)
        self._process_certificates(now_ms)
        self._replay_deferred(now_ms)

    # -- proposals ---------------------------------------------------------------------------

    def _exclude(self, parent_id: HashValue) -> frozenset[HashValue]:
        bs = self._store()
        hashes: set[HashValue] = set()
        for eb in bs.ancestors(parent_id):
            cached = self._payload_hashes.get(eb.id)
            if cached is None:
                cached = frozenset(t.hash() for t in eb.block.payload)
                self._payload_hashes[eb.id] = cached
            hashes |= cached
        return frozenset(hashes)

    def _propose(self, round: int, now_ms: int) -> None:
        if round <= self._last_proposed_round:
            return
        bs = self._store()
        hqc = bs.highest_qc
        parent = hqc.certified_block
        if parent.next_epoch_state is not None:
            payload: Payload = ()
            timestamp = parent.timestamp_usecs
        else:
            payload = self.payload_source.pull(self.config.max_block_txns, self._exclude(parent.id))
            timestamp = max(now_ms * 1000, parent.timestamp_usecs + 1)
        data = BlockData(self.epoch, round, timestamp, hqc, Proposal(tuple(payload), self.author))
        try:
            signature = self.safety_rules.sign_proposal(data)
        except SafetyError as err:
            self.counters[f"proposal_refused_{type(err).__name__}"] += 1
            return
        self._last_proposed_round = round
        self.counters["proposals_sent"] += 1
        msg = ProposalMsg(Block(data, signature), bs.sync_info())
        self._emit(Broadcast(self.validators, MsgProposal(msg)))
        self._dispatch_own(MsgProposal(msg), now_ms)

    def _on_proposal(self, sender: AccountAddress, msg: ProposalMsg, now_ms: int) -> None:
        block = msg.proposal
        if block.author != sender:
            self._drop("proposal_author_mismatch")
            return
        if self.block_store is not None and block.round < self.current_round:
            self._drop("stale_proposal")
            self._help_peer(sender, block.round)
            return
        if sender == self.author and self._proposals_seen.get((sender, block.round)) == block.id:
            # The copy of this node's own proposal delivered with the broadcast, after it was
            # handled in place: nothing left to do (and verifying it re-encodes the block).
            self._drop("own_proposal_again")
            return
        msg.verify(self.verifier)
        if not self._sync_up(msg.sync_info, sender, now_ms):
            self._defer(sender, MsgProposal(msg))
            return
        bs = self._store()
        if block.round != self.current_round:
            self._drop("proposal_round_mismatch")
            return
        if self.election.get_valid_proposer(block.round) != sender:
            self._drop("proposal_from_wrong_leader")
            return
        key = (sender, block.round)
        seen = self._proposals_seen.get(key)
        if seen is not None and seen != block.id:
            self._drop("equivocating_proposal")
            return
        self._proposals_seen[key] = block.id
        if block.parent_id not in bs:
            self._fetch(sender, block.parent_id, self.config.retrieval_batch, now_ms, None)
            self._defer(sender, MsgProposal(msg))
            return
        if block.timestamp_usecs > (now_ms + self.config.max_future_timestamp_ms) * 1000:
            self._drop("proposal_from_the_future")
            return
        self._insert_qc(block.quorum_cert)
        if self.block_store is not bs or self.epoch_ending is not None:
            return
        executed = bs.insert_block(block)
        self.counters["proposals_received"] += 1
        self._vote_for(executed, now_ms)

    # -- votes -------------------------------------------------------------------------------

    def _vote_for(self, executed: ExecutedBlock, now_ms: int) -> None:
        if not self.is_validator or self.round_state.vote_sent is not None:
            return
        bs = self._store()
        try:
            vote = self.safety_rules.construct_and_sign_vote_two_chain(
                executed.block, executed.info, bs.highest_tc
            )
        except SafetyError as err:
            self.counters[f"vote_refused_{type(err).__name__}"] += 1
            return
        self.round_state.record_vote(vote)
        self.counters["votes_sent"] += 1
        next_leader = self.election.get_valid_proposer(vote.round + 1)
        msg = VoteMsg(vote, bs.sync_info())
        self._emit(Send(next_leader, MsgVote(msg)))
        if next_leader == self.author:
            self._dispatch_own(MsgVote(msg), now_ms)

    def _on_vote(self, sender: AccountAddress, msg: VoteMsg, now_ms: int) -> None:
        vote = msg.vote
        if vote.author != sender:
            self._drop("vote_author_mismatch")
            return
        if self.block_store is not None and vote.round < self.current_round:
            self._drop("stale_vote")
            self._help_peer(sender, vote.round)
            return
        msg.verify(self.verifier)
        if not self._sync_up(msg.sync_info, sender, now_ms):
            self._defer(sender, MsgVote(msg))
            return
        if vote.round != self.current_round:
            self._drop("vote_round_mismatch")
            return
        if (
            not vote.is_timeout()
            and self.election.get_valid_proposer(vote.round + 1) != self.author
        ):
            self._drop("vote_not_for_next_leader")
            return
        for result in self.round_state.insert_vote(vote, self.verifier):
            if isinstance(result, NewQuorumCert):
                self._new_qc_aggregated(result.qc, sender, now_ms)
            elif isinstance(result, NewTimeoutCert):
                self._new_tc_aggregated(result.tc, sender, now_ms)
            elif isinstance(result, EquivocateVote):
                self.counters["equivocating_votes"] += 1

    def _new_qc_aggregated(self, qc: QuorumCert, peer: AccountAddress, now_ms: int) -> None:
        self.counters["qcs_formed"] += 1
        bs = self._store()
        if qc.certified_block.id not in bs:
            self._pending_qcs.append(qc)
            self._fetch(peer, qc.certified_block.id, self.config.retrieval_batch, now_ms, None)
            return
        self._insert_qc(qc)
        self._process_certificates(now_ms)

    def _new_tc_aggregated(
        self, tc: TwoChainTimeoutCertificate, peer: AccountAddress, now_ms: int
    ) -> None:
        self.counters["tcs_formed"] += 1
        bs = self._store()
        bs.insert_timeout_cert(tc)
        qc = tc.timeout.quorum_cert
        if qc.certified_block.round > bs.highest_qc.certified_block.round:
            if qc.certified_block.id in bs:
                self._insert_qc(qc)
            else:
                self._pending_qcs.append(qc)
                self._fetch(peer, qc.certified_block.id, self.config.retrieval_batch, now_ms, None)
        self._process_certificates(now_ms)

    # -- timeouts ----------------------------------------------------------------------------

    def _on_tick(self, now_ms: int) -> None:
        r = self._retrieval
        if r is not None and now_ms >= r.deadline_ms:
            self._retrieval = None
            self.counters["retrieval_timeouts"] += 1
        if self.block_store is None or self.epoch_ending is not None:
            return
        if not self.round_state.process_local_timeout(now_ms):
            self._emit(SetTimer(self.round_state.deadline_ms))
            return
        self._emit(SetTimer(self.round_state.deadline_ms))
        self.counters["local_timeouts"] += 1
        if not self.is_validator:
            return
        bs = self.block_store
        round_ = self.current_round
        vote = self.round_state.vote_sent
        if vote is None or vote.round != round_:
            nil = bs.insert_block(Block.nil(self.epoch, round_, bs.highest_qc))
            try:
                vote = self.safety_rules.construct_and_sign_vote_two_chain(
                    nil.block, nil.info, bs.highest_tc
                )
            except SafetyError as err:
                last = self.safety_rules.safety_data.last_vote
                if last is None or last.round != round_ or last.epoch != self.epoch:
                    self.counters[f"timeout_refused_{type(err).__name__}"] += 1
                    return
                vote = last
        if not vote.is_timeout():
            timeout = TwoChainTimeout(self.epoch, round_, bs.highest_qc)
            try:
                sig = self.safety_rules.sign_timeout_with_qc(timeout, bs.highest_tc)
            except SafetyError as err:
                self.counters[f"timeout_refused_{type(err).__name__}"] += 1
                return
            vote = vote.with_timeout(timeout, sig)
        self.round_state.record_vote(vote)
        msg = VoteMsg(vote, bs.sync_info())
        self._emit(Broadcast(self.validators, MsgVote(msg)))
        self._dispatch_own(MsgVote(msg), now_ms)
