"""The ledger database adapter: the certified version it reports is readable, with proofs,
even while a commit is in progress on another thread."""

from __future__ import annotations

import threading
from typing import Any

from api_helpers import ALICE, BOB, Net

from libra.api.adapter import LedgerDBReader
from libra.storage.proof import ledger_info_of

WAIT_SECS = 10.0


class _PausedWrite:
    def __init__(self, txn: Any, env: PausingEnv) -> None:
        self._txn = txn
        self._env = env

    def __enter__(self) -> Any:
        return self._txn.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        out = self._txn.__exit__(*exc)
        if exc[0] is None:
            self._env.committed.set()
            self._env.checked.wait(WAIT_SECS)
            self._env.checked.clear()
        return out


class PausingEnv:
    """Stands in for the database's LMDB environment: each write transaction, once LMDB has
    committed it, waits for the reader before the commit goes on."""

    def __init__(self, env: Any) -> None:
        self._env = env
        self.committed = threading.Event()
        self.checked = threading.Event()

    def begin(self, write: bool = False, **kw: Any) -> Any:
        txn = self._env.begin(write=write, **kw)
        return _PausedWrite(txn, self) if write else txn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)


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
    assert seen == sorted(seen) and len(seen) == blocks
    assert _check(reader) == net.db.latest_version
