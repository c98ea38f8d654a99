"""Genesis: the first state, built from a typed :class:`GenesisConfig`.

Accounts created, in order: Diem Root (``0xA550C18``), Treasury Compliance (``0xB1E55ED``),
each association member (a validator account, in the validator set), each designated dealer,
each custodian. Then epoch 1 starts (NewEpochEvent).

Event streams of Diem Root, by creation number: 0 received payments, 1 sent payments,
2 new block, 3 new epoch, 4 create account, 5 admin transactions, 6 Diem ID domains,
7 association proposals, then five per currency in configuration order (mint, burn, preburn,
cancel burn, exchange-rate update). Treasury Compliance: 0 received, 1 sent, 2 reserve
deposits, 3 reserve withdrawals.

Default basket (Sept 2019 weights at the day's rates, 1 LBR ~ 1 USD): 50 US cents, 16 euro
cents, 15 yen, 9 pence and 10 Singapore cents per LBR.
"""

from __future__ import annotations

import dataclasses

from libra.crypto import Ed25519PublicKey, sha3_256
from libra.framework import events as ev
from libra.framework import ops, scripts
from libra.framework.account import Account
from libra.framework.context import BlockState, Ctx, DictStateView
from libra.framework.errors import ConfigError, MoveAbort
from libra.framework.state import (
    ROLE_DIEM_ROOT,
    ROLE_TREASURY_COMPLIANCE,
    ROLE_VALIDATOR,
    AccountDetails,
    Association,
    CurrencyInfo,
    Reserve,
    ReserveAsset,
    RootConfig,
    SlidingNonce,
    TreasuryConfig,
    ValidatorConfig,
    ValidatorInfo,
    ValidatorRole,
)
from libra.types import (
    DIEM_ROOT_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccessPath,
    AccountAddress,
    ChangeSet,
    ContractEvent,
    GenesisTransaction,
    Transaction,
    WriteOpValue,
    WriteSet,
    WriteSetDirect,
)

ACCOUNT_STATE_PATH = b"\x01" + sha3_256(b"0x1::DiemAccount::AccountState")
"""The access path under which the genesis write set stores each account blob."""

TESTING_CHAIN_ID = 4
DEFAULT_DUAL_ATTESTATION_LIMIT = 1_000_000_000
"""1,000 XDX in micro-XDX, Diem's default."""
ONE = 1 << 32


@dataclasses.dataclass(frozen=True, slots=True)
class CurrencyConfig:
    """A currency registered at genesis."""

    code: str
    scaling_factor: int = 1_000_000
    fractional_part: int = 100
    to_xdx_numerator: int = 1
    to_xdx_denominator: int = 1
    is_synthetic: bool = False
    can_mint: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class BasketEntry:
    """A currency of the reserve basket: minor units per LBR and its value in micro-XDX per
    minor unit."""

    code: str
    units_per_coin: int
    rate_numerator: int
    rate_denominator: int = 1


@dataclasses.dataclass(frozen=True, slots=True)
class MemberConfig:
    """A founding association member and its validator (same account)."""

    address: AccountAddress
    auth_key: bytes
    human_name: bytes
    consensus_public_key: bytes
    validator_network_addresses: bytes = b""
    fullnode_network_addresses: bytes = b""


@dataclasses.dataclass(frozen=True, slots=True)
class DealerConfig:
    address: AccountAddress
    auth_key: bytes
    human_name: bytes
    currencies: tuple[str, ...] = ("LBR",)


@dataclasses.dataclass(frozen=True, slots=True)
class CustodianConfig:
    address: AccountAddress
    auth_key: bytes
    human_name: bytes


DEFAULT_CURRENCIES = (
    CurrencyConfig("LBR"),
    CurrencyConfig("XUS"),
    CurrencyConfig("XDX", fractional_part=1000, is_synthetic=True, can_mint=False),
)
DEFAULT_BASKET = (
    BasketEntry("USD", 50, 10_000),
    BasketEntry("EUR", 16, 11_000),
    BasketEntry("JPY", 15, 9_300),
    BasketEntry("GBP", 9, 12_400),
    BasketEntry("SGD", 10, 7_250),
)


@dataclasses.dataclass(frozen=True, slots=True)
class GenesisConfig:
    """Everything the first state is made of."""

    root_auth_key: bytes
    tc_auth_key: bytes
    members: tuple[MemberConfig, ...]
    dealers: tuple[DealerConfig, ...] = ()
    custodians: tuple[CustodianConfig, ...] = ()
    currencies: tuple[CurrencyConfig, ...] = DEFAULT_CURRENCIES
    basket: tuple[BasketEntry, ...] = DEFAULT_BASKET
    chain_id: int = TESTING_CHAIN_ID
    dual_attestation_limit: int = DEFAULT_DUAL_ATTESTATION_LIMIT
    coverage_buffer_bps: int = 0
    timestamp_usecs: int = 0
    diem_version: int = 1


def _check(config: GenesisConfig) -> None:
    if not 0 <= config.chain_id <= 255:
        raise ConfigError(f"chain id {config.chain_id} is not a u8")
    for key, who in ((config.root_auth_key, "root"), (config.tc_auth_key, "treasury")):
        if len(key) != 32:
            raise ConfigError(f"{who} authentication key is {len(key)} bytes, not 32")
    codes = [c.code for c in config.currencies]
    if len(set(codes)) != len(codes):
        raise ConfigError(f"duplicate currency codes in {codes}")
    if ops.LBR not in codes:
        raise ConfigError("LBR must be a registered currency")
    basket = [b.code for b in config.basket]
    if len(set(basket)) != len(basket) or not basket:
        raise ConfigError(f"basket {basket} is empty or has duplicates")
    for b in config.basket:
        if b.units_per_coin <= 0 or b.rate_denominator <= 0:
            raise ConfigError(f"basket entry {b} must have positive units and rate denominator")
    if not config.members:
        raise ConfigError("at least one association member is needed")
    addrs = [m.address for m in config.members] + [d.address for d in config.dealers]
    addrs += [c.address for c in config.custodians]
    if len(set(addrs)) != len(addrs) or {DIEM_ROOT_ADDRESS, TREASURY_COMPLIANCE_ADDRESS} & set(
        addrs
    ):
        raise ConfigError("account addresses in the genesis config must be distinct")
    for m in config.members:
        try:
            Ed25519PublicKey(m.consensus_public_key)
        except ValueError as e:
            raise ConfigError(f"member {m.address.hex()}: bad consensus key: {e}") from None
    for c in config.currencies:
        if c.scaling_factor <= 0 or c.to_xdx_denominator <= 0:
            raise ConfigError(f"currency {c.code}: non-positive scaling factor or rate")


def _system_account(
    address: AccountAddress, auth_key: bytes, role: int, details: AccountDetails
) -> Account:
    return Account(
        address,
        bytes(auth_key),
        0,
        False,
        role,
        {},
        0,
        ev.handle_for(0, address).key,
        0,
        ev.handle_for(1, address).key,
        details,
        None,
    )


def genesis_state(config: GenesisConfig) -> tuple[dict[AccountAddress, bytes], list[ContractEvent]]:
    """The account blobs of the first state and the events genesis emits."""
    _check(config)
    block = BlockState(DictStateView())
    ctx = Ctx(block, config.timestamp_usecs)
    h = ev.handle_for
    root_addr = DIEM_ROOT_ADDRESS
    currencies: dict[str, CurrencyInfo] = {}
    n = 8
    for c in config.currencies:
        currencies[c.code] = CurrencyInfo(
            0,
            0,
            (c.to_xdx_numerator << 32) // c.to_xdx_denominator,
            c.is_synthetic,
            c.scaling_factor,
            c.fractional_part,
            c.code.encode(),
            c.can_mint,
            h(n, root_addr),
            h(n + 1, root_addr),
            h(n + 2, root_addr),
            h(n + 3, root_addr),
            h(n + 4, root_addr),
        )
        n += 5
    root_cfg = RootConfig(
        config.chain_id,
        config.diem_version,
        config.timestamp_usecs,
        0,
        0,
        0,
        (),
        currencies,
        config.dual_attestation_limit,
        Association((), (), 0, h(7, root_addr)),
        h(2, root_addr),
        h(3, root_addr),
        h(4, root_addr),
        h(5, root_addr),
        h(6, root_addr),
    )
    root = _system_account(
        root_addr,
        config.root_auth_key,
        ROLE_DIEM_ROOT,
        AccountDetails(event_generator=n, sliding_nonce=SlidingNonce(), root=root_cfg),
    )
    reserve = Reserve(
        {
            b.code: ReserveAsset(b.units_per_coin, b.rate_numerator, b.rate_denominator, {})
            for b in config.basket
        },
        config.coverage_buffer_bps,
        h(2, TREASURY_COMPLIANCE_ADDRESS),
        h(3, TREASURY_COMPLIANCE_ADDRESS),
    )
    tc = _system_account(
        TREASURY_COMPLIANCE_ADDRESS,
        config.tc_auth_key,
        ROLE_TREASURY_COMPLIANCE,
        AccountDetails(
            event_generator=4, sliding_nonce=SlidingNonce(), treasury=TreasuryConfig({}, reserve)
        ),
    )
    ctx.create_account(root)
    ctx.create_account(tc)
    try:
        for acct in (root, tc):
            handle = ctx.root().create_account_events
            handle = ctx.emit(
                handle, ev.CREATE_ACCOUNT, ev.CreateAccountEvent(acct.address, acct.role)
            )
            ctx.set_root(dataclasses.replace(ctx.root(), create_account_events=handle))
        members = []
        for m in config.members:
            vcfg = ValidatorConfig(
                m.consensus_public_key, m.validator_network_addresses, m.fullnode_network_addresses
            )
            details = AccountDetails(
                event_generator=0, validator=ValidatorRole(m.human_name, None, vcfg)
            )
            acct = ops.make_account(ctx, m.address, m.auth_key[:16], ROLE_VALIDATOR, (), details)
            acct.auth_key = bytes(m.auth_key)
            members.append(m.address)
        root_now = ctx.root()
        vals = tuple(
            ValidatorInfo(
                m.address,
                scripts.DEFAULT_VOTING_POWER,
                ValidatorConfig(
                    m.consensus_public_key,
                    m.validator_network_addresses,
                    m.fullnode_network_addresses,
                ),
                config.timestamp_usecs,
            )
            for m in config.members
        )
        assoc = dataclasses.replace(root_now.association, members=tuple(members))
        ctx.set_root(dataclasses.replace(root_now, validators=vals, association=assoc))
        for d in config.dealers:
            scripts._create_dealer(ctx, d.address, d.auth_key[:16], d.human_name, d.currencies)
            block.accounts[d.address].auth_key = bytes(d.auth_key)  # type: ignore[union-attr]
        for cu in config.custodians:
            scripts.create_custodian(ctx, cu.address, cu.auth_key[:16], cu.human_name)
            block.accounts[cu.address].auth_key = bytes(cu.auth_key)  # type: ignore[union-attr]
        scripts.reconfigure(ctx, ctx.root())
    except MoveAbort as e:
        raise ConfigError(f"genesis config rejected: {e}") from e
    block.dirty = {a for a, v in block.accounts.items() if v is not None}
    return block.changed_blobs(), list(ctx.events)


def build_genesis(config: GenesisConfig) -> tuple[Transaction, dict[AccountAddress, bytes]]:
    """The genesis transaction (a direct write set of every account blob, with the events
    genesis emitted) and the blobs it writes."""
    blobs, events = genesis_state(config)
    writes = tuple(
        (AccessPath(addr, ACCOUNT_STATE_PATH), WriteOpValue(blob)) for addr, blob in blobs.items()
    )
    txn = GenesisTransaction(WriteSetDirect(ChangeSet(WriteSet(writes), tuple(events))))
    return txn, blobs
