"""The on-chain state: one typed value per account, global configuration included.

Each account's state is an :class:`AccountState`; its BCS encoding is the account *blob* the
sparse Merkle tree stores under ``sha3_256(address)``. The fields every payment touches
(authentication key, sequence number, frozen bit, role, balances, the two payment event
handles) come first; everything that only some roles have lives in :class:`AccountDetails`.

Global configuration lives in accounts, as in Diem, so it is readable and provable at every
version:

- ``0xA550C18`` (Diem Root) holds :class:`RootConfig`: chain id, framework version, the clock
  and block height, the epoch and validator set, registered currencies with their
  :class:`CurrencyInfo`, the dual-attestation limit and the association (members, proposals).
- ``0xB1E55ED`` (Treasury Compliance) holds :class:`TreasuryConfig`: fees collected per
  currency and the :class:`Reserve` that backs LBR.

Event handles: an account's event streams get creation numbers from a per-account counter in
the order Diem creates them (see :mod:`libra.framework.events`).
"""

from __future__ import annotations

from typing import Annotated

from libra import bcs
from libra.types import AccountAddress, EventKey

# Role ids, Diem's numbers; custodians are the Libra reserve's own role.
ROLE_DIEM_ROOT = 0
ROLE_TREASURY_COMPLIANCE = 1
ROLE_DESIGNATED_DEALER = 2
ROLE_VALIDATOR = 3
ROLE_VALIDATOR_OPERATOR = 4
ROLE_PARENT_VASP = 5
ROLE_CHILD_VASP = 6
ROLE_CUSTODIAN = 7

ROLE_NAMES = {
    ROLE_DIEM_ROOT: "diem_root",
    ROLE_TREASURY_COMPLIANCE: "treasury_compliance",
    ROLE_DESIGNATED_DEALER: "designated_dealer",
    ROLE_VALIDATOR: "validator",
    ROLE_VALIDATOR_OPERATOR: "validator_operator",
    ROLE_PARENT_VASP: "parent_vasp",
    ROLE_CHILD_VASP: "child_vasp",
    ROLE_CUSTODIAN: "custodian",
}

ASSET_BANK_DEPOSIT = 0
"""Reserve asset kind: a deposit at a custodian bank."""
ASSET_GOVERNMENT_SECURITY = 1
"""Reserve asset kind: short-term government securities."""
ASSET_KINDS = (ASSET_BANK_DEPOSIT, ASSET_GOVERNMENT_SECURITY)

AuthKeyBytes = Annotated[bytes, bcs.Fixed(32)]


@bcs.struct
class EventHandle:
    """An event stream: how many events it has emitted and its key."""

    counter: bcs.U64
    key: EventKey


@bcs.struct
class SlidingNonce:
    """Diem's sliding window of used nonces for administrative scripts."""

    min_nonce: bcs.U64 = 0
    nonce_mask: bcs.U128 = 0


@bcs.struct
class ParentVasp:
    """A parent VASP: how many child accounts it has created."""

    num_children: bcs.U64 = 0


@bcs.struct
class ChildVasp:
    """A child VASP and the parent it belongs to."""

    parent: AccountAddress


@bcs.struct
class DualAttestationCredential:
    """Travel-rule identity of a parent VASP or dealer (Diem's ``DualAttestation::Credential``)."""

    human_name: bytes
    base_url: bytes
    compliance_public_key: bytes
    expiration_date: bcs.U64
    compliance_key_rotation_events: EventHandle
    base_url_rotation_events: EventHandle


@bcs.struct
class Dealer:
    """A designated dealer: its mint event stream and its outstanding preburns, per currency
    in request order."""

    received_mint_events: EventHandle
    preburns: dict[str, tuple[bcs.U64, ...]]


@bcs.struct
class ValidatorConfig:
    """The consensus key and network addresses of a validator."""

    consensus_public_key: bytes
    validator_network_addresses: bytes
    fullnode_network_addresses: bytes


@bcs.struct
class ValidatorRole:
    """A validator owner's account: its name, operator and config."""

    human_name: bytes
    operator_account: AccountAddress | None
    config: ValidatorConfig | None


@bcs.struct
class OperatorRole:
    human_name: bytes


@bcs.struct
class RecoveryAddress:
    """Key rotation capabilities delegated to this account (Diem's ``RecoveryAddress``)."""

    rotation_caps: tuple[AccountAddress, ...]


@bcs.struct
class CustodianRole:
    """A custodian of reserve assets (libra)."""

    human_name: bytes


@bcs.struct
class AccountDetails:
    """Role-specific and rarely touched parts of an account."""

    event_generator: bcs.U64
    """The creation number the next event handle of this account gets."""
    key_rotation_delegated_to: AccountAddress | None = None
    """Where the key rotation capability went (a recovery address), None while held."""
    sliding_nonce: SlidingNonce | None = None
    parent_vasp: ParentVasp | None = None
    child_vasp: ChildVasp | None = None
    credential: DualAttestationCredential | None = None
    dealer: Dealer | None = None
    validator: ValidatorRole | None = None
    operator: OperatorRole | None = None
    recovery: RecoveryAddress | None = None
    shared_ed25519_key: bytes | None = None
    custodian: CustodianRole | None = None
    diem_id_domains: tuple[bytes, ...] | None = None
    root: RootConfig | None = None
    treasury: TreasuryConfig | None = None


@bcs.struct
class AccountState:
    """An account: what the state tree stores for its address."""

    authentication_key: AuthKeyBytes
    sequence_number: bcs.U64
    frozen: bool
    role: bcs.U8
    balances: dict[str, bcs.U64]
    """Minor units per currency code the account accepts."""
    received_events: EventHandle
    sent_events: EventHandle
    details: AccountDetails


# ---------------------------------------------------------------------------------------------
# Global configuration


@bcs.struct
class CurrencyInfo:
    """A registered currency, Diem's ``CurrencyInfo`` fields in Diem's order."""

    total_value: bcs.U128
    preburn_value: bcs.U64
    to_xdx_exchange_rate: bcs.U64
    """FixedPoint32: XDX per minor unit times 2**32."""
    is_synthetic: bool
    scaling_factor: bcs.U64
    fractional_part: bcs.U64
    currency_code: bytes
    can_mint: bool
    mint_events: EventHandle
    burn_events: EventHandle
    preburn_events: EventHandle
    cancel_burn_events: EventHandle
    exchange_rate_update_events: EventHandle


@bcs.struct
class ValidatorInfo:
    """An entry of the validator set (Diem's ``DiemSystem::ValidatorInfo``)."""

    addr: AccountAddress
    consensus_voting_power: bcs.U64
    config: ValidatorConfig
    last_config_update_time: bcs.U64


@bcs.struct
class Proposal:
    """An association proposal awaiting votes; ``action`` is a BCS ``AssociationAction``."""

    id: bcs.U64
    proposer: AccountAddress
    action: bytes
    votes: tuple[AccountAddress, ...]
    expiration_secs: bcs.U64


@bcs.struct
class Association:
    """The Libra Association: its members and their open proposals (libra)."""

    members: tuple[AccountAddress, ...]
    proposals: tuple[Proposal, ...]
    next_proposal_id: bcs.U64
    proposal_events: EventHandle


@bcs.struct
class RootConfig:
    """Global configuration held by Diem Root at ``0xA550C18``."""

    chain_id: bcs.U8
    diem_version: bcs.U64
    timestamp_usecs: bcs.U64
    block_height: bcs.U64
    epoch: bcs.U64
    last_reconfiguration_time: bcs.U64
    validators: tuple[ValidatorInfo, ...]
    currencies: dict[str, CurrencyInfo]
    dual_attestation_limit: bcs.U64
    """Micro-XDX above which payments between VASPs need the travel-rule signature."""
    association: Association
    new_block_events: EventHandle
    new_epoch_events: EventHandle
    create_account_events: EventHandle
    admin_events: EventHandle
    diem_id_domain_events: EventHandle


@bcs.struct
class ReserveAsset:
    """One currency of the basket backing LBR."""

    units_per_coin: bcs.U64
    """Minor units of this currency in one whole LBR (fixed at genesis)."""
    rate_numerator: bcs.U64
    rate_denominator: bcs.U64
    """Value of one minor unit in micro-XDX, as a fraction (for valuation only)."""
    holdings: dict[bcs.U8, bcs.U64]
    """Minor units held, per asset kind (bank deposit, government security)."""


@bcs.struct
class Reserve:
    """The Libra Reserve: the basket, what custodians hold, and the minting buffer."""

    assets: dict[str, ReserveAsset]
    coverage_buffer_bps: bcs.U64
    """Extra coverage, in basis points, a mint must leave (0 = exactly 100%)."""
    deposit_events: EventHandle
    withdrawal_events: EventHandle


@bcs.struct
class TreasuryConfig:
    """Held by Treasury Compliance at ``0xB1E55ED``: fees and the reserve."""

    fees: dict[str, bcs.U64]
    reserve: Reserve


def decode_account_state(blob: bytes) -> AccountState:
    """The typed account behind a blob (strict BCS)."""
    return bcs.decode(AccountState, blob)
