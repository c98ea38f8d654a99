"""A real ``libra testnet`` for the SDK and wallet-suite tests: validator processes, JSON-RPC,
REST and the faucet on free loopback ports, stopped with Ctrl-C (SIGINT) like a person would.

Two validators: a single validator's consensus recurses (proposal, own vote, new round, next
proposal ...) on one stack until it overflows within seconds, so one is not enough yet."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from libra.node.ports import free_port_base

READY_SECS = 90.0
STOP_SECS = 30.0


def free_port() -> int:
    return free_port_base(1)


class LiveTestnet:
    """``libra testnet`` as a child process, with ``--chain-id 2`` (the Diem SDK's testnet
    chain id, which its ``LocalAccount`` signs with by default)."""

    def __init__(self, root: Path, validators: int = 2, chain_id: int = 2) -> None:
        self.root = root
        self.validators = validators
        self.chain_id = chain_id
        base = free_port_base(2 * validators + 1)
        self.validator_base = base
        self.api_port = base + validators
        self.faucet_port = base + 2 * validators
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()

    @property
    def json_rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/v1"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def faucet_url(self) -> str:
        return f"http://127.0.0.1:{self.faucet_port}/mint"

    def start(self) -> None:
        cmd = [
            sys.executable, "-m", "libra.cli.main", "testnet",
            "--validators", str(self.validators), "--data-dir", str(self.root / "testnet"),
            "--validator-base-port", str(self.validator_base),
            "--api-base-port", str(self.api_port), "--faucet-port", str(self.faucet_port),
            "--chain-id", str(self.chain_id), "--log-level", "WARNING",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + READY_SECS
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith("testnet ready"):
                return
        self.kill()
        raise AssertionError("libra testnet did not get ready:\n" + self.output())

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def output(self) -> str:
        return "".join(self.lines)[-5000:]

    def stop(self) -> int:
        """Ctrl-C, then the exit status (killed after :data:`STOP_SECS`)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(STOP_SECS)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_SECS)

    def get_json(self, path: str) -> Any:
        """A GET on the node's HTTP API (REST, health, ...), decoded as JSON."""
        with urllib.request.urlopen(self.api_url + path, timeout=10) as r:
            return json.loads(r.read())
