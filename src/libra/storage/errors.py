"""The storage error hierarchy (proof failures are :class:`libra.storage.proof.ProofError`)."""

from __future__ import annotations

__all__ = ["CommitError", "CorruptionError", "NotFoundError", "StorageError"]


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
