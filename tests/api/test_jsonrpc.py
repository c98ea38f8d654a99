"""Diem JSON-RPC over the test network: every method's answers and errors, batches, the
envelope, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import (
    ALICE,
    ALICE_KEY,
    BOB,
    CHAIN_ID,
    DEALER,
    TC_KEY,
    XUS,
    Net,
    Submitter,
    auth_key_of,
    key,
)
from fastapi.testclient import TestClient

from libra import bcs
from libra.api import ApiConfig, create_app
from libra.api.faucet import peer_to_peer_with_metadata, tiered_mint
from libra.api.jsonrpc import METHOD_NAMES, TransactionWithProof
from libra.mempool import Mempool, MempoolService
from libra.storage.proof import TRANSACTION_ACCUMULATOR_HASHER as TXN_ACC
from libra.storage.proof import (
    AccountStateWithProof,
    AccumulatorConsistencyProof,
    AccumulatorRangeProof,
    EpochChangeProof,
    EventWithProof,
    InMemoryAccumulator,
    TransactionInfoWithProof,
    ledger_info_of,
)
from libra.types import (
    DIEM_ROOT_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    EpochState,
    LedgerInfoWithSignatures,
    SignedTransaction,
    Transaction,
    TransactionInfo,
)

TOO_BIG = str(1 << 64).encode()


def call(client: TestClient, method: str, *params: Any) -> dict[str, Any]:
    r = client.post("/v1", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    assert r.status_code == 200
    out: dict[str, Any] = r.json()
    return out


def result(client: TestClient, method: str, *params: Any) -> Any:
    out = call(client, method, *params)
    assert "error" not in out, out
    return out["result"]


def error(client: TestClient, method: str, *params: Any) -> dict[str, Any]:
    out = call(client, method, *params)
    assert "result" not in out, out
    err: dict[str, Any] = out["error"]
    return err


@pytest.fixture
def client(net: Net, submitter: Submitter) -> TestClient:
    return TestClient(create_app(net.reader, submitter, ApiConfig(), peer_count=lambda: 3))


@pytest.fixture
def paid(net: Net, submitter: Submitter) -> SignedTransaction:
    """Alice paid Bob 1234 XUS with metadata (committed)."""
    txn = net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 1234, b"\x01\x02", b""))
    assert submitter.submit(txn).accepted
    return txn


def test_sixteen_methods() -> None:
    assert len(METHOD_NAMES) == 16


def test_envelope_on_results_and_errors(client: TestClient, net: Net) -> None:
    latest = net.reader.latest()
    for out in (call(client, "get_metadata"), call(client, "no_such_method")):
        assert out["jsonrpc"] == "2.0" and out["id"] == 1
        assert out["diem_chain_id"] == CHAIN_ID
        assert out["diem_ledger_version"] == latest.version
        assert out["diem_ledger_timestampusec"] == latest.timestamp_usecs


def test_get_metadata(client: TestClient, net: Net, paid: SignedTransaction) -> None:
    latest = net.reader.latest()
    m = result(client, "get_metadata")
    assert m["version"] == latest.version == 2
    assert m["timestamp"] == latest.timestamp_usecs
    assert m["chain_id"] == CHAIN_ID
    assert m["accumulator_root_hash"] == bytes(latest.accumulator_root_hash).hex()
    assert m["diem_version"] == 3 and m["dual_attestation_limit"] == 1_000_000_000
    old = result(client, "get_metadata", 0)
    assert old["version"] == 0
    genesis_li = ledger_info_of(net.db.get_epoch_ending_ledger_info(0))
    assert old["accumulator_root_hash"] == genesis_li.transaction_accumulator_hash.hex()
    assert error(client, "get_metadata", 3)["code"] == -32602


def test_get_account_views(client: TestClient, net: Net) -> None:
    a = result(client, "get_account", ALICE.hex())
    assert a["address"] == ALICE.hex()
    assert a["balances"] == [{"amount": 1_000_000_000, "currency": XUS}]
    assert a["sequence_number"] == 0 and a["is_frozen"] is False
    assert a["sent_events_key"] == net.accounts[ALICE].sent_events.key.hex()
    assert a["received_events_key"] == net.accounts[ALICE].received_events.key.hex()
    role = a["role"]
    assert role["type"] == "parent_vasp" and role["human_name"] == "alice"
    assert role["base_url"] == "https://alice.example" and role["num_children"] == 0
    assert len(role["compliance_key_rotation_events_key"]) == 48
    dd = result(client, "get_account", "0x" + DEALER.hex())["role"]
    assert dd["type"] == "designated_dealer"
    assert dd["received_mint_events_key"] == "0000000000000000" + DEALER.hex()
    tc = result(client, "get_account", TREASURY_COMPLIANCE_ADDRESS.hex())["role"]
    assert tc["type"] == "treasury_compliance"
    assert tc["diem_id_domain_events_key"] == net.root.diem_id_domain_events.key.hex()
    assert result(client, "get_account", DIEM_ROOT_ADDRESS.hex())["role"] == {"type": "unknown"}
    assert result(client, "get_account", AccountAddress.from_int(77).hex()) is None
    assert result(client, "get_account", ALICE.hex(), 0)["version"] == 0


@pytest.mark.parametrize(
    "params",
    [[], ["zz"], [12], ["0x" + "1" * 40], [ALICE.hex(), -1], [ALICE.hex(), True], [1, 2, 3]],
)
def test_get_account_bad_params(client: TestClient, params: list[Any]) -> None:
    err = error(client, "get_account", *params)
    assert err["code"] == -32602 and "get_account" in err["message"]


def test_transactions_and_views(client: TestClient, net: Net, paid: SignedTransaction) -> None:
    txns = result(client, "get_transactions", 0, 10, True)
    assert [t["version"] for t in txns] == [0, 1, 2]
    assert txns[0]["transaction"] == {"type": "writeset"}
    assert txns[1]["transaction"]["type"] == "blockmetadata"
    assert txns[1]["events"][0]["data"]["type"] == "newblock"
    user = txns[2]
    assert user["hash"] == paid.hash().hex()
    assert bcs.decode(Transaction, bytes.fromhex(user["bytes"])).hash().hex() == user["hash"]
    assert user["vm_status"] == {"type": "executed"} and user["gas_used"] == 7
    data = user["transaction"]
    assert data["type"] == "user" and data["sender"] == ALICE.hex()
    assert data["signature_scheme"] == "Scheme::Ed25519"
    assert data["public_key"] == bytes(ALICE_KEY.public_key).hex()
    assert data["chain_id"] == CHAIN_ID and data["gas_currency"] == XUS
    assert data["script_hash"] == "00" * 32
    script = data["script"]
    assert script["type"] == "script_function"
    assert script["module_address"] == "00000000000000000000000000000001"
    assert (script["module_name"], script["function_name"]) == (
        "PaymentScripts",
        "peer_to_peer_with_metadata",
    )
    assert script["type_arguments"] == [XUS]
    assert script["receiver"] == BOB.hex() and script["amount"] == 1234
    assert script["currency"] == XUS and script["metadata"] == "0102"
    assert script["metadata_signature"] == ""
    sent, received = user["events"]
    assert sent["data"] == {
        "type": "sentpayment",
        "amount": {"amount": 1234, "currency": XUS},
        "sender": ALICE.hex(),
        "receiver": BOB.hex(),
        "metadata": "0102",
    }
    assert received["data"]["type"] == "receivedpayment"
    assert received["data"]["sender"] == ALICE.hex()
    assert received["data"]["receiver"] == BOB.hex()
    assert sent["transaction_version"] == 2
    no_events = result(client, "get_transactions", 2, 1, False)
    assert no_events[0]["events"] == []
    assert result(client, "get_transactions", 50, 10, False) == []
    assert error(client, "get_transactions", 0, 1001, False)["code"] == -32602
    assert error(client, "get_transactions", 0, 10)["code"] == -32602


def test_account_transactions(client: TestClient, net: Net, submitter: Submitter) -> None:
    for amount in (1, 2, 3):
        assert submitter.submit(net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, amount)))
    t = result(client, "get_account_transaction", ALICE.hex(), 1, True)
    assert t["transaction"]["sequence_number"] == 1 and t["transaction"]["script"]["amount"] == 2
    assert len(t["events"]) == 2
    assert result(client, "get_account_transaction", ALICE.hex(), 3, True) is None
    ts = result(client, "get_account_transactions", ALICE.hex(), 0, 10, False)
    assert [x["transaction"]["sequence_number"] for x in ts] == [0, 1, 2]
    assert all(x["events"] == [] for x in ts)
    assert result(client, "get_account_transactions", BOB.hex(), 0, 10, False) == []


def test_failed_transaction_is_committed_with_move_abort(
    client: TestClient, net: Net, submitter: Submitter
) -> None:
    too_much = net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 10**15))
    assert submitter.submit(too_much).accepted
    t = result(client, "get_account_transaction", ALICE.hex(), 0, True)
    status = t["vm_status"]
    assert status["type"] == "move_abort"
    assert status["location"] == "00000000000000000000000000000001::DiemAccount"
    assert status["abort_code"] == 8 + (5 << 8)
    assert status["explanation"]["category"] == "LIMIT_EXCEEDED"
    assert status["explanation"]["reason"] == "EINSUFFICIENT_BALANCE"
    assert result(client, "get_account", ALICE.hex())["sequence_number"] == 1


def test_get_events(client: TestClient, net: Net, submitter: Submitter) -> None:
    for amount in (5, 6, 7):
        submitter.submit(net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, amount)))
    sent_key = net.accounts[ALICE].sent_events.key.hex()
    evs = result(client, "get_events", sent_key, 0, 10)
    assert [e["sequence_number"] for e in evs] == [0, 1, 2]
    assert [e["data"]["amount"]["amount"] for e in evs] == [5, 6, 7]
    assert [e["key"] for e in evs] == [sent_key] * 3
    assert result(client, "get_events", sent_key, 1, 1)[0]["sequence_number"] == 1
    assert result(client, "get_events", sent_key, 9, 10) == []
    assert error(client, "get_events", "abcd", 0, 1)["code"] == -32602
    proofs = result(client, "get_events_with_proofs", sent_key, 0, 10)
    li = ledger_info_of(net.reader.latest().ledger_info)
    for i, p in enumerate(proofs):
        ewp = bcs.decode(EventWithProof, bytes.fromhex(p["event_with_proof"]))
        ewp.verify(li, net.accounts[ALICE].sent_events.key, i, evs[i]["transaction_version"], 0)


def test_get_event_by_version_with_proof(
    client: TestClient, net: Net, submitter: Submitter
) -> None:
    key_hex = net.accounts[ALICE].sent_events.key.hex()
    assert result(client, "get_event_by_version_with_proof", key_hex) == {}
    versions = []
    for amount in (5, 6, 7):
        submitter.submit(net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, amount)))
        versions.append(net.reader.latest().version)

    def seqs(out: dict[str, Any]) -> tuple[int | None, int | None]:
        def s(name: str) -> int | None:
            if name not in out:
                return None
            ewp = bcs.decode(EventWithProof, bytes.fromhex(out[name]["event_with_proof"]))
            return int(ewp.event.sequence_number)  # type: ignore[attr-defined]

        return s("lower_bound_incl"), s("upper_bound_excl")

    assert seqs(result(client, "get_event_by_version_with_proof", key_hex, 0)) == (None, 0)
    assert seqs(result(client, "get_event_by_version_with_proof", key_hex, versions[0])) == (0, 1)
    assert seqs(result(client, "get_event_by_version_with_proof", key_hex, versions[1] + 1)) == (
        1,
        2,
    )
    assert seqs(result(client, "get_event_by_version_with_proof", key_hex)) == (2, None)


def test_get_currencies(client: TestClient, net: Net) -> None:
    cs = result(client, "get_currencies")
    assert [c["code"] for c in cs] == sorted(net.root.currencies)
    xus = next(c for c in cs if c["code"] == XUS)
    assert xus["scaling_factor"] == 1_000_000 and xus["fractional_part"] == 100
    assert xus["to_xdx_exchange_rate"] == 1.0
    assert xus["mint_events_key"] == net.root.currencies[XUS].mint_events.key.hex()


def test_get_network_status(client: TestClient) -> None:
    assert result(client, "get_network_status") == 3


def test_state_proof_and_consistency(client: TestClient, net: Net, paid: SignedTransaction) -> None:
    sp = result(client, "get_state_proof", 0)
    signed = bcs.decode(LedgerInfoWithSignatures, bytes.fromhex(sp["ledger_info_with_signatures"]))
    li = ledger_info_of(signed)
    assert li.version == 2
    change = bcs.decode(EpochChangeProof, bytes.fromhex(sp["epoch_change_proof"]))
    trusted = EpochState(0, net.verifier)
    assert change.verify(trusted).epoch == 1
    signed.verify(net.verifier)  # type: ignore[attr-defined]
    consistency = bcs.decode(
        AccumulatorConsistencyProof, bytes.fromhex(sp["ledger_consistency_proof"])
    )
    genesis = ledger_info_of(net.db.get_epoch_ending_ledger_info(0))
    old = InMemoryAccumulator(TXN_ACC, [genesis.transaction_accumulator_hash], 1)
    new = old.append_subtrees(consistency.subtrees, 2)
    assert new.root_hash == li.transaction_accumulator_hash
    full = result(client, "get_accumulator_consistency_proof")
    subtrees = bcs.decode(
        AccumulatorConsistencyProof, bytes.fromhex(full["ledger_consistency_proof"])
    ).subtrees
    assert InMemoryAccumulator(TXN_ACC, subtrees, 3).root_hash == li.transaction_accumulator_hash
    assert result(client, "get_accumulator_consistency_proof", 0, 2) is not None
    assert error(client, "get_accumulator_consistency_proof", 2, 1)["code"] == -32602
    assert error(client, "get_state_proof", 99)["code"] == -32602


def test_account_state_with_proof(client: TestClient, net: Net) -> None:
    out = result(client, "get_account_state_with_proof", ALICE.hex(), None, None)
    li = ledger_info_of(net.reader.latest().ledger_info)
    p = out["proof"]
    blob_view = bytes.fromhex(out["blob"])
    raw = b"".join(
        bytes.fromhex(p[k])
        for k in (
            "ledger_info_to_transaction_info_proof",
            "transaction_info",
            "transaction_info_to_account_proof",
        )
    )
    asp = bcs.decode(
        AccountStateWithProof, out["version"].to_bytes(8, "little") + b"\x01" + blob_view + raw
    )
    asp.verify(li, out["version"], ALICE)
    missing = result(client, "get_account_state_with_proof", AccountAddress.from_int(5).hex())
    assert "blob" not in missing
    assert error(client, "get_account_state_with_proof", ALICE.hex(), 5, 1)["code"] == -32602


def test_transactions_with_proofs(client: TestClient, net: Net, paid: SignedTransaction) -> None:
    out = result(client, "get_transactions_with_proofs", 0, 10, True)
    txns = [bcs.decode(Transaction, bytes.fromhex(t)) for t in out["serialized_transactions"]]
    infos = bcs.decode_as(
        tuple[TransactionInfo, ...], bytes.fromhex(out["proofs"]["transaction_infos"])
    )
    assert [t.hash() for t in txns] == [i.transaction_hash for i in infos]
    rp = bcs.decode(
        AccumulatorRangeProof,
        bytes.fromhex(out["proofs"]["ledger_info_to_transaction_infos_proof"]),
    )
    li = ledger_info_of(net.reader.latest().ledger_info)
    rp.verify(TXN_ACC, li.transaction_accumulator_hash, 0, [i.hash() for i in infos])
    assert "serialized_events" in out
    assert "serialized_events" not in result(client, "get_transactions_with_proofs", 0, 1)
    assert result(client, "get_transactions_with_proofs", 50, 1) is None


def test_account_transactions_with_proofs(
    client: TestClient, net: Net, paid: SignedTransaction
) -> None:
    out = result(client, "get_account_transactions_with_proofs", ALICE.hex(), 0, 10, True)
    (hex_twp,) = out["serialized_txns_with_proofs"]
    twp = bcs.decode(TransactionWithProof, bytes.fromhex(hex_twp))
    assert twp.version == 2 and twp.events is not None and len(twp.events) == 2
    proof: TransactionInfoWithProof = twp.proof
    proof.verify(ledger_info_of(net.reader.latest().ledger_info), 2)
    assert proof.transaction_info.transaction_hash == twp.transaction.hash()
    none = result(client, "get_account_transactions_with_proofs", ALICE.hex(), 0, 10, False, 1)
    assert none == {"serialized_txns_with_proofs": []}


def test_submit_accepts_and_rejects(client: TestClient, net: Net, submitter: Submitter) -> None:
    txn = net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 9))
    assert result(client, "submit", bcs.encode(txn).hex()) is None
    assert net.accounts[ALICE].sequence_number == 1
    err = error(client, "submit", bcs.encode(txn).hex())
    assert err["code"] == -32001
    assert err["message"] == "Server error: VM Validation error: SEQUENCE_NUMBER_TOO_OLD"
    assert err["data"] == 3
    stranger = net.sign(key(60), peer_to_peer_with_metadata(XUS, BOB, 1), sender=BOB, seq=0)
    assert error(client, "submit", bcs.encode(stranger).hex())["message"].endswith(
        "INVALID_AUTH_KEY"
    )
    wrong_chain = net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 1), chain_id=2)
    assert error(client, "submit", bcs.encode(wrong_chain).hex())["message"].endswith(
        "BAD_CHAIN_ID"
    )
    expired = net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 1), expiration=1)
    assert error(client, "submit", bcs.encode(expired).hex())["message"].endswith(
        "TRANSACTION_EXPIRED"
    )
    submitter.full = True
    fresh = net.sign(TC_KEY, tiered_mint(XUS, 0, DEALER, 1), sender=TREASURY_COMPLIANCE_ADDRESS)
    err = error(client, "submit", bcs.encode(fresh).hex())
    assert err["code"] == -32008 and "Mempool submission error" in err["message"]


class _NoPeers:
    """A mempool transport without peers."""

    def send(self, peer: AccountAddress, message: bytes) -> bool:
        return False

    def broadcast(self, message: bytes) -> int:
        return 0


def test_submit_through_the_mempool_reports_as_diem(net: Net) -> None:
    """With the real mempool behind ``submit``: a replayed transaction (sequence number below
    the account's) is Diem's VM validation error SEQUENCE_NUMBER_TOO_OLD, as is an unknown
    sender's SENDING_ACCOUNT_DOES_NOT_EXIST; mempool-level refusals keep their -3200x codes."""

    def seq_of(a: AccountAddress) -> int:
        return net.accounts[a].sequence_number if a in net.accounts else 0

    service = MempoolService(Mempool(net.validate, seq_of, capacity_per_sender=1), _NoPeers())
    client = TestClient(create_app(net.reader, service))
    txn = net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 9))
    assert result(client, "submit", bcs.encode(txn).hex()) is None
    assert result(client, "submit", bcs.encode(txn).hex()) is None  # the same again
    cheaper = net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 8))
    assert error(client, "submit", bcs.encode(cheaper).hex())["code"] == -32010
    later = net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 1), seq=1)
    assert error(client, "submit", bcs.encode(later).hex())["code"] == -32009
    net.commit([txn])
    service.mempool.commit([(ALICE, 0)])
    err = error(client, "submit", bcs.encode(txn).hex())
    assert err == {
        "code": -32001,
        "message": "Server error: VM Validation error: SEQUENCE_NUMBER_TOO_OLD",
        "data": 3,
    }
    stranger_key = key(61)
    stranger = auth_key_of(stranger_key).derived_address()
    unknown = net.sign(
        stranger_key, peer_to_peer_with_metadata(XUS, BOB, 1), sender=stranger, seq=0
    )
    assert error(client, "submit", bcs.encode(unknown).hex()) == {
        "code": -32001,
        "message": "Server error: VM Validation error: SENDING_ACCOUNT_DOES_NOT_EXIST",
        "data": 7,
    }


@pytest.mark.parametrize("data", ["zz", "00", "", 5, None])
def test_submit_bad_data(client: TestClient, data: Any) -> None:
    assert error(client, "submit", data)["code"] == -32602


def test_batches(client: TestClient) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": i, "method": "get_currencies", "params": []} for i in range(20)
    ]
    batch[3] = {"jsonrpc": "2.0", "id": 3, "method": "nope", "params": []}
    out = client.post("/v1", json=batch).json()
    assert [o["id"] for o in out] == list(range(20))
    assert out[3]["error"]["code"] == -32601
    assert all("result" in o for i, o in enumerate(out) if i != 3)
    assert len({o["diem_ledger_version"] for o in out}) == 1
    too_many = client.post("/v1", json=batch + batch[:1]).json()
    assert too_many["error"]["code"] == -32600 and "21" in too_many["error"]["message"]
    assert client.post("/v1", json=[]).json()["error"]["code"] == -32600


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", -32700),
        (b"\xff\xfe", -32700),
        (b"42", -32600),
        (b'"get_metadata"', -32600),
        (b'{"jsonrpc":"1.0","id":1,"method":"get_metadata"}', -32600),
        (b'{"jsonrpc":"2.0","id":1,"method":7}', -32600),
        (b'{"jsonrpc":"2.0","id":1,"method":"get_metadata","params":{"a":1}}', -32602),
        (b'{"jsonrpc":"2.0","id":1,"method":"get_metadata","params":["x"]}', -32602),
        (b'{"jsonrpc":"2.0","id":1,"method":"get_metadata","params":[1.5]}', -32602),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"get_metadata","params":[18446744073709551616]}',
            -32602,
        ),
        (b"[1, 2]", -32600),
        (b"[" * 100_000 + b"]" * 100_000, -32700),
    ],
)
def test_bad_requests_get_json_errors(client: TestClient, body: bytes, code: int) -> None:
    r = client.post("/v1", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200
    out = r.json()
    first = out[0] if isinstance(out, list) else out
    assert first["error"]["code"] == code
    assert first["diem_chain_id"] == CHAIN_ID


def test_unknown_method_names_it(client: TestClient) -> None:
    err = error(client, "get_everything")
    assert err == {"code": -32601, "message": "Method not found: get_everything", "data": None}


def test_empty_ledger_answers_server_error(tmp_path: Any) -> None:
    from libra.api.adapter import LedgerDBReader
    from libra.storage import LedgerDB

    db = LedgerDB.open(tmp_path / "empty")
    reader = LedgerDBReader(db, CHAIN_ID)
    c = TestClient(create_app(reader, Submitter.__new__(Submitter)))
    out = c.post("/v1", json={"jsonrpc": "2.0", "id": 1, "method": "get_metadata"}).json()
    assert out["error"]["code"] == -32000 and "diem_chain_id" not in out
    assert c.get("/-/ready").status_code == 503
    db.close()


def test_request_ids_are_echoed(client: TestClient) -> None:
    for rid in ("abc", 7, 1.5, -2, None):
        body = {"jsonrpc": "2.0", "id": rid, "method": "get_network_status", "params": []}
        assert client.post("/v1", json=body).json()["id"] == rid
    body = {"jsonrpc": "2.0", "method": "get_network_status", "params": []}
    assert client.post("/v1", json=body).json()["id"] is None


INVALID_FORMAT = {
    "code": -32604,
    "message": 'Invalid request format: "id" must be a string, a number or null',
    "data": None,
}


@pytest.mark.parametrize("rid", [{"a": 1}, [1], [], True, False])
def test_ids_that_are_not_strings_numbers_or_null_are_refused(
    client: TestClient, net: Net, submitter: Submitter, rid: Any
) -> None:
    """JSON-RPC 2.0 ids are strings, numbers or null: Diem answers any other id with its
    invalid-format error (-32604, id null) and executes nothing, in a batch per request."""
    txn = net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 9))
    body = {"jsonrpc": "2.0", "id": rid, "method": "submit", "params": [bcs.encode(txn).hex()]}
    out = client.post("/v1", json=body).json()
    assert out["id"] is None and out["error"] == INVALID_FORMAT and "result" not in out
    assert out["diem_chain_id"] == CHAIN_ID
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "get_network_status", "params": []},
        body,
        {"jsonrpc": "2.0", "id": 3, "method": "get_network_status", "params": []},
    ]
    first, refused, last = client.post("/v1", json=batch).json()
    assert first["id"] == 1 and first["result"] == 3
    assert refused["id"] is None and refused["error"] == INVALID_FORMAT
    assert last["id"] == 3 and last["result"] == 3
    assert net.submitted == [] and net.accounts[ALICE].sequence_number == 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"jsonrpc":"2.0","id":NaN,"method":"get_metadata","params":[]}',
        b'{"jsonrpc":"2.0","id":1e400,"method":"get_metadata","params":[]}',
        b'{"jsonrpc":"2.0","id":1,"method":"get_metadata","params":[-Infinity]}',
    ],
)
def test_non_json_numbers_are_parse_errors(client: TestClient, body: bytes) -> None:
    """NaN, Infinity and numbers beyond the float range are not JSON (Python's parser takes
    them, and an id echoed back as one could not be written)."""
    r = client.post("/v1", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["error"]["code"] == -32700


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        (
            "get_account_state_with_proof",
            ["0000000000000000000000000A550C18", 2, 1],
            "version 2 is after the ledger version 1",
        ),
        (
            "get_account_state_with_proof",
            ["0000000000000000000000000A550C18", 0, 3],
            "ledger version 3 is after the ledger version 2",
        ),
        (
            "get_accumulator_consistency_proof",
            [2, 1],
            "client known version 2 is after the ledger version 1",
        ),
        ("get_account", [ALICE.hex(), 3], "version 3 is after the ledger version 2"),
        ("get_state_proof", [99], "known version 99 is after the ledger version 2"),
    ],
)
def test_invalid_params_messages_name_the_method(
    client: TestClient, paid: SignedTransaction, method: str, params: list[Any], message: str
) -> None:
    assert error(client, method, *params) == {
        "code": -32602,
        "message": f"Invalid params: {method}: {message}",
        "data": None,
    }
