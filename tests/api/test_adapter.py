"""The ledger database adapter: the certified version it reports is readable, with proofs,
even while a commit is in progress on another thread."""

from __future__ import annotations

import threading

from api_helpers import ALICE, BOB, Net

from libra.api.adapter import LedgerDBReader
from libra.storage.proof import ledger_info_of
from storage.storage_helpers import PausingEnv

WAIT_SECS = 10.0


def _check(reader: LedgerDBReader) -> int:
    latest = reader.latest()
    li = ledger_info_of(latest.ledger_info)
    v = latest.version
    assert li.version == v
    reader.get_transaction_info_with_proof(v, v).verify(li, v)
    reader.get_transactions_with_proof(v, 1, v, True).verify(li, v)
    for addr in (ALICE, BOB):
        reader.get_account_state_with_proof(addr, v, v).verify(li, v, addr)
        assert reader.get_account_state(addr, v) is not None
    return v


def test_latest_is_readable_during_a_commit(net: Net) -> None:
    reader = LedgerDBReader(net.db, 4)
    env = PausingEnv(net.db._env)
    net.db._env = env
    errors: list[BaseException] = []
    blocks = 4

    def writer() -> None:
        try:
            for _ in range(blocks):
                net.commit([])
        except BaseException as err:  # reported by the main thread
            errors.append(err)
            env.committed.set()

    t = threading.Thread(target=writer)
    t.start()
    seen = []
    try:
        for _ in range(blocks):
            assert env.committed.wait(WAIT_SECS), "the writer did not commit"
            env.committed.clear()
            if errors:
                break
            # The block is committed in LMDB; commit_block has not returned yet.
            try:
                seen.append(_check(reader))
            finally:
                env.checked.set()
    finally:
        env.checked.set()
        t.join(WAIT_SECS)
        net.db._env = env._env
    assert not errors, errors
    assert not env.timed_out
    assert seen == sorted(seen) and len(seen) == blocks
    assert _check(reader) == net.db.latest_version
