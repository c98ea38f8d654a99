"""Events, with Diem's type tags and BCS payload layouts.

Event keys are ``creation number (u64 LE) || address``. Creation numbers come from a
per-account counter (``AccountDetails.event_generator``) in the order Diem's framework creates
the handles, so keys agree with what a Diem node reports:

- every account: the two payment streams are created last, by ``make_account``:
  ``received`` first, then ``sent``. A child VASP, validator, operator or custodian has no
  other stream: received = 0, sent = 1.
- parent VASP: its dual-attestation credential comes first: compliance-key rotation = 0,
  base-url rotation = 1, received = 2, sent = 3.
- designated dealer: received-mint = 0, compliance-key rotation = 1, base-url rotation = 2,
  received = 3, sent = 4.
- Diem Root and Treasury Compliance get theirs at genesis in the order documented in
  :mod:`libra.framework.genesis`.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from typing import Any

from libra import bcs
from libra.framework.state import EventHandle
from libra.types import (
    CORE_CODE_ADDRESS,
    AccountAddress,
    ContractEventV0,
    EventKey,
    StructTag,
    TypeTag,
    TypeTagStruct,
)


def _tag(module: str, name: str) -> TypeTag:
    return TypeTagStruct(StructTag(CORE_CODE_ADDRESS, module, name, ()))


SENT_PAYMENT = _tag("DiemAccount", "SentPaymentEvent")
RECEIVED_PAYMENT = _tag("DiemAccount", "ReceivedPaymentEvent")
CREATE_ACCOUNT = _tag("DiemAccount", "CreateAccountEvent")
ADMIN_TRANSACTION = _tag("DiemAccount", "AdminTransactionEvent")
MINT = _tag("Diem", "MintEvent")
BURN = _tag("Diem", "BurnEvent")
PREBURN = _tag("Diem", "PreburnEvent")
CANCEL_BURN = _tag("Diem", "CancelBurnEvent")
TO_XDX_EXCHANGE_RATE_UPDATE = _tag("Diem", "ToXDXExchangeRateUpdateEvent")
RECEIVED_MINT = _tag("DesignatedDealer", "ReceivedMintEvent")
COMPLIANCE_KEY_ROTATION = _tag("DualAttestation", "ComplianceKeyRotationEvent")
BASE_URL_ROTATION = _tag("DualAttestation", "BaseUrlRotationEvent")
NEW_EPOCH = _tag("DiemConfig", "NewEpochEvent")
NEW_BLOCK = _tag("DiemBlock", "NewBlockEvent")
DIEM_ID_DOMAIN = _tag("DiemId", "DiemIdDomainEvent")
RESERVE_DEPOSIT = _tag("Reserve", "DepositEvent")
RESERVE_WITHDRAWAL = _tag("Reserve", "WithdrawalEvent")
PROPOSAL = _tag("Association", "ProposalEvent")


# ---------------------------------------------------------------------------------------------
# Payload layouts (Move structs, BCS)


@bcs.struct
class SentPaymentEvent:
    amount: bcs.U64
    currency_code: bytes
    payee: AccountAddress
    metadata: bytes


@bcs.struct
class ReceivedPaymentEvent:
    amount: bcs.U64
    currency_code: bytes
    payer: AccountAddress
    metadata: bytes


@bcs.struct
class CreateAccountEvent:
    created: AccountAddress
    role_id: bcs.U64


@bcs.struct
class AdminTransactionEvent:
    committed_timestamp_secs: bcs.U64


@bcs.struct
class MintEvent:
    amount: bcs.U64
    currency_code: bytes


@bcs.struct
class BurnEvent:
    amount: bcs.U64
    currency_code: bytes
    preburn_address: AccountAddress


@bcs.struct
class PreburnEvent:
    amount: bcs.U64
    currency_code: bytes
    preburn_address: AccountAddress


@bcs.struct
class CancelBurnEvent:
    amount: bcs.U64
    currency_code: bytes
    preburn_address: AccountAddress


@bcs.struct
class ToXDXExchangeRateUpdateEvent:
    currency_code: bytes
    new_to_xdx_exchange_rate: bcs.U64


@bcs.struct
class ReceivedMintEvent:
    currency_code: bytes
    destination_address: AccountAddress
    amount: bcs.U64


@bcs.struct
class ComplianceKeyRotationEvent:
    new_compliance_public_key: bytes
    time_rotated_seconds: bcs.U64


@bcs.struct
class BaseUrlRotationEvent:
    new_base_url: bytes
    time_rotated_seconds: bcs.U64


@bcs.struct
class NewEpochEvent:
    epoch: bcs.U64


@bcs.struct
class NewBlockEvent:
    round: bcs.U64
    proposer: AccountAddress
    previous_block_votes: tuple[AccountAddress, ...]
    time_microseconds: bcs.U64


@bcs.struct
class DiemIdDomain:
    domain: bytes


@bcs.struct
class DiemIdDomainEvent:
    removed: bool
    domain: DiemIdDomain
    address: AccountAddress


@bcs.struct
class ReserveEvent:
    """libra: a custodian recorded a deposit to or a withdrawal from the reserve."""

    custodian: AccountAddress
    currency_code: bytes
    kind: bcs.U8
    amount: bcs.U64
    reference: bytes


@bcs.struct
class ProposalEvent:
    """libra: an association proposal was made (status 0), passed and executed (1)."""

    proposal_id: bcs.U64
    status: bcs.U8
    action: bytes


# ---------------------------------------------------------------------------------------------
# Fast payment payloads (the layouts of SentPaymentEvent / ReceivedPaymentEvent)

_Q = struct.Struct("<Q")


def payment_event_data(
    amount: int, code_bcs: bytes, counterparty: AccountAddress, metadata: bytes
) -> bytes:
    """``bcs(SentPaymentEvent)`` or ``bcs(ReceivedPaymentEvent)`` (same layout); ``code_bcs``
    is the currency code already BCS-encoded as a byte vector."""
    n = len(metadata)
    if n < 128:
        return b"".join((_Q.pack(amount), code_bcs, counterparty, bytes((n,)), metadata))
    return _Q.pack(amount) + code_bcs + counterparty + bcs.encode_as(bytes, metadata)


def _event_builder() -> Callable[[EventKey, int, TypeTag, bytes], ContractEventV0]:
    """``ContractEventV0(key, sequence_number, type_tag, event_data)`` that sets the slots
    directly instead of through the frozen dataclass's ``object.__setattr__`` calls (about
    half the cost; execution builds two per payment). Falls back to the class itself if its
    fields are not the four expected or it validates anything after init."""
    fields = [f.name for f in dataclasses.fields(ContractEventV0)]
    if fields != ["key", "sequence_number", "type_tag", "event_data"] or hasattr(
        ContractEventV0, "__post_init__"
    ):
        return ContractEventV0
    slots = vars(ContractEventV0)
    set_key = slots["key"].__set__
    set_seq = slots["sequence_number"].__set__
    set_tag = slots["type_tag"].__set__
    set_data = slots["event_data"].__set__
    new = object.__new__

    def build(key: EventKey, sequence_number: int, type_tag: TypeTag, data: bytes) -> Any:
        e = new(ContractEventV0)
        set_key(e, key)
        set_seq(e, sequence_number)
        set_tag(e, type_tag)
        set_data(e, data)
        return e

    return build


new_event = _event_builder()


def payment_events_data(
    amount: int,
    code_bcs: bytes,
    payer: AccountAddress,
    payee: AccountAddress,
    metadata: bytes,
) -> tuple[bytes, bytes]:
    """The data of the payer's SentPaymentEvent and of the payee's ReceivedPaymentEvent:
    ``payment_event_data`` with ``payee``, then with ``payer``, as the counterparty."""
    n = len(metadata)
    head = _Q.pack(amount) + code_bcs
    tail = bytes((n,)) + metadata if n < 128 else bcs.encode_as(bytes, metadata)
    return head + payee + tail, head + payer + tail


def handle_for(creation_number: int, address: AccountAddress) -> EventHandle:
    """A fresh event handle with the given creation number."""
    return EventHandle(0, EventKey.create(creation_number, address))


def event(handle: EventHandle, type_tag: TypeTag, payload: object) -> ContractEventV0:
    """The event ``payload`` emitted on ``handle`` at its current counter."""
    return ContractEventV0(handle.key, handle.counter, type_tag, bcs.encode(payload))


def bump(handle: EventHandle) -> EventHandle:
    """The handle after emitting one event."""
    return EventHandle(handle.counter + 1, handle.key)
