"""Every prologue check, with Diem's status; a discarded transaction changes nothing."""

from __future__ import annotations

from framework_world import (
    TC,
    aborted,
    discarded,
    executed,
    funded_world,
    key,
    sf,
    state,
    u64,
    vec,
)

from libra.execution import execute_block, validate_transaction
from libra.framework import StatusCode
from libra.framework.errors import Category, DiemAccountReason
from libra.types import (
    AccountAddress,
    ChangeSet,
    Module,
    MultiAgentAuthenticator,
    PayloadModule,
    PayloadScript,
    PayloadWriteSet,
    RawTransaction,
    Script,
    SignedTransaction,
    UserTransaction,
    WriteSet,
    WriteSetDirect,
)


def p2p(to: AccountAddress, amount: int = 1) -> object:
    return sf(
        "PaymentScripts",
        "peer_to_peer_with_metadata",
        [bytes(to), u64(amount), vec(b""), vec(b"")],
        "LBR",
    )


def test_discarded_transaction_changes_nothing() -> None:
    w, a, b = funded_world()
    before = dict(w.view.blobs)
    out = w.run(w.txn(a, p2p(b), seq=5))
    discarded(out, StatusCode.SEQUENCE_NUMBER_TOO_NEW)
    assert out.changed == {} and out.outputs[0].events == ()
    assert w.view.blobs == before


def test_sequence_numbers() -> None:
    w, a, b = funded_world()
    executed(w.run(w.txn(a, p2p(b))))
    discarded(w.run(w.txn(a, p2p(b), seq=0)), StatusCode.SEQUENCE_NUMBER_TOO_OLD)
    discarded(w.run(w.txn(a, p2p(b), seq=2)), StatusCode.SEQUENCE_NUMBER_TOO_NEW)
    discarded(w.run(w.txn(a, p2p(b), seq=2**64 - 1)), StatusCode.SEQUENCE_NUMBER_TOO_BIG)
    # the mempool accepts a future sequence number
    assert validate_transaction(w.view, w.txn(a, p2p(b), seq=7), 0) is None
    assert state(w, a).sequence_number == 1


def test_gas_bounds_and_price() -> None:
    w, a, b = funded_world()
    discarded(
        w.run(w.txn(a, p2p(b), max_gas=4_000_001)),
        StatusCode.MAX_GAS_UNITS_EXCEEDS_MAX_GAS_UNITS_BOUND,
    )
    discarded(
        w.run(w.txn(a, p2p(b), max_gas=599)),
        StatusCode.MAX_GAS_UNITS_BELOW_MIN_TRANSACTION_GAS_UNITS,
    )
    discarded(w.run(w.txn(a, p2p(b), price=10_001)), StatusCode.GAS_UNIT_PRICE_ABOVE_MAX_BOUND)
    discarded(w.run(w.txn(a, p2p(b), currency="EUR")), StatusCode.CURRENCY_INFO_DOES_NOT_EXIST)
    discarded(
        w.run(w.txn(a, p2p(b), currency="XDX", price=1)), StatusCode.BAD_TRANSACTION_FEE_CURRENCY
    )
    discarded(
        w.run(w.txn(a, p2p(b), currency="LBR", price=1000, max_gas=1_000_000)),
        StatusCode.INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE,
    )
    # XDX at price zero is accepted, as Diem did
    executed(w.run(w.txn(a, p2p(b), currency="XDX", price=0)))


def test_size_limit() -> None:
    w, a, b = funded_world()
    big = sf(
        "PaymentScripts",
        "peer_to_peer_with_metadata",
        [bytes(b), u64(1), vec(b"x" * 4000), vec(b"")],
        "LBR",
    )
    discarded(w.run(w.txn(a, big)), StatusCode.EXCEEDED_MAX_TRANSACTION_SIZE)
    # intrinsic gas grows beyond 600 bytes
    mid = sf(
        "PaymentScripts",
        "peer_to_peer_with_metadata",
        [bytes(b), u64(1), vec(b"x" * 1000), vec(b"")],
        "LBR",
    )
    out = w.run(w.txn(a, mid))
    executed(out)
    assert out.outputs[0].gas_used > 600 + 100 + 8 * 400


def test_sender_checks() -> None:
    w, a, b = funded_world()
    ghost = AccountAddress.from_int(0xDEAD)
    discarded(w.run(w.txn(ghost, p2p(b), signer=key(5))), StatusCode.SENDING_ACCOUNT_DOES_NOT_EXIST)
    discarded(w.run(w.txn(a, p2p(b), signer=key(6))), StatusCode.INVALID_AUTH_KEY)
    discarded(w.run(w.txn(a, p2p(b), chain_id=1)), StatusCode.BAD_CHAIN_ID)
    discarded(w.run(w.txn(a, p2p(b), expiry=1)), StatusCode.TRANSACTION_EXPIRED)
    executed(
        w.run(w.txn(TC, sf("TreasuryComplianceScripts", "freeze_account", [u64(0), bytes(a)])))
    )
    discarded(w.run(w.txn(a, p2p(b))), StatusCode.SENDING_ACCOUNT_FROZEN)
    executed(
        w.run(w.txn(TC, sf("TreasuryComplianceScripts", "unfreeze_account", [u64(0), bytes(a)])))
    )
    executed(w.run(w.txn(a, p2p(b), seq=0)))


def test_signature_checked_unless_verified() -> None:
    w, a, b = funded_world()
    good = w.txn(a, p2p(b))
    forged = SignedTransaction(
        RawTransaction(a, 0, p2p(b, 2), 1_000_000, 0, "XUS", 10**10, 4),  # type: ignore[arg-type]
        good.authenticator,
    )
    out = execute_block(w.view, [UserTransaction(forged)], signatures_verified=False)
    discarded(out, StatusCode.INVALID_SIGNATURE)
    assert validate_transaction(w.view, forged, 0) == StatusCode.INVALID_SIGNATURE
    assert validate_transaction(w.view, good, 0) is None
    assert validate_transaction(w.view, good, 10**11) == StatusCode.TRANSACTION_EXPIRED


def test_payload_kinds() -> None:
    w, a, _ = funded_world()
    discarded(
        w.run(w.txn(a, PayloadScript(Script(b"\x00bogus", (), ())))), StatusCode.UNKNOWN_SCRIPT
    )
    discarded(w.run(w.txn(a, PayloadModule(Module(b"\x00")))), StatusCode.INVALID_MODULE_PUBLISHER)
    discarded(
        w.run(w.txn(a, PayloadWriteSet(WriteSetDirect(ChangeSet(WriteSet(()), ()))))),
        StatusCode.REJECTED_WRITE_SET,
    )
    discarded(w.run(w.txn(a, sf("NoSuchModule", "f", []))), StatusCode.UNKNOWN_MODULE)
    discarded(w.run(w.txn(a, sf("PaymentScripts", "nope", []))), StatusCode.UNKNOWN_SCRIPT)
    # a two-signer function sent by one signer
    two = sf("PaymentScripts", "peer_to_peer_by_signers", [u64(1), vec(b"")], "LBR")
    discarded(w.run(w.txn(a, two)), StatusCode.SECONDARY_KEYS_ADDRESSES_COUNT_MISMATCH)


def test_bad_arguments_are_kept_as_miscellaneous_error() -> None:
    from libra.framework import Keep
    from libra.types import MiscellaneousError

    w, a, b = funded_world()
    bad = sf("PaymentScripts", "peer_to_peer_with_metadata", [bytes(b), u64(1)], "LBR")
    out = w.run(w.txn(a, bad))
    assert out.outputs[0].status == Keep(MiscellaneousError())
    assert state(w, a).sequence_number == 1
    no_ty = sf(
        "PaymentScripts", "peer_to_peer_with_metadata", [bytes(b), u64(1), vec(b""), vec(b"")]
    )
    assert w.run(w.txn(a, no_ty)).outputs[0].status == Keep(MiscellaneousError())
    garbled = sf(
        "PaymentScripts",
        "peer_to_peer_with_metadata",
        [bytes(b), b"\x01", vec(b""), vec(b"")],
        "LBR",
    )
    assert w.run(w.txn(a, garbled)).outputs[0].status == Keep(MiscellaneousError())


def test_fees_are_charged_collected_and_burned() -> None:
    from libra.framework import root_config, treasury_config

    w, a, b = funded_world()
    before = state(w, a).balances["LBR"]
    out = w.run(w.txn(a, p2p(b, 10), currency="LBR", price=2, max_gas=1000))
    executed(out)
    fee = out.outputs[0].gas_used * 2
    assert state(w, a).balances["LBR"] == before - 10 - fee
    assert treasury_config(w.view).fees["LBR"] == fee
    supply = root_config(w.view).currencies["LBR"].total_value
    executed(w.run(w.txn(TC, sf("TreasuryComplianceScripts", "burn_txn_fees", [], "LBR"))))
    assert treasury_config(w.view).fees["LBR"] == 0
    assert root_config(w.view).currencies["LBR"].total_value == supply - fee
    aborted(
        w.run(w.txn(TC, sf("TreasuryComplianceScripts", "burn_txn_fees", [], "XDX"))),
        "TransactionFee",
        Category.NOT_PUBLISHED,
        0,
    )


def test_abort_still_charges_gas_and_bumps_sequence() -> None:
    w, a, b = funded_world()
    before = state(w, a).balances["LBR"]
    out = w.run(w.txn(a, p2p(b, 10**12), currency="LBR", price=1, max_gas=1000))
    aborted(out, "DiemAccount", Category.LIMIT_EXCEEDED, DiemAccountReason.EINSUFFICIENT_BALANCE)
    assert state(w, a).sequence_number == 1
    assert state(w, a).balances["LBR"] == before - out.outputs[0].gas_used
    assert out.outputs[0].events == ()


def test_out_of_gas() -> None:
    from libra.framework import Keep
    from libra.types import OutOfGas

    w, a, b = funded_world()
    out = w.run(w.txn(a, p2p(b, 10), max_gas=650))
    assert out.outputs[0].status == Keep(OutOfGas())
    assert out.outputs[0].gas_used == 650
    assert state(w, b).balances["LBR"] == 100_000_000


def test_multi_agent_checks() -> None:
    w, a, b = funded_world()
    two = sf("PaymentScripts", "peer_to_peer_by_signers", [u64(5), vec(b"")], "LBR")
    raw = RawTransaction(a, 0, two, 1_000_000, 0, "XUS", 10**10, 4)  # type: ignore[arg-type]
    from libra.types import AccountEd25519, RawTransactionMultiAgent

    def multi(secondary: AccountAddress, signer_key: object) -> SignedTransaction:
        msg = RawTransactionMultiAgent(raw, (secondary,)).signing_message()
        ka, kb = w.keys[a], signer_key
        return SignedTransaction(
            raw,
            MultiAgentAuthenticator(
                AccountEd25519(ka.public_key, ka.sign(msg)),
                (secondary,),
                (AccountEd25519(kb.public_key, kb.sign(msg)),),  # type: ignore[attr-defined]
            ),
        )

    discarded(w.run(multi(b, key(77))), StatusCode.INVALID_AUTH_KEY)
    discarded(w.run(multi(a, w.keys[a])), StatusCode.SIGNERS_CONTAIN_DUPLICATES)
    out = execute_block(w.view, [UserTransaction(multi(b, w.keys[b]))], signatures_verified=False)
    executed(out)
    w.view.apply(out.changed)
    assert state(w, b).balances["LBR"] == 100_000_005
