"""Deterministic simulation: whole validator networks in one process.

The simulation runs the real :class:`ConsensusNode` code under a simulated clock and a
simulated network that delays, drops, reorders (random delays) and partitions messages, all
driven by one seeded ``random.Random``, so a run is reproducible from its seed.

Execution is a :class:`SimStateComputer`: a hash chain over blocks (the state after a block is
``sha3(parent state || block id)``, the version grows by one block-metadata transaction plus the
block's user transactions), which is deterministic and honest: two validators agree on the
state at a version exactly when they committed the same chain. A block holding the
``add_validator_and_reconfigure`` script function changes the validator set, which ends the
epoch.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from libra import bcs
from libra.consensus.errors import StateComputerError
from libra.consensus.node import ConsensusNode, ElectionFactory, EpochStarted, round_robin
from libra.consensus.persistence import BlockPersistence, MemoryBlockPersistence
from libra.consensus.round_manager import (
    Broadcast,
    Committed,
    ConsensusConfig,
    Send,
    SetTimer,
    SyncedTo,
)
from libra.consensus.safety_rules import MemorySafetyStorage, SafetyStorage
from libra.consensus.state_computer import StateComputeResult
from libra.crypto import Ed25519PrivateKey, Ed25519PublicKey, HashValue, sha3_256
from libra.types.account_address import CORE_CODE_ADDRESS, AccountAddress, AuthenticationKey
from libra.types.consensus import (
    Block,
    BlockData,
    ConsensusMsg,
    MsgProposal,
    MsgVote,
    Payload,
    Proposal,
    ProposalMsg,
    Vote,
    VoteData,
    VoteMsg,
    empty_block_info,
)
from libra.types.ledger import (
    BlockInfo,
    EpochState,
    LedgerInfo,
    LedgerInfoWithV0,
    ValidatorConsensusInfo,
    ValidatorVerifier,
)
from libra.types.move import ModuleId
from libra.types.transaction import (
    PayloadScriptFunction,
    RawTransaction,
    ScriptFunction,
    SignedTransaction,
)

__all__ = [
    "CommitRecord",
    "SharedPool",
    "SimNetworkConfig",
    "SimStateComputer",
    "Simulation",
    "ValidatorSpec",
    "genesis_ledger_info",
    "make_transactions",
    "make_validators",
    "reconfiguration_txn",
]

RECONFIG_MODULE = ModuleId(CORE_CODE_ADDRESS, "ValidatorAdministrationScripts")
RECONFIG_FUNCTION = "add_validator_and_reconfigure"


# --------------------------------------------------------------------------------------------
# Validators and genesis


@dataclass(frozen=True, slots=True)
class ValidatorSpec:
    """A validator's address, consensus key and voting power."""

    address: AccountAddress
    key: Ed25519PrivateKey
    voting_power: int = 1

    @property
    def info(self) -> ValidatorConsensusInfo:
        return ValidatorConsensusInfo(self.key.public_key, self.voting_power)


def make_validators(n: int, seed: int = 0, offset: int = 0) -> list[ValidatorSpec]:
    """``n`` validators with keys derived from ``seed`` (deterministic, for simulations)."""
    out = []
    for i in range(offset, offset + n):
        key = Ed25519PrivateKey(
            sha3_256(
                b"sim-validator"
                + seed.to_bytes(8, "little")
                + bytes([i % 256])
                + i.to_bytes(4, "little")
            )
        )
        out.append(ValidatorSpec(AuthenticationKey.ed25519(key.public_key).derived_address(), key))
    return out


def verifier_of(validators: Iterable[ValidatorSpec]) -> ValidatorVerifier:
    return ValidatorVerifier.create({v.address: v.info for v in validators})


def genesis_ledger_info(
    validators: Sequence[ValidatorSpec], timestamp_usecs: int = 0
) -> LedgerInfoWithV0:
    """The genesis ledger info (version 0, epoch 0) naming epoch 1's validators."""
    state = HashValue(sha3_256(b"sim-genesis"))
    info = BlockInfo(
        0, 0, HashValue.zero(), state, 0, timestamp_usecs, EpochState(1, verifier_of(validators))
    )
    return LedgerInfoWithV0(LedgerInfo(info, HashValue.zero()), {})


# --------------------------------------------------------------------------------------------
# Transactions and the shared pool


def make_transactions(count: int, senders: int = 16, seed: int = 0) -> list[SignedTransaction]:
    """``count`` real signed transactions (script-function calls) from ``senders`` accounts."""
    keys = [
        Ed25519PrivateKey(
            sha3_256(b"sim-sender" + seed.to_bytes(8, "little") + i.to_bytes(4, "little"))
        )
        for i in range(senders)
    ]
    addrs = [AuthenticationKey.ed25519(k.public_key).derived_address() for k in keys]
    module = ModuleId(CORE_CODE_ADDRESS, "PaymentScripts")
    out = []
    for n in range(count):
        s = n % senders
        recipient = addrs[(s + 1) % senders]
        fn = ScriptFunction(
            module,
            "peer_to_peer_with_metadata",
            (),
            (bytes(recipient), (n + 1).to_bytes(8, "little"), b"\x00", b"\x00"),
        )
        raw = RawTransaction(
            addrs[s], n // senders, PayloadScriptFunction(fn), 1_000_000, 0, "XUS", 2**62, 4
        )
        out.append(raw.sign(keys[s]))
    return out


def reconfiguration_txn(
    new: ValidatorSpec, signer: Ed25519PrivateKey, sequence_number: int = 0
) -> SignedTransaction:
    """A transaction that adds ``new`` to the validator set (and so ends the epoch)."""
    args = (
        bytes(new.address),
        bcs.encode_as(bytes, bytes(new.key.public_key)),
        new.voting_power.to_bytes(8, "little"),
    )
    fn = ScriptFunction(RECONFIG_MODULE, RECONFIG_FUNCTION, (), args)
    sender = AuthenticationKey.ed25519(signer.public_key).derived_address()
    raw = RawTransaction(
        sender, sequence_number, PayloadScriptFunction(fn), 1_000_000, 0, "XUS", 2**62, 4
    )
    return raw.sign(signer)


def _added_validator(
    txn: SignedTransaction,
) -> tuple[AccountAddress, ValidatorConsensusInfo] | None:
    payload = txn.raw_txn.payload
    if not isinstance(payload, PayloadScriptFunction):
        return None
    fn = payload.value
    if fn.module != RECONFIG_MODULE or fn.function != RECONFIG_FUNCTION or len(fn.args) != 3:
        return None
    try:
        address = AccountAddress(fn.args[0])
        key = Ed25519PublicKey(bcs.decode_as(bytes, fn.args[1]))
        power = int.from_bytes(fn.args[2], "little")
    except (ValueError, bcs.DecodeError):
        return None
    if len(fn.args[2]) != 8 or power == 0:
        return None
    return address, ValidatorConsensusInfo(key, power)


class SharedPool:
    """One mempool shared by every simulated validator: transactions in submission order, each
    removed once any validator commits it."""

    def __init__(self, txns: Iterable[SignedTransaction] = ()) -> None:
        self._pending: dict[HashValue, SignedTransaction] = {}
        self._committed: set[HashValue] = set()
        self.committed_count = 0
        self.add(txns)

    def add(self, txns: Iterable[SignedTransaction]) -> None:
        for t in txns:
            h = t.hash()
            if h not in self._committed:
                self._pending[h] = t

    def __len__(self) -> int:
        return len(self._pending)

    def pull(self, max_txns: int, exclude: frozenset[HashValue]) -> Payload:
        out: list[SignedTransaction] = []
        for h, t in self._pending.items():
            if len(out) >= max_txns:
                break
            if h not in exclude:
                out.append(t)
        return tuple(out)

    def notify_committed(self, payload: Payload) -> None:
        for t in payload:
            h = t.hash()
            if h not in self._committed:
                self._committed.add(h)
                self.committed_count += 1
            self._pending.pop(h, None)


# --------------------------------------------------------------------------------------------
# The deterministic state computer


@dataclass(frozen=True, slots=True)
class _SimState:
    state_id: HashValue
    version: int
    validators: dict[AccountAddress, ValidatorConsensusInfo]
    epoch_state: EpochState | None


class SimStateComputer:
    """A hash chain over blocks standing in for execution and storage."""

    def __init__(self, genesis: LedgerInfoWithV0) -> None:
        ci = genesis.ledger_info.commit_info
        nes = ci.next_epoch_state
        if nes is None:
            raise StateComputerError("the genesis ledger info must name the first validators")
        self._committed = _SimState(
            ci.executed_state_id, ci.version, dict(nes.verifier.address_to_validator_info), None
        )
        self._results: dict[HashValue, _SimState] = {}
        self.ledger_infos: list[LedgerInfoWithV0] = [genesis]
        self.committed_txns = 0

    @property
    def committed_version(self) -> int:
        return self._committed.version

    @property
    def latest_ledger_info(self) -> LedgerInfoWithV0:
        return self.ledger_infos[-1]

    def reset_speculative(self) -> None:
        """Forgets uncommitted results (a process restart)."""
        self._results.clear()

    def compute(self, block: Block, parent_block_id: HashValue) -> StateComputeResult:
        parent = self._results.get(parent_block_id, self._committed)
        validators = parent.validators
        changed = False
        for txn in block.payload:
            added = _added_validator(txn)
            if added is not None:
                validators = {**validators, added[0]: added[1]}
                changed = True
        epoch_state = (
            EpochState(block.epoch + 1, ValidatorVerifier.create(validators)) if changed else None
        )
        state = _SimState(
            HashValue(sha3_256(b"sim-state" + parent.state_id + block.id)),
            parent.version + 1 + len(block.payload),
            validators,
            epoch_state,
        )
        self._results[block.id] = state
        return StateComputeResult(state.state_id, state.version, epoch_state)

    def commit(self, blocks: Sequence[Block], ledger_info: LedgerInfoWithV0) -> None:
        last = blocks[-1].id if blocks else None
        state = self._results.get(last) if last is not None else None
        ci = ledger_info.ledger_info.commit_info
        if state is None or state.state_id != ci.executed_state_id or state.version != ci.version:
            raise StateComputerError(
                f"commit of unknown or mismatching state at version {ci.version}"
            )
        self.committed_txns += sum(len(b.payload) for b in blocks)
        self._committed = state
        self.ledger_infos.append(ledger_info)
        if ci.next_epoch_state is not None:
            self._results.clear()
        else:
            self._results = {k: v for k, v in self._results.items() if v.version >= state.version}

    def sync_to(self, ledger_info: LedgerInfoWithV0) -> None:
        ci = ledger_info.ledger_info.commit_info
        if ci.version < self._committed.version:
            raise StateComputerError(
                f"cannot sync back from version {self._committed.version} to {ci.version}"
            )
        validators = self._committed.validators
        if ci.next_epoch_state is not None:
            validators = dict(ci.next_epoch_state.verifier.address_to_validator_info)
        self._committed = _SimState(ci.executed_state_id, ci.version, validators, None)
        self._results.clear()
        self.ledger_infos.append(ledger_info)


# --------------------------------------------------------------------------------------------
# The simulation


@dataclass(frozen=True, slots=True)
class SimNetworkConfig:
    """Message delays (uniform, milliseconds) and the probability of dropping a message."""

    min_delay_ms: int = 5
    max_delay_ms: int = 50
    drop_rate: float = 0.0
    wire: bool = False


@dataclass(frozen=True, slots=True)
class CommitRecord:
    """One committed block as a node saw it."""

    epoch: int
    round: int
    block_id: HashValue
    version: int
    state_id: HashValue


LinkFilter = Callable[[int, int, ConsensusMsg, int], bool]


@dataclass(slots=True)
class _Instance:
    index: int
    spec: ValidatorSpec
    storage: SafetyStorage
    computer: SimStateComputer
    node: ConsensusNode
    epoch_state: EpochState
    blocks: BlockPersistence
    alive: bool = True
    deadline: int = -1
    byzantine: bool = False
    commits: list[CommitRecord] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)


class Simulation:
    """N validator instances (twins share a ``ValidatorSpec``) on a simulated network.

    Each instance keeps its safety data (``storages``, in memory by default) and its block tree
    (``block_stores``, in memory by default) across a simulated crash; with ``persist_blocks``
    False a restarted instance has no stored tree and recovers from its peers."""

    def __init__(
        self,
        instances: Sequence[ValidatorSpec],
        genesis: LedgerInfoWithV0,
        pool: SharedPool,
        seed: int = 0,
        network: SimNetworkConfig | None = None,
        config: ConsensusConfig | None = None,
        election: ElectionFactory = round_robin,
        byzantine: Iterable[int] = (),
        storages: Sequence[SafetyStorage] | None = None,
        persist_blocks: bool = True,
        block_stores: Sequence[BlockPersistence] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.persist_blocks = persist_blocks
        self.net = network or SimNetworkConfig()
        self.config = config or ConsensusConfig()
        self.election = election
        self.pool = pool
        self.genesis = genesis
        self.now = 0
        self.link_filter: LinkFilter | None = None
        self._queue: list[tuple[int, int, int, int, object]] = []
        self._seq = 0
        self.delivered = 0
        self.dropped = 0
        self.signed_votes: dict[tuple[AccountAddress, int, int], set[HashValue]] = {}
        self.signed_proposals: dict[tuple[AccountAddress, int, int], set[HashValue]] = {}
        first = genesis.ledger_info.commit_info.next_epoch_state
        if first is None:
            raise StateComputerError("genesis must name the first validators")
        bad = set(byzantine)
        self.instances: list[_Instance] = []
        for i, spec in enumerate(instances):
            storage = storages[i] if storages is not None else MemorySafetyStorage()
            computer = SimStateComputer(genesis)
            blocks = block_stores[i] if block_stores is not None else MemoryBlockPersistence()
            node = self._make_node(spec, storage, computer, genesis, None, (), blocks)
            self.instances.append(
                _Instance(i, spec, storage, computer, node, first, blocks, byzantine=i in bad)
            )
        self._by_address: dict[AccountAddress, list[int]] = {}
        for inst in self.instances:
            self._by_address.setdefault(inst.spec.address, []).append(inst.index)

    def _make_node(
        self,
        spec: ValidatorSpec,
        storage: SafetyStorage,
        computer: SimStateComputer,
        li: LedgerInfoWithV0,
        epoch_state: EpochState | None,
        proofs: Sequence[LedgerInfoWithV0],
        blocks: BlockPersistence,
    ) -> ConsensusNode:
        return ConsensusNode(
            spec.address,
            spec.key,
            storage,
            computer,
            self.pool,
            li,
            epoch_state,
            self.config,
            self.election,
            proofs,
            block_persistence=blocks if self.persist_blocks else None,
        )

    # -- control -----------------------------------------------------------------------------

    def start(self) -> None:
        for inst in self.instances:
            self._handle(inst, inst.node.start(self.now))

    def stop(self, index: int) -> None:
        """Crashes an instance: it loses everything but its safety storage, its persisted
        block tree and its ledger."""
        self.instances[index].alive = False

    def restart(self, index: int) -> None:
        """Restarts a stopped instance from its safety storage, persisted block tree and
        committed ledger."""
        inst = self.instances[index]
        inst.computer.reset_speculative()
        li = inst.computer.latest_ledger_info
        proofs = [x for x in inst.computer.ledger_infos if x.ledger_info.ends_epoch()]
        inst.node = self._make_node(
            inst.spec, inst.storage, inst.computer, li, inst.epoch_state, proofs, inst.blocks
        )
        inst.alive = True
        inst.deadline = -1
        self._handle(inst, inst.node.start(self.now))

    def add_instance(self, spec: ValidatorSpec, start: bool = True) -> int:
        """A new node (not yet a validator) that joins from genesis."""
        storage = MemorySafetyStorage()
        computer = SimStateComputer(self.genesis)
        blocks = MemoryBlockPersistence()
        node = self._make_node(spec, storage, computer, self.genesis, None, (), blocks)
        first = self.genesis.ledger_info.commit_info.next_epoch_state
        if first is None:  # pragma: no cover - checked in __init__
            raise StateComputerError("genesis must name the first validators")
        inst = _Instance(len(self.instances), spec, storage, computer, node, first, blocks)
        self.instances.append(inst)
        self._by_address.setdefault(spec.address, []).append(inst.index)
        if start:
            self._handle(inst, node.start(self.now))
        return inst.index

    # -- event loop --------------------------------------------------------------------------

    def _push(self, at: int, kind: int, target: int, payload: object) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, kind, target, payload))

    def run(
        self, until_ms: int, max_events: int = 1_000_000, stop: Callable[[], bool] | None = None
    ) -> int:
        """Processes events up to simulated time ``until_ms``; returns the number processed."""
        n = 0
        while self._queue and n < max_events:
            at, _, kind, target, payload = self._queue[0]
            if at > until_ms:
                break
            heapq.heappop(self._queue)
            self.now = at
            inst = self.instances[target]
            n += 1
            if not inst.alive:
                continue
            if kind == 0:
                if inst.deadline != at:
                    continue
                inst.deadline = -1
                self._handle(inst, inst.node.tick(at))
            else:
                sender, raw = cast(tuple[AccountAddress, object], payload)
                msg = (
                    cast(ConsensusMsg, bcs.decode_as(ConsensusMsg, raw))
                    if isinstance(raw, bytes)
                    else cast(ConsensusMsg, raw)
                )
                self.delivered += 1
                self._handle(inst, inst.node.process_message(sender, msg, at))
            if stop is not None and stop():
                break
        self.now = (
            max(self.now, until_ms) if not self._queue or self._queue[0][0] > until_ms else self.now
        )
        return n

    def _handle(self, inst: _Instance, actions: Sequence[object]) -> None:
        for a in actions:
            if isinstance(a, Send):
                self._record_signatures(inst, a.msg)
                self._send(inst, (a.to,), a.msg)
            elif isinstance(a, Broadcast):
                self._record_signatures(inst, a.msg)
                if inst.byzantine and isinstance(a.msg, MsgProposal):
                    self._equivocate_proposal(inst, a.recipients, a.msg.value)
                else:
                    self._send(inst, a.recipients, a.msg)
            elif isinstance(a, SetTimer):
                if a.deadline_ms != inst.deadline:
                    inst.deadline = a.deadline_ms
                    self._push(a.deadline_ms, 0, inst.index, None)
            elif isinstance(a, Committed):
                for eb in a.blocks:
                    i = eb.info
                    inst.commits.append(
                        CommitRecord(i.epoch, i.round, i.id, i.version, i.executed_state_id)
                    )
            elif isinstance(a, SyncedTo):
                i = a.ledger_info.ledger_info.commit_info
                inst.commits.append(
                    CommitRecord(i.epoch, i.round, i.id, i.version, i.executed_state_id)
                )
            elif isinstance(a, EpochStarted):
                inst.epoch_state = a.epoch_state
                inst.epochs.append(a.epoch_state.epoch)
        if inst.byzantine:
            for a in actions:
                if (
                    isinstance(a, Send)
                    and isinstance(a.msg, MsgVote)
                    and not a.msg.value.vote.is_timeout()
                ):
                    self._double_vote(inst, a.to, a.msg.value)

    def _send(
        self, inst: _Instance, recipients: Iterable[AccountAddress], msg: ConsensusMsg
    ) -> None:
        wire: object = bcs.encode(msg) if self.net.wire else msg
        for addr in recipients:
            for j in self._by_address.get(addr, ()):
                if j == inst.index:
                    continue
                if self.link_filter is not None and not self.link_filter(
                    inst.index, j, msg, self.now
                ):
                    self.dropped += 1
                    continue
                if self.net.drop_rate and self.rng.random() < self.net.drop_rate:
                    self.dropped += 1
                    continue
                delay = self.rng.randint(self.net.min_delay_ms, self.net.max_delay_ms)
                self._push(self.now + delay, 1, j, (inst.spec.address, wire))

    def _record_signatures(self, inst: _Instance, msg: ConsensusMsg) -> None:
        if isinstance(msg, MsgVote):
            v = msg.value.vote
            self.signed_votes.setdefault((v.author, v.epoch, v.round), set()).add(
                v.ledger_info.hash()
            )
        elif isinstance(msg, MsgProposal):
            b = msg.value.proposal
            if b.author is not None:
                self.signed_proposals.setdefault((b.author, b.epoch, b.round), set()).add(b.id)

    # -- byzantine behaviour -------------------------------------------------------------------

    def _equivocate_proposal(
        self, inst: _Instance, recipients: Sequence[AccountAddress], msg: ProposalMsg
    ) -> None:
        """Sends a second, conflicting proposal for the same round to half the validators."""
        d = msg.proposal.block_data
        payload = d.payload[:-1] if d.payload else ()
        alt_data = BlockData(
            d.epoch,
            d.round,
            d.timestamp_usecs + 1,
            d.quorum_cert,
            Proposal(payload, inst.spec.address),
        )
        alt = ProposalMsg(
            Block(alt_data, inst.spec.key.sign(alt_data.signing_message())), msg.sync_info
        )
        self._record_signatures(inst, MsgProposal(alt))
        ordered = sorted(recipients)
        half = len(ordered) // 2
        self._send(inst, ordered[:half], MsgProposal(msg))
        self._send(inst, ordered[half:], MsgProposal(alt))

    def _double_vote(self, inst: _Instance, to: AccountAddress, msg: VoteMsg) -> None:
        """Signs and sends a second vote for the same round on a made-up block."""
        v = msg.vote
        p = v.vote_data.proposed
        fake = BlockInfo(
            p.epoch,
            p.round,
            HashValue(sha3_256(b"fake" + p.id)),
            HashValue(sha3_256(b"fake-state" + p.id)),
            p.version,
            p.timestamp_usecs,
            None,
        )
        vd = VoteData(fake, v.vote_data.parent)
        li = LedgerInfo(empty_block_info(), vd.hash())
        vote = Vote(vd, v.author, li, inst.spec.key.sign(li.signing_message()))
        self._send(inst, (to,), MsgVote(VoteMsg(vote, msg.sync_info)))

    # -- checks ------------------------------------------------------------------------------

    def committed_versions(self) -> list[int]:
        return [inst.computer.committed_version for inst in self.instances]

    def safety_violations(self, honest: Iterable[int]) -> list[str]:
        """Different states at the same version, or different blocks at the same round, among
        the commits of the ``honest`` instances; and honest validators that signed two
        different votes or proposals for one round."""
        problems: list[str] = []
        by_version: dict[int, tuple[HashValue, int]] = {}
        by_round: dict[tuple[int, int], tuple[HashValue, int]] = {}
        honest_set = set(honest)
        for i in sorted(honest_set):
            for c in self.instances[i].commits:
                seen = by_version.setdefault(c.version, (c.state_id, i))
                if seen[0] != c.state_id:
                    problems.append(
                        f"version {c.version}: instance {i} committed "
                        f"{c.state_id.hex()[:16]}, instance {seen[1]} {seen[0].hex()[:16]}"
                    )
                seen_r = by_round.setdefault((c.epoch, c.round), (c.block_id, i))
                if seen_r[0] != c.block_id:
                    problems.append(
                        f"epoch {c.epoch} round {c.round}: instances {i} and {seen_r[1]} "
                        "committed different blocks"
                    )
        honest_addresses = {self.instances[i].spec.address for i in honest_set}
        counts: dict[AccountAddress, int] = {}
        for inst in self.instances:
            counts[inst.spec.address] = counts.get(inst.spec.address, 0) + 1
        for table, what in ((self.signed_votes, "votes"), (self.signed_proposals, "proposals")):
            for (author, epoch, round_), ids in table.items():
                if author in honest_addresses and counts[author] == 1 and len(ids) > 1:
                    problems.append(
                        f"honest {author.hex()[:8]} signed {len(ids)} {what} in epoch {epoch} "
                        f"round {round_}"
                    )
        return problems
