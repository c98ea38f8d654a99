"""Builders shared by the storage tests and the crash-test child process."""

from __future__ import annotations

import random
import threading
from typing import Any

from libra.crypto import Ed25519PrivateKey, HashValue
from libra.storage import LedgerDB, TransactionToCommit
from libra.types import (
    AccountAddress,
    BlockInfo,
    BlockMetadata,
    BlockMetadataTransaction,
    ContractEventV0,
    EpochState,
    EventKey,
    LedgerInfo,
    LedgerInfoWithV0,
    TypeTagU64,
    ValidatorConsensusInfo,
    ValidatorVerifier,
)


def validators(n: int, epoch: int = 1, seed: int = 0) -> tuple[EpochState, list[Ed25519PrivateKey]]:
    """An epoch state of ``n`` equal validators and their keys."""
    keys = [Ed25519PrivateKey(bytes([seed, i]) * 16) for i in range(n)]
    infos = {
        AccountAddress.from_int(1000 + i): ValidatorConsensusInfo(k.public_key, 1)
        for i, k in enumerate(keys)
    }
    return EpochState(epoch, ValidatorVerifier.create(infos)), keys


def sign(
    li: LedgerInfo, keys: list[Ed25519PrivateKey], count: int | None = None
) -> LedgerInfoWithV0:
    """``li`` signed by the first ``count`` (default all) of ``keys``."""
    msg = li.signing_message()
    chosen = keys if count is None else keys[:count]
    sigs = {AccountAddress.from_int(1000 + i): k.sign(msg) for i, k in enumerate(chosen)}
    return LedgerInfoWithV0(li, dict(sorted(sigs.items())))


def address(i: int) -> AccountAddress:
    return AccountAddress.from_int(i + 1)


def block(seed: int, index: int, size: int, accounts: int) -> list[TransactionToCommit]:
    """A deterministic block: ``size`` transactions, each updating two accounts and emitting
    one event."""
    rng = random.Random(seed * 1_000_003 + index)
    out = []
    for t in range(size):
        txn = BlockMetadataTransaction(
            BlockMetadata(HashValue(rng.randbytes(32)), index, t, (), address(0))
        )
        updates: dict[AccountAddress, bytes | None] = {}
        for _ in range(2):
            a = rng.randrange(accounts)
            updates[address(a)] = (
                None if rng.random() < 0.05 else rng.randbytes(rng.randrange(1, 40))
            )
        ev = ContractEventV0(
            EventKey.create(index % 3, address(0)), index * size + t, TypeTagU64(), b"e"
        )
        out.append(TransactionToCommit(txn, updates, events=(ev,), gas_used=t))
    return out


def commit(
    db: LedgerDB,
    txns: list[TransactionToCommit],
    keys: list[Ed25519PrivateKey],
    epoch: int = 1,
    next_epoch: EpochState | None = None,
) -> LedgerInfoWithV0:
    """Commits ``txns`` with a ledger info signed by ``keys``; returns the ledger info."""
    acc_root, _ = db.speculative_roots(txns)
    version = db.num_transactions + len(txns) - 1
    info = BlockInfo(
        epoch, version + 1, HashValue(bytes(32)), acc_root, version, version, next_epoch
    )
    li = sign(LedgerInfo(info, HashValue(bytes(32))), keys)
    db.commit_block(txns, li)
    return li


PAUSE_SECS = 10.0
"""How long a paused write waits for the reader."""


class _PausedWrite:
    """A write transaction whose exit, once LMDB has committed it, hands over to the reader
    and waits for it (up to ``PAUSE_SECS``) before the commit goes on."""

    def __init__(self, txn: Any, env: PausingEnv) -> None:
        self._txn = txn
        self._env = env

    def __enter__(self) -> Any:
        return self._txn.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        out = self._txn.__exit__(*exc)
        if exc[0] is None:
            self._env.committed.set()
            if not self._env.checked.wait(PAUSE_SECS):
                self._env.timed_out = True
            self._env.checked.clear()
        return out


class PausingEnv:
    """Stands in for a database's LMDB environment: read transactions pass through, write
    transactions pause right after LMDB commits them (before ``commit_block`` returns)."""

    def __init__(self, env: Any) -> None:
        self._env = env
        self.committed = threading.Event()
        self.checked = threading.Event()
        self.timed_out = False

    def begin(self, write: bool = False, **kw: Any) -> Any:
        txn = self._env.begin(write=write, **kw)
        return _PausedWrite(txn, self) if write else txn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)
