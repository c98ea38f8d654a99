"""Opening an LMDB environment with the checks both of the project's stores make: a data file
too short for LMDB's meta pages, or shorter than the pages LMDB says are in use, is refused
with a :class:`CorruptionError` naming the file."""

from __future__ import annotations

import os
from typing import Any

import lmdb

from libra.storage.errors import CorruptionError

__all__ = ["open_environment"]

_META_PAGES_SIZE = 2 * 4096


def open_environment(
    path: str, *, map_size: int, max_dbs: int, readonly: bool = False, create: bool = True
) -> Any:
    """The LMDB environment in directory ``path`` (data file ``path/data.mdb``), synced on
    every commit. Raises :class:`CorruptionError` naming the data file when it is truncated or
    LMDB cannot open it."""
    data_file = os.path.join(path, "data.mdb")
    if os.path.exists(data_file):
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
