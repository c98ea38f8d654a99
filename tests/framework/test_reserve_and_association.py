"""The reserve (custodians, coverage) and association governance."""

from __future__ import annotations

from framework_world import (
    CUSTODIAN,
    DD,
    MEMBER_KEYS,
    TC,
    World,
    aborted,
    addr_of,
    executed,
    fund_reserve,
    key,
    mint,
    prefix,
    sf,
    state,
    u64,
    vec,
)

from libra import bcs
from libra.framework import (
    AddMember,
    RegisterCurrency,
    RegisterCustodian,
    RegisterDealer,
    RemoveMember,
    SetCoverageBuffer,
    SetDualAttestationLimit,
    epoch_state,
    reserve_report,
    root_config,
    treasury_config,
)
from libra.framework import events as ev
from libra.framework.errors import AssociationReason, Category, ReserveReason, RolesReason
from libra.framework.state import ROLE_CUSTODIAN, ROLE_DESIGNATED_DEALER
from libra.types import SignedTransaction

RS = "ReserveScripts"
AS = "AssociationScripts"


def deposit(code: bytes, kind: int, amount: int, ref: bytes = b"wire-1") -> object:
    return sf(RS, "record_deposit", [vec(code), bytes([kind]), u64(amount), vec(ref)])


def withdraw(code: bytes, kind: int, amount: int, ref: bytes = b"wire-2") -> object:
    return sf(RS, "record_withdrawal", [vec(code), bytes([kind]), u64(amount), vec(ref)])


def test_custodian_records_and_coverage_limits_withdrawals() -> None:
    w = World()
    out = w.run(w.txn(CUSTODIAN, deposit(b"USD", 1, 100)))  # type: ignore[arg-type]
    executed(out)
    assert out.outputs[0].events[0].type_tag == ev.RESERVE_DEPOSIT
    assert treasury_config(w.view).reserve.assets["USD"].holdings == {1: 100}
    for bad, reason in (
        (deposit(b"CHF", 0, 1), ReserveReason.EUNKNOWN_ASSET),
        (deposit(b"USD", 2, 1), ReserveReason.EINVALID_KIND),
        (deposit(b"USD", 0, 0), ReserveReason.EINVALID_AMOUNT),
        (deposit(b"USD", 0, 1, b""), ReserveReason.EREFERENCE),
        (withdraw(b"USD", 0, 1), ReserveReason.EINSUFFICIENT_HOLDINGS),
    ):
        cat = (
            Category.LIMIT_EXCEEDED
            if reason == ReserveReason.EINSUFFICIENT_HOLDINGS
            else Category.INVALID_ARGUMENT
        )
        aborted(w.run(w.txn(CUSTODIAN, bad)), "Reserve", cat, reason)  # type: ignore[arg-type]
    aborted(
        w.run(w.txn(DD, deposit(b"USD", 0, 1))),
        "Roles",
        Category.REQUIRES_ROLE,  # type: ignore[arg-type]
        RolesReason.ECUSTODIAN,
    )
    executed(w.run(w.txn(CUSTODIAN, withdraw(b"USD", 1, 100))))  # type: ignore[arg-type]
    fund_reserve(w, 10)
    executed(mint(w, 10_000_000))
    report = reserve_report(w.view)
    assert report.lbr_supply == 10_000_000 and report.coverage_bps == 10_000
    # a payout that would leave LBR under-covered fails
    aborted(
        w.run(w.txn(CUSTODIAN, withdraw(b"JPY", 0, 1))),
        "Reserve",
        Category.LIMIT_EXCEEDED,  # type: ignore[arg-type]
        ReserveReason.ECOVERAGE,
    )
    # burning LBR frees the matching reserve
    executed(w.run(w.txn(DD, sf("TreasuryComplianceScripts", "preburn", [u64(1_000_000)], "LBR"))))
    executed(
        w.run(
            w.txn(
                TC,
                sf(
                    "TreasuryComplianceScripts",
                    "burn_with_amount",
                    [u64(0), bytes(DD), u64(1_000_000)],
                    "LBR",
                ),
            )
        )
    )
    executed(w.run(w.txn(CUSTODIAN, withdraw(b"JPY", 0, 15))))  # type: ignore[arg-type]
    aborted(
        w.run(w.txn(CUSTODIAN, withdraw(b"JPY", 0, 1))),
        "Reserve",
        Category.LIMIT_EXCEEDED,  # type: ignore[arg-type]
        ReserveReason.ECOVERAGE,
    )
    assert reserve_report(w.view).coverage_bps == 10_000


def test_reserve_rate_update() -> None:
    w = World()
    fund_reserve(w, 1)

    def call(n: int, d: int) -> SignedTransaction:
        return w.txn(TC, sf(RS, "update_reserve_rate", [u64(0), vec(b"EUR"), u64(n), u64(d)]))

    executed(w.run(call(12_000, 1)))
    assert treasury_config(w.view).reserve.assets["EUR"].rate_numerator == 12_000
    aborted(w.run(call(1, 0)), "Reserve", Category.INVALID_ARGUMENT, ReserveReason.EINVALID_RATE)
    aborted(
        w.run(
            w.txn(CUSTODIAN, sf(RS, "update_reserve_rate", [u64(0), vec(b"EUR"), u64(1), u64(1)]))
        ),
        "CoreAddresses",
        Category.REQUIRES_ADDRESS,
        1,
    )
    assert (
        reserve_report(w.view).value_micro_xdx
        == 50 * 10_000 + 16 * 12_000 + 15 * 9_300 + 9 * 12_400 + 10 * 7_250
    )


def propose(w: World, member_index: int, action: object) -> object:
    m = addr_of(MEMBER_KEYS[member_index])
    return w.run(w.txn(m, sf(AS, "propose", [vec(bcs.encode(action))])))


def vote(w: World, member_index: int, pid: int) -> object:
    m = addr_of(MEMBER_KEYS[member_index])
    return w.run(w.txn(m, sf(AS, "vote", [u64(pid)])))


def test_two_thirds_of_members_pass_a_proposal() -> None:
    w = World(members=3)
    executed(propose(w, 0, SetDualAttestationLimit(7)))  # type: ignore[arg-type]
    assert root_config(w.view).dual_attestation_limit != 7
    aborted(vote(w, 0, 0), "Association", Category.INVALID_STATE, AssociationReason.EALREADY_VOTED)  # type: ignore[arg-type]
    aborted(
        vote(w, 1, 9), "Association", Category.NOT_PUBLISHED, AssociationReason.EPROPOSAL_NOT_FOUND
    )  # type: ignore[arg-type]
    out = vote(w, 1, 0)
    executed(out)  # type: ignore[arg-type]
    assert root_config(w.view).dual_attestation_limit == 7
    assert root_config(w.view).association.proposals == ()
    # non-members cannot propose, malformed actions are refused
    aborted(
        w.run(w.txn(DD, sf(AS, "propose", [vec(bcs.encode(SetDualAttestationLimit(1)))]))),
        "Association",
        Category.REQUIRES_ROLE,
        AssociationReason.ENOT_A_MEMBER,
    )
    m0 = addr_of(MEMBER_KEYS[0])
    aborted(
        w.run(w.txn(m0, sf(AS, "propose", [vec(b"\x63")]))),
        "Association",
        Category.INVALID_ARGUMENT,
        AssociationReason.EPROPOSAL_MALFORMED,
    )


def test_association_actions() -> None:
    w = World(members=1)
    fund_reserve(w, 1)
    new_member = key(3000)
    nm = addr_of(new_member)
    w.keys[nm] = new_member
    epoch = epoch_state(w.view).epoch
    executed(
        propose(
            w, 0, AddMember(nm, prefix(new_member), b"m2", bytes(key(3001).public_key), b"", b"")
        )
    )  # type: ignore[arg-type]
    assert nm in root_config(w.view).association.members
    assert epoch_state(w.view).epoch == epoch + 1
    assert nm in epoch_state(w.view).verifier.address_to_validator_info
    # now two members: one vote is not enough
    executed(propose(w, 0, SetCoverageBuffer(500)))  # type: ignore[arg-type]
    assert treasury_config(w.view).reserve.coverage_buffer_bps == 0
    executed(w.run(w.txn(nm, sf(AS, "vote", [u64(1)]))))
    assert treasury_config(w.view).reserve.coverage_buffer_bps == 500
    # LBR can no longer be minted without the buffer
    aborted(mint(w, 1_000_000), "Reserve", Category.LIMIT_EXCEEDED, ReserveReason.ECOVERAGE)
    k_c, k_d = key(3002), key(3003)
    c, d = addr_of(k_c), addr_of(k_d)
    for i, action in enumerate(
        [
            RegisterCustodian(c, prefix(k_c), b"bank2"),
            RegisterDealer(d, prefix(k_d), b"dealer2", ("XUS",)),
            RegisterCurrency("EURL", 1_000_000, 100, 11, 10),
            RemoveMember(nm),
        ]
    ):
        executed(propose(w, 0, action))  # type: ignore[arg-type]
        executed(w.run(w.txn(nm, sf(AS, "vote", [u64(2 + i)]))))
    assert state(w, c).role == ROLE_CUSTODIAN
    assert state(w, d).role == ROLE_DESIGNATED_DEALER and state(w, d).balances == {"XUS": 0}
    assert "EURL" in root_config(w.view).currencies
    assert nm not in root_config(w.view).association.members
    assert nm not in epoch_state(w.view).verifier.address_to_validator_info
    # the last member cannot leave
    m0 = addr_of(MEMBER_KEYS[0])
    aborted(
        propose(w, 0, RemoveMember(m0)),
        "Association",
        Category.INVALID_STATE,  # type: ignore[arg-type]
        AssociationReason.ELAST_MEMBER,
    )
    aborted(
        propose(w, 0, RegisterCurrency("EURL", 1, 1, 1, 1)),
        "Association",  # type: ignore[arg-type]
        Category.INVALID_ARGUMENT,
        AssociationReason.EPROPOSAL_FAILED,
    )
