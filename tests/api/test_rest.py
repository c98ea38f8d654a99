"""The REST API: every route's answers, cursor pagination, 4xx on bad input, the OpenAPI
document and its interactive page."""

from __future__ import annotations

import pytest
from api_helpers import ALICE, ALICE_KEY, BOB, DEALER, TC_KEY, XUS, Net, Submitter
from fastapi.testclient import TestClient

from libra.api import ApiConfig, create_app
from libra.api.faucet import peer_to_peer_with_metadata, tiered_mint
from libra.types import TREASURY_COMPLIANCE_ADDRESS


@pytest.fixture
def client(net: Net, submitter: Submitter) -> TestClient:
    for amount in (1, 2, 3):
        submitter.submit(net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, amount)))
    mint = tiered_mint("LBR", 0, DEALER, 1_000_000)
    submitter.submit(net.sign(TC_KEY, mint, sender=TREASURY_COMPLIANCE_ADDRESS))
    return TestClient(create_app(net.reader, submitter, ApiConfig(rest_page_size=2)))


def test_ledger(client: TestClient, net: Net) -> None:
    body = client.get("/api/v1/ledger").json()
    latest = net.reader.latest()
    assert body == {
        "chain_id": 4,
        "version": latest.version,
        "timestamp_usecs": latest.timestamp_usecs,
        "epoch": 1,
        "accumulator_root_hash": bytes(latest.accumulator_root_hash).hex(),
    }


def test_accounts(client: TestClient) -> None:
    a = client.get(f"/api/v1/accounts/{ALICE.hex()}").json()
    assert a["role"] == "parent_vasp" and a["sequence_number"] == 3
    assert a["balances"] == [{"amount": 1_000_000_000 - 6, "currency": XUS}]
    assert a["human_name"] == "alice" and a["num_children"] == 0
    assert client.get(f"/api/v1/accounts/{ALICE.hex()}?version=0").json()["sequence_number"] == 0
    assert client.get("/api/v1/accounts/0x77").status_code == 404
    assert client.get("/api/v1/accounts/nothex").status_code == 422
    assert client.get(f"/api/v1/accounts/{ALICE.hex()}?version=999").status_code == 404
    assert client.get(f"/api/v1/accounts/{ALICE.hex()}?version=-1").status_code == 422


def test_account_transactions_paginate(client: TestClient) -> None:
    first = client.get(f"/api/v1/accounts/{ALICE.hex()}/transactions").json()
    assert [t["sequence_number"] for t in first["items"]] == [0, 1]
    assert first["next_cursor"] == "2"
    second = client.get(f"/api/v1/accounts/{ALICE.hex()}/transactions?cursor=2").json()
    assert [t["sequence_number"] for t in second["items"]] == [2]
    assert second["next_cursor"] is None
    t = second["items"][0]
    assert t["function"] == "0x1::PaymentScripts::peer_to_peer_with_metadata"
    assert t["vm_status"] == "executed" and t["sender"] == ALICE.hex()
    assert [e["type"] for e in t["events"]] == ["sentpayment", "receivedpayment"]
    assert t["events"][0]["data"]["amount"] == {"amount": 3, "currency": XUS}


def test_transactions_by_version_and_hash(client: TestClient, net: Net) -> None:
    seen = []
    cursor = None
    for _ in range(20):
        url = "/api/v1/transactions?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).json()
        seen += [t["version"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(net.reader.latest().version + 1))
    t = client.get("/api/v1/transactions/2").json()
    assert t["type"] == "user"
    assert client.get(f"/api/v1/transactions/by_hash/{t['hash']}").json()["version"] == 2
    assert client.get("/api/v1/transactions/1").json()["timestamp_usecs"] > 0
    assert client.get("/api/v1/transactions/999").status_code == 404
    assert client.get("/api/v1/transactions/by_hash/" + "00" * 32).status_code == 404
    assert client.get("/api/v1/transactions/by_hash/xyz").status_code == 422
    assert client.get("/api/v1/transactions?cursor=abc").status_code == 422
    assert client.get("/api/v1/transactions?cursor=" + "9" * 20).status_code == 422
    assert client.get("/api/v1/transactions?limit=0").status_code == 422


@pytest.mark.parametrize("text", ["%2B0.0", "1.0", "%201", "1_0", "0x1", "%EF%BC%95"])
def test_integers_must_be_plain_decimal_digits(client: TestClient, text: str) -> None:
    """Pydantic alone would take some of these for integers (``+0.0`` for 0)."""
    for url in (
        f"/api/v1/transactions/{text}",
        f"/api/v1/epochs/{text}",
        f"/api/v1/transactions?limit={text}",
        f"/api/v1/accounts/{ALICE.hex()}?version={text}",
    ):
        assert client.get(url).status_code == 422, url
    assert client.get("/api/v1/epochs/0").status_code in (200, 404)
    assert client.get("/api/v1/transactions/1").status_code == 200


def test_events_paginate(client: TestClient, net: Net) -> None:
    key = net.accounts[BOB].received_events.key.hex()
    page = client.get(f"/api/v1/events/{key}").json()
    assert [e["sequence_number"] for e in page["items"]] == [0, 1]
    rest = client.get(f"/api/v1/events/{key}?cursor={page['next_cursor']}").json()
    assert [e["data"]["amount"]["amount"] for e in rest["items"]] == [3]
    assert rest["next_cursor"] is None
    assert client.get("/api/v1/events/1234").status_code == 422


def test_blocks(client: TestClient, net: Net) -> None:
    page = client.get("/api/v1/blocks?limit=3").json()
    rounds = [b["round"] for b in page["items"]]
    assert rounds == [net.round, net.round - 1, net.round - 2]
    assert page["next_cursor"] is not None
    older = client.get(f"/api/v1/blocks?cursor={page['next_cursor']}&limit=10").json()
    assert [b["round"] for b in older["items"]] == list(range(net.round - 3, 0, -1))


def test_currencies_and_reserve(client: TestClient) -> None:
    cs = {c["code"]: c for c in client.get("/api/v1/currencies").json()}
    assert cs["LBR"]["total_value"] == 1_000_000 and cs["LBR"]["is_synthetic"]
    assert cs[XUS]["to_xdx_exchange_rate"] == 1.0
    r = client.get("/api/v1/reserve").json()
    assert r["lbr_supply"] == 1_000_000
    usd = next(a for a in r["assets"] if a["currency"] == "USD")
    assert usd["required"] == 500_000 and usd["held"] == 10_000_000
    assert r["coverage_bps"] == min(
        a["held"] * 10_000 // a["required"] for a in r["assets"] if a["required"]
    )
    assert r["fully_covered"] is True


def test_validators_epochs_association(client: TestClient, net: Net) -> None:
    vs = client.get("/api/v1/validators").json()
    assert vs["validators"][0]["voting_power"] == 1
    e0 = client.get("/api/v1/epochs/0").json()
    assert e0["epoch"] == 0 and e0["version"] == 0 and len(e0["next_epoch_validators"]) == 1
    assert client.get("/api/v1/epochs/1").status_code == 404
    assoc = client.get("/api/v1/association").json()
    assert assoc["members"] == ["0000000000000000000000000a550c18"]
    assert assoc["proposals"] == []


def test_openapi_and_docs(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = set(doc["paths"])
    for p in (
        "/v1",
        "/api/v1/ledger",
        "/api/v1/accounts/{address}",
        "/api/v1/transactions/{version}",
        "/api/v1/reserve",
        "/-/healthy",
        "/-/ready",
        "/metrics",
    ):
        assert p in paths
    assert "TransactionModel" in doc["components"]["schemas"]
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
