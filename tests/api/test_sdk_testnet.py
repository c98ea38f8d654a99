"""The official Diem Python SDK (``diem==1.7.1``), unchanged, against a real ``libra testnet``:
validator processes, JSON-RPC and the faucet over loopback HTTP.

Everything a wallet does with the SDK: faucet accounts (parent VASP, designated dealer, child
VASP, LBR through the reserve), payments with general, travel-rule (dual attestation) and
refund metadata, both as script functions and as Diem's bytecode scripts, dual attestation
rotation, events and account transactions, a payment that aborts after the prologue (committed,
not executed) and transactions that expire."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from live_testnet import LiveTestnet

pytest.importorskip("diem")
pytest.importorskip("google.protobuf")

from diem import (
    diem_types,
    identifier,
    jsonrpc,
    stdlib,
    testnet,
    txnmetadata,
    utils,
)
from diem.testing import LocalAccount

XUS = "XUS"
LBR = "LBR"
FAUCET_AMOUNT = 100_000_000_000  # what the SDK's Faucet.gen_account asks for


@dataclass
class Chain:
    net: LiveTestnet
    client: jsonrpc.Client
    faucet: testnet.Faucet


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    net = LiveTestnet(Path(tmp_path_factory.mktemp("sdk-testnet")))
    net.start()
    try:
        client = jsonrpc.Client(net.json_rpc_url)
        yield Chain(net, client, testnet.Faucet(client, url=net.faucet_url))
    except BaseException:
        net.kill()
        raise
    code = net.stop()
    assert code == 0, net.output()
    assert "stopped" in net.output()


def p2p(
    sender: LocalAccount,
    client: jsonrpc.Client,
    payee: diem_types.AccountAddress,
    amount: int,
    metadata: bytes = b"",
    signature: bytes = b"",
    currency: str = XUS,
) -> diem_types.SignedTransaction:
    """Signs and submits ``peer_to_peer_with_metadata`` the way a wallet does with the SDK."""
    payload = stdlib.encode_peer_to_peer_with_metadata_script_function(
        currency=utils.currency_code(currency),
        payee=payee,
        amount=amount,
        metadata=metadata,
        metadata_signature=signature,
    )
    txn = sender.create_txn(client, payload=payload)
    client.submit(txn)
    return txn


def pay(
    sender: LocalAccount,
    client: jsonrpc.Client,
    payee: diem_types.AccountAddress,
    amount: int,
    metadata: bytes = b"",
    signature: bytes = b"",
    currency: str = XUS,
) -> jsonrpc.Transaction:
    txn = p2p(sender, client, payee, amount, metadata, signature, currency)
    return client.wait_for_transaction(txn, timeout_secs=30)


def balance(client: jsonrpc.Client, account: LocalAccount, currency: str = XUS) -> int:
    return utils.balance(client.must_get_account(account.account_address), currency)


def test_faucet_creates_parent_vasp_dealer_and_child_accounts(chain: Chain) -> None:
    client, faucet = chain.client, chain.faucet
    parent = faucet.gen_account()
    acct = client.must_get_account(parent.account_address)
    assert acct.role.type == "parent_vasp"
    assert utils.balance(acct, XUS) == FAUCET_AMOUNT
    assert acct.authentication_key == parent.auth_key.hex()
    assert acct.sequence_number == 0

    dealer = faucet.gen_account(dd_account=True)
    dd = client.must_get_account(dealer.account_address)
    assert dd.role.type == "designated_dealer"
    assert utils.balance(dd, XUS) == FAUCET_AMOUNT
    # The dealer was minted to: its received-mint stream holds the mint.
    mints = client.get_events(dd.role.received_mint_events_key, 0, 10)
    assert [(e.data.type, e.data.amount.amount) for e in mints] == [("receivedmint", FAUCET_AMOUNT)]

    child = testnet.gen_child_vasp(client, parent, initial_balance=1_000_000)
    c = client.must_get_account(child.account_address)
    assert c.role.type == "child_vasp"
    assert c.role.parent_vasp_address == parent.account_address.to_hex()
    assert utils.balance(c, XUS) == 1_000_000
    assert client.get_parent_vasp_account(child.account_address).address == (
        parent.account_address.to_hex()
    )
    assert client.must_get_account(parent.account_address).role.num_children == 1
    assert balance(client, parent) == FAUCET_AMOUNT - 1_000_000
    # The child pays like any VASP.
    other = faucet.gen_account()
    assert pay(child, client, other.account_address, 400_000).vm_status.type == "executed"
    assert balance(client, child) == 600_000
    # Minting to an existing account only funds it.
    faucet.mint(parent.auth_key.hex(), 5, XUS)
    assert balance(client, parent) == FAUCET_AMOUNT - 1_000_000 + 5


def test_lbr_from_the_faucet_is_backed_by_the_reserve(chain: Chain) -> None:
    client, faucet = chain.client, chain.faucet
    before = chain.net.get_json("/api/v1/reserve")
    holder = faucet.gen_account(currency_code=LBR)
    assert balance(client, holder, LBR) == FAUCET_AMOUNT
    dealer = faucet.gen_account(currency_code=LBR, dd_account=True)
    assert balance(client, dealer, LBR) == FAUCET_AMOUNT
    report = chain.net.get_json("/api/v1/reserve")
    assert report["lbr_supply"] >= before["lbr_supply"] + 2 * FAUCET_AMOUNT
    assert report["fully_covered"] and report["coverage_bps"] >= 10_000
    assert all(a["held"] >= a["required"] for a in report["assets"])
    # LBR moves like any currency.
    other = faucet.gen_account(currency_code=LBR)
    pay(holder, client, other.account_address, 7_000_000, currency=LBR)
    assert balance(client, other, LBR) == FAUCET_AMOUNT + 7_000_000


def test_payment_with_general_metadata_events_and_account_transactions(chain: Chain) -> None:
    client, faucet = chain.client, chain.faucet
    sender, receiver = faucet.gen_account(), faucet.gen_account()
    from_sub, to_sub = identifier.gen_subaddress(), identifier.gen_subaddress()
    # The receiver hands out an account identifier; the sender decodes it.
    receiver_id = identifier.encode_account(receiver.account_address, to_sub, identifier.TDM)
    payee, sub = identifier.decode_account(receiver_id, identifier.TDM)
    assert payee == receiver.account_address and sub == to_sub
    metadata = txnmetadata.general_metadata(from_sub, sub)
    txn = pay(sender, client, payee, 1_234_567, metadata)
    assert txn.vm_status.type == "executed"
    assert txn.transaction.type == "user"
    assert txn.transaction.sender == sender.account_address.to_hex()
    assert txn.transaction.script.type == "script_function"
    assert txn.transaction.script.function_name == "peer_to_peer_with_metadata"
    assert txn.transaction.script.receiver == receiver.account_address.to_hex()
    assert txn.transaction.script.metadata == metadata.hex()
    assert balance(client, receiver) == FAUCET_AMOUNT + 1_234_567

    s = client.must_get_account(sender.account_address)
    r = client.must_get_account(receiver.account_address)
    sent = client.get_events(s.sent_events_key, 0, 10)
    received = client.get_events(r.received_events_key, 0, 10)
    assert [e.data.type for e in sent] == ["sentpayment"]
    assert sent[0].data.receiver == receiver.account_address.to_hex()
    assert sent[0].data.amount.amount == 1_234_567 and sent[0].data.amount.currency == XUS
    assert sent[0].transaction_version == txn.version
    # The receiver's first payment came from the faucet, the second from the sender.
    assert [e.data.type for e in received] == ["receivedpayment", "receivedpayment"]
    event = received[1]
    assert event.data.sender == sender.account_address.to_hex()
    decoded = txnmetadata.decode_structure(event.data.metadata)
    assert isinstance(decoded, diem_types.GeneralMetadataV0)
    assert decoded.from_subaddress == from_sub and decoded.to_subaddress == to_sub
    assert client.get_events(s.sent_events_key, 1, 10) == []

    # The same payment as Diem's bytecode script (older wallets), through LocalAccount.
    script = stdlib.encode_peer_to_peer_with_metadata_script(
        currency=utils.currency_code(XUS),
        payee=receiver.account_address,
        amount=1_000,
        metadata=metadata,
        metadata_signature=b"",
    )
    legacy = sender.submit_and_wait_for_txn(client, script)
    assert legacy.vm_status.type == "executed"
    assert legacy.transaction.script.type == "peer_to_peer_with_metadata"
    assert legacy.transaction.script.receiver == receiver.account_address.to_hex()
    assert legacy.transaction.script.amount == 1_000
    assert legacy.transaction.script.currency == XUS
    assert legacy.transaction.script.metadata == metadata.hex()

    txns = client.get_account_transactions(sender.account_address, 0, 10, include_events=True)
    assert [t.transaction.sequence_number for t in txns] == [0, 1]
    assert [t.version for t in txns] == [txn.version, legacy.version]
    assert {e.data.type for e in txns[0].events} >= {"sentpayment", "receivedpayment"}
    assert client.get_account_transactions(sender.account_address, 2, 10) == []
    assert client.get_account_transaction(sender.account_address, 1).hash == legacy.hash
    assert client.get_account_sequence(sender.account_address) == 2


def test_travel_rule_payment_with_dual_attestation(chain: Chain) -> None:
    client, faucet = chain.client, chain.faucet
    sender, receiver = faucet.gen_account(), faucet.gen_account()
    # The receiver publishes its compliance key and base URL (dual attestation info).
    rotated = receiver.rotate_dual_attestation_info(client, "http://127.0.0.1:1/offchain")
    assert rotated.vm_status.type == "executed"
    url, key = client.get_base_url_and_compliance_key(receiver.account_address)
    assert url == "http://127.0.0.1:1/offchain"
    assert utils.public_key_bytes(key) == receiver.compliance_public_key_bytes
    r = client.must_get_account(receiver.account_address)
    assert r.role.compliance_key == receiver.compliance_public_key_bytes.hex()
    rotations = client.get_events(r.role.compliance_key_rotation_events_key, 0, 10)
    assert rotations[-1].data.type == "compliancekeyrotation"
    assert rotations[-1].data.new_compliance_public_key == r.role.compliance_key
    urls = client.get_events(r.role.base_url_rotation_events_key, 0, 10)
    assert urls[-1].data.type == "baseurlrotation"

    limit = client.get_metadata().dual_attestation_limit
    amount = limit + 1_000_000  # XUS is worth one XDX: above the limit
    reference_id = str(uuid.uuid4())
    metadata, signing_msg = txnmetadata.travel_rule(reference_id, sender.account_address, amount)
    # Without the receiver's signature the payment aborts after the prologue.
    with pytest.raises(jsonrpc.TransactionExecutionFailed):
        pay(sender, client, receiver.account_address, amount, metadata)
    # Signed with a key that is not the receiver's: aborts too.
    wrong = LocalAccount().compliance_key.sign(signing_msg)
    with pytest.raises(jsonrpc.TransactionExecutionFailed):
        pay(sender, client, receiver.account_address, amount, metadata, wrong)
    signature = receiver.compliance_key.sign(signing_msg)
    txn = pay(sender, client, receiver.account_address, amount, metadata, signature)
    assert txn.vm_status.type == "executed"
    assert txn.transaction.script.metadata_signature == signature.hex()
    assert balance(client, receiver) == FAUCET_AMOUNT + amount
    received = client.get_events(r.received_events_key, 1, 10)
    decoded = txnmetadata.decode_structure(received[-1].data.metadata)
    assert isinstance(decoded, diem_types.TravelRuleMetadataV0)
    assert decoded.off_chain_reference_id == reference_id
    # Below the limit no attestation is needed.
    assert pay(sender, client, receiver.account_address, limit - 1).vm_status.type == "executed"


def test_refund_with_refund_metadata(chain: Chain) -> None:
    client, faucet = chain.client, chain.faucet
    sender, receiver = faucet.gen_account(), faucet.gen_account()
    from_sub = identifier.gen_subaddress()
    unknown_sub = identifier.gen_subaddress()
    original = pay(
        sender,
        client,
        receiver.account_address,
        5_000_000,
        txnmetadata.general_metadata(from_sub, unknown_sub),
    )
    # The receiver does not know the subaddress: it refunds, referring to the payment.
    found = client.get_account_transaction(sender.account_address, 0, include_events=True)
    event = txnmetadata.find_refund_reference_event(found, receiver.account_address)
    assert event is not None and event.transaction_version == original.version
    refund = txnmetadata.refund_metadata(
        event.transaction_version, diem_types.RefundReason__InvalidSubaddress()
    )
    txn = pay(receiver, client, sender.account_address, event.data.amount.amount, refund)
    assert txn.vm_status.type == "executed"
    assert balance(client, sender) == FAUCET_AMOUNT
    s = client.must_get_account(sender.account_address)
    back = client.get_events(s.received_events_key, 1, 10)
    assert len(back) == 1 and back[0].data.sender == receiver.account_address.to_hex()
    decoded = txnmetadata.decode_structure(back[0].data.metadata)
    assert isinstance(decoded, diem_types.RefundMetadataV0)
    assert decoded.transaction_version == original.version
    assert isinstance(decoded.reason, diem_types.RefundReason__InvalidSubaddress)


def test_designated_dealer_pays_vasps(chain: Chain) -> None:
    client, faucet = chain.client, chain.faucet
    dealer = faucet.gen_account(dd_account=True)
    vasp = faucet.gen_account()
    txn = pay(dealer, client, vasp.account_address, 3_000_000)
    assert txn.vm_status.type == "executed"
    assert balance(client, dealer) == FAUCET_AMOUNT - 3_000_000
    assert balance(client, vasp) == FAUCET_AMOUNT + 3_000_000
    # A second mint to the dealer through the faucet.
    faucet.mint(dealer.auth_key.hex(), 10, XUS, dd_account=True)
    assert balance(client, dealer) == FAUCET_AMOUNT - 3_000_000 + 10
    dd = client.must_get_account(dealer.account_address)
    assert len(client.get_events(dd.role.received_mint_events_key, 0, 10)) == 2


def test_payment_above_the_balance_is_committed_but_not_executed(chain: Chain) -> None:
    client, faucet = chain.client, chain.faucet
    sender, receiver = faucet.gen_account(), faucet.gen_account()
    seq = client.get_account_sequence(sender.account_address)
    txn = p2p(sender, client, receiver.account_address, FAUCET_AMOUNT + 1)
    with pytest.raises(jsonrpc.TransactionExecutionFailed, match="move_abort"):
        client.wait_for_transaction(txn, timeout_secs=30)
    committed = client.get_account_transaction(sender.account_address, seq, include_events=True)
    assert committed is not None
    assert committed.hash == utils.transaction_hash(txn)
    status = committed.vm_status
    assert status.type == "move_abort"
    assert status.location.endswith("::DiemAccount")
    assert status.explanation.reason == "EINSUFFICIENT_BALANCE"
    assert status.explanation.category == "LIMIT_EXCEEDED"
    assert len(committed.events) == 0
    assert client.get_account_sequence(sender.account_address) == seq + 1
    assert balance(client, sender) == FAUCET_AMOUNT
    assert balance(client, receiver) == FAUCET_AMOUNT
    # The sender goes on with the next sequence number.
    assert pay(sender, client, receiver.account_address, 1).vm_status.type == "executed"


def test_transactions_that_expire(chain: Chain) -> None:
    client, faucet = chain.client, chain.faucet
    sender, receiver = faucet.gen_account(), faucet.gen_account()
    payload = stdlib.encode_peer_to_peer_with_metadata_script_function(
        currency=utils.currency_code(XUS),
        payee=receiver.account_address,
        amount=10,
        metadata=b"",
        metadata_signature=b"",
    )
    chain_id = client.get_metadata().chain_id
    # Already expired: the prologue rejects it at submission.
    stale = LocalAccount.from_dict({**sender.to_dict(), "txn_expire_duration_secs": -10})
    past = stale.create_signed_txn(0, payload, chain_id=chain_id)
    with pytest.raises(jsonrpc.JsonRpcError, match="TRANSACTION_EXPIRED"):
        client.submit(past)

    # Expires soon and never runs (a sequence number ahead of the account's waits in the
    # mempool): once the ledger's clock passes the expiration the SDK reports it expired.
    soon = LocalAccount.from_dict({**sender.to_dict(), "txn_expire_duration_secs": 2})
    parked = soon.create_signed_txn(1, payload, chain_id=chain_id)
    client.submit(parked)
    started = time.monotonic()
    with pytest.raises(jsonrpc.TransactionExpired):
        client.wait_for_transaction(parked, timeout_secs=20)
    assert time.monotonic() - started < 20
    # Its turn comes only after it expired: the sequence number 0 goes through, 1 never runs.
    assert pay(sender, client, receiver.account_address, 10).vm_status.type == "executed"
    time.sleep(0.5)
    assert client.get_account_transaction(sender.account_address, 1) is None
    assert client.get_account_sequence(sender.account_address) == 1
    assert balance(client, receiver) == FAUCET_AMOUNT + 10
