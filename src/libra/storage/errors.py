"""The storage error hierarchy (proof failures are :class:`libra.storage.proof.ProofError`).

A write that fails (:class:`WriteError`; :class:`StorageFullError` when there is no room for
it: a full disk, the process's file size limit, or a full LMDB map) is all or nothing: none of
it is stored, what was committed before is intact, and the store (and the object that tried the
write) can write again once there is room. Its message names the data file, says why, and what
could not be written (``.../data.mdb: the disk is full: cannot commit the block of versions
5..9 (...)``)."""

from __future__ import annotations

__all__ = [
    "CommitError",
    "CorruptionError",
    "NotFoundError",
    "StorageError",
    "StorageFullError",
    "WriteError",
]


class StorageError(Exception):
    """The store at ``path`` cannot do what was asked; ``reason`` says why."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class CorruptionError(StorageError):
    """The store's files are damaged, truncated or inconsistent; nothing is served from them."""


class NotFoundError(StorageError):
    """The requested item is not in the store (never written, or pruned)."""


class CommitError(StorageError):
    """A block was refused: it does not extend the ledger or does not match its ledger info.
    Nothing of it was written."""


class WriteError(StorageError):
    """A write failed (``path`` is the data file): nothing of it was stored, and what was
    committed before is intact."""


class StorageFullError(WriteError):
    """A write failed for want of room: the disk is full, the data file reached the process's
    file size limit, or the LMDB map is full. Nothing of it was stored."""
