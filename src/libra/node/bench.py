"""``libra bench network``: validators as real processes on loopback, loaded with LBR transfers.

One run:

1. Pre-signs the load (not timed): ``accounts`` parent VASPs (deterministic keys), each
   sending LBR peer-to-peer transfers to the others; transaction ``i`` is sent by account
   ``i % accounts`` with sequence number ``i // accounts``. Times Ed25519 verification of a
   sample of these transactions on this machine (one core, then times the cores: the
   machine's verifications per second, the naive *ceiling* ``verifications / validators``,
   were every validator to verify every transaction once, and the ceiling with attested
   batches, ``verifications / (f+1)``, where f+1 validators verify each transaction).
2. Creates a test network (:func:`~libra.node.genesis.create_testnet`) in a temporary
   directory and starts its validators as processes (``libra node``), free loopback ports.
3. Funds the accounts with real transactions through JSON-RPC ``submit`` (not timed): the
   custodian records reserve deposits covering the LBR to mint, Treasury Compliance creates
   the parent VASPs and mints LBR to the dealer, the dealer pays every account.
4. The measured phase: submitter threads send the pre-signed transfers in JSON-RPC batches
   (``batch`` per request) to the validators (account ``a`` always to validator
   ``a % validators``), keeping at most ``inflight`` submitted transactions uncommitted. A
   poller reads validator 0's committed ledger (its LMDB files, read-only) every few
   milliseconds: the time it first sees a transaction's version is its commit time.

Reported: committed user transactions per second over the measured window (first submission
to the last commit seen; from the ledger's versions, BlockMetadata excluded), submit-to-commit
latency percentiles, rejected submissions, and the verification figures. For diagnosis also:
the validators' CPU time per committed transaction (from ``/proc``, all validators together),
their consensus rounds and timeouts, the signatures each checked in peer batches and the
peer batches each admitted on attestations or after the fallback timeout (all since the
validator started, setup included), and the machine's load average (other programs running on
the machine take CPU from the validators, so quote medians of several runs).

``inflight`` trades latency for throughput (Little's law: latency ~ inflight / throughput).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from libra import bcs
from libra.api.faucet import create_parent_vasp_account, peer_to_peer_with_metadata, tiered_mint
from libra.crypto import Ed25519PrivateKey
from libra.framework.genesis import DEFAULT_BASKET
from libra.mempool.attestation import designated_attestors
from libra.node.config import NodeFiles
from libra.node.genesis import TestnetKeys, create_testnet, load_testnet_keys
from libra.node.ports import NoFreePorts, free_port_base
from libra.storage.ledger_db import DEFAULT_MAP_SIZE
from libra.types import (
    CORE_CODE_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    AuthenticationKey,
    ModuleId,
    PayloadScriptFunction,
    RawTransaction,
    ScriptFunction,
    SignedTransaction,
)

__all__ = ["BenchError", "Progress", "run", "run_once"]

_MAX_GAS = 1_000_000
_PER_ACCOUNT = 1_000_000_000  # 1,000 LBR each
_WAVE = 100  # Diem's mempool takes at most 100 pending transactions per sender
_U64 = struct.Struct(">Q")


class BenchError(RuntimeError):
    """The network did not start, or the setup transactions did not commit."""


Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: called now and then while a run goes on."""


def _noop(phase: str, done: int, total: int) -> None:
    pass


# -- transactions ------------------------------------------------------------------------------


def _key(seed: int, i: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey((seed * 10_000_000 + 1_000 + i).to_bytes(32, "big"))


def _address(k: Ed25519PrivateKey) -> AccountAddress:
    return AuthenticationKey.ed25519(k.public_key).derived_address()


def _sign(
    key: Ed25519PrivateKey,
    sender: AccountAddress,
    seq: int,
    call: ScriptFunction,
    chain_id: int,
    currency: str = "LBR",
) -> SignedTransaction:
    expiry = int(time.time()) + 3_600
    raw = RawTransaction(
        sender, seq, PayloadScriptFunction(call), _MAX_GAS, 0, currency, expiry, chain_id
    )
    return raw.sign(key)


def _record_deposit(code: str, amount: int) -> ScriptFunction:
    return ScriptFunction(
        ModuleId(CORE_CODE_ADDRESS, "ReserveScripts"),
        "record_deposit",
        (),
        (
            bcs.encode_as(bytes, code.encode()),
            b"\x00",
            bcs.encode_as(bcs.U64, amount),
            bcs.encode_as(bytes, b"bench"),
        ),
    )


def transfers(
    keys: Sequence[Ed25519PrivateKey],
    addrs: Sequence[AccountAddress],
    count: int,
    chain_id: int,
    seed: int,
) -> list[SignedTransaction]:
    """``count`` LBR transfers: transaction ``i`` from account ``i % len(addrs)`` (sequence
    number ``i // len(addrs)``) to a random other account."""
    rng = random.Random(seed)
    n = len(addrs)
    out = []
    for i in range(count):
        s = i % n
        r = rng.randrange(n - 1)
        if r >= s:
            r += 1
        call = peer_to_peer_with_metadata("LBR", addrs[r], rng.randrange(1, 1_000))
        out.append(_sign(keys[s], addrs[s], i // n, call, chain_id))
    return out


def measure_verification(signed: Sequence[SignedTransaction], seconds: float = 1.0) -> float:
    """Ed25519 verifications per second on one core (transactions' signatures)."""
    if not signed:
        return 0.0
    done = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds and done < 200_000:
        for t in signed[:2_000]:
            if not t.verify_signature():
                raise BenchError("a pre-signed transaction does not verify")
        done += min(len(signed), 2_000)
        elapsed = time.perf_counter() - start
    return done / elapsed


# -- processes and JSON-RPC --------------------------------------------------------------------


def _free_base(count: int) -> int:
    try:
        return free_port_base(count)
    except NoFreePorts as e:
        raise BenchError(str(e)) from None


class _Client:
    """A keep-alive JSON-RPC client of one validator (one thread uses it)."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def post(self, body: bytes) -> Any:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request("POST", "/v1", body, {"Content-Type": "application/json"})
                resp = self.conn.getresponse()
                data = resp.read()
                return json.loads(data)
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def call(self, method: str, *params: Any) -> Any:
        out = self.post(
            json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
            ).encode()
        )
        if "error" in out:
            raise BenchError(f"{method}: {out['error']}")
        return out["result"]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _submit_body(txns: Sequence[SignedTransaction]) -> bytes:
    return json.dumps(
        [
            {"jsonrpc": "2.0", "id": i, "method": "submit", "params": [bcs.encode(t).hex()]}
            for i, t in enumerate(txns)
        ]
    ).encode()


@dataclass
class _Network:
    root: Path
    nodes: list[NodeFiles]
    keys: TestnetKeys
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def api_ports(self) -> list[int]:
        return [n.config.api_port for n in self.nodes]

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for n in self.nodes:
            with (n.directory / "node.log").open("ab") as out:
                self.procs.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "libra.cli.main",
                            "node",
                            "--config",
                            str(n.directory / "node.json"),
                        ],
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        env=env,
                    )
                )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = set(self.api_ports)
        while pending and time.monotonic() < deadline:
            for i, p in enumerate(self.procs):
                if p.poll() is not None:
                    raise BenchError(f"validator {i} exited with {p.returncode}: {self.log(i)}")
            for port in list(pending):
                c = _Client(port, timeout=2)
                try:
                    if c.call("get_metadata")["version"] >= 0:
                        pending.discard(port)
                except (OSError, BenchError, ValueError, KeyError, http.client.HTTPException):
                    pass
                finally:
                    c.close()
            time.sleep(0.1)
        if pending:
            raise BenchError(f"validators on API ports {sorted(pending)} did not start")

    def log(self, i: int) -> str:
        try:
            return (self.nodes[i].directory / "node.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process used so far; 0.0 where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _metrics(port: int) -> dict[str, float]:
    """A few of a validator's Prometheus gauges (empty if it does not answer)."""
    wanted = (
        "libra_consensus_round",
        "libra_consensus_timeouts",
        "libra_mempool_signatures_verified",
        "libra_mempool_batches_admitted_by_attestation",
        "libra_mempool_batches_admitted_by_fallback",
    )
    out: dict[str, float] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/metrics")
        for line in conn.getresponse().read().decode().splitlines():
            name, _, value = line.partition(" ")
            if name in wanted:
                out[name] = float(value)
    except (OSError, http.client.HTTPException, ValueError):
        pass
    finally:
        conn.close()
    return out


# -- the committed ledger ----------------------------------------------------------------------


class LedgerTail:
    """Reads a validator's committed transactions (its LMDB ``txn`` table, read-only) from a
    version on; cheap enough to poll every few milliseconds during the load."""

    def __init__(self, ledger_dir: Path) -> None:
        import lmdb

        self.env = lmdb.open(
            str(ledger_dir),
            map_size=DEFAULT_MAP_SIZE,
            readonly=True,
            lock=True,
            max_dbs=16,
            subdir=True,
            readahead=False,
        )
        self.db = self.env.open_db(b"txn", create=False)
        self.next_version = 0

    def skip_to_end(self) -> int:
        with self.env.begin(db=self.db) as txn:
            cur = txn.cursor()
            self.next_version = _U64.unpack(cur.key())[0] + 1 if cur.last() else 0
        return self.next_version

    def poll(self, limit: int = 50_000) -> list[bytes]:
        """The stored transactions (BCS ``Transaction`` bytes) committed since the last poll."""
        out: list[bytes] = []
        with self.env.begin(db=self.db, buffers=False) as txn:
            cur = txn.cursor()
            if not cur.set_range(_U64.pack(self.next_version)):
                return out
            for key, value in cur:
                out.append(bytes(value))
                self.next_version = _U64.unpack(key)[0] + 1
                if len(out) >= limit:
                    break
        return out

    def close(self) -> None:
        self.env.close()


# -- setup: funding the accounts ---------------------------------------------------------------


def _wait_sequence(
    client: _Client, address: AccountAddress, seq: int, timeout: float, what: str
) -> None:
    """Waits until ``address``'s sequence number reaches ``seq``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        acct = client.call("get_account", address.hex())
        if acct is not None and int(acct["sequence_number"]) >= seq:
            return
        time.sleep(0.05)
    raise BenchError(f"timed out waiting for {what}")


def _submit_all(client: _Client, txns: Sequence[SignedTransaction], what: str) -> None:
    for i in range(0, len(txns), 20):
        out = client.post(_submit_body(txns[i : i + 20]))
        errors = [r["error"] for r in out if "error" in r]
        if errors:
            raise BenchError(f"{what}: submission rejected: {errors[0]}")


def fund(
    client: _Client,
    keys: TestnetKeys,
    addrs: Sequence[AccountAddress],
    account_keys: Sequence[Ed25519PrivateKey],
    chain_id: int,
    timeout: float,
    progress: Progress = _noop,
) -> None:
    """Creates the parent VASPs ``addrs`` and gives each 1,000 LBR, by real transactions."""
    total = _PER_ACCOUNT * len(addrs)
    cust = keys.custodian_address
    deposits = [
        _sign(
            keys.custodian,
            cust,
            i,
            _record_deposit(b.code, -(-total * b.units_per_coin // 1_000_000) + 1),
            chain_id,
            "XUS",
        )
        for i, b in enumerate(DEFAULT_BASKET)
    ]
    _submit_all(client, deposits, "reserve deposits")
    _wait_sequence(client, cust, len(deposits), timeout, "the reserve deposits")
    tc = TREASURY_COMPLIANCE_ADDRESS
    steps = 2 * len(addrs) + 1
    creations = [
        _sign(
            keys.treasury,
            tc,
            i,
            create_parent_vasp_account(
                "LBR", 0, a, bytes(AuthenticationKey.ed25519(k.public_key))[:16], b"bench"
            ),
            chain_id,
            "XUS",
        )
        for i, (a, k) in enumerate(zip(addrs, account_keys, strict=True))
    ]
    creations.append(
        _sign(
            keys.treasury,
            tc,
            len(addrs),
            tiered_mint("LBR", 0, keys.dealer_address, total),
            chain_id,
            "XUS",
        )
    )
    dealer = keys.dealer_address
    payments = [
        _sign(
            keys.dealer,
            dealer,
            i,
            peer_to_peer_with_metadata("LBR", a, _PER_ACCOUNT),
            chain_id,
            "XUS",
        )
        for i, a in enumerate(addrs)
    ]
    # Waves of at most 100 per sender; payments go after every account exists and the LBR
    # was minted (the mint is the last creation transaction).
    sent = 0
    for sender, txns, what in ((tc, creations, "account creation"), (dealer, payments, "funding")):
        for i in range(0, len(txns), _WAVE):
            wave = txns[i : i + _WAVE]
            _submit_all(client, wave, what)
            _wait_sequence(client, sender, i + len(wave), timeout, what)
            sent += len(wave)
            progress("setup", sent, steps)


# -- the measured phase ------------------------------------------------------------------------


class _Load:
    """Submitter threads and the committed-ledger poller of one measured phase."""

    def __init__(
        self,
        ports: Sequence[int],
        txns: Sequence[SignedTransaction],
        accounts: int,
        inflight: int,
        batch: int,
        tail: LedgerTail,
        threads_per_validator: int,
    ) -> None:
        n = len(ports)
        self.ports = ports
        self.inflight = inflight
        self.tail = tail
        self.encoded = [bcs.encode(t) for t in txns]
        self.key_index = {b"\x00" + e: i for i, e in enumerate(self.encoded)}
        per_node: list[list[int]] = [[] for _ in range(n)]
        for i in range(len(txns)):
            per_node[(i % accounts) % n].append(i)
        self.batches: list[list[list[int]]] = [
            [idx[j : j + batch] for j in range(0, len(idx), batch)] for idx in per_node
        ]
        self.next_batch = [0] * n
        # Request bodies are built before the measured phase (keyed by first index).
        txn_hex = [e.hex() for e in self.encoded]
        self.bodies = {
            b[0]: json.dumps(
                [{"jsonrpc": "2.0", "id": i, "method": "submit", "params": [txn_hex[i]]} for i in b]
            ).encode()
            for node_batches in self.batches
            for b in node_batches
        }
        self.submit_time = [0.0] * len(txns)
        self.commit_time = [0.0] * len(txns)
        self.rejected: dict[str, int] = {}
        self.submitted = 0
        self.committed = 0
        self.user_versions = 0
        self.other_versions = 0
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.threads_per_validator = threads_per_validator
        self.start_time = 0.0
        self.last_commit = 0.0

    def _take(self, node: int) -> list[int] | None:
        with self.cond:
            k = self.next_batch[node]
            if k >= len(self.batches[node]):
                return None
            b = self.batches[node][k]
            while (
                self.submitted - self.committed + len(b) > self.inflight and not self.stop.is_set()
            ):
                self.cond.wait(0.05)
            if self.stop.is_set():
                return None
            k = self.next_batch[node]
            if k >= len(self.batches[node]):
                return None
            b = self.batches[node][k]
            self.next_batch[node] = k + 1
            self.submitted += len(b)
            return b

    def _submitter(self, node: int) -> None:
        client = _Client(self.ports[node])
        try:
            while not self.stop.is_set():
                b = self._take(node)
                if b is None:
                    return
                body = self.bodies[b[0]]
                now = time.monotonic()
                for i in b:
                    self.submit_time[i] = now
                try:
                    out = client.post(body)
                except (OSError, http.client.HTTPException, ValueError) as e:
                    self.errors.append(f"validator {node}: {e}")
                    self.stop.set()
                    return
                bad = [r for r in out if "error" in r] if isinstance(out, list) else [out]
                if bad:
                    with self.cond:
                        for r in bad:
                            msg = str(r.get("error", {}).get("message", r))[:80]
                            self.rejected[msg] = self.rejected.get(msg, 0) + 1
                            rid = r.get("id")
                            if isinstance(rid, int) and rid in b:
                                self.submit_time[rid] = -1.0
                        self.submitted -= len(bad)
                        self.cond.notify_all()
        finally:
            client.close()

    def _poll_once(self) -> int:
        stored = self.tail.poll()
        if not stored:
            return 0
        now = time.monotonic()
        got = 0
        for raw in stored:
            if raw[0] != 0:
                self.other_versions += 1
                continue
            self.user_versions += 1
            i = self.key_index.get(raw)
            if i is not None and self.commit_time[i] == 0.0:
                self.commit_time[i] = now
                got += 1
        if got:
            self.last_commit = now
            with self.cond:
                self.committed += got
                self.cond.notify_all()
        return got

    def run(self, timeout: float, progress: Progress) -> None:
        total = len(self.encoded)
        self.start_time = time.monotonic()
        threads = [
            threading.Thread(target=self._submitter, args=(node,), daemon=True)
            for node in range(len(self.ports))
            for _ in range(self.threads_per_validator)
        ]
        for t in threads:
            t.start()
        deadline = self.start_time + timeout
        try:
            while time.monotonic() < deadline and not self.stop.is_set():
                self._poll_once()
                progress("load", self.committed, total)
                rejected = sum(self.rejected.values())
                if self.committed + rejected >= total:
                    break
                time.sleep(0.01)
        finally:
            self.stop.set()
            for t in threads:
                t.join(30)
        self._poll_once()
        progress("load", self.committed, total)


def _percentile(sorted_values: Sequence[float], q: float) -> float | None:
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def run_once(
    *,
    validators: int = 4,
    accounts: int = 1_000,
    transactions: int = 30_000,
    inflight: int = 1_000,
    batch: int = 20,
    threads_per_validator: int = 2,
    max_block_transactions: int = 2_000,
    timeout: float = 120.0,
    seed: int = 1,
    workdir: Path | None = None,
    progress: Progress = _noop,
) -> dict[str, Any]:
    """One run on a new network; returns its JSON-able report."""
    if validators < 1 or accounts < 2 or transactions < 1 or inflight < batch or batch < 1:
        raise ValueError(
            "need validators >= 1, accounts >= 2, transactions >= 1, inflight >= batch"
        )
    chain_id = 4
    t0 = time.monotonic()
    keys = [_key(seed, i) for i in range(accounts)]
    addrs = [_address(k) for k in keys]
    signed = transfers(keys, addrs, transactions, chain_id, seed)
    per_core = measure_verification(signed)
    cores = os.cpu_count() or 1
    sign_secs = time.monotonic() - t0

    root = Path(tempfile.mkdtemp(prefix="libra-bench-", dir=workdir))
    base = _free_base(2 * validators)
    net = _Network(
        root,
        create_testnet(
            root,
            validators,
            validator_base_port=base,
            api_base_port=base + validators,
            faucet_port=None,
            chain_id=chain_id,
            max_block_transactions=max_block_transactions,
        ),
        load_testnet_keys(root),
    )
    tail: LedgerTail | None = None
    ok = False
    try:
        net.start()
        net.wait_ready(60)
        t1 = time.monotonic()
        client = _Client(net.api_ports[0])
        try:
            fund(client, net.keys, addrs, keys, chain_id, max(60.0, timeout), progress)
        finally:
            client.close()
        setup_secs = time.monotonic() - t1
        tail = LedgerTail(net.nodes[0].data_path / "ledger")
        start_version = tail.skip_to_end()
        cpu_before = [_cpu_seconds(p.pid) for p in net.procs]
        load = _Load(net.api_ports, signed, accounts, inflight, batch, tail, threads_per_validator)
        load.run(timeout, progress)
        cpu_after = [_cpu_seconds(p.pid) for p in net.procs]
        node_metrics = [_metrics(port) for port in net.api_ports]
        alive = [p.poll() is None for p in net.procs]
        if not all(alive):
            dead = alive.index(False)
            raise BenchError(f"validator {dead} died (logs kept in {root}): {net.log(dead)}")
        if load.errors:
            raise BenchError(f"{'; '.join(load.errors[:3])} (logs kept in {root})")
        ok = True
    finally:
        if tail is not None:
            tail.close()
        net.stop()
        if ok:
            shutil.rmtree(root, ignore_errors=True)

    lat = sorted(
        c - s for s, c in zip(load.submit_time, load.commit_time, strict=True) if c > 0 and s > 0
    )
    committed = len(lat)
    window = (load.last_commit - load.start_time) if committed else 0.0
    tps = load.user_versions / window if window > 0 else 0.0
    machine_verify = per_core * cores

    def ms(v: float | None) -> float | None:
        return None if v is None else round(v * 1000, 1)

    return {
        "validators": validators,
        "accounts": accounts,
        "transactions": transactions,
        "submit_batch": batch,
        "max_inflight": inflight,
        "max_block_transactions": max_block_transactions,
        "committed": committed,
        "rejected": sum(load.rejected.values()),
        "rejected_reasons": load.rejected,
        "uncommitted": transactions - committed - sum(load.rejected.values()),
        "start_version": start_version,
        "user_versions": load.user_versions,
        "block_metadata_versions": load.other_versions,
        "window_seconds": round(window, 3),
        "committed_tps": round(tps, 1),
        "latency_ms_p50": ms(_percentile(lat, 0.50)),
        "latency_ms_p90": ms(_percentile(lat, 0.90)),
        "latency_ms_p99": ms(_percentile(lat, 0.99)),
        "latency_ms_max": ms(lat[-1] if lat else None),
        "consensus_rounds": [m.get("libra_consensus_round") for m in node_metrics],
        "consensus_timeouts": [m.get("libra_consensus_timeouts") for m in node_metrics],
        "peer_batch_signature_checks": [
            m.get("libra_mempool_signatures_verified") for m in node_metrics
        ],
        "peer_batches_admitted_by_attestation": [
            m.get("libra_mempool_batches_admitted_by_attestation") for m in node_metrics
        ],
        "peer_batches_admitted_by_fallback": [
            m.get("libra_mempool_batches_admitted_by_fallback") for m in node_metrics
        ],
        "validator_cpu_us_per_txn": round(
            1e6 * sum(a - b for a, b in zip(cpu_after, cpu_before, strict=True)) / committed, 1
        )
        if committed and all(cpu_after)
        else None,
        "cores": cores,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "ed25519_verifications_per_sec_per_core": round(per_core, 1),
        "ed25519_verifications_per_sec": round(machine_verify, 1),
        "verification_ceiling_tps": round(machine_verify / validators, 1),
        "attested_ceiling_tps": round(machine_verify / _vouchers(validators), 1),
        "presign_seconds": round(sign_secs, 2),
        "setup_seconds": round(setup_secs, 2),
    }


_MEDIAN_FIELDS = (
    "committed_tps",
    "latency_ms_p50",
    "latency_ms_p90",
    "latency_ms_p99",
    "ed25519_verifications_per_sec",
    "verification_ceiling_tps",
    "attested_ceiling_tps",
)


def _vouchers(validators: int) -> int:
    """How many validators check each transaction's signature with attested batches (equal
    voting power): the author and its designated attestors, f+1."""
    power = {AccountAddress.from_int(i + 1): 1 for i in range(validators)}
    return 1 + len(designated_attestors(AccountAddress.from_int(1), power))


def run(runs: int = 1, **kwargs: Any) -> dict[str, Any]:
    """``runs`` runs (each on a new network); the report holds every run and the medians."""
    results = [run_once(**{**kwargs, "seed": kwargs.get("seed", 1) + r}) for r in range(runs)]
    medians: dict[str, float | None] = {}
    for f in _MEDIAN_FIELDS:
        values = [r[f] for r in results if r[f] is not None]
        medians[f] = statistics.median(values) if values else None
    return {"benchmark": "network", "runs": results, "median": medians}


def table_rows(result: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The readable table's rows (name, value) of :func:`run`'s report."""
    first = result["runs"][0]
    med = result["median"]

    def fmt(v: Any, unit: str = "") -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:,.1f}{unit}"
        return f"{v:,}{unit}"

    yield "validators", fmt(first["validators"])
    yield "accounts / transactions", f"{first['accounts']:,} / {first['transactions']:,}"
    yield "runs", fmt(len(result["runs"]))
    yield "committed (per run)", ", ".join(fmt(r["committed"]) for r in result["runs"])
    yield "rejected (per run)", ", ".join(fmt(r["rejected"]) for r in result["runs"])
    yield "committed tx/s (median)", fmt(med["committed_tps"])
    yield "latency p50", fmt(med["latency_ms_p50"], " ms")
    yield "latency p90", fmt(med["latency_ms_p90"], " ms")
    yield "latency p99", fmt(med["latency_ms_p99"], " ms")
    yield "Ed25519 verifications/s", fmt(med["ed25519_verifications_per_sec"])
    yield "ceiling tx/s (each validator verifies all)", fmt(med["verification_ceiling_tps"])
    yield "ceiling tx/s (f+1 validators verify each)", fmt(med["attested_ceiling_tps"])
