"""What the API needs from the rest of the node, as small typed interfaces.

The API never touches storage, execution or the mempool directly: the node gives it a
:class:`LedgerReader` (a thin adapter over :class:`libra.storage.LedgerDB` that decodes account
blobs with :func:`libra.framework.state.decode_account_state`) and a
:class:`TransactionSubmitter` (the mempool's admission). Tests use in-memory fakes.

Conventions for every :class:`LedgerReader` method:

- versions are ledger versions (``u64``); ``ledger_version`` arguments are never above
  :meth:`LedgerReader.latest`'s version (the API checks that first);
- anything the ledger does not hold (a pruned state version, an unknown epoch) raises
  :class:`libra.api.errors.DataNotFound` (any ``LookupError`` is treated the same way);
- proofs are the :mod:`libra.storage.proof` types, built against ``ledger_version``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from libra.crypto import HashValue
from libra.framework.state import AccountState
from libra.storage.proof import (
    AccountStateWithProof,
    AccumulatorConsistencyProof,
    EpochChangeProof,
    EventWithProof,
    TransactionInfoWithProof,
    TransactionListWithProof,
)
from libra.types import (
    AccountAddress,
    ContractEvent,
    EventKey,
    LedgerInfoWithSignatures,
    SignedTransaction,
    Transaction,
    TransactionInfo,
)

__all__ = [
    "LedgerReader",
    "LedgerSummary",
    "SubmitOutcome",
    "TransactionSubmitter",
]


@dataclass(frozen=True, slots=True)
class LedgerSummary:
    """The latest committed ledger: what every JSON-RPC response's envelope reports."""

    chain_id: int
    version: int
    """The latest committed version."""
    timestamp_usecs: int
    """The timestamp of the block that committed ``version`` (microseconds)."""
    accumulator_root_hash: HashValue
    """The transaction accumulator root after ``version``."""
    epoch: int
    ledger_info: LedgerInfoWithSignatures
    """The quorum-signed ledger info that certifies ``version``."""


class LedgerReader(Protocol):
    """Read access to the committed ledger and its state."""

    def latest(self) -> LedgerSummary:
        """The latest committed ledger. Raises ``DataNotFound`` before genesis."""
        ...

    def get_account_state(self, address: AccountAddress, version: int) -> AccountState | None:
        """``address``'s typed state at ``version`` (None: no account there). Implementations
        that keep state only at block ends answer with the state of the block containing
        ``version``, or raise ``DataNotFound``."""
        ...

    def get_transaction(self, version: int) -> Transaction:
        """The transaction committed at ``version``."""
        ...

    def get_transaction_info(self, version: int) -> TransactionInfo:
        """The transaction info (hashes, gas, status) of ``version``."""
        ...

    def get_events(self, version: int) -> tuple[ContractEvent, ...]:
        """The events emitted by ``version``, in order."""
        ...

    def get_account_transaction_version(self, address: AccountAddress, seq: int) -> int | None:
        """The version of ``address``'s transaction with sequence number ``seq``, if
        committed."""
        ...

    def get_transaction_version_by_hash(self, txn_hash: HashValue) -> int | None:
        """The version of the transaction whose ``Transaction.hash()`` is ``txn_hash``."""
        ...

    def get_events_by_key(
        self, key: EventKey, start_seq: int, limit: int, ledger_version: int
    ) -> list[EventWithProof]:
        """Up to ``limit`` events of stream ``key`` from sequence number ``start_seq``
        (ascending), emitted at or before ``ledger_version``, each with its proof."""
        ...

    def get_transactions_with_proof(
        self, start: int, limit: int, ledger_version: int, fetch_events: bool
    ) -> TransactionListWithProof:
        """Up to ``limit`` transactions from ``start`` with their infos, optional events and
        a range proof against ``ledger_version``."""
        ...

    def get_transaction_info_with_proof(
        self, version: int, ledger_version: int
    ) -> TransactionInfoWithProof:
        """``version``'s transaction info with its proof against ``ledger_version``."""
        ...

    def get_account_state_with_proof(
        self, address: AccountAddress, version: int, ledger_version: int
    ) -> AccountStateWithProof:
        """``address``'s blob at ``version`` with its proof against ``ledger_version``."""
        ...

    def get_epoch_change_proof(self, from_epoch: int, to_epoch: int) -> EpochChangeProof:
        """The ledger infos ending epochs ``from_epoch`` .. ``to_epoch - 1``."""
        ...

    def get_accumulator_consistency_proof(
        self, client_known_version: int | None, ledger_version: int
    ) -> AccumulatorConsistencyProof:
        """The subtrees extending the accumulator at ``client_known_version`` (None: empty)
        to the one at ``ledger_version``."""
        ...

    def epoch_of_version(self, version: int) -> int:
        """The epoch the transaction at ``version`` was committed in."""
        ...


class SubmitOutcome(Protocol):
    """The mempool's answer to an admission (:class:`libra.mempool.core.AdmissionResult` fits).

    ``code`` is Diem's ``MempoolStatusCode`` (0 accepted, 1 unknown, 2 mempool is full,
    3 too many transactions, 4 invalid sequence number, 5 invalid update, 6 VM error);
    ``vm_status`` is the prologue's status for code 6: an ``IntEnum`` of Diem's ``StatusCode``
    (such as :class:`libra.framework.errors.StatusCode`), or an object with a ``status``
    attribute holding one (such as :class:`libra.framework.errors.PrologueError`)."""

    @property
    def code(self) -> int: ...

    @property
    def detail(self) -> str: ...

    @property
    def vm_status(self) -> object | None: ...


class TransactionSubmitter(Protocol):
    """Hands a signed transaction to the mempool and waits for its admission."""

    def submit(self, txn: SignedTransaction) -> SubmitOutcome:
        """Admits ``txn`` (runs the prologue); never raises for a rejected transaction."""
        ...
