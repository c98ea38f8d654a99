"""Applying one transaction: prologue, script, epilogue.

``apply_user_transaction`` is the state transition for a signed transaction:

1. **Prologue** (:func:`prologue`): size, gas bounds, gas currency, signature (unless checked
   beforehand), payload resolution, sender existence, frozen bit, authentication key, chain
   id, fee balance, sequence number, expiry. Any failure: the transaction is discarded with a
   :class:`~libra.framework.errors.StatusCode` and nothing changes.
2. **Script**: the script function runs against the block overlay; every change is journaled.
   A :class:`~libra.framework.errors.MoveAbort` or an overflow rolls everything back and the
   transaction is kept with that status.
3. **Epilogue**: gas is charged (``gas_used * gas_unit_price`` of the gas currency, collected
   by Treasury Compliance) and the sequence number advances, whatever the script did.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple, cast

from libra import bcs
from libra.framework import association as _association  # noqa: F401  (registers its scripts)
from libra.framework import events as ev
from libra.framework import gas, ops
from libra.framework.account import Account
from libra.framework.context import BlockState, Ctx
from libra.framework.errors import (
    Category,
    ConfigReason,
    DiemAccountReason,
    FrameworkError,
    MoveAbort,
    PrologueError,
    StatusCode,
    abort_code,
    module_id,
)
from libra.framework.scripts import (
    ADDR,
    BOOL,
    BYTES,
    SCRIPTS,
    U8,
    U64,
    ScriptSpec,
)
from libra.types import (
    CORE_CODE_ADDRESS,
    DIEM_ROOT_ADDRESS,
    RESERVED_VM_ADDRESS,
    AbortInModule,
    AccountAddress,
    ArgAddress,
    ArgBool,
    ArgU8,
    ArgU8Vector,
    ArgU64,
    BlockMetadata,
    ContractEvent,
    Ed25519Authenticator,
    Executed,
    ExecutionFailure,
    KeptVMStatus,
    MiscellaneousError,
    MultiAgentAuthenticator,
    OutOfGas,
    PayloadModule,
    PayloadScript,
    PayloadScriptFunction,
    PayloadWriteSet,
    SignedTransaction,
    TransactionArgument,
    TypeTagStruct,
)
from libra.types import MoveAbort as MoveAbortStatus

LEGACY_SCRIPTS: dict[bytes, tuple[str, str]] = {
    bytes.fromhex("04ea43107fafc12adcd09f6c68d63e194675d0ce843a7faf7cceb6c813db9d9a"): (
        "PaymentScripts",
        "peer_to_peer_with_metadata",
    ),
    bytes.fromhex("bf800f1dee9d9f9d472d679a08e28a748fff71135ebfbb6c587f56068ac2028b"): (
        "AccountCreationScripts",
        "create_child_vasp_account",
    ),
    bytes.fromhex("b4e23670c081e09e5da9f3c26aa31f84da8beab55ab299cfdddf64769551ed76"): (
        "AccountAdministrationScripts",
        "rotate_dual_attestation_info",
    ),
    bytes.fromhex("2589feee1e4dea7012b3ce8923a10ef80e2ab360ffdb6ada4c9b013a1b08fb3a"): (
        "AccountAdministrationScripts",
        "add_currency_to_account",
    ),
    bytes.fromhex("0718b7826d70196405eacc6643e444b67310c843694389f4085537128dfa538c"): (
        "TreasuryComplianceScripts",
        "tiered_mint",
    ),
}
"""Diem's transaction scripts, by sha3_256 of their bytecode, and the script function each
one calls (same arguments, passed as TransactionArgument values)."""

_ARG_CLASS: dict[str, type[TransactionArgument]] = {
    U64: ArgU64,
    ADDR: ArgAddress,
    BYTES: ArgU8Vector,
    BOOL: ArgBool,
    U8: ArgU8,
}


# ---------------------------------------------------------------------------------------------
# Outputs


@dataclasses.dataclass(frozen=True, slots=True)
class Keep:
    """Committed with this status."""

    status: KeptVMStatus


@dataclasses.dataclass(frozen=True, slots=True)
class Discard:
    """Rejected by the prologue; never committed."""

    status: StatusCode


@dataclasses.dataclass(frozen=True, slots=True)
class Retry:
    """Not executed because an earlier transaction of the block changed the epoch."""


TransactionStatus = Keep | Discard | Retry

EXECUTED = Keep(Executed())


@dataclasses.dataclass(frozen=True, slots=True)
class TransactionOutput:
    """What one transaction did."""

    status: TransactionStatus
    gas_used: int
    events: tuple[ContractEvent, ...]
    written: tuple[AccountAddress, ...]
    """Accounts this transaction changed (empty unless kept)."""
    detail: str = ""
    """Why it failed, in words (empty when executed)."""
    blobs: dict[AccountAddress, bytes] | None = None
    """The changed accounts' blobs after it, when asked for per transaction."""

    @property
    def is_kept(self) -> bool:
        return type(self.status) is Keep


def _output_builder() -> Callable[
    [TransactionStatus, int, tuple[ContractEvent, ...], tuple[AccountAddress, ...], str],
    TransactionOutput,
]:
    """``TransactionOutput(status, gas_used, events, written, detail)`` setting the slots
    directly: the frozen dataclass's ``__init__`` goes through ``object.__setattr__`` once
    per field, a noticeable part of a payment's cost."""
    slots = vars(TransactionOutput)
    set_status = slots["status"].__set__
    set_gas = slots["gas_used"].__set__
    set_events = slots["events"].__set__
    set_written = slots["written"].__set__
    set_detail = slots["detail"].__set__
    set_blobs = slots["blobs"].__set__
    new = object.__new__

    def build(
        status: TransactionStatus,
        gas_used: int,
        events: tuple[ContractEvent, ...],
        written: tuple[AccountAddress, ...],
        detail: str,
    ) -> TransactionOutput:
        out: TransactionOutput = new(TransactionOutput)
        set_status(out, status)
        set_gas(out, gas_used)
        set_events(out, events)
        set_written(out, written)
        set_detail(out, detail)
        set_blobs(out, None)
        return out

    return build


_new_output = _output_builder()


class BlockError(FrameworkError):
    """A block metadata transaction is invalid: the whole block must be rejected."""


# ---------------------------------------------------------------------------------------------
# Prologue


class Prepared(NamedTuple):
    """A transaction that passed the prologue."""

    sender: Account
    signers: list[Account]
    spec: ScriptSpec
    ty_args: tuple[Any, ...]
    args: tuple[Any, ...]
    is_script: bool
    size: int


_new_prepared = tuple.__new__
"""Builds a :class:`Prepared` without its Python-level ``__new__`` (same tuple)."""
_sha3_256 = hashlib.sha3_256
_transaction_size = gas.transaction_size
_MAX_TRANSACTION_SIZE_IN_BYTES = gas.MAX_TRANSACTION_SIZE_IN_BYTES
_MAXIMUM_NUMBER_OF_GAS_UNITS = gas.MAXIMUM_NUMBER_OF_GAS_UNITS
_MIN_TRANSACTION_GAS_UNITS = gas.MIN_TRANSACTION_GAS_UNITS
_LARGE_TRANSACTION_CUTOFF = gas.LARGE_TRANSACTION_CUTOFF
_MIN_PRICE_PER_GAS_UNIT = gas.MIN_PRICE_PER_GAS_UNIT
_MAX_PRICE_PER_GAS_UNIT = gas.MAX_PRICE_PER_GAS_UNIT
_EXECUTION_COST = gas.EXECUTION_COST
_DEFAULT_EXECUTION_COST = gas.DEFAULT_EXECUTION_COST
_U64_MAX = ops.U64_MAX
_ED25519_AUTH_KEYS: dict[bytes, bytes] = {}
"""Authentication keys of Ed25519 public keys seen in transactions (senders send many; a
dict lookup costs less than the sha3 that derives one)."""
_ED25519_AUTH_KEYS_CAPACITY = 50_000


def _resolve(
    signed: SignedTransaction,
) -> tuple[ScriptSpec, tuple[Any, ...], tuple[Any, ...], bool]:
    payload = signed.raw_txn.payload
    tp = type(payload)
    if tp is PayloadScriptFunction:
        sf = payload.value  # type: ignore[attr-defined]
        if sf.module.address != CORE_CODE_ADDRESS:
            raise PrologueError(StatusCode.UNKNOWN_MODULE, f"module {sf.module} is not published")
        spec = SCRIPTS.get((sf.module.name, sf.function))
        if spec is None:
            if any(m == sf.module.name for m, _ in SCRIPTS):
                raise PrologueError(StatusCode.UNKNOWN_SCRIPT, f"{sf.module}::{sf.function}")
            raise PrologueError(StatusCode.UNKNOWN_MODULE, f"module {sf.module} is not published")
        return spec, sf.ty_args, sf.args, False
    if tp is PayloadScript:
        script = payload.value  # type: ignore[attr-defined]
        target = LEGACY_SCRIPTS.get(hashlib.sha3_256(script.code).digest())
        if target is None:
            raise PrologueError(StatusCode.UNKNOWN_SCRIPT, "script is not an allowed Diem script")
        return SCRIPTS[target], script.ty_args, script.args, True
    if tp is PayloadModule:
        raise PrologueError(StatusCode.INVALID_MODULE_PUBLISHER, "module publishing is closed")
    if tp is PayloadWriteSet:
        raise PrologueError(
            StatusCode.REJECTED_WRITE_SET, "write-set transactions are not accepted"
        )
    raise PrologueError(StatusCode.UNKNOWN_SCRIPT, f"unknown payload {tp.__name__}")


def prologue(
    block: BlockState,
    signed: SignedTransaction,
    now_secs: int,
    *,
    signature_verified: bool,
    validation: bool = False,
    size: int | None = None,
) -> Prepared:
    """Checks that ``signed`` may run now; raises :class:`PrologueError` with Diem's status.

    ``validation=True`` is the mempool's view: a sequence number ahead of the account's is
    accepted (the transaction waits for its turn)."""
    raw = signed.raw_txn
    if size is None:
        size = _transaction_size(signed)
    if size > _MAX_TRANSACTION_SIZE_IN_BYTES:
        raise PrologueError(
            StatusCode.EXCEEDED_MAX_TRANSACTION_SIZE,
            f"{size} bytes > {gas.MAX_TRANSACTION_SIZE_IN_BYTES}",
        )
    max_gas = raw.max_gas_amount
    price = raw.gas_unit_price
    if max_gas > _MAXIMUM_NUMBER_OF_GAS_UNITS:
        raise PrologueError(
            StatusCode.MAX_GAS_UNITS_EXCEEDS_MAX_GAS_UNITS_BOUND,
            f"{max_gas} > {gas.MAXIMUM_NUMBER_OF_GAS_UNITS}",
        )
    intrinsic = (
        _MIN_TRANSACTION_GAS_UNITS if size <= _LARGE_TRANSACTION_CUTOFF else gas.intrinsic_gas(size)
    )
    if max_gas < intrinsic:
        raise PrologueError(
            StatusCode.MAX_GAS_UNITS_BELOW_MIN_TRANSACTION_GAS_UNITS, f"{max_gas} < {intrinsic}"
        )
    if price < _MIN_PRICE_PER_GAS_UNIT:
        raise PrologueError(StatusCode.GAS_UNIT_PRICE_BELOW_MIN_BOUND, str(price))
    if price > _MAX_PRICE_PER_GAS_UNIT:
        raise PrologueError(
            StatusCode.GAS_UNIT_PRICE_ABOVE_MAX_BOUND, f"{price} > {gas.MAX_PRICE_PER_GAS_UNIT}"
        )
    root_acct = block.get(DIEM_ROOT_ADDRESS)
    root = root_acct.details.root if root_acct is not None else None
    if root is None:
        raise PrologueError(StatusCode.UNKNOWN_VALIDATION_STATUS, "the state has no genesis")
    code = raw.gas_currency_code
    info = root.currencies.get(code)
    if info is None:
        raise PrologueError(StatusCode.CURRENCY_INFO_DOES_NOT_EXIST, code)
    if not signature_verified and not signed.verify_signature():
        raise PrologueError(StatusCode.INVALID_SIGNATURE, "signature does not verify")
    spec, ty_args, args, is_script = _resolve(signed)
    auth = signed.authenticator
    secondary: tuple[AccountAddress, ...] = ()
    if type(auth) is MultiAgentAuthenticator:
        secondary = auth.secondary_signer_addresses
        if len(secondary) != len(auth.secondary_signers):
            raise PrologueError(StatusCode.SECONDARY_KEYS_ADDRESSES_COUNT_MISMATCH, "")
    if len(secondary) + 1 != spec.signers:
        raise PrologueError(
            StatusCode.SECONDARY_KEYS_ADDRESSES_COUNT_MISMATCH,
            f"{spec.name} takes {spec.signers} signers, got {len(secondary) + 1}",
        )
    if raw.chain_id != root.chain_id:
        raise PrologueError(StatusCode.BAD_CHAIN_ID, f"{raw.chain_id} != {root.chain_id}")
    sender = block.get(raw.sender)
    if sender is None:
        raise PrologueError(StatusCode.SENDING_ACCOUNT_DOES_NOT_EXIST, raw.sender.hex())
    if sender.frozen:
        raise PrologueError(StatusCode.SENDING_ACCOUNT_FROZEN, raw.sender.hex())
    if type(auth) is Ed25519Authenticator:
        public_key = auth.public_key
        key = _ED25519_AUTH_KEYS.get(public_key)
        if key is None:
            key = _sha3_256(public_key + b"\x00").digest()
            if len(_ED25519_AUTH_KEYS) >= _ED25519_AUTH_KEYS_CAPACITY:
                _ED25519_AUTH_KEYS.clear()
            _ED25519_AUTH_KEYS[public_key] = key
    else:
        key = bytes(auth.sender_authentication_key())
    if key != sender.auth_key:
        raise PrologueError(StatusCode.INVALID_AUTH_KEY, raw.sender.hex())
    signers = [sender]
    if secondary:
        if len(set(secondary)) != len(secondary) or raw.sender in secondary:
            raise PrologueError(StatusCode.SIGNERS_CONTAIN_DUPLICATES, "")
        for addr, sub in zip(secondary, auth.secondary_signers, strict=True):  # type: ignore[attr-defined]
            acct = block.get(addr)
            if acct is None:
                raise PrologueError(StatusCode.SENDING_ACCOUNT_DOES_NOT_EXIST, addr.hex())
            if acct.frozen:
                raise PrologueError(StatusCode.SENDING_ACCOUNT_FROZEN, addr.hex())
            if bytes(sub.authentication_key()) != acct.auth_key:
                raise PrologueError(StatusCode.INVALID_AUTH_KEY, addr.hex())
            signers.append(acct)
    max_fee = max_gas * price
    if max_fee > 0:
        if info.is_synthetic:
            raise PrologueError(
                StatusCode.BAD_TRANSACTION_FEE_CURRENCY, f"fees cannot be paid in {code}"
            )
        balance = sender.balances.get(code)
        if balance is None or balance < max_fee or max_fee > _U64_MAX:
            raise PrologueError(
                StatusCode.INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE,
                f"balance {balance} {code} < {max_fee}",
            )
    seq = raw.sequence_number
    if seq >= _U64_MAX:
        raise PrologueError(StatusCode.SEQUENCE_NUMBER_TOO_BIG, str(seq))
    if seq < sender.seq:
        raise PrologueError(StatusCode.SEQUENCE_NUMBER_TOO_OLD, f"{seq} < {sender.seq}")
    if seq > sender.seq and not validation:
        raise PrologueError(StatusCode.SEQUENCE_NUMBER_TOO_NEW, f"{seq} > {sender.seq}")
    if now_secs >= raw.expiration_timestamp_secs:
        raise PrologueError(
            StatusCode.TRANSACTION_EXPIRED, f"expired at {raw.expiration_timestamp_secs}"
        )
    return _new_prepared(Prepared, (sender, signers, spec, ty_args, args, is_script, size))


# ---------------------------------------------------------------------------------------------
# Execution


def _decode_inputs(p: Prepared) -> tuple[list[str], list[Any]]:
    spec = p.spec
    ty_args = p.ty_args
    if len(ty_args) != spec.currencies:
        raise _Misc(f"{spec.name} takes {spec.currencies} type arguments, got {len(ty_args)}")
    codes = []
    for t in ty_args:
        if type(t) is TypeTagStruct:
            st = t.value
            if st.module == st.name and not st.type_params and st.address == CORE_CODE_ADDRESS:
                codes.append(st.name)
                continue
        codes.append(t.to_canonical_string())
    args = p.args
    if len(args) != len(spec.params):
        raise _Misc(f"{spec.name} takes {len(spec.params)} arguments, got {len(args)}")
    if p.is_script:
        values = []
        for kind, arg in zip(spec.params, args, strict=True):
            if type(arg) is not _ARG_CLASS[kind]:
                raise _Misc(f"argument {arg!r} is not a {kind}")
            values.append(cast(Any, arg).value)
        return codes, values
    try:
        return codes, spec.decode_args(args)
    except (bcs.DecodeError, ValueError) as e:
        raise _Misc(f"cannot decode the arguments of {spec.name}: {e}") from None


class _Misc(Exception):
    pass


def apply_user_transaction(
    ctx: Ctx,
    signed: SignedTransaction,
    *,
    signature_verified: bool,
    size: int | None = None,
) -> TransactionOutput:
    """Runs one signed transaction against the block overlay of ``ctx``."""
    ctx.journal.entries.clear()
    ctx.events = []
    ctx.written = set()
    block = ctx.block
    try:
        p = prologue(
            block,
            signed,
            ctx.now_usecs // 1_000_000,
            signature_verified=signature_verified,
            size=size,
        )
    except PrologueError as e:
        return TransactionOutput(Discard(e.status), 0, (), (), e.detail)
    raw = signed.raw_txn
    status: Keep = EXECUTED
    detail = ""
    spec = p.spec
    try:
        codes, values = _decode_inputs(p)
        spec.handler(ctx, p.signers, codes, *values)
    except MoveAbort as e:
        ctx.rollback()
        status = Keep(MoveAbortStatus(AbortInModule(e.location), e.code))
        detail = str(e)
    except ops.ArithmeticOverflow as e:
        ctx.rollback()
        status = Keep(ExecutionFailure(AbortInModule(module_id(e.module)), 0, 0))
        detail = f"arithmetic error in 0x1::{e.module}: {e}"
    except _Misc as e:
        ctx.rollback()
        status = Keep(MiscellaneousError())
        detail = str(e)
    size = p.size
    gas_used = (
        _MIN_TRANSACTION_GAS_UNITS if size <= _LARGE_TRANSACTION_CUTOFF else gas.intrinsic_gas(size)
    ) + _EXECUTION_COST.get(spec.name, _DEFAULT_EXECUTION_COST)
    max_gas = raw.max_gas_amount
    if gas_used > max_gas:
        if status is EXECUTED:
            ctx.rollback()
        status = Keep(OutOfGas())
        detail = f"needs {gas_used} gas units, max {max_gas}"
        gas_used = max_gas
    sender = p.sender
    price = raw.gas_unit_price
    fee = gas_used * price
    if fee:
        code = raw.gas_currency_code
        if sender.balances.get(code, 0) < fee:
            ctx.rollback()
            code_ = abort_code(Category.LIMIT_EXCEEDED, DiemAccountReason.EINSUFFICIENT_BALANCE)
            status = Keep(MoveAbortStatus(AbortInModule(module_id("DiemAccount")), code_))
            detail = f"cannot pay the fee of {fee} {code} after the script"
        charge_fee(ctx, sender, code, fee)
    sender.seq += 1
    written = ctx.written
    written.add(sender.address)
    return _new_output(status, gas_used, tuple(ctx.events), tuple(written), detail)


def charge_fee(ctx: Ctx, sender: Account, code: str, fee: int) -> None:
    """Moves ``fee`` from the sender to the fees Treasury Compliance collects."""
    sender.balances[code] -= fee
    ctx.written.add(sender.address)
    treasury = ctx.treasury()
    fees = dict(treasury.fees)
    fees[code] = fees.get(code, 0) + fee
    tc = ctx.treasury_account()
    new = dataclasses.replace(tc.details, treasury=dataclasses.replace(treasury, fees=fees))
    tc.set_details(ctx.journal, new)
    ctx.written.add(tc.address)


def apply_block_metadata(ctx: Ctx, bm: BlockMetadata) -> TransactionOutput:
    """Advances the clock and block height and emits NewBlockEvent; raises
    :class:`BlockError` when the proposer or the time is invalid."""
    ctx.reset()
    root = ctx.root()
    if bm.proposer == RESERVED_VM_ADDRESS:
        if bm.timestamp_usecs != root.timestamp_usecs:
            raise BlockError(
                f"a nil block must keep the time {root.timestamp_usecs}, got {bm.timestamp_usecs}"
            )
    else:
        if not any(v.addr == bm.proposer for v in root.validators):
            raise BlockError(
                f"proposer {bm.proposer.hex()} is not a validator "
                f"(0x1::DiemBlock {ConfigReason.EINVALID_PROPOSER.name})"
            )
        if bm.timestamp_usecs <= root.timestamp_usecs:
            raise BlockError(f"block time {bm.timestamp_usecs} is not after {root.timestamp_usecs}")
    h = ctx.emit(
        root.new_block_events,
        ev.NEW_BLOCK,
        ev.NewBlockEvent(bm.round, bm.proposer, bm.previous_block_votes, bm.timestamp_usecs),
    )
    ctx.set_root(
        dataclasses.replace(
            root,
            timestamp_usecs=bm.timestamp_usecs,
            block_height=root.block_height + 1,
            new_block_events=h,
        )
    )
    ctx.now_usecs = bm.timestamp_usecs
    return TransactionOutput(EXECUTED, 0, tuple(ctx.events), tuple(ctx.written))
