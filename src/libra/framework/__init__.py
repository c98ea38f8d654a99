"""The Libra state machine: accounts, roles, currencies, payments, the reserve, minting and
burning, association governance and gas, as pure functions over a state view.

Public API:

- state types: :class:`AccountState`, :class:`RootConfig`, :class:`CurrencyInfo`,
  :class:`Reserve`... (:mod:`libra.framework.state`);
- :class:`StateView` (``get_account_blob(address) -> bytes | None``) and
  :class:`DictStateView`;
- :func:`build_genesis` / :class:`GenesisConfig`;
- :func:`apply_user_transaction`, :func:`apply_block_metadata`, :func:`prologue` (used by
  :mod:`libra.execution`);
- :class:`StatusCode`, :class:`PrologueError`, :class:`MoveAbort`: every way a transaction
  fails;
- queries: :func:`account_state`, :func:`root_config`, :func:`epoch_state`,
  :func:`reserve_report`.
"""

from __future__ import annotations

from libra.framework.account import Account
from libra.framework.association import (
    AddMember,
    AssociationAction,
    RegisterCurrency,
    RegisterCustodian,
    RegisterDealer,
    RemoveMember,
    SetCoverageBuffer,
    SetDualAttestationLimit,
)
from libra.framework.context import (
    AccountCache,
    BlockState,
    Ctx,
    DictStateView,
    SharedBlockState,
    StateView,
)
from libra.framework.errors import (
    Category,
    ConfigError,
    FrameworkError,
    MoveAbort,
    PrologueError,
    StateError,
    StatusCode,
    abort_code,
)
from libra.framework.genesis import (
    ACCOUNT_STATE_PATH,
    BasketEntry,
    CurrencyConfig,
    CustodianConfig,
    DealerConfig,
    GenesisConfig,
    MemberConfig,
    build_genesis,
    genesis_state,
)
from libra.framework.query import (
    ReserveReport,
    account_state,
    epoch_state,
    epoch_state_of,
    reserve_report,
    root_config,
    treasury_config,
)
from libra.framework.state import AccountState, CurrencyInfo, Reserve, RootConfig
from libra.framework.transaction import (
    BlockError,
    Discard,
    Keep,
    Retry,
    TransactionOutput,
    TransactionStatus,
    apply_block_metadata,
    apply_user_transaction,
    prologue,
)

__all__ = [
    "ACCOUNT_STATE_PATH",
    "Account",
    "AccountCache",
    "AccountState",
    "AddMember",
    "AssociationAction",
    "BasketEntry",
    "BlockError",
    "BlockState",
    "Category",
    "ConfigError",
    "Ctx",
    "CurrencyConfig",
    "CurrencyInfo",
    "CustodianConfig",
    "DealerConfig",
    "DictStateView",
    "Discard",
    "FrameworkError",
    "GenesisConfig",
    "Keep",
    "MemberConfig",
    "MoveAbort",
    "PrologueError",
    "RegisterCurrency",
    "RegisterCustodian",
    "RegisterDealer",
    "RemoveMember",
    "Reserve",
    "ReserveReport",
    "Retry",
    "RootConfig",
    "SetCoverageBuffer",
    "SetDualAttestationLimit",
    "SharedBlockState",
    "StateError",
    "StateView",
    "StatusCode",
    "TransactionOutput",
    "TransactionStatus",
    "abort_code",
    "account_state",
    "apply_block_metadata",
    "apply_user_transaction",
    "build_genesis",
    "epoch_state",
    "epoch_state_of",
    "genesis_state",
    "prologue",
    "reserve_report",
    "root_config",
    "treasury_config",
]
