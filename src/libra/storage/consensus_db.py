"""The consensus database: a validator's small consensus store, on its own LMDB environment.

Consensus keeps what it must remember across a restart apart from the ledger: the safety data
(what safety rules last signed), the uncommitted blocks of the block tree, the quorum
certificates seen, and the highest 2-chain timeout certificate. Named sub-databases (values are
BCS bytes):

=========  ==========================================  =======================================
name       key                                         value
=========  ==========================================  =======================================
``meta``   ``format``, ``safety_data``, ``highest_tc``  u64 (LE), SafetyData, 2-chain TC
``block``  block id (32 bytes)                          Block
``qc``     certified block id (32 bytes)                QuorumCert
=========  ==========================================  =======================================

Every write is one LMDB write transaction, made durable (fsync) before it returns. The safety
data is stored as the caller's bytes (its type belongs to consensus). A damaged or unreadable
store is refused with a :class:`CorruptionError` naming its data file. A write that cannot be
made (a full disk or map) raises a :class:`~libra.storage.errors.WriteError`
(:class:`~libra.storage.errors.StorageFullError` when room was the cause) naming the data file
and what it could not persist; none of that write is stored, the store keeps what it held
(the safety data last written stays the stored one) and the deferred tree writes it carried
wait for the next write.

With ``defer_tree_writes`` (what a validator uses) the block tree's writes (:meth:`save`) are
held in memory and committed in the same transaction as the next safety data write (a vote,
which follows the insertion of the block voted on), when ``max_deferred`` of them are waiting,
on :meth:`flush` or on :meth:`close`: one durable write per round instead of three. Only the
safety data must be durable before a signature; a crash that loses deferred tree writes costs
at most the newest blocks and certificates, which recovery then gets from peers.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import lmdb

from libra import bcs
from libra.storage.errors import CorruptionError, StorageError
from libra.storage.lmdb_env import open_environment, setup_error, write_error
from libra.types.consensus import Block, QuorumCert, TwoChainTimeoutCertificate

__all__ = ["DEFAULT_CONSENSUS_MAP_SIZE", "FORMAT_VERSION", "ConsensusDB", "StoredTree"]

DEFAULT_CONSENSUS_MAP_SIZE = 1 << 30
"""The most the environment may grow to (LMDB reserves address space, not disk)."""

FORMAT_VERSION = 1

_DB_NAMES = ("meta", "block", "qc")
_KEY_FORMAT = b"format"
_KEY_SAFETY = b"safety_data"
_KEY_TC = b"highest_tc"
_U64 = struct.Struct("<Q")
_Op = tuple[str, bytes, bytes | None]
"""A deferred write: sub-database name, key, value (None: delete)."""


@dataclass(frozen=True, slots=True)
class StoredTree:
    """Every block and quorum certificate in the store, with the highest timeout cert."""

    blocks: tuple[Block, ...]
    quorum_certs: tuple[QuorumCert, ...]
    highest_timeout_cert: TwoChainTimeoutCertificate | None


class ConsensusDB:
    """The consensus store. Open with :meth:`open`; close with :meth:`close` (or ``with``)."""

    def __init__(
        self,
        path: str,
        env: Any,
        dbs: dict[str, Any],
        *,
        defer_tree_writes: bool = False,
        max_deferred: int = 64,
    ) -> None:
        self.path = path
        self.data_file = os.path.join(path, "data.mdb")
        self._env = env
        self._db = dbs
        self.defer_tree_writes = defer_tree_writes
        self.max_deferred = max_deferred
        self._deferred: list[list[_Op]] = []
        """Tree writes not committed yet, one list of operations per :meth:`save`."""

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        map_size: int = DEFAULT_CONSENSUS_MAP_SIZE,
        defer_tree_writes: bool = False,
    ) -> ConsensusDB:
        """Opens (or creates) the store in directory ``path``. Raises :class:`CorruptionError`
        (naming the data file) if the files are damaged or unreadable. ``defer_tree_writes``:
        see the module's documentation."""
        path = os.fspath(path)
        data_file = os.path.join(path, "data.mdb")
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as err:
            raise StorageError(path, f"cannot create the directory: {err}") from None
        env = open_environment(path, map_size=map_size, max_dbs=len(_DB_NAMES) + 2)
        try:
            dbs = {name: env.open_db(name.encode(), create=True) for name in _DB_NAMES}
            db = cls(path, env, dbs, defer_tree_writes=defer_tree_writes)
            db._check_format()
            db._verify_records()
        except lmdb.Error as err:
            raise setup_error(data_file, err, env, "cannot read the store") from None
        except StorageError:
            env.close()
            raise
        return db

    def _check_format(self) -> None:
        with self._env.begin(write=True) as txn:
            raw = txn.get(_KEY_FORMAT, db=self._db["meta"])
            if raw is None:
                txn.put(_KEY_FORMAT, _U64.pack(FORMAT_VERSION), db=self._db["meta"])
                return
        if len(raw) != _U64.size or _U64.unpack(bytes(raw))[0] != FORMAT_VERSION:
            raise CorruptionError(self.data_file, f"unknown format record {bytes(raw).hex()}")

    def _verify_records(self) -> None:
        """Decodes every record once, so a damaged store is refused at open."""
        self.load_tree()
        self.get_safety_data()

    def close(self) -> None:
        """Commits the deferred tree writes and closes the environment."""
        try:
            self.flush()
        finally:
            self._env.close()

    def flush(self) -> None:
        """Commits the deferred tree writes, durably."""
        if not self._deferred:
            return
        try:
            with self._write("a block tree write") as txn:
                self._apply_deferred(txn)
        except lmdb.Error as err:
            raise write_error(self.data_file, "persist the block tree", err, self._env) from None
        self._deferred.clear()

    def _apply_deferred(self, txn: Any) -> None:
        for ops in self._deferred:
            for name, key, value in ops:
                if value is None:
                    txn.delete(key, db=self._db[name])
                else:
                    txn.put(key, value, db=self._db[name])

    def __enter__(self) -> ConsensusDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers ---------------------------------------------------------------------------------

    def _decode(self, cls: Any, raw: bytes, what: str) -> Any:
        try:
            return bcs.decode(cls, raw)
        except (bcs.DecodeError, ValueError) as err:
            raise CorruptionError(self.data_file, f"{what} is unreadable: {err}") from None

    def _write(self, what: str) -> Any:
        try:
            return self._env.begin(write=True)
        except lmdb.Error as err:
            raise write_error(self.data_file, f"begin {what}", err, self._env) from None

    # -- safety data -----------------------------------------------------------------------------

    def get_safety_data(self) -> bytes | None:
        """The stored safety data bytes, or None."""
        try:
            with self._env.begin() as txn:
                raw = txn.get(_KEY_SAFETY, db=self._db["meta"])
        except lmdb.Error as err:
            raise CorruptionError(self.data_file, f"cannot read the safety data: {err}") from None
        return None if raw is None else bytes(raw)

    def put_safety_data(self, raw: bytes) -> None:
        """Stores the safety data bytes, durably."""
        try:
            with self._write("a safety data write") as txn:
                self._apply_deferred(txn)
                txn.put(_KEY_SAFETY, bytes(raw), db=self._db["meta"])
        except lmdb.Error as err:
            raise write_error(self.data_file, "persist the safety data", err, self._env) from None
        self._deferred.clear()

    # -- the block tree --------------------------------------------------------------------------

    def save(
        self,
        blocks: Iterable[Block] = (),
        quorum_certs: Iterable[QuorumCert] = (),
        timeout_cert: TwoChainTimeoutCertificate | None = None,
        delete: Sequence[bytes] = (),
    ) -> None:
        """In one transaction: deletes the blocks (and the certificates of the blocks) with ids
        ``delete``, then stores ``blocks`` and ``quorum_certs`` (by the id of the block they
        certify) and, when given, ``timeout_cert`` as the highest one. Durable before it
        returns, or deferred (see the module's documentation)."""
        ops: list[_Op] = []
        for bid in delete:
            ops.append(("block", bytes(bid), None))
            ops.append(("qc", bytes(bid), None))
        ops.extend(("block", bytes(b.id), bcs.encode(b)) for b in blocks)
        ops.extend(("qc", bytes(qc.certified_block.id), bcs.encode(qc)) for qc in quorum_certs)
        if timeout_cert is not None:
            ops.append(("meta", _KEY_TC, bcs.encode(timeout_cert)))
        self._deferred.append(ops)
        if not self.defer_tree_writes or len(self._deferred) >= self.max_deferred:
            self.flush()

    def reset_tree(self, blocks: Iterable[Block], quorum_certs: Iterable[QuorumCert]) -> None:
        """In one durable transaction: forgets every block, certificate and the timeout cert,
        then stores ``blocks`` and ``quorum_certs`` (a tree restarted at a new root)."""
        self._deferred.clear()  # whatever they wrote, the reset drops
        try:
            with self._write("a block tree reset") as txn:
                txn.drop(self._db["block"], delete=False)
                txn.drop(self._db["qc"], delete=False)
                txn.delete(_KEY_TC, db=self._db["meta"])
                for b in blocks:
                    txn.put(bytes(b.id), bcs.encode(b), db=self._db["block"])
                for qc in quorum_certs:
                    txn.put(bytes(qc.certified_block.id), bcs.encode(qc), db=self._db["qc"])
        except lmdb.Error as err:
            raise write_error(self.data_file, "reset the block tree", err, self._env) from None

    def load_tree(self) -> StoredTree:
        """Every stored block and certificate (blocks by round) and the timeout cert, the
        deferred writes included."""
        self.flush()
        try:
            with self._env.begin() as txn:
                raw_blocks = [(bytes(k), bytes(v)) for k, v in txn.cursor(db=self._db["block"])]
                raw_qcs = [(bytes(k), bytes(v)) for k, v in txn.cursor(db=self._db["qc"])]
                raw_tc = txn.get(_KEY_TC, db=self._db["meta"])
                raw_tc = None if raw_tc is None else bytes(raw_tc)
        except lmdb.Error as err:
            raise CorruptionError(self.data_file, f"cannot read the block tree: {err}") from None
        blocks: list[Block] = []
        for k, v in raw_blocks:
            block: Block = self._decode(Block, v, f"block {k.hex()}")
            if bytes(block.id) != k:
                raise CorruptionError(self.data_file, f"block {k.hex()} is stored under another id")
            blocks.append(block)
        qcs: list[QuorumCert] = []
        for k, v in raw_qcs:
            qc: QuorumCert = self._decode(QuorumCert, v, f"quorum cert {k.hex()}")
            if bytes(qc.certified_block.id) != k:
                raise CorruptionError(
                    self.data_file, f"quorum cert {k.hex()} certifies another block"
                )
            qcs.append(qc)
        tc: TwoChainTimeoutCertificate | None = (
            None
            if raw_tc is None
            else self._decode(TwoChainTimeoutCertificate, raw_tc, "highest timeout cert")
        )
        blocks.sort(key=lambda b: (b.epoch, b.round))
        qcs.sort(key=lambda q: (q.certified_block.epoch, q.certified_block.round))
        return StoredTree(tuple(blocks), tuple(qcs), tc)
