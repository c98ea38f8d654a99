"""What the Diem SDK sends is what the framework accepts: names, argument layouts, legacy
script hashes and transaction sizes, checked against the SDK-generated vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from libra import bcs
from libra.framework import gas
from libra.framework.scripts import SCRIPTS, decode_args
from libra.framework.transaction import _ARG_CLASS, LEGACY_SCRIPTS, _resolve
from libra.types import PayloadScript, PayloadScriptFunction, SignedTransaction

VECTORS = json.loads(
    (Path(__file__).parents[1] / "vectors" / "signed_transactions.json").read_text()
)["vectors"]


def _signed(v: dict[str, Any]) -> SignedTransaction:
    return bcs.decode(SignedTransaction, bytes.fromhex(v["signed_txn_bcs"]))


FRAMEWORK_CALLS = [
    v
    for v in VECTORS
    if v["payload"].get("script_function", {}).get("module_address") == "0" * 31 + "1"
]
SCRIPT_CALLS = [v for v in VECTORS if v["payload_kind"] == "script" and v.get("function")]


@pytest.mark.parametrize("v", FRAMEWORK_CALLS, ids=lambda v: v["name"])
def test_script_function_is_known_with_diem_arguments(v: dict[str, Any]) -> None:
    sf = v["payload"]["script_function"]
    spec = SCRIPTS[(sf["module_name"], sf["function"])]
    raw_args = tuple(bytes.fromhex(a) for a in sf["args"])
    assert len(raw_args) == len(spec.params)
    assert len(sf["ty_args"]) == spec.currencies
    decode_args(spec.params, raw_args)
    signed = _signed(v)
    assert isinstance(signed.raw_txn.payload, PayloadScriptFunction)
    resolved, _, args, is_script = _resolve(signed)
    assert resolved is spec and not is_script and args == raw_args


@pytest.mark.parametrize("v", SCRIPT_CALLS, ids=lambda v: v["name"])
def test_legacy_script_recognised_by_hash(v: dict[str, Any]) -> None:
    signed = _signed(v)
    assert isinstance(signed.raw_txn.payload, PayloadScript)
    spec, _, args, is_script = _resolve(signed)
    assert is_script and spec.name == v["function"]
    assert [type(a) for a in args] == [_ARG_CLASS[k] for k in spec.params]


def test_the_three_diem_legacy_scripts_are_known() -> None:
    names = {f for _, f in LEGACY_SCRIPTS.values()}
    assert {
        "peer_to_peer_with_metadata",
        "create_child_vasp_account",
        "rotate_dual_attestation_info",
    } <= names


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v["name"])
def test_transaction_size_matches_encoding(v: dict[str, Any]) -> None:
    signed = _signed(v)
    assert gas.transaction_size(signed) == len(bytes.fromhex(v["signed_txn_bcs"]))
