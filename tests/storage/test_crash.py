"""Crash safety: a writer is SIGKILLed at random moments; after every restart the store opens
at a block boundary, loses nothing that was reported committed, and proves what it holds."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crash_writer import ACCOUNTS, BLOCK
from storage_helpers import address, block, validators

from libra.storage import LedgerDB, account_key
from libra.storage.proof import verify_ledger_info
from libra.storage.smt import StateTree

WRITER = Path(__file__).with_name("crash_writer.py")


class Model:
    """The expected state, rebuilt in memory block by block."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.store: dict[bytes, bytes] = {}
        self.tree = StateTree(self.store.get)
        self.roots: list[bytes] = []

    def root_after(self, blocks: int) -> bytes:
        while len(self.roots) < blocks:
            b = len(self.roots)
            merged: dict[bytes, bytes | None] = {}
            for t in block(self.seed, b, BLOCK, ACCOUNTS):
                for a, blob in t.account_updates.items():
                    merged[bytes(account_key(a))] = blob
            base = (b * BLOCK - 1) if b else None
            r = self.tree.update(base, (b + 1) * BLOCK - 1, list(merged.items()))
            self.store.update(r.new_nodes)
            self.roots.append(r.root_hash)
        return self.roots[blocks - 1]


def run_cycles(tmp_path: Path, cycles: int, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "db"
    es, _ = validators(4)
    model = Model(seed)
    reported = -1
    for _ in range(cycles):
        child = subprocess.Popen(
            [sys.executable, str(WRITER), str(path), str(seed)],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(rng.uniform(0.35, 0.9))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        lines = out.split()
        if lines:
            reported = int(lines[-1])
        db = LedgerDB.open(path)
        try:
            n = db.num_transactions
            assert n % BLOCK == 0
            blocks = n // BLOCK
            assert blocks >= reported + 1, "a reported commit was lost"
            if not blocks:
                continue
            li = verify_ledger_info(db.latest_ledger_info(), es)
            assert li.version == n - 1
            assert db.state_root == model.root_after(blocks)
            for a in rng.sample(range(ACCOUNTS), 5):
                db.get_account_state_with_proof(address(a)).verify(li, n - 1, address(a))
            db.get_transactions_with_proof(max(0, n - 30), 30).verify(li, max(0, n - 30))
        finally:
            db.close()


def test_crash_recovery(tmp_path: Path) -> None:
    run_cycles(tmp_path, 10, seed=11)


@pytest.mark.slow
def test_crash_recovery_many(tmp_path: Path) -> None:
    run_cycles(tmp_path, 200, seed=12)
