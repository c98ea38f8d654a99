"""Speculative execution over uncommitted blocks: chains of speculative states give the roots,
infos and account blobs that committing gives, sibling forks do not interfere, and a
speculative state is committed only on top of exactly the state it was computed on."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from storage_helpers import address, block, sign, validators

from libra.crypto import HashValue
from libra.storage import CommitError, LedgerDB, SpeculativeState, TransactionToCommit
from libra.types import AccountAddress, BlockInfo, LedgerInfo

ACCOUNTS = 30


def expected_blobs(
    blocks: Sequence[Sequence[TransactionToCommit]],
) -> dict[AccountAddress, bytes]:
    state: dict[AccountAddress, bytes] = {}
    for txns in blocks:
        for t in txns:
            for a, blob in t.account_updates.items():
                if blob is None:
                    state.pop(a, None)
                else:
                    state[a] = blob
    return state


def check_reads(spec: SpeculativeState, state: dict[AccountAddress, bytes]) -> None:
    for i in range(ACCOUNTS):
        assert spec.get_account_blob(address(i)) == state.get(address(i))


def test_chain_roots_equal_committed_roots(tmp_path: Path) -> None:
    db = LedgerDB.open(tmp_path / "db")
    direct = LedgerDB.open(tmp_path / "direct")
    blocks = [block(21, b, 6, ACCOUNTS) for b in range(4)]
    db.commit_block(blocks[0])
    direct.commit_block(blocks[0])
    s1 = db.speculate(None, blocks[1])
    s2 = db.speculate(s1, blocks[2])
    s3 = db.speculate(s2, blocks[3])
    assert (s1.first_version, s2.first_version, s3.first_version) == (6, 12, 18)
    assert s3.version == 23 and s3.num_transactions == 24
    for n, s in enumerate((s1, s2, s3), start=1):
        check_reads(s, expected_blobs(blocks[: n + 1]))
    assert db.num_transactions == 6  # speculation writes nothing
    for s, txns in zip((s1, s2, s3), blocks[1:], strict=True):
        res = direct.commit_block(txns)
        assert (s.accumulator_root, s.state_root, s.infos) == (
            res.accumulator_root,
            res.state_root,
            res.transaction_infos,
        )
        mine = db.commit_block(s)
        assert mine == res
        assert s.committed
    assert db.state_root == direct.state_root
    for i in range(ACCOUNTS):
        assert db.get_account_state(address(i)) == direct.get_account_state(address(i))
    db.close()
    reopened = LedgerDB.open(tmp_path / "db")
    assert (reopened.num_transactions, reopened.accumulator_root) == (24, direct.accumulator_root)


def test_sibling_forks_do_not_interfere(tmp_path: Path) -> None:
    db = LedgerDB.open(tmp_path / "db")
    base = block(22, 0, 5, ACCOUNTS)
    db.commit_block(base)
    a1 = db.speculate(None, block(22, 1, 5, ACCOUNTS))
    b1 = db.speculate(None, block(23, 1, 5, ACCOUNTS))
    a2 = db.speculate(a1, block(22, 2, 5, ACCOUNTS))
    b2 = db.speculate(b1, block(23, 2, 5, ACCOUNTS))
    assert a1.first_version == b1.first_version == 5
    assert a1.state_root != b1.state_root and a2.state_root != b2.state_root
    check_reads(a2, expected_blobs([base, a1.transactions, a2.transactions]))
    check_reads(b2, expected_blobs([base, b1.transactions, b2.transactions]))
    with pytest.raises(CommitError):
        db.commit_block(a2)  # its parent is not committed
    db.commit_block(a1)
    with pytest.raises(CommitError) as info:
        db.commit_block(b1)  # the other fork no longer extends the ledger
    assert "accumulator root" in str(info.value)
    with pytest.raises(CommitError):
        db.commit_block(a1)  # twice
    # The losing fork still reads its own state, though the store now holds the other one.
    check_reads(b2, expected_blobs([base, b1.transactions, b2.transactions]))
    a3 = db.speculate(a2, block(22, 3, 5, ACCOUNTS))
    db.commit_block(a2)
    db.commit_block(a3)
    check_reads(a3, expected_blobs([base, a1.transactions, a2.transactions, a3.transactions]))
    assert db.state_root == a3.state_root and db.num_transactions == 20


def test_commit_with_ledger_info_and_empty_block(tmp_path: Path) -> None:
    _es, keys = validators(4)
    db = LedgerDB.open(tmp_path / "db")
    s1 = db.speculate(None, block(24, 0, 4, ACCOUNTS))
    empty = db.speculate(s1, [])
    assert (empty.accumulator_root, empty.state_root, empty.version) == (
        s1.accumulator_root,
        s1.state_root,
        s1.version,
    )
    li = sign(
        LedgerInfo(
            BlockInfo(1, 1, HashValue(bytes(32)), s1.accumulator_root, 3, 3, None),
            HashValue(bytes(32)),
        ),
        keys,
    )
    bad = sign(
        LedgerInfo(
            BlockInfo(1, 1, HashValue(bytes(32)), s1.state_root, 3, 3, None),
            HashValue(bytes(32)),
        ),
        keys,
    )
    with pytest.raises(CommitError):
        db.commit_block(s1, bad)
    assert db.num_transactions == 0
    db.commit_block(s1, li)
    assert db.latest_ledger_info() == li
    db.commit_block(empty)
    assert db.num_transactions == 4
    check_reads(empty, expected_blobs([s1.transactions]))
    other = LedgerDB.open(tmp_path / "other")
    with pytest.raises(CommitError):
        other.commit_block(db.speculate(None, block(24, 1, 2, ACCOUNTS)))
    with pytest.raises(CommitError):
        other.speculate(s1, [])


@settings(max_examples=12, deadline=None)
@given(
    shape=st.lists(st.integers(0, 3), min_size=1, max_size=7),
    winner=st.integers(0, 100),
)
def test_random_fork_trees_match_direct_commits(
    tmp_path_factory: pytest.TempPathFactory, shape: list[int], winner: int
) -> None:
    """Builds a random tree of speculative blocks (each block's parent is one of the earlier
    ones), commits one root-to-leaf branch, and compares with committing that branch's
    transactions directly on a fresh store."""
    root = tmp_path_factory.mktemp("fork")
    db = LedgerDB.open(root / "db")
    nodes: list[tuple[SpeculativeState, list[list[TransactionToCommit]]]] = []
    for n, pick in enumerate(shape):
        parent = nodes[pick % len(nodes)] if nodes and pick else None
        txns = block(31 + n, n, 3, ACCOUNTS)
        spec = db.speculate(parent[0] if parent else None, txns)
        history = (parent[1] if parent else []) + [txns]
        nodes.append((spec, history))
        check_reads(spec, expected_blobs(history))
    spec, history = nodes[winner % len(nodes)]
    chain = list(reversed(spec.chain()))
    direct = LedgerDB.open(root / "direct")
    for s, txns in zip(chain, history, strict=True):
        res = direct.commit_block(txns)
        assert db.commit_block(s) == res
    assert (db.accumulator_root, db.state_root) == (direct.accumulator_root, direct.state_root)
    db.close()
    direct.close()
