"""A full disk stops the validator, cleanly, and loses nothing: safety rules sign nothing whose
safety data the consensus store cannot write; a validator whose ledger commit or safety data
write fails says so in one line and exits with status 1 instead of going on in a broken state;
restarted with room, it resumes from what it committed."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import lmdb
import pytest

from consensus.helpers import EPOCH_STATE, GENESIS_QC, VALIDATORS, executed_info, proposal
from libra import bcs
from libra.consensus import SafetyData, SafetyRules, SafetyStorageError
from libra.execution.engine import bootstrap
from libra.node.config import NodeFiles
from libra.node.consensus_store import LmdbBlockPersistence, LmdbSafetyStorage
from libra.node.genesis import create_testnet, decode_genesis
from libra.node.ports import free_port_base
from libra.node.runtime import ValidatorNode
from libra.state_sync import StateSyncClient, StateSyncServer
from libra.storage import LedgerDB, StorageFullError, WriteError
from libra.storage.consensus_db import ConsensusDB
from libra.storage.lmdb_env import write_error
from libra.storage.proof import ledger_info_of, verify_ledger_info
from libra.types import AccountAddress
from libra.types.consensus import ConsensusMsg, MsgVote, TwoChainTimeout
from node.test_processes import accumulator_at, version, wait_for
from state_sync.test_state_sync import latest, make_chain, over_bcs, snapshot


def test_safety_rules_sign_nothing_the_full_store_cannot_make_durable(tmp_path: Path) -> None:
    """A validator's store (tree writes deferred to the next safety data write) whose map is
    full: the vote and the timeout are refused, safety data does not move in memory or on disk,
    and the failure is reported; with room, the validator votes."""
    path = tmp_path / "c"
    failures: list[WriteError] = []
    db = ConsensusDB.open(path, map_size=1 << 16, defer_tree_writes=True)
    db.max_deferred = 1 << 20
    storage = LmdbSafetyStorage(db, on_write_failure=failures.append)
    persistence = LmdbBlockPersistence(db, on_write_failure=failures.append)
    me = VALIDATORS[3]
    rules = SafetyRules(me.address, me.key, storage)
    rules.initialize(EPOCH_STATE)  # type: ignore[arg-type]
    start = rules.safety_data
    # More block tree writes wait than the map holds; the next vote's write carries them.
    waiting, r = 0, 10
    while waiting <= 1 << 17:
        b = proposal(r, GENESIS_QC, ts=r)
        persistence.save([b])
        waiting += len(bcs.encode(b))
        r += 1
    b1 = proposal(1, GENESIS_QC, ts=1)
    with pytest.raises(SafetyStorageError, match="cannot persist the safety data"):
        rules.construct_and_sign_vote_two_chain(b1, executed_info(b1))
    with pytest.raises(SafetyStorageError):
        rules.sign_timeout_with_qc(TwoChainTimeout(1, 1, GENESIS_QC))
    assert rules.safety_data == start
    stored = db.get_safety_data()
    assert stored is not None and bcs.decode(SafetyData, stored) == start
    assert len(failures) == 2 and all(isinstance(f, StorageFullError) for f in failures)
    assert str(failures[0]).startswith(f"{path / 'data.mdb'}: the LMDB map (65536 bytes) is full")
    with pytest.raises(StorageFullError):
        db.close()  # the waiting tree writes cannot be committed either (they may be lost)

    with ConsensusDB.open(path) as db:  # room again
        rules = SafetyRules(me.address, me.key, LmdbSafetyStorage(db))
        rules.initialize(EPOCH_STATE)  # type: ignore[arg-type]
        assert rules.safety_data == start
        vote = rules.construct_and_sign_vote_two_chain(b1, executed_info(b1))
        assert vote.round == 1 and rules.safety_data.last_voted_round == 1


def test_a_state_sync_chunk_the_ledger_cannot_commit_is_not_put_on_the_peer(
    tmp_path: Path,
) -> None:
    """The verified chunk cannot be written: the client raises the storage error (which stops
    the validator) instead of counting a bad response and asking other peers; nothing of it is
    stored; with room, the sync goes through."""
    chain = make_chain(tmp_path / "chain")
    path = tmp_path / "client"
    with LedgerDB.open(path) as db:
        bootstrap(db, chain.genesis)
    server = StateSyncServer(chain.db)
    try:
        with LedgerDB.open(path, map_size=1) as db:  # the map: the pages in use, no more
            before = snapshot(db)
            client = StateSyncClient(db, over_bcs(server), attempts=3)
            with pytest.raises(StorageFullError, match="cannot commit the block of versions 1"):
                client.sync_to(latest(chain))
            assert client.failures == 0
            assert snapshot(db) == before
        with LedgerDB.open(path) as db:
            assert snapshot(db) == before
            StateSyncClient(db, over_bcs(server)).sync_to(latest(chain))
            assert db.num_transactions == chain.db.num_transactions
    finally:
        chain.db.close()


def one_validator(root: Path) -> NodeFiles:
    """A network of one validator, making empty blocks as fast as it can."""
    base = free_port_base(2)
    files = create_testnet(
        root, 1, validator_base_port=base, api_base_port=base + 1, faucet_port=None
    )[0]
    files = NodeFiles(files.directory, dataclasses.replace(files.config, idle_block_wait_ms=0))
    files.save()
    return files


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ValidatorNode]:
    n = ValidatorNode(one_validator(tmp_path / "net"))
    yield n
    n.db.close()
    n.consensus_db.close()


def test_a_validator_stops_when_its_safety_data_cannot_be_written(
    node: ValidatorNode, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Its consensus thread (a network of one: it needs no peers) runs until the store's map
    is full at the fifth safety data write: the thread ends at once, nothing more is sent,
    one error says why."""
    db = node.consensus_db
    real_put = db.put_safety_data
    writes: list[bytes] = []

    def put_safety_data(raw: bytes) -> None:
        writes.append(raw)
        if len(writes) >= 5:
            full = lmdb.MapFullError("mdb_put: MDB_MAP_FULL")
            raise write_error(db.data_file, "persist the safety data", full, db._env)
        real_put(raw)

    monkeypatch.setattr(db, "put_safety_data", put_safety_data)
    sent: list[ConsensusMsg] = []
    real_send = node._send

    def send(loop: Any, recipients: Sequence[AccountAddress], msg: ConsensusMsg) -> None:
        sent.append(msg)
        real_send(loop, recipients, msg)

    monkeypatch.setattr(node, "_send", send)
    thread = threading.Thread(target=node._consensus_main, daemon=True)
    thread.start()
    thread.join(5)
    try:
        assert not thread.is_alive(), "the validator went on after its safety data write failed"
    finally:
        node._stopping.set()
        node._inbox.put(None)
        thread.join(5)
    assert len(writes) == 5
    assert node.failure is not None and node.failure.startswith(
        f"stopping the validator: {db.data_file}: the LMDB map "
    )
    assert "cannot persist the safety data" in node.failure
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r.getMessage() for r in errors] == [node.failure]
    # Nothing signed beyond what is durable: memory and store agree, every vote sent is in it.
    raw = db.get_safety_data()
    assert raw is not None
    stored = bcs.decode(SafetyData, raw)
    assert node.consensus.safety_rules.safety_data == stored
    assert bcs.decode(SafetyData, writes[-1]).last_voted_round > stored.last_voted_round
    votes = [m.value.vote for m in sent if isinstance(m, MsgVote)]
    assert votes and all(v.round <= stored.last_voted_round for v in votes)


def test_a_validator_whose_ledger_cannot_commit_exits_and_resumes_after_restart(
    tmp_path: Path,
) -> None:
    """A real process whose files cannot grow 256 KiB past its genesis ledger: the ledger
    commit fails (the consensus store, smaller, does not), the validator exits with status 1
    and one error line; the ledger is intact; restarted without the limit it goes on from
    there."""
    files = one_validator(tmp_path / "net")
    ledger = files.data_path / "ledger"
    files.data_path.mkdir(parents=True, exist_ok=True)
    with LedgerDB.open(ledger) as db:
        bootstrap(db, decode_genesis(files.genesis_bytes()))
    limit = os.path.getsize(ledger / "data.mdb") + (256 << 10)

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    cmd = [
        sys.executable,
        "-m",
        "libra.cli.main",
        "node",
        "--config",
        str(files.directory / "node.json"),
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=limit_file_size,
    )
    try:
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, out
    assert "Traceback" not in out
    lines = out.strip().splitlines()
    errors = [
        e
        for line in lines
        if line.startswith("{") and (e := json.loads(line)).get("level") == "error"
    ]
    assert len(errors) == 1, out
    message = errors[0]["msg"]
    assert message.startswith(
        f"stopping the validator: {ledger / 'data.mdb'}: the file reached the process's file "
        f"size limit ({limit} bytes): cannot commit the block "
    ), out
    assert message.endswith("restart the validator once there is room")
    assert lines[-1] == f"Error: {message}"

    with LedgerDB.open(ledger) as db:
        n = db.num_transactions
        assert n > 1
        latest = db.latest_ledger_info()
        assert latest is not None
        es = ledger_info_of(db.get_epoch_ending_ledger_info(0)).commit_info.next_epoch_state
        assert es is not None
        li = verify_ledger_info(latest, es)
        start = max(0, li.version - 20)
        db.get_transactions_with_proof(start, 21, li.version).verify(li, start)
        address = files.config.account_address
        db.get_account_state_with_proof(address, li.version, li.version).verify(
            li, li.version, address
        )
        root = db.accumulator_root.hex()
    ConsensusDB.open(files.data_path / "consensus").close()

    log = (files.directory / "node.log").open("ab")
    restarted = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        port = files.config.api_port
        wait_for("the validator to commit again", lambda: (version(port) or 0) >= n, 30)
        assert accumulator_at(port, n - 1) == root
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(30) == 0
    finally:
        if restarted.poll() is None:
            restarted.kill()
            restarted.wait()
