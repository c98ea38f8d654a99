"""How consensus sees execution: a small interface, implemented by the execution engine (and by
the deterministic computer of the simulation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from libra.crypto import HashValue
from libra.types.consensus import Block, Payload
from libra.types.ledger import EpochState, LedgerInfoWithV0

__all__ = ["PayloadSource", "StateComputeResult", "StateComputer"]


@dataclass(frozen=True, slots=True)
class StateComputeResult:
    """The state after speculatively executing a block.

    ``executed_state_id`` is the root of the transaction accumulator after the block,
    ``version`` the ledger version of its last transaction, and ``epoch_state`` the next
    epoch's validators when the block changed them (a reconfiguration)."""

    executed_state_id: HashValue
    version: int
    epoch_state: EpochState | None = None


class StateComputer(Protocol):
    """Speculative execution, commit and catch-up."""

    def compute(self, block: Block, parent_block_id: HashValue) -> StateComputeResult:
        """Executes ``block`` on top of its parent: a block computed earlier and not pruned,
        or the last committed (or synced-to) block, including an epoch's genesis block."""
        ...

    def commit(self, blocks: Sequence[Block], ledger_info: LedgerInfoWithV0) -> None:
        """Makes the computed ``blocks`` (oldest first) durable with the quorum-signed ledger
        info naming the last of them."""
        ...

    def sync_to(self, ledger_info: LedgerInfoWithV0) -> None:
        """Brings the committed state to ``ledger_info`` (fetching it from peers); speculative
        results are dropped."""
        ...


class PayloadSource(Protocol):
    """Where a leader takes the transactions it proposes (the mempool)."""

    def pull(self, max_txns: int, exclude: frozenset[HashValue]) -> Payload:
        """Up to ``max_txns`` transactions whose hashes are not in ``exclude`` (those already
        in uncommitted blocks on the branch being extended)."""
        ...

    def notify_committed(self, payload: Payload) -> None:
        """The transactions of a committed block."""
        ...
