"""Storage benchmark: state commitment and proof reads on a scratch ledger database."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from typing import Any

from libra.crypto import HashValue
from libra.storage.ledger_db import LedgerDB, TransactionToCommit
from libra.types import AccountAddress, BlockMetadata, BlockMetadataTransaction

__all__ = ["run"]


def _address(i: int) -> AccountAddress:
    return AccountAddress.from_int(i + 1)


def run(
    accounts: int = 100_000,
    blocks: int = 10,
    block_size: int = 1_000,
    updates_per_block: int = 2_000,
    proof_reads: int = 1_000,
    blob_size: int = 100,
    seed: int = 0,
    path: str | None = None,
) -> dict[str, Any]:
    """Creates ``accounts`` accounts (genesis, not timed), then commits ``blocks`` blocks of
    ``block_size`` transactions updating ``updates_per_block`` random accounts each, then reads
    ``proof_reads`` account states with proofs. Returns JSON-able figures."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as scratch:
        db = LedgerDB.open(path or scratch)
        try:
            genesis = BlockMetadataTransaction(
                BlockMetadata(HashValue(bytes(32)), 0, 0, (), _address(0))
            )
            chunk = 50_000
            for start in range(0, accounts, chunk):
                ups: dict[AccountAddress, bytes | None] = {
                    _address(i): rng.randbytes(blob_size)
                    for i in range(start, min(accounts, start + chunk))
                }
                db.commit_block([TransactionToCommit(genesis, ups)])
            times = []
            for b in range(blocks):
                txns = []
                per_txn = max(1, updates_per_block // block_size)
                for t in range(block_size):
                    ups = {
                        _address(rng.randrange(accounts)): rng.randbytes(blob_size)
                        for _ in range(per_txn)
                    }
                    txn = BlockMetadataTransaction(
                        BlockMetadata(HashValue(rng.randbytes(32)), b + 1, t, (), _address(0))
                    )
                    txns.append(TransactionToCommit(txn, ups))
                t0 = time.perf_counter()
                db.commit_block(txns)
                times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for _ in range(proof_reads):
                db.get_account_state_with_proof(_address(rng.randrange(accounts)))
            read_time = time.perf_counter() - t0
        finally:
            db.close()
    median = statistics.median(times) if times else 0.0
    return {
        "accounts": accounts,
        "blocks": blocks,
        "block_size": block_size,
        "updates_per_block": updates_per_block,
        "median_block_commit_seconds": median,
        "committed_tps_median": block_size / median if median else 0.0,
        "committed_tps_overall": block_size * blocks / sum(times) if times else 0.0,
        "proof_reads_per_second": proof_reads / read_time if read_time else 0.0,
    }
