"""Proofs of the ledger and their verifiers, as Diem defines them.

Everything here is a pure function of its inputs, so a client that trusts nothing but a validator
set (or a waypoint) can check every answer of a node with this module alone.

Layouts follow Diem 1.x: every proof is a BCS struct with Diem's field order; accumulator and
sparse Merkle siblings are listed from the bottom level up to the root.

- Accumulator internal node: ``hasher.digest2(left, right)`` with the ``TransactionAccumulator``
  or ``EventAccumulator`` hasher; empty subtrees hash to ``ACCUMULATOR_PLACEHOLDER_HASH``.
- Sparse Merkle leaf: ``SparseMerkleLeafNode`` hasher over ``key || value_hash``; internal node:
  ``SparseMerkleInternal`` hasher over ``left || right``; empty subtrees hash to
  ``SPARSE_MERKLE_PLACEHOLDER_HASH``; a subtree holding a single leaf hashes to that leaf.
- The state tree key of an account is ``AccountAddress`` hasher over the 16 address bytes, and the
  value hash of an account blob is the ``AccountStateBlob`` hasher over the blob bytes.

Every failure raises :class:`ProofError` (a ``ValueError``) saying what did not match.
"""

from __future__ import annotations

from collections.abc import Sequence

from libra import bcs
from libra.crypto import (
    ACCUMULATOR_PLACEHOLDER_HASH,
    SPARSE_MERKLE_PLACEHOLDER_HASH,
    CryptoHasher,
    HashValue,
)
from libra.types import (
    AccountAddress,
    ContractEvent,
    ContractEventV0,
    EpochState,
    EventKey,
    LedgerInfo,
    LedgerInfoWithSignatures,
    LedgerInfoWithV0,
    Transaction,
    TransactionInfo,
    VerifyError,
)

__all__ = [
    "EVENT_ACCUMULATOR_HASHER",
    "MAX_ACCUMULATOR_LEAVES",
    "MAX_ACCUMULATOR_PROOF_DEPTH",
    "SPARSE_MERKLE_INTERNAL_HASHER",
    "SPARSE_MERKLE_LEAF_HASHER",
    "TRANSACTION_ACCUMULATOR_HASHER",
    "AccountStateBlob",
    "AccountStateProof",
    "AccountStateWithProof",
    "AccumulatorConsistencyProof",
    "AccumulatorProof",
    "AccumulatorRangeProof",
    "EpochChangeProof",
    "EventProof",
    "EventWithProof",
    "InMemoryAccumulator",
    "ProofError",
    "SparseMerkleLeafNode",
    "SparseMerkleProof",
    "TransactionInfoWithProof",
    "TransactionListProof",
    "TransactionListWithProof",
    "account_key",
    "accumulator_root",
    "accumulator_root_digest",
    "blob_hash",
    "ledger_info_of",
    "verify_accumulator_consistency",
    "verify_ledger_info",
]

MAX_ACCUMULATOR_PROOF_DEPTH = 63
"""Deepest accumulator proof: leaves take half of a 64-bit position space."""
MAX_ACCUMULATOR_LEAVES = 1 << MAX_ACCUMULATOR_PROOF_DEPTH
"""Most leaves an accumulator can hold."""

TRANSACTION_ACCUMULATOR_HASHER = CryptoHasher("TransactionAccumulator")
EVENT_ACCUMULATOR_HASHER = CryptoHasher("EventAccumulator")
SPARSE_MERKLE_LEAF_HASHER = CryptoHasher("SparseMerkleLeafNode")
SPARSE_MERKLE_INTERNAL_HASHER = CryptoHasher("SparseMerkleInternal")
_ACCOUNT_ADDRESS_HASHER = CryptoHasher("AccountAddress")
_ACCOUNT_STATE_BLOB_HASHER = CryptoHasher("AccountStateBlob")

_ACC_PLACEHOLDER = bytes(ACCUMULATOR_PLACEHOLDER_HASH)
_SMT_PLACEHOLDER = bytes(SPARSE_MERKLE_PLACEHOLDER_HASH)


class ProofError(ValueError):
    """A proof does not prove what it claims; the message says which check failed."""


def account_key(address: AccountAddress) -> HashValue:
    """The key of ``address`` in the state tree (Diem's ``HashAccountAddress``)."""
    return _ACCOUNT_ADDRESS_HASHER.hash(bytes(address))


def blob_hash(blob: bytes) -> HashValue:
    """The value hash of an account state blob (Diem's ``AccountStateBlob`` hash)."""
    return _ACCOUNT_STATE_BLOB_HASHER.hash(blob)


def ledger_info_of(li: LedgerInfoWithSignatures) -> LedgerInfo:
    """The ledger info inside a signed ledger info of any version."""
    if isinstance(li, LedgerInfoWithV0):
        return li.ledger_info
    raise ProofError(f"unsupported ledger info version {type(li).__name__}")


def _hex(h: bytes) -> str:
    return h.hex()


# ---------------------------------------------------------------------------------------------
# Leaf and blob types


@bcs.struct
class AccountStateBlob:
    """The opaque bytes of one account's state; the state machine decides what they hold."""

    blob: bytes

    def hash(self) -> HashValue:
        return blob_hash(self.blob)


@bcs.struct
class SparseMerkleLeafNode:
    """A leaf of the sparse Merkle tree: the account key and the hash of its blob."""

    key: HashValue
    value_hash: HashValue

    def hash(self) -> HashValue:
        return HashValue(SPARSE_MERKLE_LEAF_HASHER.digest2(self.key, self.value_hash))


# ---------------------------------------------------------------------------------------------
# Accumulator proofs


def _acc_depth_check(n: int, what: str) -> None:
    if n > MAX_ACCUMULATOR_PROOF_DEPTH:
        raise ProofError(f"{what} has {n} siblings, more than {MAX_ACCUMULATOR_PROOF_DEPTH}")


@bcs.struct
class AccumulatorProof:
    """Proves one leaf of a Merkle accumulator: its siblings from the leaf level up."""

    siblings: tuple[HashValue, ...]

    def verify(
        self,
        hasher: CryptoHasher,
        expected_root_hash: bytes,
        element_hash: bytes,
        element_index: int,
    ) -> None:
        """Raises ProofError unless ``element_hash`` is leaf ``element_index`` of the
        accumulator whose root is ``expected_root_hash``."""
        _acc_depth_check(len(self.siblings), "accumulator proof")
        if element_index < 0 or element_index >> len(self.siblings):
            raise ProofError(
                f"leaf index {element_index} does not fit a proof of {len(self.siblings)} levels"
            )
        h = bytes(element_hash)
        index = element_index
        digest2 = hasher.digest2
        for sibling in self.siblings:
            h = digest2(h, sibling) if index & 1 == 0 else digest2(sibling, h)
            index >>= 1
        if h != expected_root_hash:
            raise ProofError(
                f"accumulator root mismatch: proof gives {_hex(h)}, "
                f"expected {_hex(expected_root_hash)}"
            )


@bcs.struct
class AccumulatorRangeProof:
    """Proves consecutive leaves of an accumulator: the siblings left of the first leaf's path
    and right of the last leaf's path, each from the bottom level up."""

    left_siblings: tuple[HashValue, ...]
    right_siblings: tuple[HashValue, ...]

    def verify(
        self,
        hasher: CryptoHasher,
        expected_root_hash: bytes,
        first_leaf_index: int | None,
        leaf_hashes: Sequence[bytes],
    ) -> None:
        """Raises ProofError unless ``leaf_hashes`` are the leaves from ``first_leaf_index`` on
        of the accumulator whose root is ``expected_root_hash``."""
        if first_leaf_index is None:
            if leaf_hashes:
                raise ProofError("no first leaf index given but the leaf list is not empty")
            if self.left_siblings or self.right_siblings:
                raise ProofError("a proof of an empty range must have no siblings")
            return
        _acc_depth_check(len(self.left_siblings), "range proof (left)")
        _acc_depth_check(len(self.right_siblings), "range proof (right)")
        if not leaf_hashes:
            raise ProofError("a first leaf index is given but the leaf list is empty")
        if first_leaf_index < 0 or first_leaf_index + len(leaf_hashes) > MAX_ACCUMULATOR_LEAVES:
            raise ProofError(f"leaf range starting at {first_leaf_index} is out of bounds")
        digest2 = hasher.digest2
        left = iter(self.left_siblings)
        right = iter(self.right_siblings)
        n_left = len(self.left_siblings)
        n_right = len(self.right_siblings)
        index = first_leaf_index
        current = [bytes(h) for h in leaf_hashes]
        while len(current) > 1 or n_left or n_right:
            parents: list[bytes] = []
            i = 0
            if index & 1:
                if not n_left:
                    raise ProofError("first node is a right child but no left sibling remains")
                n_left -= 1
                parents.append(digest2(next(left), current[0]))
                i = 1
            end = len(current)
            while i + 1 < end:
                parents.append(digest2(current[i], current[i + 1]))
                i += 2
            if i < end:
                if not n_right:
                    raise ProofError("last node is a left child but no right sibling remains")
                n_right -= 1
                parents.append(digest2(current[i], next(right)))
            current = parents
            index >>= 1
        if current[0] != expected_root_hash:
            raise ProofError(
                f"accumulator root mismatch: range proof gives {_hex(current[0])}, "
                f"expected {_hex(expected_root_hash)}"
            )


@bcs.struct
class AccumulatorConsistencyProof:
    """The roots of the subtrees that extend a smaller accumulator into a bigger one."""

    subtrees: tuple[HashValue, ...]


class InMemoryAccumulator:
    """An accumulator summarised by its frozen subtree roots (what a client keeps)."""

    __slots__ = ("frozen_subtree_roots", "hasher", "num_leaves", "root_hash")

    def __init__(
        self, hasher: CryptoHasher, frozen_subtree_roots: Sequence[bytes], num_leaves: int
    ) -> None:
        if num_leaves < 0 or num_leaves > MAX_ACCUMULATOR_LEAVES:
            raise ProofError(f"invalid accumulator size {num_leaves}")
        if len(frozen_subtree_roots) != bin(num_leaves).count("1"):
            raise ProofError(
                f"an accumulator of {num_leaves} leaves has {bin(num_leaves).count('1')} "
                f"frozen subtrees, not {len(frozen_subtree_roots)}"
            )
        self.hasher = hasher
        self.frozen_subtree_roots = [bytes(h) for h in frozen_subtree_roots]
        self.num_leaves = num_leaves
        self.root_hash = HashValue(self._compute_root())

    @classmethod
    def from_leaves(cls, hasher: CryptoHasher, leaves: Sequence[bytes]) -> InMemoryAccumulator:
        """The accumulator of ``leaves``."""
        return cls(hasher, [], 0).append(leaves)

    def _compute_root(self) -> bytes:
        roots = self.frozen_subtree_roots
        if not roots:
            return _ACC_PLACEHOLDER
        if len(roots) == 1:
            return roots[0]
        n = self.num_leaves
        bitmap = n >> ((n & -n).bit_length() - 1)
        current = _ACC_PLACEHOLDER
        it = reversed(roots)
        digest2 = self.hasher.digest2
        while bitmap:
            if bitmap & 1:
                current = digest2(next(it), current)
            else:
                current = digest2(current, _ACC_PLACEHOLDER)
            bitmap >>= 1
        return current

    def append(self, leaves: Sequence[bytes]) -> InMemoryAccumulator:
        """A new accumulator with ``leaves`` appended."""
        roots = list(self.frozen_subtree_roots)
        n = self.num_leaves
        digest2 = self.hasher.digest2
        for leaf in leaves:
            h = bytes(leaf)
            k = n
            while k & 1:
                h = digest2(roots.pop(), h)
                k >>= 1
            roots.append(h)
            n += 1
        return InMemoryAccumulator(self.hasher, roots, n)

    def append_subtrees(
        self, subtrees: Sequence[bytes], num_new_leaves: int
    ) -> InMemoryAccumulator:
        """The accumulator with ``num_new_leaves`` more leaves, given as the roots of the
        subtrees a server lists in an :class:`AccumulatorConsistencyProof`."""
        if num_new_leaves < 0 or num_new_leaves > MAX_ACCUMULATOR_LEAVES - self.num_leaves:
            raise ProofError(f"cannot add {num_new_leaves} leaves to {self.num_leaves}")
        if self.num_leaves == 0:
            return InMemoryAccumulator(self.hasher, subtrees, num_new_leaves)
        roots = list(self.frozen_subtree_roots)
        n = self.num_leaves
        remaining = num_new_leaves
        it = iter(subtrees)
        digest2 = self.hasher.digest2
        used = 0
        while remaining > 0:
            try:
                subtree = bytes(next(it))
            except StopIteration:
                raise ProofError("consistency proof has too few subtrees") from None
            used += 1
            low = n & -n
            if remaining >= low:
                # The new subtree is the right sibling of the rightmost frozen subtree.
                roots[-1] = digest2(roots[-1], subtree)
                n += low
                remaining -= low
                expected = bin(n).count("1")
                while len(roots) > expected:
                    right = roots.pop()
                    roots[-1] = digest2(roots[-1], right)
            else:
                size = 1 << (remaining.bit_length() - 1)
                roots.append(subtree)
                n += size
                remaining -= size
        if used != len(subtrees):
            raise ProofError(f"consistency proof has {len(subtrees) - used} extra subtrees")
        return InMemoryAccumulator(self.hasher, roots, n)


def verify_accumulator_consistency(
    hasher: CryptoHasher,
    old: InMemoryAccumulator,
    proof: AccumulatorConsistencyProof,
    new_num_leaves: int,
    expected_new_root: bytes,
) -> InMemoryAccumulator:
    """Checks that the accumulator of ``new_num_leaves`` leaves with root ``expected_new_root``
    extends ``old``; returns the new summary."""
    if new_num_leaves < old.num_leaves:
        raise ProofError(f"cannot shrink an accumulator from {old.num_leaves} to {new_num_leaves}")
    new = old.append_subtrees(proof.subtrees, new_num_leaves - old.num_leaves)
    if new.root_hash != expected_new_root:
        raise ProofError(
            f"consistency proof gives root {new.root_hash.hex()}, "
            f"expected {_hex(expected_new_root)}"
        )
    return new


def accumulator_root(hasher: CryptoHasher, leaves: Sequence[bytes]) -> HashValue:
    """The root hash of the accumulator holding ``leaves``."""
    return HashValue(accumulator_root_digest(hasher, leaves))


def accumulator_root_digest(hasher: CryptoHasher, leaves: Sequence[bytes]) -> bytes:
    """:func:`accumulator_root` as plain bytes, computed a level at a time: a level with an odd
    number of nodes is completed with the placeholder (the hash of an empty subtree), which is
    what the root of a partly filled accumulator hashes its last node with."""
    n = len(leaves)
    if n == 0:
        return _ACC_PLACEHOLDER
    if n == 1:
        return bytes(leaves[0])
    if n > MAX_ACCUMULATOR_LEAVES:
        raise ProofError(f"invalid accumulator size {n}")
    digest2 = hasher.digest2
    level = list(leaves)
    while n > 1:
        if n & 1:
            level.append(_ACC_PLACEHOLDER)
            n += 1
        level = [digest2(level[i], level[i + 1]) for i in range(0, n, 2)]
        n >>= 1
    return level[0]


# ---------------------------------------------------------------------------------------------
# Sparse Merkle proof


@bcs.struct
class SparseMerkleProof:
    """Proves the value (or the absence) of a key in the sparse Merkle tree.

    ``leaf`` is the leaf met on the key's path (the key's own leaf for an inclusion proof,
    another key's for a non-inclusion proof, or None when the path ends in an empty subtree);
    ``siblings`` are listed from the bottom level up to the root."""

    leaf: SparseMerkleLeafNode | None
    siblings: tuple[HashValue, ...]

    def verify(
        self, expected_root_hash: bytes, element_key: HashValue, element_blob: bytes | None
    ) -> None:
        """Raises ProofError unless the tree with root ``expected_root_hash`` maps
        ``element_key`` to ``element_blob`` (None: the key is absent)."""
        n = len(self.siblings)
        if n > 256:
            raise ProofError(f"sparse Merkle proof has {n} siblings, more than 256")
        leaf = self.leaf
        if element_blob is not None:
            if leaf is None:
                raise ProofError("expected an inclusion proof, found a non-inclusion proof")
            if leaf.key != element_key:
                raise ProofError(
                    f"keys do not match: proof has {leaf.key.hex()}, expected {element_key.hex()}"
                )
            value_hash = blob_hash(element_blob)
            if leaf.value_hash != value_hash:
                raise ProofError(
                    f"value hashes do not match: proof has {leaf.value_hash.hex()}, "
                    f"blob hashes to {value_hash.hex()}"
                )
        elif leaf is not None:
            if leaf.key == element_key:
                raise ProofError("expected a non-inclusion proof, but the key is in the proof")
            if _common_prefix_bits(element_key, leaf.key) < n:
                raise ProofError(
                    "the key would not fall in the subtree where the proof's leaf is alone"
                )
        h = bytes(leaf.hash()) if leaf is not None else _SMT_PLACEHOLDER
        digest2 = SPARSE_MERKLE_INTERNAL_HASHER.digest2
        key_int = int.from_bytes(element_key, "big")
        for j, sibling in enumerate(self.siblings):
            depth = n - 1 - j
            h = digest2(sibling, h) if (key_int >> (255 - depth)) & 1 else digest2(h, sibling)
        if h != expected_root_hash:
            raise ProofError(
                f"state root mismatch: proof gives {_hex(h)}, expected {_hex(expected_root_hash)}"
            )


def _common_prefix_bits(a: bytes, b: bytes) -> int:
    x = int.from_bytes(a, "big") ^ int.from_bytes(b, "big")
    return 256 - x.bit_length()


# ---------------------------------------------------------------------------------------------
# Ledger info and epoch changes


def verify_ledger_info(li: LedgerInfoWithSignatures, trusted: EpochState) -> LedgerInfo:
    """Checks that a quorum (2f+1 voting power) of ``trusted`` validators signed ``li`` in its
    epoch; returns the ledger info."""
    info = ledger_info_of(li)
    if info.epoch != trusted.epoch:
        raise ProofError(f"ledger info is for epoch {info.epoch}, trusted epoch is {trusted.epoch}")
    if not isinstance(li, LedgerInfoWithV0):
        raise ProofError(f"unsupported ledger info version {type(li).__name__}")
    try:
        li.verify(trusted.verifier)
    except VerifyError as err:
        raise ProofError(f"ledger info signatures: {err}") from None
    return info


@bcs.struct
class EpochChangeProof:
    """A chain of epoch-ending ledger infos, each signed by the validators of its epoch and
    naming the validators of the next."""

    ledger_info_with_sigs: tuple[LedgerInfoWithSignatures, ...]
    more: bool

    def verify(self, trusted: EpochState) -> EpochState:
        """Follows the chain from ``trusted``; returns the epoch state it ends in. Ledger infos
        of epochs older than ``trusted`` are skipped (Diem does the same)."""
        if not self.ledger_info_with_sigs:
            raise ProofError("empty epoch change proof")
        current = trusted
        verified_any = False
        for li in self.ledger_info_with_sigs:
            info = ledger_info_of(li)
            if info.epoch < current.epoch and not verified_any:
                continue
            verify_ledger_info(li, current)
            nxt = info.commit_info.next_epoch_state
            if nxt is None:
                raise ProofError(f"ledger info of epoch {info.epoch} does not end its epoch")
            if nxt.epoch != info.epoch + 1:
                raise ProofError(f"epoch {info.epoch} is followed by epoch {nxt.epoch}")
            current = nxt
            verified_any = True
        if not verified_any:
            raise ProofError("every ledger info of the epoch change proof is stale")
        return current


# ---------------------------------------------------------------------------------------------
# Transactions, accounts and events


@bcs.struct
class TransactionInfoWithProof:
    """A transaction info and its accumulator proof against a ledger info."""

    ledger_info_to_transaction_info_proof: AccumulatorProof
    transaction_info: TransactionInfo

    def verify(self, ledger_info: LedgerInfo, version: int) -> None:
        """Raises ProofError unless the transaction info is at ``version`` in the ledger."""
        if version > ledger_info.version:
            raise ProofError(f"version {version} is after the ledger info ({ledger_info.version})")
        self.ledger_info_to_transaction_info_proof.verify(
            TRANSACTION_ACCUMULATOR_HASHER,
            ledger_info.transaction_accumulator_hash,
            self.transaction_info.hash(),
            version,
        )


@bcs.struct
class AccountStateProof:
    """Ledger info → transaction info → account state."""

    transaction_info_with_proof: TransactionInfoWithProof
    transaction_info_to_account_proof: SparseMerkleProof

    def verify(
        self, ledger_info: LedgerInfo, version: int, key: HashValue, blob: bytes | None
    ) -> None:
        """Raises ProofError unless ``key`` maps to ``blob`` in the state at ``version``."""
        self.transaction_info_with_proof.verify(ledger_info, version)
        self.transaction_info_to_account_proof.verify(
            self.transaction_info_with_proof.transaction_info.state_root_hash, key, blob
        )


@bcs.struct
class AccountStateWithProof:
    """An account's blob (or its absence) at a version, with the proof."""

    version: bcs.U64
    blob: AccountStateBlob | None
    proof: AccountStateProof

    def verify(self, ledger_info: LedgerInfo, version: int, address: AccountAddress) -> None:
        """Raises ProofError unless this is ``address``'s state at ``version``."""
        if self.version != version:
            raise ProofError(f"proof is for version {self.version}, expected {version}")
        blob = self.blob.blob if self.blob is not None else None
        self.proof.verify(ledger_info, version, account_key(address), blob)


@bcs.struct
class EventProof:
    """Ledger info → transaction info → event."""

    transaction_info_with_proof: TransactionInfoWithProof
    transaction_info_to_event_proof: AccumulatorProof

    def verify(
        self, ledger_info: LedgerInfo, event_hash: bytes, version: int, event_index: int
    ) -> None:
        """Raises ProofError unless the event is number ``event_index`` of ``version``."""
        self.transaction_info_with_proof.verify(ledger_info, version)
        self.transaction_info_to_event_proof.verify(
            EVENT_ACCUMULATOR_HASHER,
            self.transaction_info_with_proof.transaction_info.event_root_hash,
            event_hash,
            event_index,
        )


@bcs.struct
class EventWithProof:
    """An event, where it was emitted, and the proof."""

    transaction_version: bcs.U64
    event_index: bcs.U64
    event: ContractEvent
    proof: EventProof

    def verify(
        self,
        ledger_info: LedgerInfo,
        event_key: EventKey,
        sequence_number: int,
        transaction_version: int,
        event_index: int,
    ) -> None:
        """Raises ProofError unless this is event ``sequence_number`` of stream ``event_key``
        emitted as event ``event_index`` of ``transaction_version``."""
        ev = self.event
        if not isinstance(ev, ContractEventV0):
            raise ProofError(f"unsupported event version {type(ev).__name__}")
        if ev.key != event_key:
            raise ProofError(f"event key {ev.key.hex()} is not {event_key.hex()}")
        if ev.sequence_number != sequence_number:
            raise ProofError(f"event sequence number {ev.sequence_number} is not {sequence_number}")
        if self.transaction_version != transaction_version or self.event_index != event_index:
            raise ProofError(
                f"event is at ({self.transaction_version}, {self.event_index}), "
                f"expected ({transaction_version}, {event_index})"
            )
        self.proof.verify(ledger_info, ev.hash(), transaction_version, event_index)


@bcs.struct
class TransactionListProof:
    """The transaction infos of a range and their range proof against a ledger info."""

    ledger_info_to_transaction_infos_proof: AccumulatorRangeProof
    transaction_infos: tuple[TransactionInfo, ...]


@bcs.struct
class TransactionListWithProof:
    """Consecutive transactions (optionally with their events) and the proof."""

    transactions: tuple[Transaction, ...]
    events: tuple[tuple[ContractEvent, ...], ...] | None
    first_transaction_version: bcs.U64 | None
    proof: TransactionListProof

    def verify(self, ledger_info: LedgerInfo, first_transaction_version: int | None) -> None:
        """Raises ProofError unless these are the ledger's transactions from
        ``first_transaction_version`` on."""
        if self.first_transaction_version != first_transaction_version:
            raise ProofError(
                f"list starts at {self.first_transaction_version}, "
                f"expected {first_transaction_version}"
            )
        infos = self.proof.transaction_infos
        if len(infos) != len(self.transactions):
            raise ProofError(
                f"{len(self.transactions)} transactions but {len(infos)} transaction infos"
            )
        for i, (txn, info) in enumerate(zip(self.transactions, infos, strict=True)):
            if txn.hash() != info.transaction_hash:
                raise ProofError(f"transaction {i} does not match its transaction info")
        if self.events is not None:
            if len(self.events) != len(infos):
                raise ProofError(f"{len(self.events)} event lists for {len(infos)} transactions")
            for i, (events, info) in enumerate(zip(self.events, infos, strict=True)):
                root = accumulator_root(EVENT_ACCUMULATOR_HASHER, [e.hash() for e in events])
                if root != info.event_root_hash:
                    raise ProofError(f"events of transaction {i} do not match its event root")
        if first_transaction_version is not None and (
            first_transaction_version + len(infos) - 1 > ledger_info.version
        ):
            raise ProofError("the transaction list runs past the ledger info's version")
        self.proof.ledger_info_to_transaction_infos_proof.verify(
            TRANSACTION_ACCUMULATOR_HASHER,
            ledger_info.transaction_accumulator_hash,
            first_transaction_version,
            [info.hash() for info in infos],
        )
