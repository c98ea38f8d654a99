"""The faucet: Diem's protocol, account creation, funding through the dealer or a mint,
waiting for commits, and its errors."""

from __future__ import annotations

import pytest
from api_helpers import (
    BOB,
    DEALER,
    DEALER_KEY,
    TC_KEY,
    XUS,
    Net,
    Submitter,
    auth_key_of,
    key,
)
from fastapi.testclient import TestClient

from libra import bcs
from libra.api import ConfigError, FaucetError
from libra.api.faucet import Faucet, FaucetConfig, create_faucet_app
from libra.framework import state as st
from libra.types import TREASURY_COMPLIANCE_ADDRESS, PayloadScriptFunction, SignedTransaction


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def make_faucet(net: Net, submitter: Submitter, clock: Clock | None = None) -> Faucet:
    clock = clock or Clock()
    config = FaucetConfig(chain_id=4, dealer_address=DEALER, wait_timeout_secs=1)
    return Faucet(
        net.reader,
        submitter,
        config,
        TC_KEY,
        DEALER_KEY,
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
    with pytest.raises(FaucetError, match="failed"):
        f.mint(BOB.hex() * 2, 1, "EUR")  # a currency the dealer cannot mint


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
