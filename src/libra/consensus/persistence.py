"""How the block tree outlives a restart: a small persistence interface (Diem's
``PersistentLivenessStorage``), implemented in memory here (the simulation) and on disk by the
node.

The block store saves every block it inserts and every quorum certificate it records (by the
id of the block it certifies), the highest timeout certificate, and deletes what a commit
prunes. At start the node reads the stored tree back (:meth:`BlockPersistence.load`) and
rebuilds the blocks that descend from the committed root (see ``RoundManager``'s recovery).
Unlike safety data, what is stored here only speeds recovery up: losing it never makes a
validator unsafe, only slower to rejoin.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from libra.crypto import HashValue
from libra.types.consensus import Block, QuorumCert, TwoChainTimeoutCertificate

__all__ = ["BlockPersistence", "MemoryBlockPersistence", "PersistedTree"]


@dataclass(frozen=True, slots=True)
class PersistedTree:
    """What a :class:`BlockPersistence` holds: blocks and quorum certs (oldest first) and the
    highest timeout cert."""

    blocks: tuple[Block, ...] = ()
    quorum_certs: tuple[QuorumCert, ...] = ()
    highest_timeout_cert: TwoChainTimeoutCertificate | None = None


class BlockPersistence(Protocol):
    """Durable storage for the block tree. A :meth:`save` may be held back (to ride in the
    next durable write of the safety data); :meth:`flush` makes every earlier save durable
    (the block store calls it before the ledger commits a block). The other calls are
    durable when they return."""

    def save(
        self,
        blocks: Sequence[Block] = (),
        quorum_certs: Sequence[QuorumCert] = (),
        timeout_cert: TwoChainTimeoutCertificate | None = None,
        delete: Sequence[HashValue] = (),
    ) -> None:
        """Deletes the blocks ``delete`` (and their certificates), then stores ``blocks``,
        ``quorum_certs`` and, when given, ``timeout_cert`` as the highest; all at once."""
        ...

    def reset(self, blocks: Sequence[Block], quorum_certs: Sequence[QuorumCert]) -> None:
        """Forgets everything stored, then stores ``blocks`` and ``quorum_certs``."""
        ...

    def flush(self) -> None:
        """Makes every earlier :meth:`save` durable."""
        ...

    def load(self) -> PersistedTree:
        """Everything stored."""
        ...


class MemoryBlockPersistence:
    """The block tree held in memory (simulations, where the object outlives a simulated
    crash)."""

    def __init__(self) -> None:
        self._blocks: dict[HashValue, Block] = {}
        self._qcs: dict[HashValue, QuorumCert] = {}
        self._tc: TwoChainTimeoutCertificate | None = None
        self.writes = 0

    def save(
        self,
        blocks: Sequence[Block] = (),
        quorum_certs: Sequence[QuorumCert] = (),
        timeout_cert: TwoChainTimeoutCertificate | None = None,
        delete: Sequence[HashValue] = (),
    ) -> None:
        for bid in delete:
            self._blocks.pop(bid, None)
            self._qcs.pop(bid, None)
        self._put(blocks, quorum_certs)
        if timeout_cert is not None:
            self._tc = timeout_cert
        self.writes += 1

    def reset(self, blocks: Sequence[Block], quorum_certs: Sequence[QuorumCert]) -> None:
        self._blocks.clear()
        self._qcs.clear()
        self._tc = None
        self._put(blocks, quorum_certs)
        self.writes += 1

    def flush(self) -> None:
        """Nothing is held back here."""

    def _put(self, blocks: Iterable[Block], quorum_certs: Iterable[QuorumCert]) -> None:
        for b in blocks:
            self._blocks[b.id] = b
        for qc in quorum_certs:
            self._qcs[qc.certified_block.id] = qc

    def load(self) -> PersistedTree:
        return PersistedTree(
            tuple(sorted(self._blocks.values(), key=lambda b: (b.epoch, b.round))),
            tuple(
                sorted(
                    self._qcs.values(),
                    key=lambda q: (q.certified_block.epoch, q.certified_block.round),
                )
            ),
            self._tc,
        )

    def __len__(self) -> int:
        return len(self._blocks)
