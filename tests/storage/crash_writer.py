"""Child process of the crash test: commits deterministic blocks until it is killed, printing
the index of each block once ``commit_block`` has returned."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from storage_helpers import block, commit, validators

from libra.storage import LedgerDB

BLOCK = 20
ACCOUNTS = 200


def main() -> None:
    path, seed = sys.argv[1], int(sys.argv[2])
    _, keys = validators(4)
    db = LedgerDB.open(path)
    b = db.num_transactions // BLOCK
    while b < 100_000:
        commit(db, block(seed, b, BLOCK, ACCOUNTS), keys)
        print(b, flush=True)
        b += 1


if __name__ == "__main__":
    main()
