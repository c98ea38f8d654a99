"""The operations scripts are made of: role checks, nonces, account creation, payments,
minting and burning, the reserve. Each raises :class:`MoveAbort` naming the Diem module and
reason it would abort with, before changing anything it cannot finish."""

from __future__ import annotations

import dataclasses
from typing import Any

from libra.crypto import Ed25519PublicKey, Ed25519Signature
from libra.framework import events as ev
from libra.framework.account import Account
from libra.framework.context import Ctx
from libra.framework.errors import (
    Category,
    DiemAccountReason,
    DiemReason,
    DualAttestationReason,
    MoveAbort,
    ReserveReason,
    RolesReason,
    SlidingNonceReason,
)
from libra.framework.state import (
    ROLE_CHILD_VASP,
    ROLE_DESIGNATED_DEALER,
    ROLE_DIEM_ROOT,
    ROLE_PARENT_VASP,
    ROLE_TREASURY_COMPLIANCE,
    AccountDetails,
    CurrencyInfo,
    Reserve,
    SlidingNonce,
)
from libra.types import (
    CORE_CODE_ADDRESS,
    DIEM_ROOT_ADDRESS,
    RESERVED_VM_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    ContractEventV0,
    dual_attestation_message,
)

U64_MAX = (1 << 64) - 1
U128_MAX = (1 << 128) - 1
LBR = "LBR"
XDX = "XDX"
XUS = "XUS"
VASP_ROLES = frozenset({ROLE_PARENT_VASP, ROLE_CHILD_VASP})
_ABSENT: Any = object()
BALANCE_ROLES = frozenset({ROLE_PARENT_VASP, ROLE_CHILD_VASP, ROLE_DESIGNATED_DEALER})
"""Roles that may hold balances (Diem's rule)."""
MAX_CHILD_ACCOUNTS = 256
MAX_OUTSTANDING_PREBURNS = 256
NONCE_MASK_SIZE = 128
NONCE_JUMP_LIMIT = 10_000
BPS = 10_000


class ArithmeticOverflow(Exception):
    """An amount left its integer range; committed as an execution failure in ``module``."""

    def __init__(self, module: str, what: str, value: int, limit: int) -> None:
        self.module = module
        super().__init__(f"{what}: {value} exceeds {limit}")


def checked_add(module: str, what: str, a: int, b: int, limit: int = U64_MAX) -> int:
    s = a + b
    if s > limit:
        raise ArithmeticOverflow(module, what, s, limit)
    return s


# ---------------------------------------------------------------------------------------------
# Roles


def require_root(signer: Account) -> None:
    """Diem Root only (address and role)."""
    if signer.address != DIEM_ROOT_ADDRESS:
        raise MoveAbort(
            "CoreAddresses",
            Category.REQUIRES_ADDRESS,
            0,
            f"{signer.address.hex()} is not Diem Root",
        )
    if signer.role != ROLE_DIEM_ROOT:
        raise MoveAbort("Roles", Category.REQUIRES_ROLE, RolesReason.EDIEM_ROOT, "not Diem Root")


def require_tc(signer: Account) -> None:
    """Treasury Compliance only (address and role)."""
    if signer.address != TREASURY_COMPLIANCE_ADDRESS:
        raise MoveAbort(
            "CoreAddresses",
            Category.REQUIRES_ADDRESS,
            1,
            f"{signer.address.hex()} is not Treasury Compliance",
        )
    if signer.role != ROLE_TREASURY_COMPLIANCE:
        raise MoveAbort(
            "Roles",
            Category.REQUIRES_ROLE,
            RolesReason.ETREASURY_COMPLIANCE,
            "not Treasury Compliance",
        )


def require_role(signer: Account, role: int, reason: RolesReason) -> None:
    if signer.role != role:
        raise MoveAbort(
            "Roles",
            Category.REQUIRES_ROLE,
            reason,
            f"{signer.address.hex()} has role {signer.role}, needs {role}",
        )


def record_nonce(ctx: Ctx, signer: Account, nonce: int) -> None:
    """Diem's ``SlidingNonce::record_nonce_or_abort``: nonce 0 is always accepted; others are
    used at most once within a sliding window of 128."""
    if nonce == 0:
        return
    sn = signer.details.sliding_nonce
    if sn is None:
        raise MoveAbort(
            "SlidingNonce",
            Category.NOT_PUBLISHED,
            SlidingNonceReason.ESLIDING_NONCE,
            f"{signer.address.hex()} has no sliding nonce",
        )
    min_nonce, mask = sn.min_nonce, sn.nonce_mask
    if nonce < min_nonce:
        raise MoveAbort(
            "SlidingNonce",
            Category.INVALID_ARGUMENT,
            SlidingNonceReason.ENONCE_TOO_OLD,
            f"nonce {nonce} is below the window starting at {min_nonce}",
        )
    if nonce >= min_nonce + NONCE_JUMP_LIMIT:
        raise MoveAbort(
            "SlidingNonce",
            Category.INVALID_ARGUMENT,
            SlidingNonceReason.ENONCE_TOO_NEW,
            f"nonce {nonce} jumps more than {NONCE_JUMP_LIMIT} past {min_nonce}",
        )
    bit = nonce - min_nonce
    if bit >= NONCE_MASK_SIZE:
        shift = bit - NONCE_MASK_SIZE + 1
        if shift >= NONCE_MASK_SIZE:
            mask = 0
            min_nonce = nonce + 1 - NONCE_MASK_SIZE
        else:
            mask >>= shift
            min_nonce += shift
        bit = nonce - min_nonce
    flag = 1 << bit
    if mask & flag:
        raise MoveAbort(
            "SlidingNonce",
            Category.INVALID_ARGUMENT,
            SlidingNonceReason.ENONCE_ALREADY_RECORDED,
            f"nonce {nonce} was already used",
        )
    ctx.update_details(signer, sliding_nonce=SlidingNonce(min_nonce, mask | flag))


# ---------------------------------------------------------------------------------------------
# Accounts


def currency_info(ctx: Ctx, code: str) -> CurrencyInfo:
    info = ctx.root().currencies.get(code)
    if info is None:
        raise MoveAbort(
            "Diem",
            Category.NOT_PUBLISHED,
            DiemReason.ECURRENCY_INFO,
            f"currency {code!r} is not registered",
        )
    return info


def set_currency_info(ctx: Ctx, code: str, info: CurrencyInfo) -> None:
    root = ctx.root()
    ctx.set_root(dataclasses.replace(root, currencies={**root.currencies, code: info}))


def make_account(
    ctx: Ctx,
    address: AccountAddress,
    auth_key_prefix: bytes,
    role: int,
    currencies: tuple[str, ...],
    details: AccountDetails,
) -> Account:
    """Creates an account (Diem's ``make_account``): checks the address and key prefix, gives
    it its payment event streams after any the role created in ``details``, and emits
    CreateAccountEvent on Diem Root's stream."""
    if address == RESERVED_VM_ADDRESS:
        raise MoveAbort(
            "DiemAccount",
            Category.INVALID_ARGUMENT,
            DiemAccountReason.ECANNOT_CREATE_AT_VM_RESERVED,
            "cannot create an account at 0x0",
        )
    if address == CORE_CODE_ADDRESS:
        raise MoveAbort(
            "DiemAccount",
            Category.INVALID_ARGUMENT,
            DiemAccountReason.ECANNOT_CREATE_AT_CORE_CODE,
            "cannot create an account at 0x1",
        )
    if len(auth_key_prefix) != 16:
        raise MoveAbort(
            "DiemAccount",
            Category.INVALID_ARGUMENT,
            DiemAccountReason.EMALFORMED_AUTHENTICATION_KEY,
            f"authentication key prefix is {len(auth_key_prefix)} bytes, not 16",
        )
    if ctx.account(address) is not None:
        raise MoveAbort(
            "DiemAccount",
            Category.ALREADY_PUBLISHED,
            DiemAccountReason.EACCOUNT,
            f"an account already exists at {address.hex()}",
        )
    balances: dict[str, int] = {}
    if currencies:
        if role not in BALANCE_ROLES:
            raise MoveAbort(
                "DiemAccount",
                Category.INVALID_ARGUMENT,
                DiemAccountReason.EROLE_CANT_STORE_BALANCE,
                f"role {role} cannot hold balances",
            )
        for code in currencies:
            currency_info(ctx, code)
            balances[code] = 0
    gen = details.event_generator
    acct = Account(
        address,
        bytes(auth_key_prefix) + bytes(address),
        0,
        False,
        role,
        balances,
        0,
        ev.handle_for(gen, address).key,
        0,
        ev.handle_for(gen + 1, address).key,
        dataclasses.replace(details, event_generator=gen + 2),
        None,
    )
    ctx.create_account(acct)
    root = ctx.root()
    handle = ctx.emit(
        root.create_account_events, ev.CREATE_ACCOUNT, ev.CreateAccountEvent(address, role)
    )
    ctx.set_root(dataclasses.replace(root, create_account_events=handle))
    return acct


def fresh_details(n_handles: int = 0) -> AccountDetails:
    """Details whose first ``n_handles`` creation numbers are taken by role streams."""
    return AccountDetails(event_generator=n_handles)


def is_vasp(acct: Account) -> bool:
    return acct.role == ROLE_PARENT_VASP or acct.role == ROLE_CHILD_VASP


def parent_of(acct: Account) -> AccountAddress:
    """The parent VASP address of a VASP account (itself for a parent)."""
    if acct.role == ROLE_CHILD_VASP:
        cv = acct.details.child_vasp
        if cv is not None:
            return cv.parent
    return acct.address


def xdx_value(info: CurrencyInfo, amount: int) -> int:
    """Diem's ``approx_xdx_for_value``: amount times the FixedPoint32 rate."""
    return (amount * info.to_xdx_exchange_rate) >> 32


def check_travel_rule(
    ctx: Ctx,
    payer: Account,
    payee: Account,
    code: str,
    amount: int,
    metadata: bytes,
    signature: bytes,
) -> None:
    """Dual attestation: a payment between VASPs of different parents worth at least the
    limit must carry the receiving VASP's compliance signature over Diem's message."""
    if not (is_vasp(payer) and is_vasp(payee)):
        return
    root = ctx.root()
    if xdx_value(root.currencies[code], amount) < root.dual_attestation_limit:
        return
    payee_parent = parent_of(payee)
    if parent_of(payer) == payee_parent:
        return
    if len(signature) != 64:
        raise MoveAbort(
            "DualAttestation",
            Category.INVALID_ARGUMENT,
            DualAttestationReason.EMALFORMED_METADATA_SIGNATURE,
            f"metadata signature is {len(signature)} bytes, not 64",
        )
    parent = ctx.account(payee_parent)
    cred = parent.details.credential if parent is not None else None
    if cred is None or len(cred.compliance_public_key) != 32:
        raise MoveAbort(
            "DualAttestation",
            Category.INVALID_STATE,
            DualAttestationReason.EPAYEE_COMPLIANCE_KEY_NOT_SET,
            f"payee VASP {payee_parent.hex()} has no compliance key",
        )
    message = dual_attestation_message(metadata, payer.address, amount)
    ok = False
    try:
        ok = Ed25519PublicKey(cred.compliance_public_key).verify(
            message, Ed25519Signature(signature)
        )
    except ValueError:
        ok = False
    if not ok:
        raise MoveAbort(
            "DualAttestation",
            Category.INVALID_ARGUMENT,
            DualAttestationReason.EINVALID_METADATA_SIGNATURE,
            f"travel-rule signature of {payee_parent.hex()} does not verify",
        )


def pay(
    ctx: Ctx,
    payer: Account,
    payee_address: AccountAddress,
    code: str,
    code_bcs: bytes,
    amount: int,
    metadata: bytes,
    signature: bytes,
    travel_rule: bool = True,
) -> None:
    """Diem's ``DiemAccount::pay_from``: moves ``amount`` minor units of ``code`` and emits
    SentPaymentEvent and ReceivedPaymentEvent. ``travel_rule=False`` when the payee signed the
    transaction too (no attestation signature is needed then)."""
    if amount == 0:
        raise MoveAbort(
            "DiemAccount",
            Category.INVALID_ARGUMENT,
            DiemAccountReason.ECOIN_DEPOSIT_IS_ZERO,
            "payment amount is zero",
        )
    pbal = payer.balances
    have = pbal.get(code)
    if have is None:
        raise MoveAbort(
            "DiemAccount",
            Category.NOT_PUBLISHED,
            DiemAccountReason.EPAYER_DOESNT_HOLD_CURRENCY,
            f"payer {payer.address.hex()} holds no {code}",
        )
    block = ctx.block
    payee = block.accounts.get(payee_address, _ABSENT)
    if payee is _ABSENT:
        payee = block.get(payee_address)
    if payee is None:
        raise MoveAbort(
            "DiemAccount",
            Category.NOT_PUBLISHED,
            DiemAccountReason.EPAYEE_DOES_NOT_EXIST,
            f"payee {payee_address.hex()} does not exist",
        )
    qbal = payee.balances
    if code not in qbal:
        raise MoveAbort(
            "DiemAccount",
            Category.INVALID_ARGUMENT,
            DiemAccountReason.EPAYEE_CANT_ACCEPT_CURRENCY_TYPE,
            f"payee {payee_address.hex()} does not accept {code}",
        )
    if have < amount:
        raise MoveAbort(
            "DiemAccount",
            Category.LIMIT_EXCEEDED,
            DiemAccountReason.EINSUFFICIENT_BALANCE,
            f"balance {have} {code} of {payer.address.hex()} is below {amount}",
        )
    if travel_rule and payer.role in VASP_ROLES and payee.role in VASP_ROLES:
        root = ctx.root()
        # check_travel_rule's first test, inlined: most payments are below the limit
        if (amount * root.currencies[code].to_xdx_exchange_rate) >> 32 >= (
            root.dual_attestation_limit
        ):
            check_travel_rule(ctx, payer, payee, code, amount, metadata, signature)
    entries = ctx.journal.entries
    written = ctx.written
    entries.append((pbal, code, have))
    pbal[code] = have - amount
    old = qbal[code]
    new = old + amount
    if new > U64_MAX:
        raise ArithmeticOverflow("DiemAccount", f"balance of {payee_address.hex()}", new, U64_MAX)
    entries.append((qbal, code, old))
    qbal[code] = new
    sc = payer.sent_counter
    rc = payee.recv_counter
    entries.append((payer, "sent_counter", sc))
    payer.sent_counter = sc + 1
    entries.append((payee, "recv_counter", rc))
    payee.recv_counter = rc + 1
    written.add(payer.address)
    written.add(payee_address)
    sent_data, received_data = ev.payment_events_data(
        amount, code_bcs, payer.address, payee_address, metadata
    )
    events = ctx.events
    events.append(ev.new_event(payer.sent_key, sc, ev.SENT_PAYMENT, sent_data))
    events.append(ev.new_event(payee.recv_key, rc, ev.RECEIVED_PAYMENT, received_data))


def deposit_minted(ctx: Ctx, payee: Account, code: str, amount: int, payer: AccountAddress) -> None:
    """Credits freshly minted (or un-preburned) coins and emits ReceivedPaymentEvent."""
    old = payee.balances.get(code)
    if old is None:
        raise MoveAbort(
            "DiemAccount",
            Category.INVALID_ARGUMENT,
            DiemAccountReason.EPAYEE_CANT_ACCEPT_CURRENCY_TYPE,
            f"{payee.address.hex()} does not accept {code}",
        )
    ctx.set_balance(payee, code, checked_add("DiemAccount", "balance", old, amount))
    rc = payee.recv_counter
    ctx.set(payee, "recv_counter", rc + 1)
    ctx.events.append(
        ContractEventV0(
            payee.recv_key,
            rc,
            ev.RECEIVED_PAYMENT,
            ev.payment_event_data(amount, _code_bcs(code), payer, b""),
        )
    )


def withdraw_to_self(ctx: Ctx, acct: Account, code: str, amount: int) -> None:
    """Debits ``acct`` (for a preburn) and emits SentPaymentEvent to itself."""
    have = acct.balances.get(code)
    if have is None:
        raise MoveAbort(
            "DiemAccount",
            Category.NOT_PUBLISHED,
            DiemAccountReason.EPAYER_DOESNT_HOLD_CURRENCY,
            f"{acct.address.hex()} holds no {code}",
        )
    if have < amount:
        raise MoveAbort(
            "DiemAccount",
            Category.LIMIT_EXCEEDED,
            DiemAccountReason.EINSUFFICIENT_BALANCE,
            f"balance {have} {code} of {acct.address.hex()} is below {amount}",
        )
    ctx.set_balance(acct, code, have - amount)
    sc = acct.sent_counter
    ctx.set(acct, "sent_counter", sc + 1)
    ctx.events.append(
        ContractEventV0(
            acct.sent_key,
            sc,
            ev.SENT_PAYMENT,
            ev.payment_event_data(amount, _code_bcs(code), acct.address, b""),
        )
    )


_CODE_BCS: dict[str, bytes] = {}


def _code_bcs(code: str) -> bytes:
    b = _CODE_BCS.get(code)
    if b is None:
        raw = code.encode()
        b = bytes((len(raw),)) + raw if len(raw) < 128 else b""
        _CODE_BCS[code] = b
    return b


code_bcs = _code_bcs


# ---------------------------------------------------------------------------------------------
# The reserve


def required_units(reserve: Reserve, lbr: CurrencyInfo, supply: int, code: str) -> int:
    """Minor units of basket currency ``code`` needed to back ``supply`` minor LBR units."""
    asset = reserve.assets[code]
    return -(-supply * asset.units_per_coin // lbr.scaling_factor)


def coverage_bps(reserve: Reserve, lbr: CurrencyInfo, supply: int) -> int | None:
    """The reserve's coverage of an LBR supply, in basis points: the lowest ratio, over the
    basket currencies, of holdings to what the supply needs. None when the supply is zero."""
    if supply == 0 or not reserve.assets:
        return None
    worst: int | None = None
    for code, asset in reserve.assets.items():
        need = required_units(reserve, lbr, supply, code)
        if need == 0:
            continue
        held = sum(asset.holdings.values())
        ratio = held * BPS // need
        if worst is None or ratio < worst:
            worst = ratio
    return worst


def is_covered(reserve: Reserve, lbr: CurrencyInfo, supply: int, buffer_bps: int) -> bool:
    """True when every basket currency holds at least ``supply``'s share, plus the buffer."""
    for code, asset in reserve.assets.items():
        need = required_units(reserve, lbr, supply, code)
        held = sum(asset.holdings.values())
        if held * BPS < need * (BPS + buffer_bps):
            return False
    return True


def require_coverage(ctx: Ctx, supply: int, buffer_bps: int, what: str) -> None:
    reserve = ctx.treasury().reserve
    lbr = currency_info(ctx, LBR)
    if not is_covered(reserve, lbr, supply, buffer_bps):
        raise MoveAbort(
            "Reserve",
            Category.LIMIT_EXCEEDED,
            ReserveReason.ECOVERAGE,
            f"{what}: the reserve does not cover an LBR supply of {supply} "
            f"(coverage {coverage_bps(reserve, lbr, supply)} bps, needs {BPS + buffer_bps})",
        )
