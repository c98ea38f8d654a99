"""Backup and restore of the ledger database.

What a backup holds
-------------------

A backup is a directory of files, every binary one BCS-encoded:

=================================  ==========================================================
file                               content
=================================  ==========================================================
``manifest.json``                  format, ledger/epoch/snapshot summary, and the name, kind,
                                   size and SHA3-256 of every other file; canonical JSON
                                   (sorted keys, two-space indent) sealed by its own SHA3-256
                                   (``manifest_sha3_256``)
``epoch_ending_ledger_infos.bcs``  :class:`EpochEndingLedgerInfos`: every epoch-ending signed
                                   ledger info, oldest epoch first
``latest_ledger_info.bcs``         the latest signed ledger info (version ``L``)
``transactions-NNNNNN.bcs``        :class:`TransactionChunk`: ALL transactions from version 0
                                   to ``L``, in chunks, each with its events, its transaction
                                   infos (state root, event root, gas, status) and an
                                   accumulator range proof against the latest ledger info, plus
                                   the write sets
``state-NNNNNN.bcs``               :class:`StateChunk`: the state snapshot at version ``S`` (a
                                   kept state version, at most ``L``): every (account key,
                                   blob) in key order, in chunks
``state_updates-NNNNNN.bcs``       :class:`StateUpdatesChunk`: for every block committed after
                                   ``S`` up to ``L``, the account keys it changed and their new
                                   blobs (None: deleted)
=================================  ==========================================================

The full transaction history is kept (the simple, verifiable choice): the restored database
serves every transaction, event and proof from version 0, and its state from ``S`` on (the
state of older versions is not in the backup).

What restore verifies
---------------------

Before anything is trusted: the manifest is canonical and matches its own checksum, every file
it lists exists with the listed size and SHA3-256 (checked again on the bytes actually used),
and every file decodes. Then:

1. The chain of epoch-ending ledger infos: the first one is the trust anchor (pinned with
   ``trust="VERSION:HASH"``, HASH being its :meth:`LedgerInfo.hash`, else taken from the
   backup); every later one must be signed by a quorum (2f+1 voting power) of the validators
   the previous one names (:class:`EpochChangeProof`), and the latest ledger info by a quorum
   of the validators of its epoch (:func:`verify_ledger_info`).
2. Every transaction chunk is a :class:`TransactionListWithProof` verified against the latest
   signed ledger info: transactions match their infos' hashes, events their event roots, and
   the infos' range proof the signed accumulator root. So every transaction info, including
   every state root hash, is authenticated by the validators' signatures.
3. The state tree rebuilt from the snapshot must have the root hash of the (authenticated)
   transaction info at ``S``; every block replayed after ``S`` must give the root of the
   transaction info at its last version.
4. Each ledger info is committed with the block it certifies, and the database checks that its
   accumulator root is the one signed (the restored root therefore equals the signed one).
   Write sets are not covered by the ledger's hashes (as in Diem); only by the file checksums.

The database is written in a temporary directory next to the target, reopened (which checks
its header, accumulator and state tree once more) and only then renamed to the target path: a
failed restore leaves nothing there. An existing target path is refused.

A full disk
-----------

A backup is written the same way: in a temporary directory next to the target, each file
synced, the manifest last, the directory renamed into place when complete. A write that fails
(a full disk, the file size limit) is a :class:`BackupError` naming the backup directory and
the file that could not be written, saying when room was the cause; the temporary directory is
removed, so no backup is left at the target. (Even a partial backup that survived a killed
process would be refused by restore: it has no manifest, or files missing or differing from
the manifest's sizes and checksums.) A restore that cannot write its database is a
:class:`BackupError` naming the target, likewise leaving nothing there.

Every failure is a :class:`BackupError` naming the file at fault (the backup directory when
several files together are inconsistent).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from libra import bcs
from libra.crypto import HashValue
from libra.storage.errors import StorageError, WriteError
from libra.storage.ledger_db import LedgerDB, RestoredTransaction, SpeculativeState
from libra.storage.lmdb_env import out_of_space
from libra.storage.proof import (
    EpochChangeProof,
    ProofError,
    TransactionListWithProof,
    ledger_info_of,
    verify_ledger_info,
)
from libra.types import (
    LedgerInfo,
    LedgerInfoWithSignatures,
    WriteSet,
)

__all__ = [
    "BACKUP_FORMAT",
    "BACKUP_FORMAT_VERSION",
    "DEFAULT_CHUNK_SIZE",
    "MANIFEST",
    "BackupError",
    "BackupSummary",
    "BlockStateUpdate",
    "EpochEndingLedgerInfos",
    "StateChunk",
    "StateLeaf",
    "StateUpdate",
    "StateUpdatesChunk",
    "TransactionChunk",
    "backup",
    "parse_trust_anchor",
    "restore",
    "trust_anchor",
]

BACKUP_FORMAT = "libra-ledger-backup"
"""The ``format`` field of every manifest."""
BACKUP_FORMAT_VERSION = 1
"""Version of the backup layout; a backup with another version is refused."""
MANIFEST = "manifest.json"
"""Name of the manifest file in a backup directory."""
DEFAULT_CHUNK_SIZE = 10_000
"""Transactions, accounts or account updates per chunk file."""

_LI_FILE = "epoch_ending_ledger_infos.bcs"
_LATEST_FILE = "latest_ledger_info.bcs"
_KINDS = ("epoch_ending_ledger_infos", "latest_ledger_info", "transactions", "state")
_CHUNK_KINDS = ("transactions", "state", "state_updates")
_NAME_RE = re.compile(r"[a-z_]+(-[0-9]{6})?\.bcs")
_MAX_MANIFEST_BYTES = 64 << 20
_SEAL_FIELD = "manifest_sha3_256"
_REPLAY_BATCH = DEFAULT_CHUNK_SIZE
"""Most transactions committed at once before the snapshot version (where any split works:
no state is restored there)."""
_T = TypeVar("_T")


class BackupError(StorageError):
    """A backup cannot be written, or a backup is damaged, incomplete or does not verify;
    ``path`` is the file at fault."""


# ---------------------------------------------------------------------------------------------
# File contents (BCS)


@bcs.struct
class EpochEndingLedgerInfos:
    """Every epoch-ending signed ledger info, oldest epoch first."""

    ledger_infos: tuple[LedgerInfoWithSignatures, ...]


@bcs.struct
class TransactionChunk:
    """Consecutive transactions with their events, infos and range proof against the latest
    ledger info of the backup, and their write sets."""

    transactions: TransactionListWithProof
    write_sets: tuple[WriteSet, ...]


@bcs.struct
class StateLeaf:
    """One account of the snapshot: its state tree key and blob."""

    key: Annotated[bytes, bcs.Fixed(32)]
    blob: bytes


@bcs.struct
class StateChunk:
    """Consecutive accounts (in key order) of the state snapshot at ``version``."""

    version: bcs.U64
    leaves: tuple[StateLeaf, ...]


@bcs.struct
class StateUpdate:
    """An account changed by a block: its new blob, or None when deleted."""

    key: Annotated[bytes, bcs.Fixed(32)]
    blob: bytes | None


@bcs.struct
class BlockStateUpdate:
    """A block committed after the snapshot: its versions and the accounts it changed (in key
    order)."""

    first_version: bcs.U64
    last_version: bcs.U64
    updates: tuple[StateUpdate, ...]


@bcs.struct
class StateUpdatesChunk:
    """Consecutive blocks after the snapshot."""

    blocks: tuple[BlockStateUpdate, ...]


@dataclass(frozen=True, slots=True)
class BackupSummary:
    """What a backup holds (returned by :func:`backup` and :func:`restore`)."""

    path: str
    """The backup directory."""
    version: int
    """Version of the latest signed ledger info (the last transaction backed up)."""
    epoch: int
    """Epoch of that ledger info."""
    accumulator_root: HashValue
    """The signed accumulator root."""
    snapshot_version: int
    """Version of the state snapshot."""
    state_root: HashValue
    """State root at the snapshot version."""
    accounts: int
    """Accounts in the snapshot."""
    trust_anchor: str
    """``VERSION:HASH`` of the first epoch-ending ledger info (see :func:`trust_anchor`)."""
    files: int
    """Files in the backup, the manifest included."""
    total_bytes: int
    """Their total size."""

    @property
    def num_transactions(self) -> int:
        return self.version + 1


def trust_anchor(li: LedgerInfoWithSignatures) -> str:
    """``VERSION:HASH`` of a ledger info, HASH being :meth:`LedgerInfo.hash` in hex: what
    ``restore(trust=...)`` pins the first epoch-ending ledger info to."""
    info = ledger_info_of(li)
    return f"{info.version}:{info.hash().hex()}"


def parse_trust_anchor(text: str) -> tuple[int, HashValue]:
    """Parses ``VERSION:HASH``; raises ValueError saying what is wrong."""
    version, sep, digest = text.strip().partition(":")
    if not sep or not version.isdigit():
        raise ValueError(f"trust anchor {text!r} is not VERSION:HASH")
    try:
        return int(version), HashValue.from_hex(digest)
    except ValueError:
        raise ValueError(f"trust anchor {text!r}: HASH is not 32 bytes of hex") from None


# ---------------------------------------------------------------------------------------------
# Backup


def backup(
    db: LedgerDB,
    out_dir: str | os.PathLike[str],
    version: int | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> BackupSummary:
    """Writes a backup of ``db`` to ``out_dir`` (which must not exist, or be an empty
    directory): every transaction up to the latest signed ledger info, the epoch-ending and
    latest ledger infos, and the state at ``version`` (default: the latest kept state version
    at or before the latest ledger info). The backup is written next to ``out_dir`` and renamed
    into place when complete."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    out = Path(out_dir)
    latest = db.latest_ledger_info()
    if latest is None:
        raise BackupError(db.path, "the ledger has no signed ledger info: nothing verifiable")
    info = _ledger_info(db.path, latest)
    last = info.version
    lis = db.epoch_ending_ledger_infos()
    if not lis:
        raise BackupError(
            db.path,
            "the ledger has no epoch-ending ledger info (not even a genesis one): "
            "a restore could not anchor the signature chain",
        )
    kept = db.state_versions()
    snap = _snapshot_version(db, kept, last, version)
    after = [v for v in kept if snap < v <= last]
    if (after[-1] if after else snap) != last:
        raise BackupError(db.path, f"no state is kept at the signed version {last}")
    if out.is_symlink() or (out.exists() and (not out.is_dir() or any(out.iterdir()))):
        raise BackupError(str(out), "exists and is not an empty directory")
    tmp = _make_temp_dir(out, "backup")
    try:
        files: list[dict[str, Any]] = []

        def put(name: str, kind: str, data: bytes, **extra: Any) -> None:
            files.append(_write_file(tmp / name, kind, data, extra, out))

        anchor = trust_anchor(lis[0])
        first_epoch = _ledger_info(db.path, lis[0]).epoch
        put(
            _LI_FILE,
            "epoch_ending_ledger_infos",
            bcs.encode(EpochEndingLedgerInfos(tuple(lis))),
            count=len(lis),
            first_epoch=first_epoch,
        )
        put(_LATEST_FILE, "latest_ledger_info", bcs.encode(latest), version=last)
        for i, start in enumerate(range(0, last + 1, chunk_size)):
            lst = db.get_transactions_with_proof(start, chunk_size, last, fetch_events=True)
            n = len(lst.transactions)
            ws = tuple(db.get_write_set(v) for v in range(start, start + n))
            put(
                f"transactions-{i:06d}.bcs",
                "transactions",
                bcs.encode(TransactionChunk(lst, ws)),
                first_version=start,
                last_version=start + n - 1,
            )
        accounts = 0
        for i, leaves in enumerate(_batches(db.iter_state(snap), chunk_size, always=True)):
            accounts += len(leaves)
            chunk = StateChunk(snap, tuple(StateLeaf(k, b) for k, b in leaves))
            put(f"state-{i:06d}.bcs", "state", bcs.encode(chunk), accounts=len(leaves))
        for i, blocks in enumerate(_update_batches(db, snap, after, chunk_size)):
            put(
                f"state_updates-{i:06d}.bcs",
                "state_updates",
                bcs.encode(StateUpdatesChunk(tuple(blocks))),
                first_version=blocks[0].first_version,
                last_version=blocks[-1].last_version,
                blocks=len(blocks),
            )
        state_root = db.get_transaction_info(snap).state_root_hash
        doc = {
            "format": BACKUP_FORMAT,
            "format_version": BACKUP_FORMAT_VERSION,
            "ledger": {
                "version": last,
                "num_transactions": last + 1,
                "epoch": info.epoch,
                "ends_epoch": info.ends_epoch(),
                "accumulator_root": info.transaction_accumulator_hash.hex(),
                "ledger_info_hash": info.hash().hex(),
            },
            "chain": {
                "trust_anchor": anchor,
                "first_epoch": first_epoch,
                "epoch_changes": len(lis),
            },
            "snapshot": {"version": snap, "state_root": state_root.hex(), "accounts": accounts},
            "files": files,
        }
        raw = _seal_manifest(doc)
        _write_bytes(tmp / MANIFEST, raw, out)
        _fsync_dir(tmp)
        _move_into_place(tmp, out, replace_empty_dir=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BackupSummary(
        str(out),
        last,
        info.epoch,
        info.transaction_accumulator_hash,
        snap,
        state_root,
        accounts,
        anchor,
        len(files) + 1,
        sum(f["bytes"] for f in files) + len(raw),
    )


def _snapshot_version(db: LedgerDB, kept: list[int], last: int, version: int | None) -> int:
    if version is None:
        eligible = [v for v in kept if v <= last]
        if not eligible:
            raise BackupError(db.path, f"no state is kept at or before the signed version {last}")
        return eligible[-1]
    if version > last:
        raise BackupError(
            db.path, f"version {version} is after the latest signed ledger info ({last})"
        )
    if version not in set(kept):
        span = f"{kept[0]}..{kept[-1]}" if kept else "none"
        raise BackupError(
            db.path,
            f"no state is kept at version {version} (state is kept at block ends, within the "
            f"prune window; kept versions: {span})",
        )
    return version


def _make_temp_dir(target: Path, what: str) -> Path:
    """A new directory next to ``target`` (whose parents are created) to write into."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{target.name}.{what}-", dir=target.parent))
    except OSError as err:
        raise BackupError(str(target.parent), f"cannot create a directory: {err}") from None


def _move_into_place(tmp: Path, target: Path, *, replace_empty_dir: bool) -> None:
    """Renames the finished ``tmp`` to ``target``, which must not exist (or, if allowed, be an
    empty directory)."""
    try:
        if replace_empty_dir and target.is_dir() and not target.is_symlink():
            target.rmdir()  # fails unless empty
        if target.exists() or target.is_symlink():
            raise BackupError(str(target), "appeared while writing; not replaced")
        os.rename(tmp, target)
    except OSError as err:
        raise BackupError(str(target), f"cannot be created: {err.strerror or err}") from None
    _fsync_dir(target.parent)


def _batches(
    items: Iterator[tuple[bytes, bytes]], size: int, always: bool = False
) -> Iterator[list[tuple[bytes, bytes]]]:
    batch: list[tuple[bytes, bytes]] = []
    produced = False
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            produced = True
            batch = []
    if batch or (always and not produced):
        yield batch


def _update_batches(
    db: LedgerDB, snap: int, after: Sequence[int], size: int
) -> Iterator[list[BlockStateUpdate]]:
    batch: list[BlockStateUpdate] = []
    count = 0
    prev = snap
    for v in after:
        changes = db.state_changes(prev, v)
        batch.append(BlockStateUpdate(prev + 1, v, tuple(StateUpdate(k, b) for k, b in changes)))
        count += len(changes) + 1
        prev = v
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


def _write_bytes(path: Path, data: bytes, target: Path) -> None:
    """Writes ``path``, a file of the backup ``target`` in its temporary directory, durably.
    A failure is a :class:`BackupError` naming ``target`` (the temporary directory is removed
    by the caller)."""
    try:
        with open(path, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        cause = err.strerror or str(err)
        why = out_of_space(str(path), err)
        reason = (
            f"cannot write {path.name} of the backup ({cause})"
            if why is None
            else f"{why}: cannot write {path.name} of the backup ({cause})"
        )
        raise BackupError(str(target), f"{reason}; no backup was written") from None


def _write_file(
    path: Path, kind: str, data: bytes, extra: dict[str, Any], target: Path
) -> dict[str, Any]:
    _write_bytes(path, data, target)
    entry = {
        "name": path.name,
        "kind": kind,
        "bytes": len(data),
        "sha3_256": hashlib.sha3_256(data).hexdigest(),
    }
    entry.update(extra)
    return entry


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _seal_manifest(doc: dict[str, Any]) -> bytes:
    """The manifest's canonical bytes, with its own checksum filled in."""
    body = {k: v for k, v in doc.items() if k != _SEAL_FIELD}
    compact = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    sealed = dict(body)
    sealed[_SEAL_FIELD] = hashlib.sha3_256(compact.encode()).hexdigest()
    return (json.dumps(sealed, sort_keys=True, indent=2, ensure_ascii=True) + "\n").encode()


# ---------------------------------------------------------------------------------------------
# Reading a backup


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    kind: str
    size: int
    sha3: str


@dataclass(frozen=True, slots=True)
class _Manifest:
    doc: dict[str, Any]
    files: tuple[_Entry, ...]
    total_bytes: int

    def of_kind(self, kind: str) -> list[_Entry]:
        return [f for f in self.files if f.kind == kind]


class _Reader:
    """Reads the files of a backup directory, checking each against the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest_path = str(root / MANIFEST)

    def path(self, name: str) -> str:
        return str(self.root / name)

    def fail(self, name: str, reason: str) -> BackupError:
        return BackupError(self.path(name), reason)

    def manifest(self) -> _Manifest:
        p = self.root / MANIFEST
        mp = self.manifest_path
        if not self.root.is_dir():
            what = "is not a directory" if self.root.exists() else "does not exist"
            raise BackupError(str(self.root), f"{what} (expected a backup directory)")
        try:
            if p.stat().st_size > _MAX_MANIFEST_BYTES:
                raise BackupError(mp, "is too large to be a manifest")
            raw = p.read_bytes()
        except FileNotFoundError:
            raise BackupError(mp, "is missing (not a backup directory?)") from None
        except OSError as err:
            raise BackupError(mp, f"cannot be read: {err.strerror}") from None
        try:
            doc = json.loads(raw)
        except ValueError as err:
            raise BackupError(mp, f"is not valid JSON ({err}); the file is damaged") from None
        if not isinstance(doc, dict):
            raise BackupError(mp, "is not a JSON object")
        if _seal_manifest(doc) != raw:
            body = {k: v for k, v in doc.items() if k != _SEAL_FIELD}
            compact = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
            if doc.get(_SEAL_FIELD) != hashlib.sha3_256(compact.encode()).hexdigest():
                raise BackupError(mp, "checksum mismatch: the manifest was altered or damaged")
            raise BackupError(mp, "is not in canonical form: the manifest was altered or damaged")
        if doc.get("format") != BACKUP_FORMAT:
            raise BackupError(mp, f"format is {doc.get('format')!r}, not {BACKUP_FORMAT!r}")
        if doc.get("format_version") != BACKUP_FORMAT_VERSION:
            raise BackupError(
                mp,
                f"format version {doc.get('format_version')!r}; this build reads "
                f"{BACKUP_FORMAT_VERSION}",
            )
        entries = []
        names: set[str] = set()
        files = doc.get("files")
        if not isinstance(files, list):
            raise BackupError(mp, "has no file list")
        for f in files:
            if not isinstance(f, dict):
                raise BackupError(mp, "file list entry is not an object")
            name, kind, size, sha3 = f.get("name"), f.get("kind"), f.get("bytes"), f.get("sha3_256")
            if not isinstance(name, str) or not _NAME_RE.fullmatch(name) or name in names:
                raise BackupError(mp, f"invalid or repeated file name {name!r}")
            if kind not in (*_KINDS, "state_updates"):
                raise BackupError(mp, f"file {name} has unknown kind {kind!r}")
            if not isinstance(size, int) or size < 0:
                raise BackupError(mp, f"file {name} has an invalid size")
            if not isinstance(sha3, str) or not re.fullmatch(r"[0-9a-f]{64}", sha3):
                raise BackupError(mp, f"file {name} has an invalid checksum")
            names.add(name)
            entries.append(_Entry(name, kind, size, sha3))
        m = _Manifest(doc, tuple(entries), sum(e.size for e in entries) + len(raw))
        for kind in _KINDS:
            n = len(m.of_kind(kind))
            if n == 0 or (kind not in _CHUNK_KINDS and n != 1):
                raise BackupError(mp, f"lists {n} files of kind {kind!r}")
        return m

    def check(self, entry: _Entry) -> None:
        """Checks that the file exists with its listed size and checksum (streaming)."""
        p = self.root / entry.name
        try:
            with open(p, "rb") as f:
                h = hashlib.sha3_256()
                size = 0
                while block := f.read(1 << 20):
                    h.update(block)
                    size += len(block)
        except FileNotFoundError:
            raise self.fail(entry.name, f"is missing (listed in {MANIFEST})") from None
        except OSError as err:
            raise self.fail(entry.name, f"cannot be read: {err.strerror}") from None
        self._compare(entry, size, h.hexdigest())

    def _compare(self, entry: _Entry, size: int, digest: str) -> None:
        if size != entry.size:
            raise self.fail(entry.name, f"is {size} bytes, the manifest says {entry.size}")
        if digest != entry.sha3:
            raise self.fail(entry.name, "SHA3-256 checksum mismatch: the file is damaged")

    def load(self, entry: _Entry, cls: type[_T]) -> _T:
        """The file's bytes, checked again, decoded as ``cls``."""
        try:
            raw = (self.root / entry.name).read_bytes()
        except FileNotFoundError:
            raise self.fail(entry.name, f"is missing (listed in {MANIFEST})") from None
        except OSError as err:
            raise self.fail(entry.name, f"cannot be read: {err.strerror}") from None
        self._compare(entry, len(raw), hashlib.sha3_256(raw).hexdigest())
        try:
            return bcs.decode(cls, raw)
        except bcs.DecodeError as err:
            raise self.fail(entry.name, f"cannot be decoded: {err}") from None


# ---------------------------------------------------------------------------------------------
# Restore


def restore(
    backup_dir: str | os.PathLike[str],
    db_path: str | os.PathLike[str],
    *,
    trust: str | None = None,
) -> BackupSummary:
    """Creates a new ledger database at ``db_path`` from the backup in ``backup_dir``,
    verifying everything (see the module docstring). ``trust`` (``VERSION:HASH``, see
    :func:`trust_anchor`) pins the first epoch-ending ledger info; without it the backup's own
    is the anchor. Raises :class:`BackupError` (ValueError for a malformed ``trust``); nothing
    is left at ``db_path`` on failure."""
    root = Path(backup_dir)
    target = Path(db_path)
    anchor_pin = None if trust is None else parse_trust_anchor(trust)
    if target.exists() or target.is_symlink():
        raise BackupError(str(target), "already exists; restore only creates a new database")
    reader = _Reader(root)
    m = reader.manifest()
    for entry in m.files:
        reader.check(entry)
    li_entry = m.of_kind("epoch_ending_ledger_infos")[0]
    latest_entry = m.of_kind("latest_ledger_info")[0]
    lis = reader.load(li_entry, EpochEndingLedgerInfos).ledger_infos
    latest = reader.load(latest_entry, LedgerInfoWithSignatures)
    anchor, latest_info = _verify_ledger_infos(reader, lis, latest, anchor_pin)
    summary = _check_claims(reader, m, lis, latest_info, anchor)
    tmp = _make_temp_dir(target, "restore")
    try:
        db = LedgerDB.open(tmp)
        try:
            _Replay(reader, m, db, lis, latest, latest_info, summary.snapshot_version).run()
        finally:
            db.close()
        LedgerDB.open(tmp, create=False).close()
        _move_into_place(tmp, target, replace_empty_dir=False)
    except WriteError as err:  # a full disk: say so of the target, not of the removed copy
        shutil.rmtree(tmp, ignore_errors=True)
        raise BackupError(
            str(target), f"{err.reason}; the restore is abandoned, nothing was left here"
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _ledger_info(path: str, li: LedgerInfoWithSignatures) -> LedgerInfo:
    try:
        return ledger_info_of(li)
    except ProofError as err:
        raise BackupError(path, str(err)) from None


def _verify_ledger_infos(
    reader: _Reader,
    lis: Sequence[LedgerInfoWithSignatures],
    latest: LedgerInfoWithSignatures,
    pin: tuple[int, HashValue] | None,
) -> tuple[str, LedgerInfo]:
    """Checks the epoch-change chain and the latest ledger info; returns the trust anchor and
    the latest ledger info."""
    lp = reader.path(_LI_FILE)
    if not lis:
        raise BackupError(lp, "holds no ledger info: nothing anchors the signature chain")
    infos = [_ledger_info(lp, li) for li in lis]
    first = infos[0]
    anchor = trust_anchor(lis[0])
    if pin is not None and (first.version, first.hash()) != pin:
        raise BackupError(
            lp,
            f"the first epoch-ending ledger info is {anchor}, not the trusted "
            f"{pin[0]}:{pin[1].hex()}",
        )
    for i, info in enumerate(infos):
        if not info.ends_epoch():
            raise BackupError(lp, f"ledger info {i} (epoch {info.epoch}) does not end its epoch")
        if info.epoch != first.epoch + i:
            raise BackupError(
                lp, f"ledger info {i} is for epoch {info.epoch}, expected {first.epoch + i}"
            )
        if i and info.version < infos[i - 1].version:
            raise BackupError(lp, f"ledger info of epoch {info.epoch} goes back in versions")
    trusted = first.commit_info.next_epoch_state
    assert trusted is not None  # ends_epoch() checked above
    if len(lis) > 1:
        try:
            trusted = EpochChangeProof(tuple(lis[1:]), False).verify(trusted)
        except ProofError as err:
            raise BackupError(lp, f"epoch change chain does not verify: {err}") from None
    latest_path = reader.path(_LATEST_FILE)
    latest_info = _ledger_info(latest_path, latest)
    if latest != lis[-1]:
        if latest_info.ends_epoch():
            raise BackupError(
                latest_path, "ends an epoch but is not the last epoch-ending ledger info"
            )
        if latest_info.version < infos[-1].version:
            raise BackupError(latest_path, "is older than the last epoch-ending ledger info")
        try:
            verify_ledger_info(latest, trusted)
        except ProofError as err:
            raise BackupError(latest_path, f"does not verify: {err}") from None
    return anchor, latest_info


def _check_claims(
    reader: _Reader,
    m: _Manifest,
    lis: Sequence[LedgerInfoWithSignatures],
    latest: LedgerInfo,
    anchor: str,
) -> BackupSummary:
    """The manifest's summary, checked against the verified ledger infos."""
    mp = reader.manifest_path
    doc = m.doc
    ledger, chain, snap = doc.get("ledger"), doc.get("chain"), doc.get("snapshot")
    if not isinstance(ledger, dict) or not isinstance(chain, dict) or not isinstance(snap, dict):
        raise BackupError(mp, "lacks the ledger, chain or snapshot section")
    claims = {
        "ledger.version": (ledger.get("version"), latest.version),
        "ledger.epoch": (ledger.get("epoch"), latest.epoch),
        "ledger.accumulator_root": (
            ledger.get("accumulator_root"),
            latest.transaction_accumulator_hash.hex(),
        ),
        "chain.trust_anchor": (chain.get("trust_anchor"), anchor),
        "chain.epoch_changes": (chain.get("epoch_changes"), len(lis)),
    }
    for field, (claimed, verified) in claims.items():
        if claimed != verified:
            raise BackupError(mp, f"{field} is {claimed!r}, the ledger infos say {verified!r}")
    version, root, accounts = snap.get("version"), snap.get("state_root"), snap.get("accounts")
    if not isinstance(version, int) or not 0 <= version <= latest.version:
        raise BackupError(mp, f"snapshot version {version!r} is not within the ledger")
    if not isinstance(accounts, int) or accounts < 0:
        raise BackupError(mp, f"snapshot account count {accounts!r} is invalid")
    try:
        state_root = HashValue.from_hex(root) if isinstance(root, str) else None
    except ValueError:
        state_root = None
    if state_root is None:
        raise BackupError(mp, f"snapshot state root {root!r} is not a hash")
    return BackupSummary(
        str(reader.root),
        latest.version,
        latest.epoch,
        latest.transaction_accumulator_hash,
        version,
        state_root,
        accounts,
        anchor,
        len(m.files) + 1,
        m.total_bytes,
    )


class _Transactions:
    """The verified transaction records of the backup, read chunk by chunk."""

    def __init__(self, reader: _Reader, entries: list[_Entry], latest: LedgerInfo) -> None:
        self._reader = reader
        self._entries = deque(entries)
        self._latest = latest
        self._buf: deque[RestoredTransaction] = deque()
        self._next = 0
        self._taken = 0
        self.current = entries[0].name if entries else ""

    def take(self, first: int, last: int) -> list[RestoredTransaction]:
        """Records ``first`` .. ``last`` (``first`` must follow what was taken before)."""
        if first != self._taken:
            raise ValueError(f"records taken out of order: {first}, expected {self._taken}")
        self._taken = last + 1
        out = []
        for _ in range(last - first + 1):
            if not self._buf:
                self._load_next(last)
            out.append(self._buf.popleft())
        return out

    def _load_next(self, wanted: int) -> None:
        if not self._entries:
            raise BackupError(
                self._reader.path(self.current or MANIFEST),
                f"the transactions end at version {self._next - 1}, version {wanted} is needed",
            )
        entry = self._entries.popleft()
        self.current = entry.name
        chunk = self._reader.load(entry, TransactionChunk)
        lst = chunk.transactions
        if not lst.transactions:
            raise self._reader.fail(entry.name, "holds no transactions")
        if lst.events is None:
            raise self._reader.fail(entry.name, "has no events")
        if len(chunk.write_sets) != len(lst.transactions):
            raise self._reader.fail(
                entry.name,
                f"has {len(chunk.write_sets)} write sets for {len(lst.transactions)} transactions",
            )
        try:
            lst.verify(self._latest, self._next)
        except ProofError as err:
            raise self._reader.fail(
                entry.name,
                f"does not verify against the signed ledger info at version "
                f"{self._latest.version}: {err}",
            ) from None
        for t, evs, ws, info in zip(
            lst.transactions, lst.events, chunk.write_sets, lst.proof.transaction_infos, strict=True
        ):
            self._buf.append(RestoredTransaction(t, evs, ws, info))
        self._next += len(lst.transactions)

    def finish(self) -> None:
        """Checks that nothing is left over."""
        if self._buf or self._entries:
            name = self._entries[0].name if self._entries else self.current
            raise self._reader.fail(name, "holds transactions after the signed ledger info")


class _Replay:
    """Commits the verified backup to an empty database, block by block."""

    def __init__(
        self,
        reader: _Reader,
        m: _Manifest,
        db: LedgerDB,
        lis: Sequence[LedgerInfoWithSignatures],
        latest: LedgerInfoWithSignatures,
        latest_info: LedgerInfo,
        snapshot_version: int,
    ) -> None:
        self.reader = reader
        self.m = m
        self.db = db
        self.latest_info = latest_info
        self.snap = snapshot_version
        self.txns = _Transactions(reader, m.of_kind("transactions"), latest_info)
        self.latest = latest
        self.li_at: dict[int, list[LedgerInfoWithSignatures]] = {}
        for li in lis:
            self.li_at.setdefault(ledger_info_of(li).version, []).append(li)
        if latest != lis[-1]:
            self.li_at.setdefault(latest_info.version, []).append(latest)
        self.li_versions = sorted(self.li_at)

    def run(self) -> None:
        db = self.db
        snap = self.snap
        while db.num_transactions <= snap:
            first = db.num_transactions
            hard = min(v for v in (*self.li_versions, snap) if v >= first)
            last = min(hard, first + _REPLAY_BATCH - 1)
            records = self.txns.take(first, last)
            if last == snap:
                self._commit(self._snapshot(records))
            else:
                self._commit(db.speculate_restored(records))
        for name, block in self._blocks():
            first = db.num_transactions
            if (
                block.first_version != first
                or not first <= block.last_version <= self.latest_info.version
            ):
                raise self.reader.fail(
                    name,
                    f"block {block.first_version}..{block.last_version} does not follow version "
                    f"{first - 1} within the signed ledger (up to {self.latest_info.version})",
                )
            records = self.txns.take(first, block.last_version)
            ups = [(u.key, u.blob) for u in block.updates]
            self._commit(self._tree_update(name, block, ups, records))
        if db.num_transactions != self.latest_info.version + 1:
            names = [e.name for e in self.m.of_kind("state_updates")]
            raise self.reader.fail(
                names[-1] if names else MANIFEST,
                f"the state updates end at version {db.num_transactions - 1}, the signed ledger "
                f"info is at {self.latest_info.version}",
            )
        self.txns.finish()
        if self.li_at:
            v = min(self.li_at)
            raise self.reader.fail(
                _LI_FILE, f"the ledger info at version {v} does not end a block of the backup"
            )
        if db.accumulator_root != self.latest_info.transaction_accumulator_hash:
            raise BackupError(
                str(self.reader.root), "restored accumulator root is not the signed one"
            )

    def _blocks(self) -> Iterator[tuple[str, BlockStateUpdate]]:
        for entry in self.m.of_kind("state_updates"):
            chunk = self.reader.load(entry, StateUpdatesChunk)
            if not chunk.blocks:
                raise self.reader.fail(entry.name, "holds no blocks")
            for block in chunk.blocks:
                yield entry.name, block

    def _snapshot(self, records: list[RestoredTransaction]) -> SpeculativeState:
        """The block ending at the snapshot version, with the state tree built from the
        snapshot (the database keeps no state before it)."""
        entries = self.m.of_kind("state")
        names = entries[0].name if len(entries) == 1 else f"{entries[0].name}..{entries[-1].name}"
        info = records[-1].info
        leaves: list[tuple[bytes, bytes | None]] = []
        for entry in entries:
            chunk = self.reader.load(entry, StateChunk)
            if chunk.version != self.snap:
                raise self.reader.fail(
                    entry.name, f"is a snapshot of version {chunk.version}, not {self.snap}"
                )
            for leaf in chunk.leaves:
                if leaves and leaf.key <= leaves[-1][0]:
                    raise self.reader.fail(entry.name, "accounts are not in strict key order")
                leaves.append((leaf.key, leaf.blob))
        mp = self.reader.manifest_path
        claimed = self.m.doc["snapshot"]
        if claimed["accounts"] != len(leaves):
            raise BackupError(
                mp,
                f"snapshot has {claimed['accounts']} accounts, the state files hold {len(leaves)}",
            )
        if self.db.state_version is not None:
            raise BackupError(
                str(self.reader.root), f"state is restored before the snapshot at {self.snap}"
            )
        try:
            state = self.db.speculate_restored(records, leaves)
        except ValueError as err:
            raise BackupError(str(self.reader.root), f"state snapshot {names}: {err}") from None
        if state.state_root != info.state_root_hash:
            raise BackupError(
                str(self.reader.root),
                f"state snapshot {names} has root {state.state_root.hex()}, but the signed "
                f"transaction info at version {self.snap} has {info.state_root_hash.hex()}",
            )
        if claimed["state_root"] != state.state_root.hex():
            raise BackupError(mp, "snapshot state root does not match the state files")
        return state

    def _tree_update(
        self,
        name: str,
        block: BlockStateUpdate,
        updates: list[tuple[bytes, bytes | None]],
        records: list[RestoredTransaction],
    ) -> SpeculativeState:
        """The block with its state updates applied to the restored state."""
        info = records[-1].info
        try:
            state = self.db.speculate_restored(records, updates)
        except ValueError as err:
            raise self.reader.fail(name, f"block ending at {block.last_version}: {err}") from None
        if state.state_root != info.state_root_hash:
            raise self.reader.fail(
                name,
                f"block {block.first_version}..{block.last_version} gives state root "
                f"{state.state_root.hex()}, the signed transaction info has "
                f"{info.state_root_hash.hex()}",
            )
        return state

    def _commit(self, state: SpeculativeState) -> None:
        db = self.db
        root = state.accumulator_root
        last = state.num_transactions - 1
        lis = self.li_at.pop(last, [])
        for li in lis:
            info = ledger_info_of(li)
            if info.transaction_accumulator_hash != root:
                name = _LATEST_FILE if li is self.latest else _LI_FILE
                raise self.reader.fail(
                    name,
                    f"the ledger info of epoch {info.epoch} at version {last} signs accumulator "
                    f"root {info.transaction_accumulator_hash.hex()}, the transactions give "
                    f"{root.hex()}",
                )
        db.commit_block(state, lis[0] if lis else None)
        for li in lis[1:]:
            db.commit_block([], li)
