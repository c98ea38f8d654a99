"""The ledger database adapter: a certified version is only reported once it is readable."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from api_helpers import ALICE, Net

from libra.api import adapter
from libra.api.adapter import LedgerDBReader
from libra.api.errors import DataNotFound


class LaggingDB:
    """A ledger database whose in-memory header trails its committed ledger info, as between
    a commit's database transaction and the header update that follows it."""

    def __init__(self, db: Any, lag: int) -> None:
        self._db = db
        self.lag = lag

    @property
    def latest_version(self) -> int | None:
        v = self._db.latest_version
        return None if v is None else v - self.lag

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def test_latest_waits_for_a_commit_in_progress(net: Net) -> None:
    db = LaggingDB(net.db, lag=1)
    reader = LedgerDBReader(db, 4)  # type: ignore[arg-type]

    def catch_up() -> None:
        time.sleep(0.05)
        db.lag = 0

    t = threading.Thread(target=catch_up)
    t.start()
    latest = reader.latest()
    t.join()
    assert latest.version == net.db.latest_version
    assert reader.get_account_state(ALICE, latest.version) is not None


def test_latest_gives_up_when_the_header_never_catches_up(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapter, "HEADER_WAIT_SECS", 0.05)
    reader = LedgerDBReader(LaggingDB(net.db, lag=1), 4)  # type: ignore[arg-type]
    with pytest.raises(DataNotFound, match="not yet readable"):
        reader.latest()
