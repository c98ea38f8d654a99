"""The faucet's failures against the real framework: each says in words what failed and why,
with the HTTP status that fits (400 when the request cannot succeed as asked, 5xx when the
faucet failed), while a success still answers with Diem's faucet protocol."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from libra import bcs
from libra.api.faucet import Faucet, FaucetConfig, FaucetFailure, create_faucet_app
from libra.crypto import Ed25519PrivateKey, sha3_256
from libra.execution import execute_block
from libra.framework import (
    AccountState,
    CustodianConfig,
    DealerConfig,
    DictStateView,
    Discard,
    GenesisConfig,
    MemberConfig,
    account_state,
    build_genesis,
)
from libra.mempool.core import AdmissionResult, MempoolStatusCode
from libra.types import (
    AccountAddress,
    AuthenticationKey,
    Executed,
    KeptVMStatus,
    SignedTransaction,
    UserTransaction,
)

GENESIS_SECS = 1_700_000_000


def key(i: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey(sha3_256(b"faucet-errors" + bytes([i])))


def auth(k: Ed25519PrivateKey) -> AuthenticationKey:
    return AuthenticationKey.ed25519(k.public_key)


TC_KEY, DEALER_KEY, CUSTODIAN_KEY, MEMBER_KEY = key(1), key(2), key(3), key(4)
DEALER = auth(DEALER_KEY).derived_address()
CUSTODIAN = auth(CUSTODIAN_KEY).derived_address()


@dataclass(frozen=True)
class Latest:
    version: int


@dataclass(frozen=True)
class Info:
    status: KeptVMStatus


class Chain:
    """The real framework behind the faucet's reader and submitter: a submitted transaction
    runs the prologue and, when valid, is executed and committed at once."""

    def __init__(self) -> None:
        config = GenesisConfig(
            root_auth_key=bytes(auth(key(0))),
            tc_auth_key=bytes(auth(TC_KEY)),
            members=(
                MemberConfig(
                    auth(MEMBER_KEY).derived_address(),
                    bytes(auth(MEMBER_KEY)),
                    b"member",
                    bytes(MEMBER_KEY.public_key),
                ),
            ),
            dealers=(DealerConfig(DEALER, bytes(auth(DEALER_KEY)), b"dealer", ("LBR", "XUS")),),
            custodians=(CustodianConfig(CUSTODIAN, bytes(auth(CUSTODIAN_KEY)), b"bank"),),
            timestamp_usecs=GENESIS_SECS * 1_000_000,
        )
        _, blobs = build_genesis(config)
        self.view = DictStateView(blobs)
        self.statuses: list[KeptVMStatus] = [Executed()]  # version 0: genesis
        self.versions: dict[tuple[AccountAddress, int], int] = {}
        self.full = False

    def latest(self) -> Latest:
        return Latest(len(self.statuses) - 1)

    def get_account_state(self, address: AccountAddress, version: int) -> AccountState | None:
        return account_state(self.view, address)

    def get_account_transaction_version(self, address: AccountAddress, seq: int) -> int | None:
        return self.versions.get((address, seq))

    def get_transaction_info(self, version: int) -> Info:
        return Info(self.statuses[version])

    def submit(self, txn: SignedTransaction) -> AdmissionResult:
        if self.full:
            return AdmissionResult(MempoolStatusCode.MEMPOOL_IS_FULL, "mempool is full")
        out = execute_block(self.view, [UserTransaction(txn)])
        status = out.outputs[0].status
        if isinstance(status, Discard):
            return AdmissionResult(MempoolStatusCode.VM_ERROR, "rejected", status.status)
        self.view.apply(out.changed)
        self.versions[(txn.sender, txn.sequence_number)] = len(self.statuses)
        self.statuses.append(status.status)  # type: ignore[union-attr]
        return AdmissionResult(MempoolStatusCode.ACCEPTED, "", None, True)


@pytest.fixture
def chain() -> Chain:
    return Chain()


def faucet(chain: Chain, dealer: AccountAddress = DEALER) -> Faucet:
    config = FaucetConfig(chain_id=4, dealer_address=dealer, wait_timeout_secs=1)
    return Faucet(
        chain,  # type: ignore[arg-type]
        chain,  # type: ignore[arg-type]
        config,
        TC_KEY,
        DEALER_KEY,
        custodian_key=CUSTODIAN_KEY,
        now_secs=lambda: GENESIS_SECS,
    )


def failure(f: Faucet, auth_key: str, amount: int, currency: str, dd: bool = False) -> str:
    """The faucet's reason for failing, checked to be free of Python reprs."""
    with pytest.raises(FaucetFailure) as e:
        f.mint(auth_key, amount, currency, is_designated_dealer=dd)
    text = str(e.value)
    assert "MoveAbort(" not in text and "AccountAddress(" not in text, text
    return text


def test_xus_to_an_lbr_account_says_the_account_holds_no_xus(chain: Chain) -> None:
    f = faucet(chain)
    k = auth(key(10))
    address = k.derived_address().hex()
    assert len(f.mint(k.hex(), 0, "LBR")) == 1  # created holding LBR only
    c = TestClient(create_faucet_app(f))
    r = c.post(f"/mint?amount=1000000&currency_code=XUS&auth_key={k.hex()}")
    assert r.status_code == 400
    assert f"account 0x{address} holds no XUS balance (it holds LBR)" in r.text
    assert "only the currency_code of the request that creates it" in r.text
    assert "ask for LBR" in r.text and "add_currency_to_account" in r.text
    assert "peer_to_peer_with_metadata aborted in 0x1::DiemAccount with code 4615" in r.text
    assert "EPAYEE_CANT_ACCEPT_CURRENCY_TYPE" in r.text
    assert "MoveAbort(" not in r.text
    # The protocol is unchanged for a success: the hex BCS of the transactions, or a number.
    r = c.post(f"/mint?amount=5&currency_code=LBR&auth_key={k.hex()}&return_txns=true")
    assert r.status_code == 200
    txns = bcs.decode_as(tuple[SignedTransaction, ...], bytes.fromhex(r.text))
    assert len(txns) >= 2 and all(t.verify_signature() for t in txns)
    r = c.post(f"/mint?amount=5&currency_code=LBR&auth_key={k.hex()}")
    assert r.status_code == 200 and r.text.isdigit()


def test_xdx_cannot_be_minted(chain: Chain) -> None:
    k = auth(key(11))
    text = failure(faucet(chain), k.hex(), 1_000_000, "XDX")
    assert "XDX is a synthetic unit of account and cannot be minted" in text
    assert f"account 0x{k.derived_address().hex()} was created, but not funded" in text
    assert "with code 2567 (EIS_SYNTHETIC_CURRENCY" in text


def test_designated_dealer_flag_on_an_existing_account(chain: Chain) -> None:
    f = faucet(chain)
    k = auth(key(12))
    f.mint(k.hex(), 0, "XUS")
    text = failure(f, k.hex(), 10, "XUS", dd=True)
    address = k.derived_address().hex()
    assert f"account 0x{address} is not a designated dealer (its role: parent_vasp)" in text
    assert "only when the account does not exist yet" in text
    assert "aborted in 0x1::DesignatedDealer with code 5 (EDEALER" in text
    c = TestClient(create_faucet_app(f))
    r = c.post(f"/mint?amount=10&currency_code=XUS&auth_key={k.hex()}&is_designated_dealer=true")
    assert r.status_code == 400


def test_unknown_currency_lists_the_networks_currencies(chain: Chain) -> None:
    text = failure(faucet(chain), auth(key(13)).hex(), 1, "EUR")
    assert "EUR is not a currency of this network (its currencies: LBR, XDX, XUS)" in text


def test_an_amount_beyond_the_largest_balance(chain: Chain) -> None:
    f = faucet(chain)
    k = auth(key(14))
    big = (1 << 64) - 1
    f.mint(k.hex(), big, "XUS")
    text = failure(f, k.hex(), 1, "XUS")
    assert f"holds {big} XUS: 1 more would exceed the largest balance" in text


def test_the_faucets_own_failures_are_5xx(chain: Chain) -> None:
    # A dealer address that is no designated dealer: the faucet is misconfigured.
    c = TestClient(create_faucet_app(faucet(chain, dealer=CUSTODIAN)))
    r = c.post(f"/mint?amount=10&currency_code=XUS&auth_key={auth(key(15)).hex()}")
    assert r.status_code == 500
    assert "a transaction of the faucet's own failed: a fault of the faucet" in r.text
    assert "TreasuryComplianceScripts::tiered_mint aborted in 0x1::DesignatedDealer" in r.text
    chain.full = True
    r = c.post(f"/mint?amount=10&currency_code=XUS&auth_key={auth(key(16)).hex()}")
    assert r.status_code == 503 and "mempool is full" in r.text
