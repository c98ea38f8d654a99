"""Script functions, with Diem's module names, function names and argument orders.

Each handler takes the transaction context, the signer accounts, the currency codes of its
type arguments and its decoded arguments, and either completes or raises
:class:`~libra.framework.errors.MoveAbort` (the caller rolls back whatever was done).
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from typing import Any

from libra import bcs
from libra.crypto import Ed25519PublicKey
from libra.framework import events as ev
from libra.framework import ops
from libra.framework.account import Account
from libra.framework.context import Ctx
from libra.framework.errors import (
    AccountFreezingReason,
    Category,
    ConfigReason,
    DesignatedDealerReason,
    DiemAccountReason,
    DiemIdReason,
    DiemReason,
    DualAttestationReason,
    MoveAbort,
    RecoveryAddressReason,
    ReserveReason,
    RolesReason,
    SharedKeyReason,
    ValidatorReason,
    VaspReason,
)
from libra.framework.ops import LBR, U64_MAX, U128_MAX, ArithmeticOverflow
from libra.framework.state import (
    ASSET_KINDS,
    ROLE_CHILD_VASP,
    ROLE_CUSTODIAN,
    ROLE_DESIGNATED_DEALER,
    ROLE_PARENT_VASP,
    ROLE_VALIDATOR,
    ROLE_VALIDATOR_OPERATOR,
    AccountDetails,
    ChildVasp,
    CustodianRole,
    Dealer,
    DualAttestationCredential,
    OperatorRole,
    ParentVasp,
    RecoveryAddress,
    RootConfig,
    ValidatorConfig,
    ValidatorInfo,
    ValidatorRole,
)
from libra.types import (
    DIEM_ROOT_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    AuthenticationKey,
)

U8 = "u8"
U64 = "u64"
ADDR = "address"
BYTES = "vector<u8>"
BOOL = "bool"

ONE_YEAR_SECS = 365 * 24 * 3600
MAX_DOMAIN_LENGTH = 63
MAX_RECOVERY_KEYS = 256
DEFAULT_VOTING_POWER = 1


_unpack_u64 = struct.Struct("<Q").unpack


def _dec_u64(data: bytes) -> int:
    if len(data) != 8:
        raise bcs.DecodeError(0, f"u64 argument of {len(data)} bytes")
    value: int = _unpack_u64(data)[0]
    return value


_new_address = bytes.__new__


def _dec_address(data: bytes) -> AccountAddress:
    if len(data) != 16:
        raise bcs.DecodeError(0, f"address argument of {len(data)} bytes")
    return _new_address(AccountAddress, data)


def _dec_bytes(data: bytes) -> bytes:
    n = len(data)
    if 0 < n <= 128 and data[0] == n - 1:
        return data[1:]
    value: bytes = bcs.decode_as(bytes, data)
    return value


def _dec_bool(data: bytes) -> bool:
    value: bool = bcs.decode_as(bool, data)
    return value


def _dec_u8(data: bytes) -> int:
    value: int = bcs.decode_as(bcs.U8, data)
    return value


DECODERS: dict[str, Callable[[bytes], Any]] = {
    U64: _dec_u64,
    ADDR: _dec_address,
    BYTES: _dec_bytes,
    BOOL: _dec_bool,
    U8: _dec_u8,
}
"""BCS decoders of script-function arguments, by parameter kind."""


@dataclasses.dataclass(frozen=True, slots=True)
class ScriptSpec:
    """A callable script function: where it lives, its parameters, and its handler."""

    module: str
    name: str
    params: tuple[str, ...]
    """Kinds of the non-signer parameters, in order."""
    currencies: int
    """How many currency type arguments it takes."""
    handler: Callable[..., None]
    signers: int = 1
    decoders: tuple[Callable[[bytes], Any], ...] = ()
    """The BCS decoder of each parameter (filled in at registration)."""
    decode_args: Callable[[tuple[bytes, ...]], list[Any]] = dataclasses.field(
        init=False, repr=False, compare=False
    )
    """Applies ``decoders`` to a tuple of as many arguments."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "decode_args", args_decoder(self.decoders))


def args_decoder(
    decoders: tuple[Callable[[bytes], Any], ...],
) -> Callable[[tuple[bytes, ...]], list[Any]]:
    """A function applying ``decoders`` to a tuple of exactly as many BCS arguments, with the
    decoders called directly for the common arities (a ``map`` costs more per argument)."""
    n = len(decoders)
    if n == 1:
        (d0,) = decoders
        return lambda args: [d0(args[0])]
    if n == 2:
        d0, d1 = decoders
        return lambda args: [d0(args[0]), d1(args[1])]
    if n == 3:
        d0, d1, d2 = decoders
        return lambda args: [d0(args[0]), d1(args[1]), d2(args[2])]
    if n == 4:
        d0, d1, d2, d3 = decoders
        return lambda args: [d0(args[0]), d1(args[1]), d2(args[2]), d3(args[3])]
    return lambda args: [d(a) for d, a in zip(decoders, args, strict=True)]


SCRIPTS: dict[tuple[str, str], ScriptSpec] = {}


def script(
    module: str, name: str, params: tuple[str, ...], currencies: int = 0, signers: int = 1
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        decoders = tuple(DECODERS[p] for p in params)
        SCRIPTS[(module, name)] = ScriptSpec(
            module, name, params, currencies, fn, signers, decoders
        )
        return fn

    return register


def _abort(module: str, cat: Category, reason: int, msg: str) -> MoveAbort:
    return MoveAbort(module, cat, reason, msg)


def _account_or_abort(ctx: Ctx, address: AccountAddress, module: str, reason: int) -> Account:
    acct = ctx.account(address)
    if acct is None:
        raise _abort(module, Category.NOT_PUBLISHED, reason, f"no account at {address.hex()}")
    return acct


# ---------------------------------------------------------------------------------------------
# PaymentScripts


@script("PaymentScripts", "peer_to_peer_with_metadata", (ADDR, U64, BYTES, BYTES), 1)
def peer_to_peer_with_metadata(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    payee: AccountAddress,
    amount: int,
    metadata: bytes,
    metadata_signature: bytes,
) -> None:
    code = cur[0]
    ops.currency_info(ctx, code)
    ops.pay(ctx, signers[0], payee, code, ops.code_bcs(code), amount, metadata, metadata_signature)


@script("PaymentScripts", "peer_to_peer_by_signers", (U64, BYTES), 1, signers=2)
def peer_to_peer_by_signers(
    ctx: Ctx, signers: list[Account], cur: list[str], amount: int, metadata: bytes
) -> None:
    """Both parties sign: no travel-rule signature is needed (Diem's rule)."""
    code = cur[0]
    ops.currency_info(ctx, code)
    payer, payee = signers
    ops.pay(
        ctx,
        payer,
        payee.address,
        code,
        ops.code_bcs(code),
        amount,
        metadata,
        b"",
        travel_rule=False,
    )


# ---------------------------------------------------------------------------------------------
# AccountCreationScripts


def _currencies(ctx: Ctx, code: str, add_all: bool) -> tuple[str, ...]:
    ops.currency_info(ctx, code)
    if add_all:
        return tuple(sorted(ctx.root().currencies))
    return (code,)


def _credential(
    address: AccountAddress, gen: int, human_name: bytes, now_secs: int
) -> DualAttestationCredential:
    return DualAttestationCredential(
        human_name,
        b"",
        b"",
        now_secs + ONE_YEAR_SECS,
        ev.handle_for(gen, address),
        ev.handle_for(gen + 1, address),
    )


@script("AccountCreationScripts", "create_parent_vasp_account", (U64, ADDR, BYTES, BYTES, BOOL), 1)
def create_parent_vasp_account(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    new_account_address: AccountAddress,
    auth_key_prefix: bytes,
    human_name: bytes,
    add_all_currencies: bool,
) -> None:
    tc = signers[0]
    ops.record_nonce(ctx, tc, sliding_nonce)
    ops.require_tc(tc)
    codes = _currencies(ctx, cur[0], add_all_currencies)
    details = AccountDetails(
        event_generator=2,
        parent_vasp=ParentVasp(0),
        credential=_credential(new_account_address, 0, human_name, ctx.now_secs),
    )
    ops.make_account(ctx, new_account_address, auth_key_prefix, ROLE_PARENT_VASP, codes, details)


@script("AccountCreationScripts", "create_child_vasp_account", (ADDR, BYTES, BOOL, U64), 1)
def create_child_vasp_account(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    child_address: AccountAddress,
    auth_key_prefix: bytes,
    add_all_currencies: bool,
    child_initial_balance: int,
) -> None:
    parent = signers[0]
    ops.require_role(parent, ROLE_PARENT_VASP, RolesReason.EPARENT_VASP)
    pv = parent.details.parent_vasp
    if pv is None:
        raise _abort(
            "VASP", Category.NOT_PUBLISHED, VaspReason.EPARENT_VASP, "no parent VASP record"
        )
    if pv.num_children >= ops.MAX_CHILD_ACCOUNTS:
        raise _abort(
            "VASP",
            Category.LIMIT_EXCEEDED,
            VaspReason.ETOO_MANY_CHILDREN,
            f"{parent.address.hex()} already has {pv.num_children} children",
        )
    codes = _currencies(ctx, cur[0], add_all_currencies)
    details = AccountDetails(event_generator=0, child_vasp=ChildVasp(parent.address))
    ops.make_account(ctx, child_address, auth_key_prefix, ROLE_CHILD_VASP, codes, details)
    ctx.update_details(parent, parent_vasp=ParentVasp(pv.num_children + 1))
    if child_initial_balance > 0:
        code = cur[0]
        ops.pay(
            ctx, parent, child_address, code, ops.code_bcs(code), child_initial_balance, b"", b""
        )


def _create_dealer(
    ctx: Ctx,
    address: AccountAddress,
    auth_key_prefix: bytes,
    human_name: bytes,
    codes: tuple[str, ...],
) -> None:
    details = AccountDetails(
        event_generator=3,
        dealer=Dealer(ev.handle_for(0, address), {}),
        credential=_credential(address, 1, human_name, ctx.now_secs),
    )
    ops.make_account(ctx, address, auth_key_prefix, ROLE_DESIGNATED_DEALER, codes, details)


@script("AccountCreationScripts", "create_designated_dealer", (U64, ADDR, BYTES, BYTES, BOOL), 1)
def create_designated_dealer(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    addr: AccountAddress,
    auth_key_prefix: bytes,
    human_name: bytes,
    add_all_currencies: bool,
) -> None:
    tc = signers[0]
    ops.record_nonce(ctx, tc, sliding_nonce)
    ops.require_tc(tc)
    _create_dealer(
        ctx, addr, auth_key_prefix, human_name, _currencies(ctx, cur[0], add_all_currencies)
    )


@script("AccountCreationScripts", "create_validator_account", (U64, ADDR, BYTES, BYTES))
def create_validator_account(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    new_account_address: AccountAddress,
    auth_key_prefix: bytes,
    human_name: bytes,
) -> None:
    root = signers[0]
    ops.record_nonce(ctx, root, sliding_nonce)
    ops.require_root(root)
    details = AccountDetails(event_generator=0, validator=ValidatorRole(human_name, None, None))
    ops.make_account(ctx, new_account_address, auth_key_prefix, ROLE_VALIDATOR, (), details)


@script("AccountCreationScripts", "create_validator_operator_account", (U64, ADDR, BYTES, BYTES))
def create_validator_operator_account(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    new_account_address: AccountAddress,
    auth_key_prefix: bytes,
    human_name: bytes,
) -> None:
    root = signers[0]
    ops.record_nonce(ctx, root, sliding_nonce)
    ops.require_root(root)
    details = AccountDetails(event_generator=0, operator=OperatorRole(human_name))
    ops.make_account(
        ctx, new_account_address, auth_key_prefix, ROLE_VALIDATOR_OPERATOR, (), details
    )


def create_custodian(
    ctx: Ctx, address: AccountAddress, auth_key_prefix: bytes, human_name: bytes
) -> None:
    """A custodian of reserve assets (created by an association proposal)."""
    details = AccountDetails(event_generator=0, custodian=CustodianRole(human_name))
    ops.make_account(ctx, address, auth_key_prefix, ROLE_CUSTODIAN, (), details)


# ---------------------------------------------------------------------------------------------
# AccountAdministrationScripts


@script("AccountAdministrationScripts", "add_currency_to_account", (), 1)
def add_currency_to_account(ctx: Ctx, signers: list[Account], cur: list[str]) -> None:
    acct = signers[0]
    code = cur[0]
    ops.currency_info(ctx, code)
    if acct.role not in ops.BALANCE_ROLES:
        raise _abort(
            "DiemAccount",
            Category.INVALID_ARGUMENT,
            DiemAccountReason.EROLE_CANT_STORE_BALANCE,
            f"role {acct.role} cannot hold balances",
        )
    if code in acct.balances:
        raise _abort(
            "DiemAccount",
            Category.ALREADY_PUBLISHED,
            DiemAccountReason.EADD_EXISTING_CURRENCY,
            f"{acct.address.hex()} already accepts {code}",
        )
    ctx.set_balance(acct, code, 0)


def _check_rotation(acct: Account) -> None:
    if acct.details.key_rotation_delegated_to is not None:
        raise _abort(
            "DiemAccount",
            Category.INVALID_STATE,
            DiemAccountReason.EKEY_ROTATION_CAPABILITY_ALREADY_EXTRACTED,
            f"{acct.address.hex()} delegated its key rotation capability",
        )


def _check_key(new_key: bytes) -> None:
    if len(new_key) != 32:
        raise _abort(
            "DiemAccount",
            Category.INVALID_ARGUMENT,
            DiemAccountReason.EMALFORMED_AUTHENTICATION_KEY,
            f"authentication key is {len(new_key)} bytes, not 32",
        )


@script("AccountAdministrationScripts", "rotate_authentication_key", (BYTES,))
def rotate_authentication_key(
    ctx: Ctx, signers: list[Account], cur: list[str], new_key: bytes
) -> None:
    acct = signers[0]
    _check_rotation(acct)
    _check_key(new_key)
    ctx.set(acct, "auth_key", bytes(new_key))


@script("AccountAdministrationScripts", "rotate_authentication_key_with_nonce", (U64, BYTES))
def rotate_authentication_key_with_nonce(
    ctx: Ctx, signers: list[Account], cur: list[str], sliding_nonce: int, new_key: bytes
) -> None:
    acct = signers[0]
    ops.record_nonce(ctx, acct, sliding_nonce)
    rotate_authentication_key(ctx, signers, cur, new_key)


@script(
    "AccountAdministrationScripts",
    "rotate_authentication_key_with_recovery_address",
    (ADDR, ADDR, BYTES),
)
def rotate_authentication_key_with_recovery_address(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    recovery_address: AccountAddress,
    to_recover: AccountAddress,
    new_key: bytes,
) -> None:
    signer = signers[0]
    rec_acct = ctx.account(recovery_address)
    rec = rec_acct.details.recovery if rec_acct is not None else None
    if rec is None:
        raise _abort(
            "RecoveryAddress",
            Category.NOT_PUBLISHED,
            RecoveryAddressReason.ERECOVERY_ADDRESS,
            f"{recovery_address.hex()} is not a recovery address",
        )
    if signer.address not in (to_recover, recovery_address):
        raise _abort(
            "RecoveryAddress",
            Category.INVALID_ARGUMENT,
            RecoveryAddressReason.ECANNOT_ROTATE_KEY,
            f"{signer.address.hex()} may not rotate the key of {to_recover.hex()}",
        )
    if to_recover not in rec.rotation_caps:
        raise _abort(
            "RecoveryAddress",
            Category.INVALID_ARGUMENT,
            RecoveryAddressReason.ECANNOT_ROTATE_KEY,
            f"{to_recover.hex()} is not recoverable by {recovery_address.hex()}",
        )
    _check_key(new_key)
    target = _account_or_abort(ctx, to_recover, "DiemAccount", DiemAccountReason.EACCOUNT)
    ctx.set(target, "auth_key", bytes(new_key))


@script("AccountAdministrationScripts", "create_recovery_address", ())
def create_recovery_address(ctx: Ctx, signers: list[Account], cur: list[str]) -> None:
    acct = signers[0]
    if not ops.is_vasp(acct):
        raise _abort(
            "RecoveryAddress",
            Category.INVALID_ARGUMENT,
            RecoveryAddressReason.ENOT_A_VASP,
            f"{acct.address.hex()} is not a VASP",
        )
    if acct.details.recovery is not None:
        raise _abort(
            "RecoveryAddress",
            Category.ALREADY_PUBLISHED,
            RecoveryAddressReason.ERECOVERY_ADDRESS_ALREADY_PUBLISHED,
            f"{acct.address.hex()} already is a recovery address",
        )
    _check_rotation(acct)
    ctx.update_details(
        acct, key_rotation_delegated_to=acct.address, recovery=RecoveryAddress((acct.address,))
    )


@script("AccountAdministrationScripts", "add_recovery_rotation_capability", (ADDR,))
def add_recovery_rotation_capability(
    ctx: Ctx, signers: list[Account], cur: list[str], recovery_address: AccountAddress
) -> None:
    acct = signers[0]
    _check_rotation(acct)
    rec_acct = ctx.account(recovery_address)
    rec = rec_acct.details.recovery if rec_acct is not None else None
    if rec_acct is None or rec is None:
        raise _abort(
            "RecoveryAddress",
            Category.NOT_PUBLISHED,
            RecoveryAddressReason.ERECOVERY_ADDRESS,
            f"{recovery_address.hex()} is not a recovery address",
        )
    if not ops.is_vasp(acct) or ops.parent_of(acct) != ops.parent_of(rec_acct):
        raise _abort(
            "RecoveryAddress",
            Category.INVALID_ARGUMENT,
            RecoveryAddressReason.EINVALID_KEY_ROTATION_DELEGATION,
            f"{acct.address.hex()} and {recovery_address.hex()} are not the same VASP",
        )
    if len(rec.rotation_caps) >= MAX_RECOVERY_KEYS:
        raise _abort(
            "RecoveryAddress",
            Category.LIMIT_EXCEEDED,
            RecoveryAddressReason.EMAX_KEYS_REGISTERED,
            f"{recovery_address.hex()} already holds {len(rec.rotation_caps)} capabilities",
        )
    ctx.update_details(acct, key_rotation_delegated_to=recovery_address)
    ctx.update_details(rec_acct, recovery=RecoveryAddress((*rec.rotation_caps, acct.address)))


def _valid_ed25519(key: bytes) -> bool:
    try:
        Ed25519PublicKey(key)
    except ValueError:
        return False
    return True


@script("AccountAdministrationScripts", "rotate_dual_attestation_info", (BYTES, BYTES))
def rotate_dual_attestation_info(
    ctx: Ctx, signers: list[Account], cur: list[str], new_url: bytes, new_key: bytes
) -> None:
    acct = signers[0]
    cred = acct.details.credential
    if cred is None:
        raise _abort(
            "DualAttestation",
            Category.NOT_PUBLISHED,
            DualAttestationReason.ECREDENTIAL,
            f"{acct.address.hex()} has no dual-attestation credential",
        )
    if not _valid_ed25519(new_key):
        raise _abort(
            "DualAttestation",
            Category.INVALID_ARGUMENT,
            DualAttestationReason.EINVALID_PUBLIC_KEY,
            f"{new_key.hex()} is not a valid Ed25519 public key",
        )
    now = ctx.now_secs
    url_h = ctx.emit(
        cred.base_url_rotation_events, ev.BASE_URL_ROTATION, ev.BaseUrlRotationEvent(new_url, now)
    )
    key_h = ctx.emit(
        cred.compliance_key_rotation_events,
        ev.COMPLIANCE_KEY_ROTATION,
        ev.ComplianceKeyRotationEvent(new_key, now),
    )
    ctx.update_details(
        acct,
        credential=dataclasses.replace(
            cred,
            base_url=new_url,
            compliance_public_key=new_key,
            base_url_rotation_events=url_h,
            compliance_key_rotation_events=key_h,
        ),
    )


@script("AccountAdministrationScripts", "publish_shared_ed25519_public_key", (BYTES,))
def publish_shared_ed25519_public_key(
    ctx: Ctx, signers: list[Account], cur: list[str], public_key: bytes
) -> None:
    acct = signers[0]
    if acct.details.shared_ed25519_key is not None:
        raise _abort(
            "SharedEd25519PublicKey",
            Category.ALREADY_PUBLISHED,
            SharedKeyReason.ESHARED_KEY,
            f"{acct.address.hex()} already has a shared key",
        )
    _rotate_shared(ctx, acct, public_key)


@script("AccountAdministrationScripts", "rotate_shared_ed25519_public_key", (BYTES,))
def rotate_shared_ed25519_public_key(
    ctx: Ctx, signers: list[Account], cur: list[str], public_key: bytes
) -> None:
    acct = signers[0]
    if acct.details.shared_ed25519_key is None:
        raise _abort(
            "SharedEd25519PublicKey",
            Category.NOT_PUBLISHED,
            SharedKeyReason.ESHARED_KEY,
            f"{acct.address.hex()} has no shared key",
        )
    _rotate_shared(ctx, acct, public_key)


def _rotate_shared(ctx: Ctx, acct: Account, public_key: bytes) -> None:
    if not _valid_ed25519(public_key):
        raise _abort(
            "SharedEd25519PublicKey",
            Category.INVALID_ARGUMENT,
            SharedKeyReason.EMALFORMED_PUBLIC_KEY,
            f"{public_key.hex()} is not a valid Ed25519 public key",
        )
    _check_rotation(acct)
    ctx.update_details(acct, shared_ed25519_key=bytes(public_key))
    ctx.set(acct, "auth_key", bytes(AuthenticationKey.ed25519(Ed25519PublicKey(public_key))))


# ---------------------------------------------------------------------------------------------
# TreasuryComplianceScripts


def _dealer(ctx: Ctx, address: AccountAddress) -> tuple[Account, Dealer]:
    acct = ctx.account(address)
    dealer = acct.details.dealer if acct is not None else None
    if acct is None or dealer is None:
        raise _abort(
            "DesignatedDealer",
            Category.NOT_PUBLISHED,
            DesignatedDealerReason.EDEALER,
            f"{address.hex()} is not a designated dealer",
        )
    return acct, dealer


def mint(ctx: Ctx, dd_address: AccountAddress, code: str, amount: int) -> None:
    """Mints ``amount`` to a designated dealer: the currency must allow minting, and for LBR
    the reserve must cover the whole supply after the mint, plus the buffer."""
    if amount == 0:
        raise _abort(
            "DesignatedDealer",
            Category.INVALID_ARGUMENT,
            DesignatedDealerReason.EINVALID_MINT_AMOUNT,
            "mint amount is zero",
        )
    dd, dealer = _dealer(ctx, dd_address)
    info = ops.currency_info(ctx, code)
    if info.is_synthetic:
        raise _abort(
            "Diem",
            Category.INVALID_ARGUMENT,
            DiemReason.EIS_SYNTHETIC_CURRENCY,
            f"{code} is a synthetic unit of account and cannot be minted",
        )
    if not info.can_mint:
        raise _abort(
            "Diem",
            Category.INVALID_STATE,
            DiemReason.EMINTING_NOT_ALLOWED,
            f"minting {code} is switched off",
        )
    supply = ops.checked_add("Diem", f"total {code}", info.total_value, amount, U128_MAX)
    if code == LBR:
        ops.require_coverage(ctx, supply, ctx.treasury().reserve.coverage_buffer_bps, "mint")
    mint_h = ctx.emit(info.mint_events, ev.MINT, ev.MintEvent(amount, code.encode()))
    ops.set_currency_info(
        ctx, code, dataclasses.replace(info, total_value=supply, mint_events=mint_h)
    )
    rm_h = ctx.emit(
        dealer.received_mint_events,
        ev.RECEIVED_MINT,
        ev.ReceivedMintEvent(code.encode(), dd_address, amount),
    )
    ctx.update_details(dd, dealer=dataclasses.replace(dealer, received_mint_events=rm_h))
    ops.deposit_minted(ctx, dd, code, amount, TREASURY_COMPLIANCE_ADDRESS)


@script("TreasuryComplianceScripts", "tiered_mint", (U64, ADDR, U64, U64), 1)
def tiered_mint(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    designated_dealer_address: AccountAddress,
    mint_amount: int,
    tier_index: int,
) -> None:
    """Diem's tiered_mint; tiers are ignored as in Diem's last framework."""
    tc = signers[0]
    ops.record_nonce(ctx, tc, sliding_nonce)
    ops.require_tc(tc)
    mint(ctx, designated_dealer_address, cur[0], mint_amount)


@script("TreasuryComplianceScripts", "preburn", (U64,), 1)
def preburn(ctx: Ctx, signers: list[Account], cur: list[str], amount: int) -> None:
    acct = signers[0]
    code = cur[0]
    ops.require_role(acct, ROLE_DESIGNATED_DEALER, RolesReason.EDESIGNATED_DEALER)
    _, dealer = _dealer(ctx, acct.address)
    info = ops.currency_info(ctx, code)
    if amount == 0:
        raise _abort("Diem", Category.INVALID_ARGUMENT, DiemReason.ECOIN, "preburn amount is zero")
    queue = dealer.preburns.get(code, ())
    if len(queue) >= ops.MAX_OUTSTANDING_PREBURNS:
        raise _abort(
            "Diem",
            Category.LIMIT_EXCEEDED,
            DiemReason.EMAX_OUTSTANDING_PREBURNS_REACHED,
            f"{acct.address.hex()} has {len(queue)} outstanding {code} preburns",
        )
    ops.withdraw_to_self(ctx, acct, code, amount)
    new_pre = ops.checked_add("Diem", f"preburn {code}", info.preburn_value, amount)
    h = ctx.emit(
        info.preburn_events, ev.PREBURN, ev.PreburnEvent(amount, code.encode(), acct.address)
    )
    ops.set_currency_info(
        ctx, code, dataclasses.replace(info, preburn_value=new_pre, preburn_events=h)
    )
    ctx.update_details(
        acct,
        dealer=dataclasses.replace(dealer, preburns={**dealer.preburns, code: (*queue, amount)}),
    )


def _take_preburn(ctx: Ctx, address: AccountAddress, code: str, amount: int) -> Account:
    dd, dealer = _dealer(ctx, address)
    queue = dealer.preburns.get(code, ())
    if amount not in queue:
        raise _abort(
            "Diem",
            Category.NOT_PUBLISHED,
            DiemReason.EPREBURN_NOT_FOUND,
            f"{address.hex()} has no outstanding {code} preburn of {amount}",
        )
    i = queue.index(amount)
    rest = queue[:i] + queue[i + 1 :]
    pre = dict(dealer.preburns)
    if rest:
        pre[code] = rest
    else:
        del pre[code]
    ctx.update_details(dd, dealer=dataclasses.replace(dealer, preburns=pre))
    return dd


@script("TreasuryComplianceScripts", "burn_with_amount", (U64, ADDR, U64), 1)
def burn_with_amount(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    preburn_address: AccountAddress,
    amount: int,
) -> None:
    tc = signers[0]
    code = cur[0]
    ops.record_nonce(ctx, tc, sliding_nonce)
    ops.require_tc(tc)
    info = ops.currency_info(ctx, code)
    _take_preburn(ctx, preburn_address, code, amount)
    h = ctx.emit(info.burn_events, ev.BURN, ev.BurnEvent(amount, code.encode(), preburn_address))
    ops.set_currency_info(
        ctx,
        code,
        dataclasses.replace(
            info,
            total_value=info.total_value - amount,
            preburn_value=info.preburn_value - amount,
            burn_events=h,
        ),
    )


@script("TreasuryComplianceScripts", "cancel_burn_with_amount", (ADDR, U64), 1)
def cancel_burn_with_amount(
    ctx: Ctx, signers: list[Account], cur: list[str], preburn_address: AccountAddress, amount: int
) -> None:
    tc = signers[0]
    code = cur[0]
    ops.require_tc(tc)
    info = ops.currency_info(ctx, code)
    dd = _take_preburn(ctx, preburn_address, code, amount)
    h = ctx.emit(
        info.cancel_burn_events,
        ev.CANCEL_BURN,
        ev.CancelBurnEvent(amount, code.encode(), preburn_address),
    )
    ops.set_currency_info(
        ctx,
        code,
        dataclasses.replace(info, preburn_value=info.preburn_value - amount, cancel_burn_events=h),
    )
    ops.deposit_minted(ctx, dd, code, amount, preburn_address)


@script("TreasuryComplianceScripts", "burn_txn_fees", (), 1)
def burn_txn_fees(ctx: Ctx, signers: list[Account], cur: list[str]) -> None:
    tc = signers[0]
    code = cur[0]
    ops.require_tc(tc)
    info = ops.currency_info(ctx, code)
    if info.is_synthetic:
        raise _abort(
            "TransactionFee", Category.NOT_PUBLISHED, 0, f"no fees are collected in {code}"
        )
    treasury = ctx.treasury()
    amount = treasury.fees.get(code, 0)
    if amount == 0:
        return
    h = ctx.emit(
        info.burn_events, ev.BURN, ev.BurnEvent(amount, code.encode(), TREASURY_COMPLIANCE_ADDRESS)
    )
    ops.set_currency_info(
        ctx, code, dataclasses.replace(info, total_value=info.total_value - amount, burn_events=h)
    )
    ctx.set_treasury(dataclasses.replace(treasury, fees={**treasury.fees, code: 0}))


def _set_frozen(ctx: Ctx, tc: Account, nonce: int, target: AccountAddress, frozen: bool) -> None:
    ops.record_nonce(ctx, tc, nonce)
    ops.require_tc(tc)
    if target == DIEM_ROOT_ADDRESS:
        raise _abort(
            "AccountFreezing",
            Category.INVALID_ARGUMENT,
            AccountFreezingReason.ECANNOT_FREEZE_DIEM_ROOT,
            "Diem Root cannot be frozen",
        )
    if target == TREASURY_COMPLIANCE_ADDRESS:
        raise _abort(
            "AccountFreezing",
            Category.INVALID_ARGUMENT,
            AccountFreezingReason.ECANNOT_FREEZE_TC,
            "Treasury Compliance cannot be frozen",
        )
    acct = _account_or_abort(ctx, target, "AccountFreezing", AccountFreezingReason.EFREEZING_BIT)
    ctx.set(acct, "frozen", frozen)


@script("TreasuryComplianceScripts", "freeze_account", (U64, ADDR))
def freeze_account(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    to_freeze_account: AccountAddress,
) -> None:
    _set_frozen(ctx, signers[0], sliding_nonce, to_freeze_account, True)


@script("TreasuryComplianceScripts", "unfreeze_account", (U64, ADDR))
def unfreeze_account(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    to_unfreeze_account: AccountAddress,
) -> None:
    _set_frozen(ctx, signers[0], sliding_nonce, to_unfreeze_account, False)


@script("TreasuryComplianceScripts", "update_dual_attestation_limit", (U64, U64))
def update_dual_attestation_limit(
    ctx: Ctx, signers: list[Account], cur: list[str], sliding_nonce: int, new_micro_xdx_limit: int
) -> None:
    tc = signers[0]
    ops.record_nonce(ctx, tc, sliding_nonce)
    ops.require_tc(tc)
    ctx.set_root(dataclasses.replace(ctx.root(), dual_attestation_limit=new_micro_xdx_limit))


def fixed_point32(numerator: int, denominator: int) -> int:
    """Diem's ``FixedPoint32::create_from_rational``: the raw u64 of numerator/denominator."""
    if denominator == 0:
        raise _abort("FixedPoint32", Category.INVALID_ARGUMENT, 0, "denominator is zero")
    quotient = (numerator << 64) // (denominator << 32)
    if quotient == 0 and numerator != 0:
        raise _abort(
            "FixedPoint32", Category.INVALID_ARGUMENT, 4, f"{numerator}/{denominator} rounds to 0"
        )
    if quotient > U64_MAX:
        raise _abort(
            "FixedPoint32", Category.LIMIT_EXCEEDED, 4, f"{numerator}/{denominator} is too large"
        )
    return quotient


@script("TreasuryComplianceScripts", "update_exchange_rate", (U64, U64, U64), 1)
def update_exchange_rate(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    new_exchange_rate_numerator: int,
    new_exchange_rate_denominator: int,
) -> None:
    tc = signers[0]
    code = cur[0]
    ops.record_nonce(ctx, tc, sliding_nonce)
    ops.require_tc(tc)
    rate = fixed_point32(new_exchange_rate_numerator, new_exchange_rate_denominator)
    info = ops.currency_info(ctx, code)
    h = ctx.emit(
        info.exchange_rate_update_events,
        ev.TO_XDX_EXCHANGE_RATE_UPDATE,
        ev.ToXDXExchangeRateUpdateEvent(code.encode(), rate),
    )
    ops.set_currency_info(
        ctx,
        code,
        dataclasses.replace(info, to_xdx_exchange_rate=rate, exchange_rate_update_events=h),
    )


@script("TreasuryComplianceScripts", "update_minting_ability", (BOOL,), 1)
def update_minting_ability(
    ctx: Ctx, signers: list[Account], cur: list[str], allow_minting: bool
) -> None:
    tc = signers[0]
    code = cur[0]
    ops.require_tc(tc)
    info = ops.currency_info(ctx, code)
    ops.set_currency_info(ctx, code, dataclasses.replace(info, can_mint=allow_minting))


def _domain_change(
    ctx: Ctx, tc: Account, address: AccountAddress, domain: bytes, remove: bool
) -> None:
    ops.require_tc(tc)
    acct = ctx.account(address)
    if acct is None or acct.role != ROLE_PARENT_VASP:
        raise _abort(
            "DiemId",
            Category.NOT_PUBLISHED,
            DiemIdReason.EDIEM_ID_DOMAIN,
            f"{address.hex()} is not a parent VASP",
        )
    if not domain or len(domain) > MAX_DOMAIN_LENGTH:
        raise _abort(
            "DiemId",
            Category.INVALID_ARGUMENT,
            DiemIdReason.EINVALID_DIEM_ID_DOMAIN,
            f"domain of {len(domain)} bytes (1..{MAX_DOMAIN_LENGTH})",
        )
    domains = acct.details.diem_id_domains or ()
    if remove:
        if domain not in domains:
            raise _abort(
                "DiemId",
                Category.INVALID_ARGUMENT,
                DiemIdReason.EDOMAIN_NOT_FOUND,
                f"{domain!r} is not a domain of {address.hex()}",
            )
        new = tuple(d for d in domains if d != domain)
    else:
        if domain in domains:
            raise _abort(
                "DiemId",
                Category.INVALID_ARGUMENT,
                DiemIdReason.EDOMAIN_ALREADY_EXISTS,
                f"{domain!r} already is a domain of {address.hex()}",
            )
        new = (*domains, domain)
    ctx.update_details(acct, diem_id_domains=new)
    root = ctx.root()
    h = ctx.emit(
        root.diem_id_domain_events,
        ev.DIEM_ID_DOMAIN,
        ev.DiemIdDomainEvent(remove, ev.DiemIdDomain(domain), address),
    )
    ctx.set_root(dataclasses.replace(ctx.root(), diem_id_domain_events=h))


@script("TreasuryComplianceScripts", "add_diem_id_domain", (ADDR, BYTES))
def add_diem_id_domain(
    ctx: Ctx, signers: list[Account], cur: list[str], address: AccountAddress, domain: bytes
) -> None:
    _domain_change(ctx, signers[0], address, domain, remove=False)


@script("TreasuryComplianceScripts", "remove_diem_id_domain", (ADDR, BYTES))
def remove_diem_id_domain(
    ctx: Ctx, signers: list[Account], cur: list[str], address: AccountAddress, domain: bytes
) -> None:
    _domain_change(ctx, signers[0], address, domain, remove=True)


# ---------------------------------------------------------------------------------------------
# ValidatorAdministrationScripts and SystemAdministrationScripts


def reconfigure(ctx: Ctx, root: RootConfig) -> RootConfig:
    """Starts a new epoch: NewEpochEvent on Diem Root's stream. Returns the updated config
    (already stored)."""
    epoch = root.epoch + 1
    h = ctx.emit(root.new_epoch_events, ev.NEW_EPOCH, ev.NewEpochEvent(epoch))
    new = dataclasses.replace(
        root, epoch=epoch, new_epoch_events=h, last_reconfiguration_time=ctx.now_usecs
    )
    ctx.set_root(new)
    return new


def _validator(ctx: Ctx, address: AccountAddress) -> tuple[Account, ValidatorRole]:
    acct = ctx.account(address)
    role = acct.details.validator if acct is not None else None
    if acct is None or role is None:
        raise _abort(
            "ValidatorConfig",
            Category.NOT_PUBLISHED,
            ValidatorReason.EVALIDATOR_CONFIG,
            f"{address.hex()} is not a validator account",
        )
    return acct, role


def _check_consensus_key(key: bytes) -> None:
    if not _valid_ed25519(key):
        raise _abort(
            "ValidatorConfig",
            Category.INVALID_ARGUMENT,
            ValidatorReason.EINVALID_CONSENSUS_KEY,
            f"{key.hex()} is not a valid Ed25519 consensus key",
        )


def _set_config(
    ctx: Ctx,
    operator: Account,
    validator_account: AccountAddress,
    consensus_pubkey: bytes,
    validator_network_addresses: bytes,
    fullnode_network_addresses: bytes,
) -> ValidatorConfig:
    ops.require_role(operator, ROLE_VALIDATOR_OPERATOR, RolesReason.EVALIDATOR_OPERATOR)
    acct, role = _validator(ctx, validator_account)
    if role.operator_account != operator.address:
        raise _abort(
            "ValidatorConfig",
            Category.INVALID_ARGUMENT,
            ValidatorReason.EINVALID_TRANSACTION_SENDER,
            f"{operator.address.hex()} is not the operator of {validator_account.hex()}",
        )
    _check_consensus_key(consensus_pubkey)
    cfg = ValidatorConfig(consensus_pubkey, validator_network_addresses, fullnode_network_addresses)
    ctx.update_details(acct, validator=dataclasses.replace(role, config=cfg))
    return cfg


@script("ValidatorAdministrationScripts", "register_validator_config", (ADDR, BYTES, BYTES, BYTES))
def register_validator_config(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    validator_account: AccountAddress,
    consensus_pubkey: bytes,
    validator_network_addresses: bytes,
    fullnode_network_addresses: bytes,
) -> None:
    _set_config(
        ctx,
        signers[0],
        validator_account,
        consensus_pubkey,
        validator_network_addresses,
        fullnode_network_addresses,
    )


@script(
    "ValidatorAdministrationScripts",
    "set_validator_config_and_reconfigure",
    (ADDR, BYTES, BYTES, BYTES),
)
def set_validator_config_and_reconfigure(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    validator_account: AccountAddress,
    consensus_pubkey: bytes,
    validator_network_addresses: bytes,
    fullnode_network_addresses: bytes,
) -> None:
    cfg = _set_config(
        ctx,
        signers[0],
        validator_account,
        consensus_pubkey,
        validator_network_addresses,
        fullnode_network_addresses,
    )
    root = ctx.root()
    if any(v.addr == validator_account for v in root.validators):
        vals = tuple(
            dataclasses.replace(v, config=cfg, last_config_update_time=ctx.now_usecs)
            if v.addr == validator_account
            else v
            for v in root.validators
        )
        reconfigure(ctx, dataclasses.replace(root, validators=vals))


@script("ValidatorAdministrationScripts", "set_validator_operator", (BYTES, ADDR))
def set_validator_operator(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    operator_name: bytes,
    operator_account: AccountAddress,
) -> None:
    acct = signers[0]
    ops.require_role(acct, ROLE_VALIDATOR, RolesReason.EVALIDATOR)
    _, role = _validator(ctx, acct.address)
    op = ctx.account(operator_account)
    op_role = op.details.operator if op is not None else None
    if op_role is None:
        raise _abort(
            "ValidatorOperatorConfig",
            Category.NOT_PUBLISHED,
            0,
            f"{operator_account.hex()} is not a validator operator",
        )
    if op_role.human_name != operator_name:
        raise _abort(
            "ValidatorConfig",
            Category.INVALID_ARGUMENT,
            ValidatorReason.ENOT_AN_OPERATOR,
            f"operator {operator_account.hex()} is named {op_role.human_name!r}, "
            f"not {operator_name!r}",
        )
    ctx.update_details(acct, validator=dataclasses.replace(role, operator_account=operator_account))


def add_validator(
    ctx: Ctx, validator_name: bytes | None, validator_address: AccountAddress
) -> None:
    """Adds a configured validator to the set and starts a new epoch."""
    _, role = _validator(ctx, validator_address)
    if role.config is None or (validator_name is not None and role.human_name != validator_name):
        raise _abort(
            "DiemSystem",
            Category.INVALID_ARGUMENT,
            ValidatorReason.EINVALID_PROSPECTIVE_VALIDATOR,
            f"{validator_address.hex()} has no config or another name",
        )
    root = ctx.root()
    if any(v.addr == validator_address for v in root.validators):
        raise _abort(
            "DiemSystem",
            Category.INVALID_ARGUMENT,
            ValidatorReason.EALREADY_A_VALIDATOR,
            f"{validator_address.hex()} already is a validator",
        )
    entry = ValidatorInfo(validator_address, DEFAULT_VOTING_POWER, role.config, ctx.now_usecs)
    reconfigure(ctx, dataclasses.replace(root, validators=(*root.validators, entry)))


def remove_validator(
    ctx: Ctx, validator_name: bytes | None, validator_address: AccountAddress
) -> None:
    """Removes a validator from the set and starts a new epoch."""
    root = ctx.root()
    if not any(v.addr == validator_address for v in root.validators):
        raise _abort(
            "DiemSystem",
            Category.INVALID_ARGUMENT,
            ValidatorReason.ENOT_AN_ACTIVE_VALIDATOR,
            f"{validator_address.hex()} is not in the validator set",
        )
    if validator_name is not None:
        _, role = _validator(ctx, validator_address)
        if role.human_name != validator_name:
            raise _abort(
                "DiemSystem",
                Category.INVALID_ARGUMENT,
                ValidatorReason.EINVALID_PROSPECTIVE_VALIDATOR,
                f"{validator_address.hex()} is named {role.human_name!r}",
            )
    vals = tuple(v for v in root.validators if v.addr != validator_address)
    reconfigure(ctx, dataclasses.replace(root, validators=vals))


@script("ValidatorAdministrationScripts", "add_validator_and_reconfigure", (U64, BYTES, ADDR))
def add_validator_and_reconfigure(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    validator_name: bytes,
    validator_address: AccountAddress,
) -> None:
    root = signers[0]
    ops.record_nonce(ctx, root, sliding_nonce)
    ops.require_root(root)
    add_validator(ctx, validator_name, validator_address)


@script("ValidatorAdministrationScripts", "remove_validator_and_reconfigure", (U64, BYTES, ADDR))
def remove_validator_and_reconfigure(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    validator_name: bytes,
    validator_address: AccountAddress,
) -> None:
    root = signers[0]
    ops.record_nonce(ctx, root, sliding_nonce)
    ops.require_root(root)
    remove_validator(ctx, validator_name, validator_address)


@script("SystemAdministrationScripts", "update_diem_version", (U64, U64))
def update_diem_version(
    ctx: Ctx, signers: list[Account], cur: list[str], sliding_nonce: int, major: int
) -> None:
    root_acct = signers[0]
    ops.record_nonce(ctx, root_acct, sliding_nonce)
    ops.require_root(root_acct)
    root = ctx.root()
    if major <= root.diem_version:
        raise _abort(
            "DiemVersion",
            Category.INVALID_ARGUMENT,
            ConfigReason.EINVALID_VERSION,
            f"version {major} is not above {root.diem_version}",
        )
    reconfigure(ctx, dataclasses.replace(root, diem_version=major))


# ---------------------------------------------------------------------------------------------
# ReserveScripts (libra)


def _reserve_asset_code(ctx: Ctx, currency_code: bytes) -> str:
    code = currency_code.decode("utf-8", "replace")
    if code not in ctx.treasury().reserve.assets:
        raise _abort(
            "Reserve",
            Category.INVALID_ARGUMENT,
            ReserveReason.EUNKNOWN_ASSET,
            f"{code!r} is not a currency of the reserve basket",
        )
    return code


def _reserve_change(
    ctx: Ctx,
    custodian: Account,
    currency_code: bytes,
    kind: int,
    amount: int,
    reference: bytes,
    deposit: bool,
) -> None:
    ops.require_role(custodian, ROLE_CUSTODIAN, RolesReason.ECUSTODIAN)
    code = _reserve_asset_code(ctx, currency_code)
    if kind not in ASSET_KINDS:
        raise _abort(
            "Reserve", Category.INVALID_ARGUMENT, ReserveReason.EINVALID_KIND, f"asset kind {kind}"
        )
    if amount == 0:
        raise _abort(
            "Reserve", Category.INVALID_ARGUMENT, ReserveReason.EINVALID_AMOUNT, "amount is zero"
        )
    if not reference or len(reference) > 256:
        raise _abort(
            "Reserve",
            Category.INVALID_ARGUMENT,
            ReserveReason.EREFERENCE,
            f"off-chain reference of {len(reference)} bytes (1..256)",
        )
    treasury = ctx.treasury()
    reserve = treasury.reserve
    asset = reserve.assets[code]
    held = asset.holdings.get(kind, 0)
    if deposit:
        new_held = ops.checked_add("Reserve", f"{code} holdings", held, amount)
    else:
        if held < amount:
            raise _abort(
                "Reserve",
                Category.LIMIT_EXCEEDED,
                ReserveReason.EINSUFFICIENT_HOLDINGS,
                f"reserve holds {held} {code} of kind {kind}, cannot withdraw {amount}",
            )
        new_held = held - amount
    new_asset = dataclasses.replace(asset, holdings={**asset.holdings, kind: new_held})
    payload = ev.ReserveEvent(custodian.address, currency_code, kind, amount, reference)
    if deposit:
        h = ctx.emit(reserve.deposit_events, ev.RESERVE_DEPOSIT, payload)
        reserve = dataclasses.replace(reserve, deposit_events=h)
    else:
        h = ctx.emit(reserve.withdrawal_events, ev.RESERVE_WITHDRAWAL, payload)
        reserve = dataclasses.replace(reserve, withdrawal_events=h)
    reserve = dataclasses.replace(reserve, assets={**reserve.assets, code: new_asset})
    ctx.set_treasury(dataclasses.replace(treasury, reserve=reserve))
    if not deposit:
        lbr = ops.currency_info(ctx, LBR)
        ops.require_coverage(ctx, lbr.total_value, 0, "withdrawal")


@script("ReserveScripts", "record_deposit", (BYTES, U8, U64, BYTES))
def record_deposit(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    currency_code: bytes,
    kind: int,
    amount: int,
    reference: bytes,
) -> None:
    _reserve_change(ctx, signers[0], currency_code, kind, amount, reference, deposit=True)


@script("ReserveScripts", "record_withdrawal", (BYTES, U8, U64, BYTES))
def record_withdrawal(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    currency_code: bytes,
    kind: int,
    amount: int,
    reference: bytes,
) -> None:
    """A payout from the reserve; it may not leave the LBR supply under-covered."""
    _reserve_change(ctx, signers[0], currency_code, kind, amount, reference, deposit=False)


@script("ReserveScripts", "update_reserve_rate", (U64, BYTES, U64, U64))
def update_reserve_rate(
    ctx: Ctx,
    signers: list[Account],
    cur: list[str],
    sliding_nonce: int,
    currency_code: bytes,
    numerator: int,
    denominator: int,
) -> None:
    """Treasury Compliance records the value of a basket currency in micro-XDX per minor
    unit (used to value the reserve; coverage is counted in units of the basket)."""
    tc = signers[0]
    ops.record_nonce(ctx, tc, sliding_nonce)
    ops.require_tc(tc)
    code = _reserve_asset_code(ctx, currency_code)
    if denominator == 0 or numerator == 0:
        raise _abort(
            "Reserve",
            Category.INVALID_ARGUMENT,
            ReserveReason.EINVALID_RATE,
            f"rate {numerator}/{denominator}",
        )
    treasury = ctx.treasury()
    asset = dataclasses.replace(
        treasury.reserve.assets[code], rate_numerator=numerator, rate_denominator=denominator
    )
    reserve = dataclasses.replace(treasury.reserve, assets={**treasury.reserve.assets, code: asset})
    ctx.set_treasury(dataclasses.replace(treasury, reserve=reserve))


def decode_args(params: tuple[str, ...], raw: tuple[bytes, ...]) -> list[Any]:
    """Decodes BCS script-function arguments; raises ``bcs.DecodeError`` on a mismatch."""
    if len(params) != len(raw):
        raise bcs.DecodeError(0, f"{len(raw)} arguments for {len(params)} parameters")
    return [DECODERS[kind](data) for kind, data in zip(params, raw, strict=True)]


__all__ = ["SCRIPTS", "ArithmeticOverflow", "ScriptSpec", "create_custodian", "decode_args", "mint"]
