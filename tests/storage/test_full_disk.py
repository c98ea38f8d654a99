"""A full disk gets a clear error and loses nothing: a commit the ledger (or the consensus
store) cannot write, for a full LMDB map or a write that fails (the process's file size limit,
which fails writes as a full disk does), raises a StorageFullError naming the data file and
what it could not write; nothing of it is stored, nothing in memory moved, the store reopens at
its last commit with its proofs, and the same block commits once there is room. A backup or
restore on a full disk fails clearly and leaves nothing a restore would take."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lmdb
import pytest
from storage_helpers import address, block, commit, validators

from consensus.helpers import GENESIS_QC, proposal
from libra.storage import LedgerDB, StorageFullError
from libra.storage.backup import BackupError, backup, restore
from libra.storage.consensus_db import ConsensusDB
from libra.storage.lmdb_env import out_of_space
from libra.storage.proof import verify_ledger_info

EPOCH, KEYS = validators(4)
ACCOUNTS = 200
SIZE = 50
HERE = Path(__file__).parent


def check_intact(db: LedgerDB, n: int) -> None:
    """``db`` holds ``n`` transactions, certified by its latest ledger info, with proofs."""
    assert db.num_transactions == n
    latest = db.latest_ledger_info()
    assert latest is not None
    li = verify_ledger_info(latest, EPOCH)
    assert li.version == n - 1 and li.transaction_accumulator_hash == db.accumulator_root
    start = max(0, n - 30)
    db.get_transactions_with_proof(start, 30).verify(li, start)
    for a in range(0, ACCOUNTS, 17):
        db.get_account_state_with_proof(address(a)).verify(li, n - 1, address(a))


def memory_state(db: LedgerDB) -> tuple[Any, ...]:
    """What the database holds in memory of its committed ledger."""
    return (
        db.num_transactions,
        db.accumulator_root,
        db.state_root,
        db.state_version,
        db.latest_ledger_info(),
        dict(db._inner_cache),
    )


def test_a_full_map_refuses_the_commit_whole_and_it_commits_once_there_is_room(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db"
    db = LedgerDB.open(path, map_size=1 << 20, prune_window=4 * SIZE)
    try:
        for b in range(100):
            txns = block(1, b, SIZE, ACCOUNTS)
            before, kept = memory_state(db), db.state_versions()
            try:
                commit(db, txns, KEYS)
            except StorageFullError as e:
                err = e
                break
        else:
            pytest.fail("the map never filled up")
        n = before[0]
        assert n > 0
        assert err.path == str(path / "data.mdb")
        assert str(err).startswith(f"{path / 'data.mdb'}: the LMDB map (1048576 bytes) is full")
        assert f"cannot commit the block of versions {n}..{n + SIZE - 1}" in str(err)
        assert "Traceback" not in str(err) and "MDB_MAP_FULL" not in str(err)
        # Nothing in memory moved, nothing was pruned, and the database still serves proofs.
        assert memory_state(db) == before
        assert db.state_versions() == kept
        check_intact(db, n)
        # Still full: refused again, the same way.
        with pytest.raises(StorageFullError):
            commit(db, txns, KEYS)
        assert memory_state(db) == before
    finally:
        db.close()
    with LedgerDB.open(path, map_size=1 << 20) as db:
        check_intact(db, n)
    with LedgerDB.open(path) as db:  # room again
        commit(db, txns, KEYS)
        check_intact(db, n + SIZE)


def run_python(code: str, *args: str, preexec_fn: Callable[[], None] | None = None) -> Any:
    """Runs ``code`` in a child process; returns the JSON its last line of output holds."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=preexec_fn,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


FILE_SIZE_LIMIT_WRITER = f"""
    import json, os, resource, sys
    sys.path.insert(0, {str(HERE)!r})
    from storage_helpers import block, commit, validators
    from libra import bcs
    from libra.storage import LedgerDB, StorageFullError

    def state(db):
        li = db.latest_ledger_info()
        return [db.num_transactions, db.accumulator_root.hex(), db.state_root.hex(),
                None if li is None else bcs.encode(li).hex(),
                sorted(k.hex() for k in db._inner_cache)]

    _, keys = validators(4)
    db = LedgerDB.open(sys.argv[1])
    for b in range(2):
        commit(db, block(1, b, {SIZE}, {ACCOUNTS}), keys)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    limit = os.path.getsize(os.path.join(sys.argv[1], "data.mdb")) + (64 << 10)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    for b in range(2, 100):
        spec = db.speculate(None, block(1, b, {SIZE}, {ACCOUNTS}))
        before = state(db)
        try:
            db.commit_block(spec)
        except StorageFullError as e:
            error = str(e)
            break
    after = state(db)
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # room again
    db.commit_block(spec)  # the same speculative state
    commit(db, block(1, b + 1, {SIZE}, {ACCOUNTS}), keys)
    print(json.dumps({{"error": error, "before": before, "after": after, "limit": limit,
                       "n": db.num_transactions}}))
"""


def test_a_failed_write_refuses_the_commit_whole_and_it_commits_once_there_is_room(
    tmp_path: Path,
) -> None:
    """LMDB writes the block's pages beyond the file size limit: the write fails (short, which
    LMDB reports as an I/O error); the same database object commits the same speculative state
    once the limit is raised."""
    path = tmp_path / "db"
    out = run_python(FILE_SIZE_LIMIT_WRITER, str(path))
    n = out["before"][0]
    assert n >= 2 * SIZE
    assert out["error"].startswith(
        f"{path / 'data.mdb'}: the file reached the process's file size limit "
        f"({out['limit']} bytes): cannot commit the block of versions {n}..{n + SIZE - 1}"
    )
    assert out["error"].endswith("nothing of it was written")
    assert out["after"] == out["before"]  # nothing in memory moved
    assert out["n"] == n + 2 * SIZE  # the same block, then the next one, on the same object
    with LedgerDB.open(path) as db:
        check_intact(db, n + 2 * SIZE)


def test_a_store_that_cannot_be_created_is_not_left_half_made(tmp_path: Path) -> None:
    """No room even for LMDB's meta pages: the error says so, and no file is left that the
    next open would refuse as truncated."""
    code = """
        import json, os, resource, sys
        from libra.storage import LedgerDB, StorageFullError
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
        try:
            LedgerDB.open(sys.argv[1])
            error = None
        except StorageFullError as e:
            error = str(e)
        print(json.dumps({"error": error,
                          "left": os.path.exists(os.path.join(sys.argv[1], "data.mdb"))}))
    """
    path = tmp_path / "db"
    out = run_python(code, str(path))
    assert out["error"] is not None and out["error"].startswith(f"{path / 'data.mdb'}: ")
    assert "file size limit (4096 bytes): cannot create the store" in out["error"]
    assert not out["left"]
    with LedgerDB.open(path) as db:  # room again: created as new
        assert db.num_transactions == 0


def test_a_full_consensus_store_keeps_its_safety_data_and_deferred_writes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c"
    blocks = [proposal(r, GENESIS_QC, ts=r) for r in (1, 2)]
    with ConsensusDB.open(path, map_size=1 << 16, defer_tree_writes=True) as db:
        db.put_safety_data(b"\x01")
        db.save(blocks)  # deferred: goes with the next safety data write
        with pytest.raises(StorageFullError) as e:
            db.put_safety_data(b"\x02" * (1 << 17))
        assert str(e.value).startswith(f"{path / 'data.mdb'}: the LMDB map (65536 bytes) is full")
        assert "cannot persist the safety data" in str(e.value)
        assert db.get_safety_data() == b"\x01"
        db.put_safety_data(b"\x03")  # carries the deferred tree writes
    with ConsensusDB.open(path) as db:
        assert db.get_safety_data() == b"\x03"
        assert db.load_tree().blocks == tuple(blocks)


def file_size_limit(limit: int) -> Callable[[], None]:
    """A ``preexec_fn``: the child's files cannot grow beyond ``limit`` bytes (writes past it
    fail with EFBIG instead of killing the process)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def libra(*args: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "libra.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=None if limit is None else file_size_limit(limit),
    )


def test_backup_and_restore_on_a_full_disk_fail_clearly_and_leave_nothing(
    tmp_path: Path,
) -> None:
    src = tmp_path / "src"
    with LedgerDB.open(src) as db:
        commit(db, block(1, 0, 1, ACCOUNTS), [], epoch=0, next_epoch=EPOCH)
        for b in range(1, 4):
            commit(db, block(1, b, 4 * SIZE, ACCOUNTS), KEYS)
        n = db.num_transactions
        good = tmp_path / "good"
        backup(db, good)
    limit = 64 << 10
    assert (good / "transactions-000000.bcs").stat().st_size > limit

    out = tmp_path / "out"
    r = libra("db", "backup", "--db", str(src), "--out", str(out), limit=limit)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(
        f"Error: {out}: the file reached the process's file size limit ({limit} bytes): "
        "cannot write transactions-000000.bcs of the backup (File too large); "
        "no backup was written"
    ), r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good", "src"]  # no partial backup
    with pytest.raises(BackupError, match="does not exist"):
        restore(out, tmp_path / "never")

    target = tmp_path / "restored"
    r = libra("db", "restore", "--backup", str(good), "--db", str(target), limit=limit)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(
        f"Error: {target}: the file reached the process's file size limit ({limit} bytes): "
        "cannot commit the block "
    ), r.stderr
    assert "the restore is abandoned, nothing was left here" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good", "src"]
    restore(good, target)  # room again
    with LedgerDB.open(target) as db:
        check_intact(db, n)


def test_other_write_errors_are_not_put_down_to_room(tmp_path: Path) -> None:
    """The diagnosis names room only when room was the cause."""
    data_file = str(tmp_path / "data.mdb")
    assert out_of_space(data_file, OSError(13, os.strerror(13))) is None  # EACCES
    assert out_of_space(data_file, ValueError("no")) is None
    # An I/O error with room on the disk and no file size limit: not put down to room.
    assert out_of_space(data_file, lmdb.Error("mdb_txn_commit: Input/output error")) is None
