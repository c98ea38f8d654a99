"""The execution engine: consensus blocks executed speculatively over the ledger database.

:class:`ExecutionEngine` implements consensus's ``StateComputer``. ``compute`` turns a block into
its transactions (a ``BlockMetadata`` carrying the leader's wall-clock time, then the payload),
executes them on the parent block's speculative state (or on the committed ledger), and asks
storage for the roots without writing anything. ``commit`` writes the computed states of a
certified chain with the quorum-signed ledger info, one atomic write per block. ``sync_to``
hands catching up to a syncer (state sync) and forgets speculative results.

:func:`block_transactions` and :func:`to_commit` are shared with state sync, which re-executes
committed blocks and must produce exactly the same transaction infos.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import cast

from libra.consensus.errors import StateComputerError
from libra.consensus.state_computer import StateComputeResult
from libra.crypto import HashValue
from libra.execution import BlockOutput, InvalidBlockError, committed, execute_block
from libra.framework import Keep, StateView
from libra.framework.errors import FrameworkError
from libra.storage import (
    LedgerDB,
    SpeculativeState,
    StorageError,
    TransactionToCommit,
    WriteError,
)
from libra.types import (
    AccountAddress,
    BlockMetadata,
    BlockMetadataTransaction,
    EpochState,
    LedgerInfoWithSignatures,
    SignedTransaction,
    Transaction,
    UserTransaction,
)
from libra.types.consensus import Block
from libra.types.ledger import LedgerInfoWithV0

__all__ = [
    "RESERVED_VM_ADDRESS",
    "CachedLedgerView",
    "CommittedBlock",
    "ExecutionEngine",
    "LedgerStateView",
    "block_transactions",
    "to_commit",
]

log = logging.getLogger("libra.execution")

RESERVED_VM_ADDRESS = AccountAddress(bytes(16))
"""The proposer recorded for NIL blocks (Diem's VM reserved address)."""


def block_transactions(block: Block) -> list[Transaction]:
    """The transactions a consensus block commits: its ``BlockMetadata`` (id, round, time,
    the voters of its parent's certificate, proposer) and then its payload."""
    qc = block.block_data.quorum_cert
    voters = tuple(sorted(qc.signed_ledger_info.signatures))  # type: ignore[attr-defined]
    author = block.block_data.author
    meta = BlockMetadata(
        block.id,
        block.round,
        block.timestamp_usecs,
        voters,
        author if author is not None else RESERVED_VM_ADDRESS,
    )
    out: list[Transaction] = [BlockMetadataTransaction(meta)]
    out.extend(UserTransaction(t) for t in block.payload)
    return out


def to_commit(
    transactions: Sequence[Transaction], output: BlockOutput
) -> list[TransactionToCommit]:
    """The kept transactions of an executed block as storage commits them.

    The state tree is updated once per block: every changed account goes with the block's
    last kept transaction, and every transaction info of the block carries the block's state
    root (state is kept, read and proven at block ends)."""
    kept = committed(transactions, output)
    last = len(kept) - 1
    out = []
    for i, (txn, o) in enumerate(kept):
        status = cast(Keep, o.status).status  # committed() keeps only Keep outputs
        out.append(
            TransactionToCommit(
                txn,
                output.changed if i == last else {},
                o.events,
                gas_used=o.gas_used,
                status=status,
            )
        )
    return out


class LedgerStateView:
    """The committed ledger's latest state as a framework ``StateView``."""

    __slots__ = ("db",)

    def __init__(self, db: LedgerDB) -> None:
        self.db = db

    def get_account_blob(self, address: AccountAddress) -> bytes | None:
        return self.db.get_account_state(address)


_MISSING = object()


class CachedLedgerView:
    """The committed ledger's latest state with a cache of account blobs.

    Reading an account from the ledger walks the state tree in LMDB (several node reads and
    decodes); a validator under load reads the same accounts over and over (admission, the
    mempool's sequence numbers, execution on the committed state). The engine that owns the
    view updates the cache with every block it commits and clears it when anything else
    writes the ledger (state sync). Safe for concurrent readers: a blob read from the
    database is cached only if no commit happened during the read."""

    __slots__ = ("_blobs", "_capacity", "_generation", "_lock", "db")

    def __init__(self, db: LedgerDB, capacity: int = 200_000) -> None:
        self.db = db
        self._blobs: dict[AccountAddress, bytes | None] = {}
        self._capacity = capacity
        self._generation = 0
        self._lock = threading.Lock()

    def get_account_blob(self, address: AccountAddress) -> bytes | None:
        with self._lock:
            blob = self._blobs.get(address, _MISSING)
            generation = self._generation
        if blob is not _MISSING:
            return blob  # type: ignore[return-value]
        fresh = self.db.get_account_state(address)
        with self._lock:
            if self._generation == generation:
                if len(self._blobs) >= self._capacity:
                    self._blobs.clear()
                self._blobs[address] = fresh
        return fresh

    def committed(self, updates: Sequence[TransactionToCommit]) -> None:
        """Records the account changes of a block just written to the ledger."""
        with self._lock:
            self._generation += 1
            blobs = self._blobs
            for t in updates:
                for address, blob in t.account_updates.items():
                    blobs[address] = None if blob is None else bytes(blob)

    def clear(self) -> None:
        """Forgets everything (the ledger was written by someone else)."""
        with self._lock:
            self._generation += 1
            self._blobs.clear()


class _ChainView:
    """The state after a chain of uncommitted blocks: their account changes over the
    committed state (the same state as the chain's speculative state, without walking the
    state tree for every account read)."""

    __slots__ = ("base", "changes")

    def __init__(self, base: StateView, changes: dict[AccountAddress, bytes | None]) -> None:
        self.base = base
        self.changes = changes

    def get_account_blob(self, address: AccountAddress) -> bytes | None:
        changes = self.changes
        if address in changes:
            return changes[address]
        return self.base.get_account_blob(address)


@dataclasses.dataclass(frozen=True, slots=True)
class CommittedBlock:
    """What :meth:`ExecutionEngine.commit` reports for each block it wrote."""

    first_version: int
    transactions: tuple[TransactionToCommit, ...]


@dataclasses.dataclass(slots=True)
class _Computed:
    round: int
    state: SpeculativeState
    epoch_state: EpochState | None


class ExecutionEngine:
    """Consensus's ``StateComputer`` over a :class:`LedgerDB`.

    ``verified`` remembers the hashes of transactions whose signatures were checked (by the
    mempool on admission); a block whose payload is entirely known skips the signature checks
    in execution, any other block has all of its signatures checked. ``syncer`` catches the
    ledger up to a ledger info (state sync); ``on_commit`` is told of every committed block.
    All methods are called from one thread (the node's consensus thread); the verified-set
    is guarded for the mempool's threads."""

    def __init__(
        self,
        db: LedgerDB,
        *,
        syncer: Callable[[LedgerInfoWithV0], None] | None = None,
        on_commit: Callable[[Sequence[CommittedBlock], LedgerInfoWithSignatures], None]
        | None = None,
        verified_capacity: int = 1_000_000,
    ) -> None:
        self.db = db
        self.syncer = syncer
        self.on_commit = on_commit
        self._computed: dict[HashValue, _Computed] = {}
        self._verified: OrderedDict[HashValue, None] = OrderedDict()
        self._verified_capacity = verified_capacity
        self._lock = threading.Lock()
        self.view = CachedLedgerView(db)
        """The committed state (cached); what blocks on the committed ledger execute on."""
        self.blocks_computed = 0
        self.signature_checked_blocks = 0

    # -- signatures ------------------------------------------------------------------------------

    def mark_verified(self, txn_hash: HashValue) -> None:
        """Records that ``txn_hash``'s signature was verified (by mempool admission)."""
        with self._lock:
            v = self._verified
            v[txn_hash] = None
            if len(v) > self._verified_capacity:
                v.popitem(last=False)

    def _all_verified(self, payload: Sequence[SignedTransaction]) -> bool:
        with self._lock:
            v = self._verified
            return all(t.hash() in v for t in payload)

    # -- StateComputer ---------------------------------------------------------------------------

    def compute(self, block: Block, parent_block_id: HashValue) -> StateComputeResult:
        parent = self._computed.get(parent_block_id)
        spec_parent = parent.state if parent is not None and not parent.state.committed else None
        view: StateView = self.view if spec_parent is None else self._chain_view(spec_parent)
        txns = block_transactions(block)
        verified = self._all_verified(block.payload)
        if not verified:
            self.signature_checked_blocks += 1
        try:
            output = execute_block(view, txns, signatures_verified=verified)
        except (InvalidBlockError, FrameworkError) as e:
            raise StateComputerError(f"block {block.id.hex()[:12]} cannot be executed: {e}") from e
        try:
            state = self.db.speculate(spec_parent, to_commit(txns, output))
        except StorageError as e:
            raise StateComputerError(f"block {block.id.hex()[:12]}: {e}") from e
        self._computed[block.id] = _Computed(block.round, state, output.epoch_state)
        self.blocks_computed += 1
        version = state.version
        if version is None:  # pragma: no cover - a block always has its metadata transaction
            raise StateComputerError("an executed block left the ledger empty")
        return StateComputeResult(state.accumulator_root, version, output.epoch_state)

    def _chain_view(self, state: SpeculativeState) -> StateView:
        """What a block on the uncommitted ``state`` executes on: the account changes of the
        uncommitted chain over the cached committed state, when the chain starts right at the
        committed state (the usual case); else ``state`` itself (it reads the state tree)."""
        chain = state.chain()
        if not chain or chain[-1].base_state_version != self.db.state_version:
            return state
        changes: dict[AccountAddress, bytes | None] = {}
        for s in reversed(chain):
            for t in s.transactions:
                changes.update(t.account_updates)
        return _ChainView(self.view, changes)

    def commit(self, blocks: Sequence[Block], ledger_info: LedgerInfoWithV0) -> None:
        states = [c.state for b in blocks if (c := self._computed.get(b.id)) is not None]
        states = [s for s in states if not s.committed]
        done: list[CommittedBlock] = []
        try:
            if not states:
                # Only reconfiguration-suffix blocks: the ledger info certifies a version that
                # is already committed; record it.
                self.db.commit_block([], ledger_info)
            for i, s in enumerate(states):
                li = ledger_info if i == len(states) - 1 else None
                r = self.db.commit_block(s, li)
                self.view.committed(s.transactions)
                done.append(CommittedBlock(r.first_version, s.transactions))
        except WriteError:
            # The ledger could not write (a full disk): not a fault of the blocks, and not for
            # consensus to drop as it drops a bad message. It goes up as it is; the node stops.
            self.view.clear()
            raise
        except StorageError as e:
            self.view.clear()
            raise StateComputerError(f"commit failed: {e}") from e
        last_round = ledger_info.ledger_info.commit_info.round
        ends_epoch = ledger_info.ledger_info.ends_epoch()
        for bid in [k for k, c in self._computed.items() if c.round <= last_round or ends_epoch]:
            del self._computed[bid]
        if self.on_commit is not None:
            self.on_commit(done, ledger_info)

    def sync_to(self, ledger_info: LedgerInfoWithV0) -> None:
        self._computed.clear()
        self.view.clear()
        have = self.db.latest_version
        target = ledger_info.ledger_info.commit_info.version
        log.info("sync to version %d (have %s)", target, have)
        if have is not None and have >= target:
            return
        if self.syncer is None:
            raise StateComputerError(
                f"cannot sync to version {target}: this node has no state sync"
            )
        try:
            self.syncer(ledger_info)
        finally:
            self.view.clear()


class GenesisError(Exception):
    """The genesis transaction cannot start a ledger, or the ledger started from another."""


def genesis_ledger_info(
    db: LedgerDB, genesis: Transaction
) -> tuple[list[TransactionToCommit], LedgerInfoWithV0]:
    """Executes ``genesis`` on an empty state: its committed form and the genesis ledger info
    (version 0, epoch 0, round 0, naming epoch 1's validators). The ledger info is not signed:
    every node computes the same one from the same genesis transaction."""
    from libra.framework import DictStateView, epoch_state_of, root_config
    from libra.types import BlockInfo, LedgerInfo

    txns = [genesis]
    try:
        output = execute_block(DictStateView(), txns)
        epoch_state = epoch_state_of(root_config(DictStateView(output.changed)))
    except (InvalidBlockError, FrameworkError) as e:
        raise GenesisError(f"the genesis transaction does not execute: {e}") from e
    if not epoch_state.verifier.address_to_validator_info:
        raise GenesisError("the genesis transaction names no validators")
    block = to_commit(txns, output)
    acc_root, _ = db.speculative_roots(block)
    info = BlockInfo(0, 0, HashValue.zero(), acc_root, 0, 0, epoch_state)
    return block, LedgerInfoWithV0(LedgerInfo(info, HashValue.zero()), {})


def bootstrap(db: LedgerDB, genesis: Transaction) -> LedgerInfoWithV0:
    """Commits ``genesis`` to an empty ``db``, or checks that ``db`` started from it. Returns
    the genesis ledger info."""
    if db.num_transactions == 0:
        block, li = genesis_ledger_info(db, genesis)
        db.commit_block(block, li)
        return li
    if db.get_transaction(0) != genesis:
        raise GenesisError(f"the ledger in {db.path} was started from another genesis")
    lis = db.epoch_ending_ledger_infos()
    first = lis[0] if lis else None
    if not isinstance(first, LedgerInfoWithV0) or first.ledger_info.version != 0:
        raise GenesisError(f"the ledger in {db.path} has no genesis ledger info")
    return first
