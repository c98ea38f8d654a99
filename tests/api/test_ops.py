"""Operations: health and readiness, Prometheus metrics, body size and rate limits, JSON logs,
configuration checks; and bad input never answered with a 500 (Hypothesis)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from api_helpers import ALICE, CHAIN_ID, Net, Submitter
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from libra.api import ApiConfig, ConfigError, LedgerDBReader, create_app
from libra.api.jsonrpc import METHOD_NAMES
from libra.api.ops import JsonLogFormatter, RateLimiter
from libra.storage import LedgerDB


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_health_and_readiness(net: Net, submitter: Submitter) -> None:
    ready = [False]
    c = TestClient(create_app(net.reader, submitter, ready=lambda: ready[0]))
    assert c.get("/-/healthy").json() == {"status": "ok"}
    r = c.get("/-/ready")
    assert r.status_code == 503 and r.json()["detail"] == "node not ready"
    ready[0] = True
    assert c.get("/-/ready").json() == {"ready": True, "version": 0, "detail": None}


def test_metrics(net: Net, submitter: Submitter) -> None:
    cfg = ApiConfig(extra_gauges={"libra_consensus_round": lambda: 42.0})
    c = TestClient(create_app(net.reader, submitter, cfg))
    c.post("/v1", json={"jsonrpc": "2.0", "id": 1, "method": "get_metadata", "params": []})
    c.post("/v1", json={"jsonrpc": "2.0", "id": 1, "method": "get_account", "params": [1]})
    c.get(f"/api/v1/accounts/{ALICE.hex()}")
    text = c.get("/metrics").text
    assert "libra_committed_version 0.0" in text
    assert "libra_consensus_round 42.0" in text
    assert 'libra_api_requests_total{api="jsonrpc",method="get_metadata",result="ok"} 1.0' in text
    assert 'method="get_account",result="-32602"} 1.0' in text
    assert 'libra_api_latency_seconds_count{api="jsonrpc",method="get_metadata"} 1.0' in text
    assert 'api="rest",method="/api/v1/accounts/{address}",result="ok"' in text


def test_body_size_limit(net: Net, submitter: Submitter) -> None:
    c = TestClient(create_app(net.reader, submitter, ApiConfig(max_body_bytes=100)))
    big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "submit", "params": ["00" * 200]})
    r = c.post("/v1", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert (
        r.json()["error"]["code"] == -32600 and "limit of 100 bytes" in r.json()["error"]["message"]
    )

    def chunks() -> Any:
        yield b"[" + b" " * 60
        yield b" " * 60 + b"]"

    r = c.post("/v1", content=chunks())
    assert r.status_code == 413
    r = c.post("/api/v1/ledger", content=b"x" * 200)
    assert r.status_code == 413 and "detail" in r.json()
    ok = c.post("/v1", json={"jsonrpc": "2.0", "id": 1, "method": "get_metadata"})
    assert ok.status_code == 200


def test_json_rpc_refusals_carry_the_envelope(
    net: Net, submitter: Submitter, tmp_path: Any
) -> None:
    """A JSON-RPC request refused for its size (413) or rate (429) is answered like every other
    JSON-RPC error: with Diem's envelope of the latest ledger."""
    latest = net.reader.latest()
    envelope = {
        "id": None,
        "jsonrpc": "2.0",
        "diem_chain_id": CHAIN_ID,
        "diem_ledger_version": latest.version,
        "diem_ledger_timestampusec": latest.timestamp_usecs,
    }
    c = TestClient(create_app(net.reader, submitter, ApiConfig(max_body_bytes=100)))
    big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "submit", "params": ["00" * 200]})
    for r in (
        c.post("/v1", content=big, headers={"content-type": "application/json"}),
        c.post("/v1/", content=iter([big.encode()])),  # no content-length: counted as read
    ):
        assert r.status_code == 413
        out = r.json()
        assert {k: out[k] for k in envelope} == envelope
        assert out["error"]["code"] == -32600 and "limit of 100 bytes" in out["error"]["message"]
    assert c.post("/api/v1/ledger", content=b"x" * 200).json().keys() == {"detail"}
    clock = FakeClock()
    cfg = ApiConfig(rate_limit_per_second=1.0, rate_limit_burst=1)
    c = TestClient(create_app(net.reader, submitter, cfg, clock=clock))
    c.get("/-/healthy")
    r = c.post("/v1", json={"jsonrpc": "2.0", "id": 1, "method": "get_metadata"})
    assert r.status_code == 429 and {k: r.json()[k] for k in envelope} == envelope
    # Before the first ledger info there is no envelope to give, as for any other response.
    empty = LedgerDB.open(tmp_path / "empty")
    c = TestClient(
        create_app(LedgerDBReader(empty, CHAIN_ID), submitter, ApiConfig(max_body_bytes=10))
    )
    out = c.post("/v1", content=big).json()
    assert out["error"]["code"] == -32600 and "diem_chain_id" not in out
    empty.close()


def test_rate_limit(net: Net, submitter: Submitter) -> None:
    clock = FakeClock()
    cfg = ApiConfig(rate_limit_per_second=1.0, rate_limit_burst=3)
    c = TestClient(create_app(net.reader, submitter, cfg, clock=clock))
    codes = [c.get("/-/healthy").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    r = c.post("/v1", json={"jsonrpc": "2.0", "id": 1, "method": "get_metadata"})
    assert r.status_code == 429 and r.json()["error"]["code"] == -32600
    clock.now += 1.0
    assert c.get("/-/healthy").status_code == 200
    assert c.get("/-/healthy").status_code == 429
    assert (
        "libra_api_rejected_requests_total"
        in TestClient(create_app(net.reader, submitter)).get("/metrics").text
    )


def test_rate_limiter_forgets_old_clients() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1.0, 1, 2, clock)
    assert limiter.allow("a") and not limiter.allow("a")
    assert limiter.retry_after("a") == pytest.approx(1.0)
    assert limiter.allow("b") and limiter.allow("c")
    assert limiter.allow("a")  # "a" was forgotten when "c" arrived
    clock.now += 0.5
    assert not limiter.allow("c")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_body_bytes": 0},
        {"rate_limit_per_second": 0.0},
        {"rate_limit_per_second": float("inf")},
        {"batch_size_limit": -1},
        {"page_size_limit": 0},
    ],
)
def test_config_is_checked(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        ApiConfig(**kwargs)


def test_json_logs() -> None:
    record = logging.LogRecord("libra.api", logging.INFO, "f", 1, "request", None, None)
    record.fields = {"status": 200, "path": "/v1"}
    out = json.loads(JsonLogFormatter().format(record))
    assert out["msg"] == "request" and out["status"] == 200 and out["level"] == "info"


def test_request_log_line(net: Net, submitter: Submitter, caplog: pytest.LogCaptureFixture) -> None:
    c = TestClient(create_app(net.reader, submitter))
    with caplog.at_level(logging.INFO, logger="libra.api"):
        c.get("/-/healthy")
    fields = [getattr(r, "fields", None) for r in caplog.records if r.name == "libra.api"]
    assert {"client": "testclient", "method": "GET", "path": "/-/healthy"}.items() <= (
        fields[-1] or {}
    ).items()


@pytest.fixture
def quiet_client(net: Net, submitter: Submitter) -> TestClient:
    """A client that reports server errors as responses (so a 500 fails the assertion)."""
    return TestClient(create_app(net.reader, submitter), raise_server_exceptions=False)


json_values = hs.recursive(
    hs.none()
    | hs.booleans()
    | hs.integers(min_value=-(2**70), max_value=2**70)
    | hs.floats(allow_nan=False)
    | hs.text(max_size=40),
    lambda children: (
        hs.lists(children, max_size=4) | hs.dictionaries(hs.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
requests = hs.fixed_dictionaries(
    {"jsonrpc": hs.sampled_from(["2.0", "2.0", "1.0"]), "id": json_values},
    optional={
        "method": hs.sampled_from(METHOD_NAMES) | hs.text(max_size=20),
        "params": hs.lists(json_values, max_size=6) | json_values,
    },
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=requests | hs.lists(requests, max_size=3) | json_values | hs.binary(max_size=60))
def test_fuzzed_requests_never_500(quiet_client: TestClient, body: Any) -> None:
    c = quiet_client
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = c.post("/v1", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 200
    out = r.json()
    for o in out if isinstance(out, list) else [out]:
        assert ("result" in o) != ("error" in o)
        if "error" in o:
            assert o["error"]["code"] in range(-32700, -31999)
        assert o["diem_chain_id"] == 4
