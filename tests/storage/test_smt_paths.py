"""Batch updates on a deeper tree: the single-update fast paths (cached and uncached nodes,
leaves rewritten in place, unchanged values, new keys splitting a leaf, deletions) write
exactly what the general path writes, and roots match the naive reference."""

from __future__ import annotations

import hashlib
import random

import pytest

from libra.crypto import HashValue
from libra.storage.smt import StateTree, reference_root


def key(i: int) -> bytes:
    return hashlib.sha3_256(i.to_bytes(4, "big")).digest()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_batches_on_a_deep_tree(seed: int) -> None:
    rng = random.Random(seed)
    population = 3_000
    state = {key(i): rng.randbytes(rng.randrange(1, 200)) for i in range(population)}
    plain_store: dict[bytes, bytes] = {}
    plain = StateTree(plain_store.get)
    store: dict[bytes, bytes] = {}
    inner: dict[bytes, tuple[bytes, int, int]] = {}
    cached = StateTree(store.get, inner=inner.get)
    ups0 = sorted(state.items())
    for tree, st in ((plain, plain_store), (cached, store)):
        r = tree.update(None, 0, ups0)
        st.update(r.new_nodes)
        if tree is cached:
            inner.update(r.inner)
    assert cached.root_hash(0) == reference_root(list(state.items()))
    for v in range(1, 80):
        batch: dict[bytes, bytes | None] = {}
        for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
            roll = rng.random()
            k = key(rng.randrange(population + 400))
            if roll < 0.6:
                batch[k] = rng.randbytes(rng.randrange(0, 300))
            elif roll < 0.75 and k in state:
                batch[k] = state[k]  # same value: the leaf is kept
            elif roll < 0.85:
                batch[k] = None
            else:
                batch[k] = b"new"
        ups = list(batch.items())
        a = plain.update(v - 1, v, ups)
        b = cached.update(v - 1, v, ups)
        assert (a.root_hash, a.new_nodes, sorted(a.stale)) == (
            b.root_hash,
            b.new_nodes,
            sorted(b.stale),
        )
        plain_store.update(a.new_nodes)
        store.update(b.new_nodes)
        for nk in b.stale:
            inner.pop(nk, None)
        inner.update(b.inner)
        for k, blob in ups:
            if blob is None:
                state.pop(k, None)
            else:
                state[k] = blob
        if v % 20 == 0:
            assert a.root_hash == reference_root(list(state.items()))
        for k, blob in ups:
            assert cached.get(k, v) == blob
            got, proof = cached.get_with_proof(k, v)
            assert got == blob
            proof.verify(a.root_hash, HashValue(k), blob)
