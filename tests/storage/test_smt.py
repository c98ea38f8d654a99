"""Sparse Merkle tree: roots equal a naive reference, old versions stay readable, proofs verify
and tampering fails."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libra import bcs
from libra.crypto import SPARSE_MERKLE_PLACEHOLDER_HASH, HashValue
from libra.storage.errors import CorruptionError
from libra.storage.proof import ProofError, SparseMerkleLeafNode, SparseMerkleProof
from libra.storage.smt import (
    InternalTreeNode,
    LeafTreeNode,
    StateTree,
    TreeChild,
    child_record,
    encode_internal,
    encode_leaf,
    reference_root,
)


def key(i: int) -> bytes:
    return hashlib.sha3_256(i.to_bytes(4, "big")).digest()


def flip(h: bytes, bit: int) -> HashValue:
    b = bytearray(h)
    b[bit // 8 % 32] ^= 1 << (bit % 8)
    return HashValue(bytes(b))


updates_st = st.lists(
    st.dictionaries(
        st.integers(0, 60), st.one_of(st.none(), st.binary(min_size=0, max_size=8)), max_size=25
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(batches=updates_st)
def test_roots_match_reference_and_old_versions_stay_readable(
    batches: list[dict[int, bytes | None]],
) -> None:
    store: dict[bytes, bytes] = {}
    tree = StateTree(store.get)
    states: list[dict[bytes, bytes]] = []
    state: dict[bytes, bytes] = {}
    for v, batch in enumerate(batches):
        ups = [(key(i), b) for i, b in batch.items()]
        result = tree.update(v - 1 if v else None, v, ups)
        store.update(result.new_nodes)
        for k, b in ups:
            if b is None:
                state.pop(k, None)
            else:
                state[k] = b
        states.append(dict(state))
        assert result.root_hash == reference_root(list(state.items()))
    for v, st_v in enumerate(states):
        root = tree.root_hash(v)
        assert root == reference_root(list(st_v.items()))
        assert dict(tree.iter_leaves(v)) == st_v
        for i in range(0, 61, 7):
            blob, proof = tree.get_with_proof(key(i), v)
            assert blob == st_v.get(key(i))
            proof.verify(root, HashValue(key(i)), blob)


def test_empty_tree_and_single_leaf() -> None:
    store: dict[bytes, bytes] = {}
    tree = StateTree(store.get)
    r = tree.update(None, 0, [])
    store.update(r.new_nodes)
    assert r.root_hash == SPARSE_MERKLE_PLACEHOLDER_HASH
    blob, proof = tree.get_with_proof(key(1), 0)
    assert blob is None and proof == SparseMerkleProof(None, ())
    proof.verify(r.root_hash, HashValue(key(1)), None)
    r = tree.update(0, 1, [(key(1), b"x")])
    store.update(r.new_nodes)
    assert r.root_hash == reference_root([(key(1), b"x")])
    blob, proof = tree.get_with_proof(key(2), 1)
    proof.verify(r.root_hash, HashValue(key(2)), None)  # non-inclusion by another leaf
    r = tree.update(1, 2, [(key(1), None)])
    store.update(r.new_nodes)
    assert r.root_hash == SPARSE_MERKLE_PLACEHOLDER_HASH
    assert tree.root_hash(1) == reference_root([(key(1), b"x")])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 80), data=st.data())
def test_tampered_proofs_fail(n: int, data: st.DataObject) -> None:
    store: dict[bytes, bytes] = {}
    tree = StateTree(store.get)
    items = [(key(i), bytes([i]) * 3) for i in range(n)]
    r = tree.update(None, 0, items)
    store.update(r.new_nodes)
    i = data.draw(st.integers(0, n + 20))
    blob, proof = tree.get_with_proof(key(i), 0)
    k = HashValue(key(i))
    proof.verify(r.root_hash, k, blob)
    bit = data.draw(st.integers(0, 255))
    with pytest.raises(ProofError):
        proof.verify(flip(r.root_hash, bit), k, blob)
    if blob is not None:
        with pytest.raises(ProofError):
            proof.verify(r.root_hash, k, blob + b"!")
        with pytest.raises(ProofError):
            proof.verify(r.root_hash, k, None)
    else:
        with pytest.raises(ProofError):
            proof.verify(r.root_hash, k, b"claimed")
    if proof.siblings:
        sibs = list(proof.siblings)
        j = data.draw(st.integers(0, len(sibs) - 1))
        sibs[j] = flip(sibs[j], bit)
        with pytest.raises(ProofError):
            SparseMerkleProof(proof.leaf, tuple(sibs)).verify(r.root_hash, k, blob)
    if proof.leaf is not None:
        bad_leaf = SparseMerkleLeafNode(proof.leaf.key, flip(proof.leaf.value_hash, bit))
        with pytest.raises(ProofError):
            SparseMerkleProof(bad_leaf, proof.siblings).verify(r.root_hash, k, blob)


def test_node_encodings_are_bcs() -> None:
    recs: list[bytes | None] = [None] * 16
    recs[3] = child_record(3, b"a" * 32, 7, True)
    recs[12] = child_record(12, b"b" * 32, 9, False)
    assert encode_internal(recs) == bcs.encode(
        InternalTreeNode((TreeChild(3, b"a" * 32, 7, True), TreeChild(12, b"b" * 32, 9, False)))
    )
    assert encode_leaf(b"k" * 32, b"v" * 32, b"blob" * 50) == bcs.encode(
        LeafTreeNode(b"k" * 32, b"v" * 32, b"blob" * 50)
    )


def test_proof_bcs_roundtrip() -> None:
    store: dict[bytes, bytes] = {}
    tree = StateTree(store.get)
    r = tree.update(None, 0, [(key(i), b"x") for i in range(20)])
    store.update(r.new_nodes)
    _, proof = tree.get_with_proof(key(3), 0)
    assert bcs.decode(SparseMerkleProof, bcs.encode(proof)) == proof


@settings(max_examples=40, deadline=None)
@given(batches=updates_st, drop=st.integers(0, 3))
def test_cached_inner_hashes_give_the_same_tree(
    batches: list[dict[int, bytes | None]], drop: int
) -> None:
    """Updating with the inner-hash cache (some entries missing) writes exactly the nodes and
    roots that updating without it writes, and proofs read with the cache are the same."""
    plain_store: dict[bytes, bytes] = {}
    plain = StateTree(plain_store.get)
    store: dict[bytes, bytes] = {}
    inner: dict[bytes, bytes] = {}
    cached = StateTree(store.get, inner=inner.get)
    for v, batch in enumerate(batches):
        ups = [(key(i), b) for i, b in batch.items()]
        a = plain.update(v - 1 if v else None, v, ups)
        b = cached.update(v - 1 if v else None, v, ups)
        assert (a.root_hash, a.new_nodes, sorted(a.stale)) == (
            b.root_hash,
            b.new_nodes,
            sorted(b.stale),
        )
        plain_store.update(a.new_nodes)
        store.update(b.new_nodes)
        for n, nk in enumerate(sorted(b.inner)):
            if n % 4 != drop:
                inner[nk] = b.inner[nk]
        assert cached.root_hash(v) == plain.root_hash(v) == a.root_hash
        for i in range(0, 61, 5):
            assert cached.get_with_proof(key(i), v) == plain.get_with_proof(key(i), v)
            assert cached.get(key(i), v) == plain.get_with_proof(key(i), v)[0]


def test_corrupt_internal_node_is_refused() -> None:
    store: dict[bytes, bytes] = {}
    tree = StateTree(store.get, "somewhere")
    r = tree.update(None, 0, [(key(i), b"x") for i in range(40)])
    store.update(r.new_nodes)
    root = next(k for k in r.new_nodes if k[8:] == b"\x00")
    good = store[root]
    for bad in (good[:-1], good[:2] + bytes([16]) + good[3:], good[:43] + b"\x02" + good[44:]):
        store[root] = bad
        with pytest.raises(CorruptionError) as info:
            tree.get_with_proof(key(1), 0)
        assert "somewhere" in str(info.value)


@settings(max_examples=40, deadline=None)
@given(batches=updates_st, data=st.data())
def test_changes_between_versions(
    batches: list[dict[int, bytes | None]], data: st.DataObject
) -> None:
    store: dict[bytes, bytes] = {}
    tree = StateTree(store.get)
    states: list[dict[bytes, bytes]] = []
    state: dict[bytes, bytes] = {}
    for v, batch in enumerate(batches):
        r = tree.update(v - 1 if v else None, v, [(key(i), b) for i, b in batch.items()])
        store.update(r.new_nodes)
        for i, b in batch.items():
            if b is None:
                state.pop(key(i), None)
            else:
                state[key(i)] = b
        states.append(dict(state))
    new = data.draw(st.integers(0, len(batches) - 1))
    old = data.draw(st.one_of(st.none(), st.integers(0, new)))
    before = {} if old is None else states[old]
    after = states[new]
    expected = sorted(
        [(k, b) for k, b in after.items() if before.get(k) != b]
        + [(k, None) for k in before if k not in after]
    )
    assert tree.changes(old, new) == expected
