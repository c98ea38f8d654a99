"""The official Diem Python SDK (``diem==1.7.1``) against our API, unchanged.

First every response is parsed *strictly* with the SDK's own protobuf schema (unknown fields
are errors), then the SDK's client and faucet talk to live servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_helpers import (
    ALICE,
    ALICE_KEY,
    BOB,
    DEALER,
    DEALER_KEY,
    TC_KEY,
    XUS,
    Net,
    Submitter,
    serving,
)
from fastapi.testclient import TestClient

from libra.api import create_app
from libra.api.faucet import Faucet, FaucetConfig, create_faucet_app, peer_to_peer_with_metadata
from libra.types import DIEM_ROOT_ADDRESS, TREASURY_COMPLIANCE_ADDRESS

diem = pytest.importorskip("diem")
pytest.importorskip("google.protobuf")

from diem import diem_types, jsonrpc, stdlib, testnet, utils  # noqa: E402
from diem.jsonrpc import jsonrpc_pb2 as rpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402


def strict(result: Any, message: Any) -> Any:
    """Parses ``result`` into ``message`` with unknown fields rejected."""
    return json_format.ParseDict(result, message, ignore_unknown_fields=False)


@pytest.fixture
def client(net: Net, submitter: Submitter) -> TestClient:
    return TestClient(create_app(net.reader, submitter))


def rpc_result(client: TestClient, method: str, *params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    out = client.post("/v1", json=body).json()
    assert "error" not in out, out
    return out["result"]


def test_responses_parse_with_the_sdk_schema(
    client: TestClient, net: Net, submitter: Submitter
) -> None:
    submitter.submit(net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 5, b"\x01")))
    submitter.submit(net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 10**15)))
    m = strict(rpc_result(client, "get_metadata"), rpc.Metadata())
    assert m.chain_id == 4 and m.version == net.reader.latest().version
    for addr in (ALICE, DEALER, TREASURY_COMPLIANCE_ADDRESS, DIEM_ROOT_ADDRESS):
        a = strict(rpc_result(client, "get_account", addr.hex()), rpc.Account())
        assert a.address == addr.hex()
    txns = [
        strict(t, rpc.Transaction()) for t in rpc_result(client, "get_transactions", 0, 20, True)
    ]
    assert {t.vm_status.type for t in txns} == {"executed", "move_abort"}
    aborted = next(t for t in txns if t.vm_status.type == "move_abort")
    assert aborted.vm_status.explanation.reason == "EINSUFFICIENT_BALANCE"
    paid = next(t for t in txns if t.transaction.script.amount == 5)
    assert paid.transaction.script.receiver == BOB.hex()
    assert [e.data.type for e in paid.events] == ["sentpayment", "receivedpayment"]
    key = net.accounts[ALICE].sent_events.key.hex()
    for e in rpc_result(client, "get_events", key, 0, 10):
        strict(e, rpc.Event())
    for c in rpc_result(client, "get_currencies"):
        strict(c, rpc.CurrencyInfo())
    strict(rpc_result(client, "get_state_proof", 0), rpc.StateProof())
    strict(
        rpc_result(client, "get_account_state_with_proof", ALICE.hex(), None, None),
        rpc.AccountStateWithProof(),
    )
    strict(
        rpc_result(client, "get_accumulator_consistency_proof", None, None),
        rpc.AccumulatorConsistencyProof(),
    )


def test_sdk_decodes_our_bcs(client: TestClient, net: Net, submitter: Submitter) -> None:
    txn = net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 5, b"\x01"))
    submitter.submit(txn)
    t = rpc_result(client, "get_account_transaction", ALICE.hex(), 0, False)
    decoded = diem_types.Transaction.bcs_deserialize(bytes.fromhex(t["bytes"]))
    assert isinstance(decoded, diem_types.Transaction__UserTransaction)
    assert utils.transaction_hash(decoded.value) == t["hash"] == txn.hash().hex()


@pytest.fixture
def live(net: Net, submitter: Submitter) -> Iterator[tuple[str, str]]:
    config = FaucetConfig(chain_id=4, dealer_address=DEALER, poll_interval_secs=0.01)
    faucet = Faucet(net.reader, submitter, config, TC_KEY, DEALER_KEY)
    with (
        serving(create_app(net.reader, submitter)) as api,
        serving(create_faucet_app(faucet)) as faucet_url,
    ):
        yield api + "/v1", faucet_url + "/mint"


def test_sdk_client_and_faucet_live(live: tuple[str, str], net: Net) -> None:
    api_url, faucet_url = live
    client = jsonrpc.Client(api_url)
    assert client.get_metadata().chain_id == 4
    assert {c.code for c in client.get_currencies()} == {"XUS", "LBR"}
    faucet = testnet.Faucet(client, faucet_url)
    account = faucet.gen_account()
    got = client.must_get_account(account.account_address)
    assert got.balances[0].amount == 100_000_000_000 and got.role.type == "parent_vasp"
    dd = faucet.gen_account(dd_account=True)
    assert client.must_get_account(dd.account_address).role.type == "designated_dealer"
    payee = utils.account_address(BOB.hex())
    payload = stdlib.encode_peer_to_peer_with_metadata_script_function(
        utils.currency_code(XUS), payee, 1_000, b"", b""
    )
    txn = account.create_txn(client, payload=payload)
    client.submit(txn)
    executed = client.wait_for_transaction(txn, timeout_secs=5)
    assert executed.vm_status.type == "executed"
    assert executed.transaction.script.function_name == "peer_to_peer_with_metadata"
    received = client.get_events(client.must_get_account(payee).received_events_key, 0, 10)
    assert received[-1].data.amount.amount == 1_000
    sent = client.get_account_transactions(account.account_address, 0, 10, True)
    assert [t.transaction.sequence_number for t in sent] == [0]
    with pytest.raises(jsonrpc.JsonRpcError, match="SEQUENCE_NUMBER_TOO_OLD"):
        client.submit(txn)
    assert client.get_account(utils.account_address("00" * 15 + "77")) is None
    assert client.get_last_known_state().version == net.reader.latest().version


def test_sdk_sees_stale_responses_as_errors(live: tuple[str, str], net: Net) -> None:
    api_url, _ = live
    client = jsonrpc.Client(api_url)
    client.get_metadata()
    state = client.get_last_known_state()
    client.update_last_known_state(state.chain_id, state.version + 1, state.timestamp_usecs)
    with pytest.raises(jsonrpc.StaleResponseError):
        client.execute_without_retry("get_metadata", [], None)


def test_diem_bytecode_scripts_are_named_in_views() -> None:
    """Diem's transaction scripts (bytecode, as older wallets send them) show up as Diem's
    JSON-RPC shows them: by name, with a payment's named fields."""
    from libra import bcs
    from libra.api import views
    from libra.types import Script

    payee = utils.account_address(BOB.hex())
    p2p = stdlib.encode_peer_to_peer_with_metadata_script(
        utils.currency_code(XUS), payee, 1_234, b"\x01\x02", b"\x03"
    )
    view = views.script_view(bcs.decode(Script, p2p.bcs_serialize()))
    parsed = strict(view, rpc.Script())
    assert parsed.type == "peer_to_peer_with_metadata"
    assert (parsed.receiver, parsed.amount, parsed.currency) == (BOB.hex(), 1_234, XUS)
    assert (parsed.metadata, parsed.metadata_signature) == ("0102", "03")
    assert parsed.code == bytes(p2p.code).hex()
    assert list(parsed.type_arguments) == [XUS]
    rotate = stdlib.encode_rotate_dual_attestation_info_script(b"http://x", b"\x00" * 32)
    view = views.script_view(bcs.decode(Script, rotate.bcs_serialize()))
    assert view["type"] == "rotate_dual_attestation_info" and "receiver" not in view
