"""The versioned sparse Merkle tree of account state, stored Jellyfish-style.

The tree is the binary sparse Merkle tree Diem proves against (256-bit keys, single-leaf subtrees
collapsed into their leaf, empty subtrees hashing to the placeholder), stored as 16-ary internal
nodes on nibble paths, as Diem's Jellyfish Merkle tree does:

- a node is addressed by its *node key*: the tree version that wrote it (8 bytes, big-endian),
  its depth in nibbles (1 byte) and its nibble path (packed two nibbles a byte);
- an internal node lists its children (nibble, hash, version, is-leaf); its hash is the binary
  Merkle hash of the 16 slots, where a half holding exactly one leaf child takes that leaf's hash;
- a leaf holds the account key, the hash of the account blob and the blob itself;
- a tree version only writes the nodes on the paths it changes and reads older versions' nodes
  for the rest, so every retained version stays readable and provable. Every node a version
  replaces is reported as *stale since* that version, which is what pruning deletes.

A block's updates are applied in one batch: keys are sorted, each touched subtree is rebuilt
once, and each new node is hashed once.

Node encodings are the BCS encodings of :class:`TreeNode` (hand-written here for speed; the
tests check they agree with :func:`libra.bcs.encode`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated

from libra import bcs
from libra.crypto import SPARSE_MERKLE_PLACEHOLDER_HASH, HashValue
from libra.storage.errors import CorruptionError, NotFoundError
from libra.storage.proof import (
    SPARSE_MERKLE_INTERNAL_HASHER,
    SPARSE_MERKLE_LEAF_HASHER,
    SparseMerkleLeafNode,
    SparseMerkleProof,
    blob_hash,
)

__all__ = [
    "InternalTreeNode",
    "LeafTreeNode",
    "NullTreeNode",
    "StateTree",
    "TreeChild",
    "TreeNode",
    "TreeUpdate",
    "node_key",
    "reference_root",
]

_PLACEHOLDER = bytes(SPARSE_MERKLE_PLACEHOLDER_HASH)
_leaf_digest = SPARSE_MERKLE_LEAF_HASHER.digest2
_internal_digest = SPARSE_MERKLE_INTERNAL_HASHER.digest2


# ---------------------------------------------------------------------------------------------
# Declared node layouts (BCS)


@bcs.struct
class TreeChild:
    """One child slot of an internal node."""

    nibble: bcs.U8
    hash: Annotated[bytes, bcs.Fixed(32)]
    version: bcs.U64
    is_leaf: bool


class TreeNode(bcs.Enum):
    """A stored node of the state tree."""

    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class InternalTreeNode(TreeNode):
    """A 16-ary internal node: its children in nibble order."""

    children: tuple[TreeChild, ...]


@bcs.variant(1)
@bcs.struct
class LeafTreeNode(TreeNode):
    """A leaf: the account key, the hash of the blob, and the blob."""

    key: Annotated[bytes, bcs.Fixed(32)]
    value_hash: Annotated[bytes, bcs.Fixed(32)]
    blob: bytes


@bcs.variant(2)
@bcs.struct
class NullTreeNode(TreeNode):
    """The root of an empty tree."""


# ---------------------------------------------------------------------------------------------
# Fast encodings

_CHILD = struct.Struct("<B32sQ?")
_CHILD_SIZE = _CHILD.size
_NULL = b"\x02"
_VERSION = struct.Struct(">Q")

Child = tuple[bytes, int, bool]
"""(hash, version, is_leaf) of a child slot."""


def _uleb(n: int) -> bytes:
    out = bytearray()
    bcs.encode_uleb128(n, out)
    return bytes(out)


def _encode_internal(children: dict[int, Child]) -> bytes:
    parts = [b"\x00", bytes((len(children),))]
    pack = _CHILD.pack
    for nib in sorted(children):
        h, v, leaf = children[nib]
        parts.append(pack(nib, h, v, leaf))
    return b"".join(parts)


def _encode_leaf(key: bytes, value_hash: bytes, blob: bytes) -> bytes:
    return b"\x01" + key + value_hash + _uleb(len(blob)) + blob


def node_key(version: int, depth: int, path: bytes) -> bytes:
    """The storage key of the node at nibble ``depth`` on ``path`` written by ``version``."""
    return _VERSION.pack(version) + bytes((depth,)) + path


def _prefix(key: bytes, depth: int) -> bytes:
    """The packed nibble path of the first ``depth`` nibbles of ``key``."""
    if depth & 1:
        half = depth >> 1
        return key[:half] + bytes((key[half] & 0xF0,))
    return key[: depth >> 1]


def _child_path(path: bytes, depth: int, nib: int) -> bytes:
    if depth & 1:
        return path[:-1] + bytes((path[-1] | nib,))
    return path + bytes((nib << 4,))


def _nibble(key: bytes, depth: int) -> int:
    b = key[depth >> 1]
    return b & 0x0F if depth & 1 else b >> 4


def _hash_range(hashes: list[bytes], exist: int, leaves: int, start: int, width: int) -> bytes:
    e = exist & (((1 << width) - 1) << start)
    if not e:
        return _PLACEHOLDER
    if width == 1 or (e & (e - 1) == 0 and leaves & e):
        return hashes[e.bit_length() - 1]
    half = width >> 1
    return _internal_digest(
        _hash_range(hashes, exist, leaves, start, half),
        _hash_range(hashes, exist, leaves, start + half, half),
    )


def _internal_hash(children: dict[int, Child]) -> bytes:
    hashes = [_PLACEHOLDER] * 16
    exist = 0
    leaves = 0
    for nib, (h, _v, leaf) in children.items():
        hashes[nib] = h
        bit = 1 << nib
        exist |= bit
        if leaf:
            leaves |= bit
    return _hash_range(hashes, exist, leaves, 0, 16)


class _Leaf:
    """A leaf on its way to a slot: new or changed (``blob`` set, ``old_key`` None), or an
    existing unchanged one (``old_key`` set, ``blob`` loaded only if it must move)."""

    __slots__ = ("blob", "key", "old_key", "value_hash")

    def __init__(self, key: bytes, value_hash: bytes, blob: bytes | None, old_key: bytes | None):
        self.key = key
        self.value_hash = value_hash
        self.blob = blob
        self.old_key = old_key


class TreeUpdate:
    """The result of a batch: the new root hash, the nodes to write and the nodes made stale."""

    __slots__ = ("new_nodes", "root_hash", "stale", "version")

    def __init__(
        self, version: int, root_hash: HashValue, new_nodes: dict[bytes, bytes], stale: list[bytes]
    ) -> None:
        self.version = version
        self.root_hash = root_hash
        self.new_nodes = new_nodes
        self.stale = stale


NodeReader = Callable[[bytes], bytes | None]
"""Returns the encoded node stored under a node key, or None."""


class StateTree:
    """Reads and batch-updates the tree through a node reader.

    ``where`` names the store in error messages."""

    __slots__ = ("_read", "where")

    def __init__(self, reader: NodeReader, where: str = "state tree") -> None:
        self._read = reader
        self.where = where

    # -- decoding -------------------------------------------------------------------------------

    def _load(self, nk: bytes) -> bytes:
        data = self._read(nk)
        if data is None:
            raise NotFoundError(
                self.where,
                f"state tree node {nk.hex()} (version {_VERSION.unpack_from(nk)[0]}) is missing"
                " (pruned or never written)",
            )
        return data

    def _internal(self, nk: bytes, data: bytes) -> dict[int, Child]:
        try:
            n = data[1]
            if len(data) != 2 + n * _CHILD_SIZE or n > 16:
                raise ValueError("bad length")
            out: dict[int, Child] = {}
            unpack = _CHILD.unpack_from
            prev = -1
            for i in range(n):
                nib, h, v, leaf = unpack(data, 2 + i * _CHILD_SIZE)
                if nib <= prev or nib > 15:
                    raise ValueError("bad nibble order")
                prev = nib
                out[nib] = (h, v, leaf)
            return out
        except (ValueError, IndexError, struct.error) as err:
            raise CorruptionError(self.where, f"corrupt internal node {nk.hex()}: {err}") from None

    def _leaf(self, nk: bytes, data: bytes) -> tuple[bytes, bytes, bytes]:
        try:
            node = bcs.decode(LeafTreeNode, data)
        except bcs.DecodeError as err:
            raise CorruptionError(self.where, f"corrupt leaf node {nk.hex()}: {err}") from None
        return node.key, node.value_hash, node.blob

    def _check_tag(self, nk: bytes, data: bytes) -> int:
        if not data or data[0] > 2 or (data[0] == 2 and len(data) != 1):
            raise CorruptionError(self.where, f"corrupt state tree node {nk.hex()}")
        return data[0]

    # -- reading --------------------------------------------------------------------------------

    def root_hash(self, version: int) -> HashValue:
        """The root hash of the tree at ``version``."""
        nk = node_key(version, 0, b"")
        data = self._load(nk)
        tag = self._check_tag(nk, data)
        if tag == 2:
            return SPARSE_MERKLE_PLACEHOLDER_HASH
        if tag == 1:
            key, vh, _ = self._leaf(nk, data)
            return HashValue(_leaf_digest(key, vh))
        return HashValue(_internal_hash(self._internal(nk, data)))

    def get_with_proof(self, key: bytes, version: int) -> tuple[bytes | None, SparseMerkleProof]:
        """The blob stored under ``key`` at ``version`` (None if absent) and its proof."""
        depth = 0
        path = b""
        nk = node_key(version, 0, b"")
        siblings: list[HashValue] = []
        leaf: tuple[bytes, bytes, bytes] | None = None
        while True:
            data = self._load(nk)
            tag = self._check_tag(nk, data)
            if tag == 2:
                break
            if tag == 1:
                leaf = self._leaf(nk, data)
                break
            children = self._internal(nk, data)
            nib = _nibble(key, depth)
            slot, sibs = _slot_with_siblings(children, nib)
            siblings.extend(HashValue(s) for s in sibs)
            if slot is None:
                break
            _h, v, is_leaf = children[slot]
            path = _child_path(path, depth, slot)
            depth += 1
            nk = node_key(v, depth, path)
            if is_leaf:
                data = self._load(nk)
                if self._check_tag(nk, data) != 1:
                    raise CorruptionError(self.where, f"node {nk.hex()} should be a leaf")
                leaf = self._leaf(nk, data)
                break
        siblings.reverse()
        if leaf is None:
            return None, SparseMerkleProof(None, tuple(siblings))
        lkey, vh, blob = leaf
        proof = SparseMerkleProof(
            SparseMerkleLeafNode(HashValue(lkey), HashValue(vh)), tuple(siblings)
        )
        return (blob if lkey == key else None), proof

    def iter_leaves(self, version: int) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, blob) of the tree at ``version``, in key order."""
        root = node_key(version, 0, b"")
        stack: list[tuple[bytes, int, bytes]] = [(root, 0, b"")]
        while stack:
            nk, depth, path = stack.pop()
            data = self._load(nk)
            tag = self._check_tag(nk, data)
            if tag == 2:
                continue
            if tag == 1:
                key, _vh, blob = self._leaf(nk, data)
                yield key, blob
                continue
            children = self._internal(nk, data)
            for nib in sorted(children, reverse=True):
                _h, v, _leaf = children[nib]
                cpath = _child_path(path, depth, nib)
                stack.append((node_key(v, depth + 1, cpath), depth + 1, cpath))

    # -- batch update ---------------------------------------------------------------------------

    def update(
        self,
        base_version: int | None,
        version: int,
        updates: Sequence[tuple[bytes, bytes | None]],
    ) -> TreeUpdate:
        """Applies ``updates`` (key → new blob, or None to delete) to the tree at
        ``base_version`` (None: the empty tree) as tree ``version``; writes nothing, returns
        the nodes to write."""
        if base_version is not None and version <= base_version:
            raise ValueError(f"tree version {version} must be after {base_version}")
        batch = _Batch(self, version)
        ups = sorted(updates)
        for i in range(1, len(ups)):
            if ups[i][0] == ups[i - 1][0]:
                raise ValueError(f"key {ups[i][0].hex()} is updated twice in one batch")
        root_nk = node_key(version, 0, b"")
        if base_version is None:
            existing: tuple[bytes, bool] | None = None
        else:
            old_root = node_key(base_version, 0, b"")
            data = self._load(old_root)
            tag = self._check_tag(old_root, data)
            existing = None if tag == 2 else (old_root, tag == 1)
            if tag == 2 or not ups:
                batch.stale.append(old_root)
            if not ups:
                batch.new_nodes[root_nk] = data
                return TreeUpdate(
                    version, self.root_hash(base_version), batch.new_nodes, batch.stale
                )
        result = batch.subtree(0, b"", existing, ups)
        if result is None:
            batch.new_nodes[root_nk] = _NULL
            root = _PLACEHOLDER
        elif isinstance(result, _Leaf):
            root = batch.place(result, 0, b"", force=True)[0]
        else:
            root = result[0]
        return TreeUpdate(version, HashValue(root), batch.new_nodes, batch.stale)


def _slot_with_siblings(children: dict[int, Child], nib: int) -> tuple[int | None, list[bytes]]:
    """Walks the binary levels of one internal node towards ``nib``; returns the slot where the
    walk stops (None: an empty half) and the siblings met, top-down."""
    hashes = [_PLACEHOLDER] * 16
    exist = 0
    leaves = 0
    for n, (h, _v, leaf) in children.items():
        hashes[n] = h
        exist |= 1 << n
        if leaf:
            leaves |= 1 << n
    sibs: list[bytes] = []
    start, width = 0, 16
    while width > 1:
        half = width >> 1
        if nib < start + half:
            sibs.append(_hash_range(hashes, exist, leaves, start + half, half))
        else:
            sibs.append(_hash_range(hashes, exist, leaves, start, half))
            start += half
        width = half
        e = exist & (((1 << width) - 1) << start)
        if not e:
            return None, sibs
        if e & (e - 1) == 0 and leaves & e:
            return e.bit_length() - 1, sibs
    return nib, sibs


class _Batch:
    __slots__ = ("new_nodes", "stale", "tree", "version")

    def __init__(self, tree: StateTree, version: int) -> None:
        self.tree = tree
        self.version = version
        self.new_nodes: dict[bytes, bytes] = {}
        self.stale: list[bytes] = []

    def place(self, leaf: _Leaf, depth: int, path: bytes, force: bool = False) -> Child:
        """Puts ``leaf`` in the slot at ``depth``/``path``; returns the slot's child entry."""
        h = _leaf_digest(leaf.key, leaf.value_hash)
        old = leaf.old_key
        if old is not None and not force and old[8:] == bytes((depth,)) + path:
            return h, _VERSION.unpack_from(old)[0], True
        blob = leaf.blob
        if blob is None:
            if old is None:
                raise ValueError("leaf without blob")
            data = self.tree._load(old)
            blob = self.tree._leaf(old, data)[2]
        if old is not None:
            self.stale.append(old)
        self.new_nodes[node_key(self.version, depth, path)] = _encode_leaf(
            leaf.key, leaf.value_hash, blob
        )
        return h, self.version, True

    def build(self, depth: int, path: bytes, leaves: list[_Leaf]) -> _Leaf | Child | None:
        """A subtree holding exactly ``leaves`` (sorted by key) and nothing older."""
        if not leaves:
            return None
        if len(leaves) == 1:
            return leaves[0]
        children: dict[int, Child] = {}
        i = 0
        n = len(leaves)
        while i < n:
            nib = _nibble(leaves[i].key, depth)
            j = i + 1
            while j < n and _nibble(leaves[j].key, depth) == nib:
                j += 1
            cpath = _child_path(path, depth, nib)
            sub = self.build(depth + 1, cpath, leaves[i:j])
            if isinstance(sub, _Leaf):
                children[nib] = self.place(sub, depth + 1, cpath)
            elif sub is not None:
                children[nib] = sub
            i = j
        return self._write_internal(depth, path, children)

    def _write_internal(self, depth: int, path: bytes, children: dict[int, Child]) -> Child:
        self.new_nodes[node_key(self.version, depth, path)] = _encode_internal(children)
        return _internal_hash(children), self.version, False

    def subtree(
        self,
        depth: int,
        path: bytes,
        existing: tuple[bytes, bool] | None,
        updates: list[tuple[bytes, bytes | None]],
    ) -> _Leaf | Child | None:
        """The subtree at ``depth``/``path`` after ``updates`` (non-empty, sorted), given the
        node already there (its node key and whether it is a leaf)."""
        if existing is None:
            return self.build(
                depth, path, [_Leaf(k, blob_hash(b), b, None) for k, b in updates if b is not None]
            )
        nk, is_leaf = existing
        tree = self.tree
        data = tree._load(nk)
        if is_leaf:
            old_key, old_vh, _blob = tree._leaf(nk, data)
            leaves: list[_Leaf] = []
            kept = True
            for k, b in updates:
                if k == old_key:
                    kept = False
                    if b is not None:
                        vh = blob_hash(b)
                        if vh == old_vh:
                            kept = True
                        else:
                            leaves.append(_Leaf(k, vh, b, None))
                elif b is not None:
                    leaves.append(_Leaf(k, blob_hash(b), b, None))
            if kept:
                leaves.append(_Leaf(old_key, old_vh, None, nk))
                leaves.sort(key=lambda lf: lf.key)
            else:
                self.stale.append(nk)
            return self.build(depth, path, leaves)
        children = tree._internal(nk, data)
        self.stale.append(nk)
        i = 0
        n = len(updates)
        while i < n:
            nib = _nibble(updates[i][0], depth)
            j = i + 1
            while j < n and _nibble(updates[j][0], depth) == nib:
                j += 1
            cpath = _child_path(path, depth, nib)
            child = children.get(nib)
            sub_existing = None
            if child is not None:
                sub_existing = (node_key(child[1], depth + 1, cpath), child[2])
            sub = self.subtree(depth + 1, cpath, sub_existing, updates[i:j])
            if sub is None:
                children.pop(nib, None)
            elif isinstance(sub, _Leaf):
                children[nib] = self.place(sub, depth + 1, cpath)
            else:
                children[nib] = sub
            i = j
        if not children:
            return None
        if len(children) == 1:
            ((nib, (_h, v, leaf)),) = children.items()
            if leaf:
                cpath = _child_path(path, depth, nib)
                cnk = node_key(v, depth + 1, cpath)
                if v == self.version:
                    # Placed in this batch one level down: lift it instead.
                    enc = self.new_nodes.pop(cnk)
                    lkey, lvh, lblob = tree._leaf(cnk, enc)
                    return _Leaf(lkey, lvh, lblob, None)
                lkey, lvh, _b = tree._leaf(cnk, tree._load(cnk))
                return _Leaf(lkey, lvh, None, cnk)
        return self._write_internal(depth, path, children)


def reference_root(items: Sequence[tuple[bytes, bytes]]) -> HashValue:
    """The root hash of the tree holding ``items`` (key, blob), computed naively bit by bit;
    for tests and audits."""
    leaves = sorted((k, bytes(blob_hash(b))) for k, b in items)

    def rec(lo: int, hi: int, bit: int) -> bytes:
        if lo == hi:
            return _PLACEHOLDER
        if hi - lo == 1:
            return _leaf_digest(leaves[lo][0], leaves[lo][1])
        mid = lo
        while mid < hi and not (leaves[mid][0][bit >> 3] >> (7 - (bit & 7))) & 1:
            mid += 1
        return _internal_digest(rec(lo, mid, bit + 1), rec(mid, hi, bit + 1))

    return HashValue(rec(0, len(leaves), 0))
