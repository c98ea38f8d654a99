"""A :class:`~libra.api.interfaces.LedgerReader` over :class:`libra.storage.LedgerDB`.

The node serves the API from its ledger database through this adapter: it decodes account
blobs into :class:`libra.framework.state.AccountState`, reports the latest *certified* version
(the one the latest signed ledger info covers, so every answer can be proven: the database
makes a ledger info visible only together with the ledger it certifies) and translates
storage's ``NotFoundError`` into :class:`libra.api.errors.DataNotFound`: into
:class:`libra.api.errors.StateNotHeld` when state was asked at a version older than the oldest
state this node holds (pruned, or before the snapshot it was restored from).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from libra import bcs
from libra.api.errors import DataNotFound, StateNotHeld
from libra.api.interfaces import LedgerSummary
from libra.crypto import HashValue
from libra.framework.state import AccountState, decode_account_state
from libra.storage import LedgerDB, NotFoundError
from libra.storage.proof import (
    AccountStateWithProof,
    AccumulatorConsistencyProof,
    EpochChangeProof,
    EventWithProof,
    TransactionInfoWithProof,
    TransactionListWithProof,
    ledger_info_of,
)
from libra.types import (
    AccountAddress,
    ContractEvent,
    EventKey,
    Transaction,
    TransactionInfo,
)

__all__ = ["HASH_SCAN_WINDOW", "LedgerDBReader"]

T = TypeVar("T")

HASH_SCAN_WINDOW = 100_000
"""How many recent versions :meth:`LedgerDBReader.get_transaction_version_by_hash` searches
(the ledger database has no hash index yet)."""


class LedgerDBReader:
    """Serves the API from a :class:`LedgerDB` of chain ``chain_id``."""

    def __init__(self, db: LedgerDB, chain_id: int, hash_scan_window: int = HASH_SCAN_WINDOW):
        self.db = db
        self.chain_id = chain_id
        self.hash_scan_window = hash_scan_window

    @staticmethod
    def _call(fn: Callable[[], T]) -> T:
        try:
            return fn()
        except NotFoundError as e:
            raise DataNotFound(e.reason) from e

    def _state_call(self, version: int, fn: Callable[[], T]) -> T:
        """``fn()``, a read of the state at ``version``: a state this node does not hold
        because it is older than its oldest kept state version is :class:`StateNotHeld`."""
        try:
            return fn()
        except NotFoundError as e:
            oldest = self.oldest_state_version()
            if oldest is not None and version < oldest:
                raise StateNotHeld(version, oldest) from e
            raise DataNotFound(e.reason) from e

    def oldest_state_version(self) -> int | None:
        """The oldest version whose state this node holds (None: no state yet). Older states
        were pruned, or precede the state snapshot the database was restored from."""
        return self.db.oldest_state_version()

    def latest(self) -> LedgerSummary:
        signed = self.db.latest_ledger_info()
        if signed is None:
            raise DataNotFound("no ledger info committed yet")
        # The database publishes a ledger info only once everything it covers is readable.
        li = ledger_info_of(signed)
        return LedgerSummary(
            chain_id=self.chain_id,
            version=li.version,
            timestamp_usecs=li.commit_info.timestamp_usecs,
            accumulator_root_hash=li.transaction_accumulator_hash,
            epoch=li.epoch,
            ledger_info=signed,
        )

    def get_account_state(self, address: AccountAddress, version: int) -> AccountState | None:
        blob = self._state_call(version, lambda: self.db.get_account_state(address, version))
        if blob is None:
            return None
        try:
            return decode_account_state(blob)
        except bcs.DecodeError as e:
            raise DataNotFound(f"account {address.hex()} has an undecodable state: {e}") from e

    def get_transaction(self, version: int) -> Transaction:
        return self._call(lambda: self.db.get_transaction(version))

    def get_transaction_info(self, version: int) -> TransactionInfo:
        return self._call(lambda: self.db.get_transaction_info(version))

    def get_events(self, version: int) -> tuple[ContractEvent, ...]:
        return self._call(lambda: self.db.get_events(version))

    def get_account_transaction_version(self, address: AccountAddress, seq: int) -> int | None:
        return self.db.get_account_transaction_version(address, seq)

    def get_transaction_version_by_hash(self, txn_hash: HashValue) -> int | None:
        latest = self.db.latest_version
        if latest is None:
            return None
        low = max(0, latest - self.hash_scan_window + 1)
        for v in range(latest, low - 1, -1):
            if self.db.get_transaction_info(v).transaction_hash == txn_hash:
                return v
        return None

    def get_events_by_key(
        self, key: EventKey, start_seq: int, limit: int, ledger_version: int
    ) -> list[EventWithProof]:
        return self._call(lambda: self.db.get_events_by_key(key, start_seq, limit, ledger_version))

    def get_transactions_with_proof(
        self, start: int, limit: int, ledger_version: int, fetch_events: bool
    ) -> TransactionListWithProof:
        return self._call(
            lambda: self.db.get_transactions_with_proof(start, limit, ledger_version, fetch_events)
        )

    def get_transaction_info_with_proof(
        self, version: int, ledger_version: int
    ) -> TransactionInfoWithProof:
        return self._call(lambda: self.db.get_transaction_info_with_proof(version, ledger_version))

    def get_account_state_with_proof(
        self, address: AccountAddress, version: int, ledger_version: int
    ) -> AccountStateWithProof:
        return self._state_call(
            version, lambda: self.db.get_account_state_with_proof(address, version, ledger_version)
        )

    def get_epoch_change_proof(self, from_epoch: int, to_epoch: int) -> EpochChangeProof:
        return self._call(lambda: self.db.get_epoch_change_proof(from_epoch, to_epoch))

    def get_accumulator_consistency_proof(
        self, client_known_version: int | None, ledger_version: int
    ) -> AccumulatorConsistencyProof:
        return self._call(
            lambda: self.db.get_accumulator_consistency_proof(client_known_version, ledger_version)
        )

    def epoch_of_version(self, version: int) -> int:
        epoch = 0
        while True:
            try:
                li = ledger_info_of(self.db.get_epoch_ending_ledger_info(epoch))
            except NotFoundError:
                return epoch
            if li.version >= version:
                return epoch
            epoch += 1
