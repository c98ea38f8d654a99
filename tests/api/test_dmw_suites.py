"""The Diem SDK's own wallet test suites (``diem.testing.suites``: basic and off-chain v2), run
by the SDK's ``dmw test`` command against a real ``libra testnet``.

The target wallet is the SDK's MiniWallet (``dmw start-server``), a separate process; ``dmw
test`` starts its stub MiniWallet as the counterparty. Both use only our JSON-RPC and faucet:
accounts from the faucet, payments (general, travel-rule, refund and payment metadata), child
VASPs, dual attestation rotation, events and the Diem ID domain map. ``dmw start-server`` has
no option for a Diem ID domain, so the test gives the target's account one through the faucet's
``diem_id_domain`` parameter, the way the SDK's MiniWallet asks for its own domain."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_testnet import LiveTestnet

from libra.node.ports import free_port_base

pytest.importorskip("diem")
falcon = pytest.importorskip("falcon")
if int(falcon.__version__.split(".")[0]) >= 4:  # pragma: no cover - depends on the install
    pytest.skip(
        "the Diem SDK's MiniWallet uses falcon's Response.body, removed in falcon 4: "
        "install falcon<4",
        allow_module_level=True,
    )

from diem import jsonrpc, testnet  # noqa: E402
from diem.testing import LocalAccount  # noqa: E402

TARGET_READY_SECS = 90.0
SUITE_TIMEOUT_SECS = 480.0


def dmw_command() -> list[str]:
    script = Path(sys.executable).with_name("dmw")
    if script.exists():
        return [str(script)]
    found = shutil.which("dmw")
    if found is None:
        pytest.skip("the Diem SDK's dmw command is not installed")
    return [found]


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + TARGET_READY_SECS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("the target wallet exited:\n" + log.read_text()[-4000:])
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the target wallet did not start:\n" + log.read_text()[-4000:])


class Wallets:
    def __init__(self, net: LiveTestnet, root: Path) -> None:
        self.net = net
        self.root = root
        base = free_port_base(2)
        self.target_port, self.stub_port = base, base + 1
        self.target_url = f"http://127.0.0.1:{self.target_port}"
        self.target_log = root / "target.log"
        self.target: subprocess.Popen[bytes] | None = None

    def start_target(self) -> None:
        """``dmw start-server`` with a parent VASP account of our choosing, then its Diem ID
        domain through the faucet."""
        account = LocalAccount()
        config = self.root / "target-account.json"
        config.write_text(account.to_json())
        cmd = [
            *dmw_command(), "start-server", "--name", "target-wallet",
            "--host", "127.0.0.1", "--port", str(self.target_port),
            "--diem-account-base-url", self.target_url,
            "--jsonrpc", self.net.json_rpc_url, "--faucet", self.net.faucet_url,
            "--import-diem-account-config-file", str(config),
        ]  # fmt: skip
        out = self.target_log.open("wb")
        try:
            self.target = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.root,
            )
        finally:
            out.close()
        wait_for_port(self.target_port, self.target, self.target_log)
        client = jsonrpc.Client(self.net.json_rpc_url)
        domain = "target" + secrets.token_hex(8)
        faucet = testnet.Faucet(client, url=self.net.faucet_url)
        faucet.mint(account.auth_key.hex(), 0, testnet.TEST_CURRENCY_CODE, diem_id_domain=domain)
        assert client.get_diem_id_domain_map()[domain] == account.account_address.to_hex()

    def stop_target(self) -> None:
        if self.target is not None and self.target.poll() is None:
            self.target.terminate()
            try:
                self.target.wait(30)
            except subprocess.TimeoutExpired:
                self.target.kill()
                self.target.wait(30)

    def run_suites(self, *extra: str, keywords: str | None = None) -> tuple[int, str]:
        cmd = [
            *dmw_command(), "test", "--target", self.target_url,
            "--jsonrpc", self.net.json_rpc_url, "--faucet", self.net.faucet_url,
            "--stub-bind-host", "127.0.0.1", "--stub-bind-port", str(self.stub_port),
            "--stub-diem-account-base-url", f"http://127.0.0.1:{self.stub_port}",
            "--pytest-args", "-p no:cacheprovider -q -rfE",
            *extra,
        ]  # fmt: skip
        if keywords:
            cmd += ["--match-keywords", keywords]
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=SUITE_TIMEOUT_SECS,
            cwd=self.root,  # away from the repository's pytest configuration
        )
        return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wallets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wallets]:
    root = Path(tmp_path_factory.mktemp("dmw"))
    net = LiveTestnet(root)
    net.start()
    w = Wallets(net, root)
    try:
        w.start_target()
        yield w
    except BaseException:
        w.stop_target()
        net.kill()
        raise
    w.stop_target()
    code = net.stop()
    assert code == 0, net.output()


def counts(output: str) -> dict[str, int]:
    """pytest's closing counts (``183 passed, 2 skipped in 60.1s``)."""
    lines = [ln for ln in output.splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
    assert lines, output[-4000:]
    return {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?)", lines[-1])}


def test_dmw_basic_and_offchain_v2_suites_pass(wallets: Wallets) -> None:
    code, output = wallets.run_suites("--include-offchain-v2")
    result = counts(output)
    print(json.dumps(result))
    assert code == 0, output[-8000:]
    assert result.get("failed", 0) == 0 and result.get("error", 0) == 0
    assert result.get("errors", 0) == 0
    # 80 basic tests and 103 off-chain v2 tests in diem 1.7.1.
    assert result["passed"] >= 180, result
