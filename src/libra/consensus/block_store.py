"""The block tree: executed, uncommitted blocks above the last committed one (the root), the
certificates seen, and the commit of a branch when a quorum cert carries a 2-chain commit.

With a :class:`~libra.consensus.persistence.BlockPersistence`, the tree is mirrored to durable
storage: each inserted block, each new quorum cert and each higher timeout cert is saved as it
arrives, and the blocks a commit prunes are deleted (with the next write)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from libra.consensus.errors import ExecutionMismatch, MissingBlock
from libra.consensus.persistence import BlockPersistence
from libra.consensus.state_computer import StateComputer
from libra.crypto import HashValue
from libra.types.consensus import (
    Block,
    QuorumCert,
    SyncInfo,
    TwoChainTimeoutCertificate,
)
from libra.types.ledger import BlockInfo, EpochState, LedgerInfoWithV0

__all__ = ["BlockStore", "CommitOutcome", "ExecutedBlock"]


@dataclass(frozen=True, slots=True)
class ExecutedBlock:
    """A block with the block info its execution produced."""

    block: Block
    info: BlockInfo

    @property
    def id(self) -> HashValue:
        return self.info.id

    @property
    def round(self) -> int:
        return self.info.round


@dataclass(frozen=True, slots=True)
class CommitOutcome:
    """Blocks committed (oldest first) with the quorum-signed ledger info naming the last."""

    blocks: tuple[ExecutedBlock, ...]
    ledger_info: LedgerInfoWithV0


class BlockStore:
    """Blocks by id from the root up, with the highest quorum, commit and timeout certs.

    ``persistence`` (optional) mirrors the tree to durable storage; a new tree replaces what it
    holds with the root, unless ``restoring`` (the tree is being rebuilt from what it holds:
    see :meth:`finish_restore`)."""

    def __init__(
        self,
        root: ExecutedBlock,
        root_qc: QuorumCert,
        commit_cert: QuorumCert,
        computer: StateComputer,
        retained: int = 64,
        persistence: BlockPersistence | None = None,
        restoring: bool = False,
    ) -> None:
        self.computer = computer
        self.persistence = persistence
        self._restoring = restoring
        self._pending_delete: set[HashValue] = set()
        self._carried: set[HashValue] = set()
        """Ids of the blocks certified by a certificate that a saved block carries."""
        self._blocks: dict[HashValue, ExecutedBlock] = {}
        self._qcs: dict[HashValue, QuorumCert] = {}
        self._retained: deque[ExecutedBlock] = deque(maxlen=retained)
        self._retained_by_id: dict[HashValue, ExecutedBlock] = {}
        self.highest_tc: TwoChainTimeoutCertificate | None = None
        self._reset(root, root_qc, commit_cert)
        if not restoring:
            self._persist_root()

    def _reset(self, root: ExecutedBlock, root_qc: QuorumCert, commit_cert: QuorumCert) -> None:
        if root_qc.certified_block.id != root.id:
            raise MissingBlock(root_qc.certified_block.id, "root quorum cert's block")
        self.root = root
        self._blocks = {root.id: root}
        self._qcs = {root.id: root_qc}
        self.highest_qc = root_qc
        self.highest_commit_cert = commit_cert
        if self.highest_tc is not None and self.highest_tc.round < root.round:
            self.highest_tc = None

    def reset(self, root: ExecutedBlock, root_qc: QuorumCert, commit_cert: QuorumCert) -> None:
        """Restarts the tree at a new root (after syncing the committed state to it)."""
        self._remember(self.root)
        self._reset(root, root_qc, commit_cert)
        self._restoring = False
        self._persist_root()

    # -- persistence -------------------------------------------------------------------------

    def _root_certs(self) -> list[QuorumCert]:
        root_qc = self._qcs[self.root.id]
        cc = self.highest_commit_cert
        return [root_qc] if cc is root_qc else [root_qc, cc]

    def _persist_root(self) -> None:
        self._pending_delete.clear()
        self._carried.clear()
        if self.persistence is not None:
            self.persistence.reset([self.root.block], self._root_certs())

    def _save(
        self,
        blocks: tuple[Block, ...] = (),
        qcs: tuple[QuorumCert, ...] = (),
        tc: TwoChainTimeoutCertificate | None = None,
    ) -> None:
        if self.persistence is None or self._restoring:
            return
        delete = tuple(self._pending_delete)
        self.persistence.save(blocks, qcs, tc, delete)
        self._pending_delete.clear()
        self._carried.update(b.parent_id for b in blocks)

    def finish_restore(self, stored_ids: frozenset[HashValue]) -> None:
        """Ends a rebuild from the persisted tree: deletes what was stored but is not in the
        tree now (``stored_ids``: the ids of the stored blocks and certified blocks), and saves
        the root with its certificates, the highest certificates and the timeout cert."""
        self._restoring = False
        if self.persistence is None:
            return
        stale = (stored_ids | self._pending_delete) - self._blocks.keys()
        qcs = {id(q): q for q in (*self._root_certs(), self.highest_qc)}
        self.persistence.save(
            (self.root.block,), tuple(qcs.values()), self.highest_tc, tuple(stale)
        )
        self._pending_delete.clear()
        self._carried = {b.block.parent_id for b in self._blocks.values() if b is not self.root}

    # -- queries -----------------------------------------------------------------------------

    def get(self, block_id: HashValue) -> ExecutedBlock | None:
        return self._blocks.get(block_id)

    def __contains__(self, block_id: object) -> bool:
        return block_id in self._blocks

    def __len__(self) -> int:
        return len(self._blocks)

    def lookup_for_retrieval(self, block_id: HashValue) -> ExecutedBlock | None:
        """A block in the tree or among the recently committed ones (served to peers)."""
        return self._blocks.get(block_id) or self._retained_by_id.get(block_id)

    def qc_for(self, block_id: HashValue) -> QuorumCert | None:
        return self._qcs.get(block_id)

    def path_from_root(self, block_id: HashValue) -> list[ExecutedBlock] | None:
        """Blocks after the root up to ``block_id`` (oldest first), or None if not linked."""
        path: list[ExecutedBlock] = []
        current = self._blocks.get(block_id)
        while current is not None and current.id != self.root.id:
            path.append(current)
            current = self._blocks.get(current.block.parent_id)
        if current is None:
            return None
        path.reverse()
        return path

    def ancestors(self, block_id: HashValue) -> Iterator[ExecutedBlock]:
        """``block_id`` and its uncommitted ancestors, newest first."""
        current = self._blocks.get(block_id)
        while current is not None and current.id != self.root.id:
            yield current
            current = self._blocks.get(current.block.parent_id)

    def sync_info(self) -> SyncInfo:
        return SyncInfo(self.highest_qc, self.highest_commit_cert, None, self.highest_tc)

    # -- insertion ---------------------------------------------------------------------------

    def insert_block(self, block: Block) -> ExecutedBlock:
        """Executes ``block`` on its parent (which must be in the tree) and adds it."""
        existing = self._blocks.get(block.id)
        if existing is not None:
            return existing
        parent = self._blocks.get(block.parent_id)
        if parent is None:
            raise MissingBlock(block.parent_id, "parent block")
        pinfo = parent.info
        nes: EpochState | None
        if pinfo.next_epoch_state is not None:
            # A reconfiguration suffix: no execution, the state stays the reconfiguration's.
            state_id, version, nes = pinfo.executed_state_id, pinfo.version, pinfo.next_epoch_state
        else:
            result = self.computer.compute(block, parent.id)
            state_id, version, nes = result.executed_state_id, result.version, result.epoch_state
        info = BlockInfo(
            block.epoch, block.round, block.id, state_id, version, block.timestamp_usecs, nes
        )
        executed = ExecutedBlock(block, info)
        self._blocks[block.id] = executed
        self._save(blocks=(block,))
        return executed

    def insert_executed(self, executed: ExecutedBlock) -> None:
        """Adds a block whose execution result is already known (after a fast-forward sync)."""
        if executed.block.parent_id not in self._blocks:
            raise MissingBlock(executed.block.parent_id, "parent block")
        self._blocks[executed.id] = executed
        self._save(blocks=(executed.block,))

    def insert_timeout_cert(self, tc: TwoChainTimeoutCertificate) -> None:
        if self.highest_tc is None or tc.round > self.highest_tc.round:
            self.highest_tc = tc
            self._save(tc=tc)

    def insert_quorum_cert(self, qc: QuorumCert) -> CommitOutcome | None:
        """Records ``qc`` (its block must be in the tree); commits if it carries a commit
        above the root. The certified block's execution must agree with the certificate."""
        certified = qc.certified_block
        executed = self._blocks.get(certified.id)
        if executed is None:
            raise MissingBlock(certified.id, "certified block")
        if executed.info != certified:
            raise ExecutionMismatch(
                certified.id, certified.executed_state_id, executed.info.executed_state_id
            )
        if certified.id not in self._qcs:
            self._qcs[certified.id] = qc
            if certified.id not in self._carried:
                self._save(qcs=(qc,))
        if certified.round > self.highest_qc.certified_block.round:
            self.highest_qc = qc
        if not qc.commits() or qc.commit_info.round <= self.root.round:
            return None
        return self._commit(qc)

    def _commit(self, qc: QuorumCert) -> CommitOutcome:
        target = qc.commit_info
        path = self.path_from_root(target.id)
        if path is None:
            raise MissingBlock(target.id, "block to commit")
        if path[-1].info != target:
            raise ExecutionMismatch(
                target.id, target.executed_state_id, path[-1].info.executed_state_id
            )
        li = qc.ledger_info
        if self.persistence is not None and not self._restoring:
            # The stored tree must hold the new root and its certificates before the ledger
            # commits it, or a restart could not rebuild the tree from the store.
            self.persistence.flush()
        self.computer.commit([b.block for b in path], li)
        new_root = path[-1]
        self._remember(self.root)
        for b in path[:-1]:
            self._remember(b)
        self.root = new_root
        self._prune()
        if qc.commit_info.round > self.highest_commit_cert.commit_info.round:
            self.highest_commit_cert = qc
        return CommitOutcome(tuple(path), li)

    def _remember(self, executed: ExecutedBlock) -> None:
        if self._retained.maxlen == len(self._retained):
            old = self._retained[0]
            self._retained_by_id.pop(old.id, None)
        self._retained.append(executed)
        self._retained_by_id[executed.id] = executed

    def _prune(self) -> None:
        """Keeps only the root and its descendants."""
        keep: dict[HashValue, ExecutedBlock] = {self.root.id: self.root}
        pending = sorted(self._blocks.values(), key=lambda b: b.round)
        for b in pending:
            if b.round > self.root.round and b.block.parent_id in keep:
                keep[b.id] = b
        self._pending_delete.update(k for k in self._blocks if k not in keep)
        self._pending_delete.update(k for k in self._qcs if k not in keep)
        self._carried.intersection_update(keep)
        self._blocks = keep
        self._qcs = {k: v for k, v in self._qcs.items() if k in keep}
