"""The view functions on their own: event data, scripts, authenticators, VM statuses and the
submission error mapping, with Hypothesis for the payload round trips."""

from __future__ import annotations

from dataclasses import dataclass

from api_helpers import key
from hypothesis import given
from hypothesis import strategies as hs

from libra import bcs
from libra.api import views
from libra.api.jsonrpc import vm_status_error
from libra.crypto import MultiEd25519PublicKey, MultiEd25519Signature
from libra.framework import events as ev
from libra.framework.errors import PrologueError, StatusCode
from libra.mempool.core import AdmissionResult, MempoolStatusCode
from libra.types import (
    AbortInScript,
    AccountAddress,
    AccountEd25519,
    ArgAddress,
    ArgBool,
    ArgU8,
    ArgU8Vector,
    ArgU64,
    ArgU128,
    ContractEventV0,
    EventKey,
    ExecutionFailure,
    MultiAgentAuthenticator,
    MultiEd25519Authenticator,
    OutOfGas,
    PayloadScript,
    RawTransaction,
    Script,
    SignedTransaction,
    TypeTagU8,
    TypeTagU64,
    TypeTagVector,
    UserTransaction,
    currency_type_tag,
)

addresses = hs.binary(min_size=16, max_size=16).map(AccountAddress)
u64 = hs.integers(min_value=0, max_value=2**64 - 1)
codes = hs.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=6)


@given(addresses, addresses, u64, codes, hs.binary(max_size=300), u64)
def test_payment_events_round_trip(
    me: AccountAddress, other: AccountAddress, amount: int, code: str, meta: bytes, seq: int
) -> None:
    cb = bcs.encode_as(bytes, code.encode())
    sent = ContractEventV0(
        EventKey.create(1, me), seq, ev.SENT_PAYMENT, ev.payment_event_data(amount, cb, other, meta)
    )
    view = views.event_view(9, sent)
    assert view["data"] == {
        "type": "sentpayment",
        "amount": {"amount": amount, "currency": code},
        "sender": me.hex(),
        "receiver": other.hex(),
        "metadata": meta.hex(),
    }
    assert view["sequence_number"] == seq and view["transaction_version"] == 9
    recv = ContractEventV0(
        EventKey.create(0, me),
        seq,
        ev.RECEIVED_PAYMENT,
        ev.payment_event_data(amount, cb, other, meta),
    )
    data = views.event_data_view(recv)
    assert (data["sender"], data["receiver"]) == (other.hex(), me.hex())


@given(hs.binary(max_size=64))
def test_undecodable_payloads_are_unknown_with_bytes(data: bytes) -> None:
    for tag in (ev.SENT_PAYMENT, ev.MINT, ev.NEW_BLOCK, TypeTagU64()):
        e = ContractEventV0(EventKey.create(0, AccountAddress.from_int(1)), 0, tag, data)
        out = views.event_data_view(e)
        if out["type"] == "unknown":
            assert out["bytes"] == data.hex()
        else:
            assert tag != TypeTagU64()


def test_typed_event_views() -> None:
    a = AccountAddress.from_int(0xDD)
    k = EventKey.create(0, a)
    amt = {"amount": 5, "currency": "XUS"}
    cases = [
        (
            ev.MINT,
            ev.MintEvent(5, b"XUS"),
            {"type": "mint", "amount": amt},
        ),
        (
            ev.BURN,
            ev.BurnEvent(5, b"XUS", a),
            {
                "type": "burn",
                "amount": {"amount": 5, "currency": "XUS"},
                "preburn_address": a.hex(),
            },
        ),
        (
            ev.CANCEL_BURN,
            ev.CancelBurnEvent(5, b"XUS", a),
            {
                "type": "cancelburn",
                "amount": {"amount": 5, "currency": "XUS"},
                "preburn_address": a.hex(),
            },
        ),
        (
            ev.PREBURN,
            ev.PreburnEvent(5, b"XUS", a),
            {
                "type": "preburn",
                "amount": {"amount": 5, "currency": "XUS"},
                "preburn_address": a.hex(),
            },
        ),
        (
            ev.TO_XDX_EXCHANGE_RATE_UPDATE,
            ev.ToXDXExchangeRateUpdateEvent(b"XUS", 1 << 31),
            {
                "type": "to_xdx_exchange_rate_update",
                "currency_code": "XUS",
                "new_to_xdx_exchange_rate": 0.5,
            },
        ),
        (ev.NEW_EPOCH, ev.NewEpochEvent(3), {"type": "newepoch", "epoch": 3}),
        (
            ev.COMPLIANCE_KEY_ROTATION,
            ev.ComplianceKeyRotationEvent(b"\x01\x02", 9),
            {
                "type": "compliancekeyrotation",
                "new_compliance_public_key": "0102",
                "time_rotated_seconds": 9,
            },
        ),
        (
            ev.BASE_URL_ROTATION,
            ev.BaseUrlRotationEvent(b"https://x", 9),
            {"type": "baseurlrotation", "new_base_url": "https://x", "time_rotated_seconds": 9},
        ),
        (
            ev.CREATE_ACCOUNT,
            ev.CreateAccountEvent(a, 5),
            {"type": "createaccount", "created_address": a.hex(), "role_id": 5},
        ),
        (
            ev.ADMIN_TRANSACTION,
            ev.AdminTransactionEvent(77),
            {"type": "admintransaction", "committed_timestamp_secs": 77},
        ),
        (
            ev.DIEM_ID_DOMAIN,
            ev.DiemIdDomainEvent(False, ev.DiemIdDomain(b"acme"), a),
            {"type": "diemiddomain", "removed": False, "domain": "acme", "address": a.hex()},
        ),
        (
            ev.RECEIVED_MINT,
            ev.ReceivedMintEvent(b"XUS", a, 5),
            {
                "type": "receivedmint",
                "amount": {"amount": 5, "currency": "XUS"},
                "destination_address": a.hex(),
            },
        ),
    ]
    for tag, payload, want in cases:
        assert views.event_data_view(ContractEventV0(k, 0, tag, bcs.encode(payload))) == want


def test_bytecode_script_view_and_multi_agent() -> None:
    script = Script(
        b"\xa1\x1c\xeb\x0b",
        (currency_type_tag("XUS"), TypeTagVector(TypeTagU8())),
        (
            ArgU8(1),
            ArgU64(2),
            ArgU128(3),
            ArgBool(True),
            ArgAddress(AccountAddress.from_int(10)),
            ArgU8Vector(b"\xab"),
        ),
    )
    sender = key(1)
    raw = RawTransaction(AccountAddress.from_int(1), 0, PayloadScript(script), 1, 0, "XUS", 9, 4)
    second = key(2)
    auth = MultiAgentAuthenticator(
        AccountEd25519(sender.public_key, sender.sign(b"x")),
        (AccountAddress.from_int(2),),
        (AccountEd25519(second.public_key, second.sign(b"y")),),
    )
    data = views.transaction_data_view(UserTransaction(SignedTransaction(raw, auth)))
    assert data["script"] == {
        "type": "unknown",
        "code": "a11ceb0b",
        "arguments": [
            "{U8: 1}",
            "{U64: 2}",
            "{U128: 3}",
            "{BOOL: true}",
            "{ADDRESS: " + "0" * 30 + "0A}",
            "{U8Vector: 0xab}",
        ],
        "type_arguments": ["XUS", "vector<u8>"],
    }
    assert data["script_hash"] == bytes(views.sha3_256(b"\xa1\x1c\xeb\x0b")).hex()
    assert bcs.decode(Script, bytes.fromhex(data["script_bytes"])) == script
    assert data["secondary_signers"] == [AccountAddress.from_int(2).hex()]
    assert data["secondary_signature_schemes"] == ["Scheme::Ed25519"]
    assert data["secondary_public_keys"] == [bytes(second.public_key).hex()]
    keys = [key(i).public_key for i in range(3)]
    multi = MultiEd25519PublicKey.create(keys, 2)
    sig = MultiEd25519Signature(bytes(64 * 2) + bytes([0b11000000, 0, 0, 0]))
    m = views.transaction_data_view(
        UserTransaction(SignedTransaction(raw, MultiEd25519Authenticator(multi, sig)))
    )
    assert m["signature_scheme"] == "Scheme::MultiEd25519"
    assert m["public_key"] == bytes(multi).hex()


def test_vm_status_views() -> None:
    assert views.vm_status_view(OutOfGas()) == {"type": "out_of_gas"}
    failure = views.vm_status_view(ExecutionFailure(AbortInScript(), 1, 2))
    assert failure == {
        "type": "execution_failure",
        "location": "Script",
        "function_index": 1,
        "code_offset": 2,
    }
    assert views.move_abort_explanation(AbortInScript(), 7) is None


@dataclass(frozen=True)
class Outcome:
    code: int
    detail: str
    vm_status: object | None


def test_submission_errors_follow_diem() -> None:
    ok = AdmissionResult(MempoolStatusCode.ACCEPTED)
    assert vm_status_error(ok) is None
    e = vm_status_error(Outcome(6, "", PrologueError(StatusCode.SEQUENCE_NUMBER_TOO_NEW)))
    assert e is not None and e.code == -32001 and e.data == 4
    assert e.message == "Server error: VM Validation error: SEQUENCE_NUMBER_TOO_NEW"
    e = vm_status_error(Outcome(6, "", StatusCode.TYPE_MISMATCH))
    assert e is not None and e.code == -32002 and "Verification" in e.message
    for code, rpc in ((1, -32012), (2, -32008), (3, -32009), (4, -32007), (5, -32010), (6, -32011)):
        e = vm_status_error(Outcome(code, "why", None))
        assert e is not None and e.code == rpc
        assert e.message == "Server error: Mempool submission error: 'why'"
