"""schemathesis against our OpenAPI document: generated requests to every REST and operations
route never get a 5xx and every answer matches its documented schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from api_helpers import ALICE_KEY, BOB, XUS, Submitter, build_net

from libra.api import create_app
from libra.api.faucet import peer_to_peer_with_metadata

schemathesis = pytest.importorskip("schemathesis")

_dir = tempfile.TemporaryDirectory()
_net = build_net(Path(_dir.name) / "db")
_submitter = Submitter(_net)
_submitter.submit(_net.sign(ALICE_KEY, peer_to_peer_with_metadata(XUS, BOB, 5)))
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_net.reader, _submitter))
schema = schema.exclude(path="/v1")


@schema.parametrize()
def test_openapi_conformance(case: schemathesis.Case) -> None:
    case.call_and_validate()
