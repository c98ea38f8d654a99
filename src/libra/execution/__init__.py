"""Running blocks through the framework.

:func:`execute_block` applies a block's transactions in order over a per-block overlay of
decoded accounts, and encodes each changed account once at the end. It is deterministic:
the same block on the same state gives the same outputs. Signature checking is separate
(``signatures_verified``) so execution can be measured on its own.

:func:`validate_transaction` is the mempool's admission check (the prologue only).
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Sequence

from libra.framework import (
    BlockError,
    BlockState,
    Ctx,
    Discard,
    PrologueError,
    Retry,
    StateView,
    StatusCode,
    TransactionOutput,
    epoch_state_of,
    prologue,
)
from libra.framework.account import Account
from libra.framework.errors import FrameworkError, StateError
from libra.framework.transaction import EXECUTED, apply_block_metadata, apply_user_transaction
from libra.types import (
    DIEM_ROOT_ADDRESS,
    AccountAddress,
    BlockMetadataTransaction,
    EpochState,
    GenesisTransaction,
    SignedTransaction,
    Transaction,
    UserTransaction,
    WriteOpValue,
    WriteSetDirect,
)

__all__ = [
    "BlockOutput",
    "ExecutionError",
    "InvalidBlockError",
    "TransactionOutput",
    "committed",
    "execute_block",
    "validate_transaction",
]


class ExecutionError(Exception):
    """Base of the errors of this package."""


class InvalidBlockError(ExecutionError):
    """The block cannot be executed at all (bad block metadata, misplaced genesis); it must
    not be voted for. ``index`` is the offending transaction."""

    def __init__(self, index: int, reason: str) -> None:
        self.index = index
        self.reason = reason
        super().__init__(f"transaction {index}: {reason}")


@dataclasses.dataclass(frozen=True, slots=True)
class BlockOutput:
    """The outputs of a block, one per transaction, and the account blobs to commit."""

    outputs: tuple[TransactionOutput, ...]
    changed: dict[AccountAddress, bytes]
    """Every account changed by the block's kept transactions, in address order."""
    epoch_state: EpochState | None
    """The next epoch's validators when the block ended an epoch."""


def committed(
    transactions: Sequence[Transaction], output: BlockOutput
) -> list[tuple[Transaction, TransactionOutput]]:
    """The transactions that go to the ledger (kept ones), with their outputs."""
    return [(t, o) for t, o in zip(transactions, output.outputs, strict=True) if o.is_kept]


def _apply_genesis(block: BlockState, index: int, txn: GenesisTransaction) -> TransactionOutput:
    if block.get(DIEM_ROOT_ADDRESS) is not None:
        raise InvalidBlockError(index, "genesis on a state that already has one")
    payload = txn.value
    if not isinstance(payload, WriteSetDirect):
        raise InvalidBlockError(index, "genesis must be a direct write set")
    written = []
    for path, op in payload.change_set.write_set.write_set:
        if not isinstance(op, WriteOpValue):
            raise InvalidBlockError(index, "genesis may only write values")
        try:
            block.accounts[path.address] = Account.decode(path.address, op.value)
        except StateError as e:
            raise InvalidBlockError(index, str(e)) from e
        block.dirty.add(path.address)
        written.append(path.address)
    return TransactionOutput(EXECUTED, 0, payload.change_set.events, tuple(written))


def execute_block(
    view: StateView,
    transactions: Sequence[Transaction],
    *,
    signatures_verified: bool = True,
    per_transaction_blobs: bool = False,
) -> BlockOutput:
    """Executes ``transactions`` in order on ``view``.

    Discarded transactions change nothing. After a transaction that starts a new epoch the
    rest of the block is marked :class:`Retry`. With ``per_transaction_blobs`` each kept
    output also carries the blobs of the accounts it changed, as they were right after it
    (slower: accounts are encoded after every transaction).

    The cyclic garbage collector is paused while the block runs: execution creates many
    short-lived acyclic objects, and full collections over a large heap otherwise cost more
    than the execution itself."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _execute_block(view, transactions, signatures_verified, per_transaction_blobs)
    finally:
        if was_enabled:
            gc.enable()


def _execute_block(
    view: StateView,
    transactions: Sequence[Transaction],
    signatures_verified: bool,
    per_transaction_blobs: bool,
) -> BlockOutput:
    block = BlockState(view)
    root = block.get(DIEM_ROOT_ADDRESS)
    now = 0
    start_epoch = -1
    if root is not None:
        cfg = root.details.root
        if cfg is None:
            raise StateError("Diem Root holds no configuration")
        now = cfg.timestamp_usecs
        start_epoch = cfg.epoch
    ctx = Ctx(block, now)
    outputs: list[TransactionOutput] = []
    dirty = block.dirty
    new_epoch: EpochState | None = None
    append = outputs.append
    for i, txn in enumerate(transactions):
        if new_epoch is not None:
            append(TransactionOutput(Retry(), 0, (), ()))
            continue
        tp = type(txn)
        try:
            if isinstance(txn, UserTransaction):
                out = apply_user_transaction(ctx, txn.value, signature_verified=signatures_verified)
            elif isinstance(txn, BlockMetadataTransaction):
                out = apply_block_metadata(ctx, txn.value)
            elif isinstance(txn, GenesisTransaction):
                out = _apply_genesis(block, i, txn)
                cfg = block.get(DIEM_ROOT_ADDRESS).details.root  # type: ignore[union-attr]
                if cfg is not None:
                    ctx.now_usecs = cfg.timestamp_usecs
                    start_epoch = cfg.epoch
            else:
                raise InvalidBlockError(i, f"unknown transaction kind {tp.__name__}")
        except BlockError as e:
            raise InvalidBlockError(i, str(e)) from e
        if type(out.status) is Discard:
            append(out)
            continue
        written = out.written
        dirty.update(written)
        if per_transaction_blobs:
            out = dataclasses.replace(out, blobs=block.changed_blobs(written))
        append(out)
        if DIEM_ROOT_ADDRESS in written and tp is not GenesisTransaction:
            cfg = ctx.root()
            if cfg.epoch != start_epoch:
                new_epoch = epoch_state_of(cfg)
    return BlockOutput(tuple(outputs), block.changed_blobs(), new_epoch)


def validate_transaction(
    view: StateView,
    signed: SignedTransaction,
    now_secs: int,
    *,
    signature_verified: bool = False,
) -> StatusCode | None:
    """The mempool's check: None when ``signed`` may enter the mempool, else the status it is
    rejected with. A sequence number ahead of the account's is accepted (it will wait)."""
    try:
        prologue(
            BlockState(view),
            signed,
            now_secs,
            signature_verified=signature_verified,
            validation=True,
        )
    except PrologueError as e:
        return e.status
    except FrameworkError:
        return StatusCode.UNKNOWN_VALIDATION_STATUS
    return None
