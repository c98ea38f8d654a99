"""Failure paths of the script functions (and the prologue) that the per-area tests do not reach,
each checked for its exact status: Move aborts by module, category and reason, arithmetic
overflows as execution failures, and prologue rejections as discards.

Some paths cannot be reached by transactions from a consistent state (a parent VASP without its
record, a full recovery address); those tests edit an account's stored state directly."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from framework_world import (
    CUSTODIAN,
    DD,
    MEMBER_KEYS,
    ROOT,
    TC,
    World,
    aborted,
    addr_of,
    auth,
    create_child,
    discarded,
    executed,
    funded_world,
    key,
    mint,
    pay,
    prefix,
    sf,
    state,
    u64,
    vec,
)

from libra import bcs
from libra.execution import BlockOutput, execute_block
from libra.framework import (
    AddMember,
    DictStateView,
    Keep,
    RegisterCurrency,
    RegisterDealer,
    RemoveMember,
    SetCoverageBuffer,
    SetDualAttestationLimit,
    StatusCode,
    root_config,
    treasury_config,
)
from libra.framework import association as assoc_module
from libra.framework.errors import (
    AssociationReason,
    Category,
    DiemAccountReason,
    DiemReason,
    DualAttestationReason,
    RecoveryAddressReason,
    RolesReason,
    SlidingNonceReason,
    ValidatorReason,
    VaspReason,
    module_id,
)
from libra.framework.ops import U64_MAX
from libra.framework.scripts import MAX_RECOVERY_KEYS, SCRIPTS, decode_args
from libra.framework.state import (
    ROLE_PARENT_VASP,
    ROLE_TREASURY_COMPLIANCE,
    AccountState,
    RecoveryAddress,
)
from libra.types import (
    CORE_CODE_ADDRESS,
    AbortInModule,
    AccountAddress,
    AccountEd25519,
    ExecutionFailure,
    MiscellaneousError,
    ModuleId,
    MultiAgentAuthenticator,
    PayloadScriptFunction,
    RawTransaction,
    RawTransactionMultiAgent,
    ScriptFunction,
    SignedTransaction,
    TypeTagU64,
    UserTransaction,
    currency_type_tag,
)

ACS = "AccountCreationScripts"
AAS = "AccountAdministrationScripts"
TCS = "TreasuryComplianceScripts"
VAS = "ValidatorAdministrationScripts"
SAS = "SystemAdministrationScripts"
AS = "AssociationScripts"


def edit(w: World, address: AccountAddress, **changes: Any) -> None:
    """Rewrites the stored state of ``address`` (fields of AccountState)."""
    s = state(w, address)
    w.view.blobs[address] = bcs.encode(dataclasses.replace(s, **changes))


def edit_details(w: World, address: AccountAddress, **changes: Any) -> None:
    """Rewrites fields of the stored AccountDetails of ``address``."""
    s: AccountState = state(w, address)
    edit(w, address, details=dataclasses.replace(s.details, **changes))


def overflowed(out: BlockOutput, module: str, i: int = 0) -> None:
    """Transaction ``i`` was kept as an arithmetic failure located in 0x1::module."""
    st = out.outputs[i].status
    assert st == Keep(ExecutionFailure(AbortInModule(module_id(module)), 0, 0)), (
        st,
        out.outputs[i].detail,
    )


def propose(w: World, action: object, member: int = 0) -> BlockOutput:
    m = addr_of(MEMBER_KEYS[member])
    return w.run(w.txn(m, sf(AS, "propose", [vec(bcs.encode(action))])))


def test_every_script_function_is_registered_once() -> None:
    # the inventory these tests and the per-area ones cover: 39 script functions (37 of Diem's
    # framework and the association's propose and vote), each name used once
    assert len(SCRIPTS) == 39
    assert len({name for _, name in SCRIPTS}) == 39


# ---------------------------------------------------------------------------------------------
# AccountAdministrationScripts


def test_rotate_authentication_key_with_nonce() -> None:
    w, a, b = funded_world()
    new_k = key(900)
    new_auth = auth(new_k)
    # nonce 0 is always accepted, even without a sliding nonce resource
    executed(
        w.run(w.txn(a, sf(AAS, "rotate_authentication_key_with_nonce", [u64(0), vec(new_auth)])))
    )
    assert state(w, a).authentication_key == new_auth
    w.keys[a] = new_k
    executed(pay(w, a, b, 1))  # signs with the new key
    # Treasury Compliance has a sliding nonce: a used nonce is refused; a malformed key aborts
    # and rolls the nonce back, so the nonce can still be used
    tc_auth = state(w, TC).authentication_key
    bad = sf(AAS, "rotate_authentication_key_with_nonce", [u64(7), vec(b"\x01" * 31)])
    aborted(
        w.run(w.txn(TC, bad)),
        "DiemAccount",
        Category.INVALID_ARGUMENT,
        DiemAccountReason.EMALFORMED_AUTHENTICATION_KEY,
    )
    assert state(w, TC).details.sliding_nonce.nonce_mask == 0  # type: ignore[union-attr]
    same = sf(AAS, "rotate_authentication_key_with_nonce", [u64(7), vec(tc_auth)])
    executed(w.run(w.txn(TC, same)))
    aborted(
        w.run(w.txn(TC, same)),
        "SlidingNonce",
        Category.INVALID_ARGUMENT,
        SlidingNonceReason.ENONCE_ALREADY_RECORDED,
    )


def test_recovery_address_cannot_rotate_an_account_that_did_not_delegate() -> None:
    w, a, _ = funded_world()
    c = create_child(w, a, 910)
    executed(w.run(w.txn(a, sf(AAS, "create_recovery_address", []))))
    # the signer is the recovery address, but c never gave it its capability
    args = [bytes(a), bytes(c), vec(b"\x07" * 32)]
    aborted(
        w.run(w.txn(a, sf(AAS, "rotate_authentication_key_with_recovery_address", args))),
        "RecoveryAddress",
        Category.INVALID_ARGUMENT,
        RecoveryAddressReason.ECANNOT_ROTATE_KEY,
    )
    executed(w.run(w.txn(c, sf(AAS, "add_recovery_rotation_capability", [bytes(a)]))))
    bad_key = [bytes(a), bytes(c), vec(b"\x07" * 31)]
    aborted(
        w.run(w.txn(a, sf(AAS, "rotate_authentication_key_with_recovery_address", bad_key))),
        "DiemAccount",
        Category.INVALID_ARGUMENT,
        DiemAccountReason.EMALFORMED_AUTHENTICATION_KEY,
    )


def test_recovery_address_holds_at_most_256_capabilities() -> None:
    w, a, _ = funded_world()
    c = create_child(w, a, 920)
    executed(w.run(w.txn(a, sf(AAS, "create_recovery_address", []))))
    full = tuple(AccountAddress.from_int(0x5000 + i) for i in range(MAX_RECOVERY_KEYS))
    edit_details(w, a, recovery=RecoveryAddress(full))
    aborted(
        w.run(w.txn(c, sf(AAS, "add_recovery_rotation_capability", [bytes(a)]))),
        "RecoveryAddress",
        Category.LIMIT_EXCEEDED,
        RecoveryAddressReason.EMAX_KEYS_REGISTERED,
    )
    assert state(w, c).details.key_rotation_delegated_to is None


# ---------------------------------------------------------------------------------------------
# AccountCreationScripts


def test_child_creation_needs_the_parent_vasp_record() -> None:
    w, a, _ = funded_world()
    assert state(w, a).role == ROLE_PARENT_VASP
    edit_details(w, a, parent_vasp=None)
    k, c = w.new_key_account(930)
    out = w.run(
        w.txn(
            a,
            sf(
                ACS, "create_child_vasp_account", [bytes(c), vec(prefix(k)), b"\x00", u64(0)], "LBR"
            ),
        )
    )
    aborted(out, "VASP", Category.NOT_PUBLISHED, VaspReason.EPARENT_VASP)


def test_address_argument_of_wrong_length_is_a_miscellaneous_error() -> None:
    w, a, _ = funded_world()
    p2p = sf(
        "PaymentScripts",
        "peer_to_peer_with_metadata",
        [b"\x01" * 15, u64(1), vec(b""), vec(b"")],
        "LBR",
    )
    out = w.run(w.txn(a, p2p))
    assert out.outputs[0].status == Keep(MiscellaneousError())
    assert "address argument of 15 bytes" in out.outputs[0].detail
    assert state(w, a).sequence_number == 1


def test_decode_args_checks_the_argument_count() -> None:
    assert decode_args(("u64", "bool"), (u64(5), b"\x01")) == [5, True]
    with pytest.raises(bcs.DecodeError):
        decode_args(("u64",), (u64(5), b"\x01"))


# ---------------------------------------------------------------------------------------------
# TreasuryComplianceScripts


def test_preburn_queue_is_bounded() -> None:
    w, _, _ = funded_world()
    dealer = state(w, DD).details.dealer
    assert dealer is not None
    edit_details(w, DD, dealer=dataclasses.replace(dealer, preburns={"LBR": (1,) * 256}))
    aborted(
        w.run(w.txn(DD, sf(TCS, "preburn", [u64(5)], "LBR"))),
        "Diem",
        Category.LIMIT_EXCEEDED,
        DiemReason.EMAX_OUTSTANDING_PREBURNS_REACHED,
    )


def test_preburn_of_a_currency_the_dealer_does_not_hold() -> None:
    w = World()
    k, d = w.new_key_account(940)
    create = [u64(0), bytes(d), vec(prefix(k)), vec(b"lbr-only"), b"\x00"]
    executed(w.run(w.txn(TC, sf(ACS, "create_designated_dealer", create, "LBR"))))
    assert state(w, d).balances == {"LBR": 0}
    aborted(
        w.run(w.txn(d, sf(TCS, "preburn", [u64(5)], "XUS"))),
        "DiemAccount",
        Category.NOT_PUBLISHED,
        DiemAccountReason.EPAYER_DOESNT_HOLD_CURRENCY,
    )
    # minting a currency the dealer does not accept is refused too, and changes nothing
    supply = root_config(w.view).currencies["XUS"].total_value
    aborted(
        mint(w, 1_000, "XUS", to=d),
        "DiemAccount",
        Category.INVALID_ARGUMENT,
        DiemAccountReason.EPAYEE_CANT_ACCEPT_CURRENCY_TYPE,
    )
    assert root_config(w.view).currencies["XUS"].total_value == supply


def test_exchange_rate_too_large_for_fixed_point32() -> None:
    w = World()
    args = [u64(0), u64(1 << 40), u64(1)]
    out = w.run(w.txn(TC, sf(TCS, "update_exchange_rate", args, "XUS")))
    aborted(out, "FixedPoint32", Category.LIMIT_EXCEEDED, 4)


def test_sliding_nonce_window_jumps_forward() -> None:
    w = World()
    limit = [u64(1000), u64(5)]
    executed(w.run(w.txn(TC, sf(TCS, "update_dual_attestation_limit", limit))))
    sn = state(w, TC).details.sliding_nonce
    assert sn is not None and sn.min_nonce == 1000 + 1 - 128
    aborted(
        w.run(w.txn(TC, sf(TCS, "update_dual_attestation_limit", [u64(872), u64(5)]))),
        "SlidingNonce",
        Category.INVALID_ARGUMENT,
        SlidingNonceReason.ENONCE_TOO_OLD,
    )
    # a smaller jump shifts the window without clearing it
    executed(w.run(w.txn(TC, sf(TCS, "update_dual_attestation_limit", [u64(1010), u64(6)]))))
    sn = state(w, TC).details.sliding_nonce
    assert sn is not None and sn.min_nonce == 1010 + 1 - 128
    aborted(
        w.run(w.txn(TC, sf(TCS, "update_dual_attestation_limit", [u64(1000), u64(7)]))),
        "SlidingNonce",
        Category.INVALID_ARGUMENT,
        SlidingNonceReason.ENONCE_ALREADY_RECORDED,
    )


def test_role_checks_after_the_address_check() -> None:
    w = World()
    edit(w, ROOT, role=ROLE_TREASURY_COMPLIANCE)
    aborted(
        w.run(w.txn(ROOT, sf(SAS, "update_diem_version", [u64(0), u64(99)]))),
        "Roles",
        Category.REQUIRES_ROLE,
        RolesReason.EDIEM_ROOT,
    )
    w = World()
    edit(w, TC, role=ROLE_PARENT_VASP)
    aborted(
        w.run(w.txn(TC, sf(TCS, "tiered_mint", [u64(0), bytes(DD), u64(5), u64(0)], "XUS"))),
        "Roles",
        Category.REQUIRES_ROLE,
        RolesReason.ETREASURY_COMPLIANCE,
    )


# ---------------------------------------------------------------------------------------------
# Arithmetic overflows: kept as execution failures, nothing changes but gas and the sequence


def test_payment_overflowing_the_payee_balance() -> None:
    w, a, b = funded_world()
    edit(w, b, balances={"LBR": U64_MAX - 5})
    before = state(w, a).balances["LBR"]
    out = pay(w, a, b, 10)
    overflowed(out, "DiemAccount")
    assert out.outputs[0].events == ()
    assert state(w, a).balances["LBR"] == before and state(w, a).sequence_number == 1
    assert state(w, b).balances["LBR"] == U64_MAX - 5


def test_mint_overflowing_the_dealer_balance() -> None:
    w = World()
    edit(w, DD, balances={"LBR": 0, "XUS": U64_MAX})
    overflowed(mint(w, 1, "XUS"), "DiemAccount")
    assert state(w, DD).balances["XUS"] == U64_MAX


def test_reserve_holdings_overflow() -> None:
    w = World()
    deposit = [vec(b"USD"), b"\x00", u64(U64_MAX), vec(b"wire")]
    executed(w.run(w.txn(CUSTODIAN, sf("ReserveScripts", "record_deposit", deposit))))
    deposit = [vec(b"USD"), b"\x00", u64(1), vec(b"wire")]
    overflowed(w.run(w.txn(CUSTODIAN, sf("ReserveScripts", "record_deposit", deposit))), "Reserve")
    assert treasury_config(w.view).reserve.assets["USD"].holdings == {0: U64_MAX}


# ---------------------------------------------------------------------------------------------
# ValidatorAdministrationScripts


def test_validator_scripts_refuse_accounts_of_other_kinds() -> None:
    w = World()
    aborted(
        w.run(
            w.txn(ROOT, sf(VAS, "add_validator_and_reconfigure", [u64(0), vec(b"x"), bytes(DD)]))
        ),
        "ValidatorConfig",
        Category.NOT_PUBLISHED,
        ValidatorReason.EVALIDATOR_CONFIG,
    )
    member = addr_of(MEMBER_KEYS[0])  # a validator from genesis
    aborted(
        w.run(w.txn(member, sf(VAS, "set_validator_operator", [vec(b"op"), bytes(TC)]))),
        "ValidatorOperatorConfig",
        Category.NOT_PUBLISHED,
        0,
    )
    rm = [u64(0), vec(b"not-its-name"), bytes(member)]
    aborted(
        w.run(w.txn(ROOT, sf(VAS, "remove_validator_and_reconfigure", rm))),
        "DiemSystem",
        Category.INVALID_ARGUMENT,
        ValidatorReason.EINVALID_PROSPECTIVE_VALIDATOR,
    )
    assert any(v.addr == member for v in root_config(w.view).validators)


# ---------------------------------------------------------------------------------------------
# AssociationScripts: actions that fail when the proposal passes


def test_association_actions_that_fail() -> None:
    w = World(members=1)
    m0 = addr_of(MEMBER_KEYS[0])
    nk = bytes(key(950).public_key)
    cases: list[tuple[object, Category, AssociationReason]] = [
        (
            AddMember(m0, prefix(MEMBER_KEYS[0]), b"again", nk, b"", b""),
            Category.INVALID_ARGUMENT,
            AssociationReason.EALREADY_A_MEMBER,
        ),
        (
            RemoveMember(addr_of(key(951))),
            Category.INVALID_ARGUMENT,
            AssociationReason.ENOT_A_MEMBER,
        ),
        (
            RegisterCurrency("NEWC", 0, 100, 1, 1),
            Category.INVALID_ARGUMENT,
            AssociationReason.EPROPOSAL_FAILED,
        ),
        (
            RegisterCurrency("NEWC", 1_000_000, 0, 1, 1),
            Category.INVALID_ARGUMENT,
            AssociationReason.EPROPOSAL_FAILED,
        ),
        (
            RegisterDealer(addr_of(key(952)), prefix(key(952)), b"d", ()),
            Category.INVALID_ARGUMENT,
            AssociationReason.EPROPOSAL_FAILED,
        ),
        (
            SetCoverageBuffer(1_000_001),
            Category.INVALID_ARGUMENT,
            AssociationReason.EPROPOSAL_FAILED,
        ),
    ]
    for action, category, reason in cases:
        out = propose(w, action)
        aborted(out, "Association", category, reason)
        assert out.outputs[0].events == ()  # the proposal itself was rolled back
    assert root_config(w.view).association.proposals == ()
    assert treasury_config(w.view).reserve.coverage_buffer_bps == 0
    executed(propose(w, SetCoverageBuffer(1_000_000)))  # the bound itself is allowed


def test_association_member_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(members=1)
    monkeypatch.setattr(assoc_module, "MAX_MEMBERS", 1)
    k = key(960)
    action = AddMember(addr_of(k), prefix(k), b"m", bytes(key(961).public_key), b"", b"")
    aborted(
        propose(w, action),
        "Association",
        Category.LIMIT_EXCEEDED,
        AssociationReason.EALREADY_A_MEMBER,
    )


def test_at_most_16_open_proposals() -> None:
    w = World(members=3)  # one vote of three: proposals stay open
    m0 = addr_of(MEMBER_KEYS[0])
    txns = [
        w.txn(m0, sf(AS, "propose", [vec(bcs.encode(SetDualAttestationLimit(i)))]))
        for i in range(assoc_module.MAX_OPEN_PROPOSALS + 1)
    ]
    out = w.run(*txns)
    for i in range(assoc_module.MAX_OPEN_PROPOSALS):
        assert out.outputs[i].is_kept and out.outputs[i].status == out.outputs[0].status
    executed(BlockOutput(out.outputs[:-1], {}, None))
    aborted(
        out,
        "Association",
        Category.LIMIT_EXCEEDED,
        AssociationReason.ETOO_MANY_PROPOSALS,
        i=assoc_module.MAX_OPEN_PROPOSALS,
    )
    assert len(root_config(w.view).association.proposals) == assoc_module.MAX_OPEN_PROPOSALS


# ---------------------------------------------------------------------------------------------
# Prologue and epilogue


def test_module_outside_the_framework_is_unknown() -> None:
    w, a, b = funded_world()
    payload = PayloadScriptFunction(
        ScriptFunction(
            ModuleId(AccountAddress.from_int(0x42), "PaymentScripts"),
            "peer_to_peer_with_metadata",
            (currency_type_tag("LBR"),),
            (bytes(b), u64(1), vec(b""), vec(b"")),
        )
    )
    discarded(w.run(w.txn(a, payload)), StatusCode.UNKNOWN_MODULE)
    assert AccountAddress.from_int(0x42) != CORE_CODE_ADDRESS


def test_state_without_genesis_rejects_transactions() -> None:
    w, a, b = funded_world()
    signed = w.txn(
        a,
        sf(
            "PaymentScripts",
            "peer_to_peer_with_metadata",
            [bytes(b), u64(1), vec(b""), vec(b"")],
            "LBR",
        ),
    )
    out = execute_block(DictStateView(), [UserTransaction(signed)])
    assert out.outputs[0].status.status == StatusCode.UNKNOWN_VALIDATION_STATUS  # type: ignore[union-attr]
    assert out.changed == {}


def _multi_agent(
    w: World,
    sender: AccountAddress,
    secondary: tuple[AccountAddress, ...],
    secondary_keys: list[Any],
) -> SignedTransaction:
    two = sf("PaymentScripts", "peer_to_peer_by_signers", [u64(5), vec(b"")], "LBR")
    raw = RawTransaction(sender, 0, two, 1_000_000, 0, "XUS", 10**10, 4)  # type: ignore[arg-type]
    msg = RawTransactionMultiAgent(raw, secondary).signing_message()
    ks = w.keys[sender]
    return SignedTransaction(
        raw,
        MultiAgentAuthenticator(
            AccountEd25519(ks.public_key, ks.sign(msg)),
            secondary,
            tuple(AccountEd25519(k.public_key, k.sign(msg)) for k in secondary_keys),
        ),
    )


def test_multi_agent_secondary_signer_checks() -> None:
    w, a, b = funded_world()
    kb = w.keys[b]
    discarded(
        w.run(_multi_agent(w, a, (b,), [])), StatusCode.SECONDARY_KEYS_ADDRESSES_COUNT_MISMATCH
    )
    ghost_k, ghost = w.new_key_account(970)
    discarded(
        w.run(_multi_agent(w, a, (ghost,), [ghost_k])), StatusCode.SENDING_ACCOUNT_DOES_NOT_EXIST
    )
    executed(w.run(w.txn(TC, sf(TCS, "freeze_account", [u64(0), bytes(b)]))))
    discarded(w.run(_multi_agent(w, a, (b,), [kb])), StatusCode.SENDING_ACCOUNT_FROZEN)


def test_fee_unpayable_after_the_script_aborts_it() -> None:
    w, a, b = funded_world()
    have = state(w, a).balances["LBR"]
    # the prologue sees enough for max_gas * price, but the payment leaves less than the fee
    out = w.run(
        w.txn(
            a,
            sf(
                "PaymentScripts",
                "peer_to_peer_with_metadata",
                [bytes(b), u64(have - 10), vec(b""), vec(b"")],
                "LBR",
            ),
            currency="LBR",
            price=1,
            max_gas=1000,
        )
    )
    aborted(out, "DiemAccount", Category.LIMIT_EXCEEDED, DiemAccountReason.EINSUFFICIENT_BALANCE)
    fee = out.outputs[0].gas_used
    assert fee > 10
    assert state(w, a).balances["LBR"] == have - fee  # payment rolled back, fee charged
    assert state(w, b).balances["LBR"] == 100_000_000
    assert treasury_config(w.view).fees["LBR"] == fee


def test_type_argument_that_is_not_a_currency() -> None:
    w, a, b = funded_world()
    payload = PayloadScriptFunction(
        ScriptFunction(
            ModuleId(CORE_CODE_ADDRESS, "PaymentScripts"),
            "peer_to_peer_with_metadata",
            (TypeTagU64(),),
            (bytes(b), u64(1), vec(b""), vec(b"")),
        )
    )
    out = w.run(w.txn(a, payload))
    aborted(out, "Diem", Category.NOT_PUBLISHED, DiemReason.ECURRENCY_INFO)
    assert "'u64'" in out.outputs[0].detail


def test_travel_rule_with_an_unusable_stored_compliance_key() -> None:
    w, a, b = funded_world(coins=10_000)
    executed(pay(w, DD, a, 5_000_000_000))
    cred = state(w, b).details.credential
    assert cred is not None
    identity = b"\x01" + bytes(31)  # a small-order point: not a usable Ed25519 key
    edit_details(w, b, credential=dataclasses.replace(cred, compliance_public_key=identity))
    limit = root_config(w.view).dual_attestation_limit
    assert limit > 0
    aborted(
        pay(w, a, b, 1_000_000_000, metadata=b"\x02ref", sig=b"\x11" * 64),
        "DualAttestation",
        Category.INVALID_ARGUMENT,
        DualAttestationReason.EINVALID_METADATA_SIGNATURE,
    )
