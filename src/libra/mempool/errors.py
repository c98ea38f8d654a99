"""The errors of :mod:`libra.mempool`: one hierarchy, each carrying the values involved.

Admission outcomes are not errors: they are :class:`libra.mempool.core.AdmissionResult`
values with Diem's status codes. These exceptions are for misuse; malformed peer messages
are counted and dropped by the service, never raised.
"""

from __future__ import annotations

__all__ = ["MempoolConfigError", "MempoolError"]


class MempoolError(Exception):
    """Base of every error raised by :mod:`libra.mempool`."""


class MempoolConfigError(MempoolError, ValueError):
    """An impossible configuration (non-positive capacity, batch size...)."""
