"""``libra node`` and ``libra testnet`` refuse bad input with one clear line."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from click.testing import CliRunner

from libra.cli.main import main
from libra.node.genesis import create_testnet
from libra.node.ports import free_port_base


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.output


def test_node_without_a_config_file(tmp_path: Path) -> None:
    code, out = run("node", "--config", str(tmp_path / "missing.json"))
    assert code == 1 and "Error: cannot read" in out and "Traceback" not in out


def test_node_with_a_malformed_config(tmp_path: Path) -> None:
    p = tmp_path / "node.json"
    p.write_text("{not json")
    code, out = run("node", "--config", str(p))
    assert code == 1 and "not valid JSON" in out
    p.write_text(json.dumps({"address": "zz"}))
    code, out = run("node", "--config", str(p))
    assert code == 1 and "Error:" in out and "Traceback" not in out


def test_node_with_a_corrupt_genesis_or_key(tmp_path: Path) -> None:
    nodes = create_testnet(tmp_path / "net", 1, faucet_port=None)
    config = nodes[0].directory / "node.json"
    (tmp_path / "net" / "genesis.bcs").write_bytes(b"\x07garbage")
    code, out = run("node", "--config", str(config))
    assert code == 1 and "genesis" in out and "Traceback" not in out
    nodes = create_testnet(tmp_path / "net2", 1, faucet_port=None)
    (nodes[0].directory / "consensus.key").write_text("nothex\n")
    code, out = run("node", "--config", str(nodes[0].directory / "node.json"))
    assert code == 1 and "consensus.key" in out and "hex" in out


def test_testnet_refuses_a_data_dir_without_validators(tmp_path: Path) -> None:
    d = tmp_path / "tn"
    d.mkdir()
    (d / "genesis.bcs").write_bytes(b"")
    code, out = run("testnet", "--data-dir", str(d))
    assert code == 1 and "holds no validators" in out


def test_testnet_reset_wipes_the_network_and_ports_in_use_are_refused(tmp_path: Path) -> None:
    d = tmp_path / "tn"
    create_testnet(d, 1, faucet_port=None)
    old = (d / "genesis.bcs").read_bytes()
    (d / "stray").write_text("x")
    base = free_port_base(2)
    with socket.socket() as s:
        s.bind(("127.0.0.1", base + 1))
        s.listen()
        code, out = run(
            "testnet", "--reset", "-n", "1", "--data-dir", str(d),
            "--validator-base-port", str(base), "--api-base-port", str(base + 1),
        )  # fmt: skip
    assert code == 1 and f"API port 127.0.0.1:{base + 1} is in use" in out, out
    assert "--api-base-port" in out and "Traceback" not in out
    # A new network was made (a new genesis), and nothing of the old one is left.
    assert (d / "genesis.bcs").read_bytes() != old
    assert not (d / "stray").exists()


def test_node_config_values_of_the_wrong_type_or_range_are_refused(tmp_path: Path) -> None:
    nodes = create_testnet(tmp_path / "net", 1, faucet_port=None)
    config = nodes[0].directory / "node.json"
    good = json.loads(config.read_text())
    for key, value, expected in [
        ("api_port", "8080", 'api_port must be int, not "8080"'),
        ("api_port", True, "api_port must be int, not true"),
        ("listen_port", 70000, "listen_port 70000 is not a port"),
        ("faucet_port", 1.5, "faucet_port must be int or null, not 1.5"),
        ("max_block_transactions", 0, "max_block_transactions must be positive, not 0"),
        ("api_rate_limit_per_second", -1, "api_rate_limit_per_second must be positive"),
        ("api_rate_limit_burst", None, "api_rate_limit_burst must be int, not null"),
        ("chain_id", 256, "chain_id 256 is not a u8"),
        ("data_dir", 5, "data_dir must be str, not 5"),
    ]:
        config.write_text(json.dumps({**good, key: value}))
        code, out = run("node", "--config", str(config))
        assert code == 1 and expected in out and "Traceback" not in out, (key, out)
