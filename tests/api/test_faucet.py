"""The faucet: Diem's protocol, account creation, funding through the dealer or a mint,
waiting for commits, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import (
    BOB,
    CUSTODIAN,
    CUSTODIAN_KEY,
    DEALER,
    DEALER_KEY,
    LBR,
    TC_KEY,
    XUS,
    Net,
    Submitter,
    auth_key_of,
    build_net,
    key,
)
from fastapi.testclient import TestClient

from libra import bcs
from libra.api import ConfigError, FaucetError
from libra.api.faucet import Faucet, FaucetConfig, create_faucet_app, reserve_shortfall
from libra.framework import state as st
from libra.framework.ops import coverage_bps, is_covered
from libra.types import TREASURY_COMPLIANCE_ADDRESS, PayloadScriptFunction, SignedTransaction


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def make_faucet(
    net: Net, submitter: Submitter, clock: Clock | None = None, custodian: bool = False
) -> Faucet:
    clock = clock or Clock()
    config = FaucetConfig(chain_id=4, dealer_address=DEALER, wait_timeout_secs=1)
    return Faucet(
        net.reader,
        submitter,
        config,
        TC_KEY,
        DEALER_KEY,
        custodian_key=CUSTODIAN_KEY if custodian else None,
        now_secs=lambda: net.timestamp / 1e6,
        monotonic=clock,
        sleep=clock.sleep,
    )


def functions(txns: list[SignedTransaction]) -> list[str]:
    out = []
    for t in txns:
        p = t.raw_txn.payload
        assert isinstance(p, PayloadScriptFunction)
        out.append(p.value.function)
    return out


def test_new_account_is_created_and_paid(net: Net, submitter: Submitter) -> None:
    f = make_faucet(net, submitter)
    k = auth_key_of(key(70))
    txns = f.mint(k.hex(), 5_000, XUS)
    assert functions(txns) == ["create_parent_vasp_account", "peer_to_peer_with_metadata"]
    state = net.accounts[k.derived_address()]
    assert state.role == st.ROLE_PARENT_VASP and state.balances[XUS] == 5_000
    assert bytes(state.authentication_key) == bytes(k)
    again = f.mint(k.hex(), 1, XUS)
    assert functions(again) == ["peer_to_peer_with_metadata"]
    assert net.accounts[k.derived_address()].balances[XUS] == 5_001


def test_designated_dealer_gets_a_mint(net: Net, submitter: Submitter) -> None:
    f = make_faucet(net, submitter)
    k = auth_key_of(key(71))
    txns = f.mint(k.hex(), 7, "LBR", is_designated_dealer=True)
    assert functions(txns) == ["create_designated_dealer", "tiered_mint"]
    assert all(t.sender == TREASURY_COMPLIANCE_ADDRESS for t in txns)
    assert net.accounts[k.derived_address()].role == st.ROLE_DESIGNATED_DEALER
    assert net.root.currencies["LBR"].total_value == 7


def test_short_dealer_is_topped_up(net: Net, submitter: Submitter) -> None:
    f = make_faucet(net, submitter)
    txns = f.mint(auth_key_of(key(72)).hex(), 20_000_000_000, XUS)
    assert functions(txns) == [
        "create_parent_vasp_account",
        "tiered_mint",
        "peer_to_peer_with_metadata",
    ]


def test_faucet_errors(net: Net, submitter: Submitter) -> None:
    clock = Clock()
    f = make_faucet(net, submitter, clock)
    with pytest.raises(FaucetError, match="authentication key"):
        f.mint("abcd", 1, XUS)
    with pytest.raises(FaucetError, match="not an authentication key"):
        f.mint("zz", 1, XUS)
    submitter.full = True
    with pytest.raises(FaucetError, match="rejected"):
        f.mint(auth_key_of(key(73)).hex(), 1, XUS)
    submitter.full = False
    submitter.auto_commit = False
    with pytest.raises(FaucetError, match="not committed within"):
        f.mint(auth_key_of(key(74)).hex(), 1, XUS)
    assert clock.t >= 1.0
    with pytest.raises(ConfigError):
        FaucetConfig(chain_id=300, dealer_address=DEALER)


def test_failed_payment_is_reported(net: Net, submitter: Submitter) -> None:
    f = make_faucet(net, submitter)
    with pytest.raises(FaucetError, match="EUR is not a currency of this network") as e:
        f.mint(BOB.hex() * 2, 1, "EUR")  # a currency the dealer cannot mint
    assert "(its currencies: LBR, XUS)" in str(e.value)
    assert "tiered_mint aborted in 0x1::Diem with code 3845 (ECURRENCY_INFO" in str(e.value)


def test_faucet_http_protocol(net: Net, submitter: Submitter) -> None:
    c = TestClient(create_faucet_app(make_faucet(net, submitter)))
    k = auth_key_of(key(75))
    r = c.post(f"/mint?amount=100&auth_key={k.hex()}&currency_code=XUS&return_txns=true")
    assert r.status_code == 200
    txns = bcs.decode_as(tuple[SignedTransaction, ...], bytes.fromhex(r.text))
    assert functions(list(txns)) == ["create_parent_vasp_account", "peer_to_peer_with_metadata"]
    assert all(t.verify_signature() for t in txns)
    r = c.post(f"/?amount=1&auth_key={k.hex()}&currency_code=XUS")
    assert r.status_code == 200 and r.text.isdigit()
    for bad in (
        "amount=-1&auth_key=00&currency_code=XUS",
        f"amount=1&auth_key={k.hex()}&currency_code=",
        f"amount=1&auth_key={k.hex()}&currency_code=XUS&return_txns=maybe",
        "amount=1&auth_key=00&currency_code=XUS",
    ):
        r = c.post("/mint?" + bad)
        assert r.status_code == 400, bad
    assert c.get("/-/healthy").json() == {"status": "ok"}


# -- LBR: through the reserve rules ---------------------------------------------------------
# The test reserve backs one LBR (10**6 minor units) with 500,000 USD and 180,000 EUR units and
# holds 10,000,000 of each: it covers up to 20 LBR (USD binds).


def deposits(txns: list[SignedTransaction]) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in txns:
        p = t.raw_txn.payload
        assert isinstance(p, PayloadScriptFunction)
        if p.value.function == "record_deposit":
            assert t.sender == CUSTODIAN
            code = bcs.decode_as(bytes, p.value.args[0]).decode()
            out[code] = bcs.decode_as(bcs.U64, p.value.args[2])
    return out


def test_lbr_beyond_the_reserve_is_covered_by_custodian_deposits_first(
    net: Net, submitter: Submitter
) -> None:
    f = make_faucet(net, submitter, custodian=True)
    k = auth_key_of(key(80))
    txns = f.mint(k.hex(), 50_000_000, LBR)
    assert functions(txns) == [
        "create_parent_vasp_account",
        "record_deposit",
        "tiered_mint",
        "peer_to_peer_with_metadata",
    ]
    # 50 LBR need 25,000,000 USD units (15,000,000 more) and 9,000,000 EUR units (held).
    assert deposits(txns) == {"USD": 15_000_000}
    lbr = net.root.currencies[LBR]
    assert lbr.total_value == 50_000_000
    assert coverage_bps(net.reserve, lbr, lbr.total_value) == 10_000
    assert net.accounts[k.derived_address()].balances[LBR] == 50_000_000
    # The dealer was topped up with just what it paid: one more minor unit of LBR needs one
    # more USD unit (rounded up).
    again = f.mint(k.hex(), 1, LBR)
    assert functions(again) == ["record_deposit", "tiered_mint", "peer_to_peer_with_metadata"]
    assert deposits(again) == {"USD": 1}


def test_covered_lbr_needs_no_deposit(net: Net, submitter: Submitter) -> None:
    f = make_faucet(net, submitter, custodian=True)
    txns = f.mint(auth_key_of(key(81)).hex(), 20_000_000, LBR, is_designated_dealer=True)
    assert functions(txns) == ["create_designated_dealer", "tiered_mint"]
    assert f.lbr_shortfall(0) == {}
    assert f.lbr_shortfall(1) == {"USD": 1}


def test_lbr_deposits_include_the_coverage_buffer(tmp_path: Path) -> None:
    net = build_net(tmp_path / "buffered", coverage_buffer_bps=2_500)
    try:
        f = make_faucet(net, Submitter(net), custodian=True)
        txns = f.mint(auth_key_of(key(82)).hex(), 20_000_000, LBR, is_designated_dealer=True)
        # 20 LBR need 10,000,000 USD units, 12,500,000 with the 25% buffer; EUR needs 4,500,000.
        assert deposits(txns) == {"USD": 2_500_000}
        lbr = net.root.currencies[LBR]
        assert coverage_bps(net.reserve, lbr, lbr.total_value) == 12_500
        assert is_covered(net.reserve, lbr, lbr.total_value, 2_500)
    finally:
        net.db.close()


def test_lbr_without_a_custodian_key_meets_the_reserve_rule(net: Net, submitter: Submitter) -> None:
    f = make_faucet(net, submitter)
    with pytest.raises(FaucetError, match="reserve does not cover") as e:
        f.mint(auth_key_of(key(83)).hex(), 21_000_000, LBR, is_designated_dealer=True)
    assert "no custodian key" in str(e.value) and "created, but not funded" in str(e.value)
    assert net.root.currencies[LBR].total_value == 0
    assert sum(sum(a.holdings.values()) for a in net.reserve.assets.values()) == 20_000_000


def test_reserve_shortfall_rounds_up_and_counts_every_holding(net: Net) -> None:
    reserve = net.reserve
    lbr = net.root.currencies[LBR]
    assert reserve_shortfall(reserve, lbr, 0) == {}
    # 30 LBR + 1 minor unit: ceil(15,000,000.5) USD units, ceil(5,400,000.18) EUR units.
    assert reserve_shortfall(reserve, lbr, 30_000_001) == {"USD": 5_000_001}
    empty = st.Reserve(
        {c: st.ReserveAsset(a.units_per_coin, 1, 1, {}) for c, a in reserve.assets.items()},
        10_000,
        reserve.deposit_events,
        reserve.withdrawal_events,
    )
    # A 100% buffer doubles what the supply needs.
    assert reserve_shortfall(empty, lbr, 1) == {"EUR": 2, "USD": 2}


def test_diem_id_domains_are_added_and_removed_once(net: Net, submitter: Submitter) -> None:
    f = make_faucet(net, submitter)
    k = auth_key_of(key(84))
    txns = f.mint(k.hex(), 10, XUS, diem_id_domain="acme")
    assert functions(txns) == [
        "create_parent_vasp_account",
        "add_diem_id_domain",
        "peer_to_peer_with_metadata",
    ]
    assert net.accounts[k.derived_address()].details.diem_id_domains == (b"acme",)
    # Asking again changes nothing (the on-chain add would abort with EDOMAIN_ALREADY_EXISTS).
    assert f.mint(k.hex(), 0, XUS, diem_id_domain="acme") == []
    assert functions(f.mint(k.hex(), 0, XUS, diem_id_domain="acme", is_remove_domain=True)) == [
        "remove_diem_id_domain"
    ]
    assert net.accounts[k.derived_address()].details.diem_id_domains == ()
    assert f.mint(k.hex(), 0, XUS, diem_id_domain="acme", is_remove_domain=True) == []
    c = TestClient(create_faucet_app(f))
    r = c.post(
        f"/mint?amount=0&auth_key={k.hex()}&currency_code=XUS&return_txns=true"
        "&diem_id_domain=acme&is_remove_domain=false"
    )
    assert r.status_code == 200
    assert functions(list(bcs.decode_as(tuple[SignedTransaction, ...], bytes.fromhex(r.text)))) == [
        "add_diem_id_domain"
    ]
