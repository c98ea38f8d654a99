"""The websocket event stream: Diem's subscribe_to_transactions and subscribe_to_events."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import ALICE, ALICE_KEY, BOB, XUS, Net, Submitter
from fastapi.testclient import TestClient

from libra.api import ApiConfig, create_app
from libra.api.faucet import peer_to_peer_with_metadata


@pytest.fixture
def client(net: Net, submitter: Submitter) -> TestClient:
    cfg = ApiConfig(stream_poll_interval_secs=0.01)
    return TestClient(create_app(net.reader, submitter, cfg))


def sub(method: str, params: Any, rid: Any = "s1") -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}


def test_subscribe_to_transactions_follows_the_ledger(
    client: TestClient, net: Net, submitter: Submitter
) -> None:
    submitter.submit(net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 1)))
    with client.websocket_connect("/v1/stream/ws") as ws:
        ws.send_json(
            sub("subscribe_to_transactions", {"starting_version": 1, "include_events": True})
        )
        ack = ws.receive_json()
        assert ack == {
            "jsonrpc": "2.0",
            "id": "s1",
            "result": {"status": "OK", "transaction_version": 2},
        }
        first, second = ws.receive_json(), ws.receive_json()
        assert first["id"] == "s1" and first["result"]["version"] == 1
        assert second["result"]["transaction"]["sender"] == ALICE.hex()
        assert [e["data"]["type"] for e in second["result"]["events"]] == [
            "sentpayment",
            "receivedpayment",
        ]
        submitter.submit(net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 2)))
        later = [ws.receive_json()["result"]["version"] for _ in range(2)]
        assert later == [3, 4]


def test_subscribe_to_events(client: TestClient, net: Net, submitter: Submitter) -> None:
    key = net.accounts[BOB].received_events.key.hex()
    with client.websocket_connect("/v1/stream/ws") as ws:
        ws.send_json(sub("subscribe_to_events", {"event_key": key, "event_seq_num": 0}, 7))
        assert ws.receive_json()["result"]["status"] == "OK"
        for amount in (5, 6):
            submitter.submit(net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, amount)))
        got = [ws.receive_json() for _ in range(2)]
        assert [g["id"] for g in got] == [7, 7]
        assert [g["result"]["data"]["amount"]["amount"] for g in got] == [5, 6]
        assert [g["result"]["sequence_number"] for g in got] == [0, 1]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("not json", -32604),
        ('{"jsonrpc":"2.0","method":"subscribe_to_events"}', -32604),
        ('{"jsonrpc":"2.0","id":1,"method":"subscribe_to_blocks","params":{}}', -32601),
        ('{"jsonrpc":"1.0","id":1,"method":"subscribe_to_events","params":{}}', -32600),
        ('{"jsonrpc":"2.0","id":1,"method":"subscribe_to_events","params":{}}', -32602),
        (
            '{"jsonrpc":"2.0","id":1,"method":"subscribe_to_transactions",'
            '"params":{"starting_version":-1,"include_events":false}}',
            -32602,
        ),
        (
            '{"jsonrpc":"2.0","id":1,"method":"subscribe_to_events",'
            '"params":{"event_key":"zz","event_seq_num":0}}',
            -32602,
        ),
    ],
)
def test_bad_subscriptions(client: TestClient, message: str, code: int) -> None:
    with client.websocket_connect("/v1/stream/ws") as ws:
        ws.send_text(message)
        assert ws.receive_json()["error"]["code"] == code
        ws.send_bytes(b"\xff")
        assert ws.receive_json()["error"]["code"] == -32604


def test_subscription_limit(net: Net, submitter: Submitter) -> None:
    c = TestClient(create_app(net.reader, submitter, ApiConfig(stream_poll_interval_secs=0.01)))
    key = net.accounts[BOB].received_events.key.hex()
    with c.websocket_connect("/v1/stream/ws") as ws:
        for i in range(10):
            ws.send_json(sub("subscribe_to_events", {"event_key": key, "event_seq_num": 0}, i))
            assert ws.receive_json()["result"]["status"] == "OK"
        ws.send_json(sub("subscribe_to_events", {"event_key": key, "event_seq_num": 0}, 10))
        assert ws.receive_json()["error"]["code"] == -32602
