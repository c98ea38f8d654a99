"""Diem's JSON-RPC views: typed ledger values rendered as the JSON objects Diem's server sends.

Field names, nesting and value formats follow Diem's JSON-RPC specification (and the protobuf
schema its SDKs parse responses with): byte strings and addresses are lowercase hex without
``0x``, integers are JSON numbers, exchange rates are floats, optional fields are left out
rather than sent as null. Every function here is pure.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from libra import bcs
from libra.crypto import HashValue, sha3_256
from libra.framework import errors as fx
from libra.framework import events as ev
from libra.framework import state as st
from libra.framework.transaction import LEGACY_SCRIPTS
from libra.types import (
    AbortInModule,
    AbortLocation,
    AccountAddress,
    AccountAuthenticator,
    AccountEd25519,
    AccountMultiEd25519,
    ArgAddress,
    ArgBool,
    ArgU8,
    ArgU8Vector,
    ArgU64,
    ArgU128,
    BlockMetadataTransaction,
    ContractEvent,
    ContractEventV0,
    Ed25519Authenticator,
    Executed,
    ExecutionFailure,
    GenesisTransaction,
    KeptVMStatus,
    MoveAbort,
    MultiAgentAuthenticator,
    MultiEd25519Authenticator,
    OutOfGas,
    PayloadScript,
    PayloadScriptFunction,
    Script,
    ScriptFunction,
    Transaction,
    TransactionArgument,
    TransactionAuthenticator,
    TransactionInfo,
    TypeTag,
    TypeTagStruct,
    UserTransaction,
)

__all__ = [
    "FIXED_POINT32_ONE",
    "Json",
    "account_view",
    "amount_view",
    "currency_view",
    "event_data_view",
    "event_view",
    "move_abort_explanation",
    "script_view",
    "transaction_data_view",
    "transaction_view",
    "vm_status_view",
]

Json = dict[str, Any]
"""A JSON object."""

FIXED_POINT32_ONE = 1 << 32
"""1.0 in Move's FixedPoint32."""

ZERO_HASH_HEX = "00" * 32


def amount_view(amount: int, currency: str) -> Json:
    """Diem's ``Amount``."""
    return {"amount": amount, "currency": currency}


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------
# Accounts


def _role_view(state: st.AccountState, tc_domain_events_key: bytes | None) -> Json:
    d = state.details
    role = state.role
    if role == st.ROLE_CHILD_VASP and d.child_vasp is not None:
        return {"type": "child_vasp", "parent_vasp_address": d.child_vasp.parent.hex()}
    cred = d.credential
    if role == st.ROLE_PARENT_VASP and cred is not None:
        view: Json = {
            "type": "parent_vasp",
            "human_name": _text(cred.human_name),
            "base_url": _text(cred.base_url),
            "expiration_time": cred.expiration_date,
            "compliance_key": cred.compliance_public_key.hex(),
            "num_children": d.parent_vasp.num_children if d.parent_vasp is not None else 0,
            "compliance_key_rotation_events_key": cred.compliance_key_rotation_events.key.hex(),
            "base_url_rotation_events_key": cred.base_url_rotation_events.key.hex(),
        }
        if d.diem_id_domains is not None:
            view["diem_id_domains"] = [_text(x) for x in d.diem_id_domains]
        return view
    if role == st.ROLE_DESIGNATED_DEALER and cred is not None and d.dealer is not None:
        dealer = d.dealer
        queues = sorted(dealer.preburns.items())
        return {
            "type": "designated_dealer",
            "human_name": _text(cred.human_name),
            "base_url": _text(cred.base_url),
            "expiration_time": cred.expiration_date,
            "compliance_key": cred.compliance_public_key.hex(),
            "preburn_balances": [amount_view(sum(q), code) for code, q in queues],
            "received_mint_events_key": dealer.received_mint_events.key.hex(),
            "compliance_key_rotation_events_key": cred.compliance_key_rotation_events.key.hex(),
            "base_url_rotation_events_key": cred.base_url_rotation_events.key.hex(),
            "preburn_queues": [
                {"currency": code, "preburns": [{"preburn": amount_view(a, code)} for a in q]}
                for code, q in queues
            ],
        }
    if role == st.ROLE_TREASURY_COMPLIANCE:
        view = {"type": "treasury_compliance"}
        if tc_domain_events_key is not None:
            view["diem_id_domain_events_key"] = tc_domain_events_key.hex()
        return view
    return {"type": "unknown"}


def account_view(
    address: AccountAddress,
    state: st.AccountState,
    version: int,
    tc_domain_events_key: bytes | None = None,
) -> Json:
    """Diem's ``Account`` view of ``state`` (``tc_domain_events_key``: Diem ID domain event
    stream, shown in Treasury Compliance's role)."""
    return {
        "address": address.hex(),
        "balances": [amount_view(v, code) for code, v in sorted(state.balances.items())],
        "sequence_number": state.sequence_number,
        "authentication_key": bytes(state.authentication_key).hex(),
        "sent_events_key": state.sent_events.key.hex(),
        "received_events_key": state.received_events.key.hex(),
        "delegated_key_rotation_capability": state.details.key_rotation_delegated_to is not None,
        "delegated_withdrawal_capability": False,
        "is_frozen": state.frozen,
        "role": _role_view(state, tc_domain_events_key),
        "version": version,
    }


# ---------------------------------------------------------------------------------------------
# Events


def _decode(cls: type[Any], data: bytes) -> Any:
    return bcs.decode(cls, data)


def event_data_view(event: ContractEventV0) -> Json:
    """Diem's ``EventData``: typed for Diem's event types, ``unknown`` with the raw bytes
    otherwise (and for payloads that do not decode)."""
    tag = event.type_tag
    data = event.event_data
    try:
        if tag == ev.SENT_PAYMENT:
            p = _decode(ev.SentPaymentEvent, data)
            return {
                "type": "sentpayment",
                "amount": amount_view(p.amount, _text(p.currency_code)),
                "sender": event.key.address.hex(),
                "receiver": p.payee.hex(),
                "metadata": p.metadata.hex(),
            }
        if tag == ev.RECEIVED_PAYMENT:
            r = _decode(ev.ReceivedPaymentEvent, data)
            return {
                "type": "receivedpayment",
                "amount": amount_view(r.amount, _text(r.currency_code)),
                "sender": r.payer.hex(),
                "receiver": event.key.address.hex(),
                "metadata": r.metadata.hex(),
            }
        if tag in (ev.BURN, ev.PREBURN, ev.CANCEL_BURN):
            cls = {ev.BURN: ev.BurnEvent, ev.PREBURN: ev.PreburnEvent}.get(tag, ev.CancelBurnEvent)
            b = _decode(cls, data)
            kind = {ev.BURN: "burn", ev.PREBURN: "preburn"}.get(tag, "cancelburn")
            return {
                "type": kind,
                "amount": amount_view(b.amount, _text(b.currency_code)),
                "preburn_address": b.preburn_address.hex(),
            }
        if tag == ev.MINT:
            m = _decode(ev.MintEvent, data)
            return {"type": "mint", "amount": amount_view(m.amount, _text(m.currency_code))}
        if tag == ev.TO_XDX_EXCHANGE_RATE_UPDATE:
            x = _decode(ev.ToXDXExchangeRateUpdateEvent, data)
            return {
                "type": "to_xdx_exchange_rate_update",
                "currency_code": _text(x.currency_code),
                "new_to_xdx_exchange_rate": x.new_to_xdx_exchange_rate / FIXED_POINT32_ONE,
            }
        if tag == ev.RECEIVED_MINT:
            rm = _decode(ev.ReceivedMintEvent, data)
            return {
                "type": "receivedmint",
                "amount": amount_view(rm.amount, _text(rm.currency_code)),
                "destination_address": rm.destination_address.hex(),
            }
        if tag == ev.COMPLIANCE_KEY_ROTATION:
            ck = _decode(ev.ComplianceKeyRotationEvent, data)
            return {
                "type": "compliancekeyrotation",
                "new_compliance_public_key": ck.new_compliance_public_key.hex(),
                "time_rotated_seconds": ck.time_rotated_seconds,
            }
        if tag == ev.BASE_URL_ROTATION:
            bu = _decode(ev.BaseUrlRotationEvent, data)
            return {
                "type": "baseurlrotation",
                "new_base_url": bu.new_base_url.decode("utf-8"),
                "time_rotated_seconds": bu.time_rotated_seconds,
            }
        if tag == ev.NEW_EPOCH:
            return {"type": "newepoch", "epoch": _decode(ev.NewEpochEvent, data).epoch}
        if tag == ev.NEW_BLOCK:
            nb = _decode(ev.NewBlockEvent, data)
            return {
                "type": "newblock",
                "round": nb.round,
                "proposer": nb.proposer.hex(),
                "proposed_time": nb.time_microseconds,
            }
        if tag == ev.CREATE_ACCOUNT:
            ca = _decode(ev.CreateAccountEvent, data)
            return {
                "type": "createaccount",
                "created_address": ca.created.hex(),
                "role_id": ca.role_id,
            }
        if tag == ev.ADMIN_TRANSACTION:
            at = _decode(ev.AdminTransactionEvent, data)
            return {
                "type": "admintransaction",
                "committed_timestamp_secs": at.committed_timestamp_secs,
            }
        if tag == ev.DIEM_ID_DOMAIN:
            dd = _decode(ev.DiemIdDomainEvent, data)
            return {
                "type": "diemiddomain",
                "removed": dd.removed,
                "domain": _text(dd.domain.domain),
                "address": dd.address.hex(),
            }
    except (bcs.DecodeError, UnicodeDecodeError):
        pass
    return {"type": "unknown", "bytes": data.hex()}


def event_view(version: int, event: ContractEvent) -> Json:
    """Diem's ``Event``: key, sequence number, the version that emitted it, typed data."""
    if not isinstance(event, ContractEventV0):
        return {
            "key": "",
            "sequence_number": 0,
            "transaction_version": version,
            "data": {"type": "unknown", "bytes": bcs.encode(event).hex()},
        }
    return {
        "key": event.key.hex(),
        "sequence_number": event.sequence_number,
        "transaction_version": version,
        "data": event_data_view(event),
    }


# ---------------------------------------------------------------------------------------------
# VM status

_CATEGORY_DESCRIPTIONS = {
    fx.Category.INVALID_STATE: "The system is in a state where the performed operation is not "
    "allowed.",
    fx.Category.REQUIRES_ADDRESS: "The signer of a transaction does not have the expected "
    "address for this operation.",
    fx.Category.REQUIRES_ROLE: "The signer of a transaction does not have the expected role "
    "for this operation.",
    fx.Category.REQUIRES_CAPABILITY: "The signer of a transaction does not have a required "
    "capability.",
    fx.Category.NOT_PUBLISHED: "A resource is required but not published.",
    fx.Category.ALREADY_PUBLISHED: "Attempting to publish a resource that is already published.",
    fx.Category.INVALID_ARGUMENT: "An argument provided to an operation is invalid.",
    fx.Category.LIMIT_EXCEEDED: "A limit on an amount, for example a currency, is exceeded.",
    fx.Category.INTERNAL: "An internal error (bug) has occurred.",
    fx.Category.CUSTOM: "A custom error category for extension points.",
}

_REASONS: dict[str, type[IntEnum]] = {
    "DiemAccount": fx.DiemAccountReason,
    "Roles": fx.RolesReason,
    "Diem": fx.DiemReason,
    "SlidingNonce": fx.SlidingNonceReason,
    "DualAttestation": fx.DualAttestationReason,
    "AccountFreezing": fx.AccountFreezingReason,
    "VASP": fx.VaspReason,
    "DesignatedDealer": fx.DesignatedDealerReason,
    "RecoveryAddress": fx.RecoveryAddressReason,
    "SharedEd25519PublicKey": fx.SharedKeyReason,
    "ValidatorConfig": fx.ValidatorReason,
    "DiemConfig": fx.ConfigReason,
    "DiemId": fx.DiemIdReason,
    "Reserve": fx.ReserveReason,
    "Association": fx.AssociationReason,
}


def move_abort_explanation(location: AbortLocation, code: int) -> Json | None:
    """Diem's ``MoveAbortExplanation`` of an abort code raised in a framework module: the
    category (low byte) and the module's reason (the rest), by name. None when unknown."""
    if not isinstance(location, AbortInModule):
        return None
    reasons = _REASONS.get(location.module.name)
    try:
        category = fx.Category(code & 0xFF)
    except ValueError:
        return None
    if reasons is None:
        return None
    try:
        reason = reasons(code >> 8)
    except ValueError:
        return None
    return {
        "category": category.name,
        "category_description": _CATEGORY_DESCRIPTIONS[category],
        "reason": reason.name,
        "reason_description": f"{location.module.name}::{reason.name}",
    }


def _location(location: AbortLocation) -> str:
    if isinstance(location, AbortInModule):
        return f"{location.module.address.hex()}::{location.module.name}"
    return "Script"


def vm_status_view(status: KeptVMStatus) -> Json:
    """Diem's ``VMStatus`` of a committed transaction."""
    if isinstance(status, Executed):
        return {"type": "executed"}
    if isinstance(status, OutOfGas):
        return {"type": "out_of_gas"}
    if isinstance(status, MoveAbort):
        view: Json = {
            "type": "move_abort",
            "location": _location(status.location),
            "abort_code": status.code,
        }
        explanation = move_abort_explanation(status.location, status.code)
        if explanation is not None:
            view["explanation"] = explanation
        return view
    if isinstance(status, ExecutionFailure):
        return {
            "type": "execution_failure",
            "location": _location(status.location),
            "function_index": status.function,
            "code_offset": status.code_offset,
        }
    return {"type": "miscellaneous_error"}


# ---------------------------------------------------------------------------------------------
# Transactions


def _type_arg(tag: TypeTag) -> str:
    if isinstance(tag, TypeTagStruct):
        return tag.value.module
    return tag.to_canonical_string()


def _argument(arg: TransactionArgument) -> str:
    if isinstance(arg, ArgU8):
        return f"{{U8: {arg.value}}}"
    if isinstance(arg, ArgU64):
        return f"{{U64: {arg.value}}}"
    if isinstance(arg, ArgU128):
        return f"{{U128: {arg.value}}}"
    if isinstance(arg, ArgBool):
        return f"{{BOOL: {'true' if arg.value else 'false'}}}"
    if isinstance(arg, ArgAddress):
        return f"{{ADDRESS: {arg.value.hex().upper()}}}"
    if isinstance(arg, ArgU8Vector):
        return f"{{U8Vector: 0x{arg.value.hex()}}}"
    return "{UNKNOWN}"


P2P_MODULE = "PaymentScripts"
P2P_FUNCTION = "peer_to_peer_with_metadata"


def _p2p_fields(ty_args: tuple[TypeTag, ...], args: tuple[bytes, ...]) -> Json | None:
    """The named fields of a ``peer_to_peer_with_metadata`` call, when its arguments decode."""
    if len(args) != 4:
        return None
    try:
        payee = bcs.decode(AccountAddress, args[0])
        amount = bcs.decode_as(bcs.U64, args[1])
        metadata = bcs.decode_as(bytes, args[2])
        signature = bcs.decode_as(bytes, args[3])
    except bcs.DecodeError:
        return None
    return {
        "receiver": payee.hex(),
        "amount": amount,
        "currency": _type_arg(ty_args[0]) if ty_args else "unknown_currency",
        "metadata": metadata.hex(),
        "metadata_signature": signature.hex(),
    }


def script_view(payload: Script | ScriptFunction | None) -> Json:
    """Diem's ``Script`` view: script functions by module and name with their BCS arguments
    (``peer_to_peer_with_metadata`` also with its named fields), bytecode scripts with their
    code and typed arguments."""
    if isinstance(payload, ScriptFunction):
        view: Json = {
            "type": "script_function",
            "module_address": payload.module.address.hex(),
            "module_name": payload.module.name,
            "function_name": payload.function,
            "arguments_bcs": [a.hex() for a in payload.args],
            "type_arguments": [_type_arg(t) for t in payload.ty_args],
        }
        if payload.module.name == P2P_MODULE and payload.function == P2P_FUNCTION:
            fields = _p2p_fields(payload.ty_args, payload.args)
            if fields is not None:
                view.update(fields)
        return view
    if isinstance(payload, Script):
        known = LEGACY_SCRIPTS.get(bytes(sha3_256(payload.code)))
        view = {
            "type": "unknown" if known is None else known[1],
            "code": payload.code.hex(),
            "arguments": [_argument(a) for a in payload.args],
            "type_arguments": [_type_arg(t) for t in payload.ty_args],
        }
        if known == (P2P_MODULE, P2P_FUNCTION):
            view.update(_p2p_script_fields(payload))
        return view
    return {"type": "unknown"}


def _p2p_script_fields(script: Script) -> Json:
    """The named fields of Diem's ``peer_to_peer_with_metadata`` transaction script, when its
    arguments have the script's types (an address, a u64 and two byte vectors)."""
    args = script.args
    if len(args) != 4:
        return {}
    payee, amount, metadata, signature = args
    if not (
        isinstance(payee, ArgAddress)
        and isinstance(amount, ArgU64)
        and isinstance(metadata, ArgU8Vector)
        and isinstance(signature, ArgU8Vector)
    ):
        return {}
    return {
        "receiver": payee.value.hex(),
        "amount": amount.value,
        "currency": _type_arg(script.ty_args[0]) if script.ty_args else "unknown_currency",
        "metadata": metadata.value.hex(),
        "metadata_signature": signature.value.hex(),
    }


def _account_auth_parts(auth: AccountAuthenticator) -> tuple[str, str, str]:
    if isinstance(auth, AccountEd25519):
        return "Scheme::Ed25519", bytes(auth.signature).hex(), bytes(auth.public_key).hex()
    if isinstance(auth, AccountMultiEd25519):
        return "Scheme::MultiEd25519", bytes(auth.signature).hex(), bytes(auth.public_key).hex()
    return "Scheme::Unknown", "", ""


def _auth_parts(auth: TransactionAuthenticator) -> tuple[str, str, str]:
    if isinstance(auth, Ed25519Authenticator):
        return "Scheme::Ed25519", bytes(auth.signature).hex(), bytes(auth.public_key).hex()
    if isinstance(auth, MultiEd25519Authenticator):
        return "Scheme::MultiEd25519", bytes(auth.signature).hex(), bytes(auth.public_key).hex()
    if isinstance(auth, MultiAgentAuthenticator):
        return _account_auth_parts(auth.sender)
    return "Scheme::Unknown", "", ""


def transaction_data_view(txn: Transaction) -> Json:
    """Diem's ``TransactionData``: ``user``, ``blockmetadata``, ``writeset`` or ``unknown``."""
    if isinstance(txn, BlockMetadataTransaction):
        return {"type": "blockmetadata", "timestamp_usecs": txn.value.timestamp_usecs}
    if isinstance(txn, GenesisTransaction):
        return {"type": "writeset"}
    if not isinstance(txn, UserTransaction):
        return {"type": "unknown"}
    signed = txn.value
    raw = signed.raw_txn
    payload = raw.payload
    scheme, signature, public_key = _auth_parts(signed.authenticator)
    if isinstance(payload, PayloadScript):
        script_hash = sha3_256(payload.value.code).hex()
        script_bytes = bcs.encode(payload.value).hex()
        script = script_view(payload.value)
    elif isinstance(payload, PayloadScriptFunction):
        script_hash = ZERO_HASH_HEX
        script_bytes = bcs.encode(payload.value).hex()
        script = script_view(payload.value)
    else:
        script_hash, script_bytes, script = ZERO_HASH_HEX, "", script_view(None)
    auth = signed.authenticator
    secondary: tuple[AccountAuthenticator, ...] = ()
    secondary_addresses: tuple[AccountAddress, ...] = ()
    if isinstance(auth, MultiAgentAuthenticator):
        secondary = auth.secondary_signers
        secondary_addresses = auth.secondary_signer_addresses
    parts = [_account_auth_parts(a) for a in secondary]
    return {
        "type": "user",
        "sender": raw.sender.hex(),
        "signature_scheme": scheme,
        "signature": signature,
        "public_key": public_key,
        "secondary_signers": [a.hex() for a in secondary_addresses],
        "secondary_signature_schemes": [p[0] for p in parts],
        "secondary_signatures": [p[1] for p in parts],
        "secondary_public_keys": [p[2] for p in parts],
        "sequence_number": raw.sequence_number,
        "chain_id": raw.chain_id,
        "max_gas_amount": raw.max_gas_amount,
        "gas_unit_price": raw.gas_unit_price,
        "gas_currency": raw.gas_currency_code,
        "expiration_timestamp_secs": raw.expiration_timestamp_secs,
        "script_hash": script_hash,
        "script_bytes": script_bytes,
        "script": script,
    }


def transaction_view(
    version: int,
    txn: Transaction,
    info: TransactionInfo,
    events: tuple[ContractEvent, ...] | None,
) -> Json:
    """Diem's ``Transaction`` view (``events``: None when not asked for, shown as ``[]``)."""
    return {
        "version": version,
        "transaction": transaction_data_view(txn),
        "hash": txn.hash().hex(),
        "bytes": bcs.encode(txn).hex(),
        "events": [event_view(version, e) for e in events or ()],
        "vm_status": vm_status_view(info.status),
        "gas_used": info.gas_used,
    }


# ---------------------------------------------------------------------------------------------
# Currencies


def currency_view(info: st.CurrencyInfo) -> Json:
    """Diem's ``CurrencyInfo`` view."""
    return {
        "code": _text(info.currency_code),
        "scaling_factor": info.scaling_factor,
        "fractional_part": info.fractional_part,
        "to_xdx_exchange_rate": info.to_xdx_exchange_rate / FIXED_POINT32_ONE,
        "mint_events_key": info.mint_events.key.hex(),
        "burn_events_key": info.burn_events.key.hex(),
        "preburn_events_key": info.preburn_events.key.hex(),
        "cancel_burn_events_key": info.cancel_burn_events.key.hex(),
        "exchange_rate_update_events_key": info.exchange_rate_update_events.key.hex(),
    }


def hash_hex(h: HashValue) -> str:
    """Lowercase hex of a hash."""
    return bytes(h).hex()
