"""The hand-built encodings and hashes of the commit path agree with the generic BCS encoder
and the reference accumulator."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from storage_helpers import block

from libra import bcs
from libra.crypto import ACCUMULATOR_PLACEHOLDER_HASH, CryptoHasher, HashValue
from libra.framework.events import RECEIVED_PAYMENT, SENT_PAYMENT
from libra.storage import accumulator as acc
from libra.storage.ledger_db import LedgerDB, _encode_info
from libra.storage.proof import (
    EVENT_ACCUMULATOR_HASHER,
    TRANSACTION_ACCUMULATOR_HASHER,
    InMemoryAccumulator,
    accumulator_root,
    accumulator_root_digest,
)
from libra.types import (
    AccountAddress,
    ContractEvent,
    ContractEventV0,
    EventKey,
    Executed,
    TransactionInfo,
    TypeTagU64,
)
from strategies import strategy_for

_EVENT_HASHER = CryptoHasher("ContractEvent")
_INFO_HASHER = CryptoHasher("TransactionInfo")

hashes = st.binary(min_size=32, max_size=32)


@st.composite
def events(draw: st.DrawFn) -> ContractEventV0:
    """Events with shared tag objects (as execution makes them), fresh ones, and any sizes."""
    tag = draw(
        st.one_of(
            st.sampled_from([SENT_PAYMENT, RECEIVED_PAYMENT]),
            strategy_for(ContractEventV0).map(lambda e: e.type_tag),
        )
    )
    return ContractEventV0(
        EventKey(draw(st.binary(min_size=24, max_size=24))),
        draw(st.integers(0, (1 << 64) - 1)),
        tag,
        draw(st.one_of(st.binary(max_size=140), st.binary(min_size=16_000, max_size=17_000))),
    )


@settings(max_examples=300)
@given(st.one_of(events(), strategy_for(ContractEvent)))
def test_event_encoding_and_hash(ev: ContractEvent) -> None:
    encoded = bcs.encode(ev)
    assert ev.encoded() == encoded
    assert ev.hash() == _EVENT_HASHER.hash(encoded)
    assert type(ev.hash()) is HashValue


def test_event_encoding_repeated_tag_objects() -> None:
    key = EventKey.create(3, AccountAddress.from_int(7))
    for i in range(600):  # more than the tag cache holds
        tag = TypeTagU64() if i % 2 else SENT_PAYMENT
        ev = ContractEventV0(key, i, tag, bytes(i % 200))
        assert ev.encoded() == bcs.encode(ev)


@settings(max_examples=300)
@given(
    st.one_of(
        strategy_for(TransactionInfo),
        st.builds(
            TransactionInfo,
            hashes.map(HashValue),
            hashes.map(HashValue),
            hashes.map(HashValue),
            st.integers(0, (1 << 64) - 1),
            st.just(Executed()),
        ),
    )
)
def test_info_encoding(info: TransactionInfo) -> None:
    encoded = _encode_info(info)
    assert encoded == bcs.encode(info)
    assert _INFO_HASHER.hash(encoded) == info.hash()


@settings(max_examples=200)
@given(st.lists(hashes, max_size=70))
def test_accumulator_root_matches_in_memory_accumulator(leaves: list[bytes]) -> None:
    expected = InMemoryAccumulator.from_leaves(EVENT_ACCUMULATOR_HASHER, leaves).root_hash
    assert accumulator_root(EVENT_ACCUMULATOR_HASHER, leaves) == expected
    assert accumulator_root_digest(EVENT_ACCUMULATOR_HASHER, leaves) == bytes(expected)
    if not leaves:
        assert expected == ACCUMULATOR_PLACEHOLDER_HASH


def _reference_append(
    reader: acc.NodeReader, num_leaves: int, leaves: list[bytes]
) -> dict[int, bytes]:
    """One leaf at a time, merging frozen left siblings on the way up."""
    new: dict[int, bytes] = {}
    for offset, leaf in enumerate(leaves):
        i = num_leaves + offset
        h = leaf
        new[2 * i] = h
        level = 0
        k = i
        while k & 1:
            left_pos = acc.position(level, k - 1)
            left = new[left_pos] if left_pos in new else reader(left_pos)
            h = TRANSACTION_ACCUMULATOR_HASHER.digest2(left, h)
            level += 1
            k >>= 1
            new[acc.position(level, k)] = h
    return new


@settings(max_examples=100)
@given(st.lists(st.lists(hashes, max_size=40), max_size=5))
def test_accumulator_append_matches_leaf_by_leaf(batches: list[list[bytes]]) -> None:
    store: dict[int, bytes] = {}
    n = 0
    for batch in batches:
        got = acc.append(store.__getitem__, TRANSACTION_ACCUMULATOR_HASHER, n, batch)
        assert got == _reference_append(store.__getitem__, n, batch)
        store.update(got)
        n += len(batch)
        assert acc.root_hash(store.__getitem__, TRANSACTION_ACCUMULATOR_HASHER, n) == (
            InMemoryAccumulator.from_leaves(
                TRANSACTION_ACCUMULATOR_HASHER, [store[2 * i] for i in range(n)]
            ).root_hash
        )


def test_inner_cache_drops_every_stale_node(tmp_path: Path) -> None:
    """Committing forgets the inner hashes of the nodes a block replaced (only the nodes whose
    hashes were used are looked up), whether the block was speculated on a chain or not."""
    db = LedgerDB.open(tmp_path / "db")
    try:
        stale: set[bytes] = set()
        for index in range(8):
            txns = block(5, index, 40, 400)
            if index % 3 == 2:
                # Two blocks speculated in a chain, then committed in order.
                first = db.speculate(None, txns)
                second = db.speculate(first, block(6, index, 40, 400))
                for s in (first, second):
                    db.commit_block(s)
                    assert s.tree is not None
                    stale.update(s.tree.stale)
            else:
                state = db.speculate(None, txns)
                db.commit_block(state)
                assert state.tree is not None
                stale.update(state.tree.stale)
            assert db._inner_cache
            assert not stale & set(db._inner_cache)
    finally:
        db.close()
