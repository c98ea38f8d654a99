"""State sync: a new or restarted validator catches up from its peers with verified chunks.

This package is sans-I/O. It defines the BCS messages, a server that answers a request from
its :class:`~libra.storage.LedgerDB`, and a client that drives the catching up through a
blocking ``fetch`` callable; the node runtime carries the messages over the validator network
(and chooses which peer to ask).

The protocol
------------

The requester says how many transactions it has (``known_version``), which epoch it is in
(``current_epoch``: the epoch whose validators it trusts) and, optionally, the ledger info it
wants to reach (``target``). The server answers with one chunk: consecutive transactions from
``known_version`` on, with their transaction infos and a range proof against a signed ledger
info the requester can check with the validators it already trusts:

- if the requester's epoch has ended in the server's ledger, the ledger info that ended it
  (the chunk stops at or before it, so the requester learns the next validator set from a
  ledger info its current validators signed);
- otherwise the requested target, if the server has committed it; otherwise the server's
  latest ledger info.

A chunk always ends at a block boundary (just before a ``BlockMetadata`` transaction, or at the
ledger info's version): the ledger is a sequence of blocks (version 0 is the genesis
transaction alone; every later block starts with its ``BlockMetadata``) and the state tree is
only updated, and transaction infos only carry state roots, at block ends. A chunk holds whole
blocks up to the requested limit, but at least one whole block whatever its size.

What the client checks
----------------------

For every response, before writing anything: the request id; the ledger info's epoch and a
quorum (2f+1 voting power) of valid signatures from the current epoch's validators; that the
ledger info neither lies behind the requester nor runs past the target (and agrees with the
target's accumulator root when at the target's version); the range proof of the transaction
infos against the ledger info, starting exactly at ``known_version``, and that each transaction
hashes to its info. Then it re-executes the chunk block by block exactly as the execution
engine does (:func:`libra.execution.execute_block` and
:func:`libra.execution.engine.to_commit`, chaining speculative states) and compares every
transaction info it computes with the proven one; a block that ends an epoch must be the
chunk's last, at the ledger info's version, and name the validators the ledger info names.
Only then are the blocks committed, the one ending at the ledger info's version together with
it. The target itself is verified against the validators of its epoch once the ledger reaches
that epoch. Any failure raises a :class:`StateSyncError` and leaves the ledger as it was before
the chunk; the caller may retry with another peer.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

from libra import bcs
from libra.crypto import HashValue
from libra.execution import InvalidBlockError, execute_block
from libra.execution.engine import LedgerStateView, to_commit
from libra.framework import StateView
from libra.framework.errors import FrameworkError
from libra.storage import LedgerDB, NotFoundError, SpeculativeState, StorageError
from libra.storage.proof import (
    TRANSACTION_ACCUMULATOR_HASHER,
    InMemoryAccumulator,
    ProofError,
    TransactionListWithProof,
    ledger_info_of,
    verify_ledger_info,
)
from libra.types import (
    BlockMetadataTransaction,
    EpochState,
    LedgerInfo,
    LedgerInfoWithSignatures,
    Transaction,
)
from libra.types.ledger import LedgerInfoWithV0

__all__ = [
    "DEFAULT_CHUNK_LIMIT",
    "DEFAULT_MAX_CHUNK",
    "BadResponseError",
    "ChunkResponse",
    "ErrorResponse",
    "InvalidTargetError",
    "MalformedMessageError",
    "RequestMsg",
    "ResponseMsg",
    "StateSyncClient",
    "StateSyncError",
    "StateSyncMsg",
    "StateSyncRequest",
    "StateSyncResponse",
    "StateSyncServer",
    "TargetUnavailable",
    "decode_msg",
    "encode_msg",
    "request_id_of",
    "split_blocks",
]

DEFAULT_MAX_CHUNK = 1_000
"""Most transactions a server puts in one chunk (unless a single block is larger)."""

DEFAULT_CHUNK_LIMIT = 1_000
"""Most transactions a client asks for in one request."""


# ---------------------------------------------------------------------------------------------
# Errors


class StateSyncError(Exception):
    """Base of the errors of state sync; the message says what went wrong."""


class MalformedMessageError(StateSyncError):
    """Bytes received are not a state sync message."""


class BadResponseError(StateSyncError):
    """A peer's response does not verify (wrong request id, bad signatures or proof, chunk not
    at a block boundary, re-execution disagrees with the proven transaction infos). Nothing
    of the chunk was committed; another peer may do better."""


class InvalidTargetError(StateSyncError):
    """The ledger info to sync to is not signed by a quorum of its epoch's validators, or
    contradicts the verified ledger."""


class TargetUnavailable(StateSyncError):
    """The peer answered that it cannot serve the request (it is behind, or knows nothing
    the requester's validators can verify)."""


# ---------------------------------------------------------------------------------------------
# Messages


@bcs.struct
class StateSyncRequest:
    """A request for the chunk after the requester's ledger."""

    request_id: bcs.U64
    """Chosen by the requester; echoed in the response."""
    known_version: bcs.U64
    """Number of transactions the requester has (the first version it wants)."""
    current_epoch: bcs.U64
    """The epoch whose validators the requester trusts."""
    limit: bcs.U64
    """Most transactions wanted (a single block larger than this is sent whole)."""
    target: LedgerInfoWithSignatures | None
    """The ledger info the requester is syncing to, if any."""


class StateSyncResponse(bcs.Enum):
    """A server's answer to a :class:`StateSyncRequest`."""

    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class ChunkResponse(StateSyncResponse):
    """Transactions from the requester's ``known_version`` on, proven against
    ``ledger_info``."""

    request_id: bcs.U64
    ledger_info: LedgerInfoWithSignatures
    txns: TransactionListWithProof


@bcs.variant(1)
@bcs.struct
class ErrorResponse(StateSyncResponse):
    """The server cannot serve the request."""

    request_id: bcs.U64
    message: str


class StateSyncMsg(bcs.Enum):
    """Everything sent on the state sync channel."""

    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class RequestMsg(StateSyncMsg):
    request: StateSyncRequest


@bcs.variant(1)
@bcs.struct
class ResponseMsg(StateSyncMsg):
    response: StateSyncResponse


def encode_msg(msg: StateSyncRequest | StateSyncResponse) -> bytes:
    """The BCS bytes of a request or response (wrapped in :class:`StateSyncMsg`)."""
    if isinstance(msg, StateSyncRequest):
        return bcs.encode(RequestMsg(msg))
    return bcs.encode(ResponseMsg(msg))


def decode_msg(data: bytes) -> StateSyncRequest | StateSyncResponse:
    """A request or response from its bytes; raises :class:`MalformedMessageError` if the
    bytes are not a canonical state sync message."""
    try:
        msg = bcs.decode(StateSyncMsg, bytes(data))
    except (ValueError, TypeError) as e:  # bcs.DecodeError, or a field's own validation
        raise MalformedMessageError(f"malformed state sync message: {e}") from None
    if isinstance(msg, RequestMsg):
        return msg.request
    assert isinstance(msg, ResponseMsg)
    return msg.response


def request_id_of(msg: StateSyncRequest | StateSyncResponse) -> int:
    """The request id a message carries (a response carries its request's)."""
    if isinstance(msg, StateSyncRequest | ChunkResponse | ErrorResponse):
        return int(msg.request_id)
    raise TypeError(f"not a state sync message: {type(msg).__name__}")


# ---------------------------------------------------------------------------------------------
# Blocks


def split_blocks(transactions: Sequence[Transaction]) -> list[list[Transaction]]:
    """Splits consecutive ledger transactions that start at a block boundary into blocks:
    each block starts with a ``BlockMetadata`` transaction, except that anything before the
    first ``BlockMetadata`` (the genesis transaction) is a block of its own."""
    blocks: list[list[Transaction]] = []
    for t in transactions:
        if not blocks or isinstance(t, BlockMetadataTransaction):
            blocks.append([t])
        else:
            blocks[-1].append(t)
    return blocks


def _accumulator_root_at(db: LedgerDB, num_leaves: int) -> HashValue:
    frozen = db.get_frozen_subtree_hashes(num_leaves)
    return InMemoryAccumulator(TRANSACTION_ACCUMULATOR_HASHER, frozen, num_leaves).root_hash


# ---------------------------------------------------------------------------------------------
# Server


class StateSyncServer:
    """Answers state sync requests from a ledger database. :meth:`handle` never raises: any
    request it cannot serve gets an :class:`ErrorResponse`. Safe to call from several threads
    (it only reads the database)."""

    def __init__(self, db: LedgerDB, max_chunk: int = DEFAULT_MAX_CHUNK) -> None:
        if max_chunk < 1:
            raise ValueError(f"max_chunk must be positive, not {max_chunk}")
        self.db = db
        self.max_chunk = max_chunk
        self.chunks_served = 0
        self.errors_served = 0

    def handle(self, req: StateSyncRequest) -> StateSyncResponse:
        """The response to ``req``."""
        try:
            li = self._choose_ledger_info(req)
            info = ledger_info_of(li)
            n = req.known_version
            if info.version + 1 < n:
                return self._error(
                    req,
                    f"this server's ledger info is at version {info.version}, "
                    f"the requester already has {n} transactions",
                )
            if info.version + 1 == n and not info.ends_epoch():
                return self._error(req, f"no transactions after version {n - 1} to serve")
            end = self._chunk_end(n, info.version, max(1, min(req.limit, self.max_chunk)))
            txns = self.db.get_transactions_with_proof(n, end - n, info.version, False)
        except _Refusal as e:
            return self._error(req, str(e))
        except (StorageError, ProofError) as e:
            return self._error(req, f"cannot serve: {e}")
        self.chunks_served += 1
        return ChunkResponse(req.request_id, li, txns)

    def _error(self, req: StateSyncRequest, message: str) -> ErrorResponse:
        self.errors_served += 1
        return ErrorResponse(req.request_id, message)

    def _choose_ledger_info(self, req: StateSyncRequest) -> LedgerInfoWithSignatures:
        db = self.db
        n = req.known_version
        epoch = req.current_epoch
        target = req.target
        if target is not None and self._has(target, epoch, n):
            return target
        try:
            ending = db.get_epoch_ending_ledger_info(epoch)
        except NotFoundError:
            ending = None
        if ending is not None:
            v = ledger_info_of(ending).version
            if v + 1 < n:
                raise _Refusal(
                    f"epoch {epoch} ended at version {v}, but the requester has {n} "
                    "transactions and still claims that epoch"
                )
            return ending
        latest = db.latest_ledger_info()
        if latest is None:
            raise _Refusal("this server's ledger is empty")
        latest_epoch = ledger_info_of(latest).epoch
        if latest_epoch != epoch:
            raise _Refusal(
                f"this server is in epoch {latest_epoch} and cannot prove anything in epoch {epoch}"
            )
        return latest

    def _has(self, target: LedgerInfoWithSignatures, epoch: int, n: int) -> bool:
        """Whether ``target`` is in ``epoch``, is after the requester's ``n`` transactions and
        certifies this server's committed ledger."""
        try:
            info = ledger_info_of(target)
        except ProofError:  # pragma: no cover - LedgerInfoWithV0 is the only variant
            return False
        latest = self.db.latest_version
        if info.epoch != epoch or latest is None or not n <= info.version <= latest:
            return False
        root = _accumulator_root_at(self.db, info.version + 1)
        return root == info.transaction_accumulator_hash

    def _is_block_start(self, version: int) -> bool:
        return isinstance(self.db.get_transaction(version), BlockMetadataTransaction)

    def _chunk_end(self, start: int, last: int, cap: int) -> int:
        """The (exclusive) end of the chunk from ``start``: at most ``cap`` transactions, at a
        block boundary, not past version ``last``, and at least one whole block."""
        end = min(start + cap, last + 1)
        if end > last or end <= start or self._is_block_start(end):
            return end
        # ``end`` falls inside a block: stop before that block if the chunk keeps a block ...
        e = end - 1
        while e > start and not self._is_block_start(e):
            e -= 1
        if e > start:
            return e
        # ... else the first block is larger than the cap: send all of it.
        e = end + 1
        while e <= last and not self._is_block_start(e):
            e += 1
        return e


class _Refusal(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Client


def _bad(message: str) -> BadResponseError:
    return BadResponseError(message)


class StateSyncClient:
    """Catches a ledger database up to a signed ledger info.

    ``fetch`` sends a request to some peer and returns its response (blocking); it may raise
    :class:`StateSyncError` itself (no peer, timeout). A response that does not verify, an
    :class:`ErrorResponse` or a failed ``fetch`` costs one of ``attempts`` consecutive tries
    (each with a new request, which the runtime may send to another peer); when they are used
    up :meth:`sync_to` raises the last :class:`StateSyncError`. Nothing of a refused chunk is
    committed; the blocks of the chunks verified before stay committed, so calling
    :meth:`sync_to` again resumes. ``limit``: transactions asked for per request."""

    def __init__(
        self,
        db: LedgerDB,
        fetch: Callable[[StateSyncRequest], StateSyncResponse],
        *,
        limit: int = DEFAULT_CHUNK_LIMIT,
        attempts: int = 1,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be positive, not {limit}")
        if attempts < 1:
            raise ValueError(f"attempts must be positive, not {attempts}")
        self.db = db
        self.fetch = fetch
        self.limit = limit
        self.attempts = attempts
        self.failures = 0
        """Bad or failed responses seen (over the client's life)."""
        self._next_id = secrets.randbits(48)
        self.chunks_applied = 0
        self.transactions_applied = 0

    # -- the trusted state -----------------------------------------------------------------------

    def epoch_state(self) -> EpochState:
        """The validators of the ledger's current epoch (named by the latest epoch-ending
        ledger info)."""
        latest = self.db.latest_ledger_info()
        if latest is None:
            raise StateSyncError("the ledger has no ledger info: bootstrap it from genesis first")
        info = ledger_info_of(latest)
        nxt = info.commit_info.next_epoch_state
        if nxt is not None:
            return nxt
        return self._epoch_state_of(info.epoch)

    def _epoch_state_of(self, epoch: int) -> EpochState:
        """The validators of ``epoch`` (a past or the current epoch)."""
        try:
            prev = self.db.get_epoch_ending_ledger_info(epoch - 1) if epoch > 0 else None
        except NotFoundError:
            prev = None
        nxt = ledger_info_of(prev).commit_info.next_epoch_state if prev is not None else None
        if nxt is None or nxt.epoch != epoch:
            raise StateSyncError(f"the ledger does not know the validators of epoch {epoch}")
        return nxt

    # -- syncing ---------------------------------------------------------------------------------

    def _request_id(self) -> int:
        self._next_id = (self._next_id + 1) % (1 << 64)
        return self._next_id

    def sync_to(self, target: LedgerInfoWithV0) -> None:
        """Fetches, verifies and commits chunks until the ledger reaches ``target``'s version;
        ends with ``target`` as the latest ledger info when it was not there already. Returns
        at once if the ledger is already past the target."""
        goal = ledger_info_of(target)
        if self.db.num_transactions - 1 > goal.version:
            return
        target_ok = False
        failed = 0
        while True:
            n = self.db.num_transactions
            current = self.epoch_state()
            if not target_ok and current.epoch >= goal.epoch:
                self._verify_target(target, goal, current)
                target_ok = True
            if n - 1 >= goal.version:
                break
            if current.epoch > goal.epoch:
                raise InvalidTargetError(
                    f"the target is at version {goal.version} in epoch {goal.epoch}, but that "
                    f"epoch ended before version {n}"
                )
            req = StateSyncRequest(self._request_id(), n, current.epoch, self.limit, target)
            try:
                self._apply(req, self.fetch(req), current, goal)
            except StateSyncError:
                self.failures += 1
                failed += 1
                if failed >= self.attempts:
                    raise
                continue
            failed = 0
        if n - 1 == goal.version:
            if self.db.accumulator_root != goal.transaction_accumulator_hash:
                raise InvalidTargetError(
                    f"the ledger at version {goal.version} has accumulator root "
                    f"{self.db.accumulator_root.hex()}, the target signs "
                    f"{goal.transaction_accumulator_hash.hex()}"
                )
            latest = self.db.latest_ledger_info()
            if latest is None or ledger_info_of(latest).version != goal.version:
                self.db.commit_block([], target)

    def _verify_target(
        self, target: LedgerInfoWithV0, goal: LedgerInfo, current: EpochState
    ) -> None:
        if goal.epoch == 0 and goal.version == 0:
            # The genesis ledger info is not signed: every node computes it from genesis.
            first = self.db.get_epoch_ending_ledger_info(0)
            if ledger_info_of(first) != goal:
                raise InvalidTargetError("the target is not this ledger's genesis ledger info")
            return
        try:
            es = current if goal.epoch == current.epoch else self._epoch_state_of(goal.epoch)
            verify_ledger_info(target, es)
        except (ProofError, StateSyncError) as e:
            raise InvalidTargetError(f"the target ledger info does not verify: {e}") from None

    def _apply(
        self,
        req: StateSyncRequest,
        resp: StateSyncResponse,
        current: EpochState,
        goal: LedgerInfo,
    ) -> None:
        n = req.known_version
        if not isinstance(resp, ChunkResponse | ErrorResponse):
            raise _bad(f"expected a state sync response, got {type(resp).__name__}")
        if resp.request_id != req.request_id:
            raise _bad(f"response to request {resp.request_id}, expected {req.request_id}")
        if isinstance(resp, ErrorResponse):
            raise TargetUnavailable(f"the peer cannot serve version {n}: {resp.message}")
        li = resp.ledger_info
        try:
            info = verify_ledger_info(li, current)
        except ProofError as e:
            raise _bad(f"ledger info: {e}") from None
        if info.version + 1 < n:
            raise _bad(
                f"ledger info is at version {info.version}, we already have {n} transactions"
            )
        if info.version > goal.version:
            raise _bad(
                f"ledger info is at version {info.version}, past the target's {goal.version}"
            )
        if (
            info.version == goal.version
            and info.transaction_accumulator_hash != goal.transaction_accumulator_hash
        ):
            raise _bad(
                f"ledger info at version {info.version} contradicts the target's accumulator root"
            )
        chunk = resp.txns
        if not chunk.transactions:
            self._apply_empty(chunk, li, info, n)
            return
        try:
            chunk.verify(info, n)
        except ProofError as e:
            raise _bad(f"transaction list: {e}") from None
        states = self._reexecute(chunk, info, n)
        for s in states:
            self.db.commit_block(s, li if s.version == info.version else None)
        self.chunks_applied += 1
        self.transactions_applied += len(chunk.transactions)

    def _apply_empty(
        self,
        chunk: TransactionListWithProof,
        li: LedgerInfoWithSignatures,
        info: LedgerInfo,
        n: int,
    ) -> None:
        """An empty chunk only brings the ledger info that ends the epoch at our last version."""
        try:
            chunk.verify(info, None)
        except ProofError as e:
            raise _bad(f"transaction list: {e}") from None
        if info.version + 1 != n or not info.ends_epoch():
            raise _bad(f"empty chunk at version {n} makes no progress")
        if info.transaction_accumulator_hash != self.db.accumulator_root:
            raise _bad("the epoch-ending ledger info does not certify our ledger")
        self.db.commit_block([], li)
        self.chunks_applied += 1

    def _reexecute(
        self, chunk: TransactionListWithProof, info: LedgerInfo, n: int
    ) -> list[SpeculativeState]:
        """Re-executes the chunk's blocks on speculative states chained over the ledger and
        checks every transaction info against the proven one. Writes nothing."""
        txns = chunk.transactions
        proven = chunk.proof.transaction_infos
        if not isinstance(txns[0], BlockMetadataTransaction):
            raise _bad(f"the chunk does not start a block at version {n}")
        blocks = split_blocks(txns)
        states: list[SpeculativeState] = []
        parent: SpeculativeState | None = None
        offset = 0
        for i, block in enumerate(blocks):
            first = n + offset
            view: StateView = parent if parent is not None else LedgerStateView(self.db)
            try:
                output = execute_block(view, block, signatures_verified=True)
            except (InvalidBlockError, FrameworkError) as e:
                raise _bad(f"the block at version {first} cannot be executed: {e}") from None
            kept = sum(1 for o in output.outputs if o.is_kept)
            if kept != len(block):
                raise _bad(
                    f"re-executing the block at version {first} keeps {kept} of its "
                    f"{len(block)} committed transactions"
                )
            try:
                state = self.db.speculate(parent, to_commit(block, output))
            except StorageError as e:
                raise _bad(f"the block at version {first}: {e}") from None
            for j, mine in enumerate(state.infos):
                if mine.hash() != proven[offset + j].hash():
                    raise _bad(
                        f"re-executing version {first + j} gives a transaction info that "
                        "differs from the proven one"
                    )
            last_version = first + len(block) - 1
            if output.epoch_state is not None:
                if i != len(blocks) - 1 or last_version != info.version:
                    raise _bad(
                        f"the block ending at version {last_version} ends the epoch, but the "
                        f"ledger info is at version {info.version}"
                    )
                if info.commit_info.next_epoch_state != output.epoch_state:
                    raise _bad("the epoch-ending ledger info names other validators than the block")
            elif last_version == info.version and info.ends_epoch():
                raise _bad(
                    f"the ledger info ends the epoch at version {info.version}, but the block "
                    "there does not"
                )
            states.append(state)
            parent = state
            offset += len(block)
        return states
