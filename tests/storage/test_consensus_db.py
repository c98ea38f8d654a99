"""The consensus database: round trips, durability across reopen and a killed writer, damaged
files refused with an error naming the file, pruning and resets."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from libra import bcs
from libra.consensus.sim import genesis_ledger_info, make_validators
from libra.crypto import HashValue, sha3_256
from libra.storage.consensus_db import ConsensusDB
from libra.storage.errors import CorruptionError
from libra.types.consensus import (
    Block,
    QuorumCert,
    TwoChainTimeout,
    TwoChainTimeoutCertificate,
    VoteData,
)
from libra.types.ledger import BlockInfo, LedgerInfo, LedgerInfoWithV0

VALS = make_validators(4)
GENESIS_LI = genesis_ledger_info(VALS)
GENESIS = Block.genesis(GENESIS_LI.ledger_info)
GENESIS_QC = QuorumCert.certificate_for_genesis(GENESIS_LI.ledger_info, GENESIS.id)


def info(block: Block) -> BlockInfo:
    state = HashValue(sha3_256(b"state" + block.id))
    return BlockInfo(block.epoch, block.round, block.id, state, block.round, block.timestamp_usecs)


def certify(block: Block, parent: BlockInfo) -> QuorumCert:
    vd = VoteData(info(block), parent)
    li = LedgerInfo(parent, vd.hash())
    sigs = {v.address: v.key.sign(li.signing_message()) for v in VALS[:3]}
    return QuorumCert(vd, LedgerInfoWithV0(li, sigs))


def chain(n: int) -> tuple[list[Block], list[QuorumCert]]:
    """``n`` blocks after genesis, each certified."""
    blocks: list[Block] = []
    qcs: list[QuorumCert] = []
    qc = GENESIS_QC
    for r in range(1, n + 1):
        v = VALS[r % 4]
        b = Block.proposal(1, r, r, qc, (), v.address, v.key)
        qc = certify(b, qc.certified_block)
        blocks.append(b)
        qcs.append(qc)
    return blocks, qcs


def tc(round: int, qc: QuorumCert) -> TwoChainTimeoutCertificate:
    t = TwoChainTimeout(1, round, qc)
    sigs = {
        v.address: (qc.certified_block.round, v.key.sign(t.signing_message())) for v in VALS[:3]
    }
    return TwoChainTimeoutCertificate(t, sigs)


def test_round_trip_and_reopen(tmp_path: Path) -> None:
    blocks, qcs = chain(4)
    t = tc(5, qcs[-1])
    with ConsensusDB.open(tmp_path / "c") as db:
        assert db.get_safety_data() is None
        tree = db.load_tree()
        assert tree.blocks == () and tree.quorum_certs == () and tree.highest_timeout_cert is None
        db.put_safety_data(b"\x01\x02")
        db.save(blocks[2:], qcs[2:])
        db.save(blocks[:2], qcs[:2], t)
        assert db.get_safety_data() == b"\x01\x02"
        tree = db.load_tree()
        assert tree.blocks == tuple(blocks)  # oldest first
        assert tree.quorum_certs == tuple(qcs)
        assert tree.highest_timeout_cert == t
    with ConsensusDB.open(tmp_path / "c") as db:
        tree = db.load_tree()
        assert tree.blocks == tuple(blocks) and tree.quorum_certs == tuple(qcs)
        assert tree.highest_timeout_cert == t
        assert db.get_safety_data() == b"\x01\x02"
        db.put_safety_data(b"\x03")
    with ConsensusDB.open(tmp_path / "c") as db:
        assert db.get_safety_data() == b"\x03"


def test_pruning_deletes_blocks_and_their_certificates(tmp_path: Path) -> None:
    blocks, qcs = chain(5)
    with ConsensusDB.open(tmp_path / "c") as db:
        db.save(blocks, qcs)
        gone = [bytes(b.id) for b in blocks[:3]]
        extra, extra_qc = chain(6)
        db.save([extra[5]], [extra_qc[5]], delete=gone)
        tree = db.load_tree()
        assert tree.blocks == (*blocks[3:], extra[5])
        assert tree.quorum_certs == (*qcs[3:], extra_qc[5])
    with ConsensusDB.open(tmp_path / "c") as db:
        assert [b.round for b in db.load_tree().blocks] == [4, 5, 6]
        db.put_safety_data(b"\x09")
        db.reset_tree([GENESIS], [GENESIS_QC])
        tree = db.load_tree()
        assert tree.blocks == (GENESIS,) and tree.quorum_certs == (GENESIS_QC,)
        assert tree.highest_timeout_cert is None
        assert db.get_safety_data() == b"\x09"  # a reset keeps the safety data


def run_until_killed(script: str, path: Path) -> None:
    """Runs ``script`` (which saves to the store at ``path``, prints "saved" and SIGKILLs
    itself) in a child process."""
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "saved", out.stderr
    assert out.returncode == -9


def test_a_write_is_durable_when_it_returns(tmp_path: Path) -> None:
    """The writer is killed (no close, no exit handlers) right after its writes return."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_consensus_db import chain
        from libra.storage.consensus_db import ConsensusDB
        db = ConsensusDB.open(sys.argv[1])
        blocks, qcs = chain(3)
        db.save(blocks, qcs)
        db.put_safety_data(b"\\x07" * 40)
        print("saved", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    path = tmp_path / "c"
    run_until_killed(script, path)
    with ConsensusDB.open(path) as db:
        assert db.get_safety_data() == b"\x07" * 40
        assert [b.round for b in db.load_tree().blocks] == [1, 2, 3]


def committed_rounds(path: Path) -> list[int]:
    """The rounds of the blocks another process reads from the store at ``path``."""
    script = (
        "import sys; from libra.storage.consensus_db import ConsensusDB; "
        "db = ConsensusDB.open(sys.argv[1]); print([b.round for b in db.load_tree().blocks])"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return [int(r) for r in out.stdout.strip()[1:-1].split(",") if r.strip()]


def test_deferred_tree_writes_commit_with_the_next_safety_data(tmp_path: Path) -> None:
    """A validator's store: tree writes wait for the next safety data write (one durable
    transaction per vote), a full buffer, a flush or the close; the safety data never waits."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_consensus_db import chain
        from libra.storage.consensus_db import ConsensusDB
        db = ConsensusDB.open(sys.argv[1], defer_tree_writes=True)
        blocks, qcs = chain(4)
        db.save(blocks[:2], qcs[:2])
        db.put_safety_data(b"\x05")  # commits blocks 1-2 with it
        db.save(blocks[2:], qcs[2:])  # still waiting when the process dies
        print("saved", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    path = tmp_path / "c"
    run_until_killed(script, path)
    with ConsensusDB.open(path) as db:
        assert db.get_safety_data() == b"\x05"
        assert [b.round for b in db.load_tree().blocks] == [1, 2]

    blocks, qcs = chain(6)
    db = ConsensusDB.open(path, defer_tree_writes=True)
    db.max_deferred = 3
    db.save(blocks[2:3], qcs[2:3])
    db.save(blocks[3:4], qcs[3:4])
    assert committed_rounds(path) == [1, 2]  # another process sees only committed data
    db.save(blocks[4:5], qcs[4:5])  # the third waiting write: the buffer is committed
    assert committed_rounds(path) == [1, 2, 3, 4, 5]
    db.save(blocks[5:6], qcs[5:6], delete=[bytes(blocks[0].id)])
    assert [b.round for b in db.load_tree().blocks] == [2, 3, 4, 5, 6]  # reads flush first
    db.save([], [], delete=[bytes(blocks[1].id)])
    db.close()  # commits what waits
    with ConsensusDB.open(path) as db:
        assert [b.round for b in db.load_tree().blocks] == [3, 4, 5, 6]
        assert db.get_safety_data() == b"\x05"


def test_a_damaged_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "c"
    with ConsensusDB.open(path) as db:
        db.put_safety_data(b"\x01")
    data_file = path / "data.mdb"
    # truncated below LMDB's meta pages
    raw = data_file.read_bytes()
    data_file.write_bytes(raw[:100])
    with pytest.raises(CorruptionError) as e:
        ConsensusDB.open(path)
    assert str(data_file) in str(e.value) and "truncated" in str(e.value)
    # garbage in place of the meta pages
    data_file.write_bytes(os.urandom(len(raw)))
    with pytest.raises(CorruptionError) as e2:
        ConsensusDB.open(path)
    assert str(data_file) in str(e2.value)


def test_an_unreadable_record_is_refused_naming_the_file(tmp_path: Path) -> None:
    import lmdb

    path = tmp_path / "c"
    blocks, _ = chain(1)
    with ConsensusDB.open(path) as db:
        db.save(blocks)
    env = lmdb.open(str(path), max_dbs=8)
    with env.begin(write=True) as txn:
        txn.put(bytes(blocks[0].id), b"\xff\xff\xff", db=env.open_db(b"block", txn=txn))
    env.close()
    with pytest.raises(CorruptionError) as e:
        ConsensusDB.open(path)
    assert str(path / "data.mdb") in str(e.value) and "block" in str(e.value)
    # a record stored under another id
    env = lmdb.open(str(path), max_dbs=8)
    with env.begin(write=True) as txn:
        txn.put(bytes(blocks[0].id), bcs.encode(GENESIS), db=env.open_db(b"block", txn=txn))
    env.close()
    with pytest.raises(CorruptionError, match="another id"):
        ConsensusDB.open(path)
