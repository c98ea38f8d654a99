"""Readers on other threads see commits whole: a ledger info returned by
``latest_ledger_info`` is never ahead of the ledger the database serves with it.

A commit is durable and visible in LMDB when its write transaction commits; the in-memory view
(version counts, roots, the latest ledger info) must not show the new ledger info before the
ledger it describes, nor the other way round. The first test stops every commit just after its
LMDB transaction has committed and checks, in that window, that every answer verifies against
the ledger info the reader was given; the second lets a writer and a reader run freely."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from storage_helpers import PausingEnv, address, block, commit, validators

from libra.crypto import Ed25519PrivateKey
from libra.storage import LedgerDB, NotFoundError
from libra.storage.proof import (
    TRANSACTION_ACCUMULATOR_HASHER,
    InMemoryAccumulator,
    verify_accumulator_consistency,
    verify_ledger_info,
)
from libra.types import EpochState

ACCOUNTS = 12
WAIT_SECS = 10.0


def check_consistent(db: LedgerDB, es: EpochState) -> int:
    """Takes the latest ledger info and checks that what the database serves at its version
    verifies against it; returns that version."""
    signed = db.latest_ledger_info()
    assert signed is not None
    li = verify_ledger_info(signed, es)
    v = li.version
    # The transaction and its info, proven against the ledger info.
    info = db.get_transaction_info_with_proof(v, v)
    info.verify(li, v)
    assert db.get_transaction(v).hash() == info.transaction_info.transaction_hash
    lst = db.get_transactions_with_proof(v, 1, v)
    lst.verify(li, v)
    # Account states (present or absent) at that version, proven against it.
    for a in range(0, ACCOUNTS + 2, 3):
        p = db.get_account_state_with_proof(address(a), v, v)
        p.verify(li, v, address(a))
    # The accumulator root of that version is the signed one.
    frozen = db.get_frozen_subtree_hashes(v + 1)
    root = InMemoryAccumulator(TRANSACTION_ACCUMULATOR_HASHER, frozen, v + 1).root_hash
    assert root == li.transaction_accumulator_hash
    verify_accumulator_consistency(
        TRANSACTION_ACCUMULATOR_HASHER,
        InMemoryAccumulator(TRANSACTION_ACCUMULATOR_HASHER, [], 0),
        db.get_accumulator_consistency_proof(None, v),
        v + 1,
        li.transaction_accumulator_hash,
    )
    # The status the database reports covers it.
    latest = db.latest_version
    assert latest is not None and latest >= v
    return v


def _filled(path: Path) -> tuple[LedgerDB, EpochState, list[Ed25519PrivateKey]]:
    es, keys = validators(4)
    db = LedgerDB.open(path)
    for b in range(3):
        commit(db, block(3, b, 4, ACCOUNTS), keys)
    return db, es, keys


def test_a_reader_in_the_commit_window_sees_a_consistent_ledger(tmp_path: Path) -> None:
    db, es, keys = _filled(tmp_path / "db")
    env = PausingEnv(db._env)
    db._env = env
    errors: list[BaseException] = []
    blocks = 8

    def writer() -> None:
        try:
            for b in range(3, 3 + blocks):
                commit(db, block(3, b, 4, ACCOUNTS), keys)
        except BaseException as err:  # reported by the main thread
            errors.append(err)
            env.committed.set()

    t = threading.Thread(target=writer)
    t.start()
    try:
        seen = []
        for _ in range(blocks):
            assert env.committed.wait(WAIT_SECS), "the writer did not commit"
            env.committed.clear()
            if errors:
                break
            # The block is committed in LMDB; commit_block has not returned yet.
            try:
                seen.append(check_consistent(db, es))
            finally:
                env.checked.set()
    finally:
        env.checked.set()
        t.join(WAIT_SECS)
    assert not errors, errors
    assert not env.timed_out
    assert seen == sorted(seen)
    db._env = env._env
    assert check_consistent(db, es) == db.latest_version == (3 + blocks) * 4 - 1
    db.close()


def test_readers_racing_a_writer_see_consistent_answers(tmp_path: Path) -> None:
    db, es, keys = _filled(tmp_path / "db")
    done = threading.Event()
    errors: list[BaseException] = []
    blocks = 60

    def writer() -> None:
        try:
            for b in range(3, 3 + blocks):
                commit(db, block(5, b, 2, ACCOUNTS), keys)
        except BaseException as err:  # reported by the main thread
            errors.append(err)
        finally:
            done.set()

    t = threading.Thread(target=writer)
    t.start()
    checks = 0
    deadline = time.monotonic() + 30
    try:
        while not done.is_set() and checks < 20_000 and time.monotonic() < deadline:
            try:
                check_consistent(db, es)
            except NotFoundError as err:
                pytest.fail(f"after {checks} consistent reads: {err}")
            checks += 1
    finally:
        t.join(WAIT_SECS)
    assert not errors, errors
    assert checks > 0
    check_consistent(db, es)
    db.close()
