"""Authenticated, encrypted TCP between validators (asyncio).

- **Framing**: every frame is a 4-byte big-endian length, then that many bytes. The length is
  checked against a limit before anything is read or allocated; a frame over the limit closes
  the connection. Handshake frames have their own small limit.
- **Security**: each connection starts with the Noise IK handshake of
  :mod:`libra.network.handshake`, bound to the validators' published X25519 network keys;
  only peers in the trusted set are accepted. Every later frame is one ChaCha20-Poly1305
  ciphertext of one message under a per-direction counter nonce, so a tampered, replayed,
  dropped or reordered frame fails to decrypt; the connection is then dropped and counted.
  (Unlike the Noise specification's 65,535-byte transport messages, a frame here may be as
  large as ``max_message_size``: the AEAD has no such limit and this protocol talks only to
  itself.)
- **Who dials**: for each pair of validators the one with the smaller address dials and
  redials with exponential backoff (with jitter from the random generator passed in); the
  other accepts. A new authenticated connection from a peer replaces the old one (the peer
  restarted).
- **Sending**: :meth:`Network.send` never blocks. Each peer has a bounded queue that
  survives reconnections; when it is full the oldest message is dropped and counted. A
  per-connection writer drains the queue, encrypting every message queued so far and writing
  them in one ``write`` call (coalesced writes), then awaits the socket's drain.
- **Receiving**: messages arrive through one bounded queue as ``(peer, bytes)``, read with
  :meth:`Network.recv` or ``async for``; when the consumer falls behind, readers stop
  reading and TCP flow control pushes back on the senders.

Delivery is best effort (a message written just before a connection drops may be lost); the
protocols above (consensus, mempool) tolerate loss. Messages are opaque bytes here.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from libra.network.errors import (
    FrameTooLarge,
    HandshakeError,
    NetworkClosed,
    NetworkError,
    NoiseError,
    UnknownPeer,
)
from libra.network.handshake import (
    CLIENT_HELLO_LENGTH,
    SERVER_HELLO_LENGTH,
    accept_client_hello,
    start_client_hello,
)
from libra.network.noise import DH_LENGTH, TAG_LENGTH, CipherState, NetworkPrivateKey
from libra.types import AccountAddress

__all__ = [
    "FRAME_HEADER",
    "Network",
    "NetworkConfig",
    "NetworkMetrics",
    "PeerInfo",
    "backoff_delay",
    "read_frame",
]

FRAME_HEADER = 4
"""Bytes of the big-endian length before every frame."""

_HANDSHAKE_FRAME_LIMIT = max(CLIENT_HELLO_LENGTH, SERVER_HELLO_LENGTH)


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """Where a validator listens and its published X25519 network key."""

    host: str
    port: int
    network_public_key: bytes

    def __post_init__(self) -> None:
        if len(self.network_public_key) != DH_LENGTH:
            raise ValueError(
                f"a network public key is {DH_LENGTH} bytes, not {len(self.network_public_key)}"
            )
        if not 0 <= self.port < 65536:
            raise ValueError(f"port {self.port} out of range")


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """Limits and timings of the transport."""

    max_message_size: int = 16 * 1024 * 1024
    """Largest message accepted (plaintext bytes); larger frames close the connection."""
    send_queue_capacity: int = 10_000
    """Messages queued per peer; beyond this the oldest is dropped."""
    inbound_queue_capacity: int = 10_000
    """Received messages waiting for the consumer before readers stop reading."""
    max_coalesced_bytes: int = 1024 * 1024
    """At most this many bytes go into one coalesced write."""
    handshake_timeout: float = 5.0
    """Seconds allowed for a complete handshake."""
    backoff_initial: float = 0.05
    """First redial delay in seconds; doubled after each failure."""
    backoff_max: float = 5.0
    """Largest redial delay in seconds."""

    def __post_init__(self) -> None:
        for name in ("max_message_size", "send_queue_capacity", "inbound_queue_capacity"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")
        if not 0 < self.backoff_initial <= self.backoff_max:
            raise ValueError(
                f"backoff must satisfy 0 < {self.backoff_initial} <= {self.backoff_max}"
            )

    @property
    def max_frame_size(self) -> int:
        """Largest frame (ciphertext) accepted."""
        return self.max_message_size + TAG_LENGTH


@dataclass(slots=True)
class NetworkMetrics:
    """Counters of one :class:`Network` (plain integers; exported to Prometheus later)."""

    connections_opened: int = 0
    connections_closed: int = 0
    connections_replaced: int = 0
    dial_attempts: int = 0
    dial_failures: int = 0
    handshakes_completed: int = 0
    handshakes_rejected_unknown_peer: int = 0
    handshakes_failed: int = 0
    messages_sent: int = 0
    messages_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    writes: int = 0
    """Socket writes; ``messages_sent / writes`` is the coalescing factor."""
    send_queue_drops: int = 0
    send_to_unknown_peer: int = 0
    oversize_frames: int = 0
    decrypt_failures: int = 0
    oversize_sends: int = 0


async def read_frame(reader: asyncio.StreamReader, limit: int) -> bytes:
    """Read one length-prefixed frame; raises :class:`FrameTooLarge` (before reading the body)
    when the length is over ``limit`` and ``asyncio.IncompleteReadError`` on EOF."""
    header = await reader.readexactly(FRAME_HEADER)
    length = int.from_bytes(header, "big")
    if length > limit:
        raise FrameTooLarge(length, limit)
    return await reader.readexactly(length)


def backoff_delay(failures: int, initial: float, maximum: float, jitter: float) -> float:
    """Seconds to wait before redialing after ``failures`` consecutive failures:
    ``min(maximum, initial * 2**failures)`` scaled by ``0.5 + jitter / 2`` (``jitter`` in
    [0, 1), from the random generator), so peers that lost each other do not redial in step."""
    if failures < 0 or not 0.0 <= jitter < 1.0:
        raise ValueError(f"invalid backoff input: failures={failures}, jitter={jitter}")
    base = maximum if failures >= 64 else min(maximum, initial * (2**failures))
    return base * (0.5 + jitter / 2)


def _frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(FRAME_HEADER, "big") + payload


class _Connection:
    """One authenticated TCP connection to a peer."""

    __slots__ = ("closed", "peer", "reader", "recv_cipher", "send_cipher", "tasks", "writer")

    def __init__(
        self,
        peer: AccountAddress,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        send_cipher: CipherState,
        recv_cipher: CipherState,
    ) -> None:
        self.peer = peer
        self.reader = reader
        self.writer = writer
        self.send_cipher = send_cipher
        self.recv_cipher = recv_cipher
        self.tasks: list[asyncio.Task[None]] = []
        self.closed = asyncio.Event()


@dataclass(slots=True)
class _Peer:
    """Per-peer state that outlives connections."""

    info: PeerInfo
    queue: deque[bytes] = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    connection: _Connection | None = None
    dialer: asyncio.Task[None] | None = None
    last_handshake_timestamp: int = 0


class Network:
    """The validator transport of one node.

    ``trusted_peers`` maps each validator's address to where it listens and its network key;
    it may include this node itself (its entry gives the listening address unless
    ``listen_host``/``listen_port`` are passed). ``clock`` returns seconds since the epoch
    (handshake timestamps); ``rng`` supplies backoff jitter; ``ephemeral_keys`` makes the
    handshake's ephemeral keys (a secure random source by default).
    """

    def __init__(
        self,
        self_address: AccountAddress,
        self_key: NetworkPrivateKey,
        trusted_peers: Mapping[AccountAddress, PeerInfo],
        *,
        listen_host: str | None = None,
        listen_port: int | None = None,
        config: NetworkConfig | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        ephemeral_keys: Callable[[], NetworkPrivateKey] = NetworkPrivateKey.generate,
    ) -> None:
        self.self_address = self_address
        self._key = self_key
        self.config = config if config is not None else NetworkConfig()
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._ephemeral_keys = ephemeral_keys
        own = trusted_peers.get(self_address)
        self._listen_host = listen_host or (own.host if own else "127.0.0.1")
        self._listen_port = listen_port if listen_port is not None else (own.port if own else 0)
        self._peers: dict[AccountAddress, _Peer] = {
            addr: _Peer(info) for addr, info in trusted_peers.items() if addr != self_address
        }
        self._inbound: asyncio.Queue[tuple[AccountAddress, bytes] | None] = asyncio.Queue(
            self.config.inbound_queue_capacity
        )
        self._server: asyncio.Server | None = None
        self._handshake_tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._connected_changed = asyncio.Event()
        self._last_timestamp_sent = 0
        self.metrics = NetworkMetrics()

    # -----------------------------------------------------------------------------------------
    # Lifecycle

    async def start(self) -> None:
        """Listen for peers and start dialing the peers this node dials."""
        if self._server is not None:
            raise NetworkError("network already started")
        self._server = await asyncio.start_server(
            self._on_inbound, self._listen_host, self._listen_port
        )
        sock = self._server.sockets[0]
        self._listen_port = sock.getsockname()[1]
        for addr in self._peers:
            self._ensure_dialer(addr)

    @property
    def listen_port(self) -> int:
        """The TCP port this node listens on (the real one once started)."""
        return self._listen_port

    async def close(self) -> None:
        """Stop listening, close every connection and stop every task."""
        self._closed = True
        if self._server is not None:
            self._server.close()
        tasks: list[asyncio.Task[None]] = list(self._handshake_tasks)
        for peer in self._peers.values():
            if peer.dialer is not None:
                tasks.append(peer.dialer)
            if peer.connection is not None:
                tasks.extend(self._drop_connection(peer.connection))
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        with contextlib.suppress(asyncio.QueueFull):
            # A consumer blocked in recv() has an empty queue, so this always fits then.
            self._inbound.put_nowait(None)

    def update_trusted_peers(self, trusted_peers: Mapping[AccountAddress, PeerInfo]) -> None:
        """Replace the trusted set (epoch change): connections to removed peers or to peers
        whose key or address changed are closed; new peers are dialed."""
        new = {a: i for a, i in trusted_peers.items() if a != self.self_address}
        for addr in list(self._peers):
            peer = self._peers[addr]
            if new.get(addr) == peer.info:
                continue
            if peer.dialer is not None:
                peer.dialer.cancel()
                peer.dialer = None
            if peer.connection is not None:
                self._drop_connection(peer.connection)
            if addr in new:
                peer.info = new[addr]
            else:
                del self._peers[addr]
        for addr, info in new.items():
            if addr not in self._peers:
                self._peers[addr] = _Peer(info)
        if self._server is not None and not self._closed:
            for addr in self._peers:
                self._ensure_dialer(addr)

    # -----------------------------------------------------------------------------------------
    # Sending and receiving

    def send(self, peer: AccountAddress, message: bytes) -> bool:
        """Queue ``message`` for ``peer``; False if the peer is unknown or the message is too
        large. Never blocks; a full queue drops its oldest message."""
        state = self._peers.get(peer)
        if state is None:
            self.metrics.send_to_unknown_peer += 1
            return False
        if len(message) > self.config.max_message_size:
            self.metrics.oversize_sends += 1
            return False
        queue = state.queue
        if len(queue) >= self.config.send_queue_capacity:
            queue.popleft()
            self.metrics.send_queue_drops += 1
        queue.append(message)
        state.wakeup.set()
        return True

    def broadcast(self, message: bytes) -> int:
        """Queue ``message`` for every trusted peer; returns how many accepted it."""
        return sum(self.send(addr, message) for addr in list(self._peers))

    async def recv(self) -> tuple[AccountAddress, bytes]:
        """The next received ``(peer, message)``; raises :class:`NetworkClosed` once the
        network is closed and every message received before has been taken."""
        if self._closed and self._inbound.empty():
            raise NetworkClosed("network closed")
        item = await self._inbound.get()
        if item is None:
            self._inbound.put_nowait(None)  # wake any other waiting consumer too
            raise NetworkClosed("network closed")
        return item

    def __aiter__(self) -> Network:
        return self

    async def __anext__(self) -> tuple[AccountAddress, bytes]:
        try:
            return await self.recv()
        except NetworkClosed:
            raise StopAsyncIteration from None

    def inbound_pending(self) -> int:
        """Received messages not yet taken by :meth:`recv`."""
        return self._inbound.qsize()

    def connected_peers(self) -> frozenset[AccountAddress]:
        """Peers with an authenticated connection right now."""
        return frozenset(a for a, p in self._peers.items() if p.connection is not None)

    def trusted_peers(self) -> frozenset[AccountAddress]:
        """The peers of the current trusted set (excluding this node)."""
        return frozenset(self._peers)

    async def wait_connected(self, peers: Iterable[AccountAddress], timeout: float) -> None:
        """Wait until every one of ``peers`` is connected; raises ``TimeoutError``."""
        wanted = frozenset(peers)

        async def _wait() -> None:
            while not wanted <= self.connected_peers():
                self._connected_changed.clear()
                await self._connected_changed.wait()

        await asyncio.wait_for(_wait(), timeout)

    # -----------------------------------------------------------------------------------------
    # Connections

    def _ensure_dialer(self, addr: AccountAddress) -> None:
        peer = self._peers[addr]
        if bytes(self.self_address) < bytes(addr) and (peer.dialer is None or peer.dialer.done()):
            peer.dialer = asyncio.create_task(self._dial_loop(addr, peer))

    def _next_timestamp(self) -> int:
        ts = max(int(self._clock() * 1_000_000), self._last_timestamp_sent + 1)
        self._last_timestamp_sent = ts
        return ts

    async def _dial_loop(self, addr: AccountAddress, peer: _Peer) -> None:
        failures = 0
        while not self._closed and self._peers.get(addr) is peer:
            conn = peer.connection
            if conn is not None:
                await conn.closed.wait()
                continue
            self.metrics.dial_attempts += 1
            try:
                await asyncio.wait_for(self._dial(addr, peer), self.config.handshake_timeout)
                failures = 0
                continue
            except (OSError, TimeoutError, asyncio.IncompleteReadError, NetworkError):
                self.metrics.dial_failures += 1
            delay = backoff_delay(
                failures, self.config.backoff_initial, self.config.backoff_max, self._rng.random()
            )
            failures += 1
            await asyncio.sleep(delay)

    async def _dial(self, addr: AccountAddress, peer: _Peer) -> None:
        info = peer.info
        reader, writer = await asyncio.open_connection(info.host, info.port)
        try:
            pending = start_client_hello(
                self.self_address,
                self._key,
                addr,
                info.network_public_key,
                self._next_timestamp(),
                self._ephemeral_keys(),
            )
            writer.write(_frame(pending.message))
            await writer.drain()
            response = await read_frame(reader, _HANDSHAKE_FRAME_LIMIT)
            keys = pending.finish(response)
        except BaseException:
            self.metrics.handshakes_failed += 1
            writer.close()
            raise
        self.metrics.handshakes_completed += 1
        self._install(addr, peer, reader, writer, keys.send, keys.recv)

    async def _on_inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closed:
            writer.close()
            return
        task = asyncio.current_task()
        if task is not None:
            self._handshake_tasks.add(task)
        try:
            await asyncio.wait_for(self._accept(reader, writer), self.config.handshake_timeout)
        except UnknownPeer:
            self.metrics.handshakes_rejected_unknown_peer += 1
            writer.close()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, NetworkError):
            self.metrics.handshakes_failed += 1
            writer.close()
        finally:
            if task is not None:
                self._handshake_tasks.discard(task)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        message = await read_frame(reader, _HANDSHAKE_FRAME_LIMIT)

        def trusted_key_of(addr: AccountAddress) -> bytes | None:
            p = self._peers.get(addr)
            return p.info.network_public_key if p is not None else None

        def last_timestamp_of(addr: AccountAddress) -> int:
            p = self._peers.get(addr)
            return p.last_handshake_timestamp if p is not None else 0

        accepted = accept_client_hello(
            self.self_address,
            self._key,
            message,
            trusted_key_of,
            last_timestamp_of,
            self._ephemeral_keys(),
        )
        peer = self._peers.get(accepted.peer)
        if peer is None:  # removed from the trusted set while we were handshaking
            raise HandshakeError(f"peer {accepted.peer.hex()} left the trusted set")
        peer.last_handshake_timestamp = accepted.timestamp_usecs
        writer.write(_frame(accepted.response))
        await writer.drain()
        self.metrics.handshakes_completed += 1
        self._install(accepted.peer, peer, reader, writer, accepted.keys.send, accepted.keys.recv)

    def _install(
        self,
        addr: AccountAddress,
        peer: _Peer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        send_cipher: CipherState,
        recv_cipher: CipherState,
    ) -> None:
        if peer.connection is not None:
            self.metrics.connections_replaced += 1
            self._drop_connection(peer.connection)
        conn = _Connection(addr, reader, writer, send_cipher, recv_cipher)
        peer.connection = conn
        conn.tasks.append(asyncio.create_task(self._reader_loop(conn)))
        conn.tasks.append(asyncio.create_task(self._writer_loop(conn, peer)))
        self.metrics.connections_opened += 1
        self._connected_changed.set()
        if peer.queue:
            peer.wakeup.set()

    def _drop_connection(self, conn: _Connection) -> list[asyncio.Task[None]]:
        """Close ``conn`` (idempotent); returns its tasks, cancelled."""
        if conn.closed.is_set():
            return []
        conn.closed.set()
        self.metrics.connections_closed += 1
        peer = self._peers.get(conn.peer)
        if peer is not None and peer.connection is conn:
            peer.connection = None
            self._connected_changed.set()
        conn.writer.close()
        current = asyncio.current_task()
        tasks = [t for t in conn.tasks if t is not current]
        for t in tasks:
            t.cancel()
        return tasks

    async def _reader_loop(self, conn: _Connection) -> None:
        limit = self.config.max_frame_size
        metrics = self.metrics
        reader = conn.reader
        cipher = conn.recv_cipher
        inbound = self._inbound
        peer = conn.peer
        try:
            while True:
                header = await reader.readexactly(FRAME_HEADER)
                length = int.from_bytes(header, "big")
                if length > limit:
                    metrics.oversize_frames += 1
                    return
                frame = await reader.readexactly(length)
                try:
                    message = cipher.decrypt(frame)
                except NoiseError:
                    metrics.decrypt_failures += 1
                    return
                metrics.messages_received += 1
                metrics.bytes_received += FRAME_HEADER + length
                if inbound.full():
                    await inbound.put((peer, message))
                else:
                    inbound.put_nowait((peer, message))
        except (OSError, asyncio.IncompleteReadError):
            return
        finally:
            self._drop_connection(conn)

    async def _writer_loop(self, conn: _Connection, peer: _Peer) -> None:
        writer = conn.writer
        cipher = conn.send_cipher
        queue = peer.queue
        metrics = self.metrics
        max_batch = self.config.max_coalesced_bytes
        try:
            while True:
                if not queue:
                    peer.wakeup.clear()
                    await peer.wakeup.wait()
                    continue
                parts: list[bytes] = []
                size = 0
                count = 0
                while queue and size < max_batch:
                    ciphertext = cipher.encrypt(queue.popleft())
                    parts.append(len(ciphertext).to_bytes(FRAME_HEADER, "big"))
                    parts.append(ciphertext)
                    size += FRAME_HEADER + len(ciphertext)
                    count += 1
                writer.write(b"".join(parts))
                metrics.writes += 1
                metrics.messages_sent += count
                metrics.bytes_sent += size
                await writer.drain()
        except (OSError, ConnectionError):
            return
        finally:
            with contextlib.suppress(Exception):
                self._drop_connection(conn)
