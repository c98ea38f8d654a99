"""The ``libra`` command: version, keygen and decode."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner

from libra import bcs
from libra.api.faucet import create_parent_vasp_account, peer_to_peer_with_metadata
from libra.cli.main import main
from libra.crypto import Ed25519PrivateKey
from libra.types import (
    CORE_CODE_ADDRESS,
    AccountAddress,
    AuthenticationKey,
    ModuleId,
    PayloadScriptFunction,
    RawTransaction,
    ScriptFunction,
    SignedTransaction,
)
from vector_data import SIGNED


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("libra, version ")


def test_keygen_writes_an_owner_only_key(tmp_path: Path) -> None:
    out = tmp_path / "k.key"
    result = CliRunner().invoke(main, ["keygen", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    key = Ed25519PrivateKey.from_hex(out.read_text())
    auth = AuthenticationKey.ed25519(key.public_key)
    assert info["public_key"] == key.public_key.hex()
    assert info["auth_key"] == auth.hex()
    assert info["address"] == auth.derived_address().hex()
    assert info["account_identifier"].startswith("tdm1")
    again = CliRunner().invoke(main, ["keygen", "-o", str(out)])
    assert again.exit_code != 0 and "exists" in again.output
    assert Ed25519PrivateKey.from_hex(out.read_text()).public_key == key.public_key


def test_decode_every_vector_as_json() -> None:
    runner = CliRunner()
    for v in SIGNED:
        result = runner.invoke(main, ["decode", v["signed_txn_bcs"], "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["hash"] == v["txn_hash"]
        assert data["signature_valid"] is True
        assert data["raw_txn"]["sender"] == v["sender"]
        assert data["raw_txn"]["sequence_number"] == v["sequence_number"]


def test_decode_text_and_stdin() -> None:
    v = SIGNED[0]
    result = CliRunner().invoke(main, ["decode", "-"], input=v["signed_txn_bcs"] + "\n")
    assert result.exit_code == 0
    assert f"hash: {v['txn_hash']}" in result.output
    assert "signature_valid: true" in result.output


def test_decode_bad_input_gets_a_clear_error() -> None:
    runner = CliRunner()
    not_hex = runner.invoke(main, ["decode", "xyz"])
    assert not_hex.exit_code == 1 and "not hex" in not_hex.output
    truncated = runner.invoke(main, ["decode", SIGNED[0]["signed_txn_bcs"][:-2]])
    assert truncated.exit_code == 1 and "not a SignedTransaction" in truncated.output
    trailing = runner.invoke(main, ["decode", SIGNED[0]["signed_txn_bcs"] + "00"])
    assert trailing.exit_code == 1 and "trailing" in trailing.output
    # Every shape tried is named, with why it did not fit.
    for result in (truncated, trailing):
        assert "as a SignedTransaction: BCS decode error" in result.output
        assert "as a sequence of SignedTransactions: BCS decode error" in result.output


def _signed(call: ScriptFunction, seq: int) -> SignedTransaction:
    key = Ed25519PrivateKey(bytes(range(32)))
    sender = AuthenticationKey.ed25519(key.public_key).derived_address()
    raw = RawTransaction(sender, seq, PayloadScriptFunction(call), 1_000_000, 0, "XUS", 10**9, 4)
    return raw.sign(key)


PAYEE = AccountAddress.from_hex("0123456789abcdef0123456789abcdef")


def test_decode_reads_the_faucets_sequence_of_transactions() -> None:
    """What the faucet answers with return_txns=true: a BCS vector of SignedTransactions."""
    txns = (
        _signed(create_parent_vasp_account("XUS", 0, PAYEE, bytes(16), b"faucet"), 0),
        _signed(peer_to_peer_with_metadata("XUS", PAYEE, 10), 1),
    )
    answer = bcs.encode_as(tuple[SignedTransaction, ...], txns).hex()
    runner = CliRunner()
    result = runner.invoke(main, ["decode", answer, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [d["hash"] for d in data] == [t.hash().hex() for t in txns]
    assert [d["raw_txn"]["sequence_number"] for d in data] == [0, 1]
    assert all(d["signature_valid"] for d in data)
    text = runner.invoke(main, ["decode", "-"], input=answer + "\n")
    assert text.exit_code == 0, text.output
    assert text.output.startswith("transactions:\n  - [0]\n")
    assert f"hash: {txns[1].hash().hex()}" in text.output
    empty = runner.invoke(main, ["decode", "00"])  # the answer when nothing was sent
    assert empty.exit_code == 0 and empty.output == "transactions: []\n"
    assert json.loads(runner.invoke(main, ["decode", "00", "--json"]).output) == []


def test_decode_shows_known_script_function_arguments_decoded() -> None:
    txn = _signed(peer_to_peer_with_metadata("XUS", PAYEE, 10, b"\x01\x02"), 0)
    runner = CliRunner()
    data = json.loads(runner.invoke(main, ["decode", bcs.encode(txn).hex(), "--json"]).output)
    assert data["script_function_arguments"] == {
        "payee": PAYEE.hex(),
        "amount": 10,
        "metadata": "0102",
        "metadata_signature": "",
    }
    # The raw BCS arguments stay where they were.
    assert data["raw_txn"]["payload"]["value"]["args"][1] == "0a00000000000000"
    text = runner.invoke(main, ["decode", bcs.encode(txn).hex()]).output
    assert "script_function_arguments:\n  payee: " + PAYEE.hex() in text
    assert "  amount: 10\n" in text
    mint = _signed(create_parent_vasp_account("LBR", 3, PAYEE, bytes(16), b"x"), 0)
    args = json.loads(runner.invoke(main, ["decode", bcs.encode(mint).hex(), "--json"]).output)[
        "script_function_arguments"
    ]
    assert args["sliding_nonce"] == 3 and args["new_account_address"] == PAYEE.hex()
    assert args["human_name"] == "78" and args["add_all_currencies"] is False
    # Every framework script function among the vectors is decoded; anything else keeps only
    # its raw arguments.
    for v in SIGNED:
        if not v["name"].startswith("sf_"):
            continue
        out = json.loads(runner.invoke(main, ["decode", v["signed_txn_bcs"], "--json"]).output)
        known = v["name"] != "sf_hand_built_nested_type_args"
        assert ("script_function_arguments" in out) == known, v["name"]
    module = ModuleId(CORE_CODE_ADDRESS, "PaymentScripts")
    bad_args = ScriptFunction(module, "peer_to_peer_with_metadata", (), (b"\x01",))
    hex_txn = bcs.encode(_signed(bad_args, 0)).hex()
    out = json.loads(runner.invoke(main, ["decode", hex_txn, "--json"]).output)
    assert "script_function_arguments" not in out  # arguments that do not fit stay raw
