"""Merkle accumulator: proofs, range proofs and consistency proofs verify, tampering fails."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libra.crypto import HashValue
from libra.storage import accumulator as acc
from libra.storage.proof import (
    TRANSACTION_ACCUMULATOR_HASHER as H,
)
from libra.storage.proof import (
    AccumulatorProof,
    AccumulatorRangeProof,
    InMemoryAccumulator,
    ProofError,
    accumulator_root,
    verify_accumulator_consistency,
)


def leaves(n: int) -> list[HashValue]:
    return [HashValue(hashlib.sha3_256(i.to_bytes(8, "big")).digest()) for i in range(n)]


def build(n: int) -> tuple[dict[int, bytes], HashValue]:
    nodes: dict[int, bytes] = {}
    for i, leaf in enumerate(leaves(n)):  # one leaf at a time, like block after block
        nodes.update(acc.append(nodes.__getitem__, H, i, [leaf]))
    return nodes, acc.root_hash(nodes.__getitem__, H, n)


def naive_root(hs: list[bytes]) -> bytes:
    """Root by definition: an empty subtree is the placeholder, whatever its height."""
    placeholder = bytes(acc.ACCUMULATOR_PLACEHOLDER_HASH)
    if not hs:
        return placeholder
    width = 1
    while width < len(hs):
        width *= 2

    def rec(start: int, size: int) -> bytes:
        if start >= len(hs):
            return placeholder
        if size == 1:
            return hs[start]
        return H.digest2(rec(start, size // 2), rec(start + size // 2, size // 2))

    return rec(0, width)


def flip(h: bytes, bit: int) -> HashValue:
    b = bytearray(h)
    b[bit // 8 % 32] ^= 1 << (bit % 8)
    return HashValue(bytes(b))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 100])
def test_root_matches_naive_and_in_memory(n: int) -> None:
    nodes, root = build(n)
    assert root == naive_root(leaves(n))
    assert root == accumulator_root(H, leaves(n))
    assert acc.frozen_subtree_hashes(nodes.__getitem__, n) == [
        HashValue(h) for h in InMemoryAccumulator.from_leaves(H, leaves(n)).frozen_subtree_roots
    ]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 200), data=st.data())
def test_leaf_proofs_verify_and_tampering_fails(n: int, data: st.DataObject) -> None:
    nodes, root = build(n)
    i = data.draw(st.integers(0, n - 1))
    leaf = leaves(n)[i]
    proof = acc.leaf_proof(nodes.__getitem__, H, n, i)
    proof.verify(H, root, leaf, i)
    bit = data.draw(st.integers(0, 255))
    with pytest.raises(ProofError):
        proof.verify(H, flip(root, bit), leaf, i)
    with pytest.raises(ProofError):
        proof.verify(H, root, flip(leaf, bit), i)
    if proof.siblings:
        j = data.draw(st.integers(0, len(proof.siblings) - 1))
        sibs = list(proof.siblings)
        sibs[j] = flip(sibs[j], bit)
        with pytest.raises(ProofError):
            AccumulatorProof(tuple(sibs)).verify(H, root, leaf, i)
        with pytest.raises(ProofError):
            proof.verify(H, root, leaf, i ^ 1 if i ^ 1 < n else i - 1 if i else i + 1)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 150), data=st.data())
def test_range_proofs(n: int, data: st.DataObject) -> None:
    nodes, root = build(n)
    first = data.draw(st.integers(0, n - 1))
    count = data.draw(st.integers(1, n - first))
    hs = leaves(n)[first : first + count]
    proof = acc.range_proof(nodes.__getitem__, H, n, first, count)
    proof.verify(H, root, first, hs)
    bit = data.draw(st.integers(0, 255))
    k = data.draw(st.integers(0, count - 1))
    bad = list(hs)
    bad[k] = flip(bad[k], bit)
    with pytest.raises(ProofError):
        proof.verify(H, root, first, bad)
    with pytest.raises(ProofError):
        proof.verify(H, flip(root, bit), first, hs)
    sides = [s for s in ("left", "right") if getattr(proof, f"{s}_siblings")]
    if sides:
        side = data.draw(st.sampled_from(sides))
        sibs = list(getattr(proof, f"{side}_siblings"))
        j = data.draw(st.integers(0, len(sibs) - 1))
        sibs[j] = flip(sibs[j], bit)
        tampered = (
            AccumulatorRangeProof(tuple(sibs), proof.right_siblings)
            if side == "left"
            else AccumulatorRangeProof(proof.left_siblings, tuple(sibs))
        )
        with pytest.raises(ProofError):
            tampered.verify(H, root, first, hs)
    AccumulatorRangeProof((), ()).verify(H, root, None, [])


@settings(max_examples=60, deadline=None)
@given(a=st.integers(0, 130), b=st.integers(0, 130), bit=st.integers(0, 255))
def test_consistency_between_any_two_versions(a: int, b: int, bit: int) -> None:
    small, big = min(a, b), max(a, b)
    nodes, root = build(big)
    old = InMemoryAccumulator.from_leaves(H, leaves(small))
    proof = acc.consistency_proof(nodes.__getitem__, big, small)
    new = verify_accumulator_consistency(H, old, proof, big, root)
    assert new.root_hash == root
    if proof.subtrees:
        sub = list(proof.subtrees)
        sub[bit % len(sub)] = flip(sub[bit % len(sub)], bit)
        with pytest.raises(ProofError):
            verify_accumulator_consistency(H, old, type(proof)(tuple(sub)), big, root)
    with pytest.raises(ProofError):
        verify_accumulator_consistency(H, old, proof, big, flip(root, bit))
    if small and big > small:
        wrong = InMemoryAccumulator.from_leaves(
            H, [flip(leaves(small)[0], bit), *leaves(small)[1:]]
        )
        with pytest.raises(ProofError):
            verify_accumulator_consistency(H, wrong, proof, big, root)
