"""Validators as real processes on loopback: start four, load them, kill one, restart it; all
agree. And ``libra testnet``: readiness line, clean Ctrl-C, resume."""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from libra import bcs
from libra.api.faucet import tiered_mint
from libra.consensus.safety_rules import SafetyData
from libra.node.config import NodeFiles
from libra.node.genesis import create_testnet, load_testnet_keys
from libra.node.ports import free_port_base
from libra.types import (
    TREASURY_COMPLIANCE_ADDRESS,
    AuthenticationKey,
    PayloadScriptFunction,
    RawTransaction,
)

DEADLINE = 60.0


def rpc(port: int, method: str, *params: Any) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1", body.encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        out = json.loads(r.read())
    if "error" in out:
        raise RuntimeError(out["error"])
    return out["result"]


def version(port: int) -> int | None:
    try:
        return int(rpc(port, "get_metadata")["version"])
    except (OSError, RuntimeError, ValueError, http.client.HTTPException):
        return None


def wait_for(what: str, check: Any, timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = check()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "libra.cli.main", "node", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        out.close()


class Net:
    def __init__(self, root: Path) -> None:
        base = free_port_base(8)
        self.root = root
        self.nodes = create_testnet(
            root, 4, validator_base_port=base, api_base_port=base + 4, faucet_port=None
        )
        # Empty blocks as fast as the network allows: the restart test needs a long gap soon.
        for i, n in enumerate(self.nodes):
            self.nodes[i] = NodeFiles(
                n.directory, dataclasses.replace(n.config, idle_block_wait_ms=0)
            )
            self.nodes[i].save()
        self.api = [n.config.api_port for n in self.nodes]
        self.keys = load_testnet_keys(root)
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * 4
        self.tc_seq = 0

    def start(self, i: int) -> None:
        d = self.nodes[i].directory
        self.procs[i] = start(d / "node.json", d / "node.log")

    def stop(self, i: int, sig: int = signal.SIGTERM) -> int:
        p = self.procs[i]
        assert p is not None
        p.send_signal(sig)
        code = p.wait(30)
        self.procs[i] = None
        return code

    def mint_txn(self, amount: int) -> str:
        dealer = AuthenticationKey.ed25519(self.keys.dealer.public_key).derived_address()
        raw = RawTransaction(
            TREASURY_COMPLIANCE_ADDRESS,
            self.tc_seq,
            PayloadScriptFunction(tiered_mint("XUS", 0, dealer, amount)),
            1_000_000,
            0,
            "XUS",
            int(time.time()) + 600,
            4,
        )
        self.tc_seq += 1
        return bcs.encode(raw.sign(self.keys.treasury)).hex()

    def log(self, i: int) -> str:
        return (self.nodes[i].directory / "node.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Net]:
    n = Net(tmp_path / "net")
    yield n
    for p in n.procs:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()


def metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


def accumulator_at(port: int, v: int) -> str:
    return str(rpc(port, "get_metadata", v)["accumulator_root_hash"])


def safety_data(node: NodeFiles) -> SafetyData | None:
    """The validator's persisted safety data, read from its consensus store (LMDB allows a
    reader beside the running validator)."""
    import lmdb

    env = lmdb.open(str(node.data_path / "consensus"), readonly=True, max_dbs=8)
    try:
        with env.begin() as txn:
            raw = txn.get(b"safety_data", db=env.open_db(b"meta", txn=txn, create=False))
            return None if raw is None else bcs.decode(SafetyData, bytes(raw))
    finally:
        env.close()


def progress(d: SafetyData | None) -> tuple[int, int, int]:
    return (0, 0, 0) if d is None else (d.epoch, d.last_voted_round, d.highest_timeout_round)


def recovery_lines(net: Net, i: int) -> list[str]:
    """What the validator's log says about rebuilding its block tree at start."""
    text = (net.nodes[i].directory / "node.log").read_text(errors="replace")
    return [
        line
        for line in text.splitlines()
        if "rebuilt the block tree" in line or "waiting for a peer's sync info" in line
    ]


def test_four_validators_kill_one_restart_all_agree(net: Net) -> None:
    for i in range(4):
        net.start(i)
    wait_for("all validators ready", lambda: all(version(p) for p in net.api))
    for _ in range(20):
        rpc(net.api[0], "submit", net.mint_txn(10))
    wait_for(
        "20 mints committed",
        lambda: rpc(
            net.api[1], "get_account_transaction", TREASURY_COMPLIANCE_ADDRESS.hex(), 19, False
        ),
    )

    killed_at = version(net.api[3])
    assert killed_at is not None
    assert net.stop(3, signal.SIGKILL) == -signal.SIGKILL
    signed_before = progress(safety_data(net.nodes[3]))
    for _ in range(20):
        rpc(net.api[1], "submit", net.mint_txn(10))
    wait_for(
        "commits without validator 3",
        lambda: rpc(
            net.api[2], "get_account_transaction", TREASURY_COMPLIANCE_ADDRESS.hex(), 39, False
        ),
    )

    # Far enough behind that fetching blocks through consensus (at most 256) cannot catch up.
    wait_for("a long gap", lambda: (version(net.api[0]) or 0) > killed_at + 300, 90)
    net.start(3)
    target = max(v for p in net.api[:3] if (v := version(p)) is not None)
    assert target > killed_at
    wait_for("validator 3 caught up", lambda: (version(net.api[3]) or 0) >= target, 90)
    synced = metric(net.api[3], "libra_state_sync_transactions")
    assert synced > 0  # it caught up by state sync, not by replaying consensus
    # It rebuilt the tree it had stored (then fast-forwarded: the rest is too far ahead), or
    # found its store did not fit and waited for a peer; either way it caught up.
    lines = recovery_lines(net, 3)
    assert len(lines) == 1, lines  # the restart (the first start had an empty store)
    common = min(v for p in net.api if (v := version(p)) is not None)
    roots = {accumulator_at(p, common) for p in net.api}
    assert len(roots) == 1, roots
    dealer = AuthenticationKey.ed25519(net.keys.dealer.public_key).derived_address()
    balances = {
        json.dumps(rpc(p, "get_account", dealer.hex(), common)["balances"]) for p in net.api
    }
    assert len(balances) == 1
    # Validator 3 takes part again: new transactions commit on it too.
    rpc(net.api[3], "submit", net.mint_txn(10))
    wait_for(
        "a mint through validator 3",
        lambda: rpc(
            net.api[3], "get_account_transaction", TREASURY_COMPLIANCE_ADDRESS.hex(), 40, False
        ),
    )
    wait_for("validator 3 signs again", lambda: progress(safety_data(net.nodes[3])) > signed_before)
    for i in range(4):
        assert net.stop(i) == 0, net.log(i)


def test_a_restarted_validator_never_signs_twice(net: Net) -> None:
    for i in range(4):
        net.start(i)
    wait_for("all validators ready", lambda: all(version(p) for p in net.api))
    wait_for("a few rounds", lambda: (version(net.api[0]) or 0) > 10)
    net.stop(1, signal.SIGKILL)
    before = safety_data(net.nodes[1])
    assert before is not None and before.last_vote is not None
    net.start(1)
    wait_for("validator 1 ready", lambda: version(net.api[1]))
    wait_for("validator 1 votes again", lambda: safety_data(net.nodes[1]) != before)
    new = safety_data(net.nodes[1])
    assert new is not None
    assert (new.epoch, new.last_voted_round) > (before.epoch, before.last_voted_round)
    # Killed right away, it had the committed block and what followed in its store: it rebuilt
    # its tree from there rather than waiting for a peer.
    lines = recovery_lines(net, 1)
    assert len(lines) == 1 and "rebuilt the block tree" in lines[0], lines
    for i in range(4):
        assert net.stop(i) == 0, net.log(i)


def test_testnet_command_starts_stops_and_resumes(tmp_path: Path) -> None:
    base = free_port_base(3)
    data = tmp_path / "tn"
    cmd = [
        sys.executable, "-m", "libra.cli.main", "testnet", "--validators", "1",
        "--data-dir", str(data), "--validator-base-port", str(base),
        "--api-base-port", str(base + 1), "--faucet-port", str(base + 2),
    ]  # fmt: skip

    def run_until_ready() -> tuple[subprocess.Popen[str], list[str]]:
        p = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        lines: list[str] = []
        assert p.stdout is not None
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("testnet ready"):
                return p, lines
        p.kill()
        raise AssertionError("".join(lines))

    p, lines = run_until_ready()
    text = "".join(lines)
    # An idle network makes a few blocks a second (the leader waits for transactions), and its
    # ledger clock follows the wall clock.
    t0, v0 = time.time(), version(base + 1)
    time.sleep(2)
    meta = rpc(base + 1, "get_metadata")
    assert v0 is not None and 2 <= meta["version"] - v0 <= 40
    assert abs(meta["timestamp"] / 1e6 - time.time()) < 1.5
    assert meta["timestamp"] / 1e6 > t0
    assert f"http://127.0.0.1:{base + 1}/v1" in text
    assert f"http://127.0.0.1:{base + 2}/mint" in text
    wait_for("some commits", lambda: (version(base + 1) or 0) > 5)
    first = version(base + 1)
    assert first is not None
    p.send_signal(signal.SIGINT)
    assert p.wait(30) == 0
    assert "stopped" in (p.stdout.read() if p.stdout else "")

    cmd += ["--chain-id", "2"]
    p, lines = run_until_ready()  # resumes the same ledger
    try:
        assert "--chain-id 2 ignored: the network keeps 4" in "".join(lines)
        v = version(base + 1)
        assert v is not None and v >= first
        assert rpc(base + 1, "get_metadata", first)["version"] == first
        # While it runs: a second testnet on its data, or on its ports, and a second process
        # on its validator are refused at once with a clear line.
        other = free_port_base(3)
        for args, expected in [
            (cmd[3:], f"{data} is in use by another testnet process"),
            (
                ["testnet", "-n", "1", "--data-dir", str(tmp_path / "other"),
                 "--validator-base-port", str(other), "--api-base-port", str(base + 1),
                 "--faucet-port", str(other + 2)],
                f"validator-0's API port 127.0.0.1:{base + 1} is in use by another program",
            ),
            (
                ["node", "--config", str(data / "validator-0" / "node.json")],
                "is in use by another validator process (pid ",
            ),
        ]:  # fmt: skip
            r = subprocess.run(
                [sys.executable, "-m", "libra.cli.main", *args],
                capture_output=True, text=True, timeout=DEADLINE,
            )  # fmt: skip
            assert r.returncode == 1 and expected in r.stderr, r.stderr
            assert "Traceback" not in r.stderr
        assert version(base + 1) is not None
        # The network ends with its last validator, saying so.
        pid = int((data / "validator-0" / ".lock").read_text())
        os.kill(pid, signal.SIGKILL)
        assert p.wait(30) == 1
        rest = p.stdout.read() if p.stdout else ""
        assert "none is left" in rest and "every validator has exited" in rest, rest
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
            p.wait(30)
