"""PaymentScripts and the travel rule."""

from __future__ import annotations

from framework_world import (
    DD,
    aborted,
    create_child,
    create_parent,
    executed,
    funded_world,
    pay,
    sf,
    state,
    u64,
    vec,
)

from libra import bcs
from libra.crypto import Ed25519PrivateKey
from libra.framework import events as ev
from libra.framework.errors import Category, DiemAccountReason, DualAttestationReason
from libra.types import AccountAddress, EventKey, dual_attestation_message


def test_p2p_moves_funds_and_emits_diem_events() -> None:
    w, a, b = funded_world()
    out = pay(w, a, b, 1234, metadata=b"\x01\x02")
    executed(out)
    assert state(w, a).balances["LBR"] == 100_000_000 - 1234
    assert state(w, b).balances["LBR"] == 100_000_000 + 1234
    sent, received = out.outputs[0].events
    # parent VASPs: compliance-key 0, base-url 1, received 2, sent 3
    assert sent.key == EventKey.create(3, a) and received.key == EventKey.create(2, b)
    assert sent.type_tag == ev.SENT_PAYMENT and received.type_tag == ev.RECEIVED_PAYMENT
    assert sent.event_data == bcs.encode(ev.SentPaymentEvent(1234, b"LBR", b, b"\x01\x02"))
    assert received.event_data == bcs.encode(ev.ReceivedPaymentEvent(1234, b"LBR", a, b"\x01\x02"))
    assert received.sequence_number == 1  # the funding payment was 0
    assert state(w, a).sent_events.counter == 1


def test_p2p_failures() -> None:
    w, a, b = funded_world()
    aborted(
        pay(w, a, b, 0),
        "DiemAccount",
        Category.INVALID_ARGUMENT,
        DiemAccountReason.ECOIN_DEPOSIT_IS_ZERO,
    )
    aborted(
        pay(w, a, AccountAddress.from_int(0x77), 5),
        "DiemAccount",
        Category.NOT_PUBLISHED,
        DiemAccountReason.EPAYEE_DOES_NOT_EXIST,
    )
    aborted(
        pay(w, a, b, 10**15),
        "DiemAccount",
        Category.LIMIT_EXCEEDED,
        DiemAccountReason.EINSUFFICIENT_BALANCE,
    )
    c = create_parent(w, 102, add_all=False, currency="XUS")
    aborted(
        pay(w, a, c, 5),
        "DiemAccount",
        Category.INVALID_ARGUMENT,
        DiemAccountReason.EPAYEE_CANT_ACCEPT_CURRENCY_TYPE,
    )
    aborted(
        pay(w, c, a, 5),
        "DiemAccount",
        Category.NOT_PUBLISHED,
        DiemAccountReason.EPAYER_DOESNT_HOLD_CURRENCY,
    )
    aborted(pay(w, a, b, 5, currency="ABC"), "Diem", Category.NOT_PUBLISHED, 15)
    assert state(w, a).balances["LBR"] == 100_000_000
    assert state(w, a).sequence_number == 5


def test_self_payment_keeps_balance() -> None:
    w, a, _ = funded_world()
    executed(pay(w, a, a, 10))
    assert state(w, a).balances["LBR"] == 100_000_000


def _compliance_key(w, parent: AccountAddress, seed: int) -> Ed25519PrivateKey:  # type: ignore[no-untyped-def]
    k = Ed25519PrivateKey(seed.to_bytes(32, "big"))
    executed(
        w.run(
            w.txn(
                parent,
                sf(
                    "AccountAdministrationScripts",
                    "rotate_dual_attestation_info",
                    [vec(b"https://x"), vec(bytes(k.public_key))],
                ),
            )
        )
    )
    return k


def test_travel_rule_above_limit() -> None:
    w, a, b = funded_world(coins=10_000)
    executed(pay(w, DD, a, 5_000_000_000))
    limit = 1_000_000_000
    metadata = b"\x02\x00\x01\x03ref"
    # no signature: malformed
    aborted(
        pay(w, a, b, limit, metadata=metadata),
        "DualAttestation",
        Category.INVALID_ARGUMENT,
        DualAttestationReason.EMALFORMED_METADATA_SIGNATURE,
    )
    # payee has no compliance key yet
    aborted(
        pay(w, a, b, limit, metadata=metadata, sig=b"\x00" * 64),
        "DualAttestation",
        Category.INVALID_STATE,
        DualAttestationReason.EPAYEE_COMPLIANCE_KEY_NOT_SET,
    )
    k = _compliance_key(w, b, 555)
    wrong = k.sign(b"something else")
    aborted(
        pay(w, a, b, limit, metadata=metadata, sig=bytes(wrong)),
        "DualAttestation",
        Category.INVALID_ARGUMENT,
        DualAttestationReason.EINVALID_METADATA_SIGNATURE,
    )
    good = k.sign(dual_attestation_message(metadata, a, limit))
    executed(pay(w, a, b, limit, metadata=metadata, sig=bytes(good)))
    # below the limit no signature is needed
    executed(pay(w, a, b, limit - 1))


def test_travel_rule_uses_parent_key_for_children_and_skips_same_vasp() -> None:
    w, a, b = funded_world(coins=10_000)
    executed(pay(w, DD, a, 5_000_000_000))
    child_b = create_child(w, b, 200)
    child_a = create_child(w, a, 201, initial=2_000_000_000)
    assert state(w, child_a).balances["LBR"] == 2_000_000_000
    k = _compliance_key(w, b, 556)
    limit = 1_000_000_000
    sig = k.sign(dual_attestation_message(b"m", child_a, limit))
    executed(pay(w, child_a, child_b, limit, metadata=b"m", sig=bytes(sig)))
    # same parent: no attestation
    executed(pay(w, a, child_a, limit))
    # a dealer is not a VASP: no attestation
    executed(pay(w, DD, b, limit))


def test_peer_to_peer_by_signers_needs_no_attestation() -> None:
    from libra.execution import execute_block
    from libra.types import (
        AccountEd25519,
        MultiAgentAuthenticator,
        RawTransaction,
        RawTransactionMultiAgent,
        SignedTransaction,
        UserTransaction,
    )

    w, a, b = funded_world(coins=10_000)
    executed(pay(w, DD, a, 5_000_000_000))
    payload = sf("PaymentScripts", "peer_to_peer_by_signers", [u64(2_000_000_000), vec(b"")], "LBR")
    raw = RawTransaction(a, 0, payload, 1_000_000, 0, "XUS", 10**10, 4)  # type: ignore[arg-type]
    msg = RawTransactionMultiAgent(raw, (b,)).signing_message()
    ka, kb = w.keys[a], w.keys[b]
    signed = SignedTransaction(
        raw,
        MultiAgentAuthenticator(
            AccountEd25519(ka.public_key, ka.sign(msg)),
            (b,),
            (AccountEd25519(kb.public_key, kb.sign(msg)),),
        ),
    )
    out = execute_block(w.view, [UserTransaction(signed)], signatures_verified=False)
    executed(out)


def test_legacy_p2p_script() -> None:
    import json
    from pathlib import Path

    from libra.types import (
        ArgAddress,
        ArgU8Vector,
        ArgU64,
        PayloadScript,
        Script,
        currency_type_tag,
    )

    vectors = json.loads(
        (Path(__file__).parents[1] / "vectors" / "signed_transactions.json").read_text()
    )["vectors"]
    code = next(
        bytes.fromhex(v["payload"]["script"]["code"])
        for v in vectors
        if v.get("function") == "peer_to_peer_with_metadata" and v["payload_kind"] == "script"
    )
    w, a, b = funded_world()
    script = Script(
        code,
        (currency_type_tag("LBR"),),
        (ArgAddress(b), ArgU64(77), ArgU8Vector(b""), ArgU8Vector(b"")),
    )
    out = w.run(w.txn(a, PayloadScript(script)))
    executed(out)
    assert state(w, b).balances["LBR"] == 100_000_077
    bad = Script(
        code,
        (currency_type_tag("LBR"),),
        (ArgU64(77), ArgAddress(b), ArgU8Vector(b""), ArgU8Vector(b"")),
    )
    from libra.framework import Keep
    from libra.types import MiscellaneousError

    assert w.run(w.txn(a, PayloadScript(bad))).outputs[0].status == Keep(MiscellaneousError())
