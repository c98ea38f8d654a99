"""Authenticated storage: the transaction and event accumulators, the versioned sparse Merkle
tree of account state, the ledger database on LMDB, proofs and their verifiers, pruning, backup
and restore.

Clients only need :mod:`libra.storage.proof` (pure verifiers, no database)."""

from __future__ import annotations

from libra.storage.errors import (
    CommitError,
    CorruptionError,
    NotFoundError,
    StorageError,
    StorageFullError,
    WriteError,
)
from libra.storage.ledger_db import CommitResult, LedgerDB, SpeculativeState, TransactionToCommit
from libra.storage.proof import ProofError, account_key, blob_hash

__all__ = [
    "CommitError",
    "CommitResult",
    "CorruptionError",
    "LedgerDB",
    "NotFoundError",
    "ProofError",
    "SpeculativeState",
    "StorageError",
    "StorageFullError",
    "TransactionToCommit",
    "WriteError",
    "account_key",
    "blob_hash",
]
