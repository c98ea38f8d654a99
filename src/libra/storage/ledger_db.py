"""The ledger database: everything a validator commits, on one LMDB environment.

Named sub-databases (keys are big-endian so that LMDB's byte order is numeric order; values are
BCS bytes unless noted):

========================  ========================================  ============================
name                      key                                       value
========================  ========================================  ============================
``meta``                  ``header``, ``latest_li``,                :class:`StoreHeader`, signed
                          ``min_state_version``                     ledger info, u64
``txn``                   version                                   Transaction
``txn_info``              version                                   TransactionInfo
``txn_acc``               accumulator position                      32-byte hash
``write_set``             version                                   WriteSet
``event``                 version, index                            ContractEvent
``event_by_key``          event key, sequence number                version, index (raw u64 BE)
``account_txn``           address, sequence number                  version (raw u64 BE)
``epoch_li``              epoch                                     epoch-ending signed ledger info
``state_node``            tree node key (see :mod:`.smt`)           tree node
``state_stale``           stale-since version, tree node key        empty
``state_root``            tree version                              32-byte root hash
``consensus``             caller's key                              caller's bytes
========================  ========================================  ============================

A block is committed in one LMDB write transaction, which LMDB makes durable (fsync) when it
commits: after a crash the store holds every block whose ``commit_block`` returned, and no part
of any other. The header record (format version, sizes, roots, hash of the latest ledger info,
and a checksum over all of it) is rewritten by every commit and checked against the stored
accumulator, state tree and ledger info at open, so a damaged or truncated store is refused
with a :class:`CorruptionError` naming the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import lmdb

from libra import bcs
from libra.crypto import HashValue
from libra.storage import accumulator as acc
from libra.storage.errors import CommitError, CorruptionError, NotFoundError, StorageError
from libra.storage.proof import (
    EVENT_ACCUMULATOR_HASHER,
    TRANSACTION_ACCUMULATOR_HASHER,
    AccountStateBlob,
    AccountStateProof,
    AccountStateWithProof,
    AccumulatorConsistencyProof,
    EpochChangeProof,
    EventProof,
    EventWithProof,
    TransactionInfoWithProof,
    TransactionListProof,
    TransactionListWithProof,
    account_key,
    accumulator_root,
    ledger_info_of,
)
from libra.storage.smt import StateTree, TreeUpdate
from libra.types import (
    AccountAddress,
    ContractEvent,
    ContractEventV0,
    EventKey,
    Executed,
    KeptVMStatus,
    LedgerInfoWithSignatures,
    Transaction,
    TransactionInfo,
    UserTransaction,
    WriteSet,
)

__all__ = [
    "FORMAT_VERSION",
    "CommitResult",
    "LedgerDB",
    "StoreHeader",
    "TransactionToCommit",
]

FORMAT_VERSION = 1
"""Version of the on-disk layout; a store with another version is refused."""

DEFAULT_MAP_SIZE = 1 << 36
"""Default largest size of the store (64 GiB of address space; the file grows as needed)."""

_U64 = struct.Struct(">Q")
_U64X2 = struct.Struct(">QQ")
_DB_NAMES = (
    "meta",
    "txn",
    "txn_info",
    "txn_acc",
    "write_set",
    "event",
    "event_by_key",
    "account_txn",
    "epoch_li",
    "state_node",
    "state_stale",
    "state_root",
    "consensus",
)


@bcs.struct
class StoreHeader:
    """The record that ties the store together, checked at every open."""

    format_version: bcs.U32
    num_transactions: bcs.U64
    state_version: bcs.U64 | None
    accumulator_root: HashValue
    state_root: HashValue
    ledger_info_hash: HashValue | None
    checksum: Annotated[bytes, bcs.Fixed(32)]

    def expected_checksum(self) -> bytes:
        """sha3-256 over the encoding of every other field."""
        body = bcs.encode(dataclasses.replace(self, checksum=bytes(32)))
        return hashlib.sha3_256(b"LIBRA::StoreHeader" + body[:-32]).digest()


@dataclass(frozen=True, slots=True)
class TransactionToCommit:
    """One executed transaction and everything it produced."""

    transaction: Transaction
    """The transaction as committed."""
    account_updates: Mapping[AccountAddress, bytes | None]
    """The new blob of every account the transaction changed (None: the account is deleted)."""
    events: tuple[ContractEvent, ...] = ()
    """Events emitted, in order."""
    write_set: WriteSet = field(default_factory=WriteSet)
    """The write set, kept for the API and for state sync."""
    gas_used: int = 0
    """Gas units used."""
    status: KeptVMStatus = field(default_factory=Executed)
    """How the transaction ended."""
    state_root_hash: HashValue | None = None
    """The state root after this transaction when execution computed one; None means the
    block's root. The last transaction's root, if given, must equal the block's root."""


@dataclass(frozen=True, slots=True)
class CommitResult:
    """What a commit produced."""

    first_version: int
    """Version of the block's first transaction."""
    last_version: int
    """Version of the block's last transaction (the new latest version)."""
    accumulator_root: HashValue
    """Root of the transaction accumulator after the block."""
    state_root: HashValue
    """Root of the state tree after the block."""
    transaction_infos: tuple[TransactionInfo, ...]
    """The transaction infos written."""


@dataclass(slots=True)
class _Prepared:
    first_version: int
    infos: list[TransactionInfo]
    acc_nodes: dict[int, bytes]
    acc_root: HashValue
    tree: TreeUpdate | None
    state_root: HashValue


class LedgerDB:
    """The ledger database. Open with :meth:`open`; close with :meth:`close` (or ``with``)."""

    def __init__(self, path: str, env: Any, dbs: dict[str, Any], prune_window: int | None) -> None:
        self.path = path
        self._env = env
        self._db = dbs
        self.prune_window = prune_window
        self._header: StoreHeader | None = None

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        map_size: int = DEFAULT_MAP_SIZE,
        prune_window: int | None = None,
        readonly: bool = False,
        create: bool = True,
    ) -> LedgerDB:
        """Opens (or creates) the store in directory ``path``.

        ``prune_window``: keep state tree versions of at least the last ``prune_window``
        versions (None keeps everything). Raises :class:`CorruptionError` if the files are
        damaged, :class:`StorageError` if they cannot be opened."""
        path = os.fspath(path)
        data_file = os.path.join(path, "data.mdb")
        if not create and not os.path.exists(data_file):
            raise NotFoundError(path, "no ledger database here")
        if os.path.exists(data_file):
            _check_file_size(data_file)
        try:
            env = lmdb.open(
                path,
                map_size=map_size,
                max_dbs=len(_DB_NAMES) + 2,
                subdir=True,
                readonly=readonly,
                create=create,
                sync=True,
                metasync=True,
                readahead=False,
            )
        except lmdb.Error as err:
            raise CorruptionError(data_file, f"cannot open the LMDB environment: {err}") from None
        try:
            info = env.info()
            psize = env.stat()["psize"]
            size = os.path.getsize(data_file)
            in_use = (info["last_pgno"] + 1) * psize
            if size < in_use:
                raise CorruptionError(
                    data_file, f"file is truncated: {size} bytes, but {in_use} in use"
                )
            dbs = {}
            for name in _DB_NAMES:
                dbs[name] = env.open_db(name.encode(), create=not readonly)
        except lmdb.Error as err:
            env.close()
            raise CorruptionError(data_file, f"cannot open the sub-databases: {err}") from None
        except StorageError:
            env.close()
            raise
        db = cls(path, env, dbs, prune_window)
        try:
            db._verify_at_open()
        except (StorageError, lmdb.Error, bcs.DecodeError, ValueError) as err:
            env.close()
            if isinstance(err, CorruptionError):
                raise CorruptionError(data_file, err.reason) from None
            raise CorruptionError(data_file, f"integrity check failed: {err}") from None
        return db

    def close(self) -> None:
        """Closes the environment."""
        self._env.close()

    def __enter__(self) -> LedgerDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _verify_at_open(self) -> None:
        with self._env.begin() as txn:
            raw = txn.get(b"header", db=self._db["meta"])
            if raw is None:
                if (
                    txn.stat(self._db["txn"])["entries"]
                    or txn.stat(self._db["state_node"])["entries"]
                ):
                    raise CorruptionError(self.path, "header record is missing")
                self._header = None
                return
            try:
                header = bcs.decode(StoreHeader, raw)
            except bcs.DecodeError as err:
                raise CorruptionError(self.path, f"header record is unreadable: {err}") from None
            if header.format_version != FORMAT_VERSION:
                raise CorruptionError(
                    self.path,
                    f"format version {header.format_version}, this build reads {FORMAT_VERSION}",
                )
            if header.checksum != header.expected_checksum():
                raise CorruptionError(self.path, "header checksum mismatch")
            n = header.num_transactions
            reader = self._acc_reader(txn)
            root = acc.root_hash(reader, TRANSACTION_ACCUMULATOR_HASHER, n)
            if root != header.accumulator_root:
                raise CorruptionError(self.path, "transaction accumulator does not match header")
            if header.state_version is not None:
                tree = StateTree(self._node_reader(txn), self.path)
                if tree.root_hash(header.state_version) != header.state_root:
                    raise CorruptionError(self.path, "state tree root does not match header")
                if n:
                    info = self._get_info(txn, n - 1)
                    if info.state_root_hash != header.state_root:
                        raise CorruptionError(
                            self.path, "latest transaction info does not match the state root"
                        )
            li_raw = txn.get(b"latest_li", db=self._db["meta"])
            if (li_raw is None) != (header.ledger_info_hash is None):
                raise CorruptionError(self.path, "latest ledger info does not match header")
            if li_raw is not None:
                li = bcs.decode(LedgerInfoWithSignatures, li_raw)
                info_li = ledger_info_of(li)
                if info_li.hash() != header.ledger_info_hash:
                    raise CorruptionError(self.path, "latest ledger info hash mismatch")
                if info_li.version >= n:
                    raise CorruptionError(self.path, "ledger info is ahead of the transactions")
                li_root = acc.root_hash(reader, TRANSACTION_ACCUMULATOR_HASHER, info_li.version + 1)
                if li_root != info_li.transaction_accumulator_hash:
                    raise CorruptionError(self.path, "ledger info does not sign the accumulator")
            self._header = header

    # -- low-level readers -----------------------------------------------------------------------

    def _acc_reader(self, txn: Any) -> acc.NodeReader:
        db = self._db["txn_acc"]
        path = self.path

        def read(pos: int) -> bytes:
            v = txn.get(_U64.pack(pos), db=db)
            if v is None:
                raise NotFoundError(path, f"accumulator node {pos} is missing")
            if len(v) != 32:
                raise CorruptionError(path, f"accumulator node {pos} is {len(v)} bytes")
            return bytes(v)

        return read

    def _node_reader(self, txn: Any) -> Any:
        db = self._db["state_node"]

        def read(nk: bytes) -> bytes | None:
            v = txn.get(nk, db=db)
            return None if v is None else bytes(v)

        return read

    def _get(self, txn: Any, dbname: str, key: bytes, what: str) -> bytes:
        v = txn.get(key, db=self._db[dbname])
        if v is None:
            raise NotFoundError(self.path, f"{what} not found")
        return bytes(v)

    def _decode(self, cls: Any, raw: bytes, what: str) -> Any:
        try:
            return bcs.decode(cls, raw)
        except bcs.DecodeError as err:
            raise CorruptionError(self.path, f"{what} is unreadable: {err}") from None

    def _get_info(self, txn: Any, version: int) -> TransactionInfo:
        raw = self._get(txn, "txn_info", _U64.pack(version), f"transaction info {version}")
        info: TransactionInfo = self._decode(TransactionInfo, raw, f"transaction info {version}")
        return info

    def _begin(self, write: bool = False) -> Any:
        try:
            return self._env.begin(write=write)
        except lmdb.Error as err:
            raise StorageError(self.path, f"cannot begin a transaction: {err}") from None

    # -- status ----------------------------------------------------------------------------------

    @property
    def num_transactions(self) -> int:
        """Number of committed transactions (the next version to commit)."""
        return self._header.num_transactions if self._header else 0

    @property
    def latest_version(self) -> int | None:
        """Version of the last committed transaction, None when empty."""
        n = self.num_transactions
        return n - 1 if n else None

    @property
    def state_version(self) -> int | None:
        """The latest version of the state tree."""
        return self._header.state_version if self._header else None

    @property
    def accumulator_root(self) -> HashValue:
        """Root of the transaction accumulator over every committed transaction."""
        if self._header is None:
            return acc.root_hash(lambda p: b"", TRANSACTION_ACCUMULATOR_HASHER, 0)
        return self._header.accumulator_root

    @property
    def state_root(self) -> HashValue:
        """Root of the latest state tree."""
        if self._header is None:
            from libra.crypto import SPARSE_MERKLE_PLACEHOLDER_HASH

            return SPARSE_MERKLE_PLACEHOLDER_HASH
        return self._header.state_root

    def latest_ledger_info(self) -> LedgerInfoWithSignatures | None:
        """The latest committed signed ledger info (None before the first)."""
        with self._begin() as txn:
            raw = txn.get(b"latest_li", db=self._db["meta"])
            if raw is None:
                return None
            li: LedgerInfoWithSignatures = self._decode(
                LedgerInfoWithSignatures, bytes(raw), "latest ledger info"
            )
            return li

    # -- commit ----------------------------------------------------------------------------------

    def _prepare(self, txn: Any, txns: Sequence[TransactionToCommit]) -> _Prepared:
        header = self._header
        first = header.num_transactions if header else 0
        base_state = header.state_version if header else None
        tree_update: TreeUpdate | None = None
        if txns:
            merged: dict[bytes, bytes | None] = {}
            for t in txns:
                for addr, blob in t.account_updates.items():
                    merged[bytes(account_key(addr))] = None if blob is None else bytes(blob)
            tree = StateTree(self._node_reader(txn), self.path)
            tree_update = tree.update(base_state, first + len(txns) - 1, list(merged.items()))
            state_root = tree_update.root_hash
        else:
            state_root = self.state_root
        infos = []
        for i, t in enumerate(txns):
            event_root = accumulator_root(EVENT_ACCUMULATOR_HASHER, [e.hash() for e in t.events])
            root = t.state_root_hash if t.state_root_hash is not None else state_root
            if i == len(txns) - 1 and root != state_root:
                raise CommitError(
                    self.path,
                    f"block's last transaction claims state root {root.hex()}, "
                    f"the state tree gives {state_root.hex()}",
                )
            infos.append(
                TransactionInfo(t.transaction.hash(), root, event_root, t.gas_used, t.status)
            )
        reader = self._acc_reader(txn)
        nodes = acc.append(reader, TRANSACTION_ACCUMULATOR_HASHER, first, [i.hash() for i in infos])

        def read_both(pos: int) -> bytes:
            v = nodes.get(pos)
            return v if v is not None else reader(pos)

        acc_root = acc.root_hash(read_both, TRANSACTION_ACCUMULATOR_HASHER, first + len(txns))
        return _Prepared(first, infos, nodes, acc_root, tree_update, state_root)

    def speculative_roots(self, txns: Sequence[TransactionToCommit]) -> tuple[HashValue, HashValue]:
        """(accumulator root, state root) the block would produce, without writing anything."""
        with self._begin() as txn:
            p = self._prepare(txn, txns)
        return p.acc_root, p.state_root

    def commit_block(
        self,
        txns: Sequence[TransactionToCommit],
        ledger_info: LedgerInfoWithSignatures | None = None,
    ) -> CommitResult:
        """Commits a block and (optionally) the ledger info that certifies it, atomically and
        durably. Raises :class:`CommitError` (writing nothing) if the ledger info does not
        match the block."""
        try:
            with self._env.begin(write=True) as txn:
                p = self._prepare(txn, txns)
                n = p.first_version + len(txns)
                li_hash: HashValue | None = self._header.ledger_info_hash if self._header else None
                if ledger_info is not None:
                    li = ledger_info_of(ledger_info)
                    if li.version != n - 1:
                        raise CommitError(
                            self.path,
                            f"ledger info is for version {li.version}, block ends at {n - 1}",
                        )
                    if li.transaction_accumulator_hash != p.acc_root:
                        raise CommitError(
                            self.path,
                            "ledger info's accumulator root "
                            f"{li.transaction_accumulator_hash.hex()} is not the block's "
                            f"{p.acc_root.hex()}",
                        )
                    li_hash = li.hash()
                self._write_block(txn, txns, p)
                if ledger_info is not None:
                    li_bytes = bcs.encode(ledger_info)
                    txn.put(b"latest_li", li_bytes, db=self._db["meta"])
                    li = ledger_info_of(ledger_info)
                    if li.ends_epoch():
                        txn.put(_U64.pack(li.epoch), li_bytes, db=self._db["epoch_li"])
                state_version = p.tree.version if p.tree is not None else (self.state_version)
                header = _make_header(n, state_version, p.acc_root, p.state_root, li_hash)
                txn.put(b"header", bcs.encode(header), db=self._db["meta"])
                if p.tree is not None and self.prune_window is not None:
                    self._prune(txn, p.tree.version - self.prune_window)
        except lmdb.Error as err:
            raise StorageError(self.path, f"commit failed: {err}") from None
        self._header = header
        return CommitResult(p.first_version, n - 1, p.acc_root, p.state_root, tuple(p.infos))

    def _write_block(self, txn: Any, txns: Sequence[TransactionToCommit], p: _Prepared) -> None:
        db = self._db
        put = txn.put
        for i, t in enumerate(txns):
            v = p.first_version + i
            vk = _U64.pack(v)
            put(vk, bcs.encode(t.transaction), db=db["txn"])
            put(vk, bcs.encode(p.infos[i]), db=db["txn_info"])
            put(vk, bcs.encode(t.write_set), db=db["write_set"])
            for j, ev in enumerate(t.events):
                put(_U64X2.pack(v, j), bcs.encode(ev), db=db["event"])
                if isinstance(ev, ContractEventV0):
                    put(
                        bytes(ev.key) + _U64.pack(ev.sequence_number),
                        _U64X2.pack(v, j),
                        db=db["event_by_key"],
                    )
            if isinstance(t.transaction, UserTransaction):
                raw = t.transaction.value.raw_txn
                put(bytes(raw.sender) + _U64.pack(raw.sequence_number), vk, db=db["account_txn"])
        for pos, h in p.acc_nodes.items():
            put(_U64.pack(pos), h, db=db["txn_acc"])
        if p.tree is not None:
            node_db = db["state_node"]
            for nk, data in p.tree.new_nodes.items():
                put(nk, data, db=node_db)
            sv = _U64.pack(p.tree.version)
            stale_db = db["state_stale"]
            for nk in p.tree.stale:
                put(sv + nk, b"", db=stale_db)
            put(sv, bytes(p.state_root), db=db["state_root"])

    def _prune(self, txn: Any, target: int) -> None:
        """Forgets state tree versions older than the newest tree version <= ``target``."""
        if target <= 0:
            return
        roots = txn.cursor(db=self._db["state_root"])
        if not roots.set_range(_U64.pack(target + 1)):
            roots.last()
        elif not roots.prev():
            return
        keep_from = _U64.unpack(roots.key())[0]
        if keep_from > target:
            return
        current = txn.get(b"min_state_version", db=self._db["meta"])
        if current is not None and _U64.unpack(current)[0] >= keep_from:
            return
        node_db = self._db["state_node"]
        stale = txn.cursor(db=self._db["state_stale"])
        if stale.first():
            while True:
                key = stale.key()
                if _U64.unpack_from(key)[0] > keep_from:
                    break
                txn.delete(key[8:], db=node_db)
                if not stale.delete():
                    break
        cur = txn.cursor(db=self._db["state_root"])
        if cur.first():
            while _U64.unpack(cur.key())[0] < keep_from:
                if not cur.delete():
                    break
        txn.put(b"min_state_version", _U64.pack(keep_from), db=self._db["meta"])

    # -- reads -----------------------------------------------------------------------------------

    def _check_ledger_version(self, ledger_version: int | None) -> int:
        latest = self.latest_version
        if latest is None:
            raise NotFoundError(self.path, "the ledger is empty")
        if ledger_version is None:
            return latest
        if not 0 <= ledger_version <= latest:
            raise NotFoundError(self.path, f"ledger version {ledger_version} is not committed")
        return ledger_version

    def get_transaction(self, version: int) -> Transaction:
        """The transaction committed at ``version``."""
        with self._begin() as txn:
            raw = self._get(txn, "txn", _U64.pack(version), f"transaction {version}")
        t: Transaction = self._decode(Transaction, raw, f"transaction {version}")
        return t

    def get_transaction_info(self, version: int) -> TransactionInfo:
        """The transaction info of ``version``."""
        with self._begin() as txn:
            return self._get_info(txn, version)

    def get_write_set(self, version: int) -> WriteSet:
        """The write set of ``version``."""
        with self._begin() as txn:
            raw = self._get(txn, "write_set", _U64.pack(version), f"write set {version}")
        ws: WriteSet = self._decode(WriteSet, raw, f"write set {version}")
        return ws

    def get_events(self, version: int) -> tuple[ContractEvent, ...]:
        """The events of ``version``, in order."""
        with self._begin() as txn:
            return self._events(txn, version)

    def _events(self, txn: Any, version: int) -> tuple[ContractEvent, ...]:
        if txn.get(_U64.pack(version), db=self._db["txn_info"]) is None:
            raise NotFoundError(self.path, f"transaction {version} not found")
        out = []
        cur = txn.cursor(db=self._db["event"])
        prefix = _U64.pack(version)
        if cur.set_range(prefix):
            for k, v in cur:
                if not k.startswith(prefix):
                    break
                out.append(self._decode(ContractEvent, bytes(v), f"event {k.hex()}"))
        return tuple(out)

    def get_account_transaction_version(self, address: AccountAddress, seq: int) -> int | None:
        """The version of ``address``'s transaction with sequence number ``seq``, if any."""
        with self._begin() as txn:
            v = txn.get(bytes(address) + _U64.pack(seq), db=self._db["account_txn"])
        return None if v is None else int(_U64.unpack(v)[0])

    def _info_with_proof(
        self, txn: Any, version: int, ledger_version: int
    ) -> TransactionInfoWithProof:
        proof = acc.leaf_proof(
            self._acc_reader(txn), TRANSACTION_ACCUMULATOR_HASHER, ledger_version + 1, version
        )
        return TransactionInfoWithProof(proof, self._get_info(txn, version))

    def get_transaction_info_with_proof(
        self, version: int, ledger_version: int | None = None
    ) -> TransactionInfoWithProof:
        """Transaction info of ``version`` proven against the ledger at ``ledger_version``."""
        lv = self._check_ledger_version(ledger_version)
        if not 0 <= version <= lv:
            raise NotFoundError(self.path, f"version {version} is after ledger version {lv}")
        with self._begin() as txn:
            return self._info_with_proof(txn, version, lv)

    def get_account_state_with_proof(
        self, address: AccountAddress, version: int | None = None, ledger_version: int | None = None
    ) -> AccountStateWithProof:
        """``address``'s blob at ``version`` (default: the latest state) with its proof against
        the ledger at ``ledger_version`` (default: latest). State is kept at the last version of
        every block (and only within the prune window)."""
        lv = self._check_ledger_version(ledger_version)
        if version is None:
            version = self.state_version
            if version is None or version > lv:
                raise NotFoundError(self.path, "no state version at or before the ledger version")
        if version > lv:
            raise NotFoundError(self.path, f"version {version} is after ledger version {lv}")
        with self._begin() as txn:
            if txn.get(_U64.pack(version), db=self._db["state_root"]) is None:
                raise NotFoundError(
                    self.path,
                    f"no state kept at version {version} (state is kept at block ends, "
                    "within the prune window)",
                )
            tree = StateTree(self._node_reader(txn), self.path)
            blob, smt_proof = tree.get_with_proof(bytes(account_key(address)), version)
            info = self._info_with_proof(txn, version, lv)
        return AccountStateWithProof(
            version,
            None if blob is None else AccountStateBlob(blob),
            AccountStateProof(info, smt_proof),
        )

    def get_account_state(
        self, address: AccountAddress, version: int | None = None
    ) -> bytes | None:
        """``address``'s blob at a kept state version (default latest), without proof."""
        v = self.state_version if version is None else version
        if v is None:
            return None
        with self._begin() as txn:
            tree = StateTree(self._node_reader(txn), self.path)
            return tree.get_with_proof(bytes(account_key(address)), v)[0]

    def get_transactions_with_proof(
        self, start: int, limit: int, ledger_version: int | None = None, fetch_events: bool = True
    ) -> TransactionListWithProof:
        """Up to ``limit`` transactions from ``start`` with a range proof against the ledger at
        ``ledger_version``."""
        lv = self._check_ledger_version(ledger_version)
        if start > lv or limit <= 0:
            return TransactionListWithProof(
                (),
                () if fetch_events else None,
                None,
                TransactionListProof(
                    acc.range_proof(lambda p: b"", TRANSACTION_ACCUMULATOR_HASHER, lv + 1, 0, 0), ()
                ),
            )
        end = min(lv + 1, start + limit)
        with self._begin() as txn:
            txs = []
            infos = []
            events = []
            for v in range(start, end):
                vk = _U64.pack(v)
                txs.append(self._decode(Transaction, self._get(txn, "txn", vk, f"txn {v}"), "txn"))
                infos.append(self._get_info(txn, v))
                if fetch_events:
                    events.append(self._events(txn, v))
            proof = acc.range_proof(
                self._acc_reader(txn), TRANSACTION_ACCUMULATOR_HASHER, lv + 1, start, end - start
            )
        return TransactionListWithProof(
            tuple(txs),
            tuple(events) if fetch_events else None,
            start,
            TransactionListProof(proof, tuple(infos)),
        )

    def _event_with_proof(
        self, txn: Any, version: int, index: int, ledger_version: int
    ) -> EventWithProof:
        events = self._events(txn, version)
        hashes = [e.hash() for e in events]
        ev_proof = acc.memory_proof(EVENT_ACCUMULATOR_HASHER, hashes, index)
        info = self._info_with_proof(txn, version, ledger_version)
        return EventWithProof(version, index, events[index], EventProof(info, ev_proof))

    def get_events_by_key(
        self, key: EventKey, start_seq: int, limit: int, ledger_version: int | None = None
    ) -> list[EventWithProof]:
        """Up to ``limit`` events of stream ``key`` from sequence number ``start_seq``, each
        with its proof against the ledger at ``ledger_version``."""
        lv = self._check_ledger_version(ledger_version)
        out: list[EventWithProof] = []
        with self._begin() as txn:
            cur = txn.cursor(db=self._db["event_by_key"])
            prefix = bytes(key)
            if limit <= 0 or not cur.set_range(prefix + _U64.pack(start_seq)):
                return out
            for k, v in cur:
                if not k.startswith(prefix) or len(out) >= limit:
                    break
                version, index = _U64X2.unpack(v)
                if version > lv:
                    break
                out.append(self._event_with_proof(txn, version, index, lv))
        return out

    def get_epoch_ending_ledger_info(self, epoch: int) -> LedgerInfoWithSignatures:
        """The ledger info that ended ``epoch``."""
        with self._begin() as txn:
            raw = self._get(txn, "epoch_li", _U64.pack(epoch), f"ledger info ending epoch {epoch}")
        li: LedgerInfoWithSignatures = self._decode(LedgerInfoWithSignatures, raw, "ledger info")
        return li

    def get_epoch_change_proof(
        self, from_epoch: int, to_epoch: int, limit: int = 100
    ) -> EpochChangeProof:
        """The ledger infos ending epochs ``from_epoch`` .. ``to_epoch - 1`` (at most ``limit``;
        ``more`` says if some were left out)."""
        if to_epoch < from_epoch:
            raise NotFoundError(self.path, f"epoch range {from_epoch}..{to_epoch} is reversed")
        lis = []
        end = min(to_epoch, from_epoch + limit)
        for e in range(from_epoch, end):
            lis.append(self.get_epoch_ending_ledger_info(e))
        return EpochChangeProof(tuple(lis), end < to_epoch)

    def get_accumulator_consistency_proof(
        self, client_known_version: int | None, ledger_version: int | None = None
    ) -> AccumulatorConsistencyProof:
        """The subtrees extending the ledger at ``client_known_version`` (None: empty) to the
        ledger at ``ledger_version``."""
        lv = self._check_ledger_version(ledger_version)
        sub = 0 if client_known_version is None else client_known_version + 1
        if sub > lv + 1:
            raise NotFoundError(self.path, f"known version {client_known_version} is after {lv}")
        with self._begin() as txn:
            return acc.consistency_proof(self._acc_reader(txn), lv + 1, sub)

    def get_frozen_subtree_hashes(self, num_leaves: int) -> list[HashValue]:
        """The frozen subtree roots of the first ``num_leaves`` transactions."""
        if num_leaves > self.num_transactions:
            raise NotFoundError(self.path, f"only {self.num_transactions} transactions committed")
        with self._begin() as txn:
            return acc.frozen_subtree_hashes(self._acc_reader(txn), num_leaves)

    def state_versions(self) -> list[int]:
        """Every state tree version still kept, oldest first."""
        with self._begin() as txn:
            cur = txn.cursor(db=self._db["state_root"])
            return [int(_U64.unpack(k)[0]) for k in cur.iternext(keys=True, values=False)]

    def iter_state(self, version: int) -> Iterator[tuple[bytes, bytes]]:
        """Every (account key, blob) of the state at ``version``, in key order."""
        with self._begin() as txn:
            tree = StateTree(self._node_reader(txn), self.path)
            yield from tree.iter_leaves(version)

    # -- consensus store -------------------------------------------------------------------------

    def consensus_put(self, items: Mapping[bytes, bytes]) -> None:
        """Stores consensus records (blocks, quorum certificates, safety data) atomically and
        durably."""
        with self._env.begin(write=True) as txn:
            for k, v in items.items():
                txn.put(bytes(k), bytes(v), db=self._db["consensus"])

    def consensus_get(self, key: bytes) -> bytes | None:
        """A consensus record, or None."""
        with self._begin() as txn:
            v = txn.get(bytes(key), db=self._db["consensus"])
        return None if v is None else bytes(v)

    def consensus_delete(self, keys: Sequence[bytes]) -> None:
        """Deletes consensus records atomically."""
        with self._env.begin(write=True) as txn:
            for k in keys:
                txn.delete(bytes(k), db=self._db["consensus"])

    def consensus_items(self, prefix: bytes = b"") -> list[tuple[bytes, bytes]]:
        """Every consensus record whose key starts with ``prefix``, in key order."""
        out = []
        with self._begin() as txn:
            cur = txn.cursor(db=self._db["consensus"])
            if cur.set_range(prefix):
                for k, v in cur:
                    if not bytes(k).startswith(prefix):
                        break
                    out.append((bytes(k), bytes(v)))
        return out


def _make_header(
    n: int,
    state_version: int | None,
    acc_root: HashValue,
    state_root: HashValue,
    li_hash: HashValue | None,
) -> StoreHeader:
    draft = StoreHeader(FORMAT_VERSION, n, state_version, acc_root, state_root, li_hash, bytes(32))
    return StoreHeader(
        FORMAT_VERSION, n, state_version, acc_root, state_root, li_hash, draft.expected_checksum()
    )


def _check_file_size(data_file: str) -> None:
    size = os.path.getsize(data_file)
    if size < 2 * 4096:
        raise CorruptionError(data_file, f"file is truncated ({size} bytes, no LMDB meta pages)")
