"""TreasuryComplianceScripts: minting, preburn and burn, freezing, limits, rates, domains."""

from __future__ import annotations

from framework_world import (
    DD,
    ROOT,
    TC,
    World,
    aborted,
    boolean,
    create_parent,
    executed,
    fund_reserve,
    funded_world,
    mint,
    pay,
    sf,
    state,
    u64,
    vec,
)

from libra.framework import events as ev
from libra.framework import root_config
from libra.framework.errors import (
    AccountFreezingReason,
    Category,
    DesignatedDealerReason,
    DiemIdReason,
    DiemReason,
    ReserveReason,
    RolesReason,
    SlidingNonceReason,
)
from libra.types import AccountAddress, EventKey

TCS = "TreasuryComplianceScripts"


def supply(w: World, code: str = "LBR") -> int:
    return root_config(w.view).currencies[code].total_value


def test_mint_xus_emits_events() -> None:
    w = World()
    out = mint(w, 5000, "XUS")
    executed(out)
    assert state(w, DD).balances["XUS"] == 5000
    assert supply(w, "XUS") == 5000
    kinds = [e.type_tag for e in out.outputs[0].events]
    assert kinds == [ev.MINT, ev.RECEIVED_MINT, ev.RECEIVED_PAYMENT]
    assert out.outputs[0].events[1].key == EventKey.create(0, DD)


def test_mint_failures() -> None:
    w = World()
    aborted(
        mint(w, 0, "XUS"),
        "DesignatedDealer",
        Category.INVALID_ARGUMENT,
        DesignatedDealerReason.EINVALID_MINT_AMOUNT,
    )
    aborted(mint(w, 5, "XDX"), "Diem", Category.INVALID_ARGUMENT, DiemReason.EIS_SYNTHETIC_CURRENCY)
    aborted(
        mint(w, 5, "XUS", to=AccountAddress.from_int(0x99)),
        "DesignatedDealer",
        Category.NOT_PUBLISHED,
        DesignatedDealerReason.EDEALER,
    )
    a = create_parent(w, 100)
    aborted(
        mint(w, 5, "XUS", to=a),
        "DesignatedDealer",
        Category.NOT_PUBLISHED,
        DesignatedDealerReason.EDEALER,
    )
    # only Treasury Compliance mints: not the dealer, not Diem Root
    for who, module, cat in (
        (DD, "CoreAddresses", Category.REQUIRES_ADDRESS),
        (ROOT, "CoreAddresses", Category.REQUIRES_ADDRESS),
    ):
        out = w.run(w.txn(who, sf(TCS, "tiered_mint", [u64(0), bytes(DD), u64(5), u64(0)], "XUS")))
        aborted(out, module, cat, 1)
    executed(w.run(w.txn(TC, sf(TCS, "update_minting_ability", [boolean(False)], "XUS"))))
    aborted(mint(w, 5, "XUS"), "Diem", Category.INVALID_STATE, DiemReason.EMINTING_NOT_ALLOWED)
    executed(w.run(w.txn(TC, sf(TCS, "update_minting_ability", [boolean(True)], "XUS"))))
    executed(mint(w, 5, "XUS"))
    aborted(
        w.run(w.txn(DD, sf(TCS, "update_minting_ability", [boolean(True)], "XUS"))),
        "CoreAddresses",
        Category.REQUIRES_ADDRESS,
        1,
    )


def test_lbr_mint_requires_reserve_coverage() -> None:
    w = World()
    aborted(mint(w, 1), "Reserve", Category.LIMIT_EXCEEDED, ReserveReason.ECOVERAGE)
    fund_reserve(w, 10)
    executed(mint(w, 10_000_000))
    aborted(mint(w, 1), "Reserve", Category.LIMIT_EXCEEDED, ReserveReason.ECOVERAGE)
    assert supply(w) == 10_000_000


def test_coverage_buffer() -> None:
    w = World(buffer_bps=1000)
    fund_reserve(w, 11)
    executed(mint(w, 10_000_000))
    aborted(mint(w, 1), "Reserve", Category.LIMIT_EXCEEDED, ReserveReason.ECOVERAGE)


def test_preburn_burn_cancel() -> None:
    w, a, _ = funded_world()
    total = supply(w)
    dd_before = state(w, DD).balances["LBR"]
    out = w.run(w.txn(DD, sf(TCS, "preburn", [u64(300)], "LBR")))
    executed(out)
    assert [e.type_tag for e in out.outputs[0].events] == [ev.SENT_PAYMENT, ev.PREBURN]
    executed(w.run(w.txn(DD, sf(TCS, "preburn", [u64(200)], "LBR"))))
    info = root_config(w.view).currencies["LBR"]
    assert info.preburn_value == 500 and info.total_value == total
    assert state(w, DD).balances["LBR"] == dd_before - 500
    assert state(w, DD).details.dealer.preburns == {"LBR": (300, 200)}  # type: ignore[union-attr]
    aborted(
        w.run(w.txn(TC, sf(TCS, "burn_with_amount", [u64(0), bytes(DD), u64(7)], "LBR"))),
        "Diem",
        Category.NOT_PUBLISHED,
        DiemReason.EPREBURN_NOT_FOUND,
    )
    aborted(
        w.run(w.txn(DD, sf(TCS, "burn_with_amount", [u64(0), bytes(DD), u64(300)], "LBR"))),
        "CoreAddresses",
        Category.REQUIRES_ADDRESS,
        1,
    )
    out = w.run(w.txn(TC, sf(TCS, "burn_with_amount", [u64(0), bytes(DD), u64(300)], "LBR")))
    executed(out)
    assert out.outputs[0].events[0].type_tag == ev.BURN
    assert supply(w) == total - 300
    out = w.run(w.txn(TC, sf(TCS, "cancel_burn_with_amount", [bytes(DD), u64(200)], "LBR")))
    executed(out)
    assert out.outputs[0].events[0].type_tag == ev.CANCEL_BURN
    assert state(w, DD).balances["LBR"] == dd_before - 300
    assert root_config(w.view).currencies["LBR"].preburn_value == 0
    aborted(
        w.run(w.txn(TC, sf(TCS, "cancel_burn_with_amount", [bytes(DD), u64(200)], "LBR"))),
        "Diem",
        Category.NOT_PUBLISHED,
        DiemReason.EPREBURN_NOT_FOUND,
    )
    # only dealers preburn
    aborted(
        w.run(w.txn(a, sf(TCS, "preburn", [u64(1)], "LBR"))),
        "Roles",
        Category.REQUIRES_ROLE,
        RolesReason.EDESIGNATED_DEALER,
    )
    aborted(
        w.run(w.txn(DD, sf(TCS, "preburn", [u64(0)], "LBR"))),
        "Diem",
        Category.INVALID_ARGUMENT,
        DiemReason.ECOIN,
    )
    aborted(
        w.run(w.txn(DD, sf(TCS, "preburn", [u64(10**15)], "LBR"))),
        "DiemAccount",
        Category.LIMIT_EXCEEDED,
        5,
    )


def test_sliding_nonce() -> None:
    w = World()
    call = lambda n: w.txn(TC, sf(TCS, "update_dual_attestation_limit", [u64(n), u64(5)]))  # noqa: E731
    executed(w.run(call(1)))
    aborted(
        w.run(call(1)),
        "SlidingNonce",
        Category.INVALID_ARGUMENT,
        SlidingNonceReason.ENONCE_ALREADY_RECORDED,
    )
    executed(w.run(call(200)))
    aborted(
        w.run(call(1)), "SlidingNonce", Category.INVALID_ARGUMENT, SlidingNonceReason.ENONCE_TOO_OLD
    )
    aborted(
        w.run(call(200 + 20_000)),
        "SlidingNonce",
        Category.INVALID_ARGUMENT,
        SlidingNonceReason.ENONCE_TOO_NEW,
    )
    executed(w.run(call(150)))
    assert root_config(w.view).dual_attestation_limit == 5


def test_freeze_rules() -> None:
    w, a, b = funded_world()
    call = lambda f, t: w.txn(TC, sf(TCS, f, [u64(0), bytes(t)]))  # noqa: E731
    aborted(
        w.run(call("freeze_account", ROOT)),
        "AccountFreezing",
        Category.INVALID_ARGUMENT,
        AccountFreezingReason.ECANNOT_FREEZE_DIEM_ROOT,
    )
    aborted(
        w.run(call("freeze_account", TC)),
        "AccountFreezing",
        Category.INVALID_ARGUMENT,
        AccountFreezingReason.ECANNOT_FREEZE_TC,
    )
    aborted(
        w.run(call("freeze_account", AccountAddress.from_int(0x4242))),
        "AccountFreezing",
        Category.NOT_PUBLISHED,
        AccountFreezingReason.EFREEZING_BIT,
    )
    executed(w.run(call("freeze_account", a)))
    assert state(w, a).frozen
    # a frozen account can still receive
    executed(pay(w, b, a, 5))
    aborted(
        w.run(w.txn(b, sf(TCS, "freeze_account", [u64(0), bytes(a)]))),
        "CoreAddresses",
        Category.REQUIRES_ADDRESS,
        1,
    )


def test_exchange_rate_update() -> None:
    w = World()
    out = w.run(w.txn(TC, sf(TCS, "update_exchange_rate", [u64(0), u64(3), u64(2)], "XUS")))
    executed(out)
    info = root_config(w.view).currencies["XUS"]
    assert info.to_xdx_exchange_rate == (3 << 32) // 2
    assert out.outputs[0].events[0].type_tag == ev.TO_XDX_EXCHANGE_RATE_UPDATE
    aborted(
        w.run(w.txn(TC, sf(TCS, "update_exchange_rate", [u64(0), u64(3), u64(0)], "XUS"))),
        "FixedPoint32",
        Category.INVALID_ARGUMENT,
        0,
    )
    aborted(
        w.run(w.txn(TC, sf(TCS, "update_exchange_rate", [u64(0), u64(1), u64(2**40)], "XUS"))),
        "FixedPoint32",
        Category.INVALID_ARGUMENT,
        4,
    )


def test_diem_id_domains() -> None:
    w, a, _ = funded_world()
    add = lambda t, d: w.txn(TC, sf(TCS, "add_diem_id_domain", [bytes(t), vec(d)]))  # noqa: E731
    rm = lambda t, d: w.txn(TC, sf(TCS, "remove_diem_id_domain", [bytes(t), vec(d)]))  # noqa: E731
    out = w.run(add(a, b"vasp.example"))
    executed(out)
    assert out.outputs[0].events[0].type_tag == ev.DIEM_ID_DOMAIN
    assert state(w, a).details.diem_id_domains == (b"vasp.example",)
    aborted(
        w.run(add(a, b"vasp.example")),
        "DiemId",
        Category.INVALID_ARGUMENT,
        DiemIdReason.EDOMAIN_ALREADY_EXISTS,
    )
    aborted(
        w.run(add(a, b"x" * 64)),
        "DiemId",
        Category.INVALID_ARGUMENT,
        DiemIdReason.EINVALID_DIEM_ID_DOMAIN,
    )
    aborted(w.run(add(DD, b"d")), "DiemId", Category.NOT_PUBLISHED, DiemIdReason.EDIEM_ID_DOMAIN)
    executed(w.run(rm(a, b"vasp.example")))
    aborted(
        w.run(rm(a, b"vasp.example")),
        "DiemId",
        Category.INVALID_ARGUMENT,
        DiemIdReason.EDOMAIN_NOT_FOUND,
    )
