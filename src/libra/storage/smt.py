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

Inside an internal node the binary levels form a heap of 31 hashes: index 1 is the node's hash,
indices ``2 .. 15`` are the inner binary nodes and ``16 + nibble`` is a child slot. The 15 inner
hashes (480 bytes, index 1 first) of every node a batch writes are returned with it
(:attr:`TreeUpdate.inner`); given them back through the ``inner`` reader, a later batch that
changes one child of the node recomputes only the 4 hashes on that child's path instead of up to
15. They are a cache: nothing about them is stored, and a node without them is rehashed from its
children.

Node encodings are the BCS encodings of :class:`TreeNode` (hand-written here for speed; the
tests check they agree with :func:`libra.bcs.encode`).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated

from libra import bcs
from libra.crypto import SPARSE_MERKLE_PLACEHOLDER_HASH, HashValue, hash_prefix
from libra.storage.errors import CorruptionError, NotFoundError
from libra.storage.proof import (
    SPARSE_MERKLE_INTERNAL_HASHER,
    SPARSE_MERKLE_LEAF_HASHER,
    SparseMerkleLeafNode,
    SparseMerkleProof,
    blob_hash,
)

__all__ = [
    "INNER_HASHES_SIZE",
    "MIN_CACHED_CHILDREN",
    "InnerEntry",
    "InnerReader",
    "InternalTreeNode",
    "LeafTreeNode",
    "NodeReader",
    "NullTreeNode",
    "StateTree",
    "TreeChild",
    "TreeNode",
    "TreeUpdate",
    "node_key",
    "reference_root",
]

_PLACEHOLDER = bytes(SPARSE_MERKLE_PLACEHOLDER_HASH)
_sha3 = hashlib.sha3_256
_INTERNAL_SALT = hash_prefix("SparseMerkleInternal")
_LEAF_SALT = hash_prefix("SparseMerkleLeafNode")
_BLOB_SALT = hash_prefix("AccountStateBlob")
_INTERNAL_BASE = _sha3(_INTERNAL_SALT)
_LEAF_BASE = _sha3(_LEAF_SALT)
_BLOB_BASE = _sha3(_BLOB_SALT)

INNER_HASHES_SIZE = 15 * 32
"""Size of the cached inner hashes of one internal node."""


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
#
# A child record is the 42-byte encoding of TreeChild: nibble, hash (1:33), version as u64
# little-endian (33:41), is_leaf (41). Reversing the version bytes gives the big-endian version
# that starts the child's node key.

_CHILD = struct.Struct("<B32sQ?")
_CHILD_SIZE = _CHILD.size
_pack_child = _CHILD.pack
_NULL = b"\x02"
_VERSION = struct.Struct(">Q")
_DEPTH = tuple(bytes((d,)) for d in range(65))
_HIGH = tuple(bytes((b & 0xF0,)) for b in range(256))
_COUNT = tuple(bytes((0, n)) for n in range(17))

Records = list[bytes | None]
"""The 16 child slots of an internal node: each a 42-byte child record, or None."""


def _heap_mask(i: int) -> int:
    level = i.bit_length() - 1
    width = 16 >> level
    return ((1 << width) - 1) << ((i - (1 << level)) * width)


_MASK = tuple(_heap_mask(i) if i else 0 for i in range(32))
_BOTTOM_UP = tuple((i, _MASK[i]) for i in range(15, 0, -1))
_LOW = tuple((1 << n) - 1 for n in range(16))
_SMALL = tuple(bytes((n,)) for n in range(128))


def _uleb(n: int) -> bytes:
    if 128 <= n < 16384:
        return bytes(((n & 0x7F) | 0x80, n >> 7))
    out = bytearray()
    bcs.encode_uleb128(n, out)
    return bytes(out)


def child_record(nibble: int, child_hash: bytes, version: int, is_leaf: bool) -> bytes:
    """The encoding of one child slot (:class:`TreeChild`)."""
    return _pack_child(nibble, child_hash, version, is_leaf)


def encode_internal(recs: Records) -> bytes:
    """The encoding of an internal node with the child records ``recs`` (by nibble)."""
    present = [r for r in recs if r is not None]
    return _COUNT[len(present)] + b"".join(present)


def encode_leaf(key: bytes, value_hash: bytes, blob: bytes) -> bytes:
    """The encoding of a leaf node."""
    n = len(blob)
    return b"\x01" + key + value_hash + (_SMALL[n] if n < 128 else _uleb(n)) + blob


def node_key(version: int, depth: int, path: bytes) -> bytes:
    """The storage key of the node at nibble ``depth`` on ``path`` written by ``version``."""
    return _VERSION.pack(version) + _DEPTH[depth] + path


def _prefix(key: bytes, depth: int) -> bytes:
    """The packed nibble path of the first ``depth`` nibbles of ``key``."""
    half = depth >> 1
    if depth & 1:
        return key[:half] + _HIGH[key[half]]
    return key[:half]


def _slot_hash(recs: Records, slot: int) -> bytes:
    rec = recs[slot]
    return _PLACEHOLDER if rec is None else rec[1:33]


def _inner_hashes(
    slot_hash: Callable[[int], bytes],
    exist: int,
    leaves: int,
    old_inner: bytes | None,
    dirty: int,
) -> bytes:
    """The 15 inner hashes (heap index 1 first) of an internal node whose child ``n`` hashes
    to ``slot_hash(n)``. With ``old_inner`` (the node's hashes before the children in ``dirty``
    changed) only the dirty paths are rehashed. The children of heap index ``i < 8`` are
    adjacent (``2i`` and ``2i + 1``), so their 64 bytes are hashed straight from the buffer."""
    if old_inner is None:
        buf = bytearray(INNER_HASHES_SIZE)
        dirty = 0xFFFF
    else:
        buf = bytearray(old_inner)
    copy = _INTERNAL_BASE.copy
    for i, m in _BOTTOM_UP:
        if not dirty & m:
            continue
        e = exist & m
        if not e:
            h = _PLACEHOLDER
        elif not e & (e - 1) and leaves & e:
            h = slot_hash(e.bit_length() - 1)
        elif i >= 8:
            x = copy()
            x.update(slot_hash(2 * i - 16))
            x.update(slot_hash(2 * i - 15))
            h = x.digest()
        else:
            o = (2 * i - 1) * 32
            x = copy()
            x.update(buf[o : o + 64])
            h = x.digest()
        buf[(i - 1) * 32 : i * 32] = h
    return bytes(buf)


def _heap_hash(recs: Records, exist: int, leaves: int, i: int, inner: bytes | None) -> bytes:
    """The hash of heap index ``i`` of an internal node, from ``inner`` when given."""
    if i >= 16:
        return _slot_hash(recs, i - 16)
    if inner is not None:
        return inner[(i - 1) * 32 : i * 32]
    e = exist & _MASK[i]
    if not e:
        return _PLACEHOLDER
    if not e & (e - 1) and leaves & e:
        return _slot_hash(recs, e.bit_length() - 1)
    return _sha3(
        _INTERNAL_SALT
        + _heap_hash(recs, exist, leaves, 2 * i, None)
        + _heap_hash(recs, exist, leaves, 2 * i + 1, None)
    ).digest()


def _root_of(hs: list[bytes], exist: int, leaves: int, i: int) -> bytes:
    """The hash of heap index ``i`` of an internal node whose slot ``n`` hashes to
    ``hs[n]``, computing only what it needs."""
    e = exist & _MASK[i]
    if not e:
        return _PLACEHOLDER
    if not e & (e - 1) and leaves & e:
        return hs[e.bit_length() - 1]
    x = _INTERNAL_BASE.copy()
    if i >= 8:
        x.update(hs[2 * i - 16])
        x.update(hs[2 * i - 15])
    else:
        x.update(_root_of(hs, exist, leaves, 2 * i))
        x.update(_root_of(hs, exist, leaves, 2 * i + 1))
    return x.digest()


class _Leaf:
    """A leaf on its way to a slot: new or changed (``blob`` set, ``old_key`` None), or an
    existing unchanged one (``old_key`` set, ``blob`` loaded only if it must move)."""

    __slots__ = ("blob", "hash", "key", "old_key", "value_hash")

    def __init__(self, key: bytes, value_hash: bytes, blob: bytes | None, old_key: bytes | None):
        self.key = key
        self.value_hash = value_hash
        self.blob = blob
        self.old_key = old_key
        x = _LEAF_BASE.copy()
        x.update(key)
        x.update(value_hash)
        self.hash = x.digest()


def _new_leaf(key: bytes, blob: bytes) -> _Leaf:
    x = _BLOB_BASE.copy()
    x.update(blob)
    return _Leaf(key, x.digest(), blob, None)


class TreeUpdate:
    """The result of a batch: the new root hash, the nodes to write, the nodes made stale, and
    the inner hashes of the new internal nodes (a cache, see the module docstring).

    ``cached_stale`` lists the stale nodes whose inner hashes the batch was given (the only
    stale nodes a cache of inner hashes can hold); None means any stale node may be cached."""

    __slots__ = ("cached_stale", "inner", "new_nodes", "root_hash", "stale", "version")

    def __init__(
        self,
        version: int,
        root_hash: HashValue,
        new_nodes: dict[bytes, bytes],
        stale: list[bytes],
        inner: dict[bytes, InnerEntry],
        cached_stale: list[bytes] | None = None,
    ) -> None:
        self.version = version
        self.root_hash = root_hash
        self.new_nodes = new_nodes
        self.stale = stale
        self.inner = inner
        self.cached_stale = cached_stale


NodeReader = Callable[[bytes], bytes | None]
"""Returns the encoded node stored under a node key, or None."""
InnerEntry = tuple[bytes, int, int]
"""What the cache keeps of an internal node: its 15 inner hashes (480 bytes, heap index 1
first), the mask of its present children and the mask of its leaf children."""
InnerReader = Callable[[bytes], InnerEntry | None]
"""Returns the cache entry of the internal node under a node key, or None."""

MIN_CACHED_CHILDREN = 4
"""Nodes with fewer children are not worth caching: rehashing them costs as much as a path."""


class StateTree:
    """Reads and batch-updates the tree through a node reader (and, optionally, a reader of
    cached inner hashes).

    ``where`` names the store in error messages."""

    __slots__ = ("_inner", "_read", "where")

    def __init__(
        self, reader: NodeReader, where: str = "state tree", inner: InnerReader | None = None
    ) -> None:
        self._read = reader
        self._inner = inner
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

    def _internal(self, nk: bytes, data: bytes) -> tuple[Records, int, int]:
        """The child records, the mask of present children and the mask of leaf children."""
        n = data[1] if len(data) > 1 else 255
        if n > 16 or len(data) != 2 + n * _CHILD_SIZE:
            raise CorruptionError(self.where, f"corrupt internal node {nk.hex()}: bad length")
        recs: Records = [None] * 16
        exist = leaves = 0
        prev = -1
        for off in range(2, 2 + n * _CHILD_SIZE, _CHILD_SIZE):
            nib = data[off]
            flag = data[off + 41]
            if nib <= prev or nib > 15 or flag > 1:
                raise CorruptionError(
                    self.where, f"corrupt internal node {nk.hex()}: bad child at byte {off}"
                )
            prev = nib
            recs[nib] = data[off : off + _CHILD_SIZE]
            bit = 1 << nib
            exist |= bit
            if flag:
                leaves |= bit
        return recs, exist, leaves

    def _leaf_head(self, nk: bytes, data: bytes) -> tuple[bytes, bytes]:
        """The key and value hash of a leaf node, without decoding its blob."""
        if len(data) < 66 or data[0] != 1:
            raise CorruptionError(self.where, f"node {nk.hex()} should be a leaf")
        return data[1:33], data[33:65]

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

    def _cached(self, nk: bytes, data: bytes) -> InnerEntry | None:
        """The cache entry of internal node ``nk`` (encoded as ``data``), if any and if it
        agrees with the node's size."""
        if self._inner is None:
            return None
        entry = self._inner(nk)
        if entry is None or len(data) != 2 + _CHILD_SIZE * entry[1].bit_count():
            return None
        return entry

    # -- reading --------------------------------------------------------------------------------

    def root_hash(self, version: int) -> HashValue:
        """The root hash of the tree at ``version``."""
        nk = node_key(version, 0, b"")
        data = self._load(nk)
        tag = self._check_tag(nk, data)
        if tag == 2:
            return SPARSE_MERKLE_PLACEHOLDER_HASH
        if tag == 1:
            key, vh = self._leaf_head(nk, data)
            return HashValue(_sha3(_LEAF_SALT + key + vh).digest())
        entry = self._cached(nk, data)
        if entry is not None:
            return HashValue(entry[0][:32])
        recs, exist, leaves = self._internal(nk, data)
        return HashValue(_heap_hash(recs, exist, leaves, 1, None))

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
            recs, exist, leaves = self._internal(nk, data)
            entry = self._cached(nk, data)
            inner = entry[0] if entry is not None else None
            b = key[depth >> 1]
            nib = b & 0x0F if depth & 1 else b >> 4
            i = 1
            slot: int | None = None
            for level in range(3, -1, -1):
                go_right = (nib >> level) & 1
                child = 2 * i + go_right
                siblings.append(HashValue(_heap_hash(recs, exist, leaves, child ^ 1, inner)))
                e = exist & _MASK[child]
                if not e:
                    break
                if not e & (e - 1) and leaves & e:
                    slot = e.bit_length() - 1
                    break
                i = child
            else:
                slot = nib
            if slot is None:
                break
            rec = recs[slot]
            if rec is None:
                raise CorruptionError(self.where, f"node {nk.hex()}: empty slot {slot} on a path")
            path = _child_path(path, depth, slot)
            depth += 1
            nk = rec[40:32:-1] + _DEPTH[depth] + path
            if rec[41]:
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

    def get(self, key: bytes, version: int) -> bytes | None:
        """The blob stored under ``key`` at ``version`` (None if absent), without a proof."""
        depth = 0
        nk = node_key(version, 0, b"")
        while True:
            data = self._load(nk)
            tag = self._check_tag(nk, data)
            if tag == 2:
                return None
            if tag == 1:
                lkey, _vh, blob = self._leaf(nk, data)
                return blob if lkey == key else None
            recs, _exist, _leaves = self._internal(nk, data)
            b = key[depth >> 1]
            rec = recs[b & 0x0F if depth & 1 else b >> 4]
            if rec is None:
                return None
            depth += 1
            nk = rec[40:32:-1] + _DEPTH[depth] + _prefix(key, depth)

    def iter_leaves(self, version: int) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, blob) of the tree at ``version``, in key order."""
        return self._leaves_under(node_key(version, 0, b""), 0, b"")

    def _leaves_under(
        self, top: bytes, top_depth: int, top_path: bytes
    ) -> Iterator[tuple[bytes, bytes]]:
        stack: list[tuple[bytes, int, bytes]] = [(top, top_depth, top_path)]
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
            recs, _exist, _leaves = self._internal(nk, data)
            for nib in range(15, -1, -1):
                rec = recs[nib]
                if rec is not None:
                    cpath = _child_path(path, depth, nib)
                    stack.append((rec[40:32:-1] + _DEPTH[depth + 1] + cpath, depth + 1, cpath))

    def changes(
        self, old_version: int | None, new_version: int
    ) -> list[tuple[bytes, bytes | None]]:
        """Every key whose blob differs between the tree at ``old_version`` (None: the empty
        tree) and the tree at ``new_version``, with its blob at ``new_version`` (None: absent),
        in key order. Subtrees both versions share (same node key) are skipped, so the work is
        proportional to what changed."""
        out: list[tuple[bytes, bytes | None]] = []
        old = None if old_version is None else node_key(old_version, 0, b"")
        self._diff(old, node_key(new_version, 0, b""), 0, b"", out)
        out.sort()
        return out

    def _diff(
        self,
        a: bytes | None,
        b: bytes | None,
        depth: int,
        path: bytes,
        out: list[tuple[bytes, bytes | None]],
    ) -> None:
        if a == b:
            return
        da = None if a is None else self._load(a)
        db = None if b is None else self._load(b)
        if (
            a is not None
            and b is not None
            and da is not None
            and db is not None
            and self._check_tag(a, da) == 0
            and self._check_tag(b, db) == 0
        ):
            ra = self._internal(a, da)[0]
            rb = self._internal(b, db)[0]
            for nib in range(16):
                ca = ra[nib]
                cb = rb[nib]
                if ca == cb:
                    continue
                cpath = _child_path(path, depth, nib)
                sub = _DEPTH[depth + 1] + cpath
                self._diff(
                    None if ca is None else ca[40:32:-1] + sub,
                    None if cb is None else cb[40:32:-1] + sub,
                    depth + 1,
                    cpath,
                    out,
                )
            return
        old = {} if a is None else dict(self._leaves_under(a, depth, path))
        new = {} if b is None else dict(self._leaves_under(b, depth, path))
        for k, blob in new.items():
            if old.get(k) != blob:
                out.append((k, blob))
        for k in old:
            if k not in new:
                out.append((k, None))

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
        for k, _b in ups:
            if len(k) != 32:
                raise ValueError(f"state tree keys are 32 bytes, not {len(k)}")
        root_nk = node_key(version, 0, b"")
        existing: tuple[bytes, bool] | None = None
        if base_version is not None:
            old_root = node_key(base_version, 0, b"")
            data = self._load(old_root)
            tag = self._check_tag(old_root, data)
            existing = None if tag == 2 else (old_root, tag == 1)
            if tag == 2 or not ups:
                batch.stale.append(old_root)
            if not ups:
                batch.new_nodes[root_nk] = data
                entry = self._cached(old_root, data) if tag == 0 else None
                if entry is not None:
                    batch.inner[root_nk] = entry
                    batch.cached_stale.append(old_root)
                return TreeUpdate(
                    version,
                    self.root_hash(base_version),
                    batch.new_nodes,
                    batch.stale,
                    batch.inner,
                    batch.cached_stale,
                )
        if existing is None:
            result = batch.build(0, [_new_leaf(k, b) for k, b in ups if b is not None])
        else:
            result = batch.subtree(0, existing[0], existing[1], ups, 0, len(ups))
        if result is None:
            batch.new_nodes[root_nk] = _NULL
            root = _PLACEHOLDER
        elif isinstance(result, _Leaf):
            root = batch.place(result, 0, b"", force=True)[0]
        else:
            root = result
        return TreeUpdate(
            version, HashValue(root), batch.new_nodes, batch.stale, batch.inner, batch.cached_stale
        )


def _rehash_path(
    buf: bytearray, nib: int, h: bytes, exist: int, leaves: int, old_exist: int, data: bytes
) -> bytes:
    """Recomputes in ``buf`` (an internal node's 15 inner hashes, heap-ordered) the hashes on
    the path from child ``nib``, whose hash is now ``h``, to the node's root, and returns the
    root hash. ``exist`` and ``leaves`` are the node's child and leaf bitmaps after the change;
    sibling children's hashes come from ``data``, the node before it (children ``old_exist``).
    A subtree holding a single leaf takes that leaf's hash, as everywhere in the tree."""
    copy = _INTERNAL_BASE.copy
    for mask, is_right, slot_bit, sib_at, parent_at in _PATH_STEPS[nib]:
        e = exist & mask
        if e & (e - 1) or not leaves & e:
            sh: bytes | bytearray
            if slot_bit:
                if old_exist & slot_bit:
                    so = 3 + _CHILD_SIZE * (old_exist & (slot_bit - 1)).bit_count()
                    sh = data[so : so + 32]
                else:
                    sh = _PLACEHOLDER
            else:
                sh = buf[sib_at : sib_at + 32]
            x = copy()
            if is_right:
                x.update(sh)
                x.update(h)
            else:
                x.update(h)
                x.update(sh)
            h = x.digest()
        buf[parent_at : parent_at + 32] = h
    return h


def _path_steps(nib: int) -> tuple[tuple[int, bool, int, int, int], ...]:
    """The four steps from child slot ``nib`` up an internal node's heap: the parent's slot
    mask, whether the node is its parent's right child, the sibling's slot bit (bottom step;
    0 above), and the offsets in the inner hashes of the sibling and of the parent."""
    out = []
    i = 16 + nib
    while i > 1:
        parent = i >> 1
        sib = i ^ 1
        out.append(
            (
                _MASK[parent],
                bool(i & 1),
                1 << (sib - 16) if sib >= 16 else 0,
                (sib - 1) * 32,
                (parent - 1) * 32,
            )
        )
        i = parent
    return tuple(out)


_PATH_STEPS = tuple(_path_steps(nib) for nib in range(16))


class _Batch:
    __slots__ = ("cached_stale", "inner", "new_nodes", "stale", "tree", "version", "vkey")

    def __init__(self, tree: StateTree, version: int) -> None:
        self.tree = tree
        self.version = version
        self.vkey = _VERSION.pack(version)
        self.new_nodes: dict[bytes, bytes] = {}
        self.stale: list[bytes] = []
        self.cached_stale: list[bytes] = []
        self.inner: dict[bytes, InnerEntry] = {}

    def place(self, leaf: _Leaf, depth: int, path: bytes, force: bool = False) -> tuple[bytes, int]:
        """Puts ``leaf`` in the slot at ``depth``/``path``; returns (hash, version) of the
        slot's child entry."""
        old = leaf.old_key
        if old is not None and not force and old[8:] == _DEPTH[depth] + path:
            return leaf.hash, _VERSION.unpack_from(old)[0]
        blob = leaf.blob
        if blob is None:
            if old is None:
                raise ValueError("leaf without blob")
            blob = self.tree._leaf(old, self.tree._load(old))[2]
        if old is not None:
            self.stale.append(old)
        self.new_nodes[self.vkey + _DEPTH[depth] + path] = encode_leaf(
            leaf.key, leaf.value_hash, blob
        )
        return leaf.hash, self.version

    def _set_slot(
        self,
        recs: Records,
        depth: int,
        nib: int,
        path_key: bytes,
        sub: _Leaf | bytes | None,
    ) -> None:
        if sub is None:
            recs[nib] = None
        elif type(sub) is _Leaf:
            h, v = self.place(sub, depth + 1, _prefix(path_key, depth + 1))
            recs[nib] = _pack_child(nib, h, v, True)
        else:
            recs[nib] = _pack_child(nib, sub, self.version, False)

    def build(self, depth: int, leaves: list[_Leaf]) -> _Leaf | bytes | None:
        """A subtree holding exactly ``leaves`` (sorted by key) and nothing older; returns the
        single leaf to place, or the hash of the internal node written."""
        n = len(leaves)
        if not n:
            return None
        if n == 1:
            return leaves[0]
        recs: Records = [None] * 16
        half = depth >> 1
        odd = depth & 1
        i = 0
        while i < n:
            b = leaves[i].key[half]
            nib = b & 0x0F if odd else b >> 4
            j = i + 1
            while j < n:
                b = leaves[j].key[half]
                if (b & 0x0F if odd else b >> 4) != nib:
                    break
                j += 1
            sub = leaves[i] if j == i + 1 else self.build(depth + 1, leaves[i:j])
            self._set_slot(recs, depth, nib, leaves[i].key, sub)
            i = j
        exist = leaves_mask = 0
        for nib, rec in enumerate(recs):
            if rec is not None:
                exist |= 1 << nib
                if rec[41]:
                    leaves_mask |= 1 << nib
        return self._write_internal(
            depth,
            leaves[0].key,
            encode_internal(recs),
            lambda n: _slot_hash(recs, n),
            exist,
            leaves_mask,
            None,
            0,
        )

    def _write_internal(
        self,
        depth: int,
        path_key: bytes,
        encoded: bytes,
        slot_hash: Callable[[int], bytes],
        exist: int,
        leaves: int,
        old_inner: bytes | None,
        dirty: int,
    ) -> bytes:
        inner = _inner_hashes(slot_hash, exist, leaves, old_inner, dirty)
        nk = self.vkey + _DEPTH[depth] + _prefix(path_key, depth)
        self.new_nodes[nk] = encoded
        if exist.bit_count() >= MIN_CACHED_CHILDREN:
            self.inner[nk] = (inner, exist, leaves)
        return inner[:32]

    def leaf_in_place(
        self, nk: bytes, path: bytes, rec: bytes, key: bytes, blob: bytes | None
    ) -> bytes | None:
        """The fast path of a leaf child (node ``nk`` at ``path``, child record ``rec``) that
        ``key`` updates to the new ``blob``: the child record after the update, or None when
        the leaf holds another key or ``blob`` is None (left to :meth:`subtree`)."""
        if blob is None:
            return None
        tree = self.tree
        data = tree._read(nk)
        if data is None:
            data = tree._load(nk)  # raises
        if len(data) < 66 or data[0] != 1:
            tree._leaf_head(nk, data)  # raises
        if not data.startswith(key, 1):
            return None
        x = _BLOB_BASE.copy()
        x.update(blob)
        vh = x.digest()
        if data.startswith(vh, 33):
            return rec
        self.stale.append(nk)
        n = len(blob)
        self.new_nodes[self.vkey + path] = b"".join(
            (b"\x01", key, vh, _SMALL[n] if n < 128 else _uleb(n), blob)
        )
        x = _LEAF_BASE.copy()
        x.update(key)
        x.update(vh)
        return _pack_child(rec[0], x.digest(), self.version, True)

    def single(
        self,
        depth: int,
        nk: bytes,
        data: bytes,
        entry: InnerEntry,
        ups: list[tuple[bytes, bytes | None]],
        lo: int,
    ) -> bytes:
        """The hash of the internal node ``nk`` (encoded as ``data``, cached as ``entry``)
        after ``ups[lo]``, the only update below it, which is not a deletion. Walks down while
        the nodes on the key's path are cached, then rehashes only that path on the way up."""
        key, blob = ups[lo]
        if blob is None:
            raise ValueError("a deletion is not a single update")
        tree = self.tree
        read = tree._read
        inner = tree._inner
        stale = self.stale
        cached_stale = self.cached_stale
        frames: list[tuple[bytes, bytes, InnerEntry, int]] = []
        while True:
            b = key[depth >> 1]
            nib = b & 0x0F if depth & 1 else b >> 4
            frames.append((nk, data, entry, nib))
            stale.append(nk)
            cached_stale.append(nk)
            old_exist = entry[1]
            if not old_exist >> nib & 1:
                h, v = self.place(_new_leaf(key, blob), depth + 1, _prefix(key, depth + 1))
                new_rec = _pack_child(nib, h, v, True)
                break
            off = 2 + _CHILD_SIZE * (old_exist & _LOW[nib]).bit_count()
            child = data[off : off + _CHILD_SIZE]
            half = (depth + 1) >> 1
            if depth & 1:
                cpath = _DEPTH[depth + 1] + key[:half]
            else:
                cpath = _DEPTH[depth + 1] + key[:half] + _HIGH[key[half]]
            cnk = child[40:32:-1] + cpath
            if child[41] == 1:
                rec = self.leaf_in_place(cnk, cpath, child, key, blob)
                if rec is None:
                    rec = self._record(
                        nib, depth, key, self.subtree(depth + 1, cnk, True, ups, lo, lo + 1)
                    )
                new_rec = rec
                break
            cdata = read(cnk)
            if cdata is None:
                cdata = tree._load(cnk)  # raises
            if cdata[0] != 0:
                raise CorruptionError(tree.where, f"node {cnk.hex()} should be an internal node")
            centry = None if inner is None else inner(cnk)
            if centry is None or len(cdata) != 2 + _CHILD_SIZE * centry[1].bit_count():
                sub_hash = self.single_uncached(depth + 1, cnk, cdata, ups, lo)
                new_rec = _pack_child(nib, sub_hash, self.version, False)
                break
            depth += 1
            nk = cnk
            data = cdata
            entry = centry
        vkey = self.vkey
        version = self.version
        new_nodes = self.new_nodes
        new_inner = self.inner
        h = b""
        for nk, data, entry, nib in reversed(frames):
            if h:
                new_rec = _pack_child(nib, h, version, False)
            old_inner, old_exist, leaves = entry
            bit = 1 << nib
            exist = old_exist | bit
            if new_rec[41]:
                leaves |= bit
            else:
                leaves &= ~bit
            off = 2 + _CHILD_SIZE * (old_exist & _LOW[nib]).bit_count()
            if old_exist & bit:
                encoded = data[:off] + new_rec + data[off + _CHILD_SIZE :]
            else:
                encoded = _COUNT[exist.bit_count()] + data[2:off] + new_rec + data[off:]
            buf = bytearray(old_inner)
            h = _rehash_path(buf, nib, new_rec[1:33], exist, leaves, old_exist, data)
            nk_new = vkey + nk[8:]
            new_nodes[nk_new] = encoded
            new_inner[nk_new] = (bytes(buf), exist, leaves)
        return h

    def single_uncached(
        self,
        depth: int,
        nk: bytes,
        data: bytes,
        ups: list[tuple[bytes, bytes | None]],
        lo: int,
    ) -> bytes:
        """Like :meth:`single` for an internal node without cached inner hashes."""
        key, blob = ups[lo]
        if blob is None:
            raise ValueError("a deletion is not a single update")
        tree = self.tree
        recs, exist, leaves = tree._internal(nk, data)
        self.stale.append(nk)
        b = key[depth >> 1]
        nib = b & 0x0F if depth & 1 else b >> 4
        bit = 1 << nib
        rec = recs[nib]
        if rec is None:
            h, v = self.place(_new_leaf(key, blob), depth + 1, _prefix(key, depth + 1))
            new_rec = _pack_child(nib, h, v, True)
        else:
            half = (depth + 1) >> 1
            if depth & 1:
                cpath = _DEPTH[depth + 1] + key[:half]
            else:
                cpath = _DEPTH[depth + 1] + key[:half] + _HIGH[key[half]]
            cnk = rec[40:32:-1] + cpath
            is_leaf = rec[41] == 1
            found = self.leaf_in_place(cnk, cpath, rec, key, blob) if is_leaf else None
            if found is None:
                found = self._record(
                    nib, depth, key, self.subtree(depth + 1, cnk, is_leaf, ups, lo, lo + 1)
                )
            new_rec = found
        # Splice the new record into the old encoding.
        off = 2 + _CHILD_SIZE * (exist & _LOW[nib]).bit_count()
        if rec is None:
            encoded = _COUNT[(exist | bit).bit_count()] + data[2:off] + new_rec + data[off:]
        else:
            encoded = data[:off] + new_rec + data[off + _CHILD_SIZE :]
        recs[nib] = new_rec
        exist |= bit
        if new_rec[41]:
            leaves |= bit
        else:
            leaves &= ~bit
        new_nk = self.vkey + nk[8:]
        self.new_nodes[new_nk] = encoded
        hs = [_PLACEHOLDER if r is None else r[1:33] for r in recs]
        if exist.bit_count() < MIN_CACHED_CHILDREN:
            return _root_of(hs, exist, leaves, 1)
        inner = _inner_hashes(hs.__getitem__, exist, leaves, None, 0)
        self.inner[new_nk] = (inner, exist, leaves)
        return inner[:32]

    def _record(self, nib: int, depth: int, key: bytes, sub: _Leaf | bytes | None) -> bytes:
        """The child record of slot ``nib`` (at ``depth`` on ``key``'s path) holding ``sub``."""
        if sub is None:
            raise ValueError("an update without deletions emptied a subtree")
        if type(sub) is _Leaf:
            h, v = self.place(sub, depth + 1, _prefix(key, depth + 1))
            return _pack_child(nib, h, v, True)
        return _pack_child(nib, sub, self.version, False)

    def subtree(
        self,
        depth: int,
        nk: bytes,
        is_leaf: bool,
        ups: list[tuple[bytes, bytes | None]],
        lo: int,
        hi: int,
    ) -> _Leaf | bytes | None:
        """The subtree at ``depth`` (whose current node is ``nk``) after ``ups[lo:hi]``
        (non-empty, sorted, all under this node)."""
        tree = self.tree
        data = tree._read(nk)
        if data is None:
            data = tree._load(nk)  # raises
        if is_leaf:
            old_key, old_vh = tree._leaf_head(nk, data)
            if hi == lo + 1 and ups[lo][0] == old_key:
                # The common case: one account changes its own leaf.
                blob = ups[lo][1]
                if blob is None:
                    self.stale.append(nk)
                    return None
                leaf = _new_leaf(old_key, blob)
                if leaf.value_hash == old_vh:
                    leaf.blob = None
                    leaf.old_key = nk
                else:
                    self.stale.append(nk)
                return leaf
            new: list[_Leaf] = []
            kept = True
            for k, blob in ups[lo:hi]:
                if k == old_key:
                    kept = False
                    if blob is not None:
                        leaf = _new_leaf(k, blob)
                        if leaf.value_hash == old_vh:
                            kept = True
                        else:
                            new.append(leaf)
                elif blob is not None:
                    new.append(_new_leaf(k, blob))
            if kept:
                new.append(_Leaf(old_key, old_vh, None, nk))
                new.sort(key=lambda lf: lf.key)
            else:
                self.stale.append(nk)
            return self.build(depth, new)
        if data[0] != 0:
            raise CorruptionError(tree.where, f"node {nk.hex()} should be an internal node")
        inner = tree._inner
        entry = None if inner is None else inner(nk)
        if entry is not None and len(data) != 2 + _CHILD_SIZE * entry[1].bit_count():
            entry = None
        if entry is None:
            if hi == lo + 1 and ups[lo][1] is not None:
                return self.single_uncached(depth, nk, data, ups, lo)
            _recs, exist, leaves = tree._internal(nk, data)
            old_inner = None
        else:
            old_inner, exist, leaves = entry
            if hi == lo + 1 and ups[lo][1] is not None:
                return self.single(depth, nk, data, entry, ups, lo)
            self.cached_stale.append(nk)
        old_exist = exist
        self.stale.append(nk)

        def old_rec(nib: int) -> bytes | None:
            if not old_exist >> nib & 1:
                return None
            off = 2 + _CHILD_SIZE * (old_exist & _LOW[nib]).bit_count()
            return data[off : off + _CHILD_SIZE]

        half = depth >> 1
        odd = depth & 1
        dkey = _DEPTH[depth + 1]
        if hi == lo + 1 and old_inner is not None:
            # One deletion below a cached node (other single updates go to single()):
            # rehash only the path of its slot.
            k = ups[lo][0]
            b = k[half]
            nib = b & 0x0F if odd else b >> 4
            bit = 1 << nib
            off = 2 + _CHILD_SIZE * (old_exist & _LOW[nib]).bit_count()
            present = old_exist & bit
            if present:
                child = data[off : off + _CHILD_SIZE]
                sub = self.subtree(
                    depth + 1,
                    child[40:32:-1] + dkey + _prefix(k, depth + 1),
                    child[41] == 1,
                    ups,
                    lo,
                    hi,
                )
            else:
                blob = ups[lo][1]
                sub = None if blob is None else _new_leaf(k, blob)
            if sub is not None:
                if type(sub) is _Leaf:
                    h, v = self.place(sub, depth + 1, _prefix(k, depth + 1))
                    new_rec = _pack_child(nib, h, v, True)
                    leaves |= bit
                else:
                    new_rec = _pack_child(nib, sub, self.version, False)
                    leaves &= ~bit
                exist |= bit
                if present:
                    encoded = data[:off] + new_rec + data[off + _CHILD_SIZE :]
                else:
                    encoded = _COUNT[exist.bit_count()] + data[2:off] + new_rec + data[off:]
                buf = bytearray(old_inner)
                h = _rehash_path(buf, nib, new_rec[1:33], exist, leaves, old_exist, data)
                nk_new = self.vkey + _DEPTH[depth] + _prefix(k, depth)
                self.new_nodes[nk_new] = encoded
                self.inner[nk_new] = (bytes(buf), exist, leaves)
                return h
            changed: dict[int, bytes | None] = {nib: None}
            exist &= ~bit
            leaves &= ~bit
        else:
            changed = {}
            i = lo
            while i < hi:
                k = ups[i][0]
                b = k[half]
                nib = b & 0x0F if odd else b >> 4
                j = i + 1
                while j < hi:
                    b = ups[j][0][half]
                    if (b & 0x0F if odd else b >> 4) != nib:
                        break
                    j += 1
                if old_exist >> nib & 1:
                    off = 2 + _CHILD_SIZE * (old_exist & _LOW[nib]).bit_count()
                    rec: bytes | None = data[off : off + _CHILD_SIZE]
                else:
                    rec = None
                bit = 1 << nib
                if rec is None:
                    sub = self.build(
                        depth + 1, [_new_leaf(u, v) for u, v in ups[i:j] if v is not None]
                    )
                else:
                    cpath = dkey + _prefix(k, depth + 1)
                    cnk = rec[40:32:-1] + cpath
                    if rec[41] == 1 and j == i + 1:
                        in_place = self.leaf_in_place(cnk, cpath, rec, k, ups[i][1])
                        if in_place is not None:
                            changed[nib] = in_place
                            i = j
                            continue
                    sub = self.subtree(depth + 1, cnk, rec[41] == 1, ups, i, j)
                if sub is None:
                    changed[nib] = None
                    exist &= ~bit
                    leaves &= ~bit
                elif type(sub) is _Leaf:
                    h, v = self.place(sub, depth + 1, _prefix(k, depth + 1))
                    changed[nib] = _pack_child(nib, h, v, True)
                    exist |= bit
                    leaves |= bit
                else:
                    changed[nib] = _pack_child(nib, sub, self.version, False)
                    exist |= bit
                    leaves &= ~bit
                i = j

        def rec_at(nib: int) -> bytes | None:
            return changed[nib] if nib in changed else old_rec(nib)

        if not exist:
            return None
        if not exist & (exist - 1) and leaves:
            # One leaf child is left: lift it.
            nib = exist.bit_length() - 1
            rec = rec_at(nib)
            if rec is None:
                raise CorruptionError(tree.where, f"node {nk.hex()}: slot {nib} vanished")
            cnk = rec[40:32:-1] + dkey + _child_path(_prefix(ups[lo][0], depth), depth, nib)
            if rec[33:41] == self.vkey[::-1]:
                # Placed in this batch one level down: lift it instead.
                enc = self.new_nodes.pop(cnk)
                lkey, lvh, lblob = tree._leaf(cnk, enc)
                return _Leaf(lkey, lvh, lblob, None)
            lkey, lvh = tree._leaf_head(cnk, tree._load(cnk))
            return _Leaf(lkey, lvh, None, cnk)
        # Splice the changed records into the old encoding.
        parts = [_COUNT[exist.bit_count()]]
        pos = 2
        for nib in sorted(changed):
            off = 2 + _CHILD_SIZE * (old_exist & _LOW[nib]).bit_count()
            parts.append(data[pos:off])
            replacement = changed[nib]
            if replacement is not None:
                parts.append(replacement)
            pos = off + _CHILD_SIZE if old_exist >> nib & 1 else off
        parts.append(data[pos:])

        # The slot hashes the rehash needs: all of them without cached inner hashes, else
        # those of the changed slots and their siblings (others are read when needed).
        new_nk = self.vkey + _DEPTH[depth] + _prefix(ups[lo][0], depth)
        self.new_nodes[new_nk] = b"".join(parts)
        if old_inner is None:
            full = [_PLACEHOLDER] * 16
            for off in range(2, len(data), _CHILD_SIZE):
                full[data[off]] = data[off + 1 : off + 33]
            for nib, rec in changed.items():
                full[nib] = _PLACEHOLDER if rec is None else rec[1:33]
            if exist.bit_count() < MIN_CACHED_CHILDREN:
                # Not cached: only the node's own hash is needed.
                return _root_of(full, exist, leaves, 1)
            hashes = _inner_hashes(full.__getitem__, exist, leaves, None, 0)
            self.inner[new_nk] = (hashes, exist, leaves)
            return hashes[:32]
        hs: dict[int, bytes] = {}
        dirty = 0
        for nib, rec in changed.items():
            dirty |= 1 << nib
            hs[nib] = _PLACEHOLDER if rec is None else rec[1:33]
        for nib in changed:
            sib = nib ^ 1
            if sib not in hs:
                if old_exist >> sib & 1:
                    off = 2 + _CHILD_SIZE * (old_exist & _LOW[sib]).bit_count()
                    hs[sib] = data[off + 1 : off + 33]
                else:
                    hs[sib] = _PLACEHOLDER
        buf = bytearray(old_inner)
        copy = _INTERNAL_BASE.copy
        for i, m in _BOTTOM_UP:
            if not dirty & m:
                continue
            e = exist & m
            if not e:
                h = _PLACEHOLDER
            elif not e & (e - 1) and leaves & e:
                n = e.bit_length() - 1
                if n in hs:
                    h = hs[n]
                else:
                    off = 2 + _CHILD_SIZE * (old_exist & _LOW[n]).bit_count()
                    h = data[off + 1 : off + 33]
            elif i >= 8:
                x = copy()
                x.update(hs[2 * i - 16])
                x.update(hs[2 * i - 15])
                h = x.digest()
            else:
                o = (2 * i - 1) * 32
                x = copy()
                x.update(buf[o : o + 64])
                h = x.digest()
            buf[(i - 1) * 32 : i * 32] = h
        if exist.bit_count() >= MIN_CACHED_CHILDREN:
            self.inner[new_nk] = (bytes(buf), exist, leaves)
        return bytes(buf[:32])


def _child_path(path: bytes, depth: int, nib: int) -> bytes:
    if depth & 1:
        return path[:-1] + bytes((path[-1] | nib,))
    return path + bytes((nib << 4,))


def reference_root(items: Sequence[tuple[bytes, bytes]]) -> HashValue:
    """The root hash of the tree holding ``items`` (key, blob), computed naively bit by bit;
    for tests and audits."""
    leaves = sorted((k, bytes(blob_hash(b))) for k, b in items)

    def rec(lo: int, hi: int, bit: int) -> bytes:
        if lo == hi:
            return _PLACEHOLDER
        if hi - lo == 1:
            return SPARSE_MERKLE_LEAF_HASHER.digest2(leaves[lo][0], leaves[lo][1])
        mid = lo
        while mid < hi and not (leaves[mid][0][bit >> 3] >> (7 - (bit & 7))) & 1:
            mid += 1
        return SPARSE_MERKLE_INTERNAL_HASHER.digest2(rec(lo, mid, bit + 1), rec(mid, hi, bit + 1))

    return HashValue(rec(0, len(leaves), 0))
