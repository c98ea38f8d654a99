"""One validator process: consensus, mempool, execution, storage, state sync and the APIs.

The sans-I/O pieces (:class:`~libra.consensus.node.ConsensusNode`, the mempool, the
execution engine) are driven here with real time and real I/O:

- the **event loop** (main thread) runs the validator transport (Noise IK over TCP), the
  mempool's broadcasts, the state-sync server and the HTTP servers (API and faucet);
- the **consensus thread** owns the consensus node and the execution engine: it takes peer
  messages from a queue, fires timers, executes and commits blocks. State sync runs in it too
  (it blocks consensus while it fetches verified chunks, as a node that is behind has nothing
  to vote on);
- the mempool is shared under one lock by the API's threads (submissions), the event loop
  (peer batches, broadcasts) and the consensus thread (proposals, commits).

Every validator message starts with a channel byte: consensus, mempool or state sync.
A malformed message is counted and dropped; it never stops the node.

A write the node cannot make stops it: a block (or a state sync chunk) the ledger cannot commit,
safety data or block tree writes the consensus store cannot make (a full disk,
:class:`~libra.storage.errors.WriteError`). The consensus thread ends at once (a failed ledger
commit is not a consensus error here: it goes through consensus instead of being dropped as a
bad message; safety rules refuse to sign without durable safety data), nothing more is sent,
one error line says what failed, and ``libra node`` exits with status 1. Nothing committed is
lost: restarted once there is room, the validator resumes from its ledger and consensus store
(and state sync).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import itertools
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from typing import Any

from libra import bcs
from libra.api import create_app
from libra.api.adapter import LedgerDBReader
from libra.api.ops import ApiConfig
from libra.consensus.errors import ConsensusError
from libra.consensus.node import ConsensusNode, EpochStarted, NodeAction, leader_reputation
from libra.consensus.round_manager import Broadcast, Committed, ConsensusConfig, Send, SetTimer
from libra.crypto import Ed25519PrivateKey, HashValue
from libra.execution.engine import CommittedBlock, ExecutionEngine, LedgerStateView, bootstrap
from libra.framework import (
    AccountCache,
    FrameworkError,
    PrologueError,
    SharedBlockState,
    StatusCode,
    prologue,
    root_config,
)
from libra.mempool.attestation import AttestationMetrics, AttestationTracker, Role
from libra.mempool.core import AdmissionResult, Mempool
from libra.mempool.messages import BatchAttestation, BroadcastTransactionsRequest, MempoolMessage
from libra.mempool.service import MempoolService
from libra.network import Network, NetworkPrivateKey, PeerInfo
from libra.node.config import ConfigError, NodeFiles
from libra.node.config import _read_hex_key as _read_key
from libra.node.consensus_store import LmdbBlockPersistence, LmdbSafetyStorage
from libra.node.genesis import decode_genesis, decode_network_addresses
from libra.state_sync import (
    StateSyncClient,
    StateSyncError,
    StateSyncRequest,
    StateSyncResponse,
    StateSyncServer,
    decode_msg,
    encode_msg,
    request_id_of,
)
from libra.storage import LedgerDB
from libra.storage.consensus_db import ConsensusDB
from libra.storage.errors import StorageError, StorageFullError, WriteError
from libra.types import (
    AccountAddress,
    AuthenticationKey,
    LedgerInfoWithSignatures,
    SignedTransaction,
    UserTransaction,
)
from libra.types.consensus import ConsensusMsg
from libra.types.ledger import EpochState, LedgerInfoWithV0

__all__ = ["CHANNEL_CONSENSUS", "CHANNEL_MEMPOOL", "CHANNEL_STATE_SYNC", "ValidatorNode"]

log = logging.getLogger("libra.node")

CHANNEL_CONSENSUS = 0
CHANNEL_MEMPOOL = 1
CHANNEL_STATE_SYNC = 2

_TICK_SECS = 0.05
_MAX_BLOCK_BYTES = 4 * 1024 * 1024
_GC_THRESHOLDS = (50_000, 20, 100)
"""The cyclic collector's thresholds while the node runs (Python's default is 700, 10, 10):
a validator under load allocates millions of short-lived acyclic objects (decoded
transactions, states, events), and the default collects, scanning the long-lived heap
(mempool, caches) in the consensus thread and the event loop alike, far too often."""
_SYNC_TIMEOUT_SECS = 10.0
_ATTESTATION_TIMEOUT_SECS = 0.3
"""How long a peer batch waits for its attestations before this validator checks it itself
(:mod:`libra.mempool.attestation`)."""


def _now_ms() -> int:
    return int(time.time() * 1000)


class SharedMempool:
    """The mempool under one lock: consensus's payload source and the API's submitter."""

    def __init__(
        self,
        service: MempoolService,
        idle_wait_secs: float = 0.0,
        *,
        attestation: AttestationTracker | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.lock = threading.Lock()
        self.idle_wait_secs = idle_wait_secs
        self.attestation = attestation if attestation is not None else AttestationTracker(None)
        """Which peer batches this validator checks (event loop only; see
        :mod:`libra.mempool.attestation`); without a validator set, all of them."""
        self.clock = clock
        """Seconds, for attestation timeouts."""
        self._arrived = threading.Condition(self.lock)
        """Notified (under the lock) whenever transactions are admitted."""
        self.preverified: frozenset[int] = frozenset()
        """While the lock is held: ``id()`` of the transactions being admitted whose signatures
        were already checked (before taking the lock)."""

    # TransactionSubmitter (API threads)
    def submit(self, txn: SignedTransaction) -> AdmissionResult:
        # The signature is checked before taking the lock: libsodium releases the GIL, so
        # other submissions, the event loop and consensus go on meanwhile. A transaction
        # whose signature fails is admitted as usual (the prologue checks and rejects it).
        ok = txn.verify_signature()
        with self.lock:
            self.preverified = frozenset((id(txn),)) if ok else frozenset()
            try:
                result = self.service.submit(txn)
            finally:
                self.preverified = frozenset()
            if result.inserted:
                self._arrived.notify_all()
            return result

    # Peer batches (event loop)
    def handle_message(self, peer: AccountAddress, body: bytes) -> None:
        """A peer's mempool message. A batch's signatures are checked here only by the
        designated attestors of its author (or when attestations do not apply); the other
        validators admit it on their attestations, or check it after a timeout
        (:meth:`expire_pending`). See :mod:`libra.mempool.attestation`."""
        message = self.service.decode_message(body)
        if message is None:
            return
        tracker = self.attestation
        if isinstance(message, BatchAttestation):
            for author, batch in tracker.on_attestation(peer, message):
                self._admit(author, batch, frozenset(id(t) for t in batch.transactions))
            return
        if not isinstance(message, BroadcastTransactionsRequest):
            self._admit(peer, message, frozenset())
            return
        role = tracker.on_batch(peer, message, self.clock())
        if role is Role.PENDING:
            return
        if role is Role.ADMIT:
            self._admit(peer, message, frozenset(id(t) for t in message.transactions))
            return
        ok = self._verify(message.transactions)
        if role is Role.ATTEST:
            if len(ok) == len(message.transactions):
                attestation, recipients = tracker.attestation(peer, message)
                sent = self.service.send_attestation(recipients, attestation)
                tracker.metrics.attestations_sent += sent
            else:
                tracker.withheld()
        self._admit(peer, message, ok)

    def expire_pending(self) -> int:
        """Checks and admits the peer batches whose attestations did not come in time (event
        loop; call it often, without the lock). Returns how many."""
        expired = self.attestation.expire(self.clock())
        for author, batch in expired:
            self._admit(author, batch, self._verify(batch.transactions))
        return len(expired)

    def set_validators(self, epoch_state: EpochState | None) -> None:
        """The current epoch's validators, for attestations (event loop)."""
        self.attestation.set_validators(
            None
            if epoch_state is None
            else {
                a: v.voting_power for a, v in epoch_state.verifier.address_to_validator_info.items()
            }
        )

    def _verify(self, transactions: Sequence[SignedTransaction]) -> frozenset[int]:
        """``id()`` of the transactions whose signatures are valid (checked before taking the
        lock: libsodium releases the GIL)."""
        self.attestation.metrics.signatures_verified += len(transactions)
        return frozenset(id(t) for t in transactions if t.verify_signature())

    def _admit(self, peer: AccountAddress, message: MempoolMessage, ok: frozenset[int]) -> None:
        with self.lock:
            self.preverified = ok
            try:
                self.service.handle_decoded(peer, message)
            finally:
                self.preverified = frozenset()
            if ok:
                self._arrived.notify_all()

    # PayloadSource (consensus thread)
    def pull(self, max_txns: int, exclude: frozenset[HashValue]) -> tuple[SignedTransaction, ...]:
        """Up to ``max_txns`` ready transactions. When there are none and no uncommitted block
        carries any (``exclude`` is empty), waits up to ``idle_wait_secs`` for one to arrive."""
        mp = self.service.mempool
        with self.lock:
            batch = mp.get_batch(max_txns, _MAX_BLOCK_BYTES, exclude)
            if batch or exclude or self.idle_wait_secs <= 0:
                return tuple(batch)
            self._arrived.wait(self.idle_wait_secs)
            return tuple(mp.get_batch(max_txns, _MAX_BLOCK_BYTES, exclude))

    def notify_committed(self, payload: Sequence[SignedTransaction]) -> None:
        # Committed transactions were removed when their block was written (on_commit); what
        # is still here was in the block but not committed (discarded by the prologue).
        with self.lock:
            mp = self.service.mempool
            for t in payload:
                raw = t.raw_txn
                known = mp.known_sequence_number(raw.sender)
                if known is None or raw.sequence_number < known:
                    continue  # committed (and removed), or never here: no hash needed
                h = t.hash()
                if h in mp:
                    mp.reject(h)

    def committed(self, pairs: list[tuple[AccountAddress, int]]) -> None:
        with self.lock:
            self.service.mempool.commit(pairs)

    def __len__(self) -> int:
        with self.lock:
            return len(self.service.mempool)


class _MempoolTransport:
    """The mempool's view of the network (called on the event loop)."""

    def __init__(self, network: Network) -> None:
        self.network = network

    def send(self, peer: AccountAddress, message: bytes) -> bool:
        return self.network.send(peer, bytes([CHANNEL_MEMPOOL]) + message)

    def broadcast(self, message: bytes) -> int:
        return self.network.broadcast(bytes([CHANNEL_MEMPOOL]) + message)


def trusted_peers(state_view: LedgerStateView) -> dict[AccountAddress, PeerInfo]:
    """Every validator's published address and network key, from on-chain state."""
    peers = {}
    for v in root_config(state_view).validators:
        try:
            addrs = decode_network_addresses(v.config.validator_network_addresses)
        except bcs.DecodeError:
            log.warning("validator %s published malformed network addresses", v.addr.hex())
            continue
        if addrs:
            a = addrs[0]
            peers[v.addr] = PeerInfo(a.host, a.port, a.network_public_key)
    return peers


def _uvicorn_server(app: Any, host: str, port: int) -> Any:
    """A uvicorn server that leaves signal handling to the node."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            yield

        def install_signal_handlers(self) -> None:
            pass

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
    )
    return Server(config)


class ValidatorNode:
    """One validator: call :meth:`run` in an event loop until ``stop`` is set."""

    def __init__(
        self, files: NodeFiles, *, consensus_config: ConsensusConfig | None = None
    ) -> None:
        self.files = files
        cfg = files.config
        self.address = cfg.account_address
        self.consensus_key: Ed25519PrivateKey = files.consensus_key()
        self.network_key: NetworkPrivateKey = files.network_key()
        self.consensus_config = consensus_config or ConsensusConfig(
            round_timeout_base_ms=cfg.round_timeout_ms, max_block_txns=cfg.max_block_transactions
        )
        data = files.data_path
        data.mkdir(parents=True, exist_ok=True)
        try:
            genesis = decode_genesis(files.genesis_bytes())
        except bcs.DecodeError as e:
            raise ConfigError(f"the genesis file {cfg.genesis_file} is malformed: {e}") from None
        self.db = LedgerDB.open(data / "ledger")
        self.genesis_li = bootstrap(self.db, genesis)
        # Consensus's own store (safety data, block tree) on its own LMDB environment; a
        # safety data file of an earlier version is imported into it on first load.
        self.consensus_db = ConsensusDB.open(data / "consensus", defer_tree_writes=True)
        self.safety_storage = LmdbSafetyStorage(
            self.consensus_db,
            legacy_file=data / "safety_data.bcs",
            on_write_failure=self._write_failed,
        )
        self.block_persistence = LmdbBlockPersistence(
            self.consensus_db, on_write_failure=self._write_failed
        )
        self.counters: Counter[str] = Counter()
        self.ready = threading.Event()
        self._stopping = threading.Event()
        self._inbox: queue.Queue[tuple[AccountAddress, ConsensusMsg] | None] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sync_waiters: dict[int, concurrent.futures.Future[StateSyncResponse]] = {}
        self._sync_ids = itertools.count(1)
        self._sync_lock = threading.Lock()
        self._admission_accounts = AccountCache()
        """The committed state's accounts as mempool admission reads them."""
        self.sync_server = StateSyncServer(self.db)
        self.sync_client = StateSyncClient(self.db, self._fetch_chunk, attempts=3)
        self.engine = ExecutionEngine(self.db, syncer=self._sync_to, on_commit=self._on_commit)
        view = LedgerStateView(self.db)
        self.network = Network(self.address, self.network_key, trusted_peers(view))
        self.mempool = SharedMempool(
            MempoolService(
                Mempool(
                    self._validate, self._sequence_number_of, on_insert=self.engine.mark_verified
                ),
                _MempoolTransport(self.network),
            ),
            idle_wait_secs=cfg.idle_block_wait_ms / 1000,
            attestation=AttestationTracker(self.address, timeout_secs=_ATTESTATION_TIMEOUT_SECS),
        )
        self.consensus = self._make_consensus()
        self.epoch_state: EpochState | None = None
        self.reader = LedgerDBReader(self.db, cfg.chain_id)
        self.thread: threading.Thread | None = None

    # -- state -----------------------------------------------------------------------------------

    def _make_consensus(self) -> ConsensusNode:
        latest = self.db.latest_ledger_info()
        if not isinstance(latest, LedgerInfoWithV0):
            raise ConsensusError(f"the ledger in {self.db.path} has no ledger info")
        proofs = [
            li for li in self.db.epoch_ending_ledger_infos() if isinstance(li, LedgerInfoWithV0)
        ]
        # Mid-epoch (the latest ledger info does not end one), the current validators are the
        # ones the last epoch-ending ledger info names.
        epoch_state = None
        if latest.ledger_info.commit_info.next_epoch_state is None and proofs:
            epoch_state = proofs[-1].ledger_info.commit_info.next_epoch_state
        return ConsensusNode(
            self.address,
            self.consensus_key,
            self.safety_storage,
            self.engine,
            self.mempool,
            latest,
            epoch_state,
            self.consensus_config,
            election=leader_reputation,
            epoch_proofs=proofs,
            block_persistence=self.block_persistence,
        )

    def _validate(self, txn: SignedTransaction) -> object | None:
        """The mempool's admission check (the prologue, signature included), called under the
        mempool lock. The signature was usually checked already, before the lock was taken
        (:attr:`SharedMempool.preverified`); otherwise the prologue checks it. An admitted
        transaction's hash goes to the engine's verified set (the mempool's ``on_insert``), so
        execution does not check its signature again.

        The accounts the prologue reads (the sender, the Diem root account with the on-chain
        configuration) come from an :class:`AccountCache` over the engine's committed view:
        each is decoded once per version of its blob, not once per transaction, and shared
        with :meth:`_sequence_number_of` (the prologue only reads them)."""
        try:
            prologue(
                SharedBlockState(self.engine.view, self._admission_accounts),
                txn,
                int(time.time()),
                signature_verified=id(txn) in self.mempool.preverified,
                validation=True,
            )
        except PrologueError as e:
            return e.status
        except FrameworkError:
            return StatusCode.UNKNOWN_VALIDATION_STATUS
        return None

    def _sequence_number_of(self, address: AccountAddress) -> int:
        """The account's sequence number in the committed state (0 when it does not exist).
        The cache compares the blob the view holds now with the one it decoded, so a commit
        (or state sync) is seen by the next call."""
        acct = self._admission_accounts.get(self.engine.view, address)
        return acct.seq if acct is not None else 0

    def _on_commit(self, blocks: Sequence[CommittedBlock], li: LedgerInfoWithSignatures) -> None:
        pairs = []
        n = 0
        for b in blocks:
            for t in b.transactions:
                txn = t.transaction
                if isinstance(txn, UserTransaction):
                    raw = txn.value.raw_txn
                    pairs.append((raw.sender, raw.sequence_number))
                    n += 1
        if pairs:
            self.mempool.committed(pairs)
        self.counters["committed_transactions"] += n
        self.counters["committed_blocks"] += len(blocks)

    def connected_peers(self) -> frozenset[AccountAddress]:
        """The peers connected now (safe to call from any thread: the event loop may change
        the peer table while another thread reads it)."""
        for _ in range(10):
            try:
                return self.network.connected_peers()
            except RuntimeError:  # the table changed during the read
                continue
        return frozenset()

    # -- state sync --------------------------------------------------------------------------

    def _sync_to(self, target: LedgerInfoWithV0) -> None:
        """Catches up to ``target`` from the validators that signed it (consensus thread)."""
        self.counters["state_syncs"] += 1
        log.info("state sync to version %d", target.ledger_info.version)
        self.sync_client.sync_to(target)
        with self.mempool.lock:
            self.mempool.service.mempool.gc_expired(int(time.time()))

    def _fetch_chunk(self, request: StateSyncRequest) -> StateSyncResponse:
        """Asks peers in turn for one chunk; raises the last error if none answers well."""
        loop = self._loop
        if loop is None:
            raise StateSyncError("the node is not running")
        peers = sorted(self.connected_peers(), key=bytes)
        if not peers:
            raise StateSyncError("no connected peer to sync from")
        start = next(self._sync_ids) % len(peers)
        last: Exception = StateSyncError("no peer answered")
        for peer in peers[start:] + peers[:start]:
            rid = request_id_of(request)
            fut: concurrent.futures.Future[StateSyncResponse] = concurrent.futures.Future()
            with self._sync_lock:
                self._sync_waiters[rid] = fut
            data = bytes([CHANNEL_STATE_SYNC]) + encode_msg(request)
            loop.call_soon_threadsafe(self.network.send, peer, data)
            try:
                return fut.result(timeout=_SYNC_TIMEOUT_SECS)
            except concurrent.futures.TimeoutError:
                last = StateSyncError(f"peer {peer.hex()[:8]} did not answer in time")
            finally:
                with self._sync_lock:
                    self._sync_waiters.pop(rid, None)
            if self._stopping.is_set():
                break
        raise last if isinstance(last, StateSyncError) else StateSyncError(str(last))

    # -- message dispatch (event loop) ---------------------------------------------------------

    def _on_message(self, peer: AccountAddress, data: bytes) -> None:
        if not data:
            self.counters["dropped_empty_message"] += 1
            return
        channel, body = data[0], data[1:]
        if channel == CHANNEL_CONSENSUS:
            try:
                msg = bcs.decode(ConsensusMsg, body)
            except bcs.DecodeError:
                self.counters["dropped_malformed_consensus"] += 1
                return
            self._inbox.put((peer, msg))
        elif channel == CHANNEL_MEMPOOL:
            self.mempool.handle_message(peer, body)
        elif channel == CHANNEL_STATE_SYNC:
            self._on_state_sync(peer, body)
        else:
            self.counters["dropped_unknown_channel"] += 1

    def _on_state_sync(self, peer: AccountAddress, body: bytes) -> None:
        try:
            msg = decode_msg(body)
        except StateSyncError:
            self.counters["dropped_malformed_state_sync"] += 1
            return
        if isinstance(msg, StateSyncRequest):
            if self._loop is not None:
                self._loop.run_in_executor(None, self._serve_chunk, peer, msg)
            return
        with self._sync_lock:
            fut = self._sync_waiters.get(request_id_of(msg))
        if fut is None or fut.done():
            self.counters["dropped_unexpected_state_sync"] += 1
            return
        fut.set_result(msg)

    def _serve_chunk(self, peer: AccountAddress, request: StateSyncRequest) -> None:
        response = self.sync_server.handle(request)
        data = bytes([CHANNEL_STATE_SYNC]) + encode_msg(response)
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self.network.send, peer, data)

    # -- consensus thread ----------------------------------------------------------------------

    def _consensus_main(self) -> None:
        try:
            self._consensus_loop()
        except WriteError as e:  # the ledger could not commit (a block, a state sync chunk)
            self._write_failed(e)
        except Exception as e:  # pragma: no cover - a bug; stop the node loudly
            if self.failure is None:  # else a failed write stopped it, and said so
                log.exception("the consensus thread failed")
                self.failure = f"the consensus thread failed: {type(e).__name__}: {e}"
            self._halt()

    def _write_failed(self, err: StorageError) -> None:
        """A write to the ledger or the consensus store failed: the validator stops (see the
        module's documentation). Says so once."""
        if self.failure is None:
            again = (
                "; what was committed is kept: restart the validator once there is room"
                if isinstance(err, StorageFullError)
                else ""
            )
            self.failure = f"stopping the validator: {err}{again}"
            log.error("%s", self.failure)
        self._halt()

    def _halt(self) -> None:
        """Stops the consensus thread (at its next step) and the node."""
        self._stopping.set()
        loop = self._loop
        if loop is not None and self._stop_event is not None:
            loop.call_soon_threadsafe(self._stop_event.set)

    def _consensus_loop(self) -> None:
        node = self.consensus
        deadline: int | None = None
        actions = node.start(_now_ms())
        while True:
            if self._stopping.is_set():
                return  # stopped, maybe by a failed write: send nothing more
            deadline = self._dispatch(actions, deadline)
            actions = []
            now = _now_ms()
            wait = (
                _TICK_SECS
                if deadline is None
                else max(0.0, min(_TICK_SECS, (deadline - now) / 1000))
            )
            try:
                item = self._inbox.get(timeout=wait)
            except queue.Empty:
                item = None
            now = _now_ms()
            if item is not None:
                sender, msg = item
                actions.extend(node.process_message(sender, msg, now))
                # Drain what else has arrived before looking at timers again.
                for _ in range(256):
                    if self._stopping.is_set():
                        break
                    try:
                        more = self._inbox.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        return
                    actions.extend(node.process_message(more[0], more[1], _now_ms()))
            elif self._stopping.is_set():
                return
            if deadline is not None and _now_ms() >= deadline:
                deadline = None
                actions.extend(node.tick(_now_ms()))

    def _dispatch(self, actions: list[NodeAction], deadline: int | None) -> int | None:
        loop = self._loop
        for a in actions:
            if isinstance(a, Send):
                self._send(loop, (a.to,), a.msg)
            elif isinstance(a, Broadcast):
                self._send(loop, a.recipients, a.msg)
            elif isinstance(a, SetTimer):
                deadline = a.deadline_ms
            elif isinstance(a, Committed):
                self.counters["commits"] += 1
            elif isinstance(a, EpochStarted):
                self.epoch_state = a.epoch_state
                self.counters["epochs_started"] += 1
                if loop is not None:
                    peers = trusted_peers(LedgerStateView(self.db))
                    loop.call_soon_threadsafe(self.network.update_trusted_peers, peers)
        return deadline

    def _send(
        self,
        loop: asyncio.AbstractEventLoop | None,
        recipients: Sequence[AccountAddress],
        msg: ConsensusMsg,
    ) -> None:
        data: bytes | None = None
        for r in recipients:
            if r == self.address:
                self._inbox.put((r, msg))
                continue
            if data is None:
                data = bytes([CHANNEL_CONSENSUS]) + bcs.encode_as(ConsensusMsg, msg)
            if loop is not None:
                loop.call_soon_threadsafe(self.network.send, r, data)

    # -- running ---------------------------------------------------------------------------------

    _stop_event: asyncio.Event | None = None
    failure: str | None = None
    """Why the node stopped by itself (None: it was asked to stop)."""

    def endpoints(self) -> dict[str, str]:
        cfg = self.files.config
        out = {
            "validator": f"{cfg.listen_host}:{cfg.listen_port}",
            "json-rpc": f"http://{cfg.api_host}:{cfg.api_port}/v1",
            "rest": f"http://{cfg.api_host}:{cfg.api_port}/api/v1",
            "openapi": f"http://{cfg.api_host}:{cfg.api_port}/docs",
            "metrics": f"http://{cfg.api_host}:{cfg.api_port}/metrics",
        }
        if cfg.faucet_port is not None:
            out["faucet"] = f"http://{cfg.api_host}:{cfg.faucet_port}/mint"
        return out

    def _gauges(self) -> dict[str, Callable[[], float]]:
        def rm_round() -> float:
            rm = self.consensus.round_manager
            return float(rm.current_round) if rm is not None else 0.0

        def timeouts() -> float:
            rm = self.consensus.round_manager
            return float(rm.counters.get("timeouts_sent", 0)) if rm is not None else 0.0

        attestation = self.mempool.attestation
        return {
            "libra_consensus_round": rm_round,
            "libra_consensus_timeouts": timeouts,
            "libra_mempool_size": lambda: float(len(self.mempool)),
            "libra_connected_peers": lambda: float(len(self.connected_peers())),
            "libra_committed_transactions": lambda: float(self.counters["committed_transactions"]),
            "libra_state_syncs": lambda: float(self.counters["state_syncs"]),
            "libra_state_sync_transactions": lambda: float(self.sync_client.transactions_applied),
            "libra_mempool_pending_batches": lambda: float(attestation.pending_batches),
            **{
                f"libra_mempool_{name}": self._attestation_gauge(name)
                for name in AttestationMetrics.__dataclass_fields__
            },
        }

    def _attestation_gauge(self, name: str) -> Callable[[], float]:
        metrics = self.mempool.attestation.metrics
        return lambda: float(getattr(metrics, name))

    def _apps(self) -> list[tuple[Any, str, int]]:
        cfg = self.files.config
        api = create_app(
            self.reader,
            self.mempool,
            ApiConfig(
                rate_limit_per_second=cfg.api_rate_limit_per_second,
                rate_limit_burst=cfg.api_rate_limit_burst,
                extra_gauges=self._gauges(),
            ),
            peer_count=lambda: len(self.connected_peers()),
            ready=self.ready.is_set,
        )
        apps = [(api, cfg.api_host, cfg.api_port)]
        if cfg.faucet_port is not None:
            from libra.api.faucet import Faucet, FaucetConfig, create_faucet_app

            tc = self.files.faucet_key()
            if tc is None:
                raise ConfigError("faucet_port is set but faucet_key_file is not")
            keys_dir = self.files.path(cfg.faucet_key_file or "").parent
            dealer = Ed25519PrivateKey(_read_key(keys_dir / "dealer.key"))
            # The test network's reserve custodian, when its key is beside the others: the
            # faucet has it record the reserve deposits an LBR mint needs.
            custodian_file = keys_dir / "custodian.key"
            custodian = (
                Ed25519PrivateKey(_read_key(custodian_file)) if custodian_file.exists() else None
            )

            dealer_address = AuthenticationKey.ed25519(dealer.public_key).derived_address()
            faucet = Faucet(
                self.reader,
                self.mempool,
                FaucetConfig(cfg.chain_id, dealer_address),
                tc,
                dealer,
                custodian_key=custodian,
            )
            apps.append((create_faucet_app(faucet), cfg.api_host, cfg.faucet_port))
        return apps

    async def run(self, stop: asyncio.Event) -> None:
        """Runs the validator until ``stop`` is set (or the consensus thread fails)."""
        self._loop = asyncio.get_running_loop()
        self._stop_event = stop
        # What exists now (codecs, genesis state, configuration) lives as long as the node:
        # keep it out of the collections; collect less often.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*_GC_THRESHOLDS)
        await self.network.start()
        servers = [_uvicorn_server(app, host, port) for app, host, port in self._apps()]
        tasks = [asyncio.create_task(s.serve()) for s in servers]
        mempool_stop = asyncio.Event()

        async def mempool_flush() -> None:
            epoch_state: EpochState | None = None
            while not mempool_stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(mempool_stop.wait(), 0.05)
                if self.epoch_state is not epoch_state:
                    epoch_state = self.epoch_state
                    self.mempool.set_validators(epoch_state)
                self.mempool.expire_pending()
                with self.mempool.lock:
                    self.mempool.service.flush()
                    self.mempool.service.mempool.gc_expired(int(time.time()))

        async def receive() -> None:
            async for peer, data in self.network:
                try:
                    self._on_message(peer, data)
                except Exception:  # pragma: no cover - never let a peer stop the node
                    self.counters["dropped_message_errors"] += 1
                    log.exception("error handling a message from %s", peer.hex()[:8])

        tasks.append(asyncio.create_task(mempool_flush()))
        tasks.append(asyncio.create_task(receive()))
        self.thread = threading.Thread(target=self._consensus_main, name="consensus", daemon=True)
        self.thread.start()
        while not all(getattr(s, "started", True) for s in servers):
            await asyncio.sleep(0.02)
        self.ready.set()
        try:
            await stop.wait()
        finally:
            self.ready.clear()
            self._stopping.set()
            self._inbox.put(None)
            for s in servers:
                s.should_exit = True
            mempool_stop.set()
            await asyncio.get_running_loop().run_in_executor(None, self.thread.join, 30)
            await self.network.close()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.db.close()
            try:
                self.consensus_db.close()  # commits the deferred block tree writes
            except StorageError as e:
                self._write_failed(e)
