"""The ``libra`` command: version, keygen and decode."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner

from libra.cli.main import main
from libra.crypto import Ed25519PrivateKey
from libra.types import AuthenticationKey
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
