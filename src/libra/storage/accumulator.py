"""The Merkle accumulator as a server keeps it: frozen nodes stored by position.

Positions follow Diem's in-order numbering: leaf ``i`` is at position ``2 * i``; a node at level
``L`` (leaves are level 0) with index ``k`` in its level is at ``(k << (L + 1)) | ((1 << L) - 1)``.
A node is *frozen* once every leaf below it exists; only frozen nodes are stored, and the hash of
a node that is not yet full is computed from frozen nodes and placeholders.

The functions here take a ``reader`` (position → hash bytes) so that the same code serves the
ledger database, a write batch on top of it, and plain dictionaries in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from libra.crypto import ACCUMULATOR_PLACEHOLDER_HASH, CryptoHasher, HashValue
from libra.storage.proof import (
    MAX_ACCUMULATOR_LEAVES,
    AccumulatorConsistencyProof,
    AccumulatorProof,
    AccumulatorRangeProof,
)

__all__ = [
    "NodeReader",
    "append",
    "consistency_proof",
    "frozen_subtree_positions",
    "leaf_proof",
    "node_hash",
    "position",
    "range_proof",
    "root_hash",
    "root_level",
]

NodeReader = Callable[[int], bytes]
"""Returns the hash of the frozen node at a position (raises if it is not stored)."""

_PLACEHOLDER = bytes(ACCUMULATOR_PLACEHOLDER_HASH)


def position(level: int, index: int) -> int:
    """The in-order position of node ``index`` of ``level``."""
    return (index << (level + 1)) | ((1 << level) - 1)


def root_level(num_leaves: int) -> int:
    """The level of the root of an accumulator of ``num_leaves`` (>= 1) leaves."""
    return (num_leaves - 1).bit_length()


def frozen_subtree_positions(num_leaves: int) -> list[int]:
    """Positions of the roots of the perfect subtrees that make up ``num_leaves`` leaves,
    largest (leftmost) first."""
    out = []
    before = 0
    for level in range(num_leaves.bit_length() - 1, -1, -1):
        if num_leaves >> level & 1:
            out.append(position(level, before >> level))
            before += 1 << level
    return out


def node_hash(reader: NodeReader, hasher: CryptoHasher, level: int, index: int, n: int) -> bytes:
    """The hash of node (``level``, ``index``) in an accumulator of ``n`` leaves."""
    start = index << level
    if start >= n:
        return _PLACEHOLDER
    if (index + 1) << level <= n:
        return reader(position(level, index))
    return hasher.digest2(
        node_hash(reader, hasher, level - 1, 2 * index, n),
        node_hash(reader, hasher, level - 1, 2 * index + 1, n),
    )


def root_hash(reader: NodeReader, hasher: CryptoHasher, num_leaves: int) -> HashValue:
    """The root hash of the accumulator of ``num_leaves`` leaves."""
    if num_leaves == 0:
        return ACCUMULATOR_PLACEHOLDER_HASH
    return HashValue(node_hash(reader, hasher, root_level(num_leaves), 0, num_leaves))


def append(
    reader: NodeReader, hasher: CryptoHasher, num_leaves: int, leaves: Sequence[bytes]
) -> dict[int, bytes]:
    """Appends ``leaves`` to an accumulator of ``num_leaves`` leaves; returns the newly frozen
    nodes (position → hash). The root of the result is ``root_hash`` over reader + new nodes.

    Computed a level at a time: the new nodes of level ``L`` are indices
    ``num_leaves >> L`` to ``(num_leaves + len(leaves) >> L) - 1``; when the first is odd, its
    left sibling is an older frozen node, read from ``reader``."""
    if num_leaves + len(leaves) > MAX_ACCUMULATOR_LEAVES:
        raise ValueError("accumulator is full")
    new: dict[int, bytes] = {}
    if not leaves:
        return new
    digest2 = hasher.digest2
    hashes = [bytes(leaf) for leaf in leaves]
    first = num_leaves
    level = 0
    while True:
        shift = level + 1
        low = (1 << level) - 1
        for k, h in enumerate(hashes, first):
            new[(k << shift) | low] = h
        last = first + len(hashes) - 1
        parent_first = first >> 1
        parents = ((last - 1) >> 1) - parent_first + 1
        if parents <= 0:
            return new
        if first & 1:
            hashes.insert(0, reader(position(level, first - 1)))
        hashes = [digest2(hashes[i], hashes[i + 1]) for i in range(0, 2 * parents, 2)]
        first = parent_first
        level += 1


def leaf_proof(
    reader: NodeReader, hasher: CryptoHasher, num_leaves: int, leaf_index: int
) -> AccumulatorProof:
    """The proof of leaf ``leaf_index`` against the root of ``num_leaves`` leaves."""
    if not 0 <= leaf_index < num_leaves:
        raise ValueError(f"leaf {leaf_index} is not in an accumulator of {num_leaves} leaves")
    siblings = []
    for level in range(root_level(num_leaves)):
        k = leaf_index >> level
        siblings.append(HashValue(node_hash(reader, hasher, level, k ^ 1, num_leaves)))
    return AccumulatorProof(tuple(siblings))


def range_proof(
    reader: NodeReader, hasher: CryptoHasher, num_leaves: int, first: int, count: int
) -> AccumulatorRangeProof:
    """The proof of leaves ``first .. first + count - 1`` against ``num_leaves`` leaves."""
    if count == 0:
        return AccumulatorRangeProof((), ())
    last = first + count - 1
    if first < 0 or last >= num_leaves:
        raise ValueError(f"leaves {first}..{last} are not in an accumulator of {num_leaves}")
    left = []
    right = []
    for level in range(root_level(num_leaves)):
        k = first >> level
        if k & 1:
            left.append(HashValue(node_hash(reader, hasher, level, k - 1, num_leaves)))
        k = last >> level
        if not k & 1:
            right.append(HashValue(node_hash(reader, hasher, level, k + 1, num_leaves)))
    return AccumulatorRangeProof(tuple(left), tuple(right))


def consistency_proof(
    reader: NodeReader, num_leaves: int, sub_leaves: int
) -> AccumulatorConsistencyProof:
    """The subtrees that extend the first ``sub_leaves`` leaves to ``num_leaves`` leaves (see
    :meth:`libra.storage.proof.InMemoryAccumulator.append_subtrees`)."""
    if not 0 <= sub_leaves <= num_leaves:
        raise ValueError(f"cannot prove {sub_leaves} leaves against {num_leaves}")
    if sub_leaves == 0:
        return AccumulatorConsistencyProof(
            tuple(HashValue(reader(p)) for p in frozen_subtree_positions(num_leaves))
        )
    out = []
    n = sub_leaves
    remaining = num_leaves - sub_leaves
    while remaining > 0:
        low = n & -n
        size = low if remaining >= low else 1 << (remaining.bit_length() - 1)
        level = size.bit_length() - 1
        out.append(HashValue(reader(position(level, n >> level))))
        n += size
        remaining -= size
    return AccumulatorConsistencyProof(tuple(out))


def frozen_subtree_hashes(reader: NodeReader, num_leaves: int) -> list[HashValue]:
    """The frozen subtree roots of the first ``num_leaves`` leaves (what a client keeps)."""
    return [HashValue(reader(p)) for p in frozen_subtree_positions(num_leaves)]


def memory_proof(hasher: CryptoHasher, leaves: Sequence[bytes], index: int) -> AccumulatorProof:
    """The proof of one leaf of a small accumulator built in memory (e.g. a transaction's
    events)."""
    nodes = append(_no_nodes, hasher, 0, leaves)
    return leaf_proof(nodes.__getitem__, hasher, len(leaves), index)


def _no_nodes(pos: int) -> bytes:
    raise KeyError(pos)
