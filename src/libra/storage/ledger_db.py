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
========================  ========================================  ============================

A block is committed in one LMDB write transaction, which LMDB makes durable (fsync) when it
commits: after a crash the store holds every block whose ``commit_block`` returned, and no part
of any other. The header record (format version, sizes, roots, hash of the latest ledger info,
and a checksum over all of it) is rewritten by every commit and checked against the stored
accumulator, state tree and ledger info at open, so a damaged or truncated store is refused
with a :class:`CorruptionError` naming the file.

A commit that cannot be written (a full disk, the file size limit, a full LMDB map, an I/O
error) raises a :class:`~libra.storage.errors.WriteError` (:class:`StorageFullError` when room
was the cause) naming the data file and the versions it could not commit. Nothing of the block
is stored (LMDB writes the meta page last), and nothing in memory moved: the header, the latest
ledger info and the inner-hash cache are replaced only after a commit, and a speculative state
is marked committed only then. The database stays usable: once there is room, committing the
same block (or the same speculative state) again succeeds; reopened, the store is at its last
commit. State sync, restore and pruning write through the same commit.

Readers on other threads see commits whole: the header and the latest signed ledger info are
kept in memory as one immutable snapshot, replaced by a single assignment once the block's
LMDB transaction has committed (so everything it describes is readable by then), and each read
takes the snapshot once. A ledger info from :meth:`LedgerDB.latest_ledger_info` is therefore
never ahead of the version counts, roots and proofs the database serves after it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import operator
import os
import struct
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import lmdb

from libra import bcs
from libra.crypto import (
    ACCUMULATOR_PLACEHOLDER_HASH,
    SPARSE_MERKLE_PLACEHOLDER_HASH,
    HashValue,
    hash_prefix,
)
from libra.storage import accumulator as acc
from libra.storage.errors import (
    CommitError,
    CorruptionError,
    NotFoundError,
    StorageError,
)
from libra.storage.lmdb_env import open_environment, setup_error, write_error
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
    accumulator_root_digest,
    ledger_info_of,
)
from libra.storage.smt import InnerEntry, NodeReader, StateTree, TreeUpdate
from libra.types import (
    AccountAddress,
    ContractEvent,
    ContractEventV0,
    EventKey,
    Executed,
    KeptVMStatus,
    LedgerInfoWithSignatures,
    SignedTransaction,
    Transaction,
    TransactionInfo,
    UserTransaction,
    WriteSet,
)

__all__ = [
    "DEFAULT_INNER_CACHE_ENTRIES",
    "FORMAT_VERSION",
    "CommitResult",
    "LedgerDB",
    "RestoredTransaction",
    "SpeculativeState",
    "StoreHeader",
    "TransactionToCommit",
]

FORMAT_VERSION = 1
"""Version of the on-disk layout; a store with another version is refused."""

DEFAULT_MAP_SIZE = 1 << 36
"""Default largest size of the store (64 GiB of address space; the file grows as needed)."""

DEFAULT_INNER_CACHE_ENTRIES = 1 << 18
"""Default number of state tree nodes whose inner hashes are kept in memory (about 600 bytes
each; a tree of a million accounts has about 70,000 internal nodes above its leaves' level)."""

_U64 = struct.Struct(">Q")
_ACC_PLACEHOLDER = ACCUMULATOR_PLACEHOLDER_HASH
_ADDRESS_SALT = hash_prefix("AccountAddress")
_EMPTY_WRITE_SET = bcs.encode(WriteSet())


# Hashers seeded with their salts (each hash copies one; see CryptoHasher).
_EVENT_BASE = hashlib.sha3_256(hash_prefix("ContractEvent"))
_TXN_BASE = hashlib.sha3_256(hash_prefix("Transaction"))
_INFO_BASE = hashlib.sha3_256(hash_prefix("TransactionInfo"))
_EVENT_ACC_BASE = hashlib.sha3_256(hash_prefix("EventAccumulator"))
_ACCOUNT_KEYS: dict[AccountAddress, bytes] = {}
"""State tree keys of recently updated accounts (a validator's blocks update the same accounts
over and over)."""
_ACCOUNT_KEY_CACHE_SIZE = 1 << 17
_U64_LE = struct.Struct("<Q")
_U64_MAX = (1 << 64) - 1
_first = operator.itemgetter(0)
_hash_value = bytes.__new__
"""``_hash_value(HashValue, digest)``: a HashValue of a 32-byte digest, without the length
check of ``HashValue(...)``."""


def _encode_info(info: TransactionInfo) -> bytes:
    """``bcs.encode(info)``, built directly for the common case (three hashes, the gas used,
    an ``Executed`` status)."""
    a = info.transaction_hash
    b = info.state_root_hash
    c = info.event_root_hash
    gas = info.gas_used
    if (
        type(info.status) is Executed
        and isinstance(a, bytes)
        and isinstance(b, bytes)
        and isinstance(c, bytes)
        and len(a) == 32
        and len(b) == 32
        and len(c) == 32
        and type(gas) is int
        and 0 <= gas <= _U64_MAX
    ):
        return b"".join((b"\x20", a, b"\x20", b, b"\x20", c, _U64_LE.pack(gas), b"\x00"))
    return bcs.encode(info)


def _account_key_bytes(address: AccountAddress) -> bytes:
    """``account_key(address)`` as plain bytes (the hot path of a commit)."""
    return hashlib.sha3_256(_ADDRESS_SALT + address).digest()


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
class RestoredTransaction:
    """A transaction whose transaction info is already known and verified (by a backup's or a
    state sync chunk's proofs against a signed ledger info), to be written as it is."""

    transaction: Transaction
    events: tuple[ContractEvent, ...]
    write_set: WriteSet
    info: TransactionInfo


@dataclass(frozen=True, slots=True)
class _Committed:
    """What readers see of the committed ledger: the header and the latest signed ledger info,
    published together by one assignment once their LMDB transaction has committed. A reader
    takes it before beginning its LMDB read transaction, which then sees all it describes."""

    header: StoreHeader | None
    latest_li: LedgerInfoWithSignatures | None

    @property
    def num_transactions(self) -> int:
        return self.header.num_transactions if self.header is not None else 0

    @property
    def state_version(self) -> int | None:
        return self.header.state_version if self.header is not None else None


_EMPTY = _Committed(None, None)


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


class SpeculativeState:
    """A block executed on top of the committed ledger or of another speculative state, held
    in memory: its transaction infos, the accumulator nodes and state tree nodes it adds, and
    the roots it leads to. Made by :meth:`LedgerDB.speculate`; committing it with
    :meth:`LedgerDB.commit_block` writes what was computed without hashing anything again.

    Sibling states (two forks on the same parent) share nothing but their parent; each keeps
    its own nodes."""

    __slots__ = (
        "_acc_nodes",
        "_db",
        "_event_bytes",
        "_info_bytes",
        "_txn_bytes",
        "accumulator_root",
        "base_accumulator_root",
        "base_state_root",
        "base_state_version",
        "committed",
        "first_version",
        "infos",
        "parent",
        "state_root",
        "state_version",
        "transactions",
        "tree",
    )

    def __init__(
        self,
        db: LedgerDB,
        parent: SpeculativeState | None,
        base: tuple[int, HashValue, int | None, HashValue],
        transactions: tuple[TransactionToCommit, ...],
        infos: tuple[TransactionInfo, ...],
        encoded: tuple[list[bytes], list[bytes]],
        acc_nodes: dict[int, bytes],
        accumulator_root: HashValue,
        tree: TreeUpdate | None,
        state_root: HashValue,
        event_bytes: list[bytes] | None = None,
    ) -> None:
        self._db = db
        self.parent = parent
        """The state this one was computed on (None: the committed ledger at the time)."""
        (
            self.first_version,
            self.base_accumulator_root,
            self.base_state_version,
            self.base_state_root,
        ) = base
        self.transactions = transactions
        """The block's transactions."""
        self.infos = infos
        """Their transaction infos."""
        self._txn_bytes, self._info_bytes = encoded
        self._event_bytes = event_bytes
        """The encodings of the block's events in order (None: not computed)."""
        self._acc_nodes = acc_nodes
        self.accumulator_root = accumulator_root
        """Root of the transaction accumulator after the block."""
        self.tree = tree
        """The state tree nodes the block writes (None for an empty block)."""
        self.state_version = tree.version if tree is not None else self.base_state_version
        """The state tree version after the block."""
        self.state_root = state_root
        """Root of the state tree after the block."""
        self.committed = False
        """Set once this state has been committed to its database."""

    @property
    def num_transactions(self) -> int:
        """Number of transactions in the ledger after the block."""
        return self.first_version + len(self.transactions)

    @property
    def version(self) -> int | None:
        """Version of the block's last transaction (of the ledger's, for an empty block)."""
        n = self.num_transactions
        return n - 1 if n else None

    def chain(self) -> list[SpeculativeState]:
        """This state and its uncommitted ancestors, newest first."""
        out: list[SpeculativeState] = []
        s: SpeculativeState | None = self
        while s is not None and not s.committed:
            out.append(s)
            s = s.parent
        return out

    def get_account_blob(self, address: AccountAddress) -> bytes | None:
        """``address``'s blob in the state after this block (None: no such account)."""
        if self.state_version is None:
            return None
        return self._db._speculative_get(self, bytes(account_key(address)))


class LedgerDB:
    """The ledger database. Open with :meth:`open`; close with :meth:`close` (or ``with``)."""

    def __init__(
        self,
        path: str,
        env: Any,
        dbs: dict[str, Any],
        prune_window: int | None,
        inner_cache_entries: int = DEFAULT_INNER_CACHE_ENTRIES,
    ) -> None:
        self.path = path
        self.data_file = os.path.join(path, "data.mdb")
        self._env = env
        self._db = dbs
        self.prune_window = prune_window
        self._committed = _EMPTY
        """The committed ledger as readers see it (replaced whole, never changed)."""
        self._commit_lock = threading.Lock()
        self._inner_cache: dict[bytes, InnerEntry] = {}
        self._inner_cache_entries = inner_cache_entries

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
        inner_cache_entries: int = DEFAULT_INNER_CACHE_ENTRIES,
    ) -> LedgerDB:
        """Opens (or creates) the store in directory ``path``.

        ``prune_window``: keep state tree versions of at least the last ``prune_window``
        versions (None keeps everything). ``inner_cache_entries``: how many state tree nodes'
        inner hashes to keep in memory (see :mod:`.smt`; 0 disables the cache). Raises
        :class:`CorruptionError` if the files are damaged, :class:`StorageError` if they cannot
        be opened."""
        path = os.fspath(path)
        data_file = os.path.join(path, "data.mdb")
        if not create and not os.path.exists(data_file):
            raise NotFoundError(path, "no ledger database here")
        env = open_environment(
            path,
            map_size=map_size,
            max_dbs=len(_DB_NAMES) + 2,
            readonly=readonly,
            create=create,
        )
        try:
            dbs = {}
            for name in _DB_NAMES:
                dbs[name] = env.open_db(name.encode(), create=not readonly)
        except lmdb.Error as err:
            raise setup_error(data_file, err, env, "cannot open the sub-databases") from None
        except StorageError:
            env.close()
            raise
        db = cls(path, env, dbs, prune_window, inner_cache_entries)
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
                self._committed = _EMPTY
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
                tree = StateTree(self._node_reader(txn), self.path, self._inner_cache.get)
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
            li: LedgerInfoWithSignatures | None = None
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
            self._committed = _Committed(header, li)

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

    def _node_reader(self, txn: Any) -> NodeReader:
        # The transaction's own get, bound to the sub-database: no Python frame per node read.
        read: NodeReader = functools.partial(txn.get, db=self._db["state_node"])
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
        return self._committed.num_transactions

    @property
    def latest_version(self) -> int | None:
        """Version of the last committed transaction, None when empty."""
        n = self._committed.num_transactions
        return n - 1 if n else None

    @property
    def state_version(self) -> int | None:
        """The latest version of the state tree."""
        return self._committed.state_version

    @property
    def accumulator_root(self) -> HashValue:
        """Root of the transaction accumulator over every committed transaction."""
        return _accumulator_root(self._committed)

    @property
    def state_root(self) -> HashValue:
        """Root of the latest state tree."""
        return _state_root(self._committed)

    def latest_ledger_info(self) -> LedgerInfoWithSignatures | None:
        """The latest committed signed ledger info (None before the first). Every version it
        covers is readable (with proofs against it) by the time it is returned."""
        return self._committed.latest_li

    # -- commit ----------------------------------------------------------------------------------

    def _chain_readers(
        self, txn: Any, chain: Sequence[SpeculativeState]
    ) -> tuple[Any, Any, acc.NodeReader]:
        """Node, inner-hash and accumulator readers that see ``chain`` (newest first) on top of
        the committed store."""
        node_get = self._node_reader(txn)
        acc_get = self._acc_reader(txn)
        cache = self._inner_cache
        if not chain:
            return node_get, cache.get, acc_get
        trees = [s.tree.new_nodes for s in chain if s.tree is not None]
        inners = [s.tree.inner for s in chain if s.tree is not None]
        accs = [s._acc_nodes for s in chain]
        pairs = list(zip(trees, inners, strict=True))

        def read_node(nk: bytes) -> bytes | None:
            for nodes in trees:
                v = nodes.get(nk)
                if v is not None:
                    return v
            return node_get(nk)

        def read_inner(nk: bytes) -> InnerEntry | None:
            for nodes, inner in pairs:
                if nk in nodes:
                    return inner.get(nk)
            return cache.get(nk)

        def read_acc(pos: int) -> bytes:
            for nodes in accs:
                v = nodes.get(pos)
                if v is not None:
                    return v
            return acc_get(pos)

        return read_node, read_inner, read_acc

    def _speculate(
        self,
        txn: Any,
        parent: SpeculativeState | None,
        txns: Sequence[TransactionToCommit],
        committed: _Committed,
    ) -> SpeculativeState:
        """``committed``: the committed ledger ``txn`` sees (taken before ``txn`` began)."""
        if parent is None:
            base = _base(committed)
            chain: list[SpeculativeState] = []
        else:
            if parent._db is not self:
                raise CommitError(self.path, "the parent state belongs to another database")
            base = (
                parent.num_transactions,
                parent.accumulator_root,
                parent.state_version,
                parent.state_root,
            )
            chain = parent.chain()
        first, base_acc, base_state, base_root = base
        read_node, read_inner, read_acc = self._chain_readers(txn, chain)
        tree_update: TreeUpdate | None = None
        state_root = base_root
        if txns:
            merged: dict[AccountAddress, bytes | None] = {}
            for t in txns:
                merged.update(t.account_updates)
            keys = _ACCOUNT_KEYS
            updates = []
            for addr, blob in merged.items():
                k = keys.get(addr)
                if k is None:
                    k = _account_key_bytes(addr)
                    if len(keys) >= _ACCOUNT_KEY_CACHE_SIZE:
                        keys.clear()
                    keys[addr] = k
                updates.append((k, None if blob is None else bytes(blob)))
            tree = StateTree(read_node, self.path, read_inner)
            tree_update = tree.update(base_state, first + len(txns) - 1, updates)
            state_root = tree_update.root_hash
        infos = []
        txn_bytes = []
        info_bytes = []
        info_hashes = []
        event_bytes: list[bytes] = []
        last = len(txns) - 1
        encode = bcs.encode
        event_base = _EVENT_BASE
        txn_base = _TXN_BASE
        info_base = _INFO_BASE
        event_root_of = accumulator_root_digest
        event_acc_base = _EVENT_ACC_BASE
        event_hasher = EVENT_ACCUMULATOR_HASHER
        hash_value = _hash_value
        for i, t in enumerate(txns):
            events = t.events
            if not events:
                event_root = _ACC_PLACEHOLDER
            else:
                hashes = []
                for e in events:
                    eb = e.encoded()
                    event_bytes.append(eb)
                    h = event_base.copy()
                    h.update(eb)
                    hashes.append(h.digest())
                if len(hashes) == 1:
                    event_root = hash_value(HashValue, hashes[0])
                elif len(hashes) == 2:
                    # A payment's two events: the root is the hash of the pair.
                    h = event_acc_base.copy()
                    h.update(hashes[0])
                    h.update(hashes[1])
                    event_root = hash_value(HashValue, h.digest())
                else:
                    event_root = hash_value(HashValue, event_root_of(event_hasher, hashes))
            root = t.state_root_hash if t.state_root_hash is not None else state_root
            if i == last and root != state_root:
                raise CommitError(
                    self.path,
                    f"block's last transaction claims state root {root.hex()}, "
                    f"the state tree gives {state_root.hex()}",
                )
            txn = t.transaction
            if type(txn) is UserTransaction and type(txn.value) is SignedTransaction:
                # Its bytes and hash are kept by the signed transaction.
                tb = b"\x00" + txn.value.encoded()
                txn_hash = txn.value.hash()
            else:
                tb = encode(txn)
                h = txn_base.copy()
                h.update(tb)
                txn_hash = hash_value(HashValue, h.digest())
            info = TransactionInfo(txn_hash, root, event_root, t.gas_used, t.status)
            ib = _encode_info(info)
            infos.append(info)
            txn_bytes.append(tb)
            info_bytes.append(ib)
            h = info_base.copy()
            h.update(ib)
            info_hashes.append(h.digest())
        nodes = acc.append(read_acc, TRANSACTION_ACCUMULATOR_HASHER, first, info_hashes)

        def read_both(pos: int) -> bytes:
            v = nodes.get(pos)
            return v if v is not None else read_acc(pos)

        acc_root = (
            acc.root_hash(read_both, TRANSACTION_ACCUMULATOR_HASHER, first + len(txns))
            if txns
            else base_acc
        )
        return SpeculativeState(
            self,
            parent,
            base,
            tuple(txns),
            tuple(infos),
            (txn_bytes, info_bytes),
            nodes,
            acc_root,
            tree_update,
            state_root,
            event_bytes,
        )

    def speculate(
        self, parent: SpeculativeState | None, txns: Sequence[TransactionToCommit]
    ) -> SpeculativeState:
        """Computes, without writing anything, the block ``txns`` on top of ``parent`` (None:
        the committed ledger): its transaction infos, accumulator root and state root. The
        result can be read (:meth:`SpeculativeState.get_account_blob`), extended by further
        speculation, and committed with :meth:`commit_block` once its parent is committed."""
        committed = self._committed  # before the read transaction: it sees all of it
        with self._begin() as txn:
            return self._speculate(txn, parent, txns, committed)

    def speculate_restored(
        self,
        transactions: Sequence[RestoredTransaction],
        state_updates: Sequence[tuple[bytes, bytes | None]] | None = None,
    ) -> SpeculativeState:
        """Prepares, without writing anything, a block of ``transactions`` whose transaction
        infos are already known (restore, from a verified backup) on top of the committed
        ledger. The infos are written as given (their transactions and events are not hashed
        again): the caller must have verified them, and must check the result's
        ``accumulator_root`` and ``state_root`` against what it trusts before committing it
        with :meth:`commit_block` (which checks any ledger info against the accumulator root,
        and the state root against the last transaction info).

        ``state_updates``: the (state tree key, blob or None to delete) pairs the block
        changes, applied to the latest state at the block's last version; on a ledger that
        keeps no state yet, they are a state snapshot (the state tree is built from them
        alone). None: the block carries no state, which only a ledger that keeps no state yet
        accepts (the transactions before a restored snapshot).

        Raises :class:`CommitError` for an empty block, or a block without state on a ledger
        that keeps state; ``ValueError`` if the updates are malformed (a key that is not 32
        bytes, or is updated twice)."""
        if not transactions:
            raise CommitError(self.path, "a restored block holds no transactions")
        committed = self._committed  # before the read transaction: it sees all of it
        with self._begin() as txn:
            base = _base(committed)
            first, _acc_root, base_state, base_root = base
            last = first + len(transactions) - 1
            tree: TreeUpdate | None = None
            if state_updates is not None:
                reader = StateTree(self._node_reader(txn), self.path, self._inner_cache.get)
                tree = reader.update(base_state, last, list(state_updates))
            elif base_state is not None:
                raise CommitError(
                    self.path,
                    f"the ledger keeps state (at version {base_state}): the restored block at "
                    f"{first}..{last} must bring its state updates",
                )
            infos = tuple(t.info for t in transactions)
            info_bytes = [_encode_info(i) for i in infos]
            hashes = []
            for ib in info_bytes:
                h = _INFO_BASE.copy()
                h.update(ib)
                hashes.append(h.digest())
            read_acc = self._acc_reader(txn)
            nodes = acc.append(read_acc, TRANSACTION_ACCUMULATOR_HASHER, first, hashes)

            def read_both(pos: int) -> bytes:
                v = nodes.get(pos)
                return v if v is not None else read_acc(pos)

            acc_root = acc.root_hash(read_both, TRANSACTION_ACCUMULATOR_HASHER, last + 1)
        txns = tuple(
            TransactionToCommit(
                t.transaction,
                {},
                events=t.events,
                write_set=t.write_set,
                gas_used=t.info.gas_used,
                status=t.info.status,
                state_root_hash=t.info.state_root_hash,
            )
            for t in transactions
        )
        return SpeculativeState(
            self,
            None,
            base,
            txns,
            infos,
            ([bcs.encode(t.transaction) for t in transactions], info_bytes),
            nodes,
            acc_root,
            tree,
            tree.root_hash if tree is not None else base_root,
        )

    def _speculative_get(self, state: SpeculativeState, key: bytes) -> bytes | None:
        with self._begin() as txn:
            read_node, read_inner, _ = self._chain_readers(txn, state.chain())
            version = state.state_version
            if version is None:
                return None
            return StateTree(read_node, self.path, read_inner).get(key, version)

    def speculative_roots(self, txns: Sequence[TransactionToCommit]) -> tuple[HashValue, HashValue]:
        """(accumulator root, state root) the block would produce on the committed ledger,
        without writing anything."""
        s = self.speculate(None, txns)
        return s.accumulator_root, s.state_root

    def commit_block(
        self,
        block: Sequence[TransactionToCommit] | SpeculativeState,
        ledger_info: LedgerInfoWithSignatures | None = None,
    ) -> CommitResult:
        """Commits a block and (optionally) the ledger info that certifies it, atomically and
        durably. ``block`` is either the transactions (executed here on the committed ledger)
        or a :class:`SpeculativeState` computed earlier, which must extend the committed
        ledger exactly. Raises :class:`CommitError` (writing nothing) if it does not, or if the
        ledger info does not match the block; :class:`~libra.storage.errors.WriteError` (a
        :class:`StorageFullError` when there is no room) if it cannot be written, which also
        writes nothing and leaves the database as it was (see the module's documentation).

        Readers on other threads see the block, the new header and the ledger info together:
        all three become visible at once, after the LMDB transaction has committed."""
        with self._commit_lock:
            return self._commit(block, ledger_info)

    def _commit(
        self,
        block: Sequence[TransactionToCommit] | SpeculativeState,
        ledger_info: LedgerInfoWithSignatures | None,
    ) -> CommitResult:
        committed = self._committed
        latest_li = committed.latest_li
        if isinstance(block, SpeculativeState):
            first, count = block.first_version, len(block.transactions)
        else:
            first, count = committed.num_transactions, len(block)
        try:
            with self._env.begin(write=True) as txn:
                if isinstance(block, SpeculativeState):
                    p = block
                    self._check_extends(p, committed)
                else:
                    p = self._speculate(txn, None, block, committed)
                n = p.num_transactions
                li_hash = committed.header.ledger_info_hash if committed.header else None
                if ledger_info is not None:
                    li = ledger_info_of(ledger_info)
                    if li.version != n - 1:
                        raise CommitError(
                            self.path,
                            f"ledger info is for version {li.version}, block ends at {n - 1}",
                        )
                    if li.transaction_accumulator_hash != p.accumulator_root:
                        raise CommitError(
                            self.path,
                            "ledger info's accumulator root "
                            f"{li.transaction_accumulator_hash.hex()} is not the block's "
                            f"{p.accumulator_root.hex()}",
                        )
                    li_hash = li.hash()
                self._write_block(txn, p)
                if ledger_info is not None:
                    li_bytes = bcs.encode(ledger_info)
                    txn.put(b"latest_li", li_bytes, db=self._db["meta"])
                    li = ledger_info_of(ledger_info)
                    if li.ends_epoch():
                        txn.put(_U64.pack(li.epoch), li_bytes, db=self._db["epoch_li"])
                    # Readers get what is stored, as they did when it was read back from LMDB.
                    latest_li = bcs.decode(LedgerInfoWithSignatures, li_bytes)
                header = _make_header(n, p.state_version, p.accumulator_root, p.state_root, li_hash)
                txn.put(b"header", bcs.encode(header), db=self._db["meta"])
                if p.tree is not None and self.prune_window is not None:
                    self._prune(txn, p.tree.version - self.prune_window)
        except lmdb.Error as err:
            # LMDB wrote none of it (see :mod:`.lmdb_env`), and nothing in memory changed: the
            # same block can be committed again once there is room.
            if count == 0:
                what = f"commit the ledger info at version {first - 1}"
            elif count == 1:
                what = f"commit the block at version {first}"
            else:
                what = f"commit the block of versions {first}..{first + count - 1}"
            raise write_error(self.data_file, what, err, self._env) from None
        # The LMDB transaction has committed: publish the header and the ledger info at once.
        self._committed = _Committed(header, latest_li)
        p.committed = True
        if p.tree is not None:
            self._cache_inner(p.tree)
        return CommitResult(
            p.first_version, n - 1, p.accumulator_root, p.state_root, tuple(p.infos)
        )

    def _check_extends(self, p: SpeculativeState, committed: _Committed) -> None:
        if p._db is not self:
            raise CommitError(self.path, "the speculative state belongs to another database")
        if p.committed:
            raise CommitError(self.path, f"the block at version {p.first_version} is committed")
        if p.tree is not None and p.infos and p.infos[-1].state_root_hash != p.state_root:
            raise CommitError(
                self.path,
                f"block's last transaction info has state root "
                f"{p.infos[-1].state_root_hash.hex()}, the state tree gives {p.state_root.hex()}",
            )
        mine = _base(committed)
        theirs = (
            p.first_version,
            p.base_accumulator_root,
            p.base_state_version,
            p.base_state_root,
        )
        if mine != theirs:
            raise CommitError(
                self.path,
                f"the block was computed on {theirs[0]} transactions with accumulator root "
                f"{theirs[1].hex()}, but the ledger has {mine[0]} with root {mine[1].hex()}",
            )

    def _cache_inner(self, tree: TreeUpdate) -> None:
        """Keeps the inner hashes of the committed tree's newest nodes (see :mod:`.smt`)."""
        cache = self._inner_cache
        if self._inner_cache_entries <= 0:
            return
        stale = tree.stale if tree.cached_stale is None else tree.cached_stale
        for nk in stale:
            cache.pop(nk, None)
        cache.update(tree.inner)
        excess = len(cache) - self._inner_cache_entries
        if excess > 0:
            for nk in list(itertools.islice(cache, excess + self._inner_cache_entries // 8)):
                del cache[nk]

    def _write_block(self, txn: Any, p: SpeculativeState) -> None:
        db = self._db
        first = p.first_version
        pack = _U64.pack
        pack2 = _U64X2.pack
        n = len(p.transactions)
        vkeys = [pack(first + i) for i in range(n)]
        encode = bcs.encode
        event_keys = []
        by_key = []
        account = []
        write_sets = []
        for i, t in enumerate(p.transactions):
            ws = t.write_set
            write_sets.append(_EMPTY_WRITE_SET if not ws.write_set else encode(ws))
            if t.events:
                v = first + i
                for j, ev in enumerate(t.events):
                    loc = pack2(v, j)
                    event_keys.append(loc)
                    if isinstance(ev, ContractEventV0):
                        by_key.append((bytes(ev.key) + pack(ev.sequence_number), loc))
            if isinstance(t.transaction, UserTransaction):
                raw = t.transaction.value.raw_txn
                account.append((bytes(raw.sender) + pack(raw.sequence_number), vkeys[i]))

        def put_all(name: str, items: list[tuple[bytes, bytes]], append: bool = False) -> None:
            """Puts ``items``; with ``append``, they are sorted and after every key stored (LMDB
            then fills pages without searching), and if one is not, all are put again the
            ordinary way."""
            if not items:
                return
            cur = txn.cursor(db=db[name])
            if append and cur.putmulti(items, append=True)[1] == len(items):
                return
            cur.putmulti(items)

        put_all("txn", list(zip(vkeys, p._txn_bytes, strict=True)), True)
        put_all("txn_info", list(zip(vkeys, p._info_bytes, strict=True)), True)
        put_all("write_set", list(zip(vkeys, write_sets, strict=True)), True)
        event_bytes = p._event_bytes
        if event_bytes is None:
            event_bytes = [ev.encoded() for t in p.transactions for ev in t.events]
        put_all("event", list(zip(event_keys, event_bytes, strict=True)), True)
        # Keys in order (each is unique): LMDB then walks its pages in order.
        by_key.sort(key=_first)
        put_all("event_by_key", by_key)
        account.sort(key=_first)
        put_all("account_txn", account)
        put_all("txn_acc", [(pack(pos), p._acc_nodes[pos]) for pos in sorted(p._acc_nodes)])
        if p.tree is not None:
            nodes = p.tree.new_nodes
            put_all("state_node", [(nk, nodes[nk]) for nk in sorted(nodes)], True)
            sv = pack(p.tree.version)
            put_all("state_stale", [(sv + nk, b"") for nk in sorted(p.tree.stale)], True)
            txn.put(sv, bytes(p.state_root), db=db["state_root"])

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

    def _check_ledger_version(self, ledger_version: int | None, committed: _Committed) -> int:
        """``ledger_version`` (None: the latest) checked against ``committed``, the snapshot
        the read took (once: a later commit must not change the answer half way)."""
        latest = committed.num_transactions - 1
        if latest < 0:
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
        lv = self._check_ledger_version(ledger_version, self._committed)
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
        committed = self._committed
        lv = self._check_ledger_version(ledger_version, committed)
        if version is None:
            version = committed.state_version
            if version is None or version > lv:
                raise NotFoundError(self.path, "no state version at or before the ledger version")
        if version > lv:
            raise NotFoundError(self.path, f"version {version} is after ledger version {lv}")
        with self._begin() as txn:
            self._check_state_kept(txn, version)
            tree = StateTree(self._node_reader(txn), self.path, self._inner_cache.get)
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
            if version is not None:
                self._check_state_kept(txn, v)
            tree = StateTree(self._node_reader(txn), self.path, self._inner_cache.get)
            return tree.get(bytes(account_key(address)), v)

    def _check_state_kept(self, txn: Any, version: int) -> None:
        if txn.get(_U64.pack(version), db=self._db["state_root"]) is None:
            raise NotFoundError(
                self.path,
                f"no state kept at version {version} (state is kept at block ends, "
                "within the prune window)",
            )

    def get_transactions_with_proof(
        self, start: int, limit: int, ledger_version: int | None = None, fetch_events: bool = True
    ) -> TransactionListWithProof:
        """Up to ``limit`` transactions from ``start`` with a range proof against the ledger at
        ``ledger_version``."""
        lv = self._check_ledger_version(ledger_version, self._committed)
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
        lv = self._check_ledger_version(ledger_version, self._committed)
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
        lv = self._check_ledger_version(ledger_version, self._committed)
        sub = 0 if client_known_version is None else client_known_version + 1
        if sub > lv + 1:
            raise NotFoundError(self.path, f"known version {client_known_version} is after {lv}")
        with self._begin() as txn:
            return acc.consistency_proof(self._acc_reader(txn), lv + 1, sub)

    def get_frozen_subtree_hashes(self, num_leaves: int) -> list[HashValue]:
        """The frozen subtree roots of the first ``num_leaves`` transactions."""
        n = self.num_transactions
        if num_leaves > n:
            raise NotFoundError(self.path, f"only {n} transactions committed")
        with self._begin() as txn:
            return acc.frozen_subtree_hashes(self._acc_reader(txn), num_leaves)

    def oldest_state_version(self) -> int | None:
        """The oldest state tree version still kept (None: none yet)."""
        with self._begin() as txn:
            cur = txn.cursor(db=self._db["state_root"])
            return int(_U64.unpack(cur.key())[0]) if cur.first() else None

    def state_versions(self) -> list[int]:
        """Every state tree version still kept, oldest first."""
        with self._begin() as txn:
            cur = txn.cursor(db=self._db["state_root"])
            return [int(_U64.unpack(k)[0]) for k in cur.iternext(keys=True, values=False)]

    def iter_state(self, version: int) -> Iterator[tuple[bytes, bytes]]:
        """Every (account key, blob) of the state at ``version``, in key order."""
        with self._begin() as txn:
            tree = StateTree(self._node_reader(txn), self.path, self._inner_cache.get)
            yield from tree.iter_leaves(version)

    def state_changes(
        self, old_version: int | None, new_version: int
    ) -> list[tuple[bytes, bytes | None]]:
        """Every (account key, blob or None) that differs between two kept state versions
        (``old_version`` None: the empty state), in key order."""
        with self._begin() as txn:
            return StateTree(self._node_reader(txn), self.path).changes(old_version, new_version)

    def epoch_ending_ledger_infos(self) -> list[LedgerInfoWithSignatures]:
        """Every epoch-ending signed ledger info, oldest epoch first."""
        out = []
        with self._begin() as txn:
            cur = txn.cursor(db=self._db["epoch_li"])
            for k, v in cur:
                out.append(
                    self._decode(LedgerInfoWithSignatures, bytes(v), f"ledger info {k.hex()}")
                )
        return out


def _base(c: _Committed) -> tuple[int, HashValue, int | None, HashValue]:
    """(transactions, accumulator root, state version, state root) of ``c``: what a block
    must be computed on to extend it."""
    return c.num_transactions, _accumulator_root(c), c.state_version, _state_root(c)


def _accumulator_root(c: _Committed) -> HashValue:
    if c.header is None:
        return acc.root_hash(lambda p: b"", TRANSACTION_ACCUMULATOR_HASHER, 0)
    return c.header.accumulator_root


def _state_root(c: _Committed) -> HashValue:
    if c.header is None:
        return SPARSE_MERKLE_PLACEHOLDER_HASH
    return c.header.state_root


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
