"""Opening an LMDB environment with the checks both of the project's stores make: a data file
too short for LMDB's meta pages, or shorter than the pages LMDB says are in use, is refused
with a :class:`CorruptionError` naming the file.

A write that fails is reported by :func:`write_error`: a :class:`StorageFullError` when there
was no room for it (the LMDB map is full; the disk is full; the data file reached the
process's file size limit), else a :class:`WriteError`, each naming the data file and what
could not be written. LMDB writes a transaction's pages to unused pages of the file and its
meta page last, so a failed write leaves the last commit intact: the store opens at it, and
writes again once there is room. (LMDB reports a short write, which is how a full disk usually
shows, as an I/O error: when one is reported, the disk's free space and the file size limit
say whether room was the cause.) A store whose creation fails for want of room is not left
behind half made."""

from __future__ import annotations

import contextlib
import errno
import os
import resource
from typing import Any

import lmdb

from libra.storage.errors import CorruptionError, StorageError, StorageFullError, WriteError

__all__ = ["open_environment", "out_of_space", "setup_error", "write_error"]

_META_PAGES_SIZE = 2 * 4096
_LOW_SPACE = 1 << 20
"""Free bytes below which a failed write is put down to a full disk."""
_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def out_of_space(data_file: str, err: BaseException) -> str | None:
    """Why ``err``, raised by a write to ``data_file``, is for want of room ("the disk is
    full", ...), or None when it is not."""
    if isinstance(err, lmdb.MapFullError):
        return "the LMDB map is full"
    if isinstance(err, OSError):
        codes = {err.errno}
    elif isinstance(err, lmdb.Error):
        text = str(err)
        codes = {c for c in (*_SPACE_ERRNOS, errno.EIO) if os.strerror(c) in text}
    else:
        return None
    if not codes & {*_SPACE_ERRNOS, errno.EIO}:
        return None
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY:
        try:
            size = os.path.getsize(data_file)
        except OSError:
            size = 0
        if errno.EFBIG in codes or size >= limit:
            return f"the file reached the process's file size limit ({limit} bytes)"
    try:
        st = os.statvfs(os.path.dirname(data_file) or ".")
        free: int | None = st.f_bavail * st.f_frsize
    except OSError:
        free = None
    if codes & {errno.ENOSPC, errno.EDQUOT} or (free is not None and free < _LOW_SPACE):
        return "the disk is full" + (f" ({free} bytes free)" if free is not None else "")
    if errno.EFBIG in codes:
        return "the file is too large for its file system"
    return None


def write_error(data_file: str, what: str, err: BaseException, env: Any = None) -> WriteError:
    """The error for a failed write to ``data_file``: ``what`` says what could not be written
    ("commit the block of versions 5..9"); ``env`` (when open) gives the map size."""
    if isinstance(err, lmdb.MapFullError):
        size = ""
        if env is not None:
            with contextlib.suppress(lmdb.Error):
                size = f" ({env.info()['map_size']} bytes)"
        return StorageFullError(
            data_file,
            f"the LMDB map{size} is full: cannot {what}; nothing of it was written (open the "
            "store with a larger map size)",
        )
    detail = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    why = out_of_space(data_file, err)
    if why is not None:
        return StorageFullError(
            data_file, f"{why}: cannot {what} ({detail}); nothing of it was written"
        )
    return WriteError(data_file, f"cannot {what}: the write failed ({detail})")


def setup_error(data_file: str, err: lmdb.Error, env: Any, corrupt: str) -> StorageError:
    """The error to raise for ``err``, met while setting up the parts (sub-databases,
    records) of a store just opened, and closes ``env``: a :class:`StorageFullError` when
    there was no room to create them, else a :class:`CorruptionError` saying ``corrupt``."""
    failure = write_error(data_file, "create the store", err, env)
    env.close()
    if isinstance(failure, StorageFullError):  # a new store on a full disk
        return failure
    return CorruptionError(data_file, f"{corrupt}: {err}")


def open_environment(
    path: str, *, map_size: int, max_dbs: int, readonly: bool = False, create: bool = True
) -> Any:
    """The LMDB environment in directory ``path`` (data file ``path/data.mdb``), synced on
    every commit. Raises :class:`CorruptionError` naming the data file when it is truncated or
    LMDB cannot open it, :class:`StorageFullError` when there is no room to create it."""
    data_file = os.path.join(path, "data.mdb")
    existed = os.path.exists(data_file)
    if existed:
        size = os.path.getsize(data_file)
        if size < _META_PAGES_SIZE:
            raise CorruptionError(
                data_file, f"file is truncated ({size} bytes, no LMDB meta pages)"
            )
    try:
        env = lmdb.open(
            path,
            map_size=map_size,
            max_dbs=max_dbs,
            subdir=True,
            readonly=readonly,
            create=create,
            sync=True,
            metasync=True,
            readahead=False,
        )
    except lmdb.Error as err:
        if not existed and out_of_space(data_file, err) is not None:
            # Nothing was ever stored in it: leave no half-made file to be refused later.
            with contextlib.suppress(OSError):
                os.remove(data_file)
            raise write_error(data_file, "create the store", err) from None
        raise CorruptionError(data_file, f"cannot open the LMDB environment: {err}") from None
    try:
        in_use = (env.info()["last_pgno"] + 1) * env.stat()["psize"]
        size = os.path.getsize(data_file)
    except (lmdb.Error, OSError) as err:
        env.close()
        raise CorruptionError(data_file, f"cannot read the LMDB environment: {err}") from None
    if size < in_use:
        env.close()
        raise CorruptionError(data_file, f"file is truncated: {size} bytes, but {in_use} in use")
    return env
