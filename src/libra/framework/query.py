"""Reading the framework's state from any state view: accounts, supply, the reserve."""

from __future__ import annotations

import dataclasses

from libra.crypto import Ed25519PublicKey
from libra.framework import ops
from libra.framework.context import StateView
from libra.framework.errors import StateError
from libra.framework.state import AccountState, RootConfig, TreasuryConfig, decode_account_state
from libra.types import (
    DIEM_ROOT_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    EpochState,
    ValidatorConsensusInfo,
    ValidatorVerifier,
)


def account_state(view: StateView, address: AccountAddress) -> AccountState | None:
    """The typed account at ``address``, or None."""
    blob = view.get_account_blob(address)
    return decode_account_state(blob) if blob is not None else None


def root_config(view: StateView) -> RootConfig:
    state = account_state(view, DIEM_ROOT_ADDRESS)
    if state is None or state.details.root is None:
        raise StateError("the state has no Diem Root configuration")
    return state.details.root


def treasury_config(view: StateView) -> TreasuryConfig:
    state = account_state(view, TREASURY_COMPLIANCE_ADDRESS)
    if state is None or state.details.treasury is None:
        raise StateError("the state has no Treasury Compliance configuration")
    return state.details.treasury


def epoch_state(view: StateView) -> EpochState:
    """The epoch and validator set consensus must use after this state."""
    root = root_config(view)
    return epoch_state_of(root)


def epoch_state_of(root: RootConfig) -> EpochState:
    infos = {
        v.addr: ValidatorConsensusInfo(
            Ed25519PublicKey(v.config.consensus_public_key), v.consensus_voting_power
        )
        for v in root.validators
    }
    return EpochState(root.epoch, ValidatorVerifier.create(infos))


@dataclasses.dataclass(frozen=True, slots=True)
class ReserveReport:
    """LBR supply and how the reserve covers it."""

    lbr_supply: int
    coverage_bps: int | None
    """Lowest holdings/needed ratio over the basket in basis points; None with no supply."""
    holdings: dict[str, dict[int, int]]
    required: dict[str, int]
    value_micro_xdx: int
    """The reserve valued at the recorded rates."""


def reserve_report(view: StateView) -> ReserveReport:
    root = root_config(view)
    reserve = treasury_config(view).reserve
    lbr = root.currencies[ops.LBR]
    supply = lbr.total_value
    value = 0
    for a in reserve.assets.values():
        value += sum(a.holdings.values()) * a.rate_numerator // a.rate_denominator
    return ReserveReport(
        supply,
        ops.coverage_bps(reserve, lbr, supply),
        {c: dict(a.holdings) for c, a in reserve.assets.items()},
        {c: ops.required_units(reserve, lbr, supply, c) for c in reserve.assets},
        value,
    )
