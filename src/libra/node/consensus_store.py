"""Consensus's durable state on the validator's :class:`~libra.storage.consensus_db.ConsensusDB`:
the safety data (:class:`LmdbSafetyStorage`) and the block tree (:class:`LmdbBlockPersistence`).

Consensus sees only its interfaces (:class:`~libra.consensus.SafetyStorage`,
:class:`~libra.consensus.BlockPersistence`); this module maps them onto the store and its
errors onto consensus's.

Upgrading from a node that kept its safety data in a file (``safety_data.bcs`` beside the
ledger): the first :meth:`LmdbSafetyStorage.load` imports the file into the store and, once
that write is durable, renames the file to ``safety_data.bcs.imported``. The persisted safety
data never goes backwards: when both exist (a crash between the import and the rename, or a
file written again by an older version), the store keeps whichever is further along.

A write the store cannot make (a full disk: :class:`~libra.storage.errors.WriteError`) is, for
consensus, a :class:`SafetyStorageError` (safety rules then return no signature: a vote is
returned only once its safety data is durable, a timeout is signed only after) or a
:class:`BlockStoreError`; and it is reported to ``on_write_failure``, which the validator uses
to stop (:mod:`libra.node.runtime`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from libra import bcs
from libra.consensus.errors import BlockStoreError, SafetyStorageError
from libra.consensus.persistence import PersistedTree
from libra.consensus.safety_rules import SafetyData
from libra.crypto import HashValue
from libra.storage.consensus_db import ConsensusDB
from libra.storage.errors import StorageError, WriteError
from libra.types.consensus import Block, QuorumCert, TwoChainTimeoutCertificate

__all__ = [
    "IMPORTED_SUFFIX",
    "LmdbBlockPersistence",
    "LmdbSafetyStorage",
    "WriteFailureHandler",
    "safety_progress",
]

WriteFailureHandler = Callable[[WriteError], None]
"""Told of every write the consensus store could not make, before the error is raised."""

IMPORTED_SUFFIX = ".imported"
"""Appended to the name of a legacy safety data file once its content is in the store."""


def safety_progress(data: SafetyData) -> tuple[int, int, int]:
    """How far ``data`` is along: (epoch, last voted round, highest timeout round)."""
    return (data.epoch, data.last_voted_round, data.highest_timeout_round)


class LmdbSafetyStorage:
    """:class:`~libra.consensus.SafetyStorage` on a :class:`ConsensusDB`; each ``save`` is one
    durable LMDB write. ``legacy_file``: a safety data file of an earlier version to import;
    ``on_write_failure``: see the module's documentation."""

    def __init__(
        self,
        db: ConsensusDB,
        legacy_file: str | os.PathLike[str] | None = None,
        *,
        on_write_failure: WriteFailureHandler | None = None,
    ) -> None:
        self.db = db
        self.legacy_file = Path(legacy_file) if legacy_file is not None else None
        self.on_write_failure = on_write_failure
        self.writes = 0
        self.imported = False

    def _decode(self, raw: bytes, where: str) -> SafetyData:
        try:
            return bcs.decode(SafetyData, raw)
        except bcs.DecodeError as err:
            raise SafetyStorageError(f"corrupt safety data in {where}: {err}") from err

    def _read_legacy(self) -> SafetyData | None:
        path = self.legacy_file
        if path is None:
            return None
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise SafetyStorageError(f"cannot read {path}: {err}") from err
        return self._decode(raw, str(path))

    def load(self) -> SafetyData | None:
        try:
            raw = self.db.get_safety_data()
        except StorageError as err:
            raise SafetyStorageError(str(err)) from err
        current = None if raw is None else self._decode(raw, self.db.data_file)
        legacy = self._read_legacy()
        if legacy is None:
            return current
        if current is None or safety_progress(legacy) > safety_progress(current):
            self.save(legacy)
            current = legacy
            self.imported = True
        # Only now that the store holds data at least as far along is the file retired.
        path = self.legacy_file
        if path is not None:
            try:
                os.replace(path, path.with_name(path.name + IMPORTED_SUFFIX))
            except OSError as err:
                raise SafetyStorageError(f"cannot retire {path}: {err}") from err
        return current

    def save(self, data: SafetyData) -> None:
        try:
            self.db.put_safety_data(bcs.encode(data))
        except StorageError as err:
            _report(self.on_write_failure, err)
            raise SafetyStorageError(f"cannot persist safety data: {err}") from err
        self.writes += 1


class LmdbBlockPersistence:
    """:class:`~libra.consensus.BlockPersistence` on a :class:`ConsensusDB`;
    ``on_write_failure``: see the module's documentation."""

    def __init__(
        self, db: ConsensusDB, *, on_write_failure: WriteFailureHandler | None = None
    ) -> None:
        self.db = db
        self.writes = 0
        self.on_write_failure = on_write_failure

    def save(
        self,
        blocks: Sequence[Block] = (),
        quorum_certs: Sequence[QuorumCert] = (),
        timeout_cert: TwoChainTimeoutCertificate | None = None,
        delete: Sequence[HashValue] = (),
    ) -> None:
        try:
            self.db.save(blocks, quorum_certs, timeout_cert, [bytes(d) for d in delete])
        except StorageError as err:
            _report(self.on_write_failure, err)
            raise BlockStoreError(f"cannot persist the block tree: {err}") from err
        self.writes += 1

    def flush(self) -> None:
        try:
            self.db.flush()
        except StorageError as err:
            _report(self.on_write_failure, err)
            raise BlockStoreError(f"cannot persist the block tree: {err}") from err

    def reset(self, blocks: Sequence[Block], quorum_certs: Sequence[QuorumCert]) -> None:
        try:
            self.db.reset_tree(blocks, quorum_certs)
        except StorageError as err:
            _report(self.on_write_failure, err)
            raise BlockStoreError(f"cannot persist the block tree: {err}") from err
        self.writes += 1

    def load(self) -> PersistedTree:
        try:
            t = self.db.load_tree()  # commits the deferred writes first
        except StorageError as err:
            _report(self.on_write_failure, err)
            raise BlockStoreError(f"cannot read the block tree: {err}") from err
        return PersistedTree(t.blocks, t.quorum_certs, t.highest_timeout_cert)


def _report(handler: WriteFailureHandler | None, err: StorageError) -> None:
    if handler is not None and isinstance(err, WriteError):
        handler(err)
