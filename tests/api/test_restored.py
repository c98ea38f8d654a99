"""A validator restored from a backup holds the state only from the backup's snapshot on:
the APIs say so clearly (the version asked, the oldest this node holds) for older versions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import ALICE, CHAIN_ID, Net, Submitter
from fastapi.testclient import TestClient

from libra.api import LedgerDBReader, create_app
from libra.api.errors import StateNotHeld
from libra.storage import LedgerDB
from libra.storage.backup import backup, restore

SNAPSHOT = 3
"""The backup's state snapshot version: the restored ledger holds no state before it."""


@pytest.fixture
def restored(net: Net, tmp_path: Path) -> Iterator[LedgerDBReader]:
    for _ in range(4):
        net.commit([])
    backup(net.db, tmp_path / "backup", version=SNAPSHOT)
    restore(tmp_path / "backup", tmp_path / "restored")
    db = LedgerDB.open(tmp_path / "restored")
    assert db.state_versions()[0] == SNAPSHOT and db.latest_version == 4
    yield LedgerDBReader(db, CHAIN_ID)
    db.close()


def _rpc(client: TestClient, method: str, *params: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    out: dict[str, Any] = client.post("/v1", json=body).json()
    return out


def test_the_adapter_names_the_oldest_state_version(restored: LedgerDBReader) -> None:
    assert restored.oldest_state_version() == SNAPSHOT
    with pytest.raises(StateNotHeld) as caught:
        restored.get_account_state(ALICE, 1)
    assert (caught.value.version, caught.value.oldest) == (1, SNAPSHOT)
    with pytest.raises(StateNotHeld):
        restored.get_account_state_with_proof(ALICE, 2, 4)
    state = restored.get_account_state(ALICE, SNAPSHOT)
    assert state is not None and state.sequence_number == 0


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("get_account", [ALICE.hex(), 1]),
        ("get_metadata", [1]),
        ("get_account_state_with_proof", [ALICE.hex(), 1, 4]),
    ],
)
def test_json_rpc_says_the_state_is_not_held(
    restored: LedgerDBReader, submitter: Submitter, method: str, params: list[Any]
) -> None:
    client = TestClient(create_app(restored, submitter))
    out = _rpc(client, method, *params)
    assert out["error"] == {
        "code": -32602,
        "message": f"Invalid params: {method}: this node does not hold the state at version 1 "
        "(pruned, or before the state snapshot it was restored from); its oldest state "
        f"version is {SNAPSHOT}",
        "data": None,
    }
    assert out["diem_ledger_version"] == 4
    assert "result" in _rpc(client, method, *[SNAPSHOT if p == 1 else p for p in params])


def test_rest_answers_gone(restored: LedgerDBReader, submitter: Submitter) -> None:
    client = TestClient(create_app(restored, submitter))
    r = client.get(f"/api/v1/accounts/{ALICE.hex()}", params={"version": 1})
    assert r.status_code == 410
    assert r.json()["detail"].startswith("this node does not hold the state at version 1")
    assert f"oldest state version is {SNAPSHOT}" in r.json()["detail"]
    ok = client.get(f"/api/v1/accounts/{ALICE.hex()}", params={"version": SNAPSHOT})
    assert ok.status_code == 200 and ok.json()["version"] == SNAPSHOT
